"""`orch lock|unlock|locks`: explicit leases, over the same runtime files the hooks use."""

from __future__ import annotations

import os
from typing import Any

from orchestrator import paths, workflow
from orchestrator.errors import InvalidInput, Refused
from orchestrator.runtime import Runtime
from orchestrator.store import Store


def relative_path(store: Store, path: str) -> str:
    """`path` normalised (symlinks, `..`) and made relative to the repo root."""
    rel = paths.repo_relative(store.root, path, os.getcwd())
    if rel is None:
        raise InvalidInput(f"{path} is outside the repository {store.root}")
    return rel


def lock(store: Store, path: str, task_id: str | None, actor: str) -> dict[str, Any]:
    runtime = Runtime(store.runtime)
    task_id = task_id or runtime.task_of(actor)
    if not task_id:
        raise InvalidInput("no task given and none is bound to you: `orch lock PATH --task ID`")
    task = store.task(task_id)
    workflow.check_holder(store, task_id, actor, "lock")
    if task["status"] != "in_progress":
        raise Refused(f"{task_id} is {task['status']}: only a task in progress can hold a lease")
    rel = relative_path(store, path)
    holder = runtime.bindings().get(task_id, {}).get("holder", actor)
    ttl = workflow.lease_ttl(store)
    conflict = runtime.take_lease(rel, task_id, holder, os.environ.get("CLAUDE_CODE_SESSION_ID", ""), ttl)
    if conflict is not None:
        raise Refused(
            f"{rel} is leased by {conflict['task']} (held by {conflict['holder']} since "
            f"{conflict['since']}, until {conflict['expires']})"
        )
    return {"path": rel, **runtime.leases()[rel]}


def unlock(store: Store, path: str | None, task_id: str | None, actor: str) -> list[str]:
    """Release leases; only the holder of their task may (or a human, or anyone once the
    holder is no longer live)."""
    if not path and not task_id:
        raise InvalidInput("say what to release: `orch unlock PATH` or `orch unlock --task ID`")
    rel = relative_path(store, path) if path else None
    runtime = Runtime(store.runtime)
    for lease_path, lease in runtime.leases().items():
        if (rel is None or lease_path == rel) and (task_id is None or lease.get("task") == task_id):
            workflow.check_holder(store, str(lease.get("task")), actor, "unlock")
    return runtime.release(path=rel, task_id=task_id)


def view(store: Store) -> dict[str, Any]:
    live = Runtime(store.runtime).live_leases()
    return {
        "leases": [
            {
                "path": path,
                "task": lease["task"],
                "holder": lease["holder"],
                "since": lease["since"],
                "expires": lease["expires"],
            }
            for path, lease in sorted(live.items())
        ]
    }
