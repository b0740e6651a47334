"""Hostile hook stdin is a decision, never a crash: big payloads, byte-order marks, bytes that are
not UTF-8, JSON that is not an object, mistyped keys, NUL bytes and lone surrogates in paths."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from orchestrator import paths
from tests.conftest import Orch, hook_command
from tests.hooks.conftest import payload, run_hook

BIG = 10 * 1024 * 1024


def _config_write(planned: Path, content: str = "x", **changes: Any) -> dict[str, Any]:
    data = payload(
        "PreToolUse.Write",
        cwd=str(planned),
        tool_input={"file_path": str(planned / ".orch/config.json"), "content": content},
    )
    data.update(changes)
    return data


def _feed(
    data: bytes, *, close: bool, cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[int, str, str, float]:
    """Run the PreToolUse hook, writing `data` to its stdin and closing it only if `close`."""
    proc = subprocess.Popen(
        [*hook_command(), "PreToolUse"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    started = time.monotonic()
    proc.stdin.write(data)
    proc.stdin.flush()
    if close:
        proc.stdin.close()
    try:
        code = proc.wait(timeout=15)
    finally:
        if not proc.stdin.closed:
            proc.stdin.close()
    took = time.monotonic() - started
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    proc.stdout.close()
    proc.stderr.close()
    assert "Traceback" not in out
    return code, out, err, took


def _decision(out: str) -> str | None:
    specific: dict[str, str] = json.loads(out).get("hookSpecificOutput", {}) if out.strip() else {}
    return specific.get("permissionDecision")


def test_a_write_larger_than_one_read_is_checked(planned: Path) -> None:
    """70 KB: more than one 64 KB pipe read; the first partial parse used to crash the hook."""
    run = run_hook("PreToolUse", _config_write(planned, "x" * 70_000))
    assert run.code == 0 and run.denied and ".orch/config.json" in run.denied


@pytest.mark.parametrize("close", [True, False], ids=["closed", "left-open"])
def test_a_10_mb_write_is_read_whole_and_checked(planned: Path, close: bool) -> None:
    code, out, _err, took = _feed(json.dumps(_config_write(planned, "y" * BIG)).encode(), close=close)
    assert code == 0 and _decision(out) == "deny"
    assert took < 2.5, "a complete object ends the read without waiting for the deadline"


def _trickle(parts: list[bytes], pause: float) -> tuple[str, float, float]:
    """Feed the PreToolUse hook `parts` with pauses, never closing stdin: (stdout, seconds from the
    last write to the answer, the hook's CPU seconds)."""
    proc = subprocess.Popen([*hook_command(), "PreToolUse"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    assert proc.stdin is not None and proc.stdout is not None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for part in parts:
        try:
            proc.stdin.write(part)
            proc.stdin.flush()
        except BrokenPipeError:  # the hook answered before reading it all (at its deadline)
            break
        time.sleep(pause)
    written = time.monotonic() - pause
    out = proc.stdout.read().decode()
    answered = time.monotonic() - written
    proc.wait(timeout=10)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    with contextlib.suppress(BrokenPipeError):
        proc.stdin.close()
    proc.stdout.close()
    return out, answered, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def test_a_10_mb_write_trickling_in_is_not_reparsed_after_every_chunk(planned: Path) -> None:
    """Every 64 KB piece ends with `}` and the reader catches up after each: a parse after each
    would cost seconds of CPU (quadratic); a complete object still ends the read at once."""
    data = json.dumps(_config_write(planned, "}" * BIG)).encode()
    out, answered, cpu = _trickle([data[at : at + 65536] for at in range(0, len(data), 65536)], 0.002)
    assert _decision(out) == "deny"
    assert answered < 1.5 and cpu < 1.5, (answered, cpu)


def test_an_object_completed_by_a_small_last_write_is_answered_without_the_deadline(planned: Path) -> None:
    data = json.dumps(_config_write(planned, "}" * 200_000)).encode()
    out, answered, _cpu = _trickle([data[:-1000], data[-1000:]], 0.2)
    assert _decision(out) == "deny" and answered < 1.5


def test_a_byte_order_mark_is_skipped(planned: Path) -> None:
    data = b"\xef\xbb\xbf" + json.dumps(_config_write(planned)).encode()
    code, out, _err, _took = _feed(data, close=True)
    assert code == 0 and _decision(out) == "deny"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b'{"cwd": "\xff\xfe"}', "not UTF-8"),
        (b"[1, 2]", "a JSON array, not an object"),
        (b'"PreToolUse"', "a JSON string, not an object"),
        (b"null", "a JSON null, not an object"),
        (b"   \n", "empty"),
        (b"[" * 10_000, "nested too deeply"),
        (b'{"tool_input": {"content": "truncated', "not valid JSON"),
    ],
)
def test_input_that_is_not_an_object_is_named_in_the_warning(planned: Path, raw: bytes, problem: str) -> None:
    code, out, err, _took = _feed(raw, close=True, cwd=planned)
    assert code == 0 and problem in json.loads(out)["systemMessage"]
    assert err.count("\n") == 1 and "hook error" not in err


def test_strict_mode_denies_unreadable_input(planned: Path, orch: Orch) -> None:
    assert orch("config", "policy.strict", "true")[0] == 0
    code, out, _err, _took = _feed(b'{"tool_name": "Write", "tool_input": {', close=True, cwd=planned)
    assert code == 0 and _decision(out) == "deny"


WRONG_TYPES = [None, 5, 1.5, True, "x", [], ["x"], {}, {"a": 1}]
KEYS = ["hook_event_name", "session_id", "agent_id", "cwd", "tool_name", "tool_input", "stop_hook_active",
        "source", "reason", "transcript_path", "permission_mode"]


@pytest.mark.parametrize("key", KEYS)
def test_every_key_with_a_wrong_type_is_a_decision(planned: Path, key: str) -> None:
    for value in WRONG_TYPES:
        for event, name in (("PreToolUse", "PreToolUse.Write"), ("Stop", "Stop.first")):
            data = payload(name, cwd=str(planned))
            data[key] = value
            run = run_hook(event, data)
            assert run.code == 0 and "hook error" not in run.stderr, (key, value, run.stderr)
            assert not run.stdout or isinstance(run.json, dict)


@pytest.mark.parametrize("bad", ["\x00", "\ud800", "a/" * 500_000], ids=["nul", "surrogate", "1-mb"])
def test_an_unusable_cwd_falls_back_to_the_project_dir(planned: Path, tmp_path: Path, bad: str) -> None:
    """Such a cwd used to resolve to no repo at all: orch was silently off for the call."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    data = json.dumps(_config_write(planned, cwd=f"/{bad}{planned}")).encode()
    env = {**os.environ, "CLAUDE_PROJECT_DIR": str(planned)}
    code, out, _err, took = _feed(data, close=True, cwd=elsewhere, env=env)
    assert code == 0 and _decision(out) == "deny"
    assert took < 5


WRITES = [("Write", "file_path"), ("Edit", "file_path"), ("NotebookEdit", "notebook_path")]
UNUSABLE = [("\x00", "a NUL byte"), ("\ud800", "an unencodable character")]


def _unusable_write(planned: Path, tool: str, key: str, bad: str) -> dict[str, Any]:
    return payload("PreToolUse.Write", cwd=str(planned), tool_name=tool,
                   tool_input={key: str(planned / f"docs/de{bad}sign.md"), "content": "x"})


@pytest.mark.parametrize(("tool", "key"), WRITES)
@pytest.mark.parametrize(("bad", "reason"), UNUSABLE, ids=["nul", "surrogate"])
def test_a_write_to_a_path_that_cannot_exist_is_denied(
    planned: Path, tool: str, key: str, bad: str, reason: str
) -> None:
    """Its target cannot be known, so it cannot be allowed (today through the error boundary)."""
    run = run_hook("PreToolUse", _unusable_write(planned, tool, key, bad))
    assert run.code == 0 and run.denied and f"orch cannot check a path containing {reason}" in run.denied


def test_a_1_mb_path_resolves_in_linear_time(repo: Path) -> None:
    """realpath resolves component by component: quadratic, minutes for half a million of them.
    A path past PATH_MAX cannot be opened anyway, so it is normalised lexically."""
    started = time.monotonic()
    rel = paths.repo_relative(str(repo), "a/" * 500_000 + "../" * 500_000 + ".orch/config.json", str(repo))
    assert rel == ".orch/config.json"
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("bad", "reason"),
    [*UNUSABLE, ("x" * 5000, "more than 4096 characters")],
    ids=["nul", "surrogate", "long"],
)
def test_pretool_denies_an_unusable_path_before_touching_it(planned: Path, bad: str, reason: str) -> None:
    run = run_hook("PreToolUse", _unusable_write(planned, "Write", "file_path", bad))
    assert run.denied and reason in run.denied
    assert "hook error" not in run.stderr
