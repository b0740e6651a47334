"""The snapshots' fingerprint of the tasks folder, remembered against a tasks-folder monitor token.

`snapshot.fingerprint` is a stat of every task file (30-60 ms at 10,000 files), taken by every
read (is the snapshot current?) and by every write verb (the state lock's starting stamp). When a
monitor runs, `fingerprint.json` in the work tree's runtime folder holds `[fingerprint, token]`:
the fingerprint a pass of stats gave, taken after the monitor gave the token. If the monitor
names no change since that token, nothing in the folder changed (every write, truncate, touch,
create, rename or delete of an entry, and a touch of the folder itself, is an inotify event), so
the remembered fingerprint is what a pass would give now. Otherwise a pass is taken and
remembered with the new token. After a write verb, `moved` remembers the stamp the verb derived
(`snapshot.advance`) when the only changes were its own files (or entries that are no task file:
its temporary files).

Every failure (no monitor, an unreadable memo, a runtime folder that cannot be written) falls back
to the pass, as before the monitor.
"""

from __future__ import annotations

import os

from orchestrator import fastjson, paths
from orchestrator.fsmonitor import client
from orchestrator.jsonfile import write_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

MEMO = "fingerprint.json"


def fingerprint(state_dir: str, runtime_dir: str, take: Callable[[], str]) -> str:
    """The tasks folder's fingerprint: the remembered one when the monitor names no change since
    it, else `take()` (a pass of stats), remembered."""
    folder = paths.worktree_dir(state_dir, runtime_dir)
    known = _read(folder)
    asked = client.changes(os.path.join(state_dir, "tasks"), known[1] if known else None)
    if asked is None:
        return take()
    if known is not None and asked[1] == set():
        return known[0]
    found = take()
    _write(folder, found, asked[0])
    return found


def moved(state_dir: str, runtime_dir: str, before: str, written: set[str],
          is_task_file: Callable[[str], bool], take: Callable[[], str]) -> str:
    """`take()`, the fingerprint after a locked block wrote the task files named `written` onto a
    folder whose fingerprint was `before`; remembered when `before` was the remembered one and the
    monitor names no other task file changed since."""
    folder = paths.worktree_dir(state_dir, runtime_dir)
    known = _read(folder)
    tasks = os.path.join(state_dir, "tasks")
    asked = client.changes(tasks, known[1]) if known is not None and known[0] == before else None
    after = take()  # after the question: a change from here on is named since its token
    if asked is not None and asked[1] is not None and all(
            name in written or not is_task_file(name) for name in asked[1]):
        _write(folder, after, asked[0])
    return after


def _read(folder: str) -> tuple[str, str] | None:
    try:
        with open(os.path.join(folder, MEMO), "rb") as handle:
            found = fastjson.loads(handle.read())
    except (OSError, ValueError):
        return None
    if isinstance(found, list) and len(found) == 2 and all(isinstance(part, str) for part in found):
        return found[0], found[1]
    return None


def _write(folder: str, found: str, token: str) -> None:
    try:
        write_text(os.path.join(folder, MEMO), fastjson.dumps([found, token]), durable=False)
    except OSError:
        pass  # a read inside the write jail, a full disk: the next read takes a pass again
