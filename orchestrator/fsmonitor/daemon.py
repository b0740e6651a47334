"""The tasks-folder monitor process (see the package docstring and `client` for the protocol).

One process per tasks folder: it binds the folder's abstract socket first, and exits at once when
another monitor holds it. It then watches the folder with inotify (`inotify_simple`) and keeps a
journal of the entries that changed, each with the sequence number of the batch it was seen in.
A token is `<process>.<epoch>.<sequence>`, the process named by its id and a random part (a
process id alone comes back: after a reboot, in a container). The epoch moves on, and every
older token becomes unanswerable ("cannot say": the asker stats every file once), when the
kernel's queue overflowed, when the journal grew past JOURNAL_LIMIT names, or when the watch was
lost and made again (the folder replaced). Asked with a token, it first reads every event already
queued, so the answer covers every change made before the question (see `client`).

It exits when the folder is gone for good, when nobody asked anything for IDLE seconds, or on a
`stop` request. Why a start failed (no inotify, the kernel's limit of inotify instances reached)
is written to `client.FAILED` in the work tree's runtime folder, and starts are not retried for a
while.
"""

from __future__ import annotations

import os
import select
import socket
import sys
import time

from orchestrator import fastjson
from orchestrator.fsmonitor import client

IDLE = 1800.0  # seconds without a request before the monitor exits
JOURNAL_LIMIT = 50_000  # names remembered before the journal starts again (a new epoch)
REQUEST_LIMIT = 4096


class Journal:
    """The entries changed, by the sequence number of the batch that changed them last."""

    def __init__(self) -> None:
        self.process, self.epoch, self.sequence = f"{os.getpid()}-{os.urandom(8).hex()}", 0, 0
        self.changed: dict[str, int] = {}

    def token(self) -> str:
        return f"{self.process}.{self.epoch}.{self.sequence}"

    def record(self, names: list[str]) -> None:
        self.sequence += 1
        for name in names:
            self.changed[name] = self.sequence
        if len(self.changed) > JOURNAL_LIMIT:
            self.restart()

    def restart(self) -> None:
        self.epoch, self.changed = self.epoch + 1, {}

    def since(self, token: str) -> list[str] | None:
        """The entries changed after `token`; None when it is not a token of this epoch."""
        parts = token.split(".")
        if len(parts) != 3 or parts[:2] != [self.process, str(self.epoch)] or not parts[2].isdigit():
            return None
        after = int(parts[2])
        if after > self.sequence:
            return None
        return sorted(name for name, sequence in self.changed.items() if sequence > after)


class Monitor:
    """The watch on one folder, its journal and its socket."""

    def __init__(self, folder: str, server: socket.socket) -> None:
        from inotify_simple import INotify, flags  # type: ignore[import-untyped]

        self.folder, self.server, self.journal = folder, server, Journal()
        self.flags = flags
        self.mask = (flags.MODIFY | flags.ATTRIB | flags.CLOSE_WRITE | flags.MOVED_FROM | flags.MOVED_TO
                     | flags.CREATE | flags.DELETE | flags.DELETE_SELF | flags.MOVE_SELF | flags.ONLYDIR)
        self.inotify = INotify(nonblocking=True)
        self.watch = self.inotify.add_watch(folder, self.mask)
        self.asked = time.monotonic()

    def run(self) -> None:
        poller = select.poll()
        poller.register(self.inotify.fileno(), select.POLLIN)
        poller.register(self.server.fileno(), select.POLLIN)
        while True:
            left = IDLE - (time.monotonic() - self.asked)
            if left <= 0:
                return
            for fd, _event in poller.poll(left * 1000):
                if fd == self.inotify.fileno() and not self.drain():
                    return
                if fd == self.server.fileno() and not self.answer():
                    return

    def drain(self) -> bool:
        """Journal every queued event; False when the folder is gone for good."""
        events = self.inotify.read(timeout=0)
        names, lost = [], False
        for event in events:
            if event.mask & self.flags.Q_OVERFLOW:
                self.journal.restart()
            elif event.mask & (self.flags.IGNORED | self.flags.DELETE_SELF | self.flags.MOVE_SELF):
                lost = lost or event.wd == self.watch  # not the late IGNORED of a watch made again
            else:
                names.append(event.name)
        if names:
            self.journal.record(names)
        return self.rewatch() if lost else True

    def rewatch(self) -> bool:
        """The watch was lost (the folder deleted, moved or replaced): start a new epoch on the
        folder now at that path, if there is one."""
        self.journal.restart()
        try:
            self.inotify.rm_watch(self.watch)
        except OSError:
            pass  # already gone with the folder
        try:
            self.watch = self.inotify.add_watch(self.folder, self.mask)
        except OSError:
            return False
        return True

    def answer(self) -> bool:
        """Answer one request; False after `stop`."""
        try:
            conn, _address = self.server.accept()
        except OSError:
            return True
        with conn:
            conn.settimeout(client.TIMEOUT)
            try:
                request = _read_request(conn)
                if request == "stop":
                    conn.sendall(b"{}\n")
                    return False
                self.asked = time.monotonic()
                alive = self.drain()
                changed = self.journal.since(request)
                reply = fastjson.dumps({"token": self.journal.token(), "changed": changed})
                conn.sendall(reply.encode() + b"\n")
                return alive
            except OSError:
                return True


def _read_request(conn: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\n") and len(data) < REQUEST_LIMIT:
        chunk = conn.recv(REQUEST_LIMIT)
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", "replace").strip()


def run(argv: list[str]) -> int:
    """`main` from the command line's arguments (`spawn.detached`, `python -m`)."""
    if len(argv) != 2:
        print("usage: python -m orchestrator.fsmonitor TASKS_DIR WORKTREE_DIR", file=sys.stderr)
        return 2
    return main(argv[0], argv[1])


def main(folder: str, worktree_dir: str) -> int:
    """Monitor `folder` until idle or gone; 0 also when another monitor already does."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(client.address(folder))
    except OSError:
        return 0  # another monitor listens
    server.listen(16)
    try:
        monitor = Monitor(folder, server)
    except (OSError, ImportError) as exc:
        _note_failure(worktree_dir, exc)
        return 1
    _clear_failure(worktree_dir)
    monitor.run()
    return 0


def _note_failure(worktree_dir: str, exc: BaseException) -> None:
    try:
        os.makedirs(worktree_dir, exist_ok=True)
        with open(os.path.join(worktree_dir, client.FAILED), "w", encoding="utf-8") as out:
            out.write(f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {type(exc).__name__}: {exc}\n")
    except OSError:
        pass


def _clear_failure(worktree_dir: str) -> None:
    try:
        os.unlink(os.path.join(worktree_dir, client.FAILED))
    except OSError:
        pass
