"""PreToolUse through the index: globs as plans write them (`dir/`, `./`, `//`) and folder paths
too long for a bucket file name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orchestrator.store import Store
from tests.conftest import Orch
from tests.hooks.conftest import run_hook

LONG = "/".join(["d" * 100] * 6)  # a 600-character folder path

PLAN = f"""---
id: more
title: More
---
## E: Edge globs
- depends_on: A
- files: src/auth/, ./docs/*.md, tests//test_x.py, {LONG}/*.py
"""


@pytest.fixture
def edged(planned: Path, orch: Orch) -> Path:
    (planned / "more.md").write_text(PLAN)
    code, _out, err = orch("plan", "add", "more.md")
    assert code == 0, err
    return planned


@pytest.mark.parametrize("rel", ["src/auth/login.py", "src/auth/deep/x.js", "docs/intro.md",
                                 "tests/test_x.py", f"{LONG}/x.py"])
def test_a_file_of_an_edge_glob_is_denied(edged: Path, write_payload: Any, rel: str) -> None:
    run = run_hook("PreToolUse", write_payload(rel))
    assert run.stderr == ""
    assert run.denied is not None and "belongs to task E (Edge globs)" in run.denied


@pytest.mark.parametrize("rel", ["src/authz.py", "docs/sub/x.md", "tests/test_y.py", f"{LONG}/x.txt"])
def test_files_beside_the_edge_globs_stay_free(edged: Path, write_payload: Any, rel: str) -> None:
    run = run_hook("PreToolUse", write_payload(rel))
    assert (run.stdout, run.stderr) == ("", "")


def test_globs_are_stored_normalised(edged: Path) -> None:
    tasks = {task["id"]: task for task in Store(edged).tasks()}
    assert tasks["E"]["files"] == ["src/auth/**", "docs/*.md", "tests/test_x.py", f"{LONG}/*.py"]
