"""Team mode through the real Claude Code CLI (pinned and newest): with `sync.on_session`, the
SessionStart hook starts `orch sync` in the background, so what this clone did reaches the
remote without anyone running it, while the hook answers at once and never waits on the network;
and a task another clone claimed is refused to this clone's agent with the claimer's name."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from claude import ClaudeRun, git
from fakeapi import FakeAPI, Script, text, tool_use
from orchfix import Plan, Task, bash_results, claude_env_extra, orch, setup_orch, task_row

pytestmark = pytest.mark.both_versions

PLAN = Plan("team", [Task("alpha-e2e", "Alpha", files=["src/alpha.py"]), Task("beta-e2e", "Beta")])


def _team(tmp_path: Path, repo: Path) -> tuple[Path, Path]:
    """A bare remote holding `repo` with the plan loaded and team mode on, and a second clone."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    setup_orch(repo, PLAN, config={"sync.remote": "origin", "sync.on_session": True})
    orch(repo, "sync")
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(remote), str(other))
    orch(other, "init", "--no-hooks")  # registers the merge driver in this clone's git config
    return remote, other


def _remote_status(remote: Path, task_id: str) -> str | None:
    try:
        return str(json.loads(git(remote, "show", f"main:.orch/tasks/{task_id}.json"))["status"])
    except Exception:  # noqa: BLE001 - not there (yet)
        return None


def test_session_start_syncs_in_the_background(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path, tmp_path: Path
) -> None:
    remote, _other = _team(tmp_path, git_repo)
    orch(git_repo, "start", "beta-e2e", "--agent", "dev-here")  # claimed on the remote, not synced
    assert _remote_status(remote, "beta-e2e") == "queued"
    fakeapi.script = Script().main([text("Nothing to do.")])

    result = claude_run("Say hello", env=claude_env_extra())
    assert result.result_text == "Nothing to do.", result.describe()

    deadline = time.monotonic() + 30
    while _remote_status(remote, "beta-e2e") != "in_progress" and time.monotonic() < deadline:
        time.sleep(0.3)
    log = git_repo / ".git" / "orch" / "sync.log"
    said = log.read_text() if log.exists() else "no sync.log"
    assert _remote_status(remote, "beta-e2e") == "in_progress", said


def test_a_task_another_clone_claimed_is_refused_with_its_claimer(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path, tmp_path: Path
) -> None:
    _remote, other = _team(tmp_path, git_repo)
    orch(other, "start", "alpha-e2e", "--agent", "dev-elsewhere")  # the other clone wins alpha
    start = tool_use("Bash", {"command": "orch start alpha-e2e", "description": "start alpha"})
    fakeapi.script = Script().main([start], [text("Refused.")])

    result = claude_run("Start alpha", env=claude_env_extra())
    assert result.result_text == "Refused.", result.describe()
    (answer,) = bash_results(fakeapi, [start["id"]])
    assert "claimed by dev-elsewhere" in answer, answer
    assert task_row(git_repo, "alpha-e2e")["status"] == "queued"
