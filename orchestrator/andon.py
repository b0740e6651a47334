"""The andon: a failed gate at `orch done` stops the task (blocked), with a root-cause record.

The record (`task["andon"]`) holds the failing gate, its command and output, and the "why" entries
the agent adds with `orch why ID TEXT` (five at most: the five whys), plus the fix task
`andon.fix_task` opened for it (`fixtask.py`). Each why is a `why` receipt in the task's chain, so
`orch log` shows the chain and recovery rebuilds it. A task stays on one andon while it is blocked:
gates failing again update the gate and output but keep the whys; when its gates pass the record
moves to `task["andons"]`, the task's resolved stoppages, which the report keeps showing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orchestrator import evidence
from orchestrator.errors import InvalidInput, Refused
from orchestrator.runtime import now_iso

if TYPE_CHECKING:
    from orchestrator.store import Store

MAX_WHYS = 5
KEPT_ANDONS = 5
WHY_LIMIT = 1000
PREFIX = "andon:"


def pull(task: dict[str, Any], actor: str, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Block `task` on its first failed gate (in memory); returns the transition entries made."""
    from orchestrator import workflow

    failed = next(r for r in results if not r["passed"])
    why = failed.get("why") or failed["error"] or f"exit code {failed['exit_code']}"
    before = task.get("andon") if task["status"] == "blocked" else None
    task["andon"] = {
        "gate": failed["name"], "command": failed["command"], "why": why, "tail": failed["tail"],
        "suggestion": failed["suggestion"], "at": now_iso(),
        "whys": list((before or {}).get("whys") or []),
        **({"fix_task": before["fix_task"]} if before and before.get("fix_task") else {}),
    }
    reason = f"{PREFIX} gate '{failed['name']}' failed ({why}); next: {failed['suggestion']}"
    if task["status"] == "blocked":
        task["block_reason"] = reason
        return []
    entry = workflow.transition(task, "blocked", actor, reason)
    task["block_reason"] = reason
    return [entry]


def resolve(task: dict[str, Any]) -> None:
    """The gates pass: the open andon, if any, joins the task's resolved ones."""
    record = task.pop("andon", None)
    if isinstance(record, dict):
        past = [*(task.get("andons") or []), {**record, "resolved_at": now_iso()}]
        task["andons"] = past[-KEPT_ANDONS:]


def why(store: Store, task_id: str, text: str, actor: str) -> dict[str, Any]:
    """`orch why`: add one "why" to the task's open andon (a receipt, then the task file)."""
    from orchestrator import receipts, workflow

    text = _clean(text)
    with store.locked():
        task = store.task(task_id)
        workflow.check_holder(store, task_id, actor, "why")
        record = _open_andon(task)
        whys = list(record.get("whys") or [])
        if len(whys) >= MAX_WHYS:
            raise InvalidInput(f"{task_id}'s andon already has {MAX_WHYS} whys (the five whys): the last one "
                               "should name the root cause; fix it, then `orch done " + task_id + "`")
        data = {"n": len(whys) + 1, "text": text, "gate": record.get("gate")}
        written = receipts.append(store.dir, receipts.task_chain(task_id), event="why", actor=actor,
                                  task=task_id, data=data)
        entry = evidence.why_of(written)
        task["andon"] = {**record, "whys": [*whys, entry]}
        store.save_task(task)
    return {"task": task_id, "andon": task["andon"], "why": entry}


def check_fix_done(store: Store, task: dict[str, Any]) -> None:
    """`orch done` of a task its andon gave a fix task waits for that task to complete."""
    fix = (task.get("andon") or {}).get("fix_task") if task["status"] == "blocked" else None
    other = store.task_or_none(fix) if fix else None
    if other is not None and other["status"] != "completed":
        raise Refused(f"{task['id']} waits on its fix task {fix} ({other['status']}): finish it first "
                      f"(`orch start {fix}`, then `orch done {fix}`), then `orch done {task['id']}`")


def _open_andon(task: dict[str, Any]) -> dict[str, Any]:
    record = task.get("andon")
    if task["status"] in ("completed", "cancelled") or not isinstance(record, dict):
        raise Refused(f"{task['id']} has no andon pulled: `orch why` records why a failed gate stopped "
                      f"a task (`orch done {task['id']}` pulls it when a gate fails)")
    return record


def _clean(text: str) -> str:
    found = " ".join(text.split())
    if not found:
        raise InvalidInput("say why: `orch why ID \"the gate failed because …\"`")
    if len(found) > WHY_LIMIT:
        raise InvalidInput(f"a why is {len(found)} characters; keep it under {WHY_LIMIT}")
    return found
