"""The one typed place that reads Claude Code's hook stdin (tested against captured payloads)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

WRITE_TOOLS = {
    "Write": "file_path",
    "Edit": "file_path",
    "MultiEdit": "file_path",
    "NotebookEdit": "notebook_path",
}
SHELL_TOOLS = frozenset({"Bash"})


class Payload:
    """A hook's stdin, with safe defaults for every missing or mistyped key."""

    __slots__ = (
        "raw",
        "event",
        "session_id",
        "agent_id",
        "cwd",
        "tool_name",
        "tool_input",
        "tool_use_id",
        "stop_hook_active",
        "source",
        "reason",
    )

    def __init__(self, raw: dict[str, Any], event: str | None = None) -> None:
        self.raw = raw
        self.event = _text(raw.get("hook_event_name")) or event or ""
        self.session_id = _text(raw.get("session_id"))
        self.agent_id = _text(raw.get("agent_id"))
        self.cwd = _text(raw.get("cwd"))
        self.tool_name = _text(raw.get("tool_name"))
        tool_input = raw.get("tool_input")
        self.tool_input: dict[str, Any] = tool_input if isinstance(tool_input, dict) else {}
        self.tool_use_id = _text(raw.get("tool_use_id"))
        self.stop_hook_active = raw.get("stop_hook_active") is True
        self.source = _text(raw.get("source"))
        self.reason = _text(raw.get("reason"))

    @property
    def caller(self) -> str:
        """Whose binding applies: the subagent's id inside a subagent, else the session's."""
        return self.agent_id or self.session_id

    def written_file(self) -> str | None:
        """The file a Write/Edit/NotebookEdit call writes, if this is one."""
        key = WRITE_TOOLS.get(self.tool_name)
        return _text(self.tool_input.get(key)) or None if key else None

    def command(self) -> str:
        return _text(self.tool_input.get("command"))


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
