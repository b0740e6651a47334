"""What the tasks-folder monitor spares, and that nothing it spares can hide a change: the hooks'
index refreshed from the files it names (no stat of every file), and the snapshots' fingerprint
remembered while it names no change (`fsmonitor.memo`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator import paths, snapshot
from orchestrator.fsmonitor import client, memo
from orchestrator.hooks import index, indexfiles
from tests.conftest import Orch
from tests.unit.test_fsmonitor import start_monitor

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux only")


@pytest.fixture
def monitored(planned: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """(state folder, runtime folder) of the planned repo, its tasks folder monitored."""
    monkeypatch.setenv(client.ENV, "1")
    state, runtime = str(planned / ".orch"), paths.runtime_dir(planned)
    proc = start_monitor(planned / ".orch" / "tasks", Path(paths.worktree_dir(state, runtime)))
    yield state, runtime
    client.stop(os.path.join(state, "tasks"))
    proc.wait(timeout=5)


def _stopped(tasks: str) -> None:
    """Stop the folder's monitor and wait until nothing answers (its socket goes with it)."""
    client.stop(tasks)
    deadline = time.monotonic() + 10
    while client.changes(tasks, None) is not None:
        assert time.monotonic() < deadline, "the monitor did not stop"
        time.sleep(0.02)


def _no_pass(*_args: Any) -> Any:
    raise AssertionError("a stat of every task file was taken")


def _rewrite(state: str, task_id: str, **changes: Any) -> None:
    """Replace a task file as `git checkout` does (unlink, create), its folder dated back so the
    new stamp is not waited out."""
    path = Path(state, "tasks", f"{task_id}.json")
    task = json.loads(path.read_text()) | changes
    path.unlink()
    path.write_text(json.dumps(task))
    settled = time.time_ns() - 10**9
    os.utime(path.parent, ns=(settled, settled))


def _owner_ids(state: str, runtime: str, rel: str) -> list[str]:
    return sorted(entry[1] for entry in index.owners(rel, state, runtime))


def test_after_an_outside_change_the_index_reads_only_the_files_named(
        monitored: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    state, runtime = monitored
    assert _owner_ids(state, runtime, "src/api/x.py") == ["B"]
    _rewrite(state, "B", status="queued")  # an outside change with no token yet: a stat of every file
    assert _owner_ids(state, runtime, "src/api/x.py") == ["B"]
    current = json.loads(Path(index.index_dir(state, runtime), "current").read_text())
    assert len(current) == 3, "the refresh did not keep the monitor's token"
    _rewrite(state, "B", files=["lib/*.py"])
    _rewrite(state, "C", status="cancelled")
    monkeypatch.setattr(indexfiles, "_signatures", _no_pass)
    monkeypatch.setattr(indexfiles, "_entries", _no_pass)
    assert _owner_ids(state, runtime, "src/api/x.py") == []
    assert _owner_ids(state, runtime, "lib/y.py") == ["B"]
    assert _owner_ids(state, runtime, "web/app.js") == []


def test_a_monitor_killed_between_two_changes_costs_a_pass_never_a_missed_change(
        monitored: tuple[str, str]) -> None:
    state, runtime = monitored
    assert _owner_ids(state, runtime, "src/api/x.py") == ["B"]
    _stopped(os.path.join(state, "tasks"))
    _rewrite(state, "B", files=["lib/*.py"])
    proc = start_monitor(Path(state, "tasks"), Path(paths.worktree_dir(state, runtime)))
    try:
        assert _owner_ids(state, runtime, "lib/y.py") == ["B"]  # the new monitor cannot say: a pass
    finally:
        client.stop(os.path.join(state, "tasks"))
        proc.wait(timeout=5)


def test_a_read_with_nothing_changed_takes_no_pass(monitored: tuple[str, str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    state, runtime = monitored
    first = snapshot.fingerprint(state, runtime)
    assert first == snapshot.fingerprint(state)
    monkeypatch.setattr(snapshot, "stamp_of", _no_pass)
    assert snapshot.fingerprint(state, runtime) == first


def test_an_edit_in_place_is_seen_by_the_next_read(monitored: tuple[str, str], orch: Orch) -> None:
    state, _runtime = monitored
    assert orch("status", "--json")[0] == 0
    path = Path(state, "tasks", "A.json")
    text = path.read_text()
    assert '"Design"' in text
    time.sleep(0.05)  # past the clock tick of the last write
    with open(path, "r+") as handle:  # same size, same inode, the folder untouched
        handle.write(text.replace('"Design"', '"Dezign"'))
    code, out, _err = orch("status", "--json")
    assert code == 0 and "Dezign" in out


def test_after_a_write_verb_the_next_read_takes_no_pass(monitored: tuple[str, str], orch: Orch,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    assert orch("status", "--json")[0] == 0
    assert orch("start", "A")[0] == 0
    monkeypatch.setattr(snapshot, "stamp_of", _no_pass)
    code, out, err = orch("status", "--json")
    assert code == 0, err
    assert '"in_progress"' in out


def test_an_outside_change_during_a_write_verb_is_not_remembered_away(
        monitored: tuple[str, str], orch: Orch, monkeypatch: pytest.MonkeyPatch) -> None:
    state, _runtime = monitored
    assert orch("status", "--json")[0] == 0
    real = memo.moved

    def moved_after_an_outside_edit(*args: Any) -> str:  # inside the state lock, after the writes
        path = Path(state, "tasks", "D.json")
        path.write_text(path.read_text().replace('"Release"', '"Shipped"'))
        return real(*args)

    monkeypatch.setattr(memo, "moved", moved_after_an_outside_edit)
    assert orch("start", "A")[0] == 0
    monkeypatch.setattr(memo, "moved", real)
    code, out, _err = orch("status", "--json")
    assert code == 0 and "Shipped" in out


def test_the_session_start_hook_starts_the_monitor(planned: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import hook_command

    monkeypatch.setenv(client.ENV, "1")
    tasks = str(planned / ".orch" / "tasks")
    payload = {"session_id": "s1", "hook_event_name": "SessionStart", "source": "startup",
               "cwd": str(planned)}
    done = subprocess.run([*hook_command(), "SessionStart"], input=json.dumps(payload), text=True,
                          capture_output=True, cwd=planned, timeout=30)
    assert done.returncode == 0, done.stderr
    deadline = time.monotonic() + 10
    try:
        while client.changes(tasks, None) is None:
            assert time.monotonic() < deadline, "no monitor answered after SessionStart"
            time.sleep(0.05)
    finally:
        client.stop(tasks)


def test_doctor_says_whether_the_monitor_answers_and_why_not(monitored: tuple[str, str], orch: Orch,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    state, runtime = monitored
    code, out, _err = orch("doctor")
    assert "tasks-folder monitor: answering" in out, out
    _stopped(os.path.join(state, "tasks"))
    assert "tasks-folder monitor: not running" in orch("doctor")[1]
    Path(paths.worktree_dir(state, runtime), client.FAILED).write_text("2026-12-07T12:00:00Z OSError: "
                                                                      "[Errno 24] Too many open files\n")
    assert "could not start (2026-12-07T12:00:00Z OSError: [Errno 24]" in orch("doctor")[1]
    monkeypatch.setenv(client.ENV, "0")
    assert "tasks-folder monitor: off" in orch("doctor")[1]


def test_the_hook_asks_the_monitor_without_importing_socket_or_json(monitored: tuple[str, str],
                                                                     planned: Path) -> None:
    from tests.hooks.test_hot_path import _imported

    state, runtime = monitored
    assert _owner_ids(state, runtime, "src/api/x.py") == ["B"]  # an index with the monitor's token
    _rewrite(state, "B", status="queued")
    assert _owner_ids(state, runtime, "src/api/x.py") == ["B"]
    _rewrite(state, "C", status="queued")  # the next hook refreshes from the monitor's names
    data = {"session_id": "s1", "hook_event_name": "PreToolUse", "cwd": str(planned), "tool_name": "Write",
            "tool_input": {"file_path": str(planned / "src/api/x.py"), "content": "x"}}
    names = _imported("PreToolUse", data)
    assert "_socket" in names, "the hook did not ask the monitor"
    assert not names & {"socket", "json", "re", "selectors", "subprocess"}, sorted(names)


def test_doctor_takes_an_index_kept_against_a_token_for_a_sound_one(monitored: tuple[str, str],
                                                                     orch: Orch) -> None:
    state, runtime = monitored
    _rewrite(state, "B", status="queued")
    assert _owner_ids(state, runtime, "src/api/x.py") == ["B"]
    assert len(json.loads(Path(index.index_dir(state, runtime), "current").read_text())) == 3
    code, out, err = orch("doctor")
    assert code == 0 and "names no index generation" not in out + err, out + err
