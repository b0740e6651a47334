"""What the CLI's writing verbs do to a task: start, move, block, cancel, and who may (the caller,
its binding, team mode's claims). Loading plans is `planload`; the read views are `views`.

Each writing operation holds the state lock from its first read to its last write, checks the
rules, records the transition in the task's history (who, when) and keeps the runtime bindings
and leases in step with the task's status.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from orchestrator import anchors, callers, graph, lifecycle
from orchestrator import config as config_mod
from orchestrator.errors import InvalidInput, OrchError, Refused
from orchestrator.jsonfile import readable
from orchestrator.runtime import Runtime, is_live, now_iso
from orchestrator.schedule import Schedule, category_key
from orchestrator.store import Store

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

    if not store.may_be_parent(task["id"]):  # the usual answer, from a search of the summaries' text
        return
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
