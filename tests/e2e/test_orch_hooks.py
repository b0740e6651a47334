"""orch's hooks, registered by ``orch init`` in ``.claude/settings.json``, enforcing a plan on
the real Claude Code CLI (headless, scripted by the fake API).

Every test sets orch up in a fresh git repo with the venv's CLI, then lets the fake model make
the moves a real one would: write files out of order, touch ``.orch/``, run subagents that
fight over a file, try to stop while a gate fails. Assertions are on the work tree, the tool
results the model got back, the Stop feedback it saw and orch's own state.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from claude import ClaudeRun
from fakeapi import FakeAPI, Script, last_user_text, text, tool_use
from orchfix import (
    STOP_FEEDBACK,
    Gate,
    Plan,
    Task,
    claude_env_extra,
    leases,
    main_stop_feedbacks,
    orch_json,
    parse_json_output,
    request_text,
    setup_orch,
    stop_feedbacks,
    task_row,
)

A_THEN_B = Plan(
    "seq",
    [
        Task("A", "First task", files=["src/a.py"]),
        Task("B", "Second task", depends_on=["A"], files=["src/b.py"]),
    ],
)
A_AND_B = Plan("par", [Task("A", "Task A", files=["src/a.py"]), Task("B", "Task B", files=["src/b.py"])])

pytestmark = pytest.mark.both_versions  # on the pinned Claude Code and on the newest


def bash(command: str) -> dict[str, Any]:
    return tool_use("Bash", {"command": command, "description": command[:40]})


def write(path: Path, content: str) -> dict[str, Any]:
    return tool_use("Write", {"file_path": str(path), "content": content})


def assert_denied(fakeapi: FakeAPI, call: dict[str, Any], *needles: str) -> str:
    """The tool call was refused by orch's PreToolUse hook, with every needle in the reason."""
    got = fakeapi.tool_result_text(call["id"])
    assert fakeapi.tool_result_is_error(call["id"]), f"{call['name']} was not refused: {got!r}"
    assert "orch: " in got, f"not an orch denial: {got!r}"
    for needle in needles:
        assert needle in got, f"{needle!r} not in the denial: {got!r}"
    return got


def assert_allowed(fakeapi: FakeAPI, call: dict[str, Any]) -> str:
    got = fakeapi.tool_result_text(call["id"])
    assert not fakeapi.tool_result_is_error(call["id"]), f"{call['name']} was refused: {got!r}"
    return got


def agent_id(fakeapi: FakeAPI, lane: str) -> str:
    """The one ``x-claude-code-agent-id`` of a subagent lane: the ``agent_id`` its hooks get."""
    ids = {r.agent_id for r in fakeapi.message_requests(lane)}
    assert len(ids) == 1, f"{lane}: agent ids {ids}"
    found = ids.pop()
    assert found, f"{lane}: requests without an agent id"
    return found


# --------------------------------------------------------------------------- order


def test_out_of_order_write_is_refused(claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path) -> None:
    setup_orch(git_repo, A_THEN_B)
    target = git_repo / "src" / "b.py"
    w = write(target, "print('b')\n")
    fakeapi.script = Script().main([text("Starting with B."), w], [text("Refused, as expected.")])

    result = claude_run("Implement B", env=claude_env_extra())

    assert result.result_text == "Refused, as expected.", result.describe()
    assert not target.exists()
    assert_denied(fakeapi, w, "belongs to task B", "A (queued)", "/orch:next")
    assert fakeapi.script.pending() == {"main": 0}
    assert task_row(git_repo, "B")["status"] == "queued"


# --------------------------------------------------------------------------- .orch/


# Ways a model writes a file from Bash; each must be refused when the file is under .orch/.
BASH_WRITES_TO_STATE = (
    "echo x > .orch/tasks/A.json",
    "echo x >> .orch/config.json",
    "echo x | tee .orch/tasks/A.json",
    "sed -i s/queued/completed/ .orch/tasks/A.json",
    "cp README.md .orch/config.json",
    "mv .orch/tasks/A.json /tmp/",
    "rm -f .orch/tasks/B.json",
    "python3 -c \"open('.orch/tasks/A.json', 'w').write('x')\"",
)


def test_orch_state_is_protected(claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path) -> None:
    setup_orch(git_repo, A_THEN_B)
    state = git_repo / ".orch"
    before = {p: p.read_bytes() for p in sorted(state.rglob("*")) if p.is_file()}
    shells = [bash(c) for c in BASH_WRITES_TO_STATE]
    w = write(state / "config.json", '{"policy": {}}\n')
    fakeapi.script = Script().main(*([c] for c in shells), [w], [text("Left .orch alone.")])

    result = claude_run("Mark A done by hand", env=claude_env_extra())

    assert result.result_text == "Left .orch alone.", result.describe()
    assert fakeapi.script.pending() == {"main": 0}
    for call in shells:
        assert_denied(fakeapi, call, ".orch/", "orch's own state")
    assert_denied(fakeapi, shells[0], ".orch/tasks/A.json")
    assert_denied(fakeapi, w, ".orch/config.json", "orch's own state")
    after = {p: p.read_bytes() for p in sorted(state.rglob("*")) if p.is_file()}
    changed = [str(p.relative_to(git_repo)) for p in before if after.get(p) != before[p]]
    assert not changed, f"orch state changed by the model: {changed}"
    assert task_row(git_repo, "A")["status"] == "queued"


# --------------------------------------------------------------------------- subagents and leases


def test_subagents_bind_their_own_tasks_and_leases_conflict(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path
) -> None:
    """Two subagents, run one after the other: each `orch start`s its task through Bash (bound,
    via the hook hand-over, to its own agent id), A's writes take leases, and B can touch
    neither A's declared file nor a file A leased."""
    setup_orch(git_repo, A_AND_B)
    a_py, b_py, shared = (
        git_repo / "src" / "a.py",
        git_repo / "src" / "b.py",
        git_repo / "notes" / "shared.md",
    )

    start_a, start_b = bash("orch start A"), bash("orch start B")
    a_write, a_shared = write(a_py, "A = 1\n"), write(shared, "by A\n")
    b_read_a = tool_use("Read", {"file_path": str(a_py)})
    b_edit_a = tool_use("Edit", {"file_path": str(a_py), "old_string": "A = 1", "new_string": "A = 'b'"})
    b_shared, b_write_b = write(shared, "by B\n"), write(b_py, "B = 1\n")
    state = bash("orch status --json")
    locks = bash("orch locks --json")

    def agent(key: str) -> dict[str, Any]:
        return tool_use(
            "Agent",
            {
                "description": f"work on {key}",
                "prompt": f"{key}: run `orch start`, then implement your task",
                "subagent_type": "general-purpose",
                "run_in_background": False,
            },
        )

    agent_a, agent_b = agent("SUBAGENT-A"), agent("SUBAGENT-B")
    script = Script().main([agent_a], [agent_b], [state, locks], [text("Both subagents reported.")])
    script.subagent("SUBAGENT-A", [[start_a], [a_write], [a_shared], [text("A implemented.")]])
    script.subagent(
        "SUBAGENT-B", [[start_b], [b_read_a], [b_edit_a], [b_shared], [b_write_b], [text("B implemented.")]]
    )
    fakeapi.script = script

    result = claude_run("Run tasks A and B with subagents", env=claude_env_extra())

    assert result.result_text == "Both subagents reported.", result.describe()
    assert script.pending() == {"main": 0, "SUBAGENT-A": 0, "SUBAGENT-B": 0}
    id_a, id_b = agent_id(fakeapi, "SUBAGENT-A"), agent_id(fakeapi, "SUBAGENT-B")
    assert id_a != id_b

    # `orch start` from inside each subagent bound the task to that subagent, not the session.
    assert_allowed(fakeapi, start_a)
    assert_allowed(fakeapi, start_b)
    assert id_a in fakeapi.tool_result_text(start_a["id"])
    assert id_b in fakeapi.tool_result_text(start_b["id"])
    live_status = parse_json_output(assert_allowed(fakeapi, state))
    bound = {t["id"]: t["bound_to"] for t in live_status["tasks"]}
    assert bound == {"A": id_a, "B": id_b}

    # A's writes went through and took leases held by A's agent.
    assert_allowed(fakeapi, a_write)
    assert_allowed(fakeapi, a_shared)
    live_leases = {x["path"]: x for x in parse_json_output(assert_allowed(fakeapi, locks))["leases"]}
    assert live_leases["src/a.py"]["task"] == "A" and live_leases["src/a.py"]["holder"] == id_a
    assert live_leases["notes/shared.md"]["task"] == "A" and live_leases["notes/shared.md"]["holder"] == id_a
    assert live_leases["src/b.py"]["task"] == "B" and live_leases["src/b.py"]["holder"] == id_b

    # B was refused A's declared file and A's leased file, and wrote its own.
    assert "A = 1" in assert_allowed(fakeapi, b_read_a)
    got = assert_denied(fakeapi, b_edit_a, "src/a.py")
    assert "belongs to task A" in got or "leased by task A" in got, got
    assert_denied(fakeapi, b_shared, "notes/shared.md", "leased by task A")
    assert_allowed(fakeapi, b_write_b)
    assert a_py.read_text() == "A = 1\n"
    assert shared.read_text() == "by A\n"
    assert b_py.read_text() == "B = 1\n"

    # After the run (SessionEnd released the session's leases) the tasks stay in progress.
    assert {t: task_row(git_repo, t)["status"] for t in ("A", "B")} == {
        "A": "in_progress",
        "B": "in_progress",
    }
    assert leases(git_repo) == {}, "SessionEnd should release the leases of the session's subagents"


def test_parallel_subagents_hand_over_and_collide(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path
) -> None:
    """The same, with both subagents in the background at once (the Agent default): each
    `orch start` is handed over to the right agent, and B, once A holds src/a.py, is refused it."""
    setup_orch(git_repo, A_AND_B)
    a_py, b_py = git_repo / "src" / "a.py", git_repo / "src" / "b.py"
    start_a, start_b = bash("orch start A"), bash("orch start B")
    a_write = write(a_py, "A = 1\n")
    # B waits (in its own Bash call, at most 15 s) until A holds the lease on src/a.py.
    wait = bash("timeout 15 sh -c 'until orch locks --json | grep -q src/a.py; do sleep 0.1; done'")
    b_write_a, b_write_b = write(a_py, "A = 'b'\n"), write(b_py, "B = 1\n")

    def agent(key: str) -> dict[str, Any]:
        return tool_use("Agent", {"description": f"work on {key}", "prompt": f"{key}: do your task"})

    script = Script().main([agent("SUBAGENT-A"), agent("SUBAGENT-B")])
    script.subagent("SUBAGENT-A", [[start_a], [a_write], [text("A implemented.")]])
    script.subagent("SUBAGENT-B", [[start_b], [wait], [b_write_a], [b_write_b], [text("B implemented.")]])
    fakeapi.script = script

    result = claude_run("Run tasks A and B in parallel", env=claude_env_extra())

    assert script.pending() == {"main": 0, "SUBAGENT-A": 0, "SUBAGENT-B": 0}, result.describe()
    id_a, id_b = agent_id(fakeapi, "SUBAGENT-A"), agent_id(fakeapi, "SUBAGENT-B")
    assert id_a in assert_allowed(fakeapi, start_a)
    assert id_b in assert_allowed(fakeapi, start_b)
    assert_allowed(fakeapi, a_write)
    assert_allowed(fakeapi, wait)
    got = assert_denied(fakeapi, b_write_a, "src/a.py")
    assert "belongs to task A" in got or "leased by task A" in got, got
    assert_allowed(fakeapi, b_write_b)
    assert a_py.read_text() == "A = 1\n" and b_py.read_text() == "B = 1\n"
    assert {t["id"]: t["bound_to"] for t in orch_json(git_repo, "status")["tasks"]} == {"A": id_a, "B": id_b}


def test_refused_subagent_start_leaves_no_hand_over_behind(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path
) -> None:
    """A subagent's Bash `orch start B && echo ... > src/b.py` is refused by the hook (B's file,
    B waits on A), so its `orch start` never runs. When the main thread later finishes A and
    runs `orch start B` itself, B must be bound to the main session, not to the subagent whose
    refused command left a hand-over offer in the runtime."""
    setup_orch(git_repo, A_THEN_B)
    early = bash("orch start B && echo 'B = 1' > src/b.py")
    start_a, done_a, start_b = bash("orch start A"), bash("orch done A"), bash("orch start B")
    write_a, write_b = (
        write(git_repo / "src" / "a.py", "A = 1\n"),
        write(git_repo / "src" / "b.py", "B = 1\n"),
    )
    agent = tool_use(
        "Agent",
        {
            "description": "try B",
            "prompt": "SUBAGENT-X: start task B",
            "subagent_type": "general-purpose",
            "run_in_background": False,
        },
    )
    script = Script().main(
        [agent], [start_a], [write_a], [done_a], [start_b], [write_b], [text("Main did B.")]
    )
    script.subagent("SUBAGENT-X", [[early], [text("B is not ready.")]])
    fakeapi.script = script

    result = claude_run("Do A then B", env=claude_env_extra())

    assert result.result_text == "Main did B.", result.describe()
    assert script.pending() == {"main": 0, "SUBAGENT-X": 0}
    assert_denied(fakeapi, early, "belongs to task B", "A (queued)")
    session = next(e["session_id"] for e in result.of_type("system", "init"))
    assert session in assert_allowed(fakeapi, start_a)
    assert_allowed(fakeapi, write_a)
    assert_allowed(fakeapi, done_a)
    assert task_row(git_repo, "A")["status"] == "completed"
    started_b = assert_allowed(fakeapi, start_b)
    sub_id = agent_id(fakeapi, "SUBAGENT-X")
    assert task_row(git_repo, "B")["bound_to"] == session, (
        f"B bound to {task_row(git_repo, 'B')['bound_to']} (the subagent is {sub_id}, "
        f"the session {session}); orch start said: {started_b[:200]!r}"
    )
    assert_allowed(fakeapi, write_b)
    assert (git_repo / "src" / "b.py").read_text() == "B = 1\n"


# --------------------------------------------------------------------------- Stop gates


def test_stop_is_blocked_until_the_gate_passes(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path
) -> None:
    plan = Plan(
        "gated", [Task("A", "Gated task", files=["src/a.py"])], gates=[Gate("check", "test -f ok.txt")]
    )
    setup_orch(git_repo, plan)
    start = bash("orch start A")
    ok = write(git_repo / "ok.txt", "ok\n")

    def after_block(body: dict[str, Any]) -> list[dict[str, Any]]:
        assert STOP_FEEDBACK in last_user_text(body), last_user_text(body)
        return [text("The gate wants ok.txt."), ok]

    fakeapi.script = Script().main([start], [text("I think I am done.")], after_block, [text("Now done.")])

    result = claude_run("Do task A", env=claude_env_extra())

    assert result.result_text == "Now done.", result.describe()
    assert fakeapi.script.pending() == {"main": 0}
    assert_allowed(fakeapi, start)
    feedback = main_stop_feedbacks(fakeapi)
    assert len(feedback) == 1, feedback
    assert "gate 'check'" in feedback[0] and "task A" in feedback[0], feedback[0]
    assert (git_repo / "ok.txt").read_text() == "ok\n"
    assert len(fakeapi.message_requests("main")) == 4
    assert task_row(git_repo, "A")["status"] == "in_progress"


def test_stop_hands_over_to_the_human_after_max_blocks(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path
) -> None:
    plan = Plan("failing", [Task("A", "Never green", files=["src/a.py"])], gates=[Gate("always", "false")])
    setup_orch(git_repo, plan, config={"stop.max_blocks": 2})
    start = bash("orch start A")
    stops = [[text(f"Stopping, attempt {i}.")] for i in range(1, 5)]
    fakeapi.script = Script().main([start], *stops)

    result = claude_run("Do task A", env=claude_env_extra())

    assert_allowed(fakeapi, start)
    feedback = main_stop_feedbacks(fakeapi)
    assert len(feedback) == 2, feedback
    assert all("gate 'always'" in f for f in feedback), feedback
    # Three attempts to stop: two blocked, the third let through with the hand-over.
    assert fakeapi.script.pending() == {"main": 1}, fakeapi.script.pending()
    assert result.result_text == "Stopping, attempt 3.", result.describe()
    # The hand-over is a systemMessage for the human: stream-json shows it as an
    # informational system event ("Stop says: orch: ...").
    notices = [e.get("content", "") for e in result.of_type("system", "informational")]
    handover = [n for n in notices if "hands over to you" in n]
    assert len(handover) == 1, notices
    assert handover[0].startswith("Stop says: orch: task A still fails after 2 attempts"), handover[0]
    assert task_row(git_repo, "A")["status"] == "in_progress"


def test_subagent_stop_is_blocked_until_its_gate_passes(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path
) -> None:
    """SubagentStop holds the subagent bound to the task (not the main thread) to the gate."""
    plan = Plan(
        "subgated", [Task("A", "Gated task", files=["src/a.py"])], gates=[Gate("check", "test -f ok.txt")]
    )
    setup_orch(git_repo, plan)
    start = bash("orch start A")
    ok = write(git_repo / "ok.txt", "ok\n")

    def after_block(body: dict[str, Any]) -> list[dict[str, Any]]:
        assert STOP_FEEDBACK in last_user_text(body), last_user_text(body)
        return [ok]

    agent = tool_use(
        "Agent",
        {
            "description": "do A",
            "prompt": "SUBAGENT-A: do task A",
            "subagent_type": "general-purpose",
            "run_in_background": False,
        },
    )
    script = Script().main([agent], [text("Main done.")])
    script.subagent(
        "SUBAGENT-A", [[start], [text("Sub thinks it is done.")], after_block, [text("Sub done.")]]
    )
    fakeapi.script = script

    result = claude_run("Delegate task A", env=claude_env_extra())

    assert result.result_text == "Main done.", result.describe()
    assert script.pending() == {"main": 0, "SUBAGENT-A": 0}
    sub = fakeapi.message_requests("SUBAGENT-A")
    feedback = stop_feedbacks(sub[-1].body or {})
    assert len(feedback) == 1 and "gate 'check'" in feedback[0], feedback
    assert main_stop_feedbacks(fakeapi) == []
    assert "Sub done." in fakeapi.tool_result_text(agent["id"])
    assert (git_repo / "ok.txt").exists()
    assert task_row(git_repo, "A")["bound_to"] == agent_id(fakeapi, "SUBAGENT-A")


# --------------------------------------------------------------------------- policy


def test_require_task_policy_refuses_unbound_writes(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path
) -> None:
    setup_orch(git_repo, A_AND_B, config={"policy.require_task": True})
    target = git_repo / "scratch.txt"
    w = write(target, "no task\n")
    fakeapi.script = Script().main([w], [text("Need a task first.")])

    result = claude_run("Write scratch.txt", env=claude_env_extra())

    assert result.result_text == "Need a task first.", result.describe()
    assert_denied(fakeapi, w, "no orch task is bound to you", "/orch:next")
    assert not target.exists()


# --------------------------------------------------------------------------- SessionStart


def test_session_start_briefing_reaches_the_model(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path
) -> None:
    plan = Plan(
        "brief",
        [
            Task("schema-x", "Schema", files=["db/*.sql"]),
            Task("api-x", "API", depends_on=["schema-x"], files=["src/api/*.py"]),
            Task("docs-x", "Docs", files=["docs/*.md"]),
        ],
    )
    setup_orch(git_repo, plan)
    fakeapi.script = Script().main([text("Briefed.")])

    result = claude_run("What should I do?", env=claude_env_extra())

    assert result.result_text == "Briefed.", result.describe()
    first = request_text(fakeapi.bodies[0])
    assert "orch briefing" in first, first[-3000:]
    ready = re.search(r"Ready next: ([^\n]*)", first)
    assert ready is not None, first[-3000:]
    assert "schema-x" in ready.group(1) and "docs-x" in ready.group(1), ready.group(0)
    assert "api-x" not in ready.group(1), ready.group(0)
    assert "0/3 tasks completed" in first
    assert orch_json(git_repo, "next")["ready"][0]["id"] == "schema-x"
