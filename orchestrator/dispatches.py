"""`orch dispatch`: reserve ready tasks for the subagents about to be launched on them.

The Agent tool may return before a subagent has run anything, so the task it was given is still
queued and unbound when the main agent asks `orch next` again. A reservation keeps it out of
`orch next` until the subagent's own `orch start` (which clears it), a `move`/`cancel` of the task,
or its expiry (`dispatch.ttl` seconds, `--ttl`): it moves no task, and anyone may `orch start` a
reserved task. Reservations are runtime state (`dispatched.json`, see `runtime.Runtime.reserve`).
"""

from __future__ import annotations

import math
from typing import Any

from orchestrator import config as config_mod
from orchestrator import graph, views, workflow
from orchestrator.errors import InvalidInput, OrchError
from orchestrator.runtime import Runtime, is_live
from orchestrator.store import Store


def dispatch(store: Store, task_ids: list[str], by: str, ttl: float | None = None) -> list[dict[str, Any]]:
    """Reserve every one of `task_ids` for `by`, or none of them: each must be queued, ready (its
    dependencies completed) and not bound to a live holder. Returns the reservations made."""
    wanted = list(dict.fromkeys(task_ids))
    if not wanted:
        raise InvalidInput("name the tasks to dispatch: `orch dispatch ID [ID ...]`")
    seconds = dispatch_ttl(store) if ttl is None else _checked_ttl(ttl)
    runtime = Runtime(store.runtime)
    with store.locked():
        problems = _refusals(store, runtime, wanted)
        if problems:
            raise InvalidInput(f"cannot dispatch {'; '.join(problems)}; nothing was reserved. "
                               "`orch next` lists the tasks ready to dispatch")
        made = runtime.reserve(wanted, by, seconds)
    return [views.reservation_row(task_id, made[task_id]) for task_id in wanted]


def dispatch_ttl(store: Store) -> float:
    """`dispatch.ttl`, or its default while the config cannot be read (doctor reports it)."""
    try:
        return config_mod.dispatch_ttl(store.config())
    except OrchError:
        return config_mod.dispatch_ttl({})


def _checked_ttl(ttl: float) -> float:
    if not math.isfinite(ttl) or ttl <= 0:
        raise InvalidInput(f"--ttl must be a positive number of seconds (got {ttl:g})")
    return ttl


def _refusals(store: Store, runtime: Runtime, task_ids: list[str]) -> list[str]:
    """Why each task that may not be dispatched may not ("ID (why)"), in the order given."""
    by_id = {task["id"]: task for task in store.summaries()}
    bindings = runtime.bindings()
    ttl = workflow.lease_ttl(store)
    found = []
    for task_id in task_ids:
        why = _why_not(task_id, by_id, bindings.get(task_id), ttl)
        if why:
            found.append(f"{task_id} ({why})")
    return found


def _why_not(task_id: str, by_id: dict[str, dict[str, Any]], binding: dict[str, Any] | None,
             ttl: float) -> str | None:
    task = by_id.get(task_id)
    if task is None:
        return "no such task: `orch status` lists the tasks"
    if task["status"] != "queued":
        return f"it is {task['status']}, not queued"
    if any(other.get("parent") == task_id for other in by_id.values()):
        return "it is a parent task: its children are the work (`orch next` lists them)"
    unfinished = graph.unfinished_dependencies(task, by_id)
    if unfinished:
        return "it is not ready: it depends on unfinished " + ", ".join(f"{d} ({s})" for d, s in unfinished)
    if binding is not None and is_live(binding, ttl):
        return f"it is bound to {binding.get('holder')} since {binding.get('since', '?')}"
    return None
