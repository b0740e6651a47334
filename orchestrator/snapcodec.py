"""The binary form of the snapshots: a header line, the parents named, then the tasks in `marshal`.

The snapshots are a per-machine cache in the runtime folder, never tracked by git, so they need
not be JSON: `marshal` (CPython's own format for compiled code) loads 10,000 summaries in about a
third of the time the JSON scanner takes. A file is

    ORCHSNAP <tag> <stamp> <length of the parents> <of the tasks>\\n<parents>\\n<tasks><rows>

`<tag>` names the interpreter and the marshal version the file was written with: a
file of another one (an upgrade, another virtualenv) is not read, and is rebuilt from the task
files, as is a file that does not decode. `<parents>` is the JSON list of the ids some task
names as its `parent`: `orch start` asks "is T a parent?" with a search of it (`names`).
`<tasks>` is the marshal of the tasks; `<rows>`, in the summaries only, that of each task's row of
`orch status --json` as text by id (`rowtext`), read only by that command (`decode_rows`).
Standard library only: the hooks read the summaries too.
"""

from __future__ import annotations

import gc
import marshal
import sys

from orchestrator import fastjson

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, BinaryIO

MAGIC = b"ORCHSNAP "
TAG = f"{sys.implementation.cache_tag}-m{marshal.version}"
HEAD_BYTES = 1024  # the header line fits (a stamp is four numbers, or another short line)


def encode(stamp: str, tasks: list[dict[str, Any]], rows: dict[str, Any] | None = None) -> bytes:
    """The file holding `tasks` as of `stamp` (and `rows`, by task id, after them)."""
    parents = fastjson.dumps(sorted({str(t["parent"]) for t in tasks if t.get("parent")})).encode("utf-8")
    body = marshal.dumps(tasks)
    head = f"{TAG} {stamp} {len(parents)} {len(body)}\n".encode("utf-8", "replace")
    return b"".join((MAGIC, head, parents, b"\n", body, marshal.dumps(rows) if rows is not None else b""))


def shared(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` (dicts of its own) with each string value, and each string in a list value, one
    object for all its equal copies: `marshal` then writes a copy as a reference to the first, and
    a load makes one string instead of 10,000 ("queued", a plan id, an id some task depends on),
    a quarter less to load and to free."""
    seen: dict[str, str] = {}
    one = seen.setdefault
    for row in rows:
        for key, value in row.items():
            if isinstance(value, str):
                row[key] = one(value, value)
            elif isinstance(value, list):
                row[key] = [one(item, item) if isinstance(item, str) else item for item in value]
    return rows


def header(data: bytes) -> tuple[str, int, int, int] | None:
    """(stamp, start of the parents, their length, the tasks' length) from the first line of
    `data` (HEAD_BYTES are enough); None when it is no snapshot of this interpreter."""
    end = data.find(b"\n", 0, HEAD_BYTES)
    parts = data[len(MAGIC):end].decode("utf-8", "replace").split(" ") if data.startswith(MAGIC) else []
    if end < 0 or len(parts) < 4 or parts[0] != TAG or not (parts[-2].isdigit() and parts[-1].isdigit()):
        return None
    return " ".join(parts[1:-2]), end + 1, int(parts[-2]), int(parts[-1])  # a stamp may hold spaces


def read(handle: BinaryIO) -> bytes:
    """A snapshot file up to the end of its tasks (not its rows: a third more to read), or as much
    as there is when its header does not say."""
    head = handle.read(HEAD_BYTES)
    found = header(head)
    if found is None:
        return head + handle.read()
    return head + handle.read(max(0, found[1] + found[2] + 1 + found[3] - len(head)))


def stamp_in(head: bytes) -> str | None:
    """The stamp a snapshot file starts with; None when it is no snapshot of this interpreter."""
    found = header(head)
    return None if found is None else found[0]


def decode(data: bytes) -> tuple[str, list[dict[str, Any]]] | None:
    """(stamp, tasks) of a snapshot file; None when it does not decode."""
    found = header(data)
    if found is None:
        return None
    start = found[1] + found[2] + 1
    tasks = _loads(memoryview(data)[start:start + found[3]])
    return (found[0], tasks) if isinstance(tasks, list) else None


def decode_rows(data: bytes) -> dict[str, Any] | None:
    """The rows after the tasks of a snapshot file, by task id; None when it has none."""
    found = header(data)
    if found is None or len(data) <= found[1] + found[2] + 1 + found[3]:
        return None
    rows = _loads(memoryview(data)[found[1] + found[2] + 1 + found[3]:])
    return rows if isinstance(rows, dict) else None


def _loads(data: memoryview) -> Any:
    """The marshal of `data`, None when it does not decode. The collector is off meanwhile: the
    tasks hold no cycle, and 10,000 new dicts would start several collections of everything the
    process holds (a tenth to a third of the load)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None
    finally:
        if enabled:
            gc.enable()


def names(data: bytes, task_id: str) -> bool:
    """Whether some task of the snapshot file `data` names `task_id` as its parent."""
    found = header(data)
    if found is None:
        return True  # not known: the caller asks the tasks
    start, length = found[1], found[2]
    return fastjson.dumps(task_id).encode("utf-8") in data[start:start + length]


def problem(data: bytes) -> str | None:
    """Why `data` is no readable snapshot file, or None; a snapshot of another interpreter is
    fine (it is rebuilt at the next read)."""
    if data.startswith(MAGIC) and data[len(MAGIC):].split(b" ", 1)[0] != TAG.encode("ascii"):
        return None
    return None if decode(data) is not None else "not a snapshot of this interpreter (a cache)"
