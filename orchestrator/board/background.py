"""`orch board --background` (what `/orch:board` runs inside Claude Code): a board that outlives
the command, one per work tree. The server writes `board.json` (its pid and URL) in the work
tree's runtime folder once it listens and removes it when it stops; a second call finds it and
prints the same URL; `orch board --stop` ends it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from orchestrator import paths, spawn
from orchestrator.errors import Refused
from orchestrator.jsonfile import read_json_or, write_json
from orchestrator.store import Store

RECORD = "board.json"
RECORD_ENV = "ORCH_BOARD_RECORD"
STARTUP = 15.0  # seconds to wait for the server to listen


def record_path(store: Store) -> Path:
    return Path(paths.worktree_dir(str(store.dir), str(store.runtime))) / RECORD


def running_url(store: Store) -> str | None:
    """The URL of this work tree's background board, if it is running and listening."""
    record = read_json_or(record_path(store), None)
    if not isinstance(record, dict) or not _alive(record.get("pid")) or not _listening(record.get("url")):
        return None
    return str(record["url"])


def start(store: Store, host: str, port: int, token: str | None, allow_actions: bool) -> tuple[str, bool]:
    """(URL, whether it was started now) of this work tree's background board (the one running
    is kept, whatever options it was started with)."""
    found = running_url(store)
    if found is not None:
        return found, False
    log = Path(paths.worktree_dir(str(store.dir), str(store.runtime))) / "board.log"
    options = ["--host", host, "--port", str(port), *(["--token", token] if token else []),
               *(["--allow-actions"] if allow_actions else [])]
    child = spawn.detached("orchestrator.console", "main", ["board", "--no-open", *options],
                           cwd=str(store.root), log=str(log), env={RECORD_ENV: str(record_path(store))})
    return _await_record(store, child, log), True


def stop(store: Store) -> bool:
    """End this work tree's background board; False when none was running."""
    record = read_json_or(record_path(store), None)
    if not isinstance(record, dict) or not _alive(record.get("pid")):
        record_path(store).unlink(missing_ok=True)
        return False
    os.kill(int(record["pid"]), signal.SIGTERM)
    return True


def write_record(url: str) -> None:
    """In the server: say where it listens, when started by `start`."""
    target = os.environ.get(RECORD_ENV)
    if target:
        write_json(target, {"pid": os.getpid(), "url": url})


def remove_record() -> None:
    target = os.environ.get(RECORD_ENV)
    record = read_json_or(target, None) if target else None
    if target and isinstance(record, dict) and record.get("pid") == os.getpid():
        Path(target).unlink(missing_ok=True)


def _await_record(store: Store, child: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + STARTUP
    while time.monotonic() < deadline:
        record = read_json_or(record_path(store), None)
        if isinstance(record, dict) and record.get("pid") == child.pid:
            return str(record["url"])
        if child.poll() is not None:
            break
        time.sleep(0.05)
    tail = log.read_text(errors="replace").strip().splitlines()[-3:] if log.exists() else []
    raise Refused(f"the board did not start ({'; '.join(tail) or 'no output'}); see {log}")


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _listening(url: Any) -> bool:
    parts = urlsplit(str(url))
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=1):
            return True
    except OSError:
        return False
