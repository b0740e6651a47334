"""`orch statusline`: one line for Claude Code's status line: bound task, progress, gate state."""

from __future__ import annotations

import os
import sys

from orchestrator.hooks.entry import read_stdin
from orchestrator.hooks.index import load_tasks
from orchestrator.jsonfile import read_json_or

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def main() -> int:
    raw, _problem = read_stdin(1.0)
    try:
        sys.stdout.write(line(raw) + "\n")
    except Exception as exc:  # the status line must never show a traceback
        sys.stdout.write(f"orch: status unavailable ({type(exc).__name__})\n")
    return 0


def line(raw: dict[str, Any]) -> str:
    from orchestrator.hooks.context import Context
    from orchestrator.hooks.payload import Payload

    workspace = raw.get("workspace") if isinstance(raw.get("workspace"), dict) else {}
    payload = Payload({**raw, "cwd": raw.get("cwd") or (workspace or {}).get("current_dir")})
    ctx = Context.find(payload)
    if ctx is None:
        return "orch: not set up here"
    tasks = load_tasks(os.path.join(ctx.state_dir, "tasks"))
    done = sum(1 for t in tasks if t.get("status") == "completed")
    parts = [f"orch {done}/{len(tasks)} done"]
    task = ctx.bound_task(payload.caller)
    if task is not None:
        parts.insert(0, f"▶ {task['id']} {task.get('title', '')[:40]} [{task.get('status')}]")
        parts.append(_gate_state(ctx.runtime.dir, task["id"]))
    if _unjailed(ctx.runtime.dir, payload.session_id):
        parts.append("jail: off")
    return " · ".join(parts)


def _unjailed(runtime_dir: str, session: str) -> bool:
    """The session wanted the write jail and cannot have it (the briefing said why)."""
    from orchestrator.jail import sessions

    return sessions.state(runtime_dir, session) not in ("", "off", sessions.JAILED)


def _gate_state(runtime_dir: str, task_id: str) -> str:
    cached = read_json_or(os.path.join(runtime_dir, "gatecache", f"{task_id}.json"), None)
    if not isinstance(cached, dict):
        return "gates: not run"
    failure = cached.get("failure")
    return f"gates: ✗ {failure.get('name')}" if failure else "gates: ✓"
