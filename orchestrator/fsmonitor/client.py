"""Asking the tasks-folder monitor what changed, and starting it. Standard library only, and no
`socket` (its import costs a hook about 15 ms): `_socket` is the C module underneath.

The monitor of a tasks folder listens on an abstract Unix socket (Linux: no file to leave behind
or to collide on, gone with the process) named after the user and the folder's real path. A
request is one line, a token (or `-` for none); the answer one JSON line, `{"token": T,
"changed": [names] or null}`: the names of the folder's entries that changed since the token
(`""` for the folder itself), or null when the monitor cannot say (a token of another monitor
process, or its queue overflowed). The answer's token covers every change made before the
request was sent, because the kernel queues an inotify event before the call that made the change
returns, and the monitor reads its whole queue before it answers.

Another local user could bind the name first; the client checks the answering process's user
(`SO_PEERCRED`) and ignores any other.
"""

from __future__ import annotations

import os
import sys

from orchestrator import fastjson, paths

TYPE_CHECKING = False
if TYPE_CHECKING:
    Answer = tuple[str, "set[str] | None"]

ENV = "ORCH_FSMONITOR"  # "0": neither ask nor start a monitor
TIMEOUT = 0.25  # seconds for each step of the exchange (connect, send, read); then a stat of every file
FAILED = "fsmonitor.failed"  # in the work tree's runtime folder: why the last start failed, and when
RETRY_AFTER = 600  # seconds before a failed start is tried again


def enabled() -> bool:
    return sys.platform.startswith("linux") and os.environ.get(ENV, "1") != "0"


def address(tasks_dir: str) -> bytes:
    """The monitor's abstract socket name for the tasks folder `tasks_dir`."""
    real = os.path.realpath(tasks_dir)
    return f"\0orch-fsmonitor/{os.getuid()}/{paths.digest(real)}".encode()


def changes(tasks_dir: str, token: str | None) -> Answer | None:
    """(a new token, the entries changed since `token`, or None when the monitor cannot say);
    None when no monitor of this user answers in time."""
    reply = _exchange(tasks_dir, (token or "-").encode("utf-8", "replace"))
    if reply is None:
        return None
    try:
        answer = fastjson.loads(reply)
        new, changed = answer["token"], answer["changed"]
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(new, str) or not (changed is None or isinstance(changed, list)):
        return None
    return new, None if changed is None else {str(name) for name in changed}


def stop(tasks_dir: str) -> bool:
    """Ask the folder's monitor to exit; True when one answered."""
    return _exchange(tasks_dir, b"stop") is not None


def _exchange(tasks_dir: str, request: bytes) -> bytes | None:
    if not enabled():
        return None
    import _socket

    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(TIMEOUT)
        sock.connect(address(tasks_dir))
        if not _same_user(sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12)):
            return None
        sock.sendall(request + b"\n")
        return _read_line(sock)
    except OSError:  # nothing listening, a timeout, a reset
        return None
    finally:
        sock.close()


def _same_user(cred: bytes) -> bool:
    """`struct ucred` is (pid, uid, gid), three native ints."""
    return int.from_bytes(cred[4:8], sys.byteorder) == os.getuid()


def _read_line(sock: object) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        chunk = sock.recv(65536)  # type: ignore[attr-defined]
        if not chunk:
            break
        chunks.append(chunk)
        if chunk.endswith(b"\n"):
            break
    reply = b"".join(chunks)
    return reply if reply.endswith(b"\n") else None


def start(tasks_dir: str, worktree_dir: str) -> None:
    """Start the folder's monitor in the background, in a session of its own (it outlives the
    caller), unless it is off, the folder is missing, or a start failed within RETRY_AFTER. It
    exits by itself when another one already listens, when the folder goes, or when nobody asked
    it anything for `daemon.IDLE` seconds."""
    if not enabled() or not os.path.isdir(tasks_dir) or _failed_lately(worktree_dir):
        return
    from orchestrator import spawn

    try:
        spawn.detached("orchestrator.fsmonitor.daemon", "run", [tasks_dir, worktree_dir])
    except OSError:
        pass


def describe(tasks_dir: str, worktree_dir: str) -> str:
    """One line for `orch doctor`: is the folder's monitor answering, and if not, why."""
    instead = "a stat of every task file instead"
    if not enabled():
        return f"tasks-folder monitor: off ({ENV}=0, or not Linux); {instead}"
    asked = changes(tasks_dir, None)
    if asked is not None:
        return f"tasks-folder monitor: answering (process {asked[0].split('-')[0]})"
    try:
        with open(os.path.join(worktree_dir, FAILED), encoding="utf-8", errors="replace") as handle:
            why = handle.read().strip()
    except OSError:
        return f"tasks-folder monitor: not running (the next Claude Code session starts it); {instead}"
    return f"tasks-folder monitor: could not start ({why}); {instead}"


def _failed_lately(worktree_dir: str) -> bool:
    try:
        import time

        return time.time() - os.stat(os.path.join(worktree_dir, FAILED)).st_mtime < RETRY_AFTER
    except OSError:
        return False
