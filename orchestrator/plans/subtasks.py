"""JSON subtask lists, as MCP task orchestrators write them.

Either `[{"title": ..., "dependencies": [...], ...}, ...]` or `{"title": ..., "subtasks": [...]}`.
The array is decoded one item at a time so every error can name the line of the item at fault.
"""

from __future__ import annotations

import bisect
import functools
import json
import re
from dataclasses import dataclass
from typing import Any

from orchestrator.errors import PlanError
from orchestrator.plans.drafts import Draft, ParsedPlan, apply_field, check_duplicates, new_task
from orchestrator.plans.matcher import Candidate, Matcher
from orchestrator.plans.schema import GATES, gate_dicts, validate
from orchestrator.plans.values import check_id, check_list, check_strings, check_text, convert, slugify

_DECODER = json.JSONDecoder()
_ITEM_KEYS = {
    "id": "id", "title": "title", "name": "title", "description": "description",
    "specialist_type": "specialist", "specialist": "specialist", "role": "specialist",
    "agent": "specialist", "dependencies": "depends_on", "depends_on": "depends_on",
    "estimated_effort": "estimate", "estimate": "estimate", "effort": "estimate",
    "priority": "priority", "status": "status", "milestone": "milestone", "files": "files",
    "acceptance_criteria": "acceptance", "acceptance": "acceptance", "steps": "steps",
    "gates": "gates", "due": "due", "due_date": "due", "deadline": "due", "category": "category",
    "type": "category", "kind": "category",
}  # fmt: skip
_LIST_KEYS = ("subtasks", "tasks")
EFFORT_WORDS = frozenset({"low", "medium", "high"})


@dataclass
class _Item:
    """One subtask object: its index, value, line, the line of each key, and its label prefix."""

    index: int
    value: Any
    line: int
    key_lines: dict[str, int]
    prefix: str

    def where(self, file: str, key: str) -> tuple[str, int, str]:
        return file, self.key_lines.get(key, self.line), f"{self.prefix}[{self.index}].{key}"


def parse(text: str, file: str, external_ids: frozenset[str]) -> ParsedPlan:
    """The plan in a JSON subtask list; dependencies are resolved to task ids here."""
    data = _decode(text, file)
    plan, items = _plan_and_items(data, text, file)
    drafts = [_draft(item, file) for item in items]
    check_duplicates(drafts, file)
    _resolve(drafts, file, external_ids)
    return _plan(plan, text, file, drafts)


def _decode(text: str, file: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanError(file, exc.lineno, "json", f"{exc.msg} (column {exc.colno})") from None


def _plan_and_items(data: Any, text: str, file: str) -> tuple[dict[str, Any], list[_Item]]:
    start = _skip(text, 0)
    if isinstance(data, list):
        return {}, _items(data, text, start, "")
    key = next((key for key in _LIST_KEYS if key in data), None) if isinstance(data, dict) else None
    if key is None:
        expected = "a list of subtasks, or an object with a 'subtasks' list"
        raise PlanError(file, _line(text, start), None, f"expected {expected}")
    spots = _object_spots(text, start)
    if not isinstance(data[key], list):
        raise PlanError(file, _line(text, spots[key][0]), key, "must be a list of subtasks")
    return data, _items(data[key], text, spots[key][1], key)


def _items(values: list[Any], text: str, start: int, prefix: str) -> list[_Item]:
    items = []
    for index, (value, offset) in enumerate(zip(values, _array_offsets(text, start), strict=True)):
        keys = _object_spots(text, offset) if isinstance(value, dict) else {}
        key_lines = {key: _line(text, spot[0]) for key, spot in keys.items()}
        items.append(_Item(index, value, _line(text, offset), key_lines, prefix))
    return items


def _draft(item: _Item, file: str) -> Draft:
    if not isinstance(item.value, dict):
        label, kind = f"{item.prefix}[{item.index}]", type(item.value).__name__
        raise PlanError(file, item.line, label, f"a subtask must be an object, got {kind}")
    title = _title(item, file)
    task_id = _task_id(item, title, file)
    draft = Draft(new_task(task_id, title, item.line))
    draft.spots["id"] = item.where(file, "id" if "id" in item.value else "title")[1:]
    for key, value in item.value.items():
        if value is not None and key not in ("id", "title", "name"):
            _apply(draft, item, key, value, file)
    return draft


def _task_id(item: _Item, title: str, file: str) -> str:
    """The item's "id" (a number is fine: `1` -> "1"), else the slug of its title."""
    given = item.value.get("id")
    if given is None and not slugify(title):
        message = f"cannot make an id from the title {title!r}: give the subtask an 'id'"
        raise PlanError(file, item.line, f"{item.prefix}[{item.index}].id", message)
    task_id = _as_text(given) if given is not None else slugify(title)
    return convert(check_id, task_id, *item.where(file, "id"))


def _as_text(value: Any) -> Any:
    """An integer id or reference as text; anything else as it is."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _title(item: _Item, file: str) -> str:
    key = "title" if "title" in item.value or "name" not in item.value else "name"
    value = item.value.get(key)
    file, line, label = item.where(file, key)
    if value is None:
        raise PlanError(file, line, label, "missing required key 'title'")
    title = convert(lambda v: check_text(v).strip(), value, file, line, label)
    if not title:
        raise PlanError(file, line, label, "the title is empty")
    return title


def _apply(draft: Draft, item: _Item, key: str, value: Any, file: str) -> None:
    name, where = _ITEM_KEYS.get(key), item.where(file, key)
    task = draft.task
    if name is None or (name == "estimate" and _effort_word(value)):
        task["fields"][key] = value
    elif name == "description":
        task["description"] = convert(check_text, value, *where)
    elif name == "acceptance":
        task["acceptance"] = convert(check_strings, value, *where)
    elif name == "steps":
        task["steps"] = convert(_steps, value, *where)
    elif name == "gates":
        task["gates"] = gate_dicts(validate(GATES, value, (file, where[1], None), where[2]))
    elif name == "depends_on" and isinstance(value, list):
        apply_field(draft, name, [_as_text(ref) for ref in value], where)
    else:
        apply_field(draft, name, value, where)


def _effort_word(value: Any) -> bool:
    """mcp-task-orchestrator's `estimated_effort` is a size (low, medium, high), not a duration:
    kept as a field, not refused as a bad estimate."""
    return isinstance(value, str) and value.strip().lower() in EFFORT_WORDS


def _steps(value: Any) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    for number, step in enumerate(check_list(value), start=1):
        if isinstance(step, str):
            step = {"text": step}
        if not isinstance(step, dict) or not isinstance(step.get("text", step.get("title")), str):
            raise ValueError(f"a step must be text or an object with 'text', got {step!r}")
        text, done = step.get("text", step.get("title")), step.get("done", step.get("completed"))
        steps.append({"id": str(step.get("id", number)), "text": text, "done": bool(done), "notes": []})
    return steps


def _resolve(drafts: list[Draft], file: str, external: frozenset[str]) -> None:
    """Turn each dependency reference (an id, a title, or a forgiving match of one) into an id."""
    matcher = Matcher([Candidate(draft.task["id"], draft.task["title"]) for draft in drafts], external)
    for draft in drafts:
        line, label = draft.spot("depends_on")
        resolve = functools.partial(matcher.resolve, me=draft.task["id"])
        found = [convert(resolve, ref, file, line, label) for ref in draft.task["depends_on"]]
        draft.task["depends_on"] = list(dict.fromkeys(found))


def _plan(plan: dict[str, Any], text: str, file: str, drafts: list[Draft]) -> ParsedPlan:
    spots = _object_spots(text, _skip(text, 0)) if plan else {}

    def where(key: str) -> tuple[str, int, str]:
        return file, _line(text, spots[key][0]) if key in spots else 1, key

    title = convert(check_text, plan.get("title", ""), *where("title"))
    plan_id = plan.get("id")
    if plan_id is not None:
        convert(lambda v: check_id(v, "plan id"), plan_id, *where("id"))
    description = plan.get("description", "")
    convert(check_text, description, *where("description"))
    gates = validate(GATES, plan.get("gates", []), (file, where("gates")[1], None), "gates")
    milestones = convert(_milestones, plan.get("milestones", []), *where("milestones"))
    return ParsedPlan(
        format="subtasks", title=title, drafts=drafts, id=plan_id, description=description,
        milestones=milestones, gates=gate_dicts(gates),
    )  # fmt: skip


def _milestones(value: Any) -> list[dict[str, str]]:
    found = []
    for milestone in check_list(value):
        if isinstance(milestone, str):
            milestone = {"id": milestone}
        if not isinstance(milestone, dict) or not isinstance(milestone.get("id"), str):
            raise ValueError(f"a milestone must be an id or an object with 'id', got {milestone!r}")
        milestone_id = check_id(milestone["id"], "milestone id")
        found.append({"id": milestone_id, "title": str(milestone.get("title") or milestone_id)})
    return found


# --- offsets of JSON values ----------------------------------------------------------------------


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _line(text: str, offset: int) -> int:
    """The line `offset` is on, from the offsets of the text's line breaks, found once per text:
    counting them from the start for each of a large list's items took quadratic time."""
    return bisect.bisect_left(_breaks(text), offset) + 1


@functools.lru_cache(maxsize=1)
def _breaks(text: str) -> list[int]:
    return [found.start() for found in re.finditer("\n", text)]


def _array_offsets(text: str, pos: int) -> list[int]:
    """The offset of each value in the (valid) JSON array that starts at `pos`."""
    offsets: list[int] = []
    pos = _skip(text, pos + 1)
    while text[pos] != "]":
        offsets.append(pos)
        pos = _skip(text, _DECODER.raw_decode(text, pos)[1])
        pos = _skip(text, pos + 1) if text[pos] == "," else pos
    return offsets


def _object_spots(text: str, pos: int) -> dict[str, tuple[int, int]]:
    """Key -> (offset of the key, offset of its value) in the (valid) JSON object at `pos`."""
    spots: dict[str, tuple[int, int]] = {}
    pos = _skip(text, pos + 1)
    while text[pos] != "}":
        key, end = _DECODER.raw_decode(text, pos)
        value = _skip(text, _skip(text, end) + 1)
        spots[key] = (pos, value)
        pos = _skip(text, _DECODER.raw_decode(text, value)[1])
        pos = _skip(text, pos + 1) if text[pos] == "," else pos
    return spots
