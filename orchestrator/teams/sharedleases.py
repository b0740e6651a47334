"""Leases across clones, eventually: `orch sync` publishes this clone's live leases on the remote
(`refs/orch/leases/<clone>`, a commit whose message holds them; only this clone writes that ref)
and adopts the other clones' into the runtime folder, marked with their clone and machine, where
the hooks find them as they find any lease (a write to such a path by another task is denied,
naming the holder). Nothing here runs in a hook: a lease taken elsewhere is seen here after both
clones' next sync, and it expires here when its owner said it would (clock skew shifts that)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from orchestrator import gitops, teams
from orchestrator.jsonfile import read_json_or, write_json
from orchestrator.runtime import Runtime
from orchestrator.store import Store
from orchestrator.teams import remote as net

LEASES = "refs/orch/leases/"
SEEN = "refs/orch/seen/leases/"
_KEPT = ("task", "holder", "since", "expires", "expires_at")


def refspec() -> str:
    """What `orch sync` fetches to see the other clones' leases."""
    return f"+{LEASES}*:{SEEN}*"


def adopt(store: Store, me: dict[str, str]) -> int:
    """Take the other clones' live leases (as fetched) into this clone's runtime; how many."""
    shared: dict[str, dict[str, Any]] = {}
    now = time.time()
    for body in _published(store):
        if body.get("clone") == me["clone"] or not isinstance(body.get("leases"), dict):
            continue
        for path, lease in body["leases"].items():
            if isinstance(lease, dict) and float(lease.get("expires_at") or 0) > now:
                shared[path] = {**lease, "clone": body["clone"], "machine": body.get("machine")}
    Runtime(store.runtime).replace_shared_leases(shared)
    return len(shared)


def publish(store: Store, me: dict[str, str]) -> bool:
    """Push this clone's live leases, unless they are what it pushed last; True when pushed."""
    own = {path: {key: lease.get(key) for key in _KEPT}
           for path, lease in sorted(Runtime(store.runtime).live_leases().items()) if not lease.get("clone")}
    body = json.dumps({"schema": 1, **me, "leases": own}, sort_keys=True)
    record = Path(store.runtime) / "published-leases.json"
    if read_json_or(record, None) == {"body": body}:
        return False
    sha = net.note(store.root, f"orch leases of {me['machine']}\n\n{body}\n")
    config = store.config()
    net.push(store.root, str(teams.remote_of(config)), [f"+{sha}:{LEASES}{me['clone']}"],
             timeout=net.timeout_of(config))
    write_json(record, {"body": body})
    return True


def _published(store: Store) -> list[dict[str, Any]]:
    status, out, _err = gitops.run(store.root, "for-each-ref", "--format=%(contents:body)%00", SEEN)
    bodies = []
    for text in out.split("\x00") if status == 0 else []:
        try:
            found = json.loads(text.strip())
        except ValueError:
            continue
        if isinstance(found, dict):
            bodies.append(found)
    return bodies
