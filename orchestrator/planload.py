"""Loading a plan into the state: `orch plan add` (new, or `--replace` keeping the state of the
tasks that stay), its checks (no id clash with other plans, no cycle, active tasks kept), and the
plan's completion record. Every write holds the state lock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestrator import anchors, graph, lifecycle
from orchestrator.errors import InvalidInput, PlanError, Refused
from orchestrator.roles import BUILT_IN as BUILT_IN_RULES
from orchestrator.roles import rules_of
from orchestrator.runtime import now_iso
from orchestrator.store import SCHEMA, Store

KEEP_ON_ADD = frozenset({"completed", "cancelled"})


def add_plan(
    store: Store,
    source: Path,
    *,
    replace: bool = False,
    plan_id: str | None = None,
    actor: str = "orch",
    source_name: str | None = None,
    strict: bool = False,
    tag: str | None = None,
    parent: str | None = None,
) -> dict[str, Any]:
    """Validate the plan file and load it into `.orch/`. Nothing is written on any error; an add
    killed half-way leaves its plan file marked `incomplete`, which `complete_plan` finishes (and
    which a new `orch plan add` of the same plan replaces without --replace). The result's
    `warnings` are the parser's, then any task the file marks done that orch does not (orch wins).
    `tag` picks a tag of a tagged Taskmaster file; `parent` makes the plan a sub-plan of that task
    (`subplans`)."""
    with store.locked():
        existing = store.tasks()
        normalised = load_against(existing, source, plan_id, strict, tag, parent, rules_of(store.config()))
        pid = normalised["plan"]["id"]
        old = store.plan(pid)
        if old is not None and not replace and not old.get("incomplete"):
            raise Refused(f"plan {pid!r} already exists: pass --replace to replace it")
        if source_name:
            normalised["plan"]["source"] = source_name
        others = [t for t in existing if t["plan"] != pid]
        _check_no_clash(normalised["tasks"], others, source)
        previous = {t["id"]: t for t in existing if t["plan"] == pid}
        _check_replace_keeps_active(previous, normalised["tasks"])
        merged = _plan_tasks(normalised, previous, actor)
        normalised["warnings"] += _state_kept(normalised["tasks"], previous, source)
        _check_acyclic(others + merged, source)
        _write_plan(store, normalised, merged, previous, source, actor)
    return normalised


def complete_plan(store: Store, plan_id: str, actor: str) -> str:
    """Finish an `orch plan add` killed half-way (its plan file is marked `incomplete`): load the
    source it saved before any task again; when it died before saving one, nothing but the plan
    file was written, so forget the plan. Says what it did."""
    plan = store.plan(plan_id) or {}
    sources = store.plan_sources(plan_id)
    if not sources:
        with store.locked():
            store.delete_plan(plan_id)
        return f"removed plan {plan_id}: its add was killed before anything but the plan file was written"
    add_plan(store, sources[0], replace=True, plan_id=plan_id, actor=actor, source_name=plan.get("source"),
             tag=plan.get("tag"), parent=plan.get("parent"))
    return f"completed the interrupted add of plan {plan_id} from {sources[0].name}"


def load_against(
    tasks: list[dict[str, Any]], source: Path, plan_id: str | None, strict: bool = False,
    tag: str | None = None, parent: str | None = None,
    specialist_rules: dict[str, list[str]] | None = BUILT_IN_RULES,
) -> dict[str, Any]:
    """The plan in `source`, its dependencies checked against `tasks` (the repo's), specialists
    inferred by `specialist_rules` (`orchestrator.roles`). A spec-kit or Kiro list whose ids were
    scoped because they clash (plans/scoped.py) is read again without its own plan's tasks, so
    re-adding a plan never scopes it against itself. With `parent`, the plan is that task's
    sub-plan (`subplans.attach`)."""
    from functools import partial

    from orchestrator.plans import load_plan

    load = partial(load_plan, source, strict=strict, tag=tag, scope_prefix=parent,
                   specialist_rules=specialist_rules)
    normalised = load(plan_id=plan_id, external_ids=_ids_outside(tasks, None))
    pid = normalised["plan"]["id"]
    if normalised["plan"].get("id_prefix") and any(t["plan"] == pid for t in tasks):
        normalised = load(plan_id=pid, external_ids=_ids_outside(tasks, pid))
    if parent is not None:
        from orchestrator import subplans

        subplans.attach(normalised, tasks, parent)
    return normalised


def _ids_outside(tasks: list[dict[str, Any]], plan_id: str | None) -> frozenset[str]:
    return frozenset(t["id"] for t in tasks if t["plan"] != plan_id)


def _check_no_clash(new: list[dict[str, Any]], others: list[dict[str, Any]], source: Path) -> None:
    owner = {t["id"]: t["plan"] for t in others}
    clashes = [f"{t['id']} (plan {owner[t['id']]})" for t in new if t["id"] in owner]
    if clashes:
        raise InvalidInput(f"{source}: task ids already used by another plan: {', '.join(clashes)}")


def _check_replace_keeps_active(previous: dict[str, dict[str, Any]], new: list[dict[str, Any]]) -> None:
    kept = {t["id"] for t in new}
    dropped = [tid for tid, t in previous.items() if tid not in kept and t["status"] in lifecycle.ACTIVE]
    if dropped:
        raise Refused(
            f"the new plan drops tasks still in progress: {', '.join(dropped)}; finish or cancel them first"
        )


def _state_kept(
    new: list[dict[str, Any]], previous: dict[str, dict[str, Any]], source: Path
) -> list[dict[str, Any]]:
    """A warning for each kept task the file marks completed but orch does not: a ticked box is
    no receipt, so orch's state stands (`orch done` records the work)."""
    from orchestrator.plans import warning_dict

    found = []
    for spec in new:
        old = previous.get(spec["id"])
        if old is not None and spec["status"] == "completed" and old["status"] != "completed":
            status = old["status"]
            message = f"{spec['id']} is marked done in the file but is {status} in orch: orch's state stands"
            found.append(warning_dict(PlanError(str(source), spec["line"], "status", message)))
    return found


def _check_acyclic(tasks: list[dict[str, Any]], source: Path) -> None:
    from orchestrator.hierarchy import with_child_edges

    cycle = graph.find_cycle(with_child_edges(tasks))
    if cycle:
        raise InvalidInput(f"{source}: dependency cycle across plans: {' -> '.join(cycle)}")


def _plan_tasks(
    normalised: dict[str, Any], previous: dict[str, dict[str, Any]], actor: str
) -> list[dict[str, Any]]:
    pid = normalised["plan"]["id"]
    result = []
    for position, spec in enumerate(normalised["tasks"]):
        old = previous.get(spec["id"])
        task = {"schema": SCHEMA, **spec, "plan": pid, "position": position}
        if old is not None:
            for key in (
                "status",
                "history",
                "artifacts",
                "gate_results",
                "block_reason",
                "andon",
                "andons",
                "checks",
                "start_commit",
            ):
                if key in old:
                    task[key] = old[key]
        else:
            task["status"] = spec["status"] if spec["status"] in KEEP_ON_ADD else "queued"
            task["history"] = [
                {
                    "at": now_iso(),
                    "actor": actor,
                    "from": None,
                    "to": task["status"],
                    "note": f"added from plan {pid}",
                }
            ]
            task["artifacts"] = []
        result.append(task)
    return result


def _write_plan(
    store: Store,
    normalised: dict[str, Any],
    tasks: list[dict[str, Any]],
    previous: dict[str, dict[str, Any]],
    source: Path,
    actor: str,
) -> None:
    """Load the plan in one durable commit (docs/receipts.md, "Loading a plan"):

    1. the plan file marked incomplete and its source, each synced: the journal an interrupted add
       is finished from (`complete_plan`), whatever a kill or power cut leaves after it;
    2. the receipts of the tasks it adds, then one sync; the task files, then one sync: receipts
       before the files they explain, as everywhere, but one sync per batch instead of one per file;
    3. the plan receipt and the plan file unmarked, each synced: the commit."""
    from orchestrator import receipts

    plan = dict(normalised["plan"])
    old = store.plan(plan["id"])
    plan["order"] = old["order"] if old else 1 + max((p.get("order", 0) for p in store.plans()), default=0)
    plan["schema"] = SCHEMA
    plan["task_ids"] = [t["id"] for t in tasks]
    plan["added_at"] = old.get("added_at", now_iso()) if old else now_iso()
    text = source.read_text(encoding="utf-8")
    store.save_plan({**plan, "incomplete": True})
    store.save_plan_source(plan, text)
    _write_tasks(store, tasks, previous, plan["id"])
    receipts.append(
        store.dir,
        receipts.plan_chain(plan["id"]),
        event="plan_added",
        actor=actor,
        task=None,
        data={"tasks": plan["task_ids"], "source": plan.get("source"), "replace": bool(previous),
              **anchors.plan_record(tasks, plan)},
    )
    store.save_plan(plan)


def _write_tasks(store: Store, tasks: list[dict[str, Any]], previous: dict[str, dict[str, Any]],
                 plan_id: str) -> None:
    """Step 2 of `_write_plan`: the "added" receipt of each new task, synced as one batch, then
    every task file (and the deletion of those the plan dropped), synced as another."""
    from orchestrator import receipts
    from orchestrator.jsonfile import sync_all

    added = [t for t in tasks if t["id"] not in previous and not _adopt_added(store, t, plan_id)]
    for task in added:
        entry = task["history"][-1]
        data = {"from": entry["from"], "to": entry["to"], "note": entry["note"]}
        receipts.append(store.dir, receipts.task_chain(task["id"]), event="transition", actor=entry["actor"],
                        task=task["id"], data=data, durable=False)
    sync_all([str(receipts.chain_path(store.dir, receipts.task_chain(t["id"]))) for t in added])
    for task in tasks:
        store.save_task(task, durable=False)
    gone = set(previous) - {t["id"] for t in tasks}
    for task_id in gone:
        store.delete_task(task_id)
    sync_all([str(store.task_path(task_id)) for task_id in [*(t["id"] for t in tasks), *gone]])


def _adopt_added(store: Store, task: dict[str, Any], plan_id: str) -> bool:
    """True when an interrupted add of this plan already recorded `task` being added (its receipt
    is the chain's last record) but died before writing its file: the task takes that receipt's
    status and history entry, and no second receipt is written."""
    from orchestrator import receipts

    last = receipts.last_record(store.dir, receipts.task_chain(task["id"]))
    data = last.get("data") if last else None
    if last is None or last.get("event") != "transition" or not isinstance(data, dict):
        return False
    if data.get("from") is not None or data.get("note") != f"added from plan {plan_id}":
        return False
    task["status"] = data["to"]
    task["history"] = [history_entry(last)]
    return True


def history_entry(receipt: dict[str, Any]) -> dict[str, Any]:
    """The task-history entry a transition receipt records."""
    data = receipt["data"]
    return {"at": receipt["at"], "actor": receipt["actor"], "from": data.get("from"), "to": data.get("to"),
            "note": data.get("note")}
