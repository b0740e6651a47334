"""Every bad call is a tool error (`isError`) whose text says what to do, and the server answers
the next call as if nothing happened; it exits when its stdin closes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import Orch
from tests.unit.mcp_client import Client, run, server_command

BROKEN_JSON = '[\n  {"title": "A"},\n  {"title": "B", "dependencies": ["A"],}\n]'
UNKNOWN_DEP = '[\n  {"title": "A"},\n  {"title": "B", "dependencies": ["Nothing like it"]}\n]'


def test_bad_calls_are_tool_errors_and_the_server_lives_on(planned: Path) -> None:
    async def body(client: Client) -> dict[str, Any]:
        plan = {"description": "Shop"}
        return {
            "broken": await client.refused("orchestrator_plan_task", subtasks_json=BROKEN_JSON, **plan),
            "dependency": await client.refused("orchestrator_plan_task", subtasks_json=UNKNOWN_DEP, **plan),
            "not_a_list": await client.refused("orchestrator_plan_task", subtasks_json='"x"', **plan),
            "missing": await client.refused("orchestrator_plan_task", description="Shop"),
            "unknown": await client.refused("orchestrator_execute_subtask", task_id="NOPE"),
            "early": await client.refused("orchestrator_execute_subtask", task_id="D"),
            "not_started": await client.refused("orchestrator_complete_subtask", task_id="A", summary="s",
                                                detailed_work="w", next_action="continue"),
            "bad_action": await client.refused("orchestrator_complete_subtask", task_id="A", summary="s",
                                               detailed_work="w", next_action="celebrate"),
            "no_plan": await client.refused("orchestrator_synthesize_results", parent_task_id="nope"),
            "no_tool": await client.refused("orchestrator_maintenance_coordinator", action="scan_cleanup"),
            "bad_flag": await client.refused("orchestrator_get_status", include_completed="yes"),
            "alive": await client.ok("orchestrator_get_status"),
        }

    seen = run(planned, body)
    assert "subtasks_json:3" in seen["broken"] and "/tmp" not in seen["broken"]
    assert "Nothing like it" in seen["dependency"] and "subtasks_json:3" in seen["dependency"]
    assert seen["not_a_list"].startswith("orch: subtasks_json")
    assert "'subtasks_json' is required" in seen["missing"]
    assert "no task 'NOPE'" in seen["unknown"]
    assert "B" in seen["early"] and "C" in seen["early"]  # the unfinished dependencies, named
    assert "start it first with orchestrator_execute_subtask" in seen["not_started"]
    assert "continue, needs_revision, blocked, complete" in seen["bad_action"]
    assert "no plan 'nope' (plans: web)" in seen["no_plan"]
    assert "no tool 'orchestrator_maintenance_coordinator'" in seen["no_tool"]
    assert "true or false" in seen["bad_flag"]
    assert seen["alive"]["active_tasks"][0]["parent_task_id"] == "web"


def test_a_refused_transition_and_a_corrupt_state_file(planned: Path, orch: Orch) -> None:
    assert orch("start", "A", "--agent", "someone-else")[0] == 0

    async def body(client: Client) -> dict[str, Any]:
        seen = {"done_twice": None, "held": await client.refused("orch_start", task_id="B")}
        (planned / ".orch" / "tasks" / "C.json").write_text("{ not json", encoding="utf-8")
        seen["corrupt"] = await client.refused("orch_start", task_id="C")
        seen["status"] = await client.call("orch_status")
        (planned / ".orch" / "tasks" / "C.json").write_text("[]", encoding="utf-8")
        seen["wrong_shape"] = await client.refused("orchestrator_execute_subtask", task_id="C")
        return seen

    seen = run(planned, body)
    assert "B" in seen["held"] and "A" in seen["held"]  # B waits on A
    assert "C.json" in seen["corrupt"] and "orch doctor" in seen["corrupt"]
    assert "C.json" in seen["wrong_shape"]


def test_gates_that_fail_pull_the_andon_as_a_tool_error(planned: Path, orch: Orch) -> None:
    gates = [{"name": "never", "command": "exit 3", "kind": "plain"}]
    assert orch("config", "gates", json.dumps(gates))[0] == 0
    assert orch("config", "policy.require_outputs", "false")[0] == 0  # about the andon, not outputs

    async def body(client: Client) -> dict[str, Any]:
        await client.ok("orchestrator_execute_subtask", task_id="A")
        failed = await client.refused("orchestrator_complete_subtask", task_id="A", summary="s",
                                      detailed_work="w", next_action="continue")
        return {"failed": failed, "status": await client.ok("orch_status")}

    seen = run(planned, body)
    assert "andon" in seen["failed"] and "never" in seen["failed"]
    assert {t["id"]: t["status"] for t in seen["status"]["tasks"]}["A"] == "blocked"


def test_the_server_exits_when_stdin_closes(planned: Path) -> None:
    server = subprocess.Popen(server_command(planned), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, cwd=planned)
    assert server.stdin is not None
    server.stdin.close()
    assert server.wait(timeout=60) == 0
