"""What `orch doctor` says about team mode, without touching the network: whether the merge
driver is registered in this clone (`--fix` registers it), the claims a finish could not release
(the next `orch sync` does), and which active tasks are held on other clones as last fetched (so
doctor does not bind them here)."""

from __future__ import annotations

from typing import Any

from orchestrator import teams
from orchestrator.lifecycle import ACTIVE
from orchestrator.store import Store
from orchestrator.teams import claimrefs, mergedriver

_UNREGISTERED = ("team mode is on but orch's merge driver is not registered in this clone: a merge of .orch/ "
                 "could conflict")
_REGISTER = "`orch doctor --fix`, `orch sync` or `orch init` registers it"


def examine(store: Store, fix: bool) -> dict[str, Any]:
    """{"info": [text], "problems": [(file, problem, fix)], "fixed": [text], "elsewhere": {task ids}}."""
    found: dict[str, Any] = {"info": [], "problems": [], "fixed": [], "elsewhere": set()}
    remote = teams.remote_of(store.config())
    if remote is None:
        return found
    found["info"].append(f"team mode: on, through the remote {remote!r} (docs/teams.md)")
    if not mergedriver.registered(store.root):
        if fix:
            mergedriver.register(store.root)
            found["fixed"].append("registered orch's merge driver for .orch/ in this clone")
        else:
            found["problems"].append((".git/config", _UNREGISTERED, _REGISTER))
    me = claimrefs.identity(store)["clone"]
    found["elsewhere"] = {claim.task for claim in claimrefs.seen(store) if claim.clone != me}
    pending = [task_id for task_id in claimrefs.remembered(store)
               if (store.task_or_none(task_id) or {}).get("status") not in ACTIVE]
    if pending:
        found["info"].append(f"claims to release on the remote: {', '.join(pending)} (`orch sync` will)")
    return found
