"""Stop/SubagentStop gates, PostToolUse artifacts and fast checks, SessionStart briefing, SessionEnd."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orchestrator.hooks import index
from tests.conftest import Orch
from tests.hooks.conftest import payload, run_hook


def _gate(orch: Orch, command: str) -> None:
    orch(
        "config", "gates", json.dumps([{"name": "check", "command": command, "kind": "plain", "timeout": 10}])
    )


def _stop(
    planned: Path, active: bool = False, session: str = "sess-1", agent: str | None = None
) -> dict[str, Any]:
    if agent:
        return payload(
            "SubagentStop", cwd=str(planned), session_id=session, agent_id=agent, stop_hook_active=active
        )
    return payload("Stop.first", cwd=str(planned), session_id=session, stop_hook_active=active)


def test_stop_without_a_bound_task_is_silent(planned: Path) -> None:
    run = run_hook("Stop", _stop(planned))
    assert (run.code, run.stdout) == (0, "")


def test_stop_blocks_while_the_gate_fails_then_allows(planned: Path, orch: Orch) -> None:
    _gate(orch, "test -f ok.txt || { echo missing ok.txt; exit 3; }")
    orch("start", "A", "--agent", "sess-1")
    run = run_hook("Stop", _stop(planned))
    assert set(run.json) == {"decision", "reason"} and run.json["decision"] == "block"
    assert "gate 'check'" in run.json["reason"] and "missing ok.txt" in run.json["reason"]
    (planned / "ok.txt").write_text("ok\n")
    assert run_hook("Stop", _stop(planned, active=True)).stdout == ""


def test_subagent_stop_uses_the_agents_binding(planned: Path, orch: Orch) -> None:
    _gate(orch, "false")
    orch("start", "A", "--agent", "agent-a")
    assert run_hook("SubagentStop", _stop(planned, agent="agent-a")).json["decision"] == "block"
    assert run_hook("SubagentStop", _stop(planned, agent="agent-other")).stdout == ""


def test_consecutive_blocks_hand_over_to_the_human(planned: Path, orch: Orch) -> None:
    _gate(orch, "false")
    orch("config", "stop.max_blocks", "2")
    orch("start", "A", "--agent", "sess-1")
    assert run_hook("Stop", _stop(planned)).json["decision"] == "block"
    assert run_hook("Stop", _stop(planned, active=True)).json["decision"] == "block"
    third = run_hook("Stop", _stop(planned, active=True)).json
    assert "decision" not in third and "hands over to you" in third["systemMessage"]
    assert run_hook("Stop", _stop(planned)).json["decision"] == "block", "a new turn counts from zero"


def test_a_gate_that_times_out_has_failed(planned: Path, orch: Orch) -> None:
    orch(
        "config",
        "gates",
        json.dumps([{"name": "slow", "command": "sleep 30", "kind": "plain", "timeout": 1}]),
    )
    orch("start", "A", "--agent", "sess-1")
    run = run_hook("Stop", _stop(planned), timeout=15)
    assert run.json["decision"] == "block" and "timed out" in run.json["reason"]


def test_unchanged_tree_reuses_the_last_gate_result(planned: Path, orch: Orch) -> None:
    counter = planned.parent / "runs.log"  # outside the tree: writing it must not change the tree
    _gate(orch, f"echo run >> {counter}; false")
    orch("start", "A", "--agent", "sess-1")
    run_hook("Stop", _stop(planned))
    run_hook("Stop", _stop(planned, active=True))
    assert counter.read_text().count("run") == 1


def test_post_tool_use_records_artifacts(planned: Path, orch: Orch) -> None:
    orch("start", "A", "--agent", "sess-1")
    data = payload(
        "PostToolUse.Write",
        cwd=str(planned),
        session_id="sess-1",
        tool_input={"file_path": str(planned / "docs/design.md"), "content": "x"},
    )
    assert run_hook("PostToolUse", data).stdout == ""
    task = json.loads((planned / ".orch/tasks/A.json").read_text())
    assert task["artifacts"] == ["docs/design.md"]


def test_post_tool_use_fast_check_failure_reaches_the_model(planned: Path, orch: Orch) -> None:
    orch(
        "config",
        "fast_checks",
        json.dumps([{"glob": "**/*.py", "command": "grep -q TODO {path} && exit 1 || exit 0"}]),
    )
    (planned / "src").mkdir()
    (planned / "src/x.py").write_text("# TODO\n")
    data = payload(
        "PostToolUse.Write",
        cwd=str(planned),
        tool_input={"file_path": str(planned / "src/x.py"), "content": "# TODO\n"},
    )
    run = run_hook("PostToolUse", data)
    assert run.json["decision"] == "block" and "fast check failed" in run.json["reason"]


def test_session_start_briefing(planned: Path, orch: Orch) -> None:
    orch("start", "A", "--agent", "sess-1")
    run = run_hook("SessionStart", payload("SessionStart", cwd=str(planned), session_id="sess-1"))
    context = run.json["hookSpecificOutput"]["additionalContext"]
    assert run.json["hookSpecificOutput"]["hookEventName"] == "SessionStart"
    assert "0/4 tasks completed" in context and "bound to task A" in context and "Rules in force" in context
    assert len(context) < 2000


def test_session_start_briefing_leaves_out_dispatched_tasks(planned: Path, orch: Orch) -> None:
    def ready_line() -> str:
        run = run_hook("SessionStart", payload("SessionStart", cwd=str(planned), session_id="sess-2"))
        context = run.json["hookSpecificOutput"]["additionalContext"]
        return next((line for line in context.splitlines() if line.startswith("Ready next:")), "")

    ready = [t["id"] for t in json.loads(orch("next", "--json")[1])["ready"]]
    assert all(task_id in ready_line() for task_id in ready)
    assert orch("dispatch", ready[0])[0] == 0
    assert f"{ready[0]} " not in ready_line()


def test_session_start_briefing_orders_ready_work_like_orch_next(repo: Path, orch: Orch) -> None:
    (repo / "plan.md").write_text(
        "---\nid: p\n---\n## a: Alpha\n- estimate: 5h\n- category: feature\n- files: a.py\n\n"
        "## b: Beta\n- estimate: 1h\n- category: feature\n- files: b.py\n\n"
        "## c: Gamma\n- estimate: 3h\n- category: bug\n- files: c.py\n"
    )
    assert orch("init")[0] == 0 and orch("plan", "add", "plan.md")[0] == 0

    def ready_line() -> str:
        run = run_hook("SessionStart", payload("SessionStart", cwd=str(repo), session_id="sess-3"))
        context = run.json["hookSpecificOutput"]["additionalContext"]
        return next(line for line in context.splitlines() if line.startswith("Ready next:"))

    def next_order() -> list[str]:
        return [t["id"] for t in json.loads(orch("next", "--json")[1])["ready"]]

    for setting, value, order in [("schedule.strategy", "priority", ["b", "c", "a"]),
                                  ("schedule.strategy", "fifo", ["a", "b", "c"]),
                                  ("schedule.mix", '{"bug": 1, "feature": 1}', ["c", "a", "b"])]:
        assert orch("config", setting, value)[0] == 0
        assert next_order() == order
        titles = {"a": "Alpha", "b": "Beta", "c": "Gamma"}
        assert ready_line() == "Ready next: " + "; ".join(f"{tid} {titles[tid]} (medium)" for tid in order)


def test_session_end_releases_the_sessions_leases(planned: Path, orch: Orch) -> None:
    orch("start", "A", "--agent", "agent-a")
    write = payload(
        "PreToolUse.Write",
        cwd=str(planned),
        session_id="sess-end",
        agent_id="agent-a",
        tool_input={"file_path": str(planned / "shared.txt"), "content": "x"},
    )
    run_hook("PreToolUse", write)
    assert json.loads(orch("locks", "--json")[1])["leases"]
    assert run_hook("SessionEnd", payload("SessionEnd", cwd=str(planned), session_id="sess-end")).stdout == ""
    assert json.loads(orch("locks", "--json")[1])["leases"] == []


def test_a_task_of_an_ended_session_can_be_taken_over(planned: Path, orch: Orch, monkeypatch: Any) -> None:
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", "old-session")
    orch("start", "A")
    run_hook("SessionEnd", payload("SessionEnd", cwd=str(planned), session_id="old-session"))
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", "new-session")
    assert orch("start", "A")[0] == 0
    assert json.loads(orch("status", "--json")[1])["tasks"][0]["bound_to"] == "new-session"


def test_recording_artifacts_does_not_invalidate_the_hook_index(planned: Path, orch: Orch) -> None:
    orch("start", "A", "--agent", "sess-1")
    current = Path(index.index_dir(str(planned / ".orch"), str(planned / ".git" / "orch"))) / "current"
    generation = json.loads(current.read_text())[1]
    data = payload("PostToolUse.Write", cwd=str(planned), session_id="sess-1",
                   tool_input={"file_path": str(planned / "docs/design.md"), "content": "x"})
    run_hook("PostToolUse", data)
    stamp, kept = json.loads(current.read_text())
    assert kept == generation
    assert stamp == str((planned / ".orch" / "tasks").stat().st_mtime_ns)
