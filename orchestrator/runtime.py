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

from orchestrator.callers import GRANT_TTL
from orchestrator.errors import StateError
from orchestrator.jsonfile import read_json_or, write_json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

LOCK_DEADLINE = 3.0
TOUCH_EVERY = 60.0


def now_iso(epoch: float | None = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if epoch is None else epoch))


def epoch_of(iso: str) -> float | None:
    """The epoch seconds of a `now_iso` time; None when `iso` is not one."""
    import calendar

    try:
        return float(calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ")))
    except ValueError:
        return None


def seen(binding: dict[str, Any]) -> float:
    """When the holder of a binding was last active (epoch seconds)."""
    value = binding.get("seen")
    if isinstance(value, (int, float)):
        return float(value)
    since = binding.get("since")
    return (epoch_of(since) or 0.0) if isinstance(since, str) else 0.0


def is_live(binding: dict[str, Any] | None, ttl: float, now: float | None = None) -> bool:
    """A binding whose holder may still come back: its session has not ended and it was active
    within `ttl` seconds (the lease TTL). Anyone may take over a task whose binding is not live."""
    if binding is None or binding.get("ended"):
        return False
    return (time.time() if now is None else now) - seen(binding) < ttl


def _until(reservation: dict[str, Any]) -> float:
    value = reservation.get("until")
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


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
        found = self.binding_of(holder)
        return found[0] if found else None

    def bind(
        self, task_id: str, holder: str, session: str | None = None, worktree: str | None = None
    ) -> None:
        with self.locked():
            data = self.bindings()
            now = time.time()
            data[task_id] = {"holder": holder, "session": session or holder, "since": now_iso(now),
                             "seen": now}
            if worktree:
                data[task_id]["worktree"] = worktree
            self._save_bindings(data)

    def touch(self, task_id: str, holder: str, binding: dict[str, Any] | None = None) -> None:
        """The holder of `task_id` is active: renew its binding's liveness (at most once a
        minute, so a hook writes bindings.json rarely). `binding`: as already read, if it was."""
        binding = self.bindings().get(task_id) if binding is None else binding
        if binding is None or binding.get("holder") != holder or time.time() - seen(binding) < TOUCH_EVERY:
            return
        with self.locked():
            data = self.bindings()
            if task_id in data and data[task_id].get("holder") == holder:
                data[task_id]["seen"] = time.time()
                self._save_bindings(data)

    def binding_of(self, holder: str) -> tuple[str, dict[str, Any]] | None:
        """(task id, binding) of the task bound to `holder`, if any."""
        for task_id, binding in self.bindings().items():
            if binding.get("holder") == holder:
                return task_id, binding
        return None

    def unbind(self, task_id: str) -> None:
        with self.locked():
            data = self.bindings()
            if data.pop(task_id, None) is not None:
                self._save_bindings(data)
            self._drop_leases(lambda _p, lease: lease.get("task") == task_id)

    def end_session(self, session: str) -> list[str]:
        """A Claude Code session ended: mark its bindings ended and release its leases."""
        return self._end("session", session)

    def end_holder(self, holder: str) -> None:
        """A subagent finished: mark its binding ended, so another caller may take the task over.
        Its leases stay until its session ends (or they expire): its files are still its task's."""
        self._end("holder", holder, release=False)

    def _end(self, key: str, value: str, release: bool = True) -> list[str]:
        with self.locked():
            data = self.bindings()
            ended = [tid for tid, b in data.items() if b.get(key) == value and not b.get("ended")]
            for task_id in ended:
                data[task_id]["ended"] = True
            if ended:
                self._save_bindings(data)
            return self._drop_leases(lambda _p, lease: lease.get(key) == value) if release else []

    # -- sessions whose hooks ran ---------------------------------------------------------

    def mark_session(self, session: str) -> None:
        """orch's hooks run in `session` (called at SessionStart): from now on an `orch` command
        of that session acts only on a grant its PreToolUse hook left."""
        if not session or self.hooks_seen(session):
            return
        with self.locked():
            data = read_json_or(self._path("sessions.json"), {})
            data = data if isinstance(data, dict) else {}
            data[session] = time.time()
            recent = sorted(data.items(), key=lambda item: item[1] if isinstance(item[1], float) else 0)
            write_json(self._path("sessions.json"), dict(recent[-200:]), compact=True, durable=False)

    def hooks_seen(self, session: str) -> bool:
        data = read_json_or(self._path("sessions.json"), {})
        return isinstance(data, dict) and session in data

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

    def replace_shared_leases(self, shared: dict[str, dict[str, Any]]) -> None:
        """Team mode (`teams.sharedleases`): the other clones' leases as last synced (marked with
        their `clone`) replace those synced before; a path this clone leases itself stays its own."""
        with self.locked():
            own = {p: lease for p, lease in self.leases().items() if not lease.get("clone")}
            self._save_leases({**{p: lease for p, lease in shared.items() if p not in own}, **own})

    def clear_leases(self) -> None:
        """Drop every lease (`orch doctor --fix` on a corrupt leases.json): they are re-taken on the
        next write of each task's files."""
        with self.locked():
            self._save_leases({})

    def _save_leases(self, leases: dict[str, Any]) -> None:
        write_json(self._path("leases.json"), {"schema": 1, "leases": leases}, compact=True, durable=False)

    # -- dispatches: tasks handed to a subagent that has not started them yet -------------

    def dispatched(self, now: float | None = None) -> dict[str, dict[str, Any]]:
        """The unexpired reservations `orch dispatch` made: task id -> {"by", "at", "until"}."""
        moment = time.time() if now is None else now
        return {tid: r for tid, r in self._dispatches().items() if _until(r) > moment}

    def reserve(self, task_ids: list[str], by: str, ttl: float) -> dict[str, dict[str, Any]]:
        """Reserve each of `task_ids` for `by` until `ttl` seconds from now (renewing a task's
        reservation if it has one); expired reservations are dropped. Returns those made."""
        with self.locked():
            now = time.time()
            made = {tid: {"by": by, "at": now_iso(now), "until": now + ttl} for tid in task_ids}
            self._save_dispatches({**self.dispatched(now), **made})
            return made

    def undispatch(self, task_id: str) -> None:
        """`task_id` was started, moved or cancelled: its reservation, if any, has done its work."""
        if not os.path.exists(self._path("dispatched.json")):
            return
        with self.locked():
            if task_id in self._dispatches():
                live = self.dispatched()
                live.pop(task_id, None)
                self._save_dispatches(live)

    def _dispatches(self) -> dict[str, dict[str, Any]]:
        data = read_json_or(self._path("dispatched.json"), {})
        if not isinstance(data, dict):
            return {}
        return {tid: r for tid, r in data.items() if isinstance(r, dict)}

    def _save_dispatches(self, data: dict[str, Any]) -> None:
        write_json(self._path("dispatched.json"), data, compact=True, durable=False)

    # -- grants: the hook hands the true caller of a Bash call to the `orch` it runs -------

    def offer_grant(self, key: str, caller: str, session: str, tool_use_id: str) -> None:
        """Called by the PreToolUse hook for each `orch VERB …` it allowed in a Bash command:
        the `orch` process of that command claims it (`claim_grant`) and acts as `caller`."""
        with self.locked():
            data = self._fresh_grants()
            offer = {"caller": caller, "session": session, "tool": tool_use_id, "at": time.time()}
            data.setdefault(key, []).append(offer)
            self._save_grants(data)

    def claim_grant(self, key: str, session: str | None) -> dict[str, Any] | None:
        """The oldest live offer for `key` (of `session` when it has one), consumed once; None
        when there is none, or when several sessions offered and `session` names none of them."""
        if not os.path.exists(self._path("grants.json")):
            return None
        with self.locked():
            data = self._fresh_grants()
            offers = data.get(key, [])
            mine = [o for o in offers if o.get("session") == session] if session else []
            if not mine and len({o.get("session") for o in offers}) == 1:
                mine = offers
            if not mine:
                return None
            chosen = mine[0]
            offers.remove(chosen)
            self._save_grants({k: v for k, v in data.items() if v})
            return chosen

    def withdraw_grants(self, tool_use_id: str) -> None:
        """The Bash call has ended (PostToolUse/PostToolUseFailure): its unclaimed offers go."""
        if not tool_use_id or not os.path.exists(self._path("grants.json")):
            return
        with self.locked():
            data = self._fresh_grants()
            kept = {k: [o for o in v if o.get("tool") != tool_use_id] for k, v in data.items()}
            self._save_grants({k: v for k, v in kept.items() if v})

    def _fresh_grants(self) -> dict[str, list[dict[str, Any]]]:
        data = read_json_or(self._path("grants.json"), {})
        if not isinstance(data, dict):
            return {}
        cutoff = time.time() - GRANT_TTL
        fresh = {k: [o for o in v if isinstance(o, dict) and o.get("at", 0) > cutoff]
                 for k, v in data.items() if isinstance(v, list)}
        return {k: v for k, v in fresh.items() if v}

    def _save_grants(self, data: dict[str, Any]) -> None:
        write_json(self._path("grants.json"), data, compact=True, durable=False)
