"""What a task's receipt chain records of its acceptance ticks (`check` receipts) and of its open
andon (`why` and `fix_task` receipts since its last move into blocked), and whether its task file
agrees. Pure functions over records, importing nothing of orch's: `receipts.verify` (which
reports a task file that disagrees), `recovery` (which rolls it to the chain), `acceptance` and
`andon` (which write them) all share them."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def tick_of(record: dict[str, Any]) -> dict[str, Any]:
    """The task-file row a `check` receipt records."""
    data = record["data"]
    return {"item": data.get("item"), "text": data.get("text"), "evidence": data.get("evidence"),
            "actor": record.get("actor"), "at": record.get("at")}


def ticks_with(ticks: list[dict[str, Any]], tick: dict[str, Any]) -> list[dict[str, Any]]:
    """`ticks` with `tick` in place of any earlier tick of its item, ordered by item."""
    kept = [row for row in ticks if isinstance(row, dict) and row.get("item") != tick["item"]]
    return sorted([*kept, tick], key=lambda row: int(row.get("item") or 0))


def ticks_from(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ticks a chain's `check` receipts record (the last per item)."""
    ticks: list[dict[str, Any]] = []
    for record in records:
        if record.get("event") == "check" and isinstance(record.get("data"), dict):
            ticks = ticks_with(ticks, tick_of(record))
    return ticks


def why_of(record: dict[str, Any]) -> dict[str, Any]:
    """The andon's row for one `why` receipt."""
    data = record["data"]
    return {"n": data.get("n"), "text": data.get("text"), "actor": record.get("actor"),
            "at": record.get("at")}


def current_andon(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The whys and fix task of the task's current andon: the `why` and `fix_task` receipts after
    its last move into blocked."""
    start = max((n for n, r in enumerate(records) if _blocking(r)), default=None)
    found: dict[str, Any] = {"whys": []}
    for record in records[start:] if start is not None else []:
        if record.get("event") == "why" and isinstance(record.get("data"), dict):
            found["whys"].append(why_of(record))
        elif record.get("event") == "fix_task" and isinstance(record.get("data"), dict):
            found["fix_task"] = record["data"].get("fix_task")
    return found


def ticks_differ(task: dict[str, Any], records: list[dict[str, Any]]) -> bool:
    return ticks_from(records) != (task.get("checks") or [])


def andon_differs(task: dict[str, Any], records: list[dict[str, Any]]) -> bool:
    """A blocked task's andon whose whys or fix task are not the ones its receipts record."""
    record = task.get("andon")
    if task.get("status") != "blocked" or not isinstance(record, dict):
        return False
    current = current_andon(records)
    return (record.get("whys") or []) != current["whys"] or record.get("fix_task") != current.get("fix_task")


def _blocking(record: dict[str, Any]) -> bool:
    data = record.get("data")
    return record.get("event") == "transition" and isinstance(data, dict) and data.get("to") == "blocked"
