"""The Bash analyser and git: history brought forward is normal work; a subcommand that can
rewind or discard the work tree is recorded for the hook to resolve with git (`gitguard`)."""

from __future__ import annotations

import pytest

from orchestrator.hooks.bash import written_paths

REPO = "/repo"


@pytest.mark.parametrize(
    ("command", "name", "args", "cwd"),
    [
        ("git stash", "stash", (), REPO),
        ("git stash pop", "stash", ("pop",), REPO),
        ("git clean -fdx", "clean", ("-fdx",), REPO),
        ("git reset --hard HEAD", "reset", ("--hard", "HEAD"), REPO),
        ("git checkout main", "checkout", ("main",), REPO),
        ("git checkout -- .orch", "checkout", ("--", ".orch"), REPO),
        ("git restore .orch/tasks/T1.json", "restore", (".orch/tasks/T1.json",), REPO),
        ("git -C .orch checkout HEAD -- tasks", "checkout", ("HEAD", "--", "tasks"), "/repo/.orch"),
        ("git apply fix.diff", "apply", ("fix.diff",), REPO),
        ("cd sub; git read-tree -u --reset HEAD", "read-tree", ("-u", "--reset", "HEAD"), "/repo/sub"),
        ("git revert --no-edit abc123", "revert", ("--no-edit", "abc123"), REPO),
        ("true && git bisect start", "bisect", ("start",), REPO),
    ],
)
def test_stateful_git_is_recorded_for_the_hook(
    command: str, name: str, args: tuple[str, ...], cwd: str
) -> None:
    found = written_paths(command, REPO)
    assert found.paths == () and found.opaque == ()
    ops = [op for op in found.git if op.cwd == cwd]
    assert [(op.name, op.args) for op in ops] == [(name, args)]


@pytest.mark.parametrize(
    "command", ["git pull", "git pull --rebase origin main", "git merge feature", "git rebase main",
                "git cherry-pick abc", "git status", "git commit -am x", "git log -p -- .orch"]
)
def test_history_brought_forward_writes_nothing(command: str) -> None:
    found = written_paths(command, REPO)
    assert (found.paths, found.opaque, found.git) == ((), (), ())


def test_a_here_document_patch_and_a_piped_one_are_told_apart() -> None:
    heredoc = written_paths("git apply <<'EOF'\n--- a/x\n+++ b/x\nEOF", REPO).git[0]
    assert heredoc.stdin is not None and "+++ b/x" in heredoc.stdin and not heredoc.piped
    piped = written_paths("cat x.patch | git apply", REPO).git[0]
    assert piped.stdin is None and piped.piped


def test_an_unknown_argument_is_flagged() -> None:
    assert written_paths('git reset --hard "$REV"', REPO).git[0].dynamic


def test_git_rm_and_mv_still_name_their_paths() -> None:
    assert written_paths("git rm -r -q .orch", REPO).paths == ("/repo/.orch",)
