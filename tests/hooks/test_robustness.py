"""Bad input never breaks Claude Code: garbage, stdin left open, unknown events, no .orch/, kill switch."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import hook_command
from tests.hooks.conftest import PAYLOADS, payload, run_hook


@pytest.mark.parametrize("name", sorted(p.stem for p in PAYLOADS.glob("*.json")))
def test_every_real_payload_in_a_repo_without_orch_is_a_silent_no(repo: Path, name: str) -> None:
    data = payload(name, cwd=str(repo))
    run = run_hook(data.get("hook_event_name", "Unknown"), data)
    assert (run.code, run.stdout) == (0, "")


@pytest.mark.parametrize("garbage", ["", "not json", "[1, 2]", '{"hook_event_name": ', "\x00\xff"])
def test_garbage_stdin_fails_open_with_one_line_warning(planned: Path, garbage: str) -> None:
    run = run_hook("PreToolUse", garbage)
    assert run.code == 0
    assert set(run.json) == {"systemMessage"} and run.json["systemMessage"].startswith("orch: ")
    assert len(run.stderr.strip().splitlines()) == 1


def test_stdin_left_open_after_a_complete_object_answers_at_once(planned: Path) -> None:
    proc = subprocess.Popen(
        [*hook_command(), "PreToolUse"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None
    data = payload(
        "PreToolUse.Write",
        cwd=str(planned),
        tool_input={"file_path": str(planned / ".orch/config.json"), "content": "x"},
    )
    started = time.monotonic()
    proc.stdin.write(json.dumps(data))
    proc.stdin.flush()
    out, _err = _read_without_closing(proc)
    assert time.monotonic() - started < 2.5
    assert json.loads(out)["hookSpecificOutput"]["permissionDecision"] == "deny"


def _read_without_closing(proc: subprocess.Popen[str]) -> tuple[str, str]:
    assert proc.stdout is not None and proc.stderr is not None
    proc.wait(timeout=10)
    out = proc.stdout.read()
    err = proc.stderr.read()
    assert proc.stdin is not None
    proc.stdin.close()
    return out, err


def test_stdin_left_open_and_empty_gives_up_at_the_deadline(planned: Path) -> None:
    proc = subprocess.Popen(
        [*hook_command(), "PreToolUse"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=planned,
    )
    started = time.monotonic()
    out, _err = _read_without_closing(proc)
    assert time.monotonic() - started < 6
    assert "systemMessage" in json.loads(out)


def test_unknown_event_is_ignored(planned: Path) -> None:
    run = run_hook("Bogus", {"hook_event_name": "Bogus", "cwd": str(planned)})
    assert (run.code, run.stdout) == (0, "")


def test_kill_switch(planned: Path) -> None:
    data = payload(
        "PreToolUse.Write",
        cwd=str(planned),
        tool_input={"file_path": str(planned / ".orch/config.json"), "content": "x"},
    )
    env = {**os.environ, "ORCH_DISABLE": "1"}
    run = run_hook("PreToolUse", data, env=env)
    assert (run.code, run.stdout) == (0, "")
