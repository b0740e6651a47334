"""The board's JSON: every task as a card, the critical path, milestones and their tags, the latest
receipts and the plan's flow metrics, built from the store's snapshot reads (no task file is read
one by one). Everything in it that came from a plan is untrusted text: the page shows it as text."""

from __future__ import annotations

from typing import Any

from orchestrator import graph, lifecycle, metrics
from orchestrator.board import timeline
from orchestrator.hierarchy import with_child_edges
from orchestrator.milestones import slug
from orchestrator.runtime import Runtime
from orchestrator.store import Store

SCHEMA = 1


def board_view(store: Store, stamp: str = "", *, actions: bool = False) -> dict[str, Any]:
    """The whole board: what `/api/board` answers and the export writes."""
    return with_runtime(tasks_view(store), Runtime(store.runtime)) | {"stamp": stamp, "actions": actions}


def tasks_view(store: Store, tasks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The board from `.orch/` and git alone (no holder or lease yet): it changes only when a task,
    a plan or a receipt does, so the server keeps it while only leases and bindings move. `tasks`:
    the store's tasks when the caller has them (`TaskCache`)."""
    tasks = store.tasks() if tasks is None else tasks
    plans, tags = store.plans(), timeline.orch_tags(store)
    return {
        "schema": SCHEMA, "stamp": "", "repo": store.root.name, "actions": False,
        "statuses": list(lifecycle.STATUSES),
        "plans": [{"id": p["id"], "title": p.get("title") or p["id"]} for p in plans],
        "tasks": [card(t) for t in tasks],
        "critical_path": _critical(tasks),
        "milestones": milestone_rows(plans, tasks, {tag["name"] for tag in tags}),
        "timeline": timeline.recent(store, tags),
        "metrics": plan_metrics(tasks),
    }


def with_runtime(view: dict[str, Any], runtime: Runtime) -> dict[str, Any]:
    """`view` (not changed) with each card's holder and live leases from the runtime folder."""
    bindings, leased = runtime.bindings(), _leases_by_task(runtime)
    cards = []
    for row in view["tasks"]:
        binding, leases = bindings.get(row["id"]), leased.get(row["id"])
        if binding or leases:
            row = row | {"holder": binding.get("holder") if binding else None, "leases": leases or []}
        cards.append(row)
    return view | {"tasks": cards}


def card(task: dict[str, Any]) -> dict[str, Any]:
    """One task's card: what the kanban and the graph show of it (holder and leases: `with_runtime`)."""
    andon = task.get("andon") if task.get("status") == "blocked" else None
    return {
        "id": task["id"], "title": task.get("title") or "", "status": task["status"],
        "priority": task.get("priority") or "medium", "specialist": task.get("specialist"),
        "category": task.get("category"), "plan": task.get("plan"), "milestone": task.get("milestone"),
        "depends_on": list(task.get("depends_on") or []), "estimate": task.get("estimate"),
        "parent": task.get("parent"), "holder": None, "leases": [], "gate": last_gate(task),
        "andon": _andon_reason(andon) if isinstance(andon, dict) else None,
        "block_reason": task.get("block_reason") if task.get("status") == "blocked" else None,
    }


def _andon_reason(andon: dict[str, Any]) -> str:
    """`gate tests failed (exit code 1)`: the andon's failing gate and why."""
    return f"gate {andon.get('gate') or '?'} failed ({andon.get('why') or 'no reason recorded'})"


def last_gate(task: dict[str, Any]) -> dict[str, Any] | None:
    """The task's last gate run: passed or not, and the names of the gates that failed."""
    runs = task.get("gate_results")
    run = runs[-1] if isinstance(runs, list) and runs and isinstance(runs[-1], list) else None
    if not run:
        return None
    results = [r for r in run if isinstance(r, dict)]
    failed = [str(r.get("name") or "?") for r in results if r.get("passed") is not True]
    return {"passed": not failed and bool(results), "failed": failed, "gates": len(results)}


def milestone_rows(plans: list[dict[str, Any]], tasks: list[dict[str, Any]],
                   tags: set[str]) -> list[dict[str, Any]]:
    """Each plan's milestones (declared, then those only its tasks name): how many of their tasks
    are completed, and their tag once made."""
    groups: dict[tuple[Any, Any], list[dict[str, Any]]] = {}
    for task in tasks:
        if task.get("milestone"):
            groups.setdefault((task.get("plan"), task["milestone"]), []).append(task)
    rows = []
    for plan in plans:
        declared = [m for m in plan.get("milestones") or [] if isinstance(m, dict) and m.get("id")]
        known = {m["id"] for m in declared}
        named = [{"id": m} for p, m in groups if p == plan["id"] and m not in known]
        for milestone in [*declared, *named]:
            mine = groups.get((plan["id"], milestone["id"]), [])
            tag = f"{slug(plan['id'])}/{slug(str(milestone['id']))}"
            rows.append({"plan": plan["id"], "id": milestone["id"], "title": milestone.get("title") or "",
                         "total": len(mine), "completed": sum(t["status"] == "completed" for t in mine),
                         "tag": tag if tag in tags else None})
    return rows


def plan_metrics(tasks: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Cycle and lead time, rework and gate pass rates; None while no task has been measured. A
    task that never moved after it was added, ran no gate and had no andon adds nothing to them,
    so only the others are measured (at 10,000 tasks, most are still queued)."""
    moved = [t for t in tasks if len(t.get("history") or []) > 1 or t.get("gate_results")
             or t.get("andons") or t.get("andon")]
    rows = [metrics.task_metrics(task) for task in moved]
    summary, gates = metrics.aggregate(rows), metrics.gate_stats(moved)
    if not summary["measured"] and not gates and not summary["rework"]:
        return None
    return {"aggregate": summary, "gates": gates}


def _critical(tasks: list[dict[str, Any]]) -> dict[str, Any]:
    try:
        chain, hours = graph.critical_path(with_child_edges(tasks))
    except ValueError:
        return {"tasks": [], "hours": 0.0}
    return {"tasks": chain, "hours": hours}


def _leases_by_task(runtime: Runtime) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path, lease in sorted(runtime.live_leases().items()):
        found.setdefault(str(lease.get("task")), []).append(path)
    return found
