"""A task's acceptance checklist, ticked one item at a time with evidence (`orch check ID N`).

An item is ticked only when `orch check` ticked it: a `check` receipt in the task's chain (the
truth, see docs/receipts.md) and a row in the task's `checks`. A tick is matched to its item by
number and text, so an item whose text a re-loaded plan changed is open again. With
`policy.require_acceptance`, `orch done` refuses while an item is open. `check` is the one door
the CLI (and later an MCP tool) goes through. `checklist` is standard library only: the
SessionStart hook shows the ticks."""

from __future__ import annotations

from orchestrator import lifecycle
from orchestrator.errors import InvalidInput, Refused
from orchestrator.evidence import tick_of, ticks_with

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from orchestrator.store import Store

EVIDENCE_LIMIT = 2000


def checklist(task: dict[str, Any]) -> list[dict[str, Any]]:
    """Each acceptance item with its number (from 1) and, when ticked, its evidence, who and when."""
    ticks = {row.get("item"): row for row in task.get("checks") or [] if isinstance(row, dict)}
    items = []
    for number, text in enumerate(task.get("acceptance") or [], start=1):
        tick = ticks.get(number)
        mine = tick if tick is not None and tick.get("text") == text else {}
        items.append({"n": number, "text": text, "done": bool(mine), "evidence": mine.get("evidence"),
                      "by": mine.get("actor"), "at": mine.get("at")})
    return items


def open_items(task: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for item in checklist(task) if not item["done"]]


def check(store: Store, task_id: str, number: int, evidence: str, actor: str) -> dict[str, Any]:
    """Tick item `number` of `task_id` with `evidence`: a receipt, then the task file. Ticking an
    item again replaces its evidence (both receipts stay). Returns the ticked item."""
    from orchestrator import workflow

    evidence = _clean(evidence)
    with store.locked():
        task = store.task(task_id)
        workflow.check_holder(store, task_id, actor, "check")
        _check_open(task)
        text = _item(task, number)
        record = _receipt(store, task_id, actor, {"item": number, "text": text, "evidence": evidence})
        task["checks"] = ticks_with(task.get("checks") or [], tick_of(record))
        store.save_task(task)
    return next(item for item in checklist(task) if item["n"] == number)


def require_ticked(store: Store, task: dict[str, Any]) -> None:
    """With `policy.require_acceptance`, refuse to complete `task` while an item is open."""
    policy = store.config().get("policy") or {}
    missing = open_items(task) if policy.get("require_acceptance") else []
    if missing:
        listed = "; ".join(f"{item['n']}. {item['text']}" for item in missing)
        raise Refused(
            f"{task['id']} has {len(missing)} acceptance item(s) not ticked ({listed}); "
            f"policy.require_acceptance wants each ticked first: "
            f"`orch check {task['id']} N --evidence \"what shows it holds\"`"
        )


def _clean(evidence: str) -> str:
    text = " ".join(evidence.split())
    if not text:
        raise InvalidInput("--evidence must say what shows the item holds (a test, a command's output, "
                           "a file)")
    if len(text) > EVIDENCE_LIMIT:
        raise InvalidInput(f"--evidence is {len(text)} characters; keep it under {EVIDENCE_LIMIT} "
                           "(name the test or file that shows it instead of pasting it)")
    return text


def _check_open(task: dict[str, Any]) -> None:
    if task["status"] in lifecycle.ACTIVE or task["status"] == "blocked":
        return
    queued = task["status"] == "queued"
    hint = f"start it first (`orch start {task['id']}`)" if queued else "its checklist is closed"
    raise Refused(f"{task['id']} is {task['status']}, not in progress: {hint}")


def _item(task: dict[str, Any], number: int) -> str:
    items = task.get("acceptance") or []
    if not items:
        raise InvalidInput(f"{task['id']} has no acceptance checklist: there is nothing to tick")
    if not 1 <= number <= len(items):
        raise InvalidInput(f"{task['id']} has acceptance items 1 to {len(items)}, not {number} "
                           f"(`orch show {task['id']}` lists them)")
    return str(items[number - 1])


def _receipt(store: Store, task_id: str, actor: str, data: dict[str, Any]) -> dict[str, Any]:
    from orchestrator import receipts

    return receipts.append(store.dir, receipts.task_chain(task_id), event="check", actor=actor,
                           task=task_id, data=data)
