"""Drive `orch mcp` through the MCP SDK's own client over stdio: the server is a subprocess."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

Body = Callable[["Client"], Awaitable[Any]]


class Client:
    """One connection; `call` returns (is_error, the JSON result or the error text)."""

    def __init__(self, session: ClientSession) -> None:
        self.session = session

    async def call(self, name: str, meta: dict[str, Any] | None = None, **arguments: Any) -> tuple[bool, Any]:
        result = await self.session.call_tool(name, arguments, meta=meta)  # type: ignore[arg-type]
        text = result.content[0].text  # type: ignore[union-attr]
        return bool(result.is_error), text if result.is_error else json.loads(text)

    async def ok(self, name: str, meta: dict[str, Any] | None = None, **arguments: Any) -> Any:
        failed, data = await self.call(name, meta, **arguments)
        assert not failed, data
        return data

    async def refused(self, name: str, meta: dict[str, Any] | None = None, **arguments: Any) -> str:
        failed, data = await self.call(name, meta, **arguments)
        assert failed, data
        return str(data)


def server_command(repo: Path) -> list[str]:
    return [sys.executable, "-m", "orchestrator.console", "mcp", "--repo", str(repo)]


def run(repo: Path, body: Body, client_name: str = "pytest", env: dict[str, str] | None = None) -> Any:
    """Start the server, initialise a session as `client_name`, run `body`, close."""

    async def main() -> Any:
        command = server_command(repo)
        params = StdioServerParameters(command=command[0], args=command[1:], cwd=str(repo),
                                       env=env if env is not None else dict(os.environ))
        async with stdio_client(params) as (read, write):
            info = types.Implementation(name=client_name, version="1.0")
            async with ClientSession(read, write, client_info=info) as session:
                await session.initialize()
                return await body(Client(session))

    return anyio.run(main)
