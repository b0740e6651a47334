"""Helpers to run the hook exactly as Claude Code does: a process fed one JSON object on stdin."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import hook_command

PAYLOADS = Path(__file__).resolve().parent.parent / "fixtures" / "payloads"


def payload(name: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text())
    data.update(changes)
    return data


class HookRun:
    def __init__(self, done: subprocess.CompletedProcess[str]) -> None:
        self.code, self.stdout, self.stderr = done.returncode, done.stdout, done.stderr

    @property
    def json(self) -> dict[str, Any]:
        assert self.stdout.strip(), f"no output; stderr: {self.stderr}"
        data: dict[str, Any] = json.loads(self.stdout)
        return data

    @property
    def denied(self) -> str | None:
        if not self.stdout.strip():
            return None
        specific = self.json.get("hookSpecificOutput", {})
        return (
            specific.get("permissionDecisionReason") if specific.get("permissionDecision") == "deny" else None
        )


def run_hook(
    event: str, data: dict[str, Any] | str, env: dict[str, str] | None = None, timeout: float = 20
) -> HookRun:
    text = data if isinstance(data, str) else json.dumps(data)
    done = subprocess.run(
        [*hook_command(), event], input=text, capture_output=True, text=True, timeout=timeout, env=env
    )
    assert "Traceback" not in done.stdout
    return HookRun(done)


@pytest.fixture
def write_payload(planned: Path) -> Any:
    def make(
        rel: str, *, agent: str | None = None, session: str = "sess-1", tool: str = "Write"
    ) -> dict[str, Any]:
        changes: dict[str, Any] = {"cwd": str(planned), "session_id": session}
        if tool == "Write":
            changes["tool_input"] = {"file_path": str(planned / rel), "content": "x\n"}
        else:
            changes["tool_name"] = "Bash"
            changes["tool_input"] = {"command": rel}
        if agent:
            changes["agent_id"] = agent
        return payload("PreToolUse.Write", **changes)

    return make
