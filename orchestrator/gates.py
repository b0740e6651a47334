"""Run quality gates honestly: bounded in time, in memory and on disk, and never orphaned.

A gate is a dict: `name`, `command` (run with `/bin/sh -c`), `kind` (one of `gatekinds.KINDS`;
without one, inferred from the command: `gatekinds.kind_of`),
`timeout` (seconds), `cwd` (relative to the repo root), `threshold` (coverage %), `report` (a
file the command writes, relative to `cwd`) and, optionally, `task` (named in the suggestion).

The command runs in its own session under `watchdog.py`, which leads the process group and kills
all of it if this process dies, however it dies. At its timeout (or at the end of the caller's
budget, whichever comes first) the whole group is killed (SIGTERM, then SIGKILL), and whatever it
left running is killed when it exits; `stopped_by_signals` does the same when this process is
told to stop. Its output is read with deadlines, so a grandchild that keeps the pipe open cannot
hold the caller. Only a head and a tail of the output stay in memory (the digest covers all of
it) and the log file is capped. A gate that times out or cannot start has failed. Standard
library only: the Stop hook imports this module.
"""

from __future__ import annotations

import hashlib
import os
import re
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Any, NamedTuple

from orchestrator import gatekinds, jail

LineSink = Callable[[str], None]
_Pump = Callable[[float, Callable[[], bool]], bool]  # (seconds, done) -> done before the deadline

DEFAULT_TIMEOUT = 600.0
TAIL_LINES = 40
TAIL_LINE_CHARS = 500
KILL_AFTER = 2.0  # seconds between SIGTERM and SIGKILL
EXIT_GRACE = 0.5  # seconds output is still read after the command exits
MIN_RUN = 1.0  # seconds of budget below which a gate is not started
HEAD_BYTES = 64 * 1024  # output kept in memory from the start ...
TAIL_BYTES = 256 * 1024  # ... and from the end, where the tools print their summaries
LOG_CAP = 4 * 1024 * 1024  # bytes of a gate's log file: its start, a marker, the last TAIL_BYTES
LINE_CAP = 64 * 1024  # a longer line reaches `on_line` in pieces
KEPT_RUN_FOLDERS = 5
_LOG_HEAD = LOG_CAP - TAIL_BYTES - 256  # room for the marker line
_POLL = 0.05
_SHELL_EXITS = {126: "command not executable", 127: "command not found"}
_RUN_FOLDER = re.compile(r"^\d{8}T\d{6}")
_WATCHDOG = Path(__file__).resolve().with_name("watchdog.py")
_RUNNING: set[int] = set()  # process groups of the gates running now


class Budget(NamedTuple):
    """Time a caller can give its gates in all: `seconds`, ending at `deadline` (monotonic)."""

    seconds: float
    deadline: float

    @classmethod
    def of(cls, seconds: float) -> Budget:
        return cls(seconds, time.monotonic() + seconds)

    def left(self) -> float:
        return self.deadline - time.monotonic()


def run_gate(
    gate: Mapping[str, Any],
    root: Path,
    *,
    output_path: Path | None = None,
    on_line: LineSink | None = None,
    budget: Budget | None = None,
) -> dict[str, Any]:
    """Run one gate in `root / gate["cwd"]` and return its result (see the module docstring).

    With a `budget`, the gate gets its timeout or what is left of the budget, whichever is less;
    with less than MIN_RUN seconds left it is not started and has failed."""
    started_at = datetime.now(UTC).isoformat(timespec="milliseconds")
    clock = time.monotonic()
    workdir = root / (gate.get("cwd") or ".")
    kind = gatekinds.kind_of(gate)
    report_before = _report_stamp(gate, workdir)
    limit = _Limit.of(gate, budget)
    with _Output(output_path, on_line) as output:
        run = _Run(None, False, output.error or _invalid_reason(gate, kind, workdir) or limit.refusal())
        if run.error is None:
            run = _execute(str(gate["command"]), workdir, limit, output)
    result = {
        "name": str(gate.get("name", "")),
        "command": str(gate.get("command", "")),
        "kind": kind,
        "exit_code": run.exit_code,
        "timed_out": run.timed_out,
        "error": run.error,
        "duration": round(time.monotonic() - clock, 3),
        "started_at": started_at,
        "tail": output.tail(),
        "output_path": str(output_path) if output_path else None,
        "output_sha256": output.digest.hexdigest(),
        "output_bytes": output.size,
    }
    stale = report_before is not None and report_before == _report_stamp(gate, workdir)
    summary = _summary(gate, kind, workdir, run, output.text(), stale_report=stale)
    passed = run.error is None and run.exit_code == 0 and bool(summary["ok"])
    suggestion = "" if passed else _suggestion(gate, run, summary, limit)
    why = "" if passed else failure_reason({**result, "summary": summary})
    return {**result, "passed": passed, "summary": summary, "suggestion": suggestion, "why": why}


def failure_reason(result: Mapping[str, Any]) -> str:
    """Why a gate failed, in a few words: it could not start or timed out (`error`), it checked
    nothing ("ran no test"), or its exit code."""
    summary = result.get("summary") or {}
    if result.get("error"):
        return str(result["error"])
    if summary.get("nothing"):
        return f"it {summary['nothing']} (exit code {result.get('exit_code')})"
    if result.get("exit_code") == 0 and summary.get("ok") is False:
        return f"exit code 0, but its {result.get('kind')} check failed"
    return f"exit code {result.get('exit_code')}"


def run_gates(
    gates: list[dict[str, Any]],
    root: Path,
    *,
    output_dir: Path | None,
    on_line: LineSink | None = None,
    stop_on_failure: bool = False,
    budget: float | None = None,
) -> list[dict[str, Any]]:
    """Run gates in order, each one's output in `output_dir/NN-name.log`; results of those run.

    `budget` (seconds) bounds the sum of their run times: see `run_gate`."""
    shared = Budget.of(budget) if budget is not None else None
    results: list[dict[str, Any]] = []
    for index, gate in enumerate(gates, start=1):
        log = output_dir / _log_name(index, gate) if output_dir else None
        results.append(run_gate(gate, root, output_path=log, on_line=on_line, budget=shared))
        if stop_on_failure and not results[-1]["passed"]:
            break
    return results


def new_run_folder(parent: Path, keep: int = KEPT_RUN_FOLDERS) -> Path:
    """A new folder under `parent` for one run's logs, named by the UTC time; only the newest
    `keep` run folders there are kept (other files and folders are left alone)."""
    import shutil

    folder = parent / datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    folder.mkdir(parents=True, exist_ok=True)
    runs = sorted(path for path in parent.iterdir() if _RUN_FOLDER.match(path.name) and path.is_dir())
    for old in runs[:-keep] if keep > 0 else runs:
        if old != folder:
            shutil.rmtree(old, ignore_errors=True)
    return folder


@contextmanager
def stopped_by_signals(signums: Iterable[signal.Signals] = (signal.SIGTERM, signal.SIGHUP)) -> Iterator[None]:
    """While inside, these signals kill the process groups of the running gates, then raise
    SystemExit(128 + signal). For the main thread of a process that may be told to stop (a hook
    at its timeout); elsewhere it changes nothing. The watchdog covers SIGKILL."""

    def stop(signum: int, _frame: FrameType | None) -> None:
        for pgid in list(_RUNNING):
            _signal_group(pgid, signal.SIGKILL)
        raise SystemExit(128 + signum)

    try:
        previous = {signum: signal.signal(signum, stop) for signum in signums}
    except ValueError:  # not the main thread: signals are not ours to handle
        previous = {}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class _Run(NamedTuple):
    """How a command's process ended: exit code, whether it timed out, why it failed to run."""

    exit_code: int | None
    timed_out: bool
    error: str | None


class _Limit(NamedTuple):
    """The seconds a gate may run: its timeout, or less when a budget runs out first."""

    seconds: float
    timeout: float
    budget: Budget | None

    @classmethod
    def of(cls, gate: Mapping[str, Any], budget: Budget | None) -> _Limit:
        timeout = _timeout(gate)
        return cls(timeout if budget is None else min(timeout, budget.left()), timeout, budget)

    def cut(self) -> bool:
        return self.seconds < self.timeout

    def refusal(self) -> str | None:
        if self.budget is None or not self.cut() or self.seconds >= MIN_RUN:
            return None
        return f"not run: no time left of the {_seconds(self.budget.seconds)} budget for all gates"

    def exceeded(self) -> str:
        if not self.cut():
            return f"timed out after {_seconds(self.seconds)}"
        return (
            f"timed out after {_seconds(round(self.seconds, 1))}, what was left of the "
            f"{_seconds(self.budget.seconds if self.budget else 0)} budget for all gates"
        )


class _Output:
    """A command's merged output: hashed whole, its head and tail kept, split into lines for
    `on_line`, copied to a log file capped at LOG_CAP bytes."""

    def __init__(self, path: Path | None, on_line: LineSink | None) -> None:
        self.digest = hashlib.sha256()
        self.size = 0
        self.eof = False
        self.error: str | None = None
        self._head = bytearray()
        self._tail = bytearray()  # what came after the head; trimmed to about TAIL_BYTES
        self._pending = bytearray()
        self._on_line = on_line
        self._path = path
        self._file: IO[bytes] | None = None
        self._logged = 0

    def __enter__(self) -> _Output:
        if self._path is not None:
            try:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self._path.open("wb")
            except OSError as exc:
                self.error = f"cannot start: cannot write its output to {self._path}: {exc}"
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
        if self._file is not None:
            self._finish_log(self._file)
            self._file.close()

    def feed(self, chunk: bytes) -> None:
        """Take the next chunk read from the pipe; an empty chunk means end of file."""
        if not chunk:
            self.close()
            return
        self.digest.update(chunk)
        self.size += len(chunk)
        self._keep(chunk)
        self._log(chunk)
        if self._on_line is not None:
            self._split(chunk)

    def close(self) -> None:
        """No more output will be read: pass on a last line that had no newline."""
        self.eof = True
        if self._pending:
            self._emit(self._pending)
            self._pending = bytearray()

    def text(self) -> str:
        """The output for the parsers: all of it, or its head, a marker line and its tail."""
        head, omitted, tail = self._kept()
        middle = _omitted_marker(omitted) if omitted else b""
        return (head + middle + tail).decode("utf-8", "replace")

    def tail(self) -> str:
        """The last TAIL_LINES lines, each cut at TAIL_LINE_CHARS characters."""
        head, omitted, tail = self._kept()
        lines = (tail if omitted else head + tail).split(b"\n")
        if lines[-1] == b"":
            lines.pop()  # the output ended with a newline
        return "\n".join(_line(raw)[:TAIL_LINE_CHARS] for raw in lines[-TAIL_LINES:])

    def _kept(self) -> tuple[bytes, int, bytes]:
        """(head, bytes omitted between them, tail)."""
        tail = bytes(self._tail[-TAIL_BYTES:])
        return bytes(self._head), self.size - len(self._head) - len(tail), tail

    def _keep(self, chunk: bytes) -> None:
        room = HEAD_BYTES - len(self._head)
        if room > 0:
            self._head += chunk[:room]
            chunk = chunk[room:]
        self._tail += chunk
        if len(self._tail) > 2 * TAIL_BYTES:
            del self._tail[:-TAIL_BYTES]

    def _log(self, chunk: bytes) -> None:
        room = LOG_CAP - self._logged
        if self._file is None or room <= 0:
            return
        self._file.write(chunk[:room])
        self._file.flush()
        self._logged += min(room, len(chunk))

    def _finish_log(self, file: IO[bytes]) -> None:
        """Past LOG_CAP, the log becomes its start, a marker line and the output's tail."""
        if self.size <= self._logged:
            return
        tail = bytes(self._tail[-TAIL_BYTES:])
        marker = _omitted_marker(self.size - _LOG_HEAD - len(tail))
        file.seek(_LOG_HEAD)
        file.truncate()
        file.write(marker + tail)

    def _split(self, chunk: bytes) -> None:
        self._pending += chunk
        if b"\n" in chunk:
            *lines, rest = self._pending.split(b"\n")
            self._pending = bytearray(rest)
            for line in lines:
                self._emit(line)
        while len(self._pending) > LINE_CAP:
            self._emit(self._pending[:LINE_CAP])
            del self._pending[:LINE_CAP]

    def _emit(self, raw: bytes | bytearray) -> None:
        if self._on_line is not None:
            self._on_line(_line(raw))


def _line(raw: bytes | bytearray) -> str:
    return raw.decode("utf-8", "replace").removesuffix("\r")


def _omitted_marker(count: int) -> bytes:
    return f"\n\u2026 {count} bytes omitted \u2026\n".encode()


def _execute(command: str, workdir: Path, limit: _Limit, output: _Output) -> _Run:
    try:
        proc = subprocess.Popen(
            _watched(jail.wrapped(["/bin/sh", "-c", command], str(workdir))),
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        return _Run(None, False, f"cannot start: {exc}")
    assert proc.stdout is not None
    _RUNNING.add(proc.pid)
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            return _supervise(proc, selector, output, limit)
    except BaseException:
        _signal_group(proc.pid, signal.SIGKILL)  # interrupted, or on_line raised
        proc.wait()
        raise
    finally:
        _RUNNING.discard(proc.pid)
        proc.stdout.close()


def _watched(argv: list[str]) -> list[str]:
    """`argv` under the watchdog, which kills the gate's process group if this process dies."""
    if not sys.executable or not _WATCHDOG.is_file():
        return argv  # an embedded interpreter: run unwatched rather than not at all
    return [sys.executable, "-I", "-S", str(_WATCHDOG), str(os.getpid()), *argv]


def _supervise(
    proc: subprocess.Popen[bytes], selector: selectors.BaseSelector, output: _Output, limit: _Limit
) -> _Run:
    """Read output until the command exits or times out; then stop whatever is left of its group."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()

    def pump(seconds: float, done: Callable[[], bool]) -> bool:
        return _pump(selector, fd, output, time.monotonic() + seconds, done)

    exited = pump(limit.seconds, lambda: proc.poll() is not None)
    if exited:
        pump(EXIT_GRACE, lambda: output.eof)
    _stop_group(proc, pump)
    pump(EXIT_GRACE, lambda: output.eof)
    output.close()
    if not exited:
        return _Run(None, True, limit.exceeded())
    return _Run(proc.returncode, False, _exit_error(proc.returncode, output))


def _exit_error(code: int, output: _Output) -> str | None:
    """The shell's exit codes for a command it could not run (126, 127): it never started."""
    reason = _SHELL_EXITS.get(code)
    if reason is None:
        return None
    last = output.tail().rsplit("\n", 1)[-1].strip()
    return f"cannot start: {reason} (exit {code}): {last}" if last else f"cannot start: {reason}"


def _pump(
    selector: selectors.BaseSelector,
    fd: int,
    output: _Output,
    until: float,
    done: Callable[[], bool],
) -> bool:
    """Copy output until `done()` (True) or the deadline (False); never blocks past the deadline."""
    while not done():
        left = until - time.monotonic()
        if left <= 0:
            return False
        if output.eof:
            time.sleep(min(left, _POLL))
        elif selector.select(min(left, _POLL)):
            output.feed(os.read(fd, 65536))
    return True


def _stop_group(proc: subprocess.Popen[bytes], pump: _Pump) -> None:
    """Kill what is left of the command's process group: SIGTERM, then SIGKILL if it lingers."""

    def gone() -> bool:
        proc.poll()  # reap the leader, or the group never looks empty
        return not _group_alive(proc.pid)

    if gone():
        return
    _signal_group(proc.pid, signal.SIGTERM)
    if not pump(KILL_AFTER, gone):
        _signal_group(proc.pid, signal.SIGKILL)
        pump(EXIT_GRACE, gone)


def _group_alive(pgid: int) -> bool:
    """Whether a process of the group still runs. Zombies do not count: an orphan's zombie waits
    for init to reap it, which some container inits do late or never."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        entries = os.listdir("/proc")
    except OSError:
        return True  # no /proc: trust kill(0)
    return any(_running_in_group(entry, pgid) for entry in entries if entry.isdigit())


def _running_in_group(pid: str, pgid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            state, _parent, group = stat.read().rsplit(b")", 1)[1].split()[:3]
    except (OSError, ValueError):
        return False  # gone while we looked
    return state != b"Z" and group == str(pgid).encode()


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass  # the group is gone, or the pgid was reused by a process we may not touch


def _invalid_reason(gate: Mapping[str, Any], kind: str, workdir: Path) -> str | None:
    if kind not in gatekinds.KINDS:
        return f"cannot start: unknown gate kind {kind!r} (one of {', '.join(gatekinds.KINDS)})"
    if not str(gate.get("command") or "").strip():
        return "cannot start: the gate has no command"
    if not workdir.is_dir():
        return f"cannot start: working directory {workdir} does not exist"
    return None


def _summary(
    gate: Mapping[str, Any], kind: str, workdir: Path, run: _Run, output: str, *, stale_report: bool
) -> dict[str, Any]:
    """The kind's reading of the output; never `ok` for a run that timed out or did not start."""
    if run.error is not None and not run.timed_out:
        return {"ok": False}
    if stale_report:
        return {"ok": False, "error": f"this run did not rewrite its report {gate['report']}"}
    summary = gatekinds.summarize(kind, output, gate, workdir, run.exit_code)
    return {**summary, "ok": False} if run.timed_out else summary


def _suggestion(gate: Mapping[str, Any], run: _Run, summary: Mapping[str, Any], limit: _Limit) -> str:
    """The next step after a failure, in one line."""
    rerun = f"orch gate {gate['task']}" if gate.get("task") else "orch gate"
    kind = gatekinds.kind_of(gate)
    if limit.budget is not None and ((run.timed_out and limit.cut()) or limit.refusal()):
        return (
            f"the gates need more than the {_seconds(limit.budget.seconds)} this check allows: "
            f"make them faster, or run {rerun}, which has no overall budget"
        )
    if run.timed_out:
        limit_text = _seconds(limit.timeout)
        return f"the gate timed out after {limit_text}: make it faster or raise its timeout in the plan"
    if run.error is not None:
        return f"{run.error}: fix the gate's command or cwd in the plan, then run {rerun}"
    if not summary["ok"]:
        return gatekinds.suggest(kind, summary, rerun)
    code = run.exit_code
    return f"the command exited with {code}: fix what the output above shows, then run {rerun}"


def _report_stamp(gate: Mapping[str, Any], workdir: Path) -> tuple[int, int, int] | None:
    """Identity of the gate's report file, to tell a fresh report from one left by an older run."""
    if not gate.get("report"):
        return None
    try:
        stat = (workdir / str(gate["report"])).stat()
    except OSError:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _timeout(gate: Mapping[str, Any]) -> float:
    value = gate.get("timeout")
    return DEFAULT_TIMEOUT if value is None else float(value)


def _seconds(value: float) -> str:
    return f"{value:g}s"


def _log_name(index: int, gate: Mapping[str, Any]) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", str(gate.get("name", ""))).strip("-.")
    return f"{index:02d}-{slug or 'gate'}.log"
