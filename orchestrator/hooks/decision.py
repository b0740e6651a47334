"""What a hook handler decides, and the one place that turns it into Claude Code's wire format."""

from __future__ import annotations

from orchestrator import fastjson

PREFIX = "orch: "


class Decision:
    """`action`: none | deny (PreToolUse) | block (PostToolUse, Stop, SubagentStop) | context.

    `message` goes to the model (deny/block reason), `context` is additionalContext for the
    model, `notice` is a systemMessage for the human."""

    __slots__ = ("action", "message", "context", "notice")

    def __init__(self, action: str = "none", message: str = "", context: str = "", notice: str = "") -> None:
        self.action, self.message, self.context, self.notice = action, message, context, notice

    def __repr__(self) -> str:
        return f"Decision({self.action!r}, {self.message!r})"


NONE = Decision()


def wire(event: str, decision: Decision) -> str:
    """The stdout for `event` (empty = no opinion). Always exit 0: JSON carries the decision."""
    out: dict[str, object] = {}
    specific: dict[str, object] = {}
    if decision.action == "deny" and event == "PreToolUse":
        specific = {"permissionDecision": "deny", "permissionDecisionReason": PREFIX + decision.message}
    elif decision.action == "block":
        out = {"decision": "block", "reason": PREFIX + decision.message}
    if decision.context and event in ("PreToolUse", "PostToolUse", "PostToolUseFailure", "SessionStart",
                                      "SubagentStart"):
        specific["additionalContext"] = decision.context
    if specific:
        out["hookSpecificOutput"] = {"hookEventName": event, **specific}
    if decision.notice:
        out["systemMessage"] = PREFIX + decision.notice
    return fastjson.dumps(out) if out else ""
