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
from orchestrator.hooks import indextable
from orchestrator.hooks.indextable import Rows, StatusOf
from orchestrator.jsonfile import read_json_or, write_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    Row = list[Any]
    Table = dict[str, Row]

TASKS, TASKS_DELTA = indextable.TASKS, indextable.TASKS_DELTA
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
    indextable.save(folder, table)


def load_table(folder: str) -> tuple[Table, dict[str, Row | None]] | None:
    """(the generation's table with its delta applied, the delta), or None when it has none."""
    rows = Rows.open(folder)
    if rows is None:
        return None
    try:
        return rows.whole(), rows.delta
    except ValueError:
        return None


def _save_changes(folder: str, rows: Rows) -> None:
    """Record the changed rows in the delta, a small file, instead of rewriting the whole table
    (encoding and writing 10,000 rows costs tens of milliseconds); fold it into the table once it
    holds DELTA_LIMIT rows."""
    if len(rows.delta) <= DELTA_LIMIT:
        text = fastjson.dumps({"base": indextable.identity(os.path.join(folder, TASKS)), "rows": rows.delta})
        write_text(os.path.join(folder, TASKS_DELTA), text, durable=False)
        return
    indextable.save(folder, rows.whole())
    try:
        os.unlink(os.path.join(folder, TASKS_DELTA))
    except FileNotFoundError:
        pass


def changed(folder: str, rows: Rows, racy_ns: int,
            only: set[str] | None = None) -> tuple[Table, set[str]] | None:
    """(new rows of the files that differ from `rows`, stems of the files gone), or None when
    so many changed that a whole rebuild is as cheap. `only`: look at those files alone."""
    since = time.time_ns() - racy_ns
    if only is not None:
        return None if _too_many(only, rows.count()) else _changed_among(folder, rows, only, since)
    stored = rows.stored_signatures()
    if stored is None:
        return _changed_by_rows(folder, rows.whole(), since)
    now = _signatures(folder)
    suspects = {sig.rsplit("/", 3)[0][:-5] for sig in stored.symmetric_difference(now)} | set(rows.delta)
    if _too_many(suspects, len(now)):
        return None
    return _changed_among(folder, rows, suspects, since, unless_same=True)


def _signatures(folder: str) -> set[str]:
    """`indextable.signature` of every task file: a stat per file, through the folder's
    descriptor (each stat resolves a name, not a path). The hot loop of a refresh after an outside
    change: at 10,000 files the stats alone take 25-50 ms here."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except FileNotFoundError:
        return set()
    try:
        with os.scandir(handle) as entries:
            return {f"{e.name}/{(info := e.stat()).st_mtime_ns}/{info.st_size}/{info.st_ino}"
                    for e in entries if e.name[-5:] == ".json" and e.name[:1] != "."}
    finally:
        os.close(handle)


def _changed_by_rows(folder: str, table: Table, since: int) -> tuple[Table, set[str]] | None:
    """`changed` against the rows themselves, when the generation has no `%stats.txt`."""
    fresh: Table = {}
    seen: set[str] = set()
    for entry, info in _entries(folder):
        stem = entry.name[:-5]
        seen.add(stem)
        old = table.get(stem)
        if old is None or old[0] != info.st_mtime_ns or old[1] != info.st_size or old[2] != info.st_ino:
            fresh[stem] = _row(entry.path, info, since)
            if _too_many(fresh, len(table)):
                return None
    return fresh, set(table) - seen


def _too_many(stems: Table | set[str], files: int) -> bool:
    return len(stems) > max(MIN_WHOLE, files // MAX_SHARE)


def _changed_among(folder: str, rows: Rows, stems: set[str], since: int, *,
                   unless_same: bool = False) -> tuple[Table, set[str]]:
    """(new rows, stems gone) among `stems`; `unless_same`: a file whose stat matches its row
    is not read again."""
    fresh: Table = {}
    gone: set[str] = set()
    for stem in stems:
        old, path = rows.get(stem), os.path.join(folder, f"{stem}.json")
        try:
            info = os.stat(path)
        except FileNotFoundError:
            if old is not None:
                gone.add(stem)
            continue
        if not (unless_same and old is not None and old[:3] == [info.st_mtime_ns, info.st_size, info.st_ino]):
            fresh[stem] = _row(path, info, since)
    return fresh, gone


def refresh(generation_dir: str, tasks_dir: str, racy_ns: int, entries_of: Any, file_of: Any,
            only: set[str] | None = None) -> bool:
    """Bring the published generation in `generation_dir` up to date with the task files, in
    place; False when it has no table or too much changed (the caller rebuilds it whole).
    `entries_of(tasks, status)` gives `[(bucket, entry), ...]` of some tasks (`status.get(id,
    default)`: of any task), `file_of(bucket)` the bucket's file name; `only`: the stems of the
    only files that may have changed (orch wrote them, holding the state lock). Holding the
    index lock."""
    rows = Rows.open(generation_dir)
    if rows is None:
        return False
    found = changed(tasks_dir, rows, racy_ns, only)
    if found is None:
        return False
    fresh, gone = found
    if not fresh and not gone:
        return True
    old_rows = [row for stem in [*fresh, *gone] if (row := rows.get(stem)) is not None]
    for stem in gone:
        rows.put(stem, None)
    for stem, row in fresh.items():
        rows.put(stem, row)
    _rewrite(generation_dir, rows, old_rows, fresh, entries_of, file_of)
    _save_changes(generation_dir, rows)
    return True


def _rewrite(folder: str, rows: Rows, old_rows: list[Row], fresh: Table, entries_of: Any,
             file_of: Any) -> None:
    """Rewrite the bucket files the changed rows touch (see the module docstring)."""
    moved = _status_changes(old_rows, list(fresh.values()))
    current = {**fresh, **(rows.dependents(moved) if moved else {})}
    redo = {row[3] for row in [*old_rows, *current.values()] if row[3] is not None}
    for task_id in redo - {row[3] for row in current.values()}:  # its file gone: another may hold it
        row = rows.get(task_id)
        if row is not None and row[3] == task_id:
            current[task_id] = row
    status = StatusOf(rows)
    now = [t for row in current.values() if (t := as_task(row)) is not None]
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
