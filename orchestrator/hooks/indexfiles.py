"""The task files a published index generation was built from, and its refresh in place.

A generation records, in `%tasks.json`, one row per task file: `[mtime_ns, size, inode, id,
status, title, files, depends_on]` (id None for a file that is no task). When the tasks folder
changed behind orch's back (a `git pull`, a `git checkout`), one `scandir` with a stat per file
says which files differ from their rows; only those are read again, and only the buckets they
touch are rewritten in place (each atomically) before `current` moves to the new stamp. The
buckets touched are those of the changed tasks' globs, old and new, and those of the tasks that
wait on a task whose status changed (their entries name its status). At 10,000 tasks a stat per
file costs tens of milliseconds; reading and parsing every file cost a second.

Rows changed by such a refresh go to `%tasks.delta.json` (`{"base": identity of the table file,
"rows": {stem: row, or None when the file is gone}}`), applied over the table on reading; the
table is rewritten whole, and the delta dropped, once the delta holds DELTA_LIMIT rows. So a write
verb of the CLI, which refreshes the index from the one or two task files it wrote, does not
encode and write 10,000 rows again.

Staleness: the stamp that triggers a refresh is the tasks folder's mtime, waited out while it is
racily recent (`index._settled_stamp`), as before. A row records a file's mtime only once it is
older than `index.RACY_NS`: a file written in the same clock tick as the scan could change again
with the same size and mtime, so a racy row is recorded with mtime -1 and always read again.
"""

from __future__ import annotations

import os
import time

from orchestrator import fastjson
from orchestrator.jsonfile import read_json_or, write_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    Row = list[Any]
    Table = dict[str, Row]

TASKS = "%tasks.json"
TASKS_DELTA = "%tasks.delta.json"  # rows changed since TASKS was written whole: {stem: row, or None if gone}
DELTA_LIMIT = 200  # rows the delta holds before it is folded into TASKS
NAMES = "%names.json"
DIGESTED = "%h"
MAX_SHARE = 4  # more than 1/MAX_SHARE of the files (and MIN_WHOLE) changed: a whole rebuild is as cheap
MIN_WHOLE = 16


def scan(folder: str, racy_ns: int) -> tuple[Table, list[dict[str, Any]]]:
    """Every task file's row, and the tasks they hold."""
    table: Table = {}
    since = time.time_ns() - racy_ns
    for entry, info in _entries(folder):
        table[entry.name[:-5]] = _row(entry.path, info, since)
    return table, [task for row in table.values() if (task := as_task(row)) is not None]


def _entries(folder: str) -> list[tuple[os.DirEntry[str], os.stat_result]]:
    try:
        with os.scandir(folder) as entries:
            return [(e, e.stat()) for e in entries if e.name.endswith(".json") and not e.name.startswith(".")]
    except FileNotFoundError:
        return []


def _row(path: str, info: os.stat_result, since: int) -> Row:
    data = read_json_or(path, None)
    mtime = info.st_mtime_ns if info.st_mtime_ns < since else -1
    if not isinstance(data, dict) or "id" not in data:
        return [mtime, info.st_size, info.st_ino, None, None, "", [], []]
    files, deps = data.get("files", []), data.get("depends_on", [])
    return [mtime, info.st_size, info.st_ino, data["id"], data.get("status", "queued"), data.get("title", ""),
            files if isinstance(files, list) else [], deps if isinstance(deps, list) else []]


def as_task(row: Row) -> dict[str, Any] | None:
    if row[3] is None:
        return None
    return {"id": row[3], "status": row[4], "title": row[5], "files": row[6], "depends_on": row[7]}


def save_table(folder: str, table: Table) -> None:
    write_text(os.path.join(folder, TASKS), fastjson.dumps(table), durable=False)


def load_table(folder: str) -> tuple[Table, dict[str, Row | None]] | None:
    """(the generation's table with its delta applied, the delta), or None when it has no table.
    A delta applies to the table file it names (inode, size, mtime): one left over after a crash
    while it was being folded is ignored."""
    path = os.path.join(folder, TASKS)
    table = read_json_or(path, None)
    if not isinstance(table, dict):
        return None
    delta = read_json_or(os.path.join(folder, TASKS_DELTA), None)
    if not isinstance(delta, dict) or delta.get("base") != _identity(path) or not isinstance(
            delta.get("rows"), dict):
        return table, {}
    for stem, row in delta["rows"].items():
        if row is None:
            table.pop(stem, None)
        else:
            table[stem] = row
    return table, delta["rows"]


def _identity(path: str) -> str:
    info = os.stat(path)
    return f"{info.st_ino}:{info.st_size}:{info.st_mtime_ns}"


def _save_changes(folder: str, table: Table, delta: dict[str, Row | None]) -> None:
    """Record the changed rows in the delta, a small file, instead of rewriting the whole table
    (encoding and writing 10,000 rows costs tens of milliseconds); fold it into the table once it
    holds DELTA_LIMIT rows."""
    path = os.path.join(folder, TASKS)
    if len(delta) <= DELTA_LIMIT:
        text = fastjson.dumps({"base": _identity(path), "rows": delta})
        write_text(os.path.join(folder, TASKS_DELTA), text, durable=False)
        return
    save_table(folder, table)
    try:
        os.unlink(os.path.join(folder, TASKS_DELTA))
    except FileNotFoundError:
        pass


def changed(folder: str, table: Table, racy_ns: int,
            only: set[str] | None = None) -> tuple[Table, set[str]] | None:
    """(new rows of the files that differ from `table`, stems of the files gone), or None when
    so many changed that a whole rebuild is as cheap. `only`: look at those files alone."""
    fresh: Table = {}
    seen: set[str] = set()
    since = time.time_ns() - racy_ns
    if only is not None:
        return _changed_only(folder, table, only, since)
    for entry, info in _entries(folder):
        stem = entry.name[:-5]
        seen.add(stem)
        old = table.get(stem)
        if old is None or old[0] != info.st_mtime_ns or old[1] != info.st_size or old[2] != info.st_ino:
            fresh[stem] = _row(entry.path, info, since)
            if len(fresh) > max(MIN_WHOLE, len(table) // MAX_SHARE):
                return None
    return fresh, set(table) - seen


def _changed_only(folder: str, table: Table, only: set[str], since: int) -> tuple[Table, set[str]]:
    fresh: Table = {}
    gone: set[str] = set()
    for stem in only:
        path = os.path.join(folder, f"{stem}.json")
        try:
            fresh[stem] = _row(path, os.stat(path), since)
        except FileNotFoundError:
            if stem in table:
                gone.add(stem)
    return fresh, gone


def refresh(generation_dir: str, tasks_dir: str, racy_ns: int, entries_of: Any, file_of: Any,
            only: set[str] | None = None) -> bool:
    """Bring the published generation in `generation_dir` up to date with the task files, in
    place; False when it has no table or too much changed (the caller rebuilds it whole).
    `entries_of(tasks, status)` gives `[(bucket, entry), ...]` of some tasks (`status`: of every
    task), `file_of(bucket)` the bucket's file name; `only`: the stems of the only files that may
    have changed (orch wrote them, holding the state lock). Holding the index lock."""
    loaded = load_table(generation_dir)
    if loaded is None:
        return False
    table, delta = loaded
    found = changed(tasks_dir, table, racy_ns, only)
    if found is None:
        return False
    fresh, gone = found
    if not fresh and not gone:
        return True
    old_rows = [table[stem] for stem in [*fresh, *gone] if stem in table]
    for stem in gone:
        del table[stem]
    table.update(fresh)
    _rewrite(generation_dir, table, old_rows, list(fresh.values()), entries_of, file_of)
    _save_changes(generation_dir, table, {**delta, **fresh, **dict.fromkeys(gone)})
    return True


def _rewrite(folder: str, table: Table, old_rows: list[Row], new_rows: list[Row], entries_of: Any,
             file_of: Any) -> None:
    """Rewrite the bucket files the changed rows touch (see the module docstring)."""
    status = {row[3]: row[4] for row in table.values() if row[3] is not None}
    moved = _status_changes(old_rows, new_rows)
    redo = {row[3] for row in [*old_rows, *new_rows] if row[3] is not None}
    if moved:
        redo |= {row[3] for row in table.values() if row[3] is not None and not moved.isdisjoint(row[7])}
    now = [t for row in table.values() if row[3] in redo and (t := as_task(row)) is not None]
    before = [t for row in old_rows if (t := as_task(row)) is not None] + now
    buckets = {bucket for bucket, _entry in entries_of(before, status)}
    added: dict[str, list[Any]] = {}
    for bucket, entry in entries_of(now, status):
        added.setdefault(file_of(bucket), []).append(entry)
        buckets.add(bucket)
    for file in {file_of(bucket) for bucket in buckets}:
        path = os.path.join(folder, file)
        kept = [e for e in read_json_or(path, []) if e[1] not in redo]
        write_text(path, fastjson.dumps(kept + added.get(file, [])), durable=False)
    _name_digests(folder, [(file_of(b), b) for b in buckets if file_of(b).startswith(DIGESTED)])


def _name_digests(folder: str, digested: list[tuple[str, str]]) -> None:
    """List new digest-named buckets in `%names.json` (see `index`)."""
    path = os.path.join(folder, NAMES)
    names = read_json_or(path, {}) if digested else {}
    new = [(file, bucket) for file, bucket in digested if bucket not in names.get(file, [])]
    for file, bucket in new:
        names.setdefault(file, []).append(bucket)
    if new:
        write_text(path, fastjson.dumps(names), durable=False)


def _status_changes(old_rows: list[Row], new_rows: list[Row]) -> set[str]:
    """Ids whose status changed, appeared or disappeared: their dependents' entries name it."""
    old = {row[3]: row[4] for row in old_rows if row[3] is not None}
    new = {row[3]: row[4] for row in new_rows if row[3] is not None}
    return {tid for tid in old.keys() | new.keys() if old.get(tid, "missing") != new.get(tid, "missing")}
