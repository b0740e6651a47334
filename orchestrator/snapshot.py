"""A one-file copy of every task for the read commands (`orch next`, `orch status`, ...).

Reading 10,000 task files costs far more than parsing one file holding them all, so the CLI keeps
`snapshot.json` (and `summary.json`) in the work tree's own runtime folder (`paths.worktree_dir`:
each worktree of a repo has its own task files), stamped with a fingerprint of the tasks folder:
its mtime, its number of files, their newest mtime and their total size, from one `scandir` (a
stat per file, no reads).
A snapshot whose stamp differs is ignored and rebuilt from the files, so a `git pull`, a hook
that recorded artifacts, or a file edited in place is seen at the next read.
"""

from __future__ import annotations

import os
from typing import Any

from orchestrator import fastjson, paths
from orchestrator.jsonfile import write_text

NAME = "snapshot.json"
SUMMARY = "summary.json"
SUMMARY_KEYS = ("id", "title", "status", "priority", "specialist", "depends_on", "files", "milestone",
                "estimate", "plan", "position")


def summary(task: dict[str, Any]) -> dict[str, Any]:
    """What `orch status` and `orch next` need of a task (a third of the whole, or less); `story` is
    the user story a spec-kit task serves (`[US1]`), which `orch status` shows."""
    row = {key: task.get(key) for key in SUMMARY_KEYS}
    row["story"] = (task.get("fields") or {}).get("story")
    return row


def load(state_dir: str, runtime_dir: str, name: str = NAME) -> list[dict[str, Any]] | None:
    """The tasks of snapshot `name` (NAME: whole tasks; SUMMARY: `summary` of each) if it is
    current, else None."""
    found = load_stamped(state_dir, runtime_dir, name)
    if found is None or found[0] != fingerprint(state_dir):
        return None
    return found[1]


def load_stamped(
    state_dir: str, runtime_dir: str, name: str = NAME
) -> tuple[str, list[dict[str, Any]]] | None:
    """(stamp, tasks) of the snapshot as written, current or not; None if missing or unreadable."""
    try:
        with open(os.path.join(paths.worktree_dir(state_dir, runtime_dir), name), "rb") as handle:
            data = fastjson.loads(handle.read())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("tasks"), list):
        return None
    return str(data.get("stamp")), data["tasks"]


def save(state_dir: str, runtime_dir: str, generation: str, tasks: list[dict[str, Any]]) -> None:
    """Both snapshots: whole tasks, and their summaries."""
    folder = paths.worktree_dir(state_dir, runtime_dir)
    for name, rows in ((NAME, tasks), (SUMMARY, [summary(task) for task in tasks])):
        write_text(os.path.join(folder, name), fastjson.dumps({"stamp": generation, "tasks": rows}),
                   durable=False)


def fingerprint(state_dir: str) -> str:
    folder = os.path.join(state_dir, "tasks")
    try:
        count, newest, size = 0, 0, 0
        with os.scandir(folder) as entries:
            for entry in entries:
                info = entry.stat()
                count, newest, size = count + 1, max(newest, info.st_mtime_ns), size + info.st_size
        return f"{os.stat(folder).st_mtime_ns}:{count}:{newest}:{size}"
    except FileNotFoundError:
        return "0"
