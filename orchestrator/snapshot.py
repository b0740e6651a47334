"""A one-file copy of every task for the read commands (`orch next`, `orch status`, ...).

Reading 10,000 task files costs far more than parsing one file holding them all, so the CLI keeps
`snapshot.bin` (and `summary.bin`) in the work tree's own runtime folder (`paths.worktree_dir`:
each worktree of a repo has its own task files), in a binary form of this interpreter
(`snapcodec`), stamped with a fingerprint of the tasks folder:
its mtime, its number of files, their newest mtime and their total size, from one `scandir` (a
stat per file, no reads).
A snapshot whose stamp differs is not served: it is refreshed from the files that changed
(`snapfiles`, by `FILES`, the stat of each task file it holds) or rebuilt from every file, so a
`git pull`, a hook that recorded artifacts, or a file edited in place is seen at the next read.
The tasks are saved in plan order, so sorting them after a read costs one pass.
"""

from __future__ import annotations

import os
from typing import Any

from orchestrator import fastjson, paths, rowtext, snapcodec
from orchestrator.fsmonitor import memo
from orchestrator.jsonfile import write_text

Files = dict[str, list[int]]  # task file stem -> [mtime_ns or -1 when racy, size, inode]

NAME = "snapshot.bin"
SUMMARY = "summary.bin"
LEGACY = ("snapshot.json", "summary.json")  # the JSON snapshots of earlier versions, deleted at a save
DELTA = "snapshot.delta.json"
FILES = "snapshot.files.json"  # the stat of each task file the snapshots hold (`snapfiles`)
DELTA_LIMIT = 200  # tasks a delta holds before it is folded into the snapshots
SUMMARY_KEYS = ("id", "title", "status", "priority", "specialist", "depends_on", "files", "milestone",
                "estimate", "due", "category", "plan", "position", "parent")


def summary(task: dict[str, Any]) -> dict[str, Any]:
    """What `orch status` and `orch next` need of a task (a third of the whole, or less); `story` is
    the user story a spec-kit task serves (`[US1]`), which `orch status` shows."""
    row = {key: task.get(key) for key in SUMMARY_KEYS}
    row["story"] = (task.get("fields") or {}).get("story")
    return row


def load(state_dir: str, runtime_dir: str, name: str = NAME,
         current: str | None = None) -> list[dict[str, Any]] | None:
    """The tasks of snapshot `name` (NAME: whole tasks; SUMMARY: `summary` of each) if it is
    current (its stamp is `current`, when the caller knows it), else None."""
    found = load_stamped(state_dir, runtime_dir, name)
    served = None if found is None else _served(state_dir, runtime_dir, found, name, current)
    return None if served is None else served[0]


def load_with_rows(state_dir: str, runtime_dir: str) -> tuple[list[dict[str, Any]], dict[str, Any]] | None:
    """The summaries as `load` serves them, and the rows of `orch status --json` (`rowtext`) the
    file holds for those the delta did not change, by task id; None when not current."""
    try:
        with open(os.path.join(paths.worktree_dir(state_dir, runtime_dir), SUMMARY), "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    found = snapcodec.decode(data)
    served = None if found is None else _served(state_dir, runtime_dir, found, SUMMARY, None)
    if served is None:
        return None
    rows = snapcodec.decode_rows(data) or {}
    return served[0], {k: v for k, v in rows.items() if k not in served[1]} if served[1] else rows


def _served(state_dir: str, runtime_dir: str, found: tuple[str, list[dict[str, Any]]], name: str,
            current: str | None) -> tuple[list[dict[str, Any]], dict[str, Any]] | None:
    """(the tasks, the delta's changes merged into them) of `found` if it is current, else None."""
    now = fingerprint(state_dir, runtime_dir) if current is None else current
    if found[0] == now:
        return found[1], {}
    delta = _delta(state_dir, runtime_dir)
    if delta is None or delta[0] != found[0] or delta[1] != now:
        return None
    return _merged(found[1], delta[2], summary if name == SUMMARY else None), delta[2]


def _merged(tasks: list[dict[str, Any]], changes: dict[str, Any], shape: Any) -> list[dict[str, Any]]:
    by_id = {task["id"]: task for task in tasks}
    for task_id, task in changes.items():
        if task is None:
            by_id.pop(task_id, None)
        else:
            by_id[task_id] = shape(task) if shape else task
    return list(by_id.values())


def _delta(state_dir: str, runtime_dir: str) -> tuple[str, str, dict[str, Any]] | None:
    """(stamp of the snapshots it extends, its own stamp, {task id: task or None}) of the delta."""
    data = _read(state_dir, runtime_dir, DELTA, dict)
    return None if data is None else (str(data.get("base")), str(data.get("stamp")), data["tasks"])


def extend(state_dir: str, runtime_dir: str, before: str, changes: dict[str, Any], after: str) -> bool:
    """After a locked block that wrote `changes` ({task id: task, or None when deleted}): record
    them in the delta, stamped `after`, without reading or rewriting the whole snapshots, when
    they were current as of `before` (with the delta so far); fold the delta into them once it
    holds DELTA_LIMIT tasks. False when they were not current: the caller rebuilds them."""
    base = peek_stamp(state_dir, runtime_dir)
    delta = _delta(state_dir, runtime_dir)
    held = delta[2] if delta is not None and delta[0] == base else {}
    current = delta[1] if delta is not None and delta[0] == base else base
    if base is None or current != before:
        return False
    held = {**held, **changes}
    if len(held) <= DELTA_LIMIT:
        text = fastjson.dumps({"base": base, "stamp": after, "tasks": held})
        write_text(os.path.join(paths.worktree_dir(state_dir, runtime_dir), DELTA), text, durable=False)
        return True
    found = load_stamped(state_dir, runtime_dir)
    if found is None or found[0] != base:
        return False
    save(state_dir, runtime_dir, after, _merged(found[1], held, None))
    record = load_record(state_dir, runtime_dir)
    if record is not None and record[0] == base:  # the folded tasks' files are read at a refresh
        _write_record(state_dir, runtime_dir, after, {s: v for s, v in record[1].items() if s not in held})
    return True


def peek_stamp(state_dir: str, runtime_dir: str) -> str | None:
    """The stamp both snapshots were written with, read from their first bytes (`save` writes it
    first); None when they differ or cannot be read."""
    stamps = set()
    for name in (NAME, SUMMARY):
        try:
            with open(os.path.join(paths.worktree_dir(state_dir, runtime_dir), name), "rb") as handle:
                stamps.add(snapcodec.stamp_in(handle.read(snapcodec.HEAD_BYTES)))
        except OSError:
            return None
    return stamps.pop() if len(stamps) == 1 else None


def names_parent(state_dir: str, runtime_dir: str, task_id: str, current: str) -> bool | None:
    """Whether some task of the summaries as of the stamp `current` (with their delta) names
    `task_id` as its parent: a search of the ids the file lists as parents, and of the delta's
    JSON text, instead of a load, for a question most tasks answer no to. None when the
    snapshot is not current: ask `load`."""
    folder = paths.worktree_dir(state_dir, runtime_dir)
    try:
        with open(os.path.join(folder, SUMMARY), "rb") as handle:
            head = handle.read(snapcodec.HEAD_BYTES)
            found = snapcodec.header(head)
            data = head + handle.read(max(0, found[1] + found[2] - len(head))) if found else head
    except OSError:
        return None
    stamp = found[0] if found else None
    if stamp == current:
        return snapcodec.names(data, task_id)
    delta = _delta(state_dir, runtime_dir)
    if stamp is None or delta is None or delta[0] != stamp or delta[1] != current:
        return None
    needle = f'"parent":{fastjson.dumps(task_id)}'
    return snapcodec.names(data, task_id) or needle in fastjson.dumps(delta[2])


def load_stamped(
    state_dir: str, runtime_dir: str, name: str = NAME
) -> tuple[str, list[dict[str, Any]]] | None:
    """(stamp, tasks) of the snapshot as written, current or not; None if missing or unreadable."""
    try:
        with open(os.path.join(paths.worktree_dir(state_dir, runtime_dir), name), "rb") as handle:
            return snapcodec.decode(snapcodec.read(handle))
    except OSError:
        return None


def _read(state_dir: str, runtime_dir: str, name: str, tasks: type,
          key: str = "tasks") -> dict[str, Any] | None:
    """The JSON object in the work tree's file `name` whose `key` is a `tasks` (list or dict);
    None when it is missing, unreadable or of another shape (the caller rebuilds)."""
    try:
        with open(os.path.join(paths.worktree_dir(state_dir, runtime_dir), name), "rb") as handle:
            data = fastjson.loads(handle.read())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get(key), tasks) else None


def save(state_dir: str, runtime_dir: str, generation: str, tasks: list[dict[str, Any]],
         files: Files | None = None) -> None:
    """Both snapshots: whole tasks, and their summaries, in plan order; then `files`, the stat of
    each task file they were made from (`snapfiles.scan`), when known. The snapshots are a cache:
    when the runtime folder cannot be written (a read inside the write jail, a full disk) nothing
    is, and the read goes on from the files (snapshots with two stamps are never served:
    `peek_stamp`)."""
    folder = paths.worktree_dir(state_dir, runtime_dir)
    tasks = _in_plan_order(tasks)
    summaries = snapcodec.shared([summary(task) for task in tasks])
    rows = {row["id"]: rowtext.parts(row) for row in summaries}
    try:
        for name, data in ((NAME, snapcodec.encode(generation, tasks)),
                           (SUMMARY, snapcodec.encode(generation, summaries, rows))):
            write_text(os.path.join(folder, name), data, durable=False)
        if files is not None:
            _write_record(state_dir, runtime_dir, generation, files)
        for name in LEGACY:
            if os.path.exists(os.path.join(folder, name)):
                os.unlink(os.path.join(folder, name))
    except OSError:
        pass


def _in_plan_order(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`tasks` by plan, then position (as they are, when a hand edit made them incomparable)."""
    try:
        return sorted(tasks, key=lambda task: (str(task["plan"]), task["position"]))
    except (TypeError, KeyError):
        return tasks


def unreadable(path: str, _kind: type = list) -> str | None:
    """Why the snapshot file `path` cannot be read (for `orch doctor`), or None: it is missing,
    readable, or of another interpreter (rebuilt at the next read)."""
    try:
        with open(path, "rb") as handle:
            reason = snapcodec.problem(handle.read())
    except FileNotFoundError:
        return None
    except OSError as exc:
        reason = exc.strerror or "cannot be read"
    return None if reason is None else f"{path}: {reason}"


def load_record(state_dir: str, runtime_dir: str) -> tuple[str, Files] | None:
    """(stamp, stats by stem) of `FILES`; None when missing or unreadable."""
    data = _read(state_dir, runtime_dir, FILES, dict, key="files")
    return None if data is None else (str(data.get("stamp")), data["files"])


def _write_record(state_dir: str, runtime_dir: str, stamp: str, files: Files) -> None:
    text = fastjson.dumps({"stamp": stamp, "files": files})
    write_text(os.path.join(paths.worktree_dir(state_dir, runtime_dir), FILES), text, durable=False)


def advance(state_dir: str, before: str, sizes: dict[str, int | None]) -> str:
    """The fingerprint after a locked block wrote the task files `sizes` names ({task id: its size
    before, None when it did not exist}) onto a folder whose fingerprint was `before`: a stat of
    each of those files instead of every file. A deleted file may have been the newest: then, as
    when `before` is no fingerprint, every file is counted again."""
    parts = before.split(":")
    if len(parts) != 4 or not all(part.isdigit() for part in parts):
        return fingerprint(state_dir)
    count, newest, size = int(parts[1]), int(parts[2]), int(parts[3])
    folder = os.path.join(state_dir, "tasks")
    for task_id, old in sizes.items():
        try:
            info = os.stat(os.path.join(folder, f"{task_id}.json"))
        except FileNotFoundError:
            return fingerprint(state_dir)
        count, size = count + (old is None), size - (old or 0) + info.st_size
        newest = max(newest, info.st_mtime_ns)
    try:
        return f"{os.stat(folder).st_mtime_ns}:{count}:{newest}:{size}"
    except FileNotFoundError:
        return "0"


def fingerprint(state_dir: str, runtime_dir: str | None = None) -> str:
    """`<folder mtime>:<files>:<newest mtime>:<total size>` of the tasks folder: with
    `runtime_dir`, the one remembered when the tasks-folder monitor names no change since
    (`fsmonitor.memo`), else from a pass of stats. The folder is listed through a descriptor, so
    each file's stat resolves its name alone, not the whole path again (about a tenth less at
    10,000 files)."""
    if runtime_dir is not None:
        return memo.fingerprint(state_dir, runtime_dir, lambda: fingerprint(state_dir))
    folder = os.path.join(state_dir, "tasks")
    try:
        handle = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except FileNotFoundError:
        return "0"
    try:
        with os.scandir(handle if os.scandir in os.supports_fd else folder) as entries:
            infos = [entry.stat() for entry in entries]
        return stamp_of(os.fstat(handle).st_mtime_ns, infos)
    except FileNotFoundError:
        return "0"
    finally:
        os.close(handle)


def stamp_of(folder_mtime: int, infos: list[os.stat_result]) -> str:
    """The fingerprint of a tasks folder from its mtime and the stats of all its entries."""
    newest = max([info.st_mtime_ns for info in infos], default=0)
    return f"{folder_mtime}:{len(infos)}:{newest}:{sum([info.st_size for info in infos])}"
