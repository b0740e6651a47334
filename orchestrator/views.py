"""The read views `orch status`, `orch next` (and the MCP server's) show: from the summaries
snapshot, the runtime's bindings and reservations; nothing is written."""

from __future__ import annotations

from typing import Any

from orchestrator import collector, graph, lifecycle
from orchestrator.errors import InvalidInput
from orchestrator.runtime import Runtime, now_iso
from orchestrator.schedule import ACTIVE, Schedule
from orchestrator.store import Store

_SEEN_ACROSS_PLANS = ACTIVE | {"completed"}  # what a wave of one plan needs to know of the others


def select_plan(store: Store, plan_id: str | None) -> list[dict[str, Any]]:
    plans = store.plans()
    if plan_id is None:
        return plans
    chosen = [p for p in plans if p["id"] == plan_id]
    if not chosen:
        known = ", ".join(p["id"] for p in plans) or "none yet"
        raise InvalidInput(f"no plan {plan_id!r} (plans: {known})")
    return chosen


def status_view(store: Store, plan_id: str | None = None) -> dict[str, Any]:
    with collector.paused():
        head, tasks, bindings, reserved = status_head(store, plan_id, store.summaries())
        return head | {"tasks": _task_rows(tasks, bindings, reserved)}


def status_head(
    store: Store, plan_id: str | None, summaries: list[dict[str, Any]]
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The status view but its rows (plan, plans, counts); the summaries of the plans shown; the
    runtime's bindings and reservations."""
    plans = select_plan(store, plan_id)
    wanted = {p["id"] for p in plans}
    tasks = [t for t in summaries if t["plan"] in wanted]
    runtime = Runtime(store.runtime)
    counts = {status: 0 for status in lifecycle.STATUSES}
    for task in tasks:
        counts[task["status"]] = counts.get(task["status"], 0) + 1
    head = {"plan": _plan_summary(plans), "plans": [_plan_meta(p) for p in plans], "counts": counts}
    return head, tasks, runtime.bindings(), runtime.dispatched()


def next_view(store: Store, plan_id: str | None = None, parallel: int | None = None) -> dict[str, Any]:
    """The ready tasks, best first, less those `orch dispatch` reserved for a subagent that has not
    started them yet (listed under `dispatched`); with `parallel`, a wave of them too."""
    wanted = {p["id"] for p in select_plan(store, plan_id)}
    with collector.paused():
        tasks = store.summaries()
        reserved = Runtime(store.runtime).dispatched()
        order = Schedule.from_config(store.config())
        ready = [t for t in graph.ready_tasks(tasks, order) if t["plan"] in wanted]
    view: dict[str, Any] = {
        "ready": [_ready_row(t) for t in ready if t["id"] not in reserved],
        "dispatched": [reservation_row(t["id"], reserved[t["id"]]) for t in ready if t["id"] in reserved],
    }
    if parallel is not None:
        # other plans' completed tasks meet dependencies, their active ones count for category WIP
        mine = [t for t in tasks if t["plan"] in wanted or t["status"] in _SEEN_ACROSS_PLANS]
        view["wave"] = graph.parallel_wave(mine, limit=parallel, skip=frozenset(reserved), schedule=order)
    return view


def reservation_row(task_id: str, reservation: dict[str, Any]) -> dict[str, Any]:
    """A reservation as `orch dispatch --json` and `orch next --json` show it (`until` in ISO time)."""
    return {"id": task_id, "by": reservation.get("by"), "until": now_iso(float(reservation["until"]))}


def _plan_meta(plan: dict[str, Any]) -> dict[str, Any]:
    return {key: plan.get(key) for key in ("id", "title", "source", "milestones", "gates")}


def _plan_summary(plans: list[dict[str, Any]]) -> dict[str, Any]:
    if len(plans) == 1:
        return _plan_meta(plans[0])
    return {
        "id": None,
        "title": f"{len(plans)} plans",
        "source": None,
        "milestones": [m for p in plans for m in p.get("milestones", [])],
        "gates": [],
    }


def _task_rows(
    tasks: list[dict[str, Any]], bindings: dict[str, dict[str, Any]], reserved: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each task's row, in one comprehension (a call per task costs a tenth more at 10,000)."""
    holders = holders_of(bindings)
    return [{
        "id": task["id"],
        "title": task["title"],
        "status": task["status"],
        "priority": task.get("priority", "medium"),
        "depends_on": task.get("depends_on", []),
        "bound_to": holders.get(task["id"]),
        "dispatched": task["id"] in reserved,
        "plan": task["plan"],
        "milestone": task.get("milestone"),
        "specialist": task.get("specialist"),
        "story": task.get("story"),
        "parent": task.get("parent"),
    } for task in tasks]


def holders_of(bindings: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The holder of each bound task."""
    return {task_id: binding["holder"] for task_id, binding in bindings.items() if binding}


def _ready_row(task: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": task["id"],
        "title": task["title"],
        "priority": task.get("priority", "medium"),
        "plan": task["plan"],
        "specialist": task.get("specialist"),
        "estimate": task.get("estimate"),
        "category": task.get("category"),
        "due": task.get("due"),
    }
