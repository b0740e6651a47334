"""Sub-plans: tasks whose `parent` names another task, and what that means for the parent.

A task with children is a parent. It is never ready and never started itself; its children
inherit its dependencies and milestone (when they have none of their own), and it completes when
its last child does and its own gates pass (`rollup`). So a task that depends on a parent waits
for every child. Pure functions over tasks as plain dicts; standard library only.
"""

from __future__ import annotations

from typing import Any

from orchestrator.lifecycle import FINISHED

Task = dict[str, Any]


def parent_ids(tasks: list[Task]) -> set[str]:
    """The ids of the tasks that some task names as its parent."""
    return {parent for task in tasks if (parent := task.get("parent"))}


def children_of(tasks: list[Task], task_id: str) -> list[Task]:
    """The tasks whose parent is `task_id`, in list order."""
    return [task for task in tasks if task.get("parent") == task_id]


def children_finished(children: list[Task]) -> bool:
    """Every child is completed or cancelled: `orch done PARENT` may complete the parent."""
    return bool(children) and all(child["status"] in FINISHED for child in children)


def children_done(children: list[Task]) -> bool:
    """Every child is finished and at least one completed: its parent completes by itself."""
    return children_finished(children) and any(child["status"] == "completed" for child in children)


def open_children(children: list[Task]) -> list[str]:
    """`id (status)` of each child not yet finished."""
    return [f"{child['id']} ({child['status']})" for child in children if child["status"] not in FINISHED]


def with_child_edges(tasks: list[Task]) -> list[Task]:
    """The tasks with each parent depending on its children (copies; the others as they are), for
    cycle checks (a child that depends on something waiting for its parent can never start) and the
    critical path (which runs through a parent's children)."""
    extra: dict[str, list[str]] = {}
    for task in tasks:
        if task.get("parent"):
            extra.setdefault(task["parent"], []).append(task["id"])
    if not extra:
        return tasks
    return [{**t, "depends_on": [*(t.get("depends_on") or ()), *extra[t["id"]]]} if t["id"] in extra else t
            for t in tasks]


def inherit(tasks: list[Task], outside: dict[str, Task] | None = None) -> None:
    """Give each child its parent's dependencies and, when it has none, its milestone; parents
    first, so a grandchild inherits what its parent inherited. `outside` holds parents that are
    not in `tasks` (the task a sub-plan expands)."""
    by_id = {**(outside or {}), **{task["id"]: task for task in tasks}}
    done: set[str] = set()
    for task in tasks:
        _inherit_one(task, by_id, done)


def _inherit_one(task: Task, by_id: dict[str, Task], done: set[str]) -> None:
    chain: list[Task] = []
    while task["id"] not in done and task.get("parent") in by_id and len(chain) <= len(by_id):
        chain.append(task)
        task = by_id[task["parent"]]
    for child in reversed(chain):
        parent = by_id[child["parent"]]
        child["depends_on"] = list(dict.fromkeys([*parent.get("depends_on", []), *child["depends_on"]]))
        if not child.get("milestone"):
            child["milestone"] = parent.get("milestone")
        done.add(child["id"])


def tree_order(tasks: list[Task]) -> list[tuple[Task, int]]:
    """The tasks with their depth, each parent followed by its children (list order among
    siblings); a task whose parent is not in the list is a root."""
    ids = {task["id"] for task in tasks}
    kids: dict[str | None, list[Task]] = {}
    for task in tasks:
        parent = task.get("parent")
        kids.setdefault(parent if parent in ids else None, []).append(task)
    found: list[tuple[Task, int]] = []
    stack = [(task, 0) for task in reversed(kids.get(None, []))]
    while stack:
        task, depth = stack.pop()
        found.append((task, depth))
        stack.extend((child, depth + 1) for child in reversed(kids.get(task["id"], [])))
    seen = {id(task) for task, _depth in found}
    return found + [(task, 0) for task in tasks if id(task) not in seen]  # a parent cycle: flat
