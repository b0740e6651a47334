"""git may bring recorded history forward but not rewind or discard orch's state: each command
that can rewind or discard the work tree is resolved with git to the files it would change, and
those files are checked like any other write. Both sides of each rule, in real repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import Orch, git
from tests.hooks.conftest import run_hook
from tests.hooks.test_binding_rules import bash

PATCH_ORCH = """diff --git a/.orch/config.json b/.orch/config.json
--- a/.orch/config.json
+++ b/.orch/config.json
@@ -1 +1 @@
-x
+y
"""
PATCH_SRC = PATCH_ORCH.replace(".orch/config.json", "src/own.py")


def commit(repo: Path, message: str = "work") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def history(planned: Path) -> Path:
    """The plan committed, then one more commit; .orch/ clean and equal to HEAD."""
    commit(planned, "plan")
    (planned / "src").mkdir()
    (planned / "src" / "own.py").write_text("x = 1\n")
    commit(planned, "code")
    return planned


@pytest.fixture
def dirty(history: Path, orch: Orch) -> Path:
    """`history` with an uncommitted change of orch's state (task A started)."""
    assert orch("start", "A", "--agent", "agent-a")[0] == 0
    assert git(history, "status", "--porcelain", "--", ".orch")
    return history


def denied(repo: Path, command: str) -> str | None:
    return run_hook("PreToolUse", bash(repo, command, caller="sess-1")).denied


@pytest.mark.parametrize(
    "command",
    [
        "git checkout -- .",
        "git checkout -- .orch",
        "git checkout HEAD -- .orch/tasks",
        "git restore .orch",
        "git restore --source HEAD .",
        "git reset --hard",
        "git reset --hard HEAD",
        "git stash",
        "git stash push -m wip",
        "git checkout -f main",
        "git switch --discard-changes main",
        "git checkout-index -a -f",
    ],
)
def test_discarding_orchs_uncommitted_state_is_refused(dirty: Path, command: str) -> None:
    reason = denied(dirty, command)
    assert reason is not None, command
    assert ".orch/" in reason and "rewind or discard orch's state" in reason


@pytest.mark.parametrize(
    "command", ["git checkout HEAD~1 -- .orch", "git reset --hard HEAD~1", "git read-tree --reset -u HEAD~2",
                "git restore --source HEAD~1 -- .orch/plans", "git checkout HEAD~3 -- ."]
)
def test_rewinding_recorded_state_is_refused(history: Path, command: str) -> None:
    # commits: initial (no .orch/), plan, code, then "more state": every older one lacks extra.txt
    (history / ".orch" / "plans" / "extra.txt").write_text("x")
    commit(history, "more state")
    reason = denied(history, command)
    assert reason is not None and "orch's own state" in reason, command


@pytest.mark.parametrize(
    "command",
    [
        "git stash",
        "git reset --hard",
        "git checkout -- .",
        "git restore .",
        "git checkout -- src/own.py",
        "git stash push -- ':!.orch'",
        "git clean -fd",
        "git pull --ff-only",
        "git merge --ff-only main",
        "git rebase main",
        "git cherry-pick --abort",
        "git checkout -b feature",
        "git switch main",
        "git reset --soft HEAD~1",
        "git apply --check fix.patch",
        "git bisect log",
        "git stash list",
    ],
)
def test_commands_that_leave_orchs_state_alone_are_allowed(history: Path, command: str) -> None:
    (history / "src" / "own.py").write_text("x = 2\n")  # a change of the agent's own
    (history / "fix.patch").write_text(PATCH_SRC)
    assert denied(history, command) is None, command


def test_stash_with_orch_changes_is_allowed_once_they_are_committed(dirty: Path) -> None:
    assert denied(dirty, "git stash") is not None
    commit(dirty, "orch state")
    assert denied(dirty, "git stash") is None


def test_git_clean_reaching_untracked_orch_files_is_refused(history: Path) -> None:
    (history / ".orch" / "tasks" / "new.json").write_text("{}")
    assert denied(history, "git clean -fd") is not None
    assert denied(history, "git clean -fd src") is None
    assert denied(history, "git clean -n") is None


def test_git_clean_with_x_reaches_the_ignored_lock_file(history: Path) -> None:
    assert (history / ".orch" / ".lock").exists()
    assert denied(history, "git clean -fdx") is not None
    assert denied(history, "git clean -fdX") is not None


def test_untracked_orch_files_are_protected_from_stash_u(history: Path) -> None:
    (history / ".orch" / "tasks" / "new.json").write_text("{}")
    assert denied(history, "git stash -u") is not None
    assert denied(history, "git stash") is None


def test_a_patch_touching_orch_state_is_refused(history: Path) -> None:
    (history / "orch.patch").write_text(PATCH_ORCH)
    (history / "src.patch").write_text(PATCH_SRC)
    assert denied(history, "git apply orch.patch") is not None
    assert denied(history, f"git apply <<'EOF'\n{PATCH_ORCH}EOF") is not None
    assert denied(history, "git apply src.patch") is None
    reason = denied(history, "cat orch.patch | git apply")
    assert reason is not None and "save it to a file" in reason


def test_git_am_of_a_mailbox_touching_orch_is_refused(history: Path) -> None:
    (history / "mail.mbox").write_text("From 1 Mon Sep 17 00:00:00 2001\nSubject: x\n\n---\n" + PATCH_ORCH)
    assert denied(history, "git am mail.mbox") is not None
    assert denied(history, "git am --abort") is None


def test_reverting_a_commit_that_recorded_orch_state_is_refused(history: Path) -> None:
    plan_commit = git(history, "rev-list", "-1", "HEAD~1")
    assert denied(history, f"git revert --no-edit {plan_commit}") is not None
    assert denied(history, "git revert --no-edit HEAD") is None  # the code commit


@pytest.mark.parametrize("command", ["git bisect start", "git bisect bad HEAD", "git filter-branch -f HEAD",
                                     "git sparse-checkout set src"])
def test_history_rewinders_are_refused_with_a_way_out(history: Path, command: str) -> None:
    reason = denied(history, command)
    assert reason is not None and ("work tree" in reason or "a human runs it" in reason)


def test_discarding_another_agents_leased_file_is_refused(dirty: Path) -> None:
    lease = bash(dirty, "echo y > src/own.py", caller="agent-a")
    assert run_hook("PreToolUse", lease).denied is None  # agent-a takes the lease
    (dirty / "src" / "own.py").write_text("y = 1\n")
    git(dirty, "add", ".orch")
    git(dirty, "commit", "-q", "-m", "orch state")
    reason = run_hook("PreToolUse", bash(dirty, "git checkout -- src", caller="agent-b")).denied
    assert reason is not None and "leased by task A" in reason


def test_a_git_command_the_hook_cannot_read_is_refused(history: Path) -> None:
    reason = denied(history, 'git reset --hard "$REV"')
    assert reason is not None and "Write it out" in reason


def test_the_hook_starts_git_only_for_such_commands(history: Path, tmp_path: Path) -> None:
    trace = tmp_path / "git-calls"
    shim = tmp_path / "bin"
    shim.mkdir()
    real = subprocess.run(["which", "git"], capture_output=True, text=True, check=True).stdout.strip()
    (shim / "git").write_text(f'#!/bin/sh\necho "$@" >> {trace}\nexec {real} "$@"\n')
    (shim / "git").chmod(0o755)
    import os

    env = {**os.environ, "PATH": f"{shim}:{os.environ['PATH']}"}
    for command in ("git status", "git add -A", "git commit -m x", "echo hi > notes.txt", "git pull"):
        run_hook("PreToolUse", bash(history, command, caller="sess-1"), env=env)
    assert not trace.exists()
    run_hook("PreToolUse", bash(history, "git stash", caller="sess-1"), env=env)
    assert trace.read_text().startswith("--no-pager")
