"""Taskmaster's `tasks.json` (`.taskmaster/tasks/tasks.json`, claude-task-master) read as a plan.

Two shapes: the tagged one, `{"master": {"tasks": [...], "metadata": {...}}, "feature-x": {...}}`,
a plan per tag; and the older `{"tasks": [...]}`. A task has a number `id`, `title`,
`description`, `details`, `testStrategy`, `status`, `priority`, `dependencies` and `subtasks`
(numbered within their task, `4.2` being subtask 2 of task 4), which become its children.
The master tag's tasks keep their numbers as ids ("4", "4.2"); another tag's are prefixed with it
("feature-x-4"), so ids stay unique across tags. docs/plan-format.md says exactly what is read.
"""

from __future__ import annotations

import bisect
import re
from typing import Any

from orchestrator.errors import PlanError
from orchestrator.plans import imported
from orchestrator.plans.drafts import Draft, ParsedPlan, new_task
from orchestrator.plans.repair import repair
from orchestrator.plans.values import slugify

STATUSES = {
    "pending": "queued", "todo": "queued", "in-progress": "in_progress", "in_progress": "in_progress",
    "review": "review", "done": "completed", "completed": "completed", "deferred": "blocked",
    "blocked": "blocked", "cancelled": "cancelled", "canceled": "cancelled",
}  # fmt: skip
KEPT = frozenset({"deferred"})  # a status orch has no word for: kept in the fields
MASTER = "master"
_KNOWN = {"id", "title", "description", "details", "testStrategy", "status", "priority", "dependencies",
          "subtasks"}
_MARKS = ("testStrategy", "details", "subtasks")
_ID_KEY = re.compile(r'"id"\s*:')


def recognises(data: Any) -> bool:
    """`data` (a decoded .json file) is a Taskmaster file: tagged, or `{"tasks": [...]}` whose
    tasks carry Taskmaster's keys (`details`, `testStrategy`, `subtasks`)."""
    if not isinstance(data, dict) or not data:
        return False
    if tags(data):
        return True
    found = data.get("tasks")
    return isinstance(found, list) and any(isinstance(t, dict) and any(k in t for k in _MARKS) for t in found)


def tags(data: Any) -> list[str]:
    """The tags of a tagged file, in file order ([] for the older form): the top-level keys whose
    value holds a `tasks` list (any other top-level key is ignored)."""
    if not isinstance(data, dict) or "tasks" in data:
        return []
    return [tag for tag, value in data.items() if _is_tag(value)]


def _is_tag(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("tasks"), list)


def parse(data: Any, text: str, file: str, external: frozenset[str], tag: str | None) -> ParsedPlan:
    """The plan of one tag (`tag`; when None, the file's only tag) or of an untagged file."""
    chosen = _tag(data, file, tag)
    block = data[chosen] if chosen else data
    metadata = block.get("metadata") or data.get("meta") or {}
    title = _title(chosen, metadata)
    parsed = ParsedPlan(format="taskmaster", title=title, drafts=[], id=slugify(chosen) if chosen else None)
    parsed.description = imported.text(metadata.get("description")) if isinstance(metadata, dict) else ""
    prefix = f"{slugify(chosen)}-" if chosen and chosen != MASTER else ""
    reader = _Reader(parsed, file, prefix, _lines(text, data, chosen))
    reader.read(block["tasks"])
    repair(parsed, file, external)
    if chosen:
        parsed.extra["tag"] = chosen
    return parsed


def _tag(data: Any, file: str, tag: str | None) -> str | None:
    found = tags(data)
    if not found:
        if tag is not None:
            raise PlanError(file, 1, "tag", f"--tag {tag}: the file has no tags (an untagged tasks.json)")
        return None
    if tag is None and len(found) == 1:
        return found[0]
    if tag in found:
        return tag
    named = f"no tag {tag!r}" if tag is not None else "several tags"
    raise PlanError(file, 1, "tag", f"{named}: the file has {', '.join(found)}; pass --tag TAG")


def _title(tag: str | None, metadata: Any) -> str:
    name = metadata.get("projectName") if isinstance(metadata, dict) else None
    return imported.text(name) or (f"Taskmaster tag {tag}" if tag else "Taskmaster tasks")


def _lines(text: str, data: Any, chosen: str | None) -> list[int | None]:
    """The line of each task and subtask of the chosen tag, in walk order: the `"id":` keys of the
    file in order are the items' ids when every item writes its id before its subtasks (as
    Taskmaster does); otherwise no lines are known."""
    names = tags(data)
    counts = [_count(data[name]["tasks"]) for name in names] if chosen else [_count(data["tasks"])]
    starts = [found.start() for found in _ID_KEY.finditer(text)]
    if sum(counts) != len(starts):
        return []
    at = names.index(chosen) if chosen else 0
    skip = sum(counts[:at])
    breaks = [found.start() for found in re.finditer("\n", text)]
    return [bisect.bisect_left(breaks, start) + 1 for start in starts[skip : skip + counts[at]]]


def _count(items: Any) -> int:
    if not isinstance(items, list):
        return 0
    return sum(1 + _count(item.get("subtasks")) for item in items if isinstance(item, dict) and "id" in item)


class _Reader:
    """Turns the tasks of one tag into drafts: ids and children, then the dependency references,
    each resolved among its own siblings first (a subtask's `1` is subtask 1 of the same task)."""

    def __init__(self, parsed: ParsedPlan, file: str, prefix: str, lines: list[int | None]) -> None:
        self.parsed, self.file, self.prefix, self.lines = parsed, file, prefix, lines
        self.walked = 0
        self.ids: set[str] = set()
        self.refs: list[tuple[Draft, list[Any]]] = []
        self.levels: dict[str | None, dict[str, str]] = {}

    def read(self, items: list[Any]) -> None:
        self._level(items, None, "")
        top = self.levels.get(None, {})
        for draft, refs in self.refs:
            siblings = self.levels.get(draft.task["parent"], {})
            draft.task["depends_on"] = [self._resolve(imported.text(ref), siblings, top) for ref in refs]

    def _level(self, items: Any, parent: str | None, number: str) -> None:
        siblings = self.levels.setdefault(parent, {})
        for index, item in enumerate(items if isinstance(items, list) else []):
            line = self._line(item)
            if not isinstance(item, dict):
                self.parsed.warn(self.file, line, "tasks", f"item {index + 1} of {parent or 'the tag'} is "
                                                           "not an object: skipped")
                continue
            own = self._own(item, index)
            draft = self._draft(item, parent, f"{self.prefix}{number}{own}", line)
            siblings.setdefault(own, draft.task["id"])
            refs = item.get("dependencies") or []
            self.refs.append((draft, refs if isinstance(refs, list) else [refs]))
            self._level(item.get("subtasks"), draft.task["id"], f"{number}{own}.")

    def _line(self, item: Any) -> int | None:
        if isinstance(item, dict) and "id" in item:
            self.walked += 1
            return self.lines[self.walked - 1] if self.walked <= len(self.lines) else None
        return None

    def _own(self, item: dict[str, Any], index: int) -> str:
        """The item's number within its list ("2" of "4.2"); its position when it has none."""
        own = slugify(imported.text(item.get("id")).rsplit(".", 1)[-1])
        return own or str(index + 1)

    def _draft(self, item: dict[str, Any], parent: str | None, task_id: str, line: int | None) -> Draft:
        task_id = self._unique(task_id, line)
        draft = Draft(new_task(task_id, imported.text(item.get("title")) or f"Task {task_id}", line or 1))
        task = draft.task
        task["parent"] = parent
        task["description"] = imported.joined(imported.text(item.get("description")),
                                              imported.text(item.get("details")))
        task["acceptance"] = [s for s in [imported.text(item.get("testStrategy"))] if s]
        where = (self.parsed, self.file, line)
        imported.status(task, item.get("status"), STATUSES, KEPT, where, "taskmaster")
        imported.priority(task, item.get("priority"), where)
        task["fields"].update({key: value for key, value in item.items() if key not in _KNOWN})
        self.parsed.drafts.append(draft)
        return draft

    def _unique(self, task_id: str, line: int | None) -> str:
        found, count = task_id, 1
        while found in self.ids:
            count += 1
            found = f"{task_id}-{count}"
        if found != task_id:
            message = f"duplicate task id {task_id}: this one is loaded as {found}"
            self.parsed.warn(self.file, line, "id", message)
        self.ids.add(found)
        return found

    def _resolve(self, key: str, siblings: dict[str, str], top: dict[str, str]) -> str:
        """A sibling's number, a task's number, or a dotted subtask number ("4.2"), as an id; else
        the reference as written (the repair drops it, warned)."""
        return siblings.get(key) or top.get(key) or f"{self.prefix}{key}"
