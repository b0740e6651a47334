"""Claims as this clone sees them: the `Claim` record, its ref, this clone's identity, the
remote's claims as fetched, and the claims this clone pushed (remembered in the runtime folder,
`claims/<task>.json`, so a release is leased on exactly the claim this clone made). See `claims`.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator import gitops, teams
from orchestrator.errors import OrchError
from orchestrator.jsonfile import read_json_or, write_json, write_text
from orchestrator.runtime import now_iso
from orchestrator.store import Store
from orchestrator.teams import remote as net

CLAIMS = "refs/orch/claims/"
SEEN = "refs/orch/seen/claims/"  # this clone's copy of the remote's claims, as last fetched
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


# -- reading ------------------------------------------------------------------------------------


def fetch_all(store: Store) -> list[Claim]:
    """Every claim on the remote (one fetch), oldest first."""
    config = store.config()
    net.fetch(store.root, remote_name(config), [f"+{CLAIMS}*:{SEEN}*"], net.timeout_of(config))
    return seen(store)


def seen(store: Store) -> list[Claim]:
    """The remote's live claims as this clone last fetched them, oldest first (no network); the
    marks of finished tasks are left out."""
    fields = "%(objectname)%00%(contents)%00%00"
    status, out, _err = gitops.run(store.root, "for-each-ref", f"--format={fields}", SEEN)
    found = [parse(*record.split("\x00", 1)) for record in out.split("\x00\x00\n")
             if status == 0 and "\x00" in record]
    return sorted((c for c in found if c is not None and c.state == HELD), key=lambda c: (c.epoch, c.task))


def fetch_one(store: Store, config: dict[str, Any], ref: str) -> Claim | None:
    """The claim at `ref` on the remote now, or None when there is none."""
    local = SEEN + ref[len(CLAIMS):]
    status, _out, err = gitops.run(store.root, "fetch", "--quiet", "--no-tags", remote_name(config),
                                   f"+{ref}:{local}", timeout=net.timeout_of(config))
    if status != 0:
        if "couldn't find remote ref" not in err:
            raise OrchError(net.unreachable(remote_name(config), err, status))
        gitops.run(store.root, "update-ref", "-d", local)
        return None
    return parse(gitops.run(store.root, "rev-parse", local)[1].strip(), net.message_of(store.root, local))


def parse(sha: str, message: str) -> Claim | None:
    try:
        data = json.loads(message.strip().split("\n\n", 1)[-1])
        return Claim(str(data["task"]), str(data["plan"]), str(data["holder"]), str(data["machine"]),
                     str(data["clone"]), float(data["epoch"]), sha.strip(), str(data.get("state", HELD)))
    except (ValueError, KeyError, TypeError, IndexError):
        return None


def remote_name(config: dict[str, Any]) -> str:
    remote = teams.remote_of(config)
    if remote is None:
        raise OrchError("team mode is off (no sync.remote): there are no claims")
    return remote


# -- what this clone pushed ---------------------------------------------------------------------


def _record(store: Store, task_id: str) -> Path:
    return Path(store.runtime) / "claims" / f"{task_id}.json"


def remember(store: Store, task_id: str, claim: Claim) -> None:
    write_json(_record(store, task_id), {"ref": ref_of({"plan": claim.plan, "id": task_id}), "sha": claim.sha,
                                         "holder": claim.holder, "epoch": claim.epoch})


def forget(store: Store, task_id: str) -> None:
    try:
        os.unlink(_record(store, task_id))
    except FileNotFoundError:
        pass


def remembered(store: Store) -> dict[str, dict[str, Any]]:
    """task id -> {"ref", "sha", "holder", "epoch"} of each claim this clone pushed and holds."""
    folder = Path(store.runtime) / "claims"
    found = {p.stem: read_json_or(p, None) for p in sorted(folder.glob("*.json"))} if folder.is_dir() else {}
    return {name: held for name, held in found.items() if isinstance(held, dict) and held.get("sha")}
