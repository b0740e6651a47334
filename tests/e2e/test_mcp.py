"""orch's MCP server, registered by the plugin (``.mcp.json``) and started by the real Claude Code
CLI: the model is offered orch's tools and calls ``orchestrator_get_status`` and
``orchestrator_execute_subtask`` through the scripted stand-in; a start made by a subagent through
MCP is bound to that subagent (the PreToolUse hook hands its id to the server)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from claude import REPO_ROOT, ClaudeRun
from fakeapi import FakeAPI, Script, text, tool_names, tool_use
from orchfix import (
    Plan,
    Task,
    assert_no_plugin_build,
    claude_env_extra,
    seed_plugin_venv,
    setup_orch,
    task_row,
)

PREFIX = "mcp__plugin_orch_orch__"
PLAN = Plan("mcpe2e", [Task("alpha-e2e", "Alpha"), Task("beta-e2e", "Beta", depends_on=["alpha-e2e"]),
                       Task("gamma-e2e", "Gamma")])

pytestmark = pytest.mark.both_versions  # on the pinned Claude Code and on the newest


def _offered(fakeapi: FakeAPI) -> set[str]:
    """orch's tools the CLI offered in its first request: in the tool list, or by name in the
    system message listing the deferred tools (MCP tools arrive that way)."""
    body = fakeapi.bodies[0]
    system = [m for m in body["messages"] if m.get("role") == "system"] + [body.get("system")]
    offered = set(tool_names(body)) | set(re.findall(r"mcp__[A-Za-z0-9_]+", json.dumps(system)))
    return {name for name in offered if name.startswith(PREFIX)}


def test_the_model_calls_orchs_mcp_tools_and_a_subagents_start_binds_it(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path, e2e_home: Path
) -> None:
    seed_plugin_venv(e2e_home, REPO_ROOT)
    setup_orch(git_repo, PLAN, hooks=False)
    status = tool_use(PREFIX + "orchestrator_get_status", {})
    early = tool_use(PREFIX + "orchestrator_execute_subtask", {"task_id": "beta-e2e"})
    main_start = tool_use(PREFIX + "orchestrator_execute_subtask", {"task_id": "gamma-e2e"})
    sub_start = tool_use(PREFIX + "orchestrator_execute_subtask", {"task_id": "alpha-e2e"})
    agent = tool_use("Agent", {"description": "alpha", "prompt": "MCPSUB: start alpha-e2e through orch",
                               "subagent_type": "general-purpose", "run_in_background": False})
    fakeapi.script = (Script().main([status], [early], [main_start], [agent], [text("All started.")])
                      .subagent("MCPSUB", [[sub_start], [text("alpha started")]]))

    prompt = "Start the work through orch's MCP tools"
    result = claude_run(prompt, plugin_dir=REPO_ROOT, env=claude_env_extra())
    assert_no_plugin_build(e2e_home)

    assert result.result_text == "All started.", result.describe()
    assert {PREFIX + "orchestrator_get_status", PREFIX + "orchestrator_execute_subtask"} <= _offered(fakeapi)
    got = fakeapi.tool_result_text(status["id"])
    assert not fakeapi.tool_result_is_error(status["id"]), got
    assert "mcpe2e" in got and "alpha-e2e" in got, got
    refused = fakeapi.tool_result_text(early["id"])
    assert fakeapi.tool_result_is_error(early["id"]) and "alpha-e2e" in refused, refused
    started = fakeapi.tool_result_text(main_start["id"])
    assert not fakeapi.tool_result_is_error(main_start["id"]), started
    assert json.loads(started)["bound_to"]["via"] == "claude-code", started
    session = task_row(git_repo, "gamma-e2e")["bound_to"]
    alpha = task_row(git_repo, "alpha-e2e")
    assert alpha["status"] == "in_progress", alpha
    sub_agent_ids = {r.agent_id for r in fakeapi.requests if r.agent_id}
    assert alpha["bound_to"] in sub_agent_ids, (alpha, sub_agent_ids)
    assert alpha["bound_to"] != session, (alpha, session)
