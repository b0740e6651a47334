"""`andon.fix_task`: when a gate pulls the andon, a task to fix the cause, which the blocked task
then depends on.

The fix task joins the blocked task's plan (id `<task>-fix`, `-fix-2`, …), with its priority,
specialist, milestone, declared `files` and `gates`: it must make the same gates pass over the
same files. It depends on nothing (the blocked task's own dependencies are done: it was started),
so the new edge cannot close a cycle. The blocked task is released (unbound, its leases already
are), so its holder can start the fix task; once that is completed, `orch done` of the blocked
task runs its gates again. The plan's anchor is recorded again (`plan_amended`), so `orch verify`
and `orch start` accept the new dependency. A task gets one fix task per andon."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orchestrator import anchors, receipts
from orchestrator.errors import InvalidInput
from orchestrator.runtime import Runtime, now_iso

if TYPE_CHECKING:
    from orchestrator.store import Store

DEFAULT_TITLE = "Fix gate '{gate}' failing in {id}"
INHERITED = ("priority", "specialist", "milestone", "files", "gates")


def title_for(setting: object, task: dict[str, Any], gate: str) -> str:
    """The fix task's title: `andon.fix_task` as a template (`{id}`, `{title}`, `{gate}`), or
    DEFAULT_TITLE when it is `true`."""
    template = setting if isinstance(setting, str) else DEFAULT_TITLE
    try:
        return template.format(id=task["id"], title=task.get("title", ""), gate=gate)
    except (KeyError, IndexError, ValueError) as exc:
        raise InvalidInput(f"andon.fix_task {template!r}: only {{id}}, {{title}} and {{gate}} may be "
                           f"used ({exc})") from exc


def open_for(store: Store, task: dict[str, Any], actor: str) -> str | None:
    """Open the fix task for `task`'s andon if `andon.fix_task` asks for one and it has none yet
    (the state lock is held). Returns its id."""
    setting = (store.config().get("andon") or {}).get("fix_task")
    record = task.get("andon") or {}
    if not setting or not record or record.get("fix_task"):
        return None
    plan = store.plan(task["plan"]) or {}
    fix = _fix_task(store, task, plan, title_for(setting, task, str(record.get("gate"))), actor)
    _record(store, task, fix, plan, actor)
    Runtime(store.runtime).unbind(task["id"])
    return str(fix["id"])


def _fix_task(store: Store, task: dict[str, Any], plan: dict[str, Any], title: str,
              actor: str) -> dict[str, Any]:
    record = task["andon"]
    note = f"added by the andon of {task['id']} (gate '{record.get('gate')}' failed)"
    fix = {key: _copy(task.get(key)) for key in INHERITED}
    return {
        "schema": task.get("schema", 1), "id": _free_id(store, task["id"]), "title": title,
        "status": "queued", **fix, "depends_on": [], "estimate": None, "steps": [],
        "description": _description(task),
        "acceptance": [],
        "sections": {}, "plan": task["plan"], "position": len(plan.get("task_ids") or []),
        "history": [{"at": now_iso(), "actor": actor, "from": None, "to": "queued", "note": note}],
        "artifacts": [], "fix_for": task["id"],
    }


def _record(store: Store, task: dict[str, Any], fix: dict[str, Any], plan: dict[str, Any],
            actor: str) -> None:
    """Receipts first (the fix task added, the plan's new anchor, the blocked task's fix-task
    receipt), then the files they explain."""
    entry = fix["history"][0]
    receipts.append(store.dir, receipts.task_chain(fix["id"]), event="transition", actor=actor,
                    task=fix["id"], data={"from": None, "to": "queued", "note": entry["note"]})
    task["depends_on"] = [*task.get("depends_on", []), fix["id"]]
    task["andon"] = {**task["andon"], "fix_task": fix["id"]}
    plan_tasks = [t for t in store.tasks() if t["plan"] == task["plan"] and t["id"] != task["id"]]
    amended = {**plan, "task_ids": [*(plan.get("task_ids") or []), fix["id"]]}
    receipts.append(store.dir, receipts.plan_chain(task["plan"]), event="plan_amended", actor=actor,
                    task=None, data={"tasks": amended["task_ids"], "added": fix["id"],
                                     "reason": entry["note"], "spec": spec_of(fix),
                                     **anchors.plan_record([*plan_tasks, task, fix], amended)})
    receipts.append(store.dir, receipts.task_chain(task["id"]), event="fix_task", actor=actor,
                    task=task["id"], data={"fix_task": fix["id"], "gate": task["andon"].get("gate")})
    store.save_task(fix)
    store.save_task(task)
    if plan:
        store.save_plan(amended)


def spec_of(fix: dict[str, Any]) -> dict[str, Any]:
    """What a `plan_amended` receipt keeps of the fix task, to rebuild its file (recovery)."""
    return {key: value for key, value in fix.items() if key not in ("status", "history", "artifacts")}


def _free_id(store: Store, task_id: str) -> str:
    candidate, number = f"{task_id}-fix", 1
    while store.task_or_none(candidate) is not None:
        number += 1
        candidate = f"{task_id}-fix-{number}"
    return candidate


def _description(task: dict[str, Any]) -> str:
    record = task["andon"]
    return (f"Task {task['id']} ({task.get('title', '')}) is stopped: gate '{record.get('gate')}' failed "
            f"({record.get('why')}; command `{record.get('command')}`). Find the root cause "
            f"(`orch why {task['id']} TEXT` records it), fix it, and complete this task; "
            f"then `orch done {task['id']}` runs its gates again.\n\n"
            f"Suggested next step: {record.get('suggestion') or '-'}")


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value
