"""Whole tasks kept between two builds of the board, so a change of a few tasks reads those few
files instead of the whole snapshot again (at 10,000 tasks: one `scandir` instead of parsing a
snapshot of every task). A file is read again when its mtime, size or inode changed; a task
whose file is gone is dropped; many changes at once (a plan replaced) read the snapshot again."""

from __future__ import annotations

import os
from typing import Any

from orchestrator.store import Store

Identity = tuple[int, int, int]
REREAD_ABOVE = 200  # changed files beyond which the snapshot is the faster read


class TaskCache:
    def __init__(self) -> None:
        self._seen: dict[str, Identity] = {}
        self._tasks: dict[str, dict[str, Any]] = {}

    def tasks(self, store: Store) -> list[dict[str, Any]]:
        """Every task, in plan order, as `Store.tasks` gives them."""
        now = identities(store)  # before reading: a file changed meanwhile is read again next time
        changed = [task_id for task_id, ident in now.items() if self._seen.get(task_id) != ident]
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


def identities(store: Store) -> dict[str, Identity]:
    """{task id: (mtime ns, size, inode)} of every task file, from one `scandir`."""
    found: dict[str, Identity] = {}
    try:
        with os.scandir(store.tasks_dir) as entries:
            for entry in entries:
                if entry.name.endswith(".json") and not entry.name.startswith("."):
                    info = _stat(entry)
                    if info is not None:
                        found[entry.name[:-5]] = (info.st_mtime_ns, info.st_size, info.st_ino)
    except FileNotFoundError:
        return {}
    return found


def _stat(entry: os.DirEntry[str]) -> os.stat_result | None:
    try:
        return entry.stat()
    except FileNotFoundError:  # replaced or deleted since the listing: seen at the next change
        return None


def ordered(store: Store, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Plan order, as `Store.tasks` sorts: by the plans' order, then each task's position."""
    rank = {plan["id"]: plan.get("order", 0) for plan in store.plans()}
    return sorted(tasks, key=lambda t: (rank.get(t.get("plan"), 0), str(t.get("plan")), t.get("position", 0)))
