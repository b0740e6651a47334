"""Every writing verb, killed (SIGKILL) right after each of its durable writes, leaves state that
`orch verify` accepts or that `orch doctor --fix` repairs, and can then be run again.

`ORCH_CRASH_AFTER_WRITES=N` makes the real `orch`, run as a subprocess in a copy of a prepared
repo, kill itself after its Nth atomic file replace or receipt append; N grows until the verb
finishes. A kill half-way through writing a temp file needs no case of its own: the target is
only ever replaced whole (`jsonfile.write_text`), so that kill leaves the state of the write
before plus a `.tmp` file, which `orch doctor --fix` removes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Orch, git

PLAN = """---
id: web
title: Web
---
## A: Design
- files: docs/a.md

### Acceptance
- [ ] docs/a.md describes the pages

## B: Build
- depends_on: A
"""
PLAN_V2 = """---
id: web
title: Web, second version
---
## A: Design the site
- files: docs/a.md

## C: Check
- depends_on: A
"""
GATE_PASS = '[{"name": "check", "command": "true"}]'
GATE_FAIL = '[{"name": "check", "command": "false"}]'
ALICE = ("--agent", "alice")
NO_OUTPUTS = ("config", "policy.require_outputs", "false")  # these kills are about gates, not outputs

# prepared state -> the orch commands that make it (after `orch init` and a commit of plan files)
SETUPS: dict[str, list[tuple[str, ...]]] = {
    "initialised": [],
    "planned": [("plan", "add", "plan.md")],
    "started": [("plan", "add", "plan.md"), ("start", "A", *ALICE)],
    "review": [("config", "workflow.review", "true"), ("plan", "add", "plan.md"), ("start", "A", *ALICE)],
    "gate_passes": [("config", "gates", GATE_PASS), NO_OUTPUTS, ("plan", "add", "plan.md"),
                    ("start", "A", *ALICE)],
    "gate_fails": [("config", "gates", GATE_FAIL), NO_OUTPUTS, ("plan", "add", "plan.md"),
                   ("start", "A", *ALICE)],
    "locked": [("plan", "add", "plan.md"), ("start", "A", *ALICE), ("lock", "docs/a.md", *ALICE)],
}

# case -> (prepared state, the verb, exit codes a finished verb may give, what a refused rerun says)
CASES: dict[str, tuple[str, tuple[str, ...], set[int], str | None]] = {
    "plan add": ("initialised", ("plan", "add", "plan.md"), {0}, "already exists: pass --replace"),
    "plan add --replace": ("planned", ("plan", "add", "--replace", "plan2.md"), {0}, None),
    "start": ("planned", ("start", "A", *ALICE), {0}, None),
    "move queued": ("started", ("move", "A", "queued", *ALICE), {0}, "A is already queued"),
    "move review": ("review", ("move", "A", "review", *ALICE), {0}, "A is already review"),
    "block": ("started", ("block", "A", "--reason", "waiting", *ALICE), {0}, "A is already blocked"),
    "cancel": ("started", ("cancel", "A", *ALICE), {0}, "A is already cancelled"),
    "done, gate passes": ("gate_passes", ("done", "A", *ALICE), {0}, "A is completed, not in progress"),
    "done, gate fails": ("gate_fails", ("done", "A", *ALICE), {1}, "andon: A is blocked"),
    "gate": ("gate_passes", ("gate", "A", *ALICE), {0}, None),
    "check": ("started", ("check", "A", "1", "--evidence", "docs/a.md: Pages", *ALICE), {0}, None),
    "lock": ("started", ("lock", "docs/a.md", *ALICE), {0}, None),
    "unlock": ("locked", ("unlock", "docs/a.md"), {0}, None),
    "config": ("planned", ("config", "lease_ttl_seconds", "60"), {0}, None),
}
MAX_WRITES = 40
_prepared: dict[str, Path] = {}


@pytest.fixture
def orch_at(capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], Orch]:
    """The in-process `orch` of a given repo (cwd moved there)."""
    return lambda repo: Orch(repo, capfd, monkeypatch)


def _prepared_repo(name: str, factory: pytest.TempPathFactory, orch_at: Callable[[Path], Orch]) -> Path:
    """A git repo in state `name`, made once per test session, copied by each kill."""
    if name not in _prepared:
        root = factory.mktemp("prepared") / name
        root.mkdir()
        git(root, "init", "-q", "-b", "main")
        (root / "plan.md").write_text(PLAN)
        (root / "plan2.md").write_text(PLAN_V2)
        run = orch_at(root)
        for args in [("init", "--no-hooks"), *SETUPS[name]]:
            code, _out, err = run(*args)
            assert code == 0, (args, err)
        git(root, "add", "-A")
        git(root, "commit", "-qm", name)
        _prepared[name] = root
    return _prepared[name]


def _killed_run(repo: Path, args: tuple[str, ...], after: int) -> int:
    env = {**os.environ, "ORCH_CRASH_AFTER_WRITES": str(after)}
    done = subprocess.run([sys.executable, "-m", "orchestrator.console", *args], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=60)
    return done.returncode


def _all_json_parses(repo: Path) -> None:
    for folder in (repo / ".orch", repo / ".git/orch"):
        for path in folder.rglob("*.json"):
            try:
                json.loads(path.read_text())
            except ValueError:
                pytest.fail(f"{path} does not parse")
    for path in (repo / ".orch/receipts").glob("*.jsonl"):
        assert all(json.loads(line) for line in path.read_text().splitlines()), path


def _plans_whole(repo: Path, where: str) -> None:
    """Each plan is the old version or the new one: its task files are exactly the tasks it lists."""
    for path in (repo / ".orch/plans").glob("*.json"):
        if path.name.endswith(".source.json"):
            continue
        plan = json.loads(path.read_text())
        tasks = [json.loads(t.read_text()) for t in (repo / ".orch/tasks").glob("*.json")]
        assert sorted(plan["task_ids"]) == sorted(t["id"] for t in tasks if t["plan"] == plan["id"]), where
        assert plan["task_ids"] in (["A", "B"], ["A", "C"]), where


def _verified(run: Orch) -> bool:
    code, out, _ = run("verify", "--json")
    return code == 0 and json.loads(out)["ok"]


@pytest.mark.parametrize("case", list(CASES))
def test_a_verb_killed_after_any_write_recovers(
    case: str, tmp_path_factory: pytest.TempPathFactory, orch_at: Callable[[Path], Orch]
) -> None:
    setup, args, finished_codes, refusal = CASES[case]
    base = _prepared_repo(setup, tmp_path_factory, orch_at)
    for after in range(1, MAX_WRITES + 1):
        repo = tmp_path_factory.mktemp("kill") / "repo"
        shutil.copytree(base, repo, symlinks=True)
        code = _killed_run(repo, args, after)
        if code != -signal.SIGKILL:
            assert code in finished_codes, (case, after, code)
            assert after > 1, f"{case}: the verb wrote nothing"
            return
        where = f"{case}, killed after write {after}"
        _all_json_parses(repo)
        run = orch_at(repo)
        if not _verified(run):
            code, out, _ = run("doctor", "--fix")
            assert _verified(run), f"{where}: doctor --fix did not repair it:\n{out}"
        assert run("doctor")[0] == 0, f"{where}: doctor still finds a problem"
        _plans_whole(repo, where)
        code, out, err = run(*args)
        refused = refusal is not None and refusal in err
        assert code in finished_codes or refused, f"{where}: rerun gave {code}: {out}{err}"
        assert _verified(run), f"{where}: the rerun left state verify rejects"
    pytest.fail(f"{case}: still killed after {MAX_WRITES} writes")
