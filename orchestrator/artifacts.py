"""What a task itself changed: its artifacts, from three sources.

1. The hooks. PostToolUse records, for the task bound to the caller, each file a Write, Edit or
   NotebookEdit wrote and each file the Bash analyser finds a command wrote (`task["artifacts"]`).
2. Commits. Every commit after the task's start whose message has the trailer `Orch-Task: <id>`
   (the commit `orch done` makes carries it; an agent adds it to commit what it made with a
   program the hooks cannot follow, such as a code generator).
3. Git, for a task no hook watches. A task started outside a Claude Code session orch's hooks have
   seen (a human at a terminal, a script: `seen_by` "git") gets, too, the files changed in commits
   and in the work tree since it started, less what is someone else's: files recorded by another
   task that ran meanwhile, files only another task in progress declares, orch's reports, and
   files that were already uncommitted when it started and have not changed since
   (`remember_start` notes their size and modification time in the runtime folder).

Never `.orch/`: orch's own state is no task's artifact.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from orchestrator import globs, lifecycle, snapfiles
from orchestrator.errors import OrchError
from orchestrator.jsonfile import read_json_or, write_json
from orchestrator.runtime import epoch_of
from orchestrator.store import Store

STATE = ".orch"
TRAILER = "Orch-Task"


def own_changes(store: Store, task: dict[str, Any]) -> list[str]:
    """The files `task` changed (sorted, repo-relative, never under `.orch/`)."""
    found = set(task.get("artifacts") or []) | set(_committed(store, task))
    if task.get("seen_by") != "hooks":
        found |= _unwatched(store, task)
    return sorted(path for path in found if not in_state(path))


def in_state(path: str) -> bool:
    return path == STATE or path.startswith(STATE + "/")


def _committed(store: Store, task: dict[str, Any]) -> list[str]:
    from orchestrator import gitops

    try:
        return gitops.trailer_files(store.root, task.get("start_commit"), TRAILER, task["id"])
    except OrchError:  # no repository, or the start commit is gone: nothing to add
        return []


def _unwatched(store: Store, task: dict[str, Any]) -> set[str]:
    """Files changed since the task started that are not someone else's."""
    from orchestrator import gitops
    from orchestrator.reports import REPORTS_DIR

    try:  # a task started before the first commit: every commit since is after its start
        since = task.get("start_commit") or gitops.EMPTY_TREE
        changed = gitops.changed_files(store.root, since, outside=STATE)
    except OrchError:
        return set()
    started = _started_at(task)
    others = [t for t in _may_overlap(store, started) if t["id"] != task["id"] and _overlaps(t, started)]
    taken = {path for other in others for path in other.get("artifacts") or []}
    declared = [glob for other in others if other.get("status") in lifecycle.ACTIVE
                for glob in other.get("files") or []]
    taken |= _untouched(store, task["id"])
    reports = REPORTS_DIR.as_posix() + "/"
    return {path for path in changed if path not in taken and not path.startswith(reports)
            and not (_declared_by(declared, path) and not _declared_by(task.get("files") or [], path))}


def _started_at(task: dict[str, Any]) -> str:
    starts = [str(h.get("at") or "") for h in task.get("history") or [] if h.get("to") == "in_progress"]
    return starts[-1] if starts else ""


def _may_overlap(store: Store, started: str) -> list[dict[str, Any]]:
    """The tasks `_overlaps` may hold: those active now (by the summaries) and those whose file was
    written since `started` (a move since then wrote its history there); whole task files read
    for those alone, not for every task of the plan."""
    since = epoch_of(started)
    if since is None:
        return store.tasks()
    active = {row["id"] for row in store.summaries() if row.get("status") in lifecycle.ACTIVE}
    with os.scandir(store.tasks_dir) as entries:  # history has whole seconds: a second of slack
        written = {e.name[:-5] for e in entries if snapfiles.is_task_file(e.name)
                   and e.stat().st_mtime >= since - 1}
    return [task for task_id in sorted(active | written) if (task := store.task_or_none(task_id))]


def _overlaps(other: dict[str, Any], started: str) -> bool:
    """`other` may have changed files while the task ran: it is active, or moved after it started
    (history has whole seconds: a move in the second the task started counts as before). A file
    another task changed before is this task's too when it changes it again."""
    if other.get("status") in lifecycle.ACTIVE:
        return True
    return any(str(h.get("at") or "") > started for h in other.get("history") or [])


def remember_start(store: Store, task_id: str, keep: bool = False) -> None:
    """Note the files uncommitted when a task no hook watches starts (size, modification time),
    so they are not taken for its work unless they change; `keep` leaves a note already made."""
    from orchestrator import gitops

    if keep and _baseline_path(store, task_id).exists():
        return
    try:
        dirty = gitops.changed_files(store.root, None, outside=STATE)
    except OrchError:
        dirty = []
    path = _baseline_path(store, task_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    stats = {rel: _stat(store.root / rel) for rel in dirty if not in_state(rel)}
    write_json(path, stats, compact=True, durable=False)


def forget_start(runtime_dir: str, task_id: str) -> None:
    """Drop the note `remember_start` made, once the task is unbound (finished or released: a
    later start makes a new one)."""
    try:
        os.unlink(_baseline_file(runtime_dir, task_id))
    except FileNotFoundError:
        pass


def _untouched(store: Store, task_id: str) -> set[str]:
    before = read_json_or(_baseline_path(store, task_id), {})
    if not isinstance(before, dict):
        return set()
    return {path for path, stat in before.items() if stat == _stat(store.root / path)}


def _baseline_path(store: Store, task_id: str) -> Path:
    return Path(_baseline_file(str(store.runtime), task_id))


def _baseline_file(runtime_dir: str, task_id: str) -> str:
    return os.path.join(runtime_dir, "baselines", f"{task_id}.json")


def _stat(path: Path) -> list[int] | None:
    try:
        found = os.lstat(path)
    except OSError:
        return None
    return [found.st_size, found.st_mtime_ns]


def _declared_by(patterns: list[str], path: str) -> bool:
    return any(covers(glob, path) for glob in patterns)


def covers(glob: str, path: str) -> bool:
    """`glob` matches `path`, or names a folder `path` lies in (`src/auth` covers `src/auth/x.py`)."""
    return globs.matches(glob, path) or globs.matches(glob.rstrip("/") + "/**", path)
