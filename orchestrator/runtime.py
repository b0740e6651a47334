"""Machine-local runtime state: bindings (task -> who runs it), leases (file -> task), hand-overs.

It lives in the git common directory (see `paths.runtime_dir`), so every worktree of a repo
shares it, and it is never committed. Standard library only and import-light (no pathlib,
typing, datetime or contextlib): the hooks read and write it on every tool call. Writes hold
`fcntl.flock` on `runtime.lock` with a deadline, so a hook never hangs on a lock; readers need
no lock because every file is replaced atomically.
"""

from __future__ import annotations

import fcntl
import os
import time

from orchestrator.errors import StateError
from orchestrator.jsonfile import read_json_or, write_json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

LOCK_DEADLINE = 3.0
HANDOVER_TTL = 120.0


def now_iso(epoch: float | None = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if epoch is None else epoch))


class FileLock:
    """`fcntl.flock` on a lock file, given up after `deadline` seconds (StateError)."""

    def __init__(self, path: str, deadline: float = LOCK_DEADLINE) -> None:
        self.path, self.deadline, self.fd = path, deadline, -1

    def __enter__(self) -> FileLock:
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        end = time.monotonic() + self.deadline
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if time.monotonic() >= end:
                    os.close(self.fd)
                    raise StateError(f"{self.path}: lock busy for {self.deadline:.0f}s") from None
                time.sleep(0.005)

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)


class Runtime:
    """The runtime folder of one repo."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.dir = os.fspath(folder)

    def _path(self, name: str) -> str:
        return os.path.join(self.dir, name)

    def locked(self, deadline: float = LOCK_DEADLINE) -> FileLock:
        return FileLock(self._path("runtime.lock"), deadline)

    # -- bindings -------------------------------------------------------------------------

    def bindings(self) -> dict[str, dict[str, Any]]:
        data = read_json_or(self._path("bindings.json"), {})
        return data.get("bindings", {}) if isinstance(data, dict) else {}

    def task_of(self, holder: str) -> str | None:
        """The task bound to `holder` (a session id or a subagent's agent id)."""
        for task_id, binding in self.bindings().items():
            if binding.get("holder") == holder:
                return task_id
        return None

    def bind(self, task_id: str, holder: str, session: str | None = None) -> None:
        with self.locked():
            data = self.bindings()
            data[task_id] = {"holder": holder, "session": session or holder, "since": now_iso()}
            self._save_bindings(data)

    def unbind(self, task_id: str) -> None:
        with self.locked():
            data = self.bindings()
            if data.pop(task_id, None) is not None:
                self._save_bindings(data)
            self._drop_leases(lambda _p, lease: lease.get("task") == task_id)

    def end_session(self, session: str) -> list[str]:
        """A Claude Code session ended: mark its bindings ended and release its leases."""
        with self.locked():
            data = self.bindings()
            ended = [tid for tid, b in data.items() if b.get("session") == session]
            for task_id in ended:
                data[task_id]["ended"] = True
            if ended:
                self._save_bindings(data)
            return self._drop_leases(lambda _p, lease: lease.get("session") == session)

    def replace_bindings(self, data: dict[str, dict[str, Any]]) -> None:
        """Overwrite every binding (`orch doctor --fix` rebuilding a corrupt bindings.json)."""
        with self.locked():
            self._save_bindings(data)

    def _save_bindings(self, data: dict[str, Any]) -> None:
        write_json(self._path("bindings.json"), {"schema": 1, "bindings": data})

    # -- leases ---------------------------------------------------------------------------

    def leases(self) -> dict[str, dict[str, Any]]:
        data = read_json_or(self._path("leases.json"), {})
        return data.get("leases", {}) if isinstance(data, dict) else {}

    def live_leases(self, now: float | None = None) -> dict[str, dict[str, Any]]:
        moment = time.time() if now is None else now
        return {p: lease for p, lease in self.leases().items() if lease.get("expires_at", 0) > moment}

    def take_lease(
        self, path: str, task_id: str, holder: str, session: str, ttl: float
    ) -> dict[str, Any] | None:
        """Take or renew the lease on `path` (relative to the repo root) for `task_id`.

        Returns the conflicting lease if another task holds a live one (nothing is written
        then), else None."""
        with self.locked():
            now = time.time()
            leases = self.leases()
            current = leases.get(path)
            if current and current.get("task") != task_id and current.get("expires_at", 0) > now:
                return current
            mine = current is not None and current.get("task") == task_id
            since = current["since"] if current is not None and mine else now_iso(now)
            leases[path] = {
                "task": task_id,
                "holder": holder,
                "session": session,
                "since": since,
                "expires": now_iso(now + ttl),
                "expires_at": now + ttl,
            }
            self._save_leases(leases)
            return None

    def release(self, path: str | None = None, task_id: str | None = None) -> list[str]:
        """Drop the leases matching every given criterion; returns the paths released."""

        def matches(p: str, lease: dict[str, Any]) -> bool:
            return (path is None or p == path) and (task_id is None or lease.get("task") == task_id)

        with self.locked():
            return self._drop_leases(matches)

    def _drop_leases(self, predicate: Callable[[str, dict[str, Any]], bool]) -> list[str]:
        leases = self.leases()
        gone = [p for p, lease in leases.items() if predicate(p, lease)]
        if gone:
            self._save_leases({p: lease for p, lease in leases.items() if p not in gone})
        return gone

    def clear_leases(self) -> None:
        """Drop every lease (`orch doctor --fix` on a corrupt leases.json): they are re-taken on the
        next write of each task's files."""
        with self.locked():
            self._save_leases({})

    def _save_leases(self, leases: dict[str, Any]) -> None:
        write_json(self._path("leases.json"), {"schema": 1, "leases": leases}, compact=True, durable=False)

    # -- hand-over from a subagent's hook to its `orch start` -----------------------------

    def offer_handover(self, session_id: str, task_id: str, agent_id: str) -> None:
        """Called by the PreToolUse hook when a subagent runs `orch start TASK` through Bash:
        the hook sees the agent id, the Bash environment does not."""
        with self.locked():
            data = self._fresh_handovers()
            data[f"{session_id}:{task_id}"] = {"agent": agent_id, "at": time.time()}
            write_json(self._path("handover.json"), data, compact=True, durable=False)

    def claim_handover(self, session_id: str, task_id: str) -> str | None:
        """The agent id a hook left for this session and task, consumed once."""
        if not os.path.exists(self._path("handover.json")):
            return None
        with self.locked():
            data = self._fresh_handovers()
            offer = data.pop(f"{session_id}:{task_id}", None)
            if offer is None:
                return None
            write_json(self._path("handover.json"), data, compact=True, durable=False)
            return str(offer["agent"])

    def _fresh_handovers(self) -> dict[str, Any]:
        data = read_json_or(self._path("handover.json"), {})
        cutoff = time.time() - HANDOVER_TTL
        return {k: v for k, v in data.items() if v.get("at", 0) > cutoff} if isinstance(data, dict) else {}
