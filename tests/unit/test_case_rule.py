"""On a file system that ignores case (macOS's default), `.ORCH` is `.orch`, and `src/A.py` and
`src/a.py` are one file: protection, leases and declared globs compare without case there. These
machines have no such file system (no vfat; the kernel lacks ext4 casefold), so the rule is forced
in-process here; its detection is checked against the real, case-sensitive one."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator import paths
from orchestrator.hooks import index, pretool
from orchestrator.runtime import Runtime
from tests.conftest import Orch


@pytest.fixture
def insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paths, "case_insensitive", lambda root: True)
    monkeypatch.setattr(pretool, "case_insensitive", lambda root: True)


def test_detection_on_this_case_sensitive_file_system(planned: Path) -> None:
    paths._CASE_RULES.clear()
    assert paths.case_insensitive(str(planned)) is False
    assert paths.repo_relative(str(planned), "SRC/A.py", str(planned)) == "SRC/A.py"


def test_paths_are_one_whatever_their_case(planned: Path, insensitive: None) -> None:
    assert paths.repo_relative(str(planned), "SRC/Api/X.py", str(planned)) == "src/api/x.py"


def test_orchs_state_is_protected_in_any_case(planned: Path, insensitive: None) -> None:
    guarded = (str(planned / ".orch"), str(planned / ".git" / "orch"))
    assert pretool._covers(guarded, str(planned / ".ORCH" / "tasks" / "A.json"), folder=False)
    assert pretool._covers(guarded, str(planned / ".Git" / "ORCH"), folder=True)
    assert not pretool._covers(guarded, str(planned / "src" / "x.py"), folder=True)


def test_declared_globs_and_leases_match_without_case(planned: Path, orch: Orch, insensitive: None) -> None:
    state, runtime = str(planned / ".orch"), str(planned / ".git" / "orch")
    index.rebuild(state, runtime)
    rel = paths.repo_relative(str(planned), "SRC/API/Handlers.py", str(planned))
    assert rel is not None
    assert [entry[1] for entry in index.owners(rel, state, runtime)] == ["B"]
    leases = Runtime(runtime)
    assert leases.take_lease(rel, "A", "agent-a", "s", 60) is None
    other = paths.repo_relative(str(planned), "src/api/handlers.PY", str(planned))
    assert other == rel
    conflict = leases.take_lease(str(other), "C", "agent-c", "s", 60)
    assert conflict is not None and conflict["task"] == "A"
