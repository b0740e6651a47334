"""What tells the board that the state changed: a stamp made of a few stats, never a read of every
task file. Task files are replaced atomically, which bumps the tasks folder's mtime (the hooks'
index generation, `hooks.index.stamp`); plans likewise; a new receipt chain bumps the receipts
folder; leases, bindings and reservations live in single runtime files shared by every worktree.
A stamp younger than RACY_NS may hide a second write in the same clock tick, so it is not trusted
yet (`settled`): the watcher looks again once it is older."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable

from orchestrator.hooks import index
from orchestrator.store import Store

RUNTIME_FILES = ("bindings.json", "leases.json", "dispatched.json")
RACY_NS = 50_000_000
POLL = 0.25  # seconds between two looks at the stamp: a few stats each


def stamp(store: Store) -> str:
    """`tasks:plans:receipts:bindings:leases:dispatched` mtimes in ns (0 when missing)."""
    parts = [index.stamp(str(store.dir)), *(_mtime(store.dir / name) for name in ("plans", "receipts"))]
    parts += [_mtime(store.runtime / name) for name in RUNTIME_FILES]
    return ":".join(parts)


def state_part(value: str) -> str:
    """The part of a stamp that `.orch/` makes (tasks, plans, receipts), without the runtime's."""
    return ":".join(value.split(":")[:3])


def settled(value: str, now_ns: int | None = None) -> bool:
    """Whether no part of the stamp is so recent that a write in the same tick could hide."""
    now = time.time_ns() if now_ns is None else now_ns
    return all(now - int(part) >= RACY_NS for part in value.split(":") if part.isdigit())


async def changes(store: Store, closing: Callable[[], bool], poll: float = POLL) -> AsyncIterator[str]:
    """Yield the stamp now, then each time it changes (again once a racy stamp has settled),
    until `closing()` says the server is shutting down."""
    last: str | None = None
    while not closing():
        now = stamp(store)
        if now != last:
            yield now
            last = now if settled(now) else None
        await asyncio.sleep(poll)


def _mtime(path: os.PathLike[str]) -> str:
    try:
        return str(os.stat(path).st_mtime_ns)
    except OSError:
        return "0"
