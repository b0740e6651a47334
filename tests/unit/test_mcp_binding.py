"""The caller is bound like any other: the PreToolUse hook sees an MCP call of orch's tools with the
caller's ids and leaves a grant under its `tool_use_id`; the server, given that id as
`_meta["claudecode/toolUseId"]` (as Claude Code sends it), acts as that caller."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.conftest import Orch
from tests.hooks.conftest import payload, run_hook
from tests.unit.mcp_client import Client, run

SESSION = "sess-main"
TOOL = "mcp__plugin_orch_orch__orchestrator_execute_subtask"


def _hook(repo: Path, tool_use_id: str, agent: str | None, tool: str = TOOL) -> None:
    data = payload("PreToolUse.Bash", cwd=str(repo), session_id=SESSION, tool_name=tool,
                   tool_input={"task_id": "A"}, tool_use_id=tool_use_id)
    if agent:
        data["agent_id"] = agent
    done = run_hook("PreToolUse", data)
    assert done.code == 0 and done.denied is None, done.stderr


def _meta(tool_use_id: str) -> dict[str, Any]:
    return {"claudecode/toolUseId": tool_use_id}


def _claude_code_env() -> dict[str, str]:
    return {**os.environ, "CLAUDECODE": "1"}


def _grants(repo: Path) -> dict[str, Any]:
    path = repo / ".git" / "orch" / "grants.json"
    return json.loads(path.read_text()) if path.exists() else {}


def test_a_subagents_mcp_start_is_bound_to_the_subagent(planned: Path, orch: Orch) -> None:
    assert orch("config", "policy.require_outputs", "false")[0] == 0  # about binding, not outputs
    _hook(planned, "toolu_mcp_1", "agent-sub")
    assert list(_grants(planned)) == ["mcp toolu_mcp_1"]
    _hook(planned, "toolu_mcp_2", None)  # the main session, trying to finish the subagent's task
    _hook(planned, "toolu_mcp_3", "agent-sub")

    async def body(client: Client) -> dict[str, Any]:
        return {
            "start": await client.ok("orchestrator_execute_subtask", _meta("toolu_mcp_1"), task_id="A"),
            "other": await client.refused("orch_done", _meta("toolu_mcp_2"), task_id="A"),
            "done": await client.ok("orch_done", _meta("toolu_mcp_3"), task_id="A"),
        }

    seen = run(planned, body, client_name="claude-code", env=_claude_code_env())
    assert seen["start"]["bound_to"] == {"id": "agent-sub", "via": "claude-code"}
    assert "held by agent-sub" in seen["other"]
    assert seen["done"]["completed"] is True
    assert _grants(planned) == {}  # each grant claimed once
    _code, out, _err = orch("log", "--json")
    moves = [(e["summary"], e["actor"]) for e in json.loads(out)["events"]
             if e.get("task") == "A" and e.get("event") == "transition"]
    assert moves[1:] == [("queued -> in_progress", "agent-sub"),
                         ("in_progress -> completed: every gate passed", "agent-sub")]


def test_the_binding_records_the_callers_session(planned: Path) -> None:
    _hook(planned, "toolu_mcp_9", "agent-sub")

    async def body(client: Client) -> Any:
        return await client.ok("orch_start", _meta("toolu_mcp_9"), task_id="A")

    run(planned, body, env=_claude_code_env())
    binding = json.loads((planned / ".git" / "orch" / "bindings.json").read_text())["bindings"]["A"]
    assert (binding["holder"], binding["session"]) == ("agent-sub", SESSION)


def test_another_servers_tool_leaves_no_grant(planned: Path) -> None:
    _hook(planned, "toolu_other", "agent-sub", tool="mcp__github__create_issue")
    assert _grants(planned) == {}


def test_without_a_grant_the_client_identity_acts(planned: Path) -> None:
    async def body(client: Client) -> Any:
        return await client.ok("orch_start", _meta("toolu_unknown"), task_id="A")

    seen = run(planned, body, client_name="Cursor IDE")
    assert seen["caller"]["via"] == "client" and seen["bound_to"].startswith("mcp-cursor-ide-")
