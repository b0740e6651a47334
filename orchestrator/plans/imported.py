"""What the Taskmaster and beads importers share: reading a value another tool wrote, forgivingly.

A value orch does not know (a status, a priority) is a warning naming the item and saying what
orch used instead, never a refusal of the file; the tool's own word is kept in the task's fields.
"""

from __future__ import annotations

from typing import Any

from orchestrator.plans.drafts import ParsedPlan
from orchestrator.plans.values import normalise_priority


def status(task: dict[str, Any], value: Any, known: dict[str, str], kept: frozenset[str],
           where: tuple[ParsedPlan, str, int | None], tool: str) -> None:
    """Set the task's status from the tool's `value` by `known`; an unknown one is queued, warned.
    An unknown status, or one of `kept` (orch has no word for it), stays in `<tool>_status`."""
    parsed, file, line = where
    key = str(value).strip().lower() if value is not None else ""
    task["status"] = known.get(key, "queued")
    if key and key not in known:
        parsed.warn(file, line, "status", f"{task['id']}: unknown {tool} status {value!r}: loaded as queued")
    if key and (key in kept or key not in known):
        task["fields"][f"{tool}_status"] = value


def priority(task: dict[str, Any], value: Any, where: tuple[ParsedPlan, str, int | None]) -> None:
    """Set the task's priority from a word or P0-P3; anything else is medium, warned."""
    if value is None:
        return
    try:
        task["priority"] = normalise_priority(value)
    except ValueError:
        parsed, file, line = where
        parsed.warn(file, line, "priority", f"{task['id']}: unknown priority {value!r}: loaded as medium")


def text(value: Any) -> str:
    """A text field as text (a number or list written where text belongs is shown as it is)."""
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else str(value)


def joined(*parts: str) -> str:
    return "\n\n".join(part for part in parts if part)
