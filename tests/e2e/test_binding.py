"""Binding that holds, with the real Claude Code CLI (the pinned version and the newest): a
subagent's `orch start` binds the task to the subagent whatever form the command takes; a
caller that does not hold a task cannot move it, whatever it does to its environment; and an
`orch` call the hooks could not see is refused by orch itself."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fakeapi import FakeAPI, Script, text, tool_use
from orchfix import Plan, Task, claude_env_extra, orch, setup_orch, task_row
from test_orch_hooks import agent_id, assert_allowed, assert_denied, bash

FOUR = Plan("four", [Task(t, f"Task {t}", files=[f"src/{t.lower()}.py"]) for t in "ABCD"])


pytestmark = pytest.mark.both_versions  # each test runs on the pinned Claude Code and the newest


def test_a_subagents_orch_start_binds_it_in_every_form(
    claude_run: Any, fakeapi: FakeAPI, git_repo: Path
) -> None:
    setup_orch(git_repo, FOUR)
    (git_repo / "src").mkdir()
    forms = [
        bash("orch start A; echo rc=$?"),
        bash("cd src && orch start B --brief && cd .."),
        bash("(orch start C --brief) 2>&1"),  # piped into a program, it would run in the write jail
        bash(f"{orch_path()} start 'D' && echo started"),
    ]
    releases = [bash(f"orch move {t} queued") for t in "ABC"]
    turns: list[list[dict[str, Any]]] = []
    for form, release in zip(forms, [*releases, None], strict=True):
        turns.append([form])
        if release is not None:
            turns.append([release])
    # The Agent tool's default: in the background on the newest CLI, in the foreground on the pinned.
    agent = tool_use("Agent", {"description": "forms", "prompt": "SUBAGENT-F: start the tasks",
                               "subagent_type": "general-purpose"})
    script = Script().main([agent], [text("Done.")])
    script.subagent("SUBAGENT-F", [*turns, [text("All started.")]])
    fakeapi.script = script

    result = claude_run("Start the tasks in a subagent", env=claude_env_extra())

    assert script.pending() == {"main": 0, "SUBAGENT-F": 0}, result.describe()
    sub = agent_id(fakeapi, "SUBAGENT-F")
    for form, task_id in zip(forms, "ABCD", strict=True):
        said = assert_allowed(fakeapi, form)
        assert f"Started {task_id}, bound to {sub}." in said, (form["input"]["command"], said)
    for release in releases:
        assert_allowed(fakeapi, release)
    assert task_row(git_repo, "D")["bound_to"] == sub


def test_a_task_held_by_another_caller_cannot_be_moved(
    claude_run: Any, fakeapi: FakeAPI, git_repo: Path
) -> None:
    setup_orch(git_repo, FOUR)
    orch(git_repo, "start", "A", "--agent", "other-agent")  # a live holder elsewhere
    attempts = [
        bash("orch done A"),
        bash("env -u CLAUDE_CODE_SESSION_ID orch done A"),
        bash("CLAUDE_CODE_SESSION_ID=other-agent orch block A --reason mine"),
        bash("orch move A queued --agent other-agent"),
        bash("orch unlock --task A"),
    ]
    fakeapi.script = Script().main(*[[call] for call in attempts], [text("Refused, as expected.")])

    result = claude_run("Try to finish task A", env=claude_env_extra())

    assert result.result_text == "Refused, as expected.", result.describe()
    for call in attempts[:3] + attempts[4:]:
        assert_denied(fakeapi, call, "held by other-agent", "only its holder")
    assert_denied(fakeapi, attempts[3], "--agent other-agent")
    row = task_row(git_repo, "A")
    assert (row["status"], row["bound_to"]) == ("in_progress", "other-agent")


def test_an_orch_call_the_hooks_cannot_see_is_refused_by_orch(
    claude_run: Any, fakeapi: FakeAPI, git_repo: Path
) -> None:
    setup_orch(git_repo, FOUR)
    start = bash("orch start B")
    script_file = git_repo / "finish.sh"
    hidden = tool_use("Write", {"file_path": str(script_file), "content": "orch block B --reason hidden\n"})
    run = bash("sh finish.sh")
    fakeapi.script = Script().main([start], [hidden], [run], [text("Tried.")])

    result = claude_run("Start B, then block it from a script", env=claude_env_extra())

    assert result.result_text == "Tried.", result.describe()
    assert_allowed(fakeapi, start)
    said = fakeapi.tool_result_text(run["id"])
    # refused by orch (no grant for the caller) or, where the write jail runs, by the kernel first
    assert "could not see who runs this `orch block`" in said or "ran inside orch's write jail" in said, said
    assert task_row(git_repo, "B")["status"] == "in_progress"
    session = next(e["session_id"] for e in result.of_type("system", "init"))
    assert re.search(rf"Started B, bound to {re.escape(session)}", fakeapi.tool_result_text(start["id"]))


def orch_path() -> str:
    """The venv's orch by absolute path (as the plugin's launcher path would be written)."""
    from orchfix import ORCH

    return str(ORCH)
