"""Bring broken or interrupted state back to what the receipts record (`orch doctor --fix`).

The truth rule: a task's receipt chain is the truth about its status and history. Receipts are
append-only, hash-chained and written *before* the task file they explain
(`workflow.save_transitions`), so a task file can lag behind its chain (a kill between the two
writes) or differ from it (a hand edit, a bad merge), and is then rolled forward or back to the
chain. Everything else a task file holds (title, files, gate results, artifacts) has no receipt:
it comes from git, or from the plan's saved source. Runtime files are rebuilt from the task files
and receipts, or dropped when they are caches.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from orchestrator import evidence, lifecycle, paths, receipts, snapshot
from orchestrator.errors import OrchError
from orchestrator.hooks import indexfiles
from orchestrator.jsonfile import read_json, write_json
from orchestrator.runtime import Runtime, now_iso
from orchestrator.store import SCHEMA, TASK_KEYS, Store

CACHES = ("grants.json", "sessions.json", snapshot.NAME, snapshot.SUMMARY)
RUNTIME_FILES = ("bindings.json", "leases.json", "dispatched.json", *CACHES)
PER_WORKTREE = frozenset({snapshot.NAME, snapshot.SUMMARY, "index"})  # in <runtime>/worktrees/<key>/
RUNTIME_FIXES = {
    "bindings.json": "rebuilt from the task files and receipts",
    "leases.json": "emptied (leases are taken again on the next write)",
    "dispatched.json": "deleted (its reservations only kept dispatched tasks out of `orch next` for a while)",
    "index": "deleted (the hooks rebuild it on demand)",
    **{name: "deleted (a cache, rebuilt on demand)" for name in CACHES},
}


# -- a task against its receipts ---------------------------------------------------------------


def reconcile(task: dict[str, Any], records: list[dict[str, Any]]) -> str | None:
    """Roll `task` back or forward to the status, history, acceptance ticks and andon whys its
    chain records (in place; nested values are replaced, never changed). Returns what changed."""
    changes = [found for found in (_roll_status(task, records), _sync_evidence(task, records)) if found]
    return f"{task['id']}: {'; '.join(changes)}" if changes else None


def _roll_status(task: dict[str, Any], records: list[dict[str, Any]]) -> str | None:
    """History entries that match the chain's transitions one for one are kept; missing ones are
    rebuilt from their receipts, extra ones (no receipt) dropped."""
    steps = receipts.transitions(records)
    status = str(steps[-1]["data"].get("to")) if steps else "queued"
    raw = task.get("history")
    history: list[Any] = raw if isinstance(raw, list) else []
    if task.get("status") == status and len(history) >= len(steps):
        return None
    before = task.get("status")
    task["history"] = [_entry(history, n, step) for n, step in enumerate(steps)]
    task["status"] = status
    _sync_block(task, records)
    return (f"{before} -> {status}, {len(history)} -> {len(task['history'])} history "
            "entries, as its receipts record")


def _sync_evidence(task: dict[str, Any], records: list[dict[str, Any]]) -> str | None:
    """The acceptance ticks (`check` receipts) and the open andon's whys and fix task (`why`,
    `fix_task` receipts since the last move into blocked)."""
    changed = [found for found in (_sync_ticks(task, records), _sync_andon(task, records)) if found]
    return f"{' and '.join(changed)} as its receipts record" if changed else None


def _sync_ticks(task: dict[str, Any], records: list[dict[str, Any]]) -> str | None:
    if not evidence.ticks_differ(task, records):
        return None
    task["checks"] = ticks = evidence.ticks_from(records)
    return f"{len(ticks)} acceptance tick(s)"


def _sync_andon(task: dict[str, Any], records: list[dict[str, Any]]) -> str | None:
    if not evidence.andon_differs(task, records):
        return None
    current = evidence.current_andon(records)
    task["andon"] = {**{key: value for key, value in task["andon"].items() if key != "fix_task"}, **current}
    fix = current.get("fix_task")
    if fix and fix not in (task.get("depends_on") or []):
        task["depends_on"] = [*(task.get("depends_on") or []), fix]
    return f"{len(current['whys'])} andon why(s)"


def roll_task(store: Store, task_id: str) -> str | None:
    """Under the state lock, read task `task_id` and its chain afresh and `reconcile` them; save the
    task when it changed. A task with no chain, or one that does not verify, is left alone (doctor
    reports it). Returns what changed."""
    with store.locked():
        records = receipts.trusted_chain(store.dir, receipts.task_chain(task_id))
        task = read_json(store.task_path(task_id))
        change = reconcile(task, records) if records is not None and isinstance(task, dict) else None
        if change:
            write_json(store.task_path(task_id), task)
    return change


def _entry(history: list[Any], n: int, receipt: dict[str, Any]) -> dict[str, Any]:
    from orchestrator.planload import history_entry

    data = receipt["data"]
    mine = history[n] if n < len(history) and isinstance(history[n], dict) else {}
    if (mine.get("from"), mine.get("to")) == (data.get("from"), data.get("to")):
        return dict(mine)
    return history_entry(receipt)


def _sync_block(task: dict[str, Any], records: list[dict[str, Any]]) -> None:
    """A blocked task keeps its reason (the note of the move); a failed gate's block its andon."""
    if task["status"] != "blocked":
        task.pop("block_reason", None)
        task.pop("andon", None)
        return
    note = str(task["history"][-1].get("note") or "")
    task["block_reason"] = note
    if note.startswith("andon:") and "andon" not in task:
        failed = [r for r in records if r.get("event") == "gate" and not r.get("data", {}).get("passed")]
        if failed:
            data = failed[-1]["data"]
            task["andon"] = {"gate": data.get("name"), "command": data.get("command"),
                             "why": f"exit code {data.get('exit_code')}", "tail": "",
                             "suggestion": note.partition("; next: ")[2], "at": failed[-1]["at"]}


def holder_of(records: list[dict[str, Any]]) -> str | None:
    """Who holds an active task: the actor of its last move to in_progress or take-over."""
    for record in reversed(records):
        data = record.get("data") if isinstance(record.get("data"), dict) else {}
        if record.get("event") == "bound" or (record.get("event") == "transition"
                                              and data.get("to") == "in_progress"):
            return str(record.get("actor"))
    return None


# -- corrupt files -----------------------------------------------------------------------------


def restore_task(store: Store, task_id: str) -> str | None:
    """Write task `task_id` again from git's HEAD, else from its plan's saved source, then
    reconcile it with its receipts. Says how, or None when neither has it."""
    task, how = _committed_task(store, task_id), "restored from git (HEAD)"
    if task is None:
        task, how = _task_from_plan(store, task_id), "rebuilt from its plan's saved source"
    if task is None:
        task, how = _task_from_amendment(store, task_id), "rebuilt from the receipt that added it"
    if task is None:
        return None
    with store.locked():
        write_json(store.task_path(task_id), task)
    changed = roll_task(store, task_id)
    return f"{task_id}: {how}" + (f"; {changed.partition(': ')[2]}" if changed else "")


def _committed_task(store: Store, task_id: str) -> dict[str, Any] | None:
    text = _committed(store, f"tasks/{task_id}.json")
    try:
        task = json.loads(text) if text is not None else None
    except ValueError:
        return None
    if not isinstance(task, dict) or any(key not in task for key in TASK_KEYS):
        return None
    return task if task["id"] == task_id and task["status"] in lifecycle.STATUSES else None


def _task_from_plan(store: Store, task_id: str) -> dict[str, Any] | None:
    from orchestrator.plans import load_plan

    plans = readable_plans(store)
    for plan in (p for p in plans if task_id in p.get("task_ids", [])):
        others = frozenset(t for p in plans if p is not plan for t in p.get("task_ids", []))
        for source in store.plan_sources(plan["id"]):
            try:
                specs = load_plan(source, plan_id=plan["id"], external_ids=others)["tasks"]
            except OrchError:
                continue
            for position, spec in enumerate(specs):
                if spec["id"] == task_id:
                    return {"schema": SCHEMA, **spec, "plan": plan["id"], "position": position,
                            "status": "queued", "history": [], "artifacts": []}
    return None


def _task_from_amendment(store: Store, task_id: str) -> dict[str, Any] | None:
    """A task an andon added (a fix task), from the `plan_amended` receipt that recorded it."""
    for plan in readable_plans(store):
        chain = receipts.trusted_chain(store.dir, receipts.plan_chain(plan["id"])) or []
        for record in reversed(chain):
            data = record.get("data") if isinstance(record.get("data"), dict) else {}
            if record.get("event") == "plan_amended" and isinstance(data.get("spec"), dict) \
                    and data.get("added") == task_id:
                return {**data["spec"], "status": "queued", "history": [], "artifacts": []}
    return None


def restore_plan(store: Store, plan_id: str, actor: str) -> str:
    """Rebuild a broken plan file by loading its saved source again (task progress is kept)."""
    from orchestrator import planload

    sources = store.plan_sources(plan_id)
    if not sources:
        raise OrchError(f"plan {plan_id} has no saved source in {store.plans_dir}")
    tag, parent = _load_options(store, plan_id, sources[0])
    with store.locked():
        store.delete_plan(plan_id)
    planload.add_plan(store, sources[0], replace=True, plan_id=plan_id, actor=actor, tag=tag, parent=parent)
    return f"plan {plan_id}: rebuilt from its saved source {sources[0].name} (task progress kept)"


def _load_options(store: Store, plan_id: str, source: Path) -> tuple[str | None, str | None]:
    """What the lost plan file said beyond its source, read back from its task files (the store's
    views need the plan files): the tag of a tagged Taskmaster file (the plan id is the tag's slug)
    and, for a sub-plan, the task it expands."""
    from orchestrator.hooks.index import load_tasks
    from orchestrator.plans import plan_tags
    from orchestrator.plans.values import slugify

    tasks = [task for task in load_tasks(str(store.tasks_dir)) if task.get("plan") == plan_id]
    ids = {task["id"] for task in tasks}
    outside = [task["parent"] for task in tasks if task.get("parent") and task["parent"] not in ids]
    tag = next((tag for tag in plan_tags(source) if slugify(tag) == plan_id), None)
    return tag, outside[0] if outside else None


def readable_plans(store: Store) -> list[dict[str, Any]]:
    found = []
    for path in sorted(store.plans_dir.glob("*.json")):
        try:
            plan = read_json(path)
        except OrchError:
            continue
        if isinstance(plan, dict) and "id" in plan and not path.name.endswith(".source.json"):
            found.append(plan)
    return found


def restore_config(store: Store) -> str:
    """Write `.orch/config.json` again from git's HEAD, else the defaults. Says which."""
    from orchestrator import config

    text = _committed(store, "config.json")
    try:
        data = json.loads(text) if text is not None else None
    except ValueError:
        data = None
    with store.locked():
        if isinstance(data, dict):
            store.save_config(data)
            return "restored .orch/config.json from git (HEAD)"
        store.save_config(config.DEFAULTS)
    return ("wrote the default .orch/config.json (git has no committed version): set your "
            "settings again with `orch config KEY VALUE`")


def _committed(store: Store, relative: str) -> str | None:
    """`.orch/<relative>` as committed at HEAD, or None."""
    from orchestrator import gitops

    try:
        return gitops.committed_text(store.root, f"{store.dir.name}/{relative}")
    except OrchError:
        return None


# -- runtime files -----------------------------------------------------------------------------


def broken_runtime_files(store: Store) -> dict[str, str]:
    """Runtime file (or `index`) -> why it cannot be read; only what exists and is broken."""
    broken = {}
    for name in RUNTIME_FILES:
        reader = snapshot.unreadable if name in (snapshot.NAME, snapshot.SUMMARY) else _unreadable
        reason = reader(runtime_path(store, name), dict)
        if reason:
            broken[name] = reason
    reason = _broken_index(runtime_path(store, "index"))
    if reason:
        broken["index"] = reason
    return broken


def runtime_path(store: Store, name: str) -> str:
    """Where runtime file `name` lives: the shared runtime folder, or this work tree's own folder
    in it for what is derived from the task files (snapshots, the hooks' index)."""
    if name in PER_WORKTREE:
        return os.path.join(paths.worktree_dir(str(store.dir), str(store.runtime)), name)
    return os.path.join(str(store.runtime), name)


def _unreadable(path: str, kind: type) -> str | None:
    try:
        data = read_json(path)
    except FileNotFoundError:
        return None
    except OrchError as exc:
        return str(exc).partition(" Run `orch doctor`")[0]
    return None if isinstance(data, kind) else f"{path}: not a JSON {kind.__name__}"


def _broken_index(folder: str) -> str | None:
    current = os.path.join(folder, "current")
    reason = _unreadable(current, list)
    if reason or not os.path.exists(current):
        return reason
    pointer = read_json(current)
    generation = os.path.join(folder, str(pointer[1])) if len(pointer) >= 2 else ""  # [stamp, name, token?]
    if not os.path.isdir(generation):
        return f"{current}: names no index generation"
    for entry in sorted(os.scandir(generation), key=lambda e: e.name):
        if entry.name.endswith(".json") and entry.name != "%names.json":  # buckets, the file table
            tables = (indexfiles.TASKS, indexfiles.TASKS_DELTA)
            reason = _unreadable(entry.path, dict if entry.name in tables else list)
            if reason:
                return reason
    return None


def repair_runtime_file(store: Store, name: str, chains: dict[str, list[dict[str, Any]]]) -> str:
    """Rebuild or drop one broken runtime file; says what was done."""
    runtime = Runtime(store.runtime)
    if name == "bindings.json":
        runtime.replace_bindings(_bindings(store, chains))
    elif name == "leases.json":
        runtime.clear_leases()
    elif name == "index":
        shutil.rmtree(runtime_path(store, "index"), ignore_errors=True)
    else:
        os.unlink(runtime_path(store, name))
    return f"{runtime_path(store, name)}: {RUNTIME_FIXES[name]}"


def _bindings(store: Store, chains: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    from orchestrator.hooks.index import load_tasks

    found = {}
    for task in load_tasks(str(store.tasks_dir)):
        holder = holder_of(chains.get(task["id"], [])) if task.get("status") in lifecycle.ACTIVE else None
        if holder:
            found[task["id"]] = {"holder": holder, "session": holder, "since": now_iso()}
    return found
