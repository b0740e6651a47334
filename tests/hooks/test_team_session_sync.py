"""Team mode's only network use from a hook: with `sync.on_session`, SessionStart and SessionEnd
start `orch sync` in the background and answer at once; off (the default) they start nothing."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.conftest import git
from tests.hooks.conftest import payload, run_hook
from tests.unit.teamrepos import orch, status_of, team


def _env(machine: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("CLAUDE")}, "ORCH_MACHINE": machine}


def _wait_for(check: object, limit: float = 30) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def test_session_end_starts_a_background_sync_when_asked(tmp_path: Path) -> None:
    remote, (first, second) = team(tmp_path, 2)
    orch(first, "block", "A", "--reason", "waiting")
    before = git(remote, "rev-parse", "main")
    ended = run_hook("SessionEnd", payload("SessionEnd", cwd=str(first), session_id="s1"), env=_env("m0"))
    assert ended.code == 0
    time.sleep(1)
    assert git(remote, "rev-parse", "main") == before  # off by default: nothing was pushed
    orch(first, "config", "sync.on_session", "true")
    started = time.monotonic()
    ended = run_hook("SessionEnd", payload("SessionEnd", cwd=str(first), session_id="s2"), env=_env("m0"))
    assert ended.code == 0 and time.monotonic() - started < 5
    assert _wait_for(lambda: git(remote, "rev-parse", "main") != before)
    orch(second, "config", "sync.on_session", "true")  # its config is its own until it syncs
    run_hook("SessionStart", payload("SessionStart", cwd=str(second), session_id="s3"), env=_env("m1"))
    assert _wait_for(lambda: status_of(second, "A") == "blocked")
