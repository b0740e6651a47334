"""The board's write verbs, only with `orch board --allow-actions`: the CLI's own `start`, `move`,
`block` and `cancel`, through the same library functions (same rules, same receipts), acting as the
human at the board, `user:<login>`."""

from __future__ import annotations

import getpass
from typing import Any

from orchestrator import workflow
from orchestrator.errors import InvalidInput, Refused
from orchestrator.store import Store

VERBS = ("start", "move", "block", "cancel")


def check_human() -> None:
    """The board's actions act as the human at the board: refused inside Claude Code, where an agent
    could otherwise move any task as `user:<login>`, past the binding rules."""
    from orchestrator import callers

    if callers.inside_claude_code():
        raise Refused("--allow-actions lets the page act as you (user:<login>), so it cannot be "
                      "started inside Claude Code: run `orch board --allow-actions` in your own terminal")


def actor() -> str:
    """The board's user, as the CLI records a human at a terminal."""
    try:
        return f"user:{getpass.getuser()}"
    except (KeyError, OSError):
        return "user:unknown"


def perform(store: Store, request: Any) -> dict[str, Any]:
    """Run one verb from a request body `{"verb", "task", "status"?, "reason"?}`; the task after it."""
    if not isinstance(request, dict):
        raise InvalidInput("the body must be a JSON object: {\"verb\", \"task\", ...}")
    verb, task_id = request.get("verb"), request.get("task")
    if verb not in VERBS:
        raise InvalidInput(f"unknown verb {verb!r}; the board's verbs are: {', '.join(VERBS)}")
    if not isinstance(task_id, str) or not task_id:
        raise InvalidInput("`task` must name a task id")
    reason = _text(request, "reason")
    if verb == "start":
        return workflow.start(store, task_id, actor())
    if verb == "block":
        return workflow.block(store, task_id, reason or "", actor())
    if verb == "cancel":
        return workflow.cancel(store, task_id, actor(), reason)
    return workflow.move(store, task_id, _text(request, "status") or "", actor(), reason)


def _text(request: dict[str, Any], key: str) -> str | None:
    value = request.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"`{key}` must be a string")
    return value
