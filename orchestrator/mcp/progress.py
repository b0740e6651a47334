"""Progress per plan, in mcp-task-orchestrator's shape (`orchestrator_get_status` and the
`parent_task_progress` of a completion), from the task summaries orch's read views use."""

from __future__ import annotations

from typing import Any

from orchestrator.lifecycle import FINISHED
from orchestrator.runtime import Runtime
from orchestrator.store import Store


def counts(tasks: list[dict[str, Any]]) -> dict[str, Any]:
    done = sum(1 for t in tasks if t["status"] == "completed")
    total = len(tasks)
    return {"completed": done, "total": total, "percentage": round(100.0 * done / total, 1) if total else 0.0}


def plan_state(tasks: list[dict[str, Any]]) -> str:
    if tasks and all(t["status"] in FINISHED for t in tasks):
        return "completed"
    return "in_progress" if any(t["status"] != "queued" for t in tasks) else "planned"


def of_plan(store: Store, plan_id: str) -> dict[str, Any]:
    """`parent_task_progress` after a subtask moved."""
    tasks = [t for t in store.summaries() if t["plan"] == plan_id]
    tally = counts(tasks)
    return {"progress": plan_state(tasks), "parent_task_id": plan_id,
            "completed_subtasks": tally["completed"], "total_subtasks": tally["total"],
            "progress_percentage": tally["percentage"]}


def status(store: Store, include_completed: bool) -> dict[str, Any]:
    """Every plan with its subtasks (holder included); completed plans and subtasks only when
    `include_completed`."""
    tasks, bindings = store.summaries(), Runtime(store.runtime).bindings()
    active: list[dict[str, Any]] = []
    completed: list[dict[str, Any]] = []
    for plan in store.plans():
        mine = [t for t in tasks if t["plan"] == plan["id"]]
        entry = _plan_entry(plan, mine, bindings, include_completed)
        (completed if entry["status"] == "completed" else active).append(entry)
    view: dict[str, Any] = {"active_tasks": active}
    if include_completed:
        view["completed_tasks"] = completed
    view["system_status"] = {"total_active_tasks": len(active), "health": _health(tasks),
                             "recommendations": _recommendations(tasks)}
    return view


def _plan_entry(plan: dict[str, Any], tasks: list[dict[str, Any]], bindings: dict[str, dict[str, Any]],
                include_completed: bool) -> dict[str, Any]:
    shown = tasks if include_completed else [t for t in tasks if t["status"] != "completed"]
    return {
        "parent_task_id": plan["id"],
        "description": plan.get("title") or plan["id"],
        "status": plan_state(tasks),
        "subtasks": [_subtask(t, bindings) for t in shown],
        "progress": counts(tasks),
    }


def _subtask(task: dict[str, Any], bindings: dict[str, dict[str, Any]]) -> dict[str, Any]:
    binding = bindings.get(task["id"])
    return {"task_id": task["id"], "title": task["title"], "status": task["status"],
            "specialist_type": task.get("specialist") or "implementer",
            "dependencies": task.get("depends_on", []), "bound_to": binding["holder"] if binding else None}


def _health(tasks: list[dict[str, Any]]) -> str:
    return "attention" if any(t["status"] == "blocked" for t in tasks) else "good"


def _recommendations(tasks: list[dict[str, Any]]) -> list[str]:
    blocked = [t["id"] for t in tasks if t["status"] == "blocked"]
    if not blocked:
        return []
    return [f"blocked: {', '.join(blocked)}; `orch show ID` gives the reason (a failing gate, or what it "
            "waits on)"]
