"""Whole tasks kept between two builds of the board, so a change of a few tasks reads those few
files instead of the whole snapshot again (at 10,000 tasks: one `scandir` instead of parsing a
snapshot of every task). A file is read again when its mtime, size or inode changed, or when it
was written in the last clock ticks; a task whose file is gone is dropped; many changes at once (a
plan replaced) read the snapshot again."""

from __future__ import annotations

from typing import Any

from orchestrator import snapfiles, snapshot
from orchestrator.store import Store

REREAD_ABOVE = 200  # changed files beyond which the snapshot is the faster read


class TaskCache:
    def __init__(self) -> None:
        self._seen: snapshot.Files = {}
        self._tasks: dict[str, dict[str, Any]] = {}

    def tasks(self, store: Store) -> list[dict[str, Any]]:
        """Every task, in plan order, as `Store.tasks` gives them."""
        now = identities(store)  # before reading: a file changed meanwhile is read again next time
        changed = [task_id for task_id, ident in now.items()
                   if ident[0] == -1 or self._seen.get(task_id) != ident]  # -1: racy, read again
        if not self._tasks or len(changed) > REREAD_ABOVE:
            self._tasks = {task["id"]: task for task in store.tasks()}
        else:
            for task_id in changed:
                task = store.task_or_none(task_id)
                if task is not None:
                    self._tasks[task_id] = task
        for task_id in set(self._tasks) - set(now):
            del self._tasks[task_id]
        self._seen = now
        return ordered(store, list(self._tasks.values()))


def identities(store: Store) -> snapshot.Files:
    """{task id: [mtime ns, size, inode]} of every task file, from one `scandir` (`snapfiles.scan`:
    a file written in the last clock ticks has mtime -1 and is read again at every build)."""
    return snapfiles.scan(str(store.dir))[1]


def ordered(store: Store, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Plan order, as `Store.tasks` sorts: by the plans' order, then each task's position."""
    rank = {plan["id"]: plan.get("order", 0) for plan in store.plans()}
    return sorted(tasks, key=lambda t: (rank.get(t.get("plan"), 0), str(t.get("plan")), t.get("position", 0)))
