"""The snapshots brought up to date from the task files that changed behind orch's back.

`snapshot.bin` and `summary.bin` are stamped with a fingerprint of the tasks folder (its mtime,
file count, newest mtime, total size). When a `git pull` changes one task file the stamp no longer
matches, and the next read used to rebuild both from every task file: 1.2-1.5 s at 10,000 tasks.

`snapshot.files.json` (`{"stamp": ..., "files": {stem: [mtime_ns, size, inode]}}`), beside them,
says for the snapshots of that stamp which task files they hold as of which stat: each stem listed
is held with the content its file had with exactly that stat. So a stale read takes the same one
pass of stats as the fingerprint, reads only the files whose stat differs (or that are not listed),
drops the tasks whose file is gone, and writes the snapshots and this record again. The record is
written after the snapshots it describes and is used only while its stamp is theirs, so a crash
between the two leaves a record that is ignored (a whole rebuild, as before).

What orch itself writes goes to the snapshots' delta and keeps their stamp, so the record stays
usable: those files' stats differ from it and they are read again. When the delta is folded into
the snapshots (a new stamp), the record moves to that stamp without the folded tasks.
As in the hooks' index, a file whose mtime is within `RACY_NS` of the pass is recorded with mtime
-1 and read again at every refresh: an edit in the same clock tick with the same size would
otherwise hide behind an equal stat.
"""

from __future__ import annotations

import os
import time
from typing import Any

from orchestrator import snapshot

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

RACY_NS = 20_000_000
MAX_SHARE = 4  # more than 1/MAX_SHARE of the files (and MIN_WHOLE) changed: a whole rebuild is as cheap
MIN_WHOLE = 16


def scan(state_dir: str) -> tuple[str, snapshot.Files]:
    """(`snapshot.fingerprint`, the stat of every task file by stem) from one pass of stats."""
    folder = os.path.join(state_dir, "tasks")
    since = time.time_ns() - RACY_NS
    try:
        handle = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except FileNotFoundError:
        return "0", {}
    try:
        with os.scandir(handle if os.scandir in os.supports_fd else folder) as entries:
            infos = [(entry.name, entry.stat()) for entry in entries]
        stamp = snapshot.stamp_of(os.fstat(handle).st_mtime_ns, [info for _name, info in infos])
    except FileNotFoundError:
        return "0", {}
    finally:
        os.close(handle)
    files = {name[:-5]: [info.st_mtime_ns if info.st_mtime_ns < since else -1, info.st_size, info.st_ino]
             for name, info in infos if is_task_file(name)}
    return stamp, files


def is_task_file(name: str) -> bool:
    """What `Store` reads as a task file (`store._json_entries`)."""
    return name.endswith(".json") and not name.startswith(".") and not name.endswith(".source.json")


def refresh(state_dir: str, runtime_dir: str,
            read: Callable[[str], dict[str, Any]]) -> tuple[str, list[dict[str, Any]]] | None:
    """(the new stamp, every task), with the snapshots and the record brought up to date from
    the files that changed (`read(stem)` loads one); None when there is no usable record or so
    many changed that the caller's whole rebuild is as cheap."""
    base = snapshot.peek_stamp(state_dir, runtime_dir)
    known = snapshot.load_record(state_dir, runtime_dir)
    held = snapshot.load_stamped(state_dir, runtime_dir) if known is not None and known[0] == base else None
    if base is None or known is None or held is None or held[0] != base:
        return None
    stamp, files = scan(state_dir)
    by_id = {task["id"]: task for task in held[1]}
    changed = [stem for stem, stat in files.items()
               if stat[0] == -1 or known[1].get(stem) != stat or stem not in by_id]  # -1: racy, read
    gone = by_id.keys() - files.keys()
    if len(changed) + len(gone) > max(MIN_WHOLE, len(files) // MAX_SHARE):
        return None
    for task_id in gone:
        del by_id[task_id]
    for stem in changed:
        by_id[stem] = read(stem)
    tasks = list(by_id.values())
    snapshot.save(state_dir, runtime_dir, stamp, tasks, files)
    return stamp, tasks
