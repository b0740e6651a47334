"""`orch plan expand T FILE`: the plan in FILE (any format) loaded as task T's children.

The sub-plan is a plan of its own (`plan: {"parent": T}`), so it is added, replaced, reported and
recovered like any other. Its top-level tasks get `parent: T`; they (and their own children)
inherit T's dependencies and milestone; their ids are scoped `T-<id>` when one clashes with a task
of another plan. T is then a parent: never ready nor started, completed when its last child
completes and its own gates pass (`rollup`), so whatever depends on T waits for all of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestrator import lifecycle
from orchestrator.errors import InvalidInput, Refused
from orchestrator.hierarchy import inherit
from orchestrator.store import Store


def expand(store: Store, task_id: str, source: Path, *, plan_id: str | None = None, replace: bool = False,
           actor: str = "orch", strict: bool = False, tag: str | None = None) -> dict[str, Any]:
    """Load `source` as the sub-plan of `task_id` (see the module docstring)."""
    from orchestrator import planload

    store.task(task_id)  # an unknown task is refused before the file is read
    return planload.add_plan(store, source, replace=replace, plan_id=plan_id, actor=actor, strict=strict,
                             tag=tag, parent=task_id)


def attach(normalised: dict[str, Any], tasks: list[dict[str, Any]], parent_id: str) -> None:
    """Make the loaded plan `normalised` the sub-plan of `parent_id`, one of `tasks` (the repo's)."""
    plan = normalised["plan"]
    parent = _parent(tasks, parent_id, plan["id"])
    _check_owner(tasks, plan["id"], parent_id)
    local = {task["id"] for task in normalised["tasks"]}
    for task in normalised["tasks"]:
        if task.get("parent") not in local:
            task["parent"] = parent_id
    inherit(normalised["tasks"], {parent_id: parent})
    milestone = parent.get("milestone")
    if milestone and all(m["id"] != milestone for m in plan["milestones"]):
        plan["milestones"].append({"id": milestone, "title": milestone})
    plan["parent"] = parent_id


def _parent(tasks: list[dict[str, Any]], parent_id: str, plan_id: str) -> dict[str, Any]:
    parent = next((task for task in tasks if task["id"] == parent_id), None)
    if parent is None:
        raise InvalidInput(f"no task {parent_id!r} to expand")
    if parent["plan"] == plan_id:
        raise InvalidInput(f"the sub-plan of {parent_id} would replace its own plan {plan_id!r}: "
                           "give it another id with --id")
    if parent["status"] in lifecycle.ACTIVE or parent["status"] in lifecycle.FINISHED:
        raise Refused(f"{parent_id} is {parent['status']}: only a task not yet started is expanded "
                      f"(`orch move {parent_id} queued` puts a started one back)")
    return parent


def _check_owner(tasks: list[dict[str, Any]], plan_id: str, parent_id: str) -> None:
    """A plan of that id that is not already this task's sub-plan is never replaced by one."""
    owners = {task.get("parent") for task in tasks if task["plan"] == plan_id}
    if owners and parent_id not in owners:
        raise Refused(f"plan {plan_id!r} already exists and is not {parent_id}'s sub-plan: "
                      "give the sub-plan another id with --id")
