"""Claims: which clone works on which task, decided on the remote by compare-and-swap.

A claim is the ref `refs/orch/claims/<plan>/<task>` on the remote, pointing at a commit (empty
tree) whose message records the holder, the machine, this clone and the time. `orch start` pushes
it with `--force-with-lease=<ref>:` (the ref must not exist), so of several clones racing for a
task the remote's atomic ref update lets exactly one win; the others read the winner's claim and
are refused with its holder, machine and time. A claim not refreshed (by `orch sync`) for
`sync.claim_timeout` seconds may be taken over, leased on its old value and recorded in the task's
receipts. Finishing, releasing or cancelling the task deletes the ref, leased on the claim this
clone pushed (remembered in the runtime folder, `claims/<task>`).
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from orchestrator import gitops, teams
from orchestrator.errors import OrchError, Refused
from orchestrator.jsonfile import read_json_or, write_json, write_text
from orchestrator.runtime import now_iso
from orchestrator.store import Store
from orchestrator.teams import remote as net

CLAIMS = "refs/orch/claims/"
SEEN = "refs/orch/seen/claims/"  # this clone's copy of the remote's claims, as last fetched
_ATTEMPTS = 4
HELD = "held"


@dataclass(frozen=True)
class Claim:
    task: str
    plan: str
    holder: str
    machine: str
    clone: str
    epoch: float
    sha: str
    state: str = "held"  # or the status a task was finished with here (completed, cancelled)

    @property
    def at(self) -> str:
        return now_iso(self.epoch)

    def row(self) -> dict[str, Any]:
        return {"task": self.task, "plan": self.plan, "holder": self.holder, "machine": self.machine,
                "clone": self.clone, "at": self.at, "sha": self.sha, "state": self.state}


# -- naming and identity ------------------------------------------------------------------------


def ref_of(task: dict[str, Any]) -> str:
    """`refs/orch/claims/<plan>/<task>`, or a digest where the ids make no valid ref name."""
    from orchestrator.paths import digest

    name = f"{task['plan']}/{task['id']}"
    return CLAIMS + (name if gitops.valid_tag_name(name) else digest(name))


def identity(store: Store) -> dict[str, str]:
    """This clone: a random id made once and kept in the runtime folder (shared by its worktrees),
    and the machine's name (`ORCH_MACHINE`, else the host name)."""
    path = Path(store.runtime) / "clone.json"
    found = read_json_or(path, None)
    if not isinstance(found, dict) or not isinstance(found.get("clone"), str):
        found = _new_identity(path)
    machine = os.environ.get("ORCH_MACHINE") or socket.gethostname() or "unknown"
    return {"clone": str(found["clone"]), "machine": machine}


def _new_identity(path: Path) -> dict[str, Any]:
    """Write the clone id unless a racing process did first (the link is exclusive)."""
    made = {"clone": uuid.uuid4().hex}
    draft = path.with_name(f".clone.{os.getpid()}.tmp")
    write_text(draft, json.dumps(made) + "\n")
    try:
        os.link(draft, path)
    except FileExistsError:
        made = read_json_or(path, made)
    finally:
        os.unlink(draft)
    return made


# -- claiming -----------------------------------------------------------------------------------


def claim(store: Store, task: dict[str, Any], holder: str) -> Claim:
    """Claim `task` for `holder` on the remote (the caller holds the state lock), or raise Refused
    naming who holds it. A claim of this clone's is kept (its holder updated); a stale one of
    another clone's is taken over and recorded in the task's receipts. Returns the claim won."""
    config, ref = store.config(), ref_of(task)
    mine = _commit(store, task, holder)
    current: Claim | None = None
    for _ in range(_ATTEMPTS):
        if _push(store, config, {ref: mine.sha}, {ref: current.sha if current else ""}).get(ref) == "ok":
            _remember(store, task["id"], mine)
            if current is not None and current.state == HELD and current.clone != mine.clone:
                _record_takeover(store, task, holder, current)
            return mine
        current = _fetch_one(store, config, ref)
        if current is not None and current.state != HELD:
            _check_not_finished(task, current)
        elif current is not None and current.clone == mine.clone and current.holder == holder:
            _remember(store, task["id"], current)
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
    if str(history[-1].get("at") or "") < current.at:
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
    _forget(store, task["id"])
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
            _remember(store, task_id, new)
        else:
            _forget(store, task_id)
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


# -- reading ------------------------------------------------------------------------------------


def fetch_all(store: Store) -> list[Claim]:
    """Every claim on the remote (one fetch), oldest first."""
    config = store.config()
    net.fetch(store.root, _remote(config), [f"+{CLAIMS}*:{SEEN}*"], net.timeout_of(config))
    return seen(store)


def seen(store: Store) -> list[Claim]:
    """The remote's live claims as this clone last fetched them, oldest first (no network); the
    marks of finished tasks are left out."""
    fields = "%(objectname)%00%(contents)%00%00"
    status, out, _err = gitops.run(store.root, "for-each-ref", f"--format={fields}", SEEN)
    found = [_parse(*record.split("\x00", 1)) for record in out.split("\x00\x00\n")
             if status == 0 and "\x00" in record]
    return sorted((c for c in found if c is not None and c.state == HELD), key=lambda c: (c.epoch, c.task))


def _fetch_one(store: Store, config: dict[str, Any], ref: str) -> Claim | None:
    """The claim at `ref` on the remote now, or None when there is none."""
    local = SEEN + ref[len(CLAIMS):]
    status, _out, err = gitops.run(store.root, "fetch", "--quiet", "--no-tags", _remote(config),
                                   f"+{ref}:{local}", timeout=net.timeout_of(config))
    if status != 0:
        if "couldn't find remote ref" not in err:
            raise OrchError(net.unreachable(_remote(config), err, status))
        gitops.run(store.root, "update-ref", "-d", local)
        return None
    return _parse(gitops.run(store.root, "rev-parse", local)[1].strip(), net.message_of(store.root, local))


def _parse(sha: str, message: str) -> Claim | None:
    try:
        data = json.loads(message.strip().split("\n\n", 1)[-1])
        return Claim(str(data["task"]), str(data["plan"]), str(data["holder"]), str(data["machine"]),
                     str(data["clone"]), float(data["epoch"]), sha.strip(), str(data.get("state", HELD)))
    except (ValueError, KeyError, TypeError, IndexError):
        return None


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
    return net.push(store.root, _remote(config), refspecs, timeout=net.timeout_of(config),
                    leases=tuple(f"{ref}:{sha}" for ref, sha in leases.items()))


def _remote(config: dict[str, Any]) -> str:
    remote = teams.remote_of(config)
    if remote is None:
        raise OrchError("team mode is off (no sync.remote): there are no claims")
    return remote


# -- what this clone pushed ---------------------------------------------------------------------


def _record(store: Store, task_id: str) -> Path:
    return Path(store.runtime) / "claims" / f"{task_id}.json"


def _remember(store: Store, task_id: str, claim: Claim) -> None:
    write_json(_record(store, task_id), {"ref": ref_of({"plan": claim.plan, "id": task_id}), "sha": claim.sha,
                                         "holder": claim.holder, "epoch": claim.epoch})


def _forget(store: Store, task_id: str) -> None:
    try:
        os.unlink(_record(store, task_id))
    except FileNotFoundError:
        pass


def remembered(store: Store) -> dict[str, dict[str, Any]]:
    """task id -> {"ref", "sha", "holder", "epoch"} of each claim this clone pushed and holds."""
    folder = Path(store.runtime) / "claims"
    found = {p.stem: read_json_or(p, None) for p in sorted(folder.glob("*.json"))} if folder.is_dir() else {}
    return {name: held for name, held in found.items() if isinstance(held, dict) and held.get("sha")}
