"""Values every plan format shares: statuses, priorities, estimates, due dates, categories, ids and
lists of strings.

The checks and normalisers are pure and raise `ValueError`; `convert` turns that into a `PlanError`
that names the file, line and field, so each format parser only has to know where a value came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

from orchestrator.errors import PlanError
from orchestrator.lifecycle import STATUSES

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_STATUS_WORDS = {
    "queued": "queued", "not_started": "queued", "todo": "queued", "to_do": "queued",
    "pending": "queued", "open": "queued", "planned": "queued",
    "in_progress": "in_progress", "started": "in_progress", "wip": "in_progress",
    "doing": "in_progress", "active": "in_progress", "ongoing": "in_progress",
    "review": "review", "in_review": "review",
    "testing": "testing", "in_testing": "testing",
    "completed": "completed", "complete": "completed", "done": "completed",
    "finished": "completed",
    "blocked": "blocked",
    "cancelled": "cancelled", "canceled": "cancelled",
}  # fmt: skip
_PRIORITY_WORDS = {
    "critical": "critical", "urgent": "critical", "p0": "critical",
    "high": "high", "p1": "high",
    "medium": "medium", "normal": "medium", "med": "medium", "p2": "medium",
    "low": "low", "p3": "low",
}  # fmt: skip
_HOURS_PER_UNIT = {
    "m": 1 / 60, "min": 1 / 60, "mins": 1 / 60, "minute": 1 / 60, "minutes": 1 / 60,
    "h": 1.0, "hr": 1.0, "hrs": 1.0, "hour": 1.0, "hours": 1.0,
    "d": 8.0, "day": 8.0, "days": 8.0,
    "w": 40.0, "wk": 40.0, "wks": 40.0, "week": 40.0, "weeks": 40.0,
}  # fmt: skip
_ESTIMATE = re.compile(
    r"~?\s*(?P<low>\d+(?:\.\d+)?)\s*(?:(?:-|–|to)\s*(?P<high>\d+(?:\.\d+)?))?\s*(?P<unit>[a-z]*)"
)
_DUE = re.compile(r"(?P<day>\d{4}-\d{2}-\d{2})(?:[T ][0-9:.]+(?:Z|[+-][0-9:]+)?)?")
_EDGE_NOISE = re.compile(r"^[^\w]+|[^\w]+$")
_NONE_WORDS = {"", "none", "-", "n/a", "na", "[]", "nothing"}
_T = TypeVar("_T")


def convert(fn: Callable[[Any], _T], value: Any, file: str, line: int | None, label: str) -> _T:
    """`fn(value)`, with a `ValueError` turned into a PlanError at `file:line` for `label`."""
    try:
        return fn(value)
    except ValueError as exc:
        raise PlanError(file, line, label, str(exc)) from None


def parse_estimate(text: object) -> float | None:
    """Hours from "2h", "30m", "1.5d" (8h days), "1w" (40h weeks), "2-3h" (upper bound), "3".

    "" and None mean no estimate; anything else raises ValueError.
    """
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if isinstance(text, int | float) and not isinstance(text, bool):
        return _checked_hours(float(text), text)
    found = _ESTIMATE.fullmatch(text.strip().lower()) if isinstance(text, str) else None
    if not found or found["unit"] not in {"", *_HOURS_PER_UNIT}:
        raise ValueError(f"bad estimate {text!r}: expected a duration such as 2h, 30m, 1.5d, 2-3h")
    low, high = float(found["low"]), float(found["high"] or found["low"])
    if high < low:
        raise ValueError(f"bad estimate {text!r}: the range runs backwards")
    return _checked_hours(high * _HOURS_PER_UNIT.get(found["unit"], 1.0), text)


def _checked_hours(hours: float, text: object) -> float:
    if hours < 0 or hours != hours or hours == float("inf"):
        raise ValueError(f"bad estimate {text!r}: must be a finite, non-negative duration")
    return round(hours, 4)


def parse_due(value: object) -> str | None:
    """A due date as `YYYY-MM-DD`, from that form (a time after it is dropped: "2026-03-01T17:00Z")
    or a YAML date; "", "none" and None mean no date; anything else raises ValueError."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = value.strip() if isinstance(value, str) else None
    if value is None or (text is not None and text.lower() in _NONE_WORDS):
        return None
    found = _DUE.fullmatch(text) if text is not None else None
    day = _calendar_day(found["day"]) if found else None
    if day is None:
        raise ValueError(f"bad due {value!r}: expected a date as YYYY-MM-DD, such as 2026-03-01")
    return day


def _calendar_day(text: str) -> str | None:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return None


def normalise_category(value: Any) -> str | None:
    """A category (feature, bug, debt, docs, ... free text), lower-cased; "" or None means none."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"bad category {value!r}: expected text such as feature, bug, debt or docs")
    return " ".join(unquote(value).split()).lower() or None


def status_word(text: str) -> str | None:
    """The status a word such as "In Progress", "✅ Complete" or "done" names, or None."""
    key = re.sub(r"[\s-]+", "_", _EDGE_NOISE.sub("", text.strip()).lower())
    return _STATUS_WORDS.get(key)


def normalise_status(text: Any) -> str:
    """A status value, from its canonical name or a common alias."""
    found = status_word(_without_notes(text)) if isinstance(text, str) else None
    if found is None:
        raise ValueError(f"bad status {text!r}: expected one of {', '.join(STATUSES)}")
    return found


def normalise_priority(text: Any) -> str:
    """critical|high|medium|low from any case, P0..P3 or "urgent"."""
    key = _EDGE_NOISE.sub("", _without_notes(text)).lower() if isinstance(text, str) else None
    if key not in _PRIORITY_WORDS:
        raise ValueError(f"bad priority {text!r}: expected critical, high, medium, low or P0-P3")
    return _PRIORITY_WORDS[key]


def _without_notes(text: str) -> str:
    """`text` without parenthesised remarks: "High (security)" -> "High"."""
    return re.sub(r"\([^)]*\)", " ", text).strip()


def normalise_specialist(text: Any) -> str:
    """A specialist role, lower-cased; free text is allowed."""
    role = " ".join(check_text(text).strip().strip("`").split()).lower()
    return role or "implementer"


def check_id(text: Any, what: str = "task id") -> str:
    """`text` if it is a valid id: a letter or digit, then letters, digits, `_`, `.` or `-`."""
    if not isinstance(text, str) or not _ID.fullmatch(text):
        raise ValueError(f"bad {what} {text!r}: use letters, digits, '_', '.', '-'")
    return text


def check_text(value: Any) -> str:
    """`value` if it is a string, else a ValueError naming its type."""
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {_kind(value)} {value!r}")
    return value


def check_list(value: Any) -> list[Any]:
    """`value` if it is a list, else a ValueError naming its type."""
    if not isinstance(value, list):
        raise ValueError(f"expected a list, got {_kind(value)} {value!r}")
    return value


def check_strings(value: Any) -> list[str]:
    """`value` if it is a list of strings (blank ones dropped), else a ValueError."""
    for item in check_list(value):
        if not isinstance(item, str):
            raise ValueError(f"expected a list of strings, got {_kind(item)} {item!r} in it")
    return [item.strip() for item in value if item.strip()]


def _kind(value: object) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "text"}
    names.update({list: "a list", dict: "a mapping", type(None): "nothing"})
    return names.get(type(value), type(value).__name__)


def split_values(text: str) -> list[str]:
    """A comma-separated list ("a, `b`") or "none"/"-" as a list of stripped strings."""
    if text.strip().lower() in _NONE_WORDS:
        return []
    return [unquote(part) for part in re.split(r"[,;]", text) if unquote(part)]


def unquote(text: str) -> str:
    """`text` stripped of whitespace and of one pair of surrounding quotes or backticks."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "`'\"":
        return text[1:-1].strip()
    return text


def slugify(text: str) -> str:
    """Lower-case words joined by "-": "Database Schema Design" -> "database-schema-design"."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def snake_key(text: str) -> str:
    """A field label as a key: "Risk Level" -> "risk_level"."""
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")
