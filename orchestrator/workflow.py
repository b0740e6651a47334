"""What the CLI's verbs do: add plans, start and move tasks, and the read views (status, next).

Each writing operation holds the state lock from its first read to its last write, checks the
rules, records the transition in the task's history (who, when) and keeps the runtime bindings
and leases in step with the task's status.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from orchestrator import anchors, callers, graph, lifecycle
from orchestrator import config as config_mod
from orchestrator.errors import InvalidInput, OrchError, PlanError, Refused
from orchestrator.jsonfile import readable
from orchestrator.roles import BUILT_IN as BUILT_IN_RULES
from orchestrator.roles import rules_of
from orchestrator.runtime import Runtime, is_live, now_iso
from orchestrator.schedule import ACTIVE, Schedule, category_key
from orchestrator.store import SCHEMA, Store

KEEP_ON_ADD = frozenset({"completed", "cancelled"})
_SEEN_ACROSS_PLANS = ACTIVE | {"completed"}  # what a wave of one plan needs to know of the others
UNBIND_ON = frozenset({"completed", "cancelled", "queued"})


def actor_for(store: Store, agent: str | None = None, verb: str | None = None,
              operand: str | None = None) -> str:
    """Who is acting. For a verb that moves a task or a lease, inside Claude Code: the caller the
    PreToolUse hook saw run this command (its grant), whatever this process's environment or
    `--agent` say. Otherwise `--agent`, else the Claude Code session of this Bash call (when
    orch's hooks are not active in it), else the local user."""
    if verb in callers.MOVING and callers.inside_claude_code():
        granted = _granted_caller(store, agent, verb, operand)
        if granted is not None:
            return granted
    if agent:
        return agent
    session = os.environ.get("CLAUDE_CODE_SESSION_ID")
    if session:
        return session
    return f"user:{_login()}"


def _granted_caller(store: Store, agent: str | None, verb: str, operand: str | None) -> str | None:
    runtime = Runtime(store.runtime)
    session = os.environ.get("CLAUDE_CODE_SESSION_ID") or None
    grant = runtime.claim_grant(callers.grant_key(verb, [operand] if operand else []), session)
    if grant is not None:
        caller = str(grant.get("caller"))
        if agent and agent != caller:
            raise Refused(f"inside Claude Code orch acts as you ({caller}); `--agent {agent}` is for a "
                          "human at a terminal")
        return caller
    if session is None or runtime.hooks_seen(session):
        raise Refused(
            f"orch could not see who runs this `orch {verb}`: its hooks hand your identity to orch "
            f"only for a Bash command that runs orch directly. Run `orch {verb}"
            f"{' ' + operand if operand else ''}` as a command of its own, without changing its "
            "environment (no scripts, variables or substitutions around it)."
        )
    return None


def is_human(actor: str) -> bool:
    """A person at a terminal (no Claude Code around this process) may act on any task."""
    return actor.startswith("user:") or not callers.inside_claude_code()


def check_holder(store: Store, task_id: str, actor: str, verb: str) -> None:
    """Only the holder of a task moves it: refuse `actor` when someone else holds `task_id` and
    is still live (a human, or anyone once the holder's session ended or went quiet, may)."""
    binding = Runtime(store.runtime).bindings().get(task_id)
    if binding is not None and held_by_another(store, binding, actor):
        raise Refused(
            f"{task_id} is held by {binding.get('holder')} (since {binding.get('since', '?')}): only its "
            f"holder may `orch {verb}` it; a human at a terminal may act on any task"
        )
    if binding is None and not is_human(actor):
        _check_not_elsewhere(store, task_id, actor, verb)


def _check_not_elsewhere(store: Store, task_id: str, actor: str, verb: str) -> None:
    """Team mode: an active task no one here holds was started on another clone (its synced task
    file says by whom); an agent here does not move it."""
    from orchestrator import teams

    task = store.task_or_none(task_id)
    if task is None or task["status"] not in lifecycle.ACTIVE or teams.remote_of(store.config()) is None:
        return
    started = (task.get("history") or [{}])[-1]
    if started.get("actor") != actor:
        raise Refused(f"{task_id} is {task['status']} on another clone (by {started.get('actor')} since "
                      f"{started.get('at')}, as last synced): only its holder may `orch {verb}` it; "
                      "`orch claims` shows who holds what")


def held_by_another(store: Store, binding: dict[str, Any], actor: str) -> bool:
    """`binding` is someone else's who is still live, and `actor` is no human (who may)."""
    return binding.get("holder") != actor and not is_human(actor) and is_live(binding, lease_ttl(store))


def lease_ttl(store: Store) -> float:
    """`lease_ttl_seconds`, or its default while the config cannot be read (doctor reports it)."""
    try:
        return config_mod.lease_ttl(store.config())
    except OrchError:
        return config_mod.lease_ttl({})


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


# -- plans ------------------------------------------------------------------------------------


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


# -- transitions ------------------------------------------------------------------------------


def start(store: Store, task_id: str, holder: str, session: str | None = None) -> dict[str, Any]:
    """Bind `task_id` to `holder` and move it to in_progress, if its dependencies are done. A task
    bound to someone else (in any worktree: bindings are shared by all of a repository's work
    trees) is refused while that holder is live. `session`: the holder's Claude Code session
    (default: this process's), whose end releases the binding."""
    session = session or os.environ.get("CLAUDE_CODE_SESSION_ID")
    runtime = Runtime(store.runtime)
    with store.locked():
        task = store.task(task_id)
        binding = runtime.bindings().get(task_id)
        _check_not_held(store, task, binding, holder)
        if task["status"] not in lifecycle.ACTIVE:
            _check_can_start(store, runtime, task, binding, holder)
        with _claimed(store, task, holder):
            if _take_over(store, runtime, task, binding, holder, session):
                return task
            entry = transition(task, "in_progress", holder, None)
            runtime.undispatch(task_id)
            task["start_commit"] = _head_commit(store)
            _note_watcher(store, runtime, task, session)
            save_transitions(store, task, [entry])
            runtime.bind(task_id, holder, session, str(store.root))
        after_transitions(store, task, holder)
    return task


def _check_can_start(store: Store, runtime: Runtime, task: dict[str, Any], binding: dict[str, Any] | None,
                     holder: str) -> None:
    _check_startable(task, binding)
    _check_not_parent(store, task)
    _check_anchored(store, task)
    _check_dependencies(store, task)
    _check_one_task_per_holder(runtime, holder, task["id"])
    _check_wip(store, "in_progress")
    _check_category_wip(store, task)


@contextmanager
def _claimed(store: Store, task: dict[str, Any], holder: str) -> Iterator[None]:
    """In team mode, claim `task` on the remote first (refused when another clone holds it), and
    give the claim back if the start fails. Team mode off: nothing, and no team module loaded."""
    from orchestrator import teams

    if teams.remote_of(store.config()) is None:
        yield
        return
    from orchestrator.teams import claims

    claims.claim(store, task, holder)
    try:
        yield
    except BaseException:
        claims.undo(store, task)
        raise


def release_claim(store: Store, task: dict[str, Any]) -> None:
    """In team mode, free the claim of a task finished, released or cancelled here. Offline it
    stays, remembered, and the next `orch sync` frees it; the move itself stands either way."""
    from orchestrator import teams

    if task["status"] not in UNBIND_ON or teams.remote_of(store.config()) is None:
        return
    from orchestrator.teams import claims

    claims.undo(store, task)


def move(store: Store, task_id: str, target: str, actor: str, note: str | None = None) -> dict[str, Any]:
    """Move a task to `target` if the state machine allows it (and, into in_progress, its
    dependencies are done)."""
    lifecycle.check_status(target)
    if target == "in_progress":
        return start(store, task_id, actor)
    if target == "completed":
        _check_no_gates(store, task_id)
        _check_outputs(store, task_id)
    runtime = Runtime(store.runtime)
    with store.locked():
        task = store.task(task_id)
        check_holder(store, task_id, actor, "move" if target not in ("blocked", "cancelled") else target)
        _check_wip(store, target)
        entry = transition(task, target, actor, note)
        runtime.undispatch(task_id)
        if target == "blocked":
            task["block_reason"] = entry["note"]
        save_transitions(store, task, [entry])
        sync_runtime(runtime, task)
        after_transitions(store, task, actor)
    release_claim(store, task)
    if target in lifecycle.FINISHED and task.get("parent"):
        from orchestrator import rollup

        rollup.complete_parent(store, task, actor)
    return task


def block(store: Store, task_id: str, reason: str, actor: str) -> dict[str, Any]:
    if not reason.strip():
        raise InvalidInput("--reason must say what the task is waiting on")
    return move(store, task_id, "blocked", actor, reason)


def cancel(store: Store, task_id: str, actor: str, reason: str | None = None) -> dict[str, Any]:
    return move(store, task_id, "cancelled", actor, reason)


def transition(task: dict[str, Any], target: str, actor: str, note: str | None) -> dict[str, Any]:
    """Apply one legal move to `task` in memory; returns the history entry it recorded."""
    lifecycle.check_transition(task["id"], task["status"], target)
    note = readable(note) if note is not None else None
    entry = {"at": now_iso(), "actor": actor, "from": task["status"], "to": target, "note": note}
    task.setdefault("history", []).append(entry)
    task["status"] = target
    if target != "blocked":
        task.pop("block_reason", None)
    return entry


def save_transitions(store: Store, task: dict[str, Any], entries: list[dict[str, Any]]) -> None:
    """A receipt per transition, then the task (the state lock is held by the caller).

    Receipts first: they are the truth (docs/receipts.md), so a kill in between leaves a task
    file behind its receipts, which `orch doctor --fix` rolls forward (`recovery.reconcile`)."""
    from orchestrator import receipts

    for entry in entries:
        receipts.append(
            store.dir,
            receipts.task_chain(task["id"]),
            event="transition",
            actor=entry["actor"],
            task=task["id"],
            data={"from": entry["from"], "to": entry["to"], "note": entry["note"]},
        )
    store.save_task(task)


def after_transitions(store: Store, task: dict[str, Any], actor: str,
                      waiting: list[str] | None = None) -> list[str]:
    """Milestone tags that became due (never fails the transition that caused them); a tag whose
    work is not committed yet waits, said in `waiting`."""
    from orchestrator import milestones

    return milestones.after_transition(store, task, actor, waiting)


def sync_runtime(runtime: Runtime, task: dict[str, Any]) -> None:
    from orchestrator import artifacts

    if task["status"] in UNBIND_ON:
        runtime.unbind(task["id"])
        artifacts.forget_start(runtime.dir, task["id"])
    elif task["status"] != "in_progress":
        runtime.release(task_id=task["id"])


def _watcher(runtime: Runtime, session: str | None = None) -> str:
    """Who sees what the holder writes: "hooks" inside a Claude Code session orch's hooks have
    seen (`session`, default this process's), else "git" (a human at a terminal, a script: see
    `artifacts`)."""
    session = session or os.environ.get("CLAUDE_CODE_SESSION_ID")
    watched = session and callers.inside_claude_code() and runtime.hooks_seen(session)
    return "hooks" if watched else "git"


def _note_watcher(store: Store, runtime: Runtime, task: dict[str, Any], session: str | None,
                  taken_over: bool = False) -> None:
    """Record `seen_by`; for "git", note the files already uncommitted (on a take-over, only when
    nothing was noted when the task started: the previous holder's changes are the task's too)."""
    from orchestrator import artifacts

    task["seen_by"] = _watcher(runtime, session)
    if task["seen_by"] == "git":
        artifacts.remember_start(store, task["id"], keep=taken_over)


def _head_commit(store: Store) -> str | None:
    """HEAD when the task starts, so its report can list the files changed since."""
    from orchestrator import gitops

    try:
        return gitops.head_sha(store.root)
    except OrchError:
        return None


def _check_not_held(store: Store, task: dict[str, Any], binding: dict[str, Any] | None, holder: str) -> None:
    if binding is not None and held_by_another(store, binding, holder):
        raise Refused(
            f"{task['id']} is already {task['status'] if task['status'] in lifecycle.ACTIVE else 'started'}, "
            f"bound to {binding.get('holder')} since {binding.get('since', '?')}"
            f"{_where(binding)}: only its holder moves it"
        )


def _where(binding: dict[str, Any]) -> str:
    tree = binding.get("worktree")
    return f" in the work tree {tree}" if tree else ""


def _take_over(
    store: Store, runtime: Runtime, task: dict[str, Any], binding: dict[str, Any] | None, holder: str,
    session: str | None,
) -> bool:
    """An active task whose holder's session ended or went quiet past the lease TTL (or that lost
    its binding, or that a human takes) is bound to `holder`, recorded in its receipts; starting
    your own active task again is a no-op. Returns True when handled."""
    if task["status"] not in lifecycle.ACTIVE:
        return False
    if binding is not None and binding.get("holder") == holder:
        return True
    _check_one_task_per_holder(runtime, holder, task["id"])
    runtime.bind(task["id"], holder, session, str(store.root))
    if task.get("seen_by") != _watcher(runtime, session):
        _note_watcher(store, runtime, task, session, taken_over=True)
        store.save_task(task)
    from orchestrator import receipts

    previous = binding.get("holder") if binding else None
    why = "no binding" if binding is None else "session ended" if binding.get("ended") else (
        "taken by a human" if is_live(binding, lease_ttl(store)) else "holder inactive past the lease TTL")
    receipts.append(
        store.dir,
        receipts.task_chain(task["id"]),
        event="bound",
        actor=holder,
        task=task["id"],
        data={"previous_holder": previous, "reason": why},
    )
    return True


def _check_startable(task: dict[str, Any], binding: dict[str, Any] | None) -> None:
    if task["status"] in lifecycle.ACTIVE:
        held = binding or {}
        raise Refused(
            f"{task['id']} is already {task['status']}, bound to {held.get('holder', 'nobody')} "
            f"since {held.get('since', '?')}"
        )
    lifecycle.check_transition(task["id"], task["status"], "in_progress")


def _check_not_parent(store: Store, task: dict[str, Any]) -> None:
    from orchestrator import hierarchy

    children = hierarchy.children_of(store.flushed_summaries(), task["id"])  # the lock is held: no stat
    if children:
        waiting = ", ".join(hierarchy.open_children(children)[:5]) or "none"
        raise Refused(f"{task['id']} is a parent task: its {len(children)} children are the work (open: "
                      f"{waiting}); it completes by itself when its last child completes and its own gates "
                      "pass. Start a child instead (`orch next` lists ready work).")


def _check_anchored(store: Store, task: dict[str, Any]) -> None:
    drift = anchors.task_drift(store.dir, task)
    if drift:
        raise Refused(f"{drift}. `orch verify` shows it; restore the file from git, or reload the plan "
                      "with `orch plan add --replace PLAN`")


def _check_dependencies(store: Store, task: dict[str, Any]) -> None:
    unfinished = []
    for dep in task.get("depends_on", []):
        other = store.task_or_none(dep)
        status = other["status"] if other else "missing"
        if status != "completed":
            unfinished.append(f"{dep} ({status})")
    if unfinished:
        raise Refused(
            f"{task['id']} cannot start: it depends on unfinished tasks: "
            f"{', '.join(unfinished)}. Finish those first; `orch next` lists ready work."
        )


def _check_one_task_per_holder(runtime: Runtime, holder: str, task_id: str) -> None:
    current = runtime.task_of(holder)
    if current and current != task_id:
        raise Refused(
            f"{holder} is already bound to {current}: finish it (`orch done {current}`) "
            f"or release it (`orch move {current} queued`) before starting {task_id}"
        )


def _check_wip(store: Store, status: str) -> None:
    limits = store.config().get("wip") or {}
    if status in limits and graph.wip_exceeded(store.summaries(), limits, status):
        raise Refused(
            f"WIP limit reached: at most {limits[status]} task(s) may be {status}; finish one first"
        )


def _check_category_wip(store: Store, task: dict[str, Any]) -> None:
    """Refuse to start `task` when its category has as many tasks active as `schedule.wip` allows."""
    order = Schedule.from_config(store.config())
    category = category_key(task.get("category"))
    if category in order.wip and order.room(store.summaries()).get(category, 1) <= 0:
        raise Refused(f"WIP limit reached: at most {order.wip[category]} {category!r} task(s) may be active "
                      "(in_progress, review, testing) at once; finish one first")


def _check_no_gates(store: Store, task_id: str) -> None:
    task = store.task(task_id)
    if effective_gates(store, task):
        raise Refused(f"{task_id} has quality gates: complete it with `orch done {task_id}`, which runs them")


def _check_outputs(store: Store, task_id: str) -> None:
    from orchestrator import artifacts, outputs

    task, config = store.task(task_id), store.config()
    if outputs.enforced(config) and outputs.required(task):
        outputs.check(config, task, artifacts.own_changes(store, task), store.root)


def effective_gates(store: Store, task: dict[str, Any]) -> list[dict[str, Any]]:
    return lifecycle.effective_gates(store.config(), store.plan(task["plan"]), task)


# -- read views -------------------------------------------------------------------------------


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
    plans = select_plan(store, plan_id)
    wanted = {p["id"] for p in plans}
    tasks = [t for t in store.summaries() if t["plan"] in wanted]
    runtime = Runtime(store.runtime)
    bindings, reserved = runtime.bindings(), runtime.dispatched()
    counts = {status: 0 for status in lifecycle.STATUSES}
    for task in tasks:
        counts[task["status"]] = counts.get(task["status"], 0) + 1
    return {
        "plan": _plan_summary(plans),
        "plans": [_plan_meta(p) for p in plans],
        "counts": counts,
        "tasks": [_task_row(t, bindings, reserved) for t in tasks],
    }


def next_view(store: Store, plan_id: str | None = None, parallel: int | None = None) -> dict[str, Any]:
    """The ready tasks, best first, less those `orch dispatch` reserved for a subagent that has not
    started them yet (listed under `dispatched`); with `parallel`, a wave of them too."""
    wanted = {p["id"] for p in select_plan(store, plan_id)}
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


def _task_row(
    task: dict[str, Any], bindings: dict[str, dict[str, Any]], reserved: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    binding = bindings.get(task["id"])
    return {
        "id": task["id"],
        "title": task["title"],
        "status": task["status"],
        "priority": task.get("priority", "medium"),
        "depends_on": task.get("depends_on", []),
        "bound_to": binding["holder"] if binding else None,
        "dispatched": task["id"] in reserved,
        "plan": task["plan"],
        "milestone": task.get("milestone"),
        "specialist": task.get("specialist"),
        "story": task.get("story"),
        "parent": task.get("parent"),
    }


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
