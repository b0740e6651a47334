"""The file table of a published index generation, read one row at a time.

`%tasks.json` (see `indexfiles`) holds one row per task file, written one row per line:

    {
    "<stem>":[mtime_ns,size,inode,id,status,title,files,depends_on],
    ...
    }

That is still one JSON document (`orch doctor` and a whole read parse it as such), but a refresh
that changed one or two task files finds and parses only the rows it needs: a row by its stem
(a search for the line that starts with the stem as a JSON string), and the rows that name a
task among their dependencies (a search for the task's id as a JSON string; each hit's line is
parsed and its dependencies checked). At 10,000 tasks the table is about 1.7 MB: parsing it whole
costs 20-35 ms, searching it well under one. `%tasks.delta.json`, the rows changed since the table
was written whole, is applied over it.

Beside the table, `%stats.txt` lists every row's stat signature (`<stem>.json/mtime_ns/size/inode`, one
per line, under a first line naming the table file it describes), so that finding the task files
that changed after an outside change is a difference of two sets, not a comparison row by row.
"""

from __future__ import annotations

import os

from orchestrator import fastjson
from orchestrator.jsonfile import read_json_or, write_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    Row = list[Any]
    Table = dict[str, Row]

TASKS = "%tasks.json"
TASKS_DELTA = "%tasks.delta.json"  # rows changed since TASKS was written whole: {stem: row, or None if gone}
STATS = "%stats.txt"
MAX_FINDS = 64  # rows looked up one by one before the table is parsed whole (each search reads it all)


def dump(table: Table) -> str:
    """The table as one JSON object, one row per line (see the module docstring)."""
    lines = [f"{fastjson.dumps(stem)}:{fastjson.dumps(row)}" for stem, row in table.items()]
    return "{\n" + ",\n".join(lines) + "\n}"


def signature(stem: str, mtime: int, size: int, inode: int) -> str:
    """What `%stats.txt` records of a task file: `<stem>.json/mtime_ns/size/inode`."""
    return f"{stem}.json/{mtime}/{size}/{inode}"


def save(folder: str, table: Table, *, durable: bool = False) -> None:
    """Write the table whole, then the signatures of its rows, naming the table file."""
    path = os.path.join(folder, TASKS)
    write_text(path, dump(table), durable=durable)
    sigs = [signature(stem, row[0], row[1], row[2]) for stem, row in table.items()]
    write_text(os.path.join(folder, STATS), "\n".join([identity(path), *sigs]), durable=durable)


def identity(path: str) -> str:
    info = os.stat(path)
    return f"{info.st_ino}:{info.st_size}:{info.st_mtime_ns}"


class Rows:
    """A generation's table with its delta applied, read lazily (see the module docstring).
    `delta` holds the rows changed since the table was written whole; `put` adds to it."""

    def __init__(self, folder: str, text: str, delta: dict[str, Row | None]) -> None:
        self.folder, self.text, self.delta = folder, text, delta
        self._whole: Table | None = None
        self._finds = 0

    @classmethod
    def open(cls, folder: str) -> Rows | None:
        """The table of the generation in `folder`, or None when it has none. A delta applies to
        the table file it names: one left over after a crash while it was being folded is
        ignored."""
        path = os.path.join(folder, TASKS)
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            base = identity(path)
        except (OSError, UnicodeDecodeError):
            return None
        delta = read_json_or(os.path.join(folder, TASKS_DELTA), None)
        changes = delta.get("rows") if isinstance(delta, dict) and delta.get("base") == base else None
        rows = cls(folder, text, changes if isinstance(changes, dict) else {})
        if not text.startswith("{\n"):  # written on one line by an earlier orch: no line to find
            rows.whole()
        return rows

    def get(self, stem: str) -> Row | None:
        if stem in self.delta:
            return self.delta[stem]
        self._finds += 1
        if self._whole is not None or self._finds > MAX_FINDS:
            return self.whole().get(stem)
        at = self.text.find(f"\n{fastjson.dumps(stem)}:")
        return None if at == -1 else self._line(at + 1)[1]

    def count(self) -> int:
        """About how many rows the table holds (its lines; the delta's new rows not counted)."""
        return len(self._whole) if self._whole is not None else max(0, self.text.count("\n") - 1)

    def put(self, stem: str, row: Row | None) -> None:
        self.delta[stem] = row
        if self._whole is not None:
            _apply(self._whole, {stem: row})

    def status(self, task_id: str) -> str | None:
        """The status of the task `task_id` (its file is `<id>.json`; any other: a whole read)."""
        row = self.get(task_id)
        if row is not None and row[3] == task_id:
            return str(row[4])
        found = [row[4] for row in self.whole().values() if row[3] == task_id]
        return found[-1] if found else None

    def dependents(self, ids: set[str]) -> Table:
        """The rows whose dependencies name any of `ids`, by stem."""
        if self._whole is not None:
            return {stem: row for stem, row in self._whole.items() if not ids.isdisjoint(row[7])}
        found = {stem: row for stem, row in self.delta.items() if row and not ids.isdisjoint(row[7])}
        for task_id in ids:
            needle = fastjson.dumps(task_id)
            at = self.text.find(needle)
            while at != -1:
                stem, row = self._line(self.text.rfind("\n", 0, at) + 1)
                if stem is not None and stem not in self.delta and row and not ids.isdisjoint(row[7]):
                    found[stem] = row
                end = self.text.find("\n", at)
                at = -1 if end == -1 else self.text.find(needle, end)
        return found

    def whole(self) -> Table:
        """Every row (parsing the whole table once)."""
        if self._whole is None:
            table = fastjson.loads(self.text)
            if not isinstance(table, dict):
                raise ValueError(f"{os.path.join(self.folder, TASKS)}: not a JSON object")
            self._whole = _apply(table, self.delta)
        return self._whole

    def stored_signatures(self) -> set[str] | None:
        """The signatures of the table file's rows (not the delta's), or None when `%stats.txt`
        is missing or describes another table file."""
        try:
            with open(os.path.join(self.folder, STATS), encoding="utf-8") as handle:
                lines = handle.read().split("\n")
        except (OSError, UnicodeDecodeError):
            return None
        return set(lines[1:]) if lines[0] == identity(os.path.join(self.folder, TASKS)) else None

    def _line(self, start: int) -> tuple[str | None, Row | None]:
        """(stem, row) of the table line that starts at `start`; (None, None) for `{` or `}`."""
        end = self.text.find("\n", start)
        line = self.text[start:None if end == -1 else end].rstrip(",")
        if line in ("{", "}", ""):
            return None, None
        (stem, row), = fastjson.loads("{" + line + "}").items()
        if not isinstance(row, list) or len(row) < 8:
            raise ValueError(f"{os.path.join(self.folder, TASKS)}: a row of {stem!r} is not a row")
        return stem, row


class StatusOf:
    """`.get(task_id, default)` of the tasks' statuses, as `index._entries` asks it, from `rows`."""

    def __init__(self, rows: Rows) -> None:
        self.rows = rows
        self.known: dict[str, str | None] = {}

    def get(self, task_id: str, default: str | None = None) -> str | None:
        if task_id not in self.known:
            self.known[task_id] = self.rows.status(task_id)
        found = self.known[task_id]
        return default if found is None else found


def _apply(table: Table, delta: dict[str, Row | None]) -> Table:
    for stem, row in delta.items():
        if row is None:
            table.pop(stem, None)
        else:
            table[stem] = row
    return table
