"""`orch sync`: bring `.orch/` up to date with the team's remote and publish this clone's changes.

One round, under the state lock (no orch write runs in between): commit what orch changed in
`.orch/`, fetch the branch and the claims, merge the branch (orch's merge driver takes `.orch/`;
a conflict anywhere is aborted, so no conflict or half-merged file is ever left), roll any task
file the merge left behind its receipts to them (`recovery.reconcile`) and commit that. Then push;
a push the remote rejects because another clone pushed first starts another round, up to
`ATTEMPTS`. Last, this clone's claims are tidied (`claims.tidy`) and the clones' leases shared
(`sharedleases`). Safe to run at any time.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

from orchestrator import gitops, teams
from orchestrator.errors import OrchError
from orchestrator.store import Store
from orchestrator.teams import anchoring, claimrefs, claims, mergedriver, sharedleases
from orchestrator.teams import remote as net

ATTEMPTS = 5
MESSAGE = "orch: sync .orch/ state"


def sync(store: Store) -> dict[str, Any]:
    """Sync once; the report says what was committed, merged and pushed."""
    config = store.config()
    remote = teams.remote_of(config)
    if remote is None:
        return {"team": False}
    branch = branch_of(store, config)
    mergedriver.register(store.root)
    report: dict[str, Any] = {"team": True, "remote": remote, "branch": branch, "commits": [],
                              "merged": False, "reconciled": [], "attempts": 0}
    for attempt in range(1, ATTEMPTS + 1):
        report["attempts"] = attempt
        with store.locked():
            _round(store, remote, branch, report)
        if _push(store, remote, branch):
            break
        time.sleep(random.uniform(0.05, 0.2) * attempt)
    else:
        raise OrchError(f"{remote} rejected {ATTEMPTS} pushes in a row (other clones kept pushing first); "
                        "your work is committed here: run `orch sync` again")
    report["claims"] = claims.tidy(store)
    me = claimrefs.identity(store)
    report["leases"] = {"adopted": sharedleases.adopt(store, me),
                        "published": sharedleases.publish(store, me)}
    return report


def branch_of(store: Store, config: dict[str, Any]) -> str:
    """`sync.branch`, else the branch checked out; refused on a detached HEAD or mid-operation."""
    state = gitops.repo_state(store.root)
    if state["operation"]:
        raise OrchError(f"cannot sync: a {state['operation']} is in progress; finish or abort it first")
    branch = teams.setting(config, "branch", "") or state["branch"]
    if not branch:
        raise OrchError("cannot sync on a detached HEAD: switch to a branch, or set sync.branch")
    return str(branch)


def _round(store: Store, remote: str, branch: str, report: dict[str, Any]) -> None:
    _commit(store, MESSAGE, report)
    incoming = _fetch(store, remote, branch)
    before = gitops.head_sha(store.root)
    if incoming is not None and _merge(store, remote, branch, incoming, before):
        report["merged"] = True
        report["reconciled"] += _reconcile(store, before)
        report["reconciled"] += [note for note in [anchoring.reanchor(store, before, incoming)] if note]
        _commit(store, "orch: sync: task files rolled to their merged receipts", report)


def _commit(store: Store, message: str, report: dict[str, Any]) -> None:
    sha = gitops.commit_paths(store.root, [".orch"], message)
    if sha:
        report["commits"].append(sha)


def _fetch(store: Store, remote: str, branch: str) -> str | None:
    """Fetch the branch, the claims and the clones' leases; the remote branch's commit, None when
    it has none yet."""
    tracking = f"refs/remotes/{remote}/{branch}"
    refspecs = [f"+refs/heads/{branch}:{tracking}", f"+{claimrefs.CLAIMS}*:{claimrefs.SEEN}*",
                sharedleases.refspec()]
    timeout = net.timeout_of(store.config())
    status, _out, err = gitops.run(store.root, "fetch", "--quiet", "--prune", remote, *refspecs,
                                   timeout=timeout)
    if status != 0 and "couldn't find remote ref" in err:
        net.fetch(store.root, remote, refspecs[1:], timeout)
        return None
    if status != 0:
        raise OrchError(net.unreachable(remote, err, status))
    return gitops.run(store.root, "rev-parse", "--verify", tracking)[1].strip() or None


def _merge(store: Store, remote: str, branch: str, incoming: str, head: str | None) -> bool:
    """Merge `incoming` into HEAD; False when HEAD already has it. A failed merge is aborted."""
    if head is not None and gitops.run(store.root, "merge-base", "--is-ancestor", incoming, head)[0] == 0:
        return False
    status, out, err = gitops.run(store.root, "merge", "--no-edit", "-m",
                                  f"orch sync: merge {remote}/{branch}", incoming)
    if status != 0:
        raise OrchError(_failed_merge(store, remote, branch, f"{out}\n{err}"))
    return True


def _failed_merge(store: Store, remote: str, branch: str, output: str) -> str:
    """Abort a merge that stopped, and say why: nothing of it is left behind."""
    conflicted = gitops.run(store.root, "diff", "--name-only", "--diff-filter=U")[1].split()
    if gitops.run(store.root, "rev-parse", "-q", "--verify", "MERGE_HEAD")[0] == 0:
        gitops.run(store.root, "merge", "--abort")
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    said = next((line for line in lines if line.startswith("error:")), (lines or [""])[-1])
    why = f"these files conflict: {', '.join(conflicted[:10])}" if conflicted else said
    return (f"cannot merge {remote}/{branch} here ({why}); the merge was aborted and nothing was changed. "
            f"Merge it yourself (`git merge {remote}/{branch}`), then run `orch sync` again")


def _reconcile(store: Store, before: str | None) -> list[str]:
    """Roll each task file the merge changed to its (merged) receipts; the changes said."""
    from orchestrator import receipts, recovery
    from orchestrator.jsonfile import read_json, write_json

    changed = []
    for task_id in _merged_tasks(store, before):
        records = receipts.trusted_chain(store.dir, receipts.task_chain(task_id))
        path = store.task_path(task_id)
        task = read_json(path) if path.exists() else None
        change = recovery.reconcile(task, records) if records and isinstance(task, dict) else None
        if change:
            write_json(path, task)
            changed.append(change)
    return changed


def _merged_tasks(store: Store, before: str | None) -> list[str]:
    names = gitops.run(store.root, "diff", "--name-only", before or gitops.EMPTY_TREE, "HEAD", "--",
                       ".orch/tasks")[1].split()
    return [Path(name).stem for name in names if name.endswith(".json")]


def _push(store: Store, remote: str, branch: str) -> bool:
    """Push HEAD (and the milestone tags on it); False when the remote rejected it."""
    target = f"refs/heads/{branch}"
    fates = net.push(store.root, remote, [f"HEAD:{target}"], timeout=net.timeout_of(store.config()),
                     follow_tags=True)
    return fates.get(target) != net.REJECTED
