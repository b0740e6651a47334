"""orch's own tools, with the JSON of the matching `orch … --json` command."""

from __future__ import annotations

from typing import Any

from orchestrator import completion, leases, receipts, views, workflow
from orchestrator.mcp.caller import Caller
from orchestrator.mcp.tools import Arguments, Failure, andon
from orchestrator.store import Store


def next_(store: Store, caller: Caller, args: Arguments) -> dict[str, Any]:
    return views.next_view(store, args.text("plan", "") or None, args.number("parallel"))


def start(store: Store, caller: Caller, args: Arguments) -> dict[str, Any]:
    task = workflow.start(store, args.text("task_id"), caller.id, caller.session)
    return {"task": task, "bound_to": caller.id, "caller": caller.shown()}


def done(store: Store, caller: Caller, args: Arguments) -> dict[str, Any]:
    task_id = args.text("task_id")
    outcome = completion.done(store, task_id, caller.id)
    shown = {k: v for k, v in outcome.items() if k != "task"} | {"status": outcome["task"]["status"]}
    if not outcome["completed"]:
        raise andon(task_id, outcome, shown)
    return shown


def status(store: Store, caller: Caller, args: Arguments) -> dict[str, Any]:
    return views.status_view(store, args.text("plan", "") or None)


def verify(store: Store, caller: Caller, args: Arguments) -> dict[str, Any]:
    result = receipts.verify(store.dir, store.root)
    if not result["ok"]:
        raise Failure("the receipts do not verify: the result names the first bad record", result)
    return result


def locks(store: Store, caller: Caller, args: Arguments) -> dict[str, Any]:
    return leases.view(store)


TOOLS = {
    "orch_next": next_,
    "orch_start": start,
    "orch_done": done,
    "orch_status": status,
    "orch_verify": verify,
    "orch_locks": locks,
}
