"""The hooks' index under load: parallel rebuilds after an outside change of `.orch/tasks/`, and
worktrees of one repo (one shared runtime folder) with different task files. However the
rebuilds interleave, a write to a file declared by a task that is not ready is always denied.

Before the index lock, the first round of the first test let most of its writes through (and some
hooks crashed on a pruned folder). `STORM_ROUNDS`, `STORM_PARALLEL` and `STORM_TASKS` scale it up
for a longer run (8, 8 and 1,500 pass too)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Orch, git, hook_command
from tests.hooks.conftest import HookRun, payload

ROUNDS = int(os.environ.get("STORM_ROUNDS", "3"))
PARALLEL = int(os.environ.get("STORM_PARALLEL", "6"))
EXTRA_TASKS = int(os.environ.get("STORM_TASKS", "300"))


def _many_tasks_plan() -> str:
    """Tasks waiting on A, each declaring files in its own folders: many buckets to write."""
    sections = [
        f"## P{i}: Part {i}\n- depends_on: A\n- files: pkg{i}/mod/*.py, pkg{i}/docs/\n"
        for i in range(EXTRA_TASKS)
    ]
    return "---\nid: many\ntitle: Many\n---\n" + "\n".join(sections)


def _write(root: Path, rel: str, agent: str) -> dict[str, Any]:
    return payload(
        "PreToolUse.Write",
        cwd=str(root),
        agent_id=agent,
        session_id=f"sess-{agent}",
        tool_input={"file_path": str(root / rel), "content": "x\n"},
    )


def _parallel(payloads: list[dict[str, Any]]) -> list[HookRun]:
    procs = [
        subprocess.Popen(
            [*hook_command(), "PreToolUse"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in payloads
    ]
    for proc, data in zip(procs, payloads, strict=True):
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(data))  # far below a pipe's buffer: never blocks
        proc.stdin.close()
    runs = []
    for proc in procs:
        assert proc.stdout is not None and proc.stderr is not None
        out, err = proc.stdout.read(), proc.stderr.read()  # a few hundred bytes each
        code = proc.wait(timeout=60)
        proc.stdout.close()
        proc.stderr.close()
        runs.append(HookRun(subprocess.CompletedProcess(proc.args, code, out, err)))
    return runs


def _touch_tasks_from_outside(root: Path, task_id: str = "A") -> None:
    """Rewrite a task file by unlink-and-create, as `git pull` or `git checkout` does."""
    path = root / ".orch" / "tasks" / f"{task_id}.json"
    text = path.read_text()
    path.unlink()
    path.write_text(text)


MUST_DENY = ["src/api/x.py", "web/app.js", "CHANGELOG.md", "pkg7/mod/a.py", "pkg250/docs/x.md",
             "pkg123/mod/b.py"]


@pytest.fixture
def crowded(planned: Path, orch: Orch) -> Path:
    (planned / "many.md").write_text(_many_tasks_plan())
    code, _out, err = orch("plan", "add", "many.md")
    assert code == 0, err
    return planned


def test_parallel_rebuilds_after_an_outside_change_never_let_a_must_deny_write_pass(crowded: Path) -> None:
    allowed: list[tuple[int, str, str]] = []
    for round_no in range(ROUNDS):
        _touch_tasks_from_outside(crowded)
        rels = [MUST_DENY[(round_no + k) % len(MUST_DENY)] for k in range(PARALLEL)]
        runs = _parallel([_write(crowded, rel, f"agent-{k}") for k, rel in enumerate(rels)])
        allowed += [(round_no, rel, run.stderr) for rel, run in zip(rels, runs, strict=True)
                    if not run.denied]
        # and the published index they leave behind answers right too
        after = _parallel([_write(crowded, rel, "agent-after") for rel in MUST_DENY])
        allowed += [(round_no, f"after: {rel}", run.stderr) for rel, run in zip(MUST_DENY, after, strict=True)
                    if not run.denied]
    assert allowed == [], allowed


def test_two_worktrees_with_different_tasks_each_keep_their_own_index(crowded: Path, orch: Orch) -> None:
    git(crowded, "add", "-A")
    git(crowded, "commit", "-q", "-m", "plan")
    other = crowded.parent / "other-tree"
    git(crowded, "worktree", "add", "-q", "-b", "other", str(other))
    # in the other worktree B's dependency is gone: B is ready, its files are free to write;
    # D (CHANGELOG.md) still waits on B and C there
    task_b = other / ".orch" / "tasks" / "B.json"
    data = json.loads(task_b.read_text())
    task_b.write_text(json.dumps(data | {"depends_on": []}))
    allowed: list[tuple[int, str, str]] = []
    published: list[list[str]] = []
    for round_no in range(ROUNDS):
        payloads = [_write(crowded, "src/api/x.py", "agent-main"), _write(other, "CHANGELOG.md", "agent-o"),
                    _write(crowded, "pkg9/mod/a.py", "agent-main"), _write(other, "web/x.js", "agent-o"),
                    _write(other, "pkg9/docs/a.md", "agent-o"), _write(crowded, "web/y.js", "agent-main")]
        runs = _parallel(payloads)
        allowed += [(round_no, p["tool_input"]["file_path"], run.stderr)
                    for p, run in zip(payloads, runs, strict=True) if not run.denied]
        free = _parallel([_write(other, "src/api/x.py", "agent-o")])[0]
        assert (free.denied, free.stderr) == (None, ""), "B is ready in the other worktree"
        published.append(sorted(p.read_text() for p in _runtime(crowded).glob("worktrees/*/index/current")))
    assert allowed == [], allowed
    assert len(published[-1]) == 2, "one index per worktree"
    assert published[-1] == published[1], "once built, neither worktree's index is rebuilt again"


def _runtime(root: Path) -> Path:
    return Path(os.environ.get("ORCH_RUNTIME_DIR") or root / ".git" / "orch")
