"""`orch plan add` of a few hundred tasks, SIGKILLed at random moments, leaves state every reader
parses, and after `orch doctor --fix` (which finishes an interrupted add) exactly the old plan or
the new one: never some tasks of each.

`tests/unit/test_kill_recovery.py` kills after each write of a tiny plan; this kills a large one by
the clock while its batches of receipts and task files are written and synced: the kill waits
until the add first writes its plan file, then a random part of the time the rest of an add takes.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Orch, git

TASKS = 250
KILLS = {"add": 4, "add --replace": 5}


def _plan(version: int) -> str:
    """Version 2 renames every title, drops the first 40 tasks and adds 40 new ones."""
    ids = range(TASKS) if version == 1 else range(40, TASKS + 40)
    lines = ["---", "id: big", f"title: Big plan, version {version}", "---", ""]
    for n in ids:
        deps = f"t{n - 1}" if n - 1 in ids else ""
        lines += [f"## t{n}: Part {n}, version {version}", f"- depends_on: [{deps}]",
                  f"- files: src/part{n}.py", ""]
    return "\n".join(lines)


def _expected(version: int) -> dict[str, str]:
    ids = range(TASKS) if version == 1 else range(40, TASKS + 40)
    return {f"t{n}": f"Part {n}, version {version}" for n in ids}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A repo with orch set up and nothing planned, and a copy with version 1 loaded."""
    empty = tmp_path_factory.mktemp("prepared") / "empty"
    empty.mkdir()
    git(empty, "init", "-q", "-b", "main")
    (empty / "plan1.md").write_text(_plan(1))
    (empty / "plan2.md").write_text(_plan(2))
    assert _orch(empty, "init", "--no-hooks").returncode == 0
    git(empty, "add", "-A")
    git(empty, "commit", "-qm", "empty")
    planned = empty.parent / "planned"
    shutil.copytree(empty, planned, symlinks=True)
    assert _orch(planned, "plan", "add", "plan1.md").returncode == 0
    git(planned, "add", "-A")
    git(planned, "commit", "-qm", "planned")
    return {"add": empty, "add --replace": planned}


def _orch(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "orchestrator.console", *args], cwd=repo,
                          capture_output=True, text=True, timeout=120)


def _command(case: str) -> list[str]:
    extra = ["--replace", "plan2.md"] if case == "add --replace" else ["plan1.md"]
    return [sys.executable, "-m", "orchestrator.console", "plan", "add", *extra]


def _kill_while_loading(repo: Path, case: str, delay: float | None) -> tuple[int, float]:
    """Start the add and wait until it first writes its plan file (or ends); then SIGKILL it after
    `delay` seconds, or (None) let it finish. Returns its exit code and how long it ran from that
    first write on."""
    plan_file = repo / ".orch" / "plans" / "big.json"
    before = _content(plan_file)
    process = subprocess.Popen(_command(case), cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline and _content(plan_file) == before:
        time.sleep(0.001)
    marked = time.monotonic()
    if delay is not None:
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
    code = process.wait(timeout=60)
    return code, time.monotonic() - marked


def _content(plan_file: Path) -> bytes:
    try:
        return plan_file.read_bytes()
    except OSError:
        return b""


def _marked(plan_file: Path) -> bool:
    return b'"incomplete": true' in _content(plan_file)


def _state(repo: Path) -> tuple[dict[str, str], list[str] | None]:
    """{task id: title} of every task file, and the task ids the plan file lists (None: no plan)."""
    tasks = {}
    for path in (repo / ".orch" / "tasks").glob("*.json"):
        task = json.loads(path.read_text())
        assert task["plan"] == "big" and task["id"] == path.stem, path
        tasks[task["id"]] = task["title"]
    plan_file = repo / ".orch" / "plans" / "big.json"
    plan = json.loads(plan_file.read_text()) if plan_file.exists() else None
    return tasks, plan["task_ids"] if plan else None


def _readers_parse(run: Orch, where: str) -> None:
    code, out, err = run("status", "--json")
    assert code == 0 and json.loads(out), f"{where}: status failed: {err}"
    code, out, _err = run("verify", "--json")
    assert code in (0, 1) and "ok" in json.loads(out), f"{where}: verify did not report"


@pytest.fixture
def orch_at(capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], Orch]:
    return lambda repo: Orch(repo, capfd, monkeypatch)


@pytest.mark.parametrize("case", list(KILLS))
def test_a_large_plan_add_killed_at_random_is_the_old_plan_or_the_new(
    case: str, prepared: dict[str, Path], tmp_path: Path, orch_at: Callable[[Path], Orch]
) -> None:
    rng = random.Random(os.environ.get("ORCH_KILL_SEED", case))
    old = _expected(1) if case == "add --replace" else {}
    new = _expected(2) if case == "add --replace" else _expected(1)
    timing = tmp_path / "timing"
    shutil.copytree(prepared[case], timing, symlinks=True)
    code, loading = _kill_while_loading(timing, case, None)
    assert code == 0
    interrupted = 0
    for kill in range(KILLS[case]):
        repo = tmp_path / f"kill{kill}"
        shutil.copytree(prepared[case], repo, symlinks=True)
        code, _ = _kill_while_loading(repo, case, rng.uniform(0, loading))
        where = f"{case}, kill {kill} (exit {code})"
        run = orch_at(repo)
        _readers_parse(run, where)
        if _marked(repo / ".orch" / "plans" / "big.json"):
            interrupted += 1
        code, out, err = run("doctor", "--fix")
        assert run("verify")[0] == 0, f"{where}: verify fails after doctor --fix:\n{out}{err}"
        tasks, listed = _state(repo)
        assert tasks in (old, new), f"{where}: a mix of the two plans: {len(tasks)} task files"
        assert listed in (None if not old else sorted(old, key=_number), sorted(new, key=_number)), where
        assert listed is None or sorted(tasks, key=_number) == listed, f"{where}: files differ from the plan"
    assert interrupted, f"{case}: no kill landed while the plan was being loaded"


def _number(task_id: str) -> int:
    return int(task_id[1:])
