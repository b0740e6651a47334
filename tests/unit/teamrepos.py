"""A team in temporary folders: a bare remote and clones of one orch repo in team mode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import git

PLAN_OF_FOUR = """---
id: team
title: Team work
---
## A: First
- files: a.txt

## B: Second
- files: b.txt

## C: Third
- files: c.txt

## D: Fourth
- files: d.txt
"""


def orch(clone: Path, *args: str, machine: str | None = None,
         check: bool = True) -> subprocess.CompletedProcess[str]:
    """The real `orch` CLI in its own process, in `clone` (on `machine`, default the clone's name)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE")}
    env["ORCH_MACHINE"] = machine or clone.name
    done = subprocess.run([sys.executable, "-m", "orchestrator.console", *args], cwd=clone, env=env,
                          capture_output=True, text=True, timeout=120)
    if check:
        assert done.returncode == 0, f"orch {' '.join(args)} in {clone.name}: {done.stderr}"
    return done


def team(tmp_path: Path, clones: int, plan: str = PLAN_OF_FOUR) -> tuple[Path, list[Path]]:
    """A bare remote holding an orch repo in team mode (sync.remote origin) and `clones` clones."""
    first = tmp_path / "origin-work"
    first.mkdir()
    git(first, "init", "-q", "-b", "main")
    (first / "plan.md").write_text(plan)
    orch(first, "init", "--no-hooks")
    orch(first, "plan", "add", "plan.md")
    git(first, "add", "-A")
    git(first, "commit", "-q", "-m", "plan")
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(first), str(remote))
    made = [_clone(remote, tmp_path / f"m{n}") for n in range(clones)]
    orch(made[0], "config", "sync.remote", "origin")
    orch(made[0], "sync")
    for clone in made[1:]:
        git(clone, "pull", "-q", "--ff-only")
    return remote, made


def _clone(remote: Path, folder: Path) -> Path:
    git(remote.parent, "clone", "-q", str(remote), str(folder))
    return folder


def status_of(clone: Path, task_id: str) -> str:
    return str(json.loads((clone / ".orch" / "tasks" / f"{task_id}.json").read_text())["status"])


def dirty(clone: Path, folder: str = ".orch") -> str:
    return git(clone, "status", "--porcelain", "--", folder)
