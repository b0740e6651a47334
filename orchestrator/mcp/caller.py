"""Who calls a tool. In Claude Code, the caller the PreToolUse hook saw make this very call (the
grant it left under the call's `tool_use_id`, which Claude Code also sends the server as
`_meta["claudecode/toolUseId"]`): the session, or the subagent inside one. Any other client, or a
Claude Code whose hooks do not see MCP calls: an identity the server derives for its client,
`mcp-<client name>-<server pid>`, reported in every result."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orchestrator.callers import mcp_grant_key
from orchestrator.runtime import Runtime
from orchestrator.store import Store

TOOL_USE_META = "claudecode/toolUseId"


@dataclass(frozen=True)
class Caller:
    """`id` acts and holds tasks; `session` is the Claude Code session whose end releases them;
    `via` says how the server knows: `claude-code` (the hook's grant) or `client`."""

    id: str
    session: str | None
    via: str

    def shown(self) -> dict[str, Any]:
        return {"id": self.id, "via": self.via}


def resolve(store: Store, meta: Mapping[str, Any] | None, client_name: str | None) -> Caller:
    tool_use = (meta or {}).get(TOOL_USE_META)
    if isinstance(tool_use, str) and tool_use:
        grant = Runtime(store.runtime).claim_grant(mcp_grant_key(tool_use), None)
        if grant is not None and grant.get("caller"):
            return Caller(str(grant["caller"]), str(grant.get("session") or "") or None, "claude-code")
    return Caller(client_identity(client_name), None, "client")


def client_identity(client_name: str | None) -> str:
    """`mcp-<client name>-<pid>`: one identity per connection (a stdio server serves one client)."""
    name = re.sub(r"[^a-z0-9]+", "-", (client_name or "client").lower()).strip("-") or "client"
    return f"mcp-{name}-{os.getpid()}"
