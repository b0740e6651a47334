"""Claims: which clone works on which task, decided on the remote by compare-and-swap.

A claim is the ref `refs/orch/claims/<plan>/<task>` on the remote, pointing at a commit (empty
tree) whose message records the holder, the machine, this clone and the time. `orch start` pushes
it with `--force-with-lease=<ref>:` (the ref must not exist), so of several clones racing for a
task the remote's atomic ref update lets exactly one win; the others read the winner's claim and
are refused with its holder, machine and time. A claim not refreshed (by `orch sync`) for
`sync.claim_timeout` seconds may be taken over, leased on its old value and recorded in the task's
receipts. Releasing the task (`orch move T queued`) deletes the ref; finishing or cancelling it
replaces the claim by a mark of that status, so a clone that has not synced cannot start it again.
Both are leased on the claim this clone pushed (`claimrefs`), so a claim taken over stays.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

from orchestrator import teams
from orchestrator.errors import OrchError, Refused
from orchestrator.store import Store
from orchestrator.teams import remote as net
from orchestrator.teams.claimrefs import (
    HELD,
    Claim,
    fetch_one,
    forget,
    identity,
    ref_of,
    remember,
    remembered,
    remote_name,
)

_ATTEMPTS = 4


def claim(store: Store, task: dict[str, Any], holder: str) -> Claim:
    """Claim `task` for `holder` on the remote (the caller holds the state lock), or raise Refused
    naming who holds it. A claim of this clone's is kept (its holder updated); a stale one of
    another clone's is taken over and recorded in the task's receipts. Returns the claim won."""
    config, ref = store.config(), ref_of(task)
    mine = _commit(store, task, holder)
    current: Claim | None = None
    for _ in range(_ATTEMPTS):
        if _push(store, config, {ref: mine.sha}, {ref: current.sha if current else ""}).get(ref) == "ok":
            remember(store, task["id"], mine)
            if current is not None and current.state == HELD and current.clone != mine.clone:
                _record_takeover(store, task, holder, current)
            return mine
        current = fetch_one(store, config, ref)
        if current is not None and current.state != HELD:
            _check_not_finished(task, current)
        elif current is not None and current.clone == mine.clone and current.holder == holder:
            remember(store, task["id"], current)
            return current
        elif current is not None and current.clone != mine.clone:
            _check_stale(config, current, task["id"])
    raise OrchError(f"the claim on {task['id']} kept changing on the remote while orch tried to take it; "
                    "try again")


def _check_stale(config: dict[str, Any], current: Claim, task_id: str) -> None:
    timeout = float(teams.setting(config, "claim_timeout", teams.CLAIM_TIMEOUT))
    if time.time() - current.epoch < timeout:
        raise Refused(
            f"{task_id} is claimed by {current.holder} on {current.machine} since {current.at} (a team mode "
            f"claim on the remote): only its holder works on it. `orch sync` brings its progress here; "
            f"the claim can be taken over once it has been quiet for {timeout:.0f}s (sync.claim_timeout)"
        )


def _check_not_finished(task: dict[str, Any], current: Claim) -> None:
    """Refuse to start a task another clone (or worktree) finished after this one last saw it
    change: this clone's view is behind. A task moved here since (re-queued) may start."""
    history = task.get("history") or [{}]
    last = history[-1] if isinstance(history[-1], dict) else {}
    if str(last.get("at") or "") < current.at:
        raise Refused(
            f"{task['id']} was {current.state} by {current.holder} on {current.machine} at {current.at}, "
            "after this clone last saw it change: `orch sync` (or merging the branch it was finished on) "
            "brings that here"
        )


def _record_takeover(store: Store, task: dict[str, Any], holder: str, previous: Claim) -> None:
    from orchestrator import receipts

    receipts.append(store.dir, receipts.task_chain(task["id"]), event="claim", actor=holder, task=task["id"],
                    data={"taken_over_from": previous.row(), "reason": "claim quiet past sync.claim_timeout"})


def undo(store: Store, task: dict[str, Any]) -> str | None:
    """Give back this clone's claim on `task` (a start that failed, a task finished or released);
    never raises. When the remote cannot be reached the claim stays remembered, `orch sync`
    releases it, and the reason is returned."""
    try:
        release(store, task)
    except OrchError as exc:
        return str(exc)
    return None


def release(store: Store, task: dict[str, Any]) -> bool:
    """Free this clone's claim on `task`, leased on the claim it pushed (a claim another clone
    took over stays): the ref is deleted, or for a finished task replaced by a mark saying so, which
    keeps a clone that has not synced yet from starting it again. False when this clone holds
    none; OrchError when offline (the claim stays remembered, and `orch sync` frees it)."""
    held = remembered(store).get(task["id"])
    if held is None:
        return False
    _push(store, store.config(), {held["ref"]: _released(store, task, held)}, {held["ref"]: held["sha"]})
    forget(store, task["id"])
    return True


def _released(store: Store, task: dict[str, Any] | None, held: dict[str, Any]) -> str:
    """What a released claim's ref becomes: "" (deleted), or a finished task's mark."""
    from orchestrator.lifecycle import FINISHED

    if task is None or task["status"] not in FINISHED:
        return ""
    return _commit(store, task, str(held.get("holder")), state=task["status"]).sha


def tidy(store: Store) -> dict[str, list[str]]:
    """After a sync: release this clone's claims on tasks no longer active here (a release that
    failed offline, a task finished elsewhere) and refresh those older than a quarter of
    `sync.claim_timeout`, so an active holder's claim never goes stale. One push."""
    plan = _plan_tidy(store)
    updates = {held["ref"]: new.sha for held, new in plan.values()}
    leases = {held["ref"]: held["sha"] for held, _new in plan.values()}
    fates = _push(store, store.config(), updates, leases) if plan else {}
    found: dict[str, list[str]] = {"released": [], "refreshed": []}
    for task_id, (held, new) in plan.items():
        if new.state == HELD and fates.get(held["ref"]) == "ok":
            remember(store, task_id, new)
        else:
            forget(store, task_id)
        found["refreshed" if new.state == HELD else "released"].append(task_id)
    return found


def _plan_tidy(store: Store) -> dict[str, tuple[dict[str, Any], Claim]]:
    """task id -> (this clone's claim, what replaces it: a refreshed claim, or its release, whose
    sha is "" for a deleted ref)."""
    from orchestrator.lifecycle import ACTIVE

    limit = float(teams.setting(store.config(), "claim_timeout", teams.CLAIM_TIMEOUT)) / 4
    plan: dict[str, tuple[dict[str, Any], Claim]] = {}
    for task_id, held in remembered(store).items():
        task = store.task_or_none(task_id)
        if task is None or task["status"] not in ACTIVE:
            gone = _released(store, task, held)
            plan[task_id] = (held, Claim(task_id, "", str(held.get("holder")), "", "", 0.0, gone, "released"))
        elif time.time() - float(held.get("epoch") or 0) > limit:
            plan[task_id] = (held, _commit(store, task, str(held.get("holder"))))
    return plan


# -- git plumbing ---------------------------------------------------------------------------------


def _commit(store: Store, task: dict[str, Any], holder: str, state: str = "held") -> Claim:
    """A claim commit (empty tree, the claim as JSON in its message) in the local object store."""
    me = identity(store)
    claim = Claim(task["id"], task["plan"], holder, me["machine"], me["clone"], round(time.time(), 3), "",
                  state)
    body = {"schema": 1, **claim.row(), "epoch": claim.epoch}
    body.pop("sha")
    message = f"orch claim {task['id']}\n\n{json.dumps(body, sort_keys=True)}\n"
    return replace(claim, sha=net.note(store.root, message))


def _push(store: Store, config: dict[str, Any], updates: dict[str, str],
          leases: dict[str, str]) -> dict[str, str]:
    """Push each ref to its sha ("" deletes it), leased on `leases`."""
    refspecs = [f"{sha}:{ref}" if sha else f":{ref}" for ref, sha in updates.items()]
    return net.push(store.root, remote_name(config), refspecs, timeout=net.timeout_of(config),
                    leases=tuple(f"{ref}:{sha}" for ref, sha in leases.items()))
