"""Each task's row of `orch status --json`, as JSON text made when the summaries are saved.

Encoding 10,000 rows of twelve fields costs `orch status --json` more than everything else it
does at that size (about 50 ms). Ten of the twelve come from the task's summary, so the
snapshot keeps them as text (`snapcodec`: the rows section of `summary.bin`), made by the very
encoder `json.dumps(..., ensure_ascii=False)` uses, in the same field order; a read joins them
with the two fields of the runtime (`bound_to`, `dispatched`). `statusjson` prints the result,
equal byte for byte to the JSON of the whole view. Standard library only (`snapshot` imports it).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

try:
    import _json
except ImportError:  # pragma: no cover - CPython always has it
    _json = None  # type: ignore[assignment]

Parts = tuple[str, str]  # the fields before `bound_to`, and after `dispatched`


def _unsupported(value: object) -> object:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# the encoder json.dumps(ensure_ascii=False) makes; it keeps no state between calls
_ENCODE = (None if _json is None else _json.make_encoder(
    None, _unsupported, _json.encode_basestring, None, ": ", ", ", False, False, True))


def dumps(value: Any) -> str:
    """`json.dumps(value, ensure_ascii=False, check_circular=False)`, without importing json."""
    if _ENCODE is None:  # pragma: no cover
        import json

        return json.dumps(value, ensure_ascii=False, check_circular=False)
    return "".join(_ENCODE(value, 0))


def parts(task: dict[str, Any]) -> Parts:
    """The row's text from a summary, less the braces and the runtime's two fields."""
    head = {"id": task["id"], "title": task["title"], "status": task["status"],
            "priority": task.get("priority", "medium"), "depends_on": task.get("depends_on", [])}
    tail = {"plan": task["plan"], "milestone": task.get("milestone"), "specialist": task.get("specialist"),
            "story": task.get("story"), "parent": task.get("parent")}
    return dumps(head)[1:-1], dumps(tail)[1:-1]


def row(task: dict[str, Any], held: Parts | None, holder: Any, dispatched: bool) -> str:
    """The row's JSON text: from `held` (the snapshot's parts of this very summary) when given."""
    head, tail = held if held is not None else parts(task)
    bound = "null" if holder is None else dumps(holder)
    return f"{{{head}, \"bound_to\": {bound}, \"dispatched\": {'true' if dispatched else 'false'}, {tail}}}"
