"""A parent completes when its last child does: `orch done` (or a move) of a child runs this.

When the child was the parent's last open child (every child finished, at least one completed),
the parent's own gates run as `orch done PARENT` would run them: all pass, and it is completed
(with its report, commit and tags); one fails, and the parent gets the andon (blocked, naming the
gate), which `orch done PARENT` clears once the gate passes. A completed parent rolls up to its
own parent in turn. A parent with all its children cancelled is left for a human to decide.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orchestrator.hierarchy import children_done, children_of
from orchestrator.store import Store


def complete_parent(store: Store, child: dict[str, Any], actor: str,
                    on_line: Callable[[str], None] | None = None) -> dict[str, Any] | None:
    """The outcome of completing `child`'s parent, or None when it is not due."""
    parent_id = child.get("parent")
    parent = store.task_or_none(parent_id) if parent_id else None
    if parent is None or parent["status"] != "queued":
        return None
    if not children_done(children_of(store.summaries(), parent["id"])):
        return None
    from orchestrator import completion

    outcome = completion.done(store, parent["id"], actor, on_line)
    return summary(outcome)


def summary(outcome: dict[str, Any]) -> dict[str, Any]:
    """What `orch done --json` shows of a parent completed after its child (and of its parent)."""
    task = outcome["task"]
    return {"id": task["id"], "status": task["status"], "completed": outcome["completed"],
            "report": outcome.get("report"), "andon": task.get("andon"), "parent": outcome.get("parent")}
