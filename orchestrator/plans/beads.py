"""beads' `issues.jsonl` (`.beads/issues.jsonl`, steveyegge/beads) read as a plan.

One JSON issue a line: `id`, `title`, `description`, `design`, `acceptance_criteria`, `notes`,
`status`, `priority` (0-4), `issue_type`, `assignee`, `labels`, `estimated_minutes` and
`dependencies` (`{"issue_id", "depends_on_id", "type"}`). A `blocks` edge is a dependency, a
`parent-child` one makes the issue a child of `depends_on_id` (as a hierarchical id does: `bd-a3f8.1`
of `bd-a3f8`), every other kind (`related`, `discovered-from`, …) is kept in the task's `links`
field. Tombstones (deleted issues) are skipped.
A line orch cannot read is a warning, never a refusal of the file (`--strict` refuses it).
"""

from __future__ import annotations

import json
from typing import Any

from orchestrator.plans import imported
from orchestrator.plans.drafts import Draft, ParsedPlan, new_task
from orchestrator.plans.repair import repair
from orchestrator.plans.values import check_id

STATUSES = {
    "open": "queued", "in_progress": "in_progress", "blocked": "blocked", "closed": "completed",
    "deferred": "blocked", "pinned": "queued", "hooked": "in_progress",
}  # fmt: skip
KEPT = frozenset({"deferred", "pinned", "hooked"})  # statuses orch has no word for: kept in the fields
PRIORITIES = {0: "critical", 1: "high", 2: "medium", 3: "low", 4: "low"}
BLOCKING = frozenset({"blocks", "conditional-blocks", "waits-for"})
PARENT = "parent-child"
_KNOWN = {"id", "title", "description", "design", "acceptance_criteria", "notes", "status", "priority",
          "issue_type", "estimated_minutes", "dependencies"}


def recognises(text: str) -> bool:
    """`text`'s first line is a JSON object with beads' `id` and `status` or `issue_type`."""
    first = text.lstrip().split("\n", 1)[0]
    try:
        data = json.loads(first)
    except ValueError:
        return False
    return isinstance(data, dict) and "id" in data and ("issue_type" in data or "status" in data)


def parse(text: str, file: str, external: frozenset[str]) -> ParsedPlan:
    """The plan of every live issue of an `issues.jsonl`."""
    parsed = ParsedPlan(format="beads", title="beads issues", drafts=[], id="beads")
    by_id: dict[str, Draft] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        issue = _issue(line, number, parsed, file) if line.strip() else None
        if issue is not None and not _tombstone(issue):
            _add(_draft(issue, number, parsed, file), by_id, parsed, file)
    parsed.drafts = list(by_id.values())
    _parents_by_id(by_id)
    repair(parsed, file, external)
    return parsed


def _parents_by_id(by_id: dict[str, Draft]) -> None:
    """An issue with no `parent-child` edge whose id is hierarchical (`bd-a3f8.1`, as `bd create
    --parent` names a child) is a child of the issue its id extends, when that one is in the file:
    beads itself reads the id that way (`types.ParseHierarchicalID`)."""
    for task_id, draft in by_id.items():
        base, dot, number = task_id.rpartition(".")
        if dot and number.isdigit() and base in by_id and draft.task["parent"] is None:
            draft.task["parent"] = base


def _issue(line: str, number: int, parsed: ParsedPlan, file: str) -> dict[str, Any] | None:
    try:
        issue = json.loads(line)
    except ValueError as exc:
        parsed.warn(file, number, "json", f"not a JSON object ({exc}): line skipped")
        return None
    if not isinstance(issue, dict) or not isinstance(issue.get("id"), str | int):
        parsed.warn(file, number, "id", "an issue without an 'id': line skipped")
        return None
    try:
        check_id(str(issue["id"]))
    except ValueError as exc:
        parsed.warn(file, number, "id", f"{exc}: line skipped")
        return None
    return issue


def _tombstone(issue: dict[str, Any]) -> bool:
    return issue.get("status") == "tombstone" or bool(issue.get("deleted_at"))


def _add(draft: Draft, by_id: dict[str, Draft], parsed: ParsedPlan, file: str) -> None:
    """A later line for the same id is a later version of the issue (an appended update): it wins."""
    task = draft.task
    earlier = by_id.pop(task["id"], None)
    if earlier is not None:
        parsed.warn(file, task["line"], "id", f"{task['id']} again (first at line {earlier.task['line']}): "
                                              "the later line is loaded")
    by_id[task["id"]] = draft


def _draft(issue: dict[str, Any], number: int, parsed: ParsedPlan, file: str) -> Draft:
    task_id = str(issue["id"])
    draft = Draft(new_task(task_id, imported.text(issue.get("title")) or task_id, number))
    task, where = draft.task, (parsed, file, number)
    task["description"] = imported.text(issue.get("description"))
    task["sections"] = {name: value for name, key in (("Design", "design"), ("Notes", "notes"))
                        if (value := imported.text(issue.get(key)))}
    task["acceptance"] = _lines(imported.text(issue.get("acceptance_criteria")))
    imported.status(task, issue.get("status", "open"), STATUSES, KEPT, where, "beads")
    _priority(task, issue.get("priority"), where)
    task["category"] = imported.text(issue.get("issue_type")) or None
    task["estimate"] = _hours(issue.get("estimated_minutes"))
    task["parent"] = None
    task["fields"].update({key: value for key, value in issue.items() if key not in _KNOWN})
    _links(task, issue.get("dependencies"), where)
    return draft


def _priority(task: dict[str, Any], value: Any, where: tuple[ParsedPlan, str, int]) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and value in PRIORITIES:
        task["priority"] = PRIORITIES[value]
        task["fields"]["beads_priority"] = value
    else:
        imported.priority(task, value, where)


def _hours(minutes: Any) -> float | None:
    ok = isinstance(minutes, int | float) and not isinstance(minutes, bool) and minutes >= 0
    return round(float(minutes) / 60, 4) if ok else None


def _lines(text: str) -> list[str]:
    """Acceptance criteria written as lines or bullets, one criterion each."""
    found = (line.strip().lstrip("-*").strip() for line in text.splitlines())
    return [line for line in found if line]


def _links(task: dict[str, Any], edges: Any, where: tuple[ParsedPlan, str, int]) -> None:
    """`blocks` edges as dependencies, the first `parent-child` edge as the parent, the rest kept."""
    parsed, file, line = where
    links = []
    for edge in edges if isinstance(edges, list) else []:
        target = edge.get("depends_on_id") if isinstance(edge, dict) else None
        if not isinstance(target, str | int) or str(target) == "":
            message = f"{task['id']}: a dependency without 'depends_on_id': skipped"
            parsed.warn(file, line, "dependencies", message)
            continue
        kind, target = str(edge.get("type") or "blocks"), str(target)
        if kind in BLOCKING:
            task["depends_on"].append(target)
        elif kind == PARENT and task["parent"] in (None, target):
            task["parent"] = target
        elif kind == PARENT:
            parsed.warn(file, line, "parent", f"{task['id']} has two parents, {task['parent']} and {target}: "
                                              f"it is loaded as a child of {task['parent']}")
        else:
            links.append({"type": kind, "id": target})
    if links:
        task["fields"]["links"] = links
