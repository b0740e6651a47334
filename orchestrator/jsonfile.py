"""Read and write small JSON files safely. Standard library only, no pathlib (hooks use it).

Writes go to a temp file in the same folder, are fsynced, then `os.replace`d over the target,
so a reader sees the old file or the new one, never half of one: a process killed while writing
the temp file leaves the target untouched (and a `.*.tmp` file that `orch doctor --fix` removes).
Reads turn a broken file into a `StateError` that names it.

`ORCH_CRASH_AFTER_WRITES=N` (tests only) SIGKILLs the process right after its Nth durable write:
an atomic replace here or a receipt appended by `receipts.append` (see `wrote`).
"""

from __future__ import annotations

import os
import sys

from orchestrator import fastjson
from orchestrator.errors import StateError

CRASH_ENV = "ORCH_CRASH_AFTER_WRITES"
_written = [0]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    StrPath = str | os.PathLike[str]


def readable(text: str) -> str:
    """`text` as valid Unicode: bytes that were not UTF-8 (a file name, an argument, kept by
    Python as surrogate escapes) become U+FFFD, so it can be written, hashed and shown."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace").encode(
            "utf-8", "replace").decode("utf-8")
    return text


def read_json(path: StrPath) -> Any:
    """Parse `path`; a missing file raises FileNotFoundError, a corrupt one StateError."""
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        return fastjson.loads(data)
    except ValueError as exc:
        raise StateError(
            f"{os.fspath(path)}: corrupt JSON ({exc}). Run `orch doctor` to see how to recover."
        ) from exc


def read_json_or(path: StrPath, default: Any) -> Any:
    """Like read_json, but a missing file gives `default`."""
    try:
        return read_json(path)
    except FileNotFoundError:
        return default


def write_json(path: StrPath, data: Any, *, compact: bool = False, durable: bool = True) -> None:
    """Atomically replace `path` with `data` serialised as JSON."""
    if compact:
        text = fastjson.dumps(data)
    else:
        import json

        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    write_text(path, text, durable=durable)


def write_text(path: StrPath, text: str | bytes, *, durable: bool = True) -> None:
    """Atomically replace `path` with `text` (bytes as they are): temp file, fsync (when
    `durable`), os.replace, then (when `durable`) fsync of the folder, so the replace itself
    survives a power loss and a later write (a receipt) is never on disk without this one."""
    target = os.fspath(path)
    folder, name = os.path.split(target)
    os.makedirs(folder or ".", exist_ok=True)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
    try:
        _write_file(tmp, text, durable)
        os.replace(tmp, target)
        if durable:
            fsync_folder(folder or ".")
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    wrote()


def _write_file(path: str, text: str | bytes, durable: bool) -> None:
    if isinstance(text, bytes):
        with open(path, "wb") as binary:
            binary.write(text)
            _sync(binary.fileno(), binary.flush, durable)
        return
    with open(path, "w", encoding="utf-8", errors="replace") as handle:
        handle.write(text)
        _sync(handle.fileno(), handle.flush, durable)


def _sync(fileno: int, flush: Callable[[], None], durable: bool) -> None:
    if durable:
        flush()
        os.fsync(fileno)


def fsync_folder(folder: str) -> None:
    """Make a folder's entries (a rename, a new file) durable. Where the system cannot open a
    folder for this (some platforms), there is nothing more to do."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        return  # a file system that cannot sync a folder (EINVAL): nothing more to do
    finally:
        os.close(fd)


def sync_all(files: list[str]) -> None:
    """Make many writes made with `durable=False` durable at once: `files` (paths written or
    deleted) and the entries of their folders. One `sync()` on Linux, where it waits until every
    dirty page of every file system is on disk: for 10,000 files it took 0.1-0.2 s here against
    4 s for an fsync per file. Elsewhere `sync()` may return before the data is written, so each
    file that still exists and each folder is fsynced once."""
    if sys.platform.startswith("linux"):
        os.sync()
        return
    for path in files:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue  # deleted: its folder's sync below records that
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    for folder in sorted({os.path.dirname(path) or "." for path in files}):
        fsync_folder(folder)


def wrote() -> None:
    """Count one durable write; the fault-injection point of the kill tests (`CRASH_ENV`)."""
    limit = os.environ.get(CRASH_ENV)
    if not limit:
        return
    _written[0] += 1
    if _written[0] >= int(limit):
        import signal

        os.kill(os.getpid(), signal.SIGKILL)
