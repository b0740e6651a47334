"""`orch init --mcp`: register `orch mcp` in the project's `.mcp.json` (Claude Code's project
MCP servers) beside the user's own servers; `orch uninstall` removes exactly that entry. The
plugin needs none of this: its own `.mcp.json` registers the server."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from orchestrator import spawn
from orchestrator.errors import InvalidInput, StateError
from orchestrator.jsonfile import read_json, write_json

FILE = ".mcp.json"
SERVER = "orch"


def entry() -> dict[str, Any]:
    """This installation's `orch mcp`: the console script beside this interpreter, else the
    interpreter running orch from its own folder (`spawn.command`: `-m orchestrator.console` finds
    nothing where orch is not installed in the interpreter's environment, a plugin install), by
    absolute paths: the file names this machine's orch."""
    script = os.path.join(os.path.dirname(sys.executable), "orch")
    if os.access(script, os.X_OK):
        return {"type": "stdio", "command": script, "args": ["mcp"]}
    python, *args = spawn.command("orchestrator.console", "main")
    return {"type": "stdio", "command": python, "args": [*args, "mcp"]}


def add(root: Path) -> Path:
    """Add (or refresh) the `orch` server; the file's other servers and keys are kept."""
    path = root / FILE
    data = _read(path)
    servers = data.setdefault("mcpServers", {})
    if not isinstance(servers, dict):
        raise InvalidInput(f"{path}: mcpServers: expected an object of servers, got {type(servers).__name__}")
    servers[SERVER] = entry()
    write_json(path, data)
    return path


def remove(root: Path) -> bool:
    """Remove the `orch` server if orch wrote it (its args end with `mcp`); the file goes when
    nothing else is left in it. False when there was none."""
    path = root / FILE
    if not path.exists():
        return False
    data = _read(path)
    servers = data.get("mcpServers")
    if not isinstance(servers, dict) or not _ours(servers.get(SERVER)):
        return False
    del servers[SERVER]
    if servers or len(data) > 1:
        write_json(path, data)
    else:
        path.unlink()
    return True


def _ours(server: Any) -> bool:
    return isinstance(server, dict) and (server.get("args") or [None])[-1] == "mcp"


def _read(path: Path) -> dict[str, Any]:
    try:
        data = read_json(path)
    except FileNotFoundError:
        return {}
    except StateError as exc:
        cause = exc.__cause__ or exc
        raise InvalidInput(f"{path}: not valid JSON ({cause}): fix it (or remove it), then run this "
                           "again") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: expected a JSON object with mcpServers, got {type(data).__name__}")
    return data
