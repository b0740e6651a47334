"""PreToolUse on an MCP tool call: hand the caller to orch's MCP server.

An MCP server does not learn which Claude Code session or subagent called it, but the hook sees
every MCP call with the caller's ids, and Claude Code sends the call's `tool_use_id` to the
server (`_meta["claudecode/toolUseId"]`). So for a call of one of orch's tools the hook leaves a
grant under that id, which the server claims (orchestrator/mcp/caller.py). Nothing else: the
server applies the rules itself. Standard library only, and cheap: no plan or index is read.
"""

from __future__ import annotations

from orchestrator.callers import mcp_grant_key

TYPE_CHECKING = False
if TYPE_CHECKING:
    from orchestrator.hooks.context import Context
    from orchestrator.hooks.payload import Payload

PREFIX = "mcp__"
# orch's tools: its own (`orch_*`) and mcp-task-orchestrator's six (`orchestrator_*`).
TOOL_PREFIXES = ("orch_", "orchestrator_")


def is_mcp(tool_name: str) -> bool:
    return tool_name.startswith(PREFIX)


def orch_tool(tool_name: str) -> bool:
    """`mcp__<server>__<tool>` (`mcp__plugin_orch_<server>__<tool>` for the plugin's server) where
    the tool is one of orch's names. Another server's tool of the same name only leaves a grant
    nobody claims, which expires."""
    tool = tool_name.rpartition("__")[2]
    return tool.startswith(TOOL_PREFIXES)


def offer(payload: Payload, ctx: Context) -> None:
    if payload.tool_use_id and payload.caller and orch_tool(payload.tool_name):
        ctx.runtime.offer_grant(mcp_grant_key(payload.tool_use_id), payload.caller, payload.session_id,
                                payload.tool_use_id)
