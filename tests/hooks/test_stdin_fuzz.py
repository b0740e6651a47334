"""Fuzz the hook's stdin: whatever Claude Code (or a broken pipe) sends, the hook answers.

Each case starts from a captured payload (`tests/fixtures/payloads`), pointed at a repo set up
with `orch init` and a plan, then damaged: truncated at every 7th byte, one byte flipped, a key
given the wrong type, a string made 1-10 MB long, 10,000 levels of nesting, NUL bytes, lone
surrogates, a byte-order mark, bytes that are not UTF-8, stdin left open. The bulk runs through
`entry.main` in this process (stdin a file); a sample, and every case that leaves stdin open,
runs as the real hook process (where `json` is not imported, so a failure of the bare `_json`
scanner shows there, not in this process). The answer must always be: exit 0, stdout empty or one JSON
object with only keys Claude Code knows, no traceback, within the deadline.
"""

from __future__ import annotations

import io
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from orchestrator.hooks import entry
from tests.conftest import Orch, hook_command
from tests.hooks.conftest import PAYLOADS

EVENTS = ("PreToolUse", "PostToolUse", "Stop", "SessionStart", "SessionEnd")
TOP_KEYS = {"continue", "suppressOutput", "stopReason", "decision", "reason", "systemMessage",
            "hookSpecificOutput"}
SPECIFIC_KEYS = {"hookEventName", "permissionDecision", "permissionDecisionReason", "additionalContext",
                 "updatedInput"}
WRONG_TYPES: list[Any] = [None, 7, -1.5, True, "x", "", [], ["x", 1], {}, {"a": {"b": None}}]
BAD_TEXT = ["\x00", "\ud800", "\udcff", "\ufeff", "\x00\ud800", "\u202e"]
MB = 1024 * 1024
SEED = 20261207
IN_PROCESS_LIMIT = 5.0  # seconds; the stdin deadline is 3 s and Claude Code's hook timeout 60 s
HANG = 20.0  # seconds after which an in-process run is interrupted and counted as a hang
SUBPROCESS_TIMEOUT = 15.0
SUBPROCESS_SAMPLE = 110

Case = tuple[str, str, bytes]  # (label, event, stdin)


def test_hook_stdin_fuzz(planned: Path, orch: Orch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the boundary's log when there is no repo
    writer = json.loads((PAYLOADS / "PreToolUse.Write.json").read_text())["session_id"]
    assert orch("start", "A", "--agent", writer)[0] == 0  # so bindings, ownership and leases run too
    rng = random.Random(SEED)
    cases = list(_cases(_bases(planned), rng))
    assert len(cases) > 2000
    failures = [f"{label}: {problem}" for label, event, raw in cases
                if (problem := _in_process(event, raw, tmp_path))]
    sample = rng.sample(cases, SUBPROCESS_SAMPLE) + list(_left_open(_bases(planned)))
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = pool.map(lambda case: (case[0], _as_process(case, env)), sample)
        failures += [f"{label} (process): {problem}" for label, problem in results if problem]
    assert not failures, f"{len(failures)} of {len(cases) + len(sample)} cases:\n" + "\n".join(failures[:30])


# -- the cases --------------------------------------------------------------------------------


def _bases(planned: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """Every captured payload, its paths moved into `planned`, with the event to run it as."""
    result = []
    for index, path in enumerate(sorted(PAYLOADS.glob("*.json"))):
        text = path.read_text().replace("/home/dev/project", str(planned))
        data = json.loads(text)
        event = data["hook_event_name"] if data["hook_event_name"] in EVENTS else EVENTS[index % len(EVENTS)]
        result.append((path.stem, event, data))
    write = next(data for name, _event, data in result if name == "PreToolUse.Write")
    for name, rel in (("Write.config", ".orch/config.json"), ("Write.design", "docs/design.md"),
                      ("Write.backend", "src/api/x.py")):
        result.append((name, "PreToolUse", {**write, "tool_input": {"file_path": str(planned / rel),
                                                                     "content": "{}"}}))
    return result


def _cases(bases: list[tuple[str, str, dict[str, Any]]], rng: random.Random) -> Iterator[Case]:
    for name, event, data in bases:
        raw = json.dumps(data).encode()
        for other in EVENTS:
            yield f"{name} as {other}", other, raw
        for end in range(0, len(raw), 7):
            yield f"{name}[:{end}]", EVENTS[end % len(EVENTS)], raw[:end]
        for where in rng.sample(range(len(raw)), min(40, len(raw))):
            flipped = raw[:where] + bytes([rng.randrange(256)]) + raw[where + 1 :]
            yield f"{name} byte {where} flipped", event, flipped
        yield from _wrong_types(name, event, data, rng)
        yield from _bad_text(name, event, data, rng)
        yield f"{name} with BOM", event, b"\xef\xbb\xbf" + raw
        yield f"{name} latin-1", event, _latin1(data)
    yield from _monsters(bases, rng)


def _wrong_types(name: str, event: str, data: dict[str, Any], rng: random.Random) -> Iterator[Case]:
    for key, value in list(data.items()) + [(f"tool_input.{k}", v) for k, v in _tool_input(data).items()]:
        for wrong in rng.sample(WRONG_TYPES, 4):
            if type(wrong) is not type(value):
                yield f"{name} {key}={wrong!r}", event, _dumps(_with(data, key, wrong))


def _bad_text(name: str, event: str, data: dict[str, Any], rng: random.Random) -> Iterator[Case]:
    texts = [(k, v) for k, v in data.items() if isinstance(v, str)]
    texts += [(f"tool_input.{k}", v) for k, v in _tool_input(data).items() if isinstance(v, str)]
    for key, value in texts:
        bad = rng.choice(BAD_TEXT)
        at = rng.randrange(len(value) + 1)
        yield f"{name} {key} with {bad!r}", event, _dumps(_with(data, key, value[:at] + bad + value[at:]))
    yield f"{name} raw surrogate bytes", event, _dumps(data).replace(b'"', b'"\xed\xa0\x80', 1)


def _monsters(bases: list[tuple[str, str, dict[str, Any]]], rng: random.Random) -> Iterator[Case]:
    """Huge strings in each kind of field, and nesting far deeper than the parser's stack."""
    chosen = {name: (event, data) for name, event, data in bases
              if name in {"PreToolUse.Write", "PreToolUse.Bash", "PostToolUse.Write", "Stop.first",
                          "SessionStart", "SessionEnd", "Write.config"}}
    for name, (event, data) in chosen.items():
        keys = ["cwd", "session_id", *(f"tool_input.{k}" for k in _tool_input(data))]
        for key in keys:
            size = rng.choice([1, 2, 5, 10]) * MB
            filler = rng.choice(["a", "a/", "}", "é", "../"])
            huge = filler * (size // len(filler))
            yield f"{name} {key} of {size // MB} MB", event, _dumps(_with(data, key, huge))
    deep = b'{"a":[' * 5_000 + b"[" * 5_000 + b"0" + b"]" * 5_000 + b"]}" * 5_000
    for name, (event, data) in list(chosen.items())[:3]:
        nested = _dumps(_with(data, "tool_input", "DEEP")).replace(b'"DEEP"', deep)
        yield f"{name} tool_input nested 10,000 deep", event, nested
        yield f"{name} stdin nested 10,000 deep", event, b"[" * 10_000 + b"]" * 10_000
        yield f"{name} unclosed 10,000 deep", event, b'{"a":' * 10_000


def _left_open(bases: list[tuple[str, str, dict[str, Any]]]) -> Iterator[Case]:
    """Stdin never closed: a complete object must be answered at once, the rest at the deadline."""
    for name, event, data in bases[:: max(1, len(bases) // 4)]:
        raw = json.dumps(data).encode()
        yield f"open: {name} complete", event, raw
        yield f"open: {name} truncated", event, raw[: len(raw) // 2]
    yield "open: nothing", "PreToolUse", b""


def _latin1(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False).replace("e", "\xe9").encode("latin-1", "replace")


def _tool_input(data: dict[str, Any]) -> dict[str, Any]:
    value = data.get("tool_input")
    return value if isinstance(value, dict) else {}


def _with(data: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    copy = dict(data)
    if key.startswith("tool_input."):
        copy["tool_input"] = {**_tool_input(data), key.split(".", 1)[1]: value}
    else:
        copy[key] = value
    return copy


def _dumps(data: Any) -> bytes:
    return json.dumps(data).encode()


# -- running one case -------------------------------------------------------------------------


def _in_process(event: str, raw: bytes, tmp_path: Path) -> str | None:
    """Run `entry.main` with `raw` as stdin (a file, so it is read to its end at once)."""
    stdin = tmp_path / "stdin"
    stdin.write_bytes(raw)
    out, err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), io.StringIO()
    saved = sys.stdin, sys.stdout, sys.stderr
    started = time.monotonic()
    with open(stdin, "rb") as handle:
        sys.stdin, sys.stdout, sys.stderr = handle, out, err  # type: ignore[assignment]
        previous = signal.signal(signal.SIGALRM, _hung)
        signal.setitimer(signal.ITIMER_REAL, HANG)
        try:
            code = entry.main([event])
        except BaseException as exc:  # noqa: BLE001 - the very thing this test looks for
            return f"raised {type(exc).__name__}: {exc}"[:300]
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            sys.stdin, sys.stdout, sys.stderr = saved
    took = time.monotonic() - started
    out.flush()
    text = out.buffer.getvalue().decode("utf-8")  # type: ignore[attr-defined]
    if took > IN_PROCESS_LIMIT:
        return f"took {took:.1f}s"
    return _bad_answer(code, text, err.getvalue())


class Hung(BaseException):
    """Raised by the alarm in a hook run that takes too long (not an Exception: the hook's error
    boundary must not swallow it)."""


def _hung(_signum: int, _frame: object) -> None:
    raise Hung(f"still running after {HANG:.0f}s")


def _as_process(case: Case, env: dict[str, str]) -> str | None:
    """Run the real hook process; stdin is closed after writing unless the label says open."""
    label, event, raw = case
    proc = subprocess.Popen([*hook_command(), event], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    try:
        if label.startswith("open:"):
            proc.stdin.write(raw)
            proc.stdin.flush()
            out, err = proc.stdout.read(), proc.stderr.read()  # EOF: the hook has exited
            code = proc.wait(timeout=SUBPROCESS_TIMEOUT)
        else:
            out, err = proc.communicate(raw, timeout=SUBPROCESS_TIMEOUT)
            code = proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return "hung"
    finally:
        if not proc.stdin.closed:
            proc.stdin.close()
        proc.stdout.close()
        proc.stderr.close()
    return _bad_answer(code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))


def _bad_answer(code: int, out: str, err: str) -> str | None:
    if code != 0:
        return f"exit {code}: {err[-300:]}"
    if "Traceback" in out or "Traceback" in err:
        return f"traceback: {(out + err)[-300:]}"
    if not out:
        return None
    try:
        answer = json.loads(out)
    except ValueError:
        return f"stdout is not one JSON document: {out[:200]!r}"
    if not isinstance(answer, dict) or not set(answer) <= TOP_KEYS:
        return f"unknown answer keys: {out[:200]}"
    specific = answer.get("hookSpecificOutput", {})
    if not isinstance(specific, dict) or not set(specific) <= SPECIFIC_KEYS:
        return f"unknown hookSpecificOutput keys: {out[:200]}"
    return None
