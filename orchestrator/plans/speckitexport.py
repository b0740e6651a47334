"""A plan written back as a spec-kit task list, so a team keeps reading `tasks.md` while orch keeps
the state (`orch plan export --format speckit PLAN`).

A plan that came from a spec-kit file is that file, as orch saved it, with each task's box set from
orch's state: `[x]` for completed, `[ ]` for anything else. Every other line is left as written, so
`orch plan add --replace` of the result keeps every task's id. Any other plan is written fresh:
one phase per milestone, each task `[P]` with its dependencies spelled out ("depends on …").
"""

from __future__ import annotations

import re
from typing import Any

from orchestrator.plans import speckit

_SPECKIT_ID = re.compile(r"T\d+[a-z]?")


def export(plan: dict[str, Any], tasks: list[dict[str, Any]], source: str | None) -> str:
    """The spec-kit text of `plan` with `tasks` (its tasks, in plan order) in their current state."""
    if plan.get("format") == "speckit" and source is not None:
        return _ticked(source, plan, tasks)
    return _fresh(plan, tasks)


def _ticked(source: str, plan: dict[str, Any], tasks: list[dict[str, Any]]) -> str:
    """The saved source with each task line's box set from the task's status."""
    done = {task["id"]: task["status"] == "completed" for task in tasks}
    prefix = f"{plan['id_prefix']}-" if plan.get("id_prefix") else ""  # see plans/scoped.py
    lines = source.split("\n")
    for draft in speckit.parse(source, str(plan.get("source") or "tasks.md")).drafts:
        index, task_id = int(draft.task["line"]) - 1, prefix + draft.task["id"]
        if task_id in done and 0 <= index < len(lines):
            lines[index] = _box(lines[index], done[task_id])
    return "\n".join(lines)


def _box(line: str, done: bool) -> str:
    """`line` with its first checkbox ticked or cleared; an `[X]` already there stays as written."""
    found = speckit.TASK_LINE.match(line)
    if found is None or (found["box"].lower() == "x") == done:
        return line
    start = found.start("box")
    return f"{line[:start]}{'x' if done else ' '}{line[start + 1 :]}"


def _fresh(plan: dict[str, Any], tasks: list[dict[str, Any]]) -> str:
    """A new spec-kit list: the title, the description, then a phase per milestone."""
    parts = [f"# Tasks: {plan.get('title') or plan['id']}", ""]
    if plan.get("description"):
        parts += [plan["description"].strip(), ""]
    for number, (title, members) in enumerate(_phases(plan, tasks), 1):
        parts += [f"## Phase {number}: {title}", "", *(_task_line(task) for task in members), ""]
    return "\n".join(parts)


def _phases(plan: dict[str, Any], tasks: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(title, tasks) per milestone in the plan's order; tasks without one make a "Tasks" phase."""
    titles = {m["id"]: m.get("title") or m["id"] for m in plan.get("milestones") or []}
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for task in tasks:
        groups.setdefault(task.get("milestone"), []).append(task)
    order = [m for m in titles if m in groups] + [m for m in groups if m not in titles]
    return [(titles.get(m) or m or "Tasks", groups[m]) for m in order]


def _task_line(task: dict[str, Any]) -> str:
    """`- [x] T001 [P] [US1] Title (depends on T000)`: ids that are not `T<digits>` are backticked."""
    box = "x" if task["status"] == "completed" else " "
    story = (task.get("fields") or {}).get("story")
    label = f" [{story}]" if story else ""
    after = ", ".join(_written(dependency) for dependency in task.get("depends_on") or [])
    after = f" (depends on {after})" if after else ""
    return f"- [{box}] {_written(task['id'])} [P]{label} {task['title']}{after}"


def _written(task_id: str) -> str:
    return task_id if _SPECKIT_ID.fullmatch(task_id) else f"`{task_id}`"
