"""The hooks' precomputed index: which unfinished task declares which file globs.

PreToolUse must answer "does this path belong to a task that may not be worked on yet?" in
well under a millisecond at 10,000 tasks. The index is split into small bucket files keyed by
a glob's literal leading folders (`src/auth/*.py` -> bucket `src/auth`), so a lookup reads only
the buckets of the path's own folders. A generation stamp (the tasks folder's mtime) tells a
reader when the index is stale; then it is rebuilt from the task files.

Layout, per work tree (`paths.worktree_dir`: worktrees of one repo share the runtime folder but
not their task files), in `<runtime>/worktrees/<key>/index/`:

- `current`: `[stamp, generation folder name, token]`, replaced atomically to publish a
  generation; the token, when there is one, is the tasks-folder monitor's (`fsmonitor`) as of
  which the generation holds every task file: a refresh asks the monitor what changed since then
  and reads only those files, instead of a stat of every file (see `_refreshed`);
- `<generation>/<bucket>.json`: `[[glob, task_id, status, title, waits_on], ...]`, globs in
  `globs.normalise` form. A bucket file is named after its folder with `%` and `/` escaped
  (`src%2Fauth.json`, `%root.json` for the root) or, when that would exceed `MAX_NAME` bytes,
  `%h<digest>.json` (colliding buckets share a file: entries are matched against their glob
  anyway), listed with its folders in `%names.json`;
- `<generation>/%complete`: written last; a generation without it is never served;
- `.lock`: the index lock.

Rebuilds are serialised by `fcntl.flock` on `.lock` with a deadline: a reader that finds the
index stale takes the lock, checks again (another process may have rebuilt it meanwhile), builds a
new generation aside, marks it complete, publishes it by replacing `current`, and prunes the
others except the one just replaced (a reader may still hold it). Pruning removes `%complete`
first, so a reader that misses a bucket in a generation without `%complete` knows it was pruned
under it and starts again from `current`; a bucket missing from a complete generation is empty.
When the lock stays busy past the deadline, the reader builds in memory and publishes nothing.
"""

from __future__ import annotations

import os
import time

from orchestrator import fastjson, paths
from orchestrator.errors import StateError
from orchestrator.globs import WILDCARDS, glob_matches, may_match_below, segment_matches, split
from orchestrator.hooks import indexfiles, indextable
from orchestrator.jsonfile import read_json, read_json_or, write_text
from orchestrator.runtime import FileLock

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from orchestrator.fsmonitor import client as fsmonitor

    Buckets = dict[str, list[list[Any]]]
    Statuses = dict[str, Any] | indextable.StatusOf  # `.get(task_id, default)`
    View = str | Buckets  # a published generation's folder, or buckets built in memory

__all__ = ["glob_matches", "owners", "owners_below", "rebuild", "keep_current", "load_tasks",
           "segment_matches", "stamp"]

FINISHED = ("completed", "cancelled")
LOCK_DEADLINE = 4.0
RETRIES = 3
RACY_NS = 20_000_000
MAX_NAME = 200
COMPLETE = "%complete"
NAMES = "%names.json"
ROOT = "%root"
DIGESTED = "%h"
_NOT_BUCKETS = (COMPLETE, NAMES, indextable.TASKS, indextable.TASKS_DELTA)


def stamp(state_dir: str) -> str:
    """The generation of the task files: the tasks folder's mtime (atomic replaces bump it)."""
    try:
        return str(os.stat(os.path.join(state_dir, "tasks")).st_mtime_ns)
    except FileNotFoundError:
        return "0"


def index_dir(state_dir: str, runtime_dir: str) -> str:
    """The index folder of the work tree whose state folder is `state_dir`."""
    return os.path.join(paths.worktree_dir(state_dir, runtime_dir), "index")


def bucket_of(glob: str) -> str:
    """A glob's literal leading folders: `src/auth/*.py` -> `src/auth`, `**/x` -> ``."""
    literal = []
    for part in (split(glob) or [])[:-1]:
        if WILDCARDS & set(part):
            break
        literal.append(part)
    return "/".join(literal)


def bucket_file(bucket: str) -> str:
    """The file name of a bucket, the same for building and looking up (see the docstring)."""
    name = bucket.replace("%", "%25").replace("/", "%2F") or ROOT
    if len(name) > MAX_NAME // 4 and len(name.encode("utf-8", "surrogateescape")) > MAX_NAME:
        name = DIGESTED + paths.digest(bucket)
    return name + ".json"


# -- lookups ------------------------------------------------------------------------------------


def owners(rel_path: str, state_dir: str, runtime_dir: str) -> list[list[Any]]:
    """Index entries whose glob matches `rel_path` (a path relative to the repo root)."""
    parts = rel_path.split("/")
    ancestors = ["/".join(parts[:depth]) for depth in range(len(parts))]
    found = _lookup(state_dir, runtime_dir, lambda _view: ancestors)
    return [entry for entry in found if glob_matches(entry[0], parts)]


def owners_below(rel_folder: str, state_dir: str, runtime_dir: str) -> list[list[Any]]:
    """Index entries whose glob matches the folder `rel_folder` or may match a path below it
    (`globs.may_match_below`): what writing or removing that whole folder touches. `""` (or `.`)
    is the repo root: every entry. Reads the buckets of the folder, of its ancestors and of every
    folder below it."""
    folder = "" if rel_folder in ("", ".") else rel_folder.strip("/")

    def related(view: View) -> list[str] | None:
        names = _bucket_names(view)
        return None if names is None else [b for b in names if _related(b, folder)]

    found = _lookup(state_dir, runtime_dir, related)
    return [entry for entry in found if may_match_below(entry[0], folder)]


def _related(bucket: str, folder: str) -> bool:
    """Whether a glob of `bucket` may match below `folder`: one is the other or lies under it."""
    return (not bucket or not folder or bucket == folder or folder.startswith(bucket + "/")
            or bucket.startswith(folder + "/"))


def _lookup(state_dir: str, runtime_dir: str, choose: Callable[[View], list[str] | None]) -> list[list[Any]]:
    """The entries of the buckets `choose` picks in the current generation, starting again when
    that generation is pruned under the reader; at last from buckets built in memory."""
    for _attempt in range(RETRIES):
        view = _view(state_dir, runtime_dir)
        chosen = choose(view)
        found = None if chosen is None else _read(view, chosen)
        if found is not None:
            return found
    private = _buckets(load_tasks(os.path.join(state_dir, "tasks")), state_dir)
    return _read(private, choose(private) or []) or []


def _read(view: View, buckets: list[str]) -> list[list[Any]] | None:
    """The entries of `buckets`; None when the generation lost its `%complete` (being pruned)."""
    if not isinstance(view, str):
        return [entry for bucket in buckets for entry in view.get(bucket, ())]
    found: list[list[Any]] = []
    complete = False
    for name in dict.fromkeys(bucket_file(bucket) for bucket in buckets):
        try:
            found.extend(read_json(os.path.join(view, name)))
        except FileNotFoundError:
            complete = complete or os.path.exists(os.path.join(view, COMPLETE))
            if not complete:
                return None
    return found


def _bucket_names(view: View) -> list[str] | None:
    """The folders of every bucket of a generation; None when it is being pruned."""
    if not isinstance(view, str):
        return list(view)
    try:
        files = os.listdir(view)
    except FileNotFoundError:
        return None
    if COMPLETE not in files:
        return None
    found: list[str] = []
    digested: dict[str, list[str]] | None = None
    for name in files:
        if name.startswith(DIGESTED):
            digested = read_json_or(os.path.join(view, NAMES), {}) if digested is None else digested
            found += digested.get(name, [])
        elif name == ROOT + ".json":
            found.append("")
        elif name not in _NOT_BUCKETS and name.endswith(".json"):
            found.append(name[:-5].replace("%2F", "/").replace("%25", "%"))
    return found


def _view(state_dir: str, runtime_dir: str) -> View:
    """The folder of the current generation, refreshed first when it is stale (see the docstring);
    buckets built in memory when the index lock stays busy or the index cannot be written."""
    root = index_dir(state_dir, runtime_dir)
    folder = _fresh(root, stamp(state_dir))
    if folder is not None:
        return folder
    lock = _lock(root)
    if lock is None:
        return _buckets(load_tasks(os.path.join(state_dir, "tasks")), state_dir)
    try:
        return _refreshed(root, state_dir, wait=True)
    finally:
        lock.__exit__()


def _refreshed(root: str, state_dir: str, *, wait: bool, only: set[str] | None = None) -> View:
    """Holding the index lock: the current generation, brought up to date in place when only a
    few task files changed (`indexfiles`: those the tasks-folder monitor names, else those a stat
    of every file finds), else rebuilt whole; buckets in memory when the index cannot be written."""
    generation = _settled_stamp(state_dir) if wait else stamp(state_dir)
    folder = _fresh(root, generation)  # another process may have refreshed it meanwhile
    if folder is not None:
        return folder
    tasks_dir = os.path.join(state_dir, "tasks")
    current = _current(root)
    asked = _asked(root, tasks_dir, current, start=wait)
    if current is not None and _complete(os.path.join(root, current[1])):
        folder = os.path.join(root, current[1])
        try:
            if indexfiles.refresh(folder, tasks_dir, RACY_NS,
                                  lambda tasks, status: _entries(tasks, status, state_dir), bucket_file,
                                  _to_read(asked, only)):
                token = _token_after(asked, current, only)
                write_text(os.path.join(root, "current"), fastjson.dumps([generation, current[1], *token]),
                           durable=False)
                return folder
        except (OSError, ValueError, TypeError, IndexError, KeyError, AttributeError):
            pass  # a hand-damaged generation: rebuild it whole
    table, tasks = indexfiles.scan(tasks_dir, RACY_NS)
    buckets = _buckets(tasks, state_dir)
    return _publish_or_none(root, generation, buckets, table, [asked[0]] if asked else []) or buckets


def _asked(root: str, tasks_dir: str, current: list[str] | None, *, start: bool) -> fsmonitor.Answer | None:
    """What the tasks-folder monitor says changed since the generation's token; with no monitor
    answering, one is started (`start`) for the next time. Imported here: a current index (every
    other hook call) never asks."""
    from orchestrator.fsmonitor import client as fsmonitor

    asked = fsmonitor.changes(tasks_dir, current[2] if current is not None and len(current) > 2 else None)
    if asked is None and start:
        fsmonitor.start(tasks_dir, os.path.dirname(root))
    return asked


def _to_read(asked: fsmonitor.Answer | None, only: set[str] | None) -> set[str] | None:
    """The stems of the task files a refresh reads: those the CLI wrote (`only`) and those the
    monitor names; None when neither says (a stat of every file finds them)."""
    if asked is None or asked[1] is None:
        return only
    named = {name[:-5] for name in asked[1] if name.endswith(".json") and not name.startswith(".")}
    return named if only is None else only | named


def _token_after(asked: fsmonitor.Answer | None, current: list[str], only: set[str] | None) -> list[str]:
    """The monitor token a refreshed generation is current as of: the new one when the refresh saw
    every change before it (the files the monitor named, or a stat of every file); else the old
    one, which stays true (the changes it missed are named since that token too)."""
    if asked is not None and (asked[1] is not None or only is None):
        return [asked[0]]
    return current[2:]


def _complete(folder: str) -> bool:
    return os.path.exists(os.path.join(folder, COMPLETE))


def _lock(root: str) -> FileLock | None:
    """The index lock, taken; None when it stayed busy for LOCK_DEADLINE seconds or cannot be
    created (a read-only runtime folder)."""
    try:
        return FileLock(os.path.join(root, ".lock"), LOCK_DEADLINE).__enter__()
    except (StateError, OSError):
        return None


def _fresh(root: str, generation: str) -> str | None:
    """The folder of the published generation if it is `generation` and complete, else None."""
    current = _current(root)
    if current is None or current[0] != generation:
        return None
    folder = os.path.join(root, current[1])
    return folder if _complete(folder) else None


def _current(root: str) -> list[str] | None:
    try:
        with open(os.path.join(root, "current"), "rb") as handle:
            current = fastjson.loads(handle.read())
    except (OSError, ValueError):
        return None
    return current if isinstance(current, list) and len(current) >= 2 else None


# -- building -----------------------------------------------------------------------------------


def rebuild(state_dir: str, runtime_dir: str, before: str | None = None,
            written: set[str] | None = None) -> None:
    """Bring the published index up to date with the task files, after orch wrote some of them
    (reading only those that changed, see `indexfiles`): when the index was current at the stamp
    `before` and the caller, holding the state lock since, wrote only the task files `written`,
    only those are looked at. Needs the index lock: when it stays busy past LOCK_DEADLINE,
    nothing is published and the next reader refreshes it."""
    root = index_dir(state_dir, runtime_dir)
    lock = _lock(root)
    if lock is not None:
        try:
            only = written if before is not None and _fresh(root, before) is not None else None
            _refreshed(root, state_dir, wait=False, only=only)
        finally:
            lock.__exit__()


def keep_current(state_dir: str, runtime_dir: str, before: str) -> None:
    """After a write that changed no status, dependency or files (a task's artifacts), move a
    current index on to the new generation instead of letting the next hook rebuild it.
    The caller holds the state lock, so no other task file changed in between."""
    root = index_dir(state_dir, runtime_dir)
    lock = _lock(root)
    if lock is None:
        return  # the next reader rebuilds
    try:
        current = _current(root)
        if current and _fresh(root, before):
            write_text(os.path.join(root, "current"), fastjson.dumps([stamp(state_dir), *current[1:]]),
                       durable=False)
    finally:
        lock.__exit__()


def load_tasks(folder: str) -> list[dict[str, Any]]:
    tasks = []
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return []
    for entry in entries:
        if entry.name.endswith(".json") and not entry.name.startswith("."):
            data = read_json_or(entry.path, None)
            if isinstance(data, dict) and "id" in data:
                tasks.append(data)
    return tasks


def _settled_stamp(state_dir: str) -> str:
    """The stamp of the task files, once it is not racily recent. File times are coarse on some
    kernels (a clock tick of 4 to 10 ms): a write later in the tick that set the stamp leaves the
    same stamp, so a read during that tick could miss it unseen. A stamp that recent is first
    waited out."""
    for _attempt in range(RETRIES):  # writes that keep coming are read as they are
        generation = stamp(state_dir)
        wait = min(int(generation) + RACY_NS - time.time_ns(), RACY_NS)  # a future stamp: no hang
        if wait <= 0:
            break
        time.sleep(wait / 1e9)
    return stamp(state_dir)


def _buckets(tasks: list[dict[str, Any]], state_dir: str) -> Buckets:
    """Entries of the unfinished tasks' globs, by bucket (see `_entries`)."""
    status = {t["id"]: t.get("status", "queued") for t in tasks}
    buckets: Buckets = {}
    for bucket, entry in _entries(tasks, status, state_dir):
        buckets.setdefault(bucket, []).append(entry)
    return buckets


def _entries(tasks: list[dict[str, Any]], status: Statuses,
             state_dir: str) -> list[tuple[str, list[Any]]]:
    """(bucket, entry) of each glob of the unfinished `tasks` (normalised; `..` ones dropped),
    the entry naming the dependencies not completed by `status`; lower-cased where the file
    system ignores case (`paths.repo_relative` lower-cases there)."""
    fold = paths.case_insensitive(os.path.dirname(os.path.abspath(state_dir)))
    found = []
    for task in tasks:
        if task.get("status") in FINISHED:
            continue
        waits = [f"{d} ({status.get(d, 'missing')})" for d in task.get("depends_on", [])
                 if status.get(d) != "completed"]
        for glob in task.get("files", []):
            normal = "/".join(split(glob) or []) if isinstance(glob, str) else ""
            normal = normal.lower() if fold else normal
            if normal:
                found.append((bucket_of(normal), [normal, task["id"], task.get("status"),
                                                  task.get("title", ""), waits]))
    return found


def _publish_or_none(root: str, generation: str, buckets: Buckets, table: indexfiles.Table,
                     token: list[str]) -> str | None:
    """`_publish`, or None when the file system refuses (full disk, quota): the index is a
    cache, its readers then build in memory."""
    try:
        return _publish(root, generation, buckets, table, token)
    except OSError:
        return None


def _publish(root: str, generation: str, buckets: Buckets, table: indexfiles.Table,
             token: list[str] | None = None) -> str:
    """Write a generation aside, mark it complete, publish it (`token`: the tasks-folder monitor's
    token it is current as of, if any), prune the rest; holding the lock."""
    previous = _current(root)
    name = f"{generation}.{os.getpid()}.{time.monotonic_ns()}"
    folder = os.path.join(root, name)
    os.makedirs(folder)
    files: Buckets = {}
    names: dict[str, list[str]] = {}
    for bucket, entries in buckets.items():
        file = bucket_file(bucket)
        files.setdefault(file, []).extend(entries)
        if file.startswith(DIGESTED):
            names.setdefault(file, []).append(bucket)
    for file, entries in files.items():
        _write(os.path.join(folder, file), fastjson.dumps(entries))
    if names:
        _write(os.path.join(folder, NAMES), fastjson.dumps(names))
    indextable.save(folder, table)
    _write(os.path.join(folder, COMPLETE), "")
    write_text(os.path.join(root, "current"), fastjson.dumps([generation, name, *(token or [])]),
               durable=False)
    _prune(root, keep={name, previous[1] if previous else name})
    return folder


def _write(path: str, text: str) -> None:
    """A file of an unpublished generation: nobody reads it yet, so no temp file is needed."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _prune(root: str, keep: set[str]) -> None:
    """Remove every generation but `keep`, `%complete` first; holding the lock. A generation
    is a flat folder of files; no shutil (it would import `re`)."""
    for entry in os.scandir(root):
        if entry.name in keep or not entry.is_dir(follow_symlinks=False):
            continue
        try:
            marker = os.path.join(entry.path, COMPLETE)
            if os.path.exists(marker):
                os.unlink(marker)
            for file in os.scandir(entry.path):
                os.unlink(file.path)
            os.rmdir(entry.path)
        except OSError:
            continue  # not a generation orch wrote; the lookups never name it
