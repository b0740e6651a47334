"""The MCP server: the SDK's low-level server over stdio, one error boundary around every tool.

A call runs in a worker thread (gates can take minutes; the connection stays responsive), one
at a time, each on a fresh look at the state (the CLI and the hooks change it meanwhile). Every
failure is a tool error (`isError`) whose text says what to do; the server only stops when its
stdin closes."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import mcp_types as types
from mcp.server import Server, ServerRequestContext
from mcp.server.stdio import stdio_server

from orchestrator import __version__
from orchestrator.errors import InvalidInput, OrchError
from orchestrator.mcp import caller, compat, native, resources
from orchestrator.mcp.tools import Arguments, Failure, every_tool
from orchestrator.store import Store

NAME = "orch"
INSTRUCTIONS = (
    "orch makes a plan of tasks binding: dependency order, one holder per task, quality gates and "
    "receipts. Start with orchestrator_initialize_session (or orch_status); plan with "
    "orchestrator_plan_task; work a task between orchestrator_execute_subtask and "
    "orchestrator_complete_subtask."
)
HANDLERS = {**compat.TOOLS, **native.TOOLS}
LOG = "orch-mcp.log"
# The library's messages name CLI commands; an MCP client also has them as tools.
TOOL_HINTS = {"`orch status`": "orch_status", "`orch next`": "orch_next", "`orch verify`": "orch_verify"}


class Tools:
    """The tools of one connection, over the repository at `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock = anyio.Lock()

    def call(self, name: str, arguments: dict[str, Any] | None, meta: Mapping[str, Any] | None,
             client: str | None) -> types.CallToolResult:
        """Run one tool; its result, or a tool error saying what to do. Never raises."""
        store: Store | None = None
        try:
            store = Store.discover(self.root)
            who = caller.resolve(store, meta, client)
            handler = HANDLERS.get(name)
            if handler is None:
                raise InvalidInput(f"no tool {name!r}: the tools are {', '.join(sorted(HANDLERS))}")
            return _result(handler(store, who, Arguments(name, arguments)))
        except Failure as exc:
            return _error(str(exc), exc.data)
        except OrchError as exc:
            return _error(str(exc))
        except Exception as exc:  # the boundary: a bad call never takes the server down
            return _error(f"orch could not run {name} ({type(exc).__name__}: {exc}); `orch doctor` checks "
                          f"the state and says how to recover (details: {_log(store, exc)})")


def _result(data: dict[str, Any]) -> types.CallToolResult:
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return types.CallToolResult(content=[types.TextContent(text=text)], structured_content=data)


def _error(message: str, data: dict[str, Any] | None = None) -> types.CallToolResult:
    for command, tool in TOOL_HINTS.items():
        message = message.replace(command, f"{command} (the {tool} tool)")
    text = f"orch: {message}"
    if data is not None:
        text += "\n" + json.dumps(data, ensure_ascii=False, indent=1)
    return types.CallToolResult(content=[types.TextContent(text=text)], is_error=True)


def _log(store: Store | None, exc: Exception) -> str:
    import tempfile
    import traceback

    folder = str(store.runtime) if store is not None else tempfile.gettempdir()
    path = os.path.join(folder, LOG)
    try:
        os.makedirs(folder, exist_ok=True)
        with open(path, "a", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write("".join(traceback.format_exception(exc)))
    except OSError:
        return "no log"
    return path


def build(root: Path) -> Server[Any]:
    tools = Tools(root)

    async def list_tools(ctx: ServerRequestContext[Any], params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[types.Tool(name=name, description=text, input_schema=schema)
                                            for name, (text, schema) in every_tool().items()])

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        client = ctx.session.client_params.client_info.name if ctx.session.client_params else None
        run = functools.partial(tools.call, params.name, params.arguments, params.meta, client)
        async with tools.lock:
            return await anyio.to_thread.run_sync(run)

    return Server(NAME, version=__version__, instructions=INSTRUCTIONS, on_list_tools=list_tools,
                  on_call_tool=call_tool, **resources.handlers(root))


def serve(root: Path) -> None:
    """Serve over stdin/stdout until stdin closes."""

    async def main() -> None:
        server = build(root)
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    anyio.run(main)
