"""The tasks-folder monitor through the real Claude Code CLI (pinned and newest): the SessionStart
hook starts it in the background without holding the session up, it outlives the hook, and after
a task file changed behind orch's back between two sessions (a teammate's `git pull`), the next
tool call is judged on the new state and the index is kept against the monitor's token (that a
refresh then reads only the files the monitor names is tests/unit/test_fsmonitor_use.py's)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest
from claude import ClaudeRun
from fakeapi import FakeAPI, Script, text, tool_use
from orchfix import Plan, Task, claude_env_extra, setup_orch

from orchestrator import paths
from orchestrator.fsmonitor import client
from orchestrator.hooks import index

pytestmark = [pytest.mark.both_versions,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux only")]

PLAN = Plan("mon", [Task("A", "Task A", files=["src/a.py"]),
                    Task("B", "Task B", depends_on=["A"], files=["src/b.py"])])


def _env() -> dict[str, str | None]:
    return claude_env_extra() | {client.ENV: "1"}


def _index_token(repo: Path) -> str | None:
    state = str(repo / ".orch")
    current = json.loads(Path(index.index_dir(state, paths.runtime_dir(repo)), "current").read_text())
    return current[2] if len(current) > 2 else None


def test_the_monitor_outlives_session_start_and_names_an_outside_change(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup_orch(git_repo, PLAN)
    monkeypatch.setenv(client.ENV, "1")
    tasks = str(git_repo / ".orch" / "tasks")
    first = tool_use("Write", {"file_path": str(git_repo / "src" / "b.py"), "content": "b = 1\n"})
    fakeapi.script = Script().main([first], [text("Refused.")])
    try:
        result = claude_run("Write B", env=_env())
        assert result.result_text == "Refused.", result.describe()
        assert fakeapi.tool_result_is_error(first["id"]), fakeapi.tool_result_text(first["id"])
        deadline = time.monotonic() + 20  # it starts in the background: give a loaded machine time
        while (asked := client.changes(tasks, None)) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert asked is not None, "no monitor answers after the session ended"
        monitor = asked[0].split(".")[0]  # `<pid>-<random>`

        a = git_repo / ".orch" / "tasks" / "A.json"  # a teammate's A, completed, pulled in
        done = json.loads(a.read_text()) | {"status": "completed"}
        a.unlink()
        a.write_text(json.dumps(done))
        time.sleep(0.05)  # past the racy window of the folder's new stamp

        second = tool_use("Write", {"file_path": str(git_repo / "src" / "b.py"), "content": "b = 2\n"})
        fakeapi.script = Script().main([second], [text("Written.")])
        result = claude_run("Write B again", env=_env())
        assert result.result_text == "Written.", result.describe()
        assert not fakeapi.tool_result_is_error(second["id"]), fakeapi.tool_result_text(second["id"])
        token = _index_token(git_repo)
        assert token is not None and token.split(".")[0] == monitor, token  # the index follows it now
        assert os.path.exists(f"/proc/{monitor.split('-')[0]}")
    finally:
        client.stop(tasks)
