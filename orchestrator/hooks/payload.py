"""The one typed place that reads Claude Code's hook stdin (tested against captured payloads)."""

from __future__ import annotations

from orchestrator.paths import PATH_MAX

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
    """A hook's stdin, with safe defaults for every missing or mistyped key.

    A `cwd` the system could not use (NUL byte, lone surrogate, longer than PATH_MAX) reads as
    missing, so the usual fallback applies (CLAUDE_PROJECT_DIR, then the process's directory)."""

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
        cwd = _string(raw.get("cwd"))
        self.cwd = cwd if _path_problem(cwd) is None else ""  # "": the caller's fallback applies
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
        return _string(self.tool_input.get(key)) or None if key else None

    def command(self) -> str:
        return _string(self.tool_input.get("command"))

    def unusable_path(self) -> str | None:
        """Why the target of this call cannot be known, or None: a written path holding a NUL
        byte or an unencodable character, or too long for the system; a Bash command holding
        either character. PreToolUse denies such a call."""
        written = self.written_file()
        if written is not None:
            problem = _path_problem(written)
            return f"orch cannot check a path containing {problem}" if problem else None
        if self.tool_name in SHELL_TOOLS:
            problem = _text_problem(self.command())
            return f"orch cannot check a command containing {problem}" if problem else None
        return None


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""


def _text(value: object) -> str:
    """Ids and names: a string, else "". Lone surrogates become U+FFFD, as in Claude Code's own
    output; they could not be written to a UTF-8 file."""
    text = _string(value)
    if _encodable(text):
        return text
    return "".join("\ufffd" if "\ud800" <= char <= "\udfff" else char for char in text)


def _path_problem(path: str) -> str | None:
    """What makes `path` unusable by the operating system, or None."""
    if len(path) > PATH_MAX:
        return f"more than {PATH_MAX} characters (the system's limit)"
    return _text_problem(path)


def _text_problem(text: str) -> str | None:
    """What makes `text` impossible to pass to the operating system, or None."""
    if "\x00" in text:
        return "a NUL byte"
    if not _encodable(text):
        return "an unencodable character (a lone surrogate)"
    return None


def _encodable(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
