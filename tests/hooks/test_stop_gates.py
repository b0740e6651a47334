"""The Stop hook's gates: a cache that cannot return a stale pass."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import Orch
from tests.hooks.conftest import payload, run_hook


def _gates(orch: Orch, *commands: str, timeout: float = 10) -> None:
    gates = [
        {"name": f"check{n}", "command": command, "kind": "plain", "timeout": timeout}
        for n, command in enumerate(commands, start=1)
    ]
    orch("config", "gates", json.dumps(gates))


def _stop(planned: Path, active: bool = False) -> dict[str, object]:
    return payload("Stop.first", cwd=str(planned), session_id="sess-1", stop_hook_active=active)


def _runtime(planned: Path) -> Path:
    return planned / ".git" / "orch"


def test_a_changed_ignored_file_reruns_the_gates(planned: Path, orch: Orch) -> None:
    """A gate reading build output (git-ignored) must not pass from the cache once it changed."""
    (planned / ".gitignore").write_text("build/\n")
    (planned / "build").mkdir()
    (planned / "build" / "result").write_text("ok")
    _gates(orch, 'test "$(cat build/result)" = ok || { echo build says no; exit 1; }')
    orch("start", "A", "--agent", "sess-1")
    assert run_hook("Stop", _stop(planned)).stdout == ""
    (planned / "build" / "result").write_text("no")
    run = run_hook("Stop", _stop(planned))
    assert run.json["decision"] == "block" and "build says no" in run.json["reason"]


def test_an_edit_with_its_mtime_set_back_reruns_the_gates(planned: Path, orch: Orch) -> None:
    (planned / "flag").write_text("ok")
    _gates(orch, 'test "$(cat flag)" = ok || { echo flag says no; exit 1; }')
    orch("start", "A", "--agent", "sess-1")
    assert run_hook("Stop", _stop(planned)).stdout == ""
    stamp = (planned / "flag").stat()
    (planned / "flag").write_text("no")
    os.utime(planned / "flag", ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # touch -d back
    assert run_hook("Stop", _stop(planned)).json["decision"] == "block"


def test_the_gates_own_cache_writes_still_hit_the_cache(planned: Path, orch: Orch) -> None:
    counter = planned.parent / "runs.log"  # outside the tree
    _gates(orch, f"echo run >> {counter}; mkdir -p .pytest_cache; date +%s%N > .pytest_cache/x; false")
    orch("start", "A", "--agent", "sess-1")
    run_hook("Stop", _stop(planned))
    run_hook("Stop", _stop(planned, active=True))
    assert counter.read_text().count("run") == 1


def test_a_gate_that_writes_elsewhere_in_the_tree_is_rerun(planned: Path, orch: Orch) -> None:
    """Its writes cannot be told from an edit made while it ran: a rerun, never a stale answer."""
    counter = planned.parent / "runs.log"
    _gates(orch, f"echo run >> {counter}; date +%s%N > stamp.txt; false")
    orch("start", "A", "--agent", "sess-1")
    run_hook("Stop", _stop(planned))
    run_hook("Stop", _stop(planned, active=True))
    assert counter.read_text().count("run") == 2


def test_a_runtime_folder_inside_the_tree_is_not_a_change(
    planned: Path, orch: Orch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORCH_RUNTIME_DIR", str(planned / "runtime"))
    counter = planned.parent / "runs.log"
    _gates(orch, f"echo run >> {counter}; false")
    orch("start", "A", "--agent", "sess-1")
    run_hook("Stop", _stop(planned))
    run_hook("Stop", _stop(planned, active=True))
    assert counter.read_text().count("run") == 1
    assert (planned / "runtime" / "gate-output" / "A").is_dir(), "the runtime folder was used"
