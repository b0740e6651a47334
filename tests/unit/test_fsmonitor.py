"""The tasks-folder monitor (`orchestrator.fsmonitor`): the real process over a real folder, the
protocol, and when it must say "cannot say" instead of a list."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.fsmonitor import client, daemon

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux only")


def start_monitor(tasks: Path, worktree: Path) -> subprocess.Popen[bytes]:
    """The monitor process, once it answers."""
    proc = subprocess.Popen([sys.executable, "-m", "orchestrator.fsmonitor", str(tasks), str(worktree)])
    deadline = time.monotonic() + 10
    while client.changes(str(tasks), None) is None:
        assert proc.poll() is None and time.monotonic() < deadline, "the monitor did not start"
        time.sleep(0.02)
    return proc


@pytest.fixture
def watched(tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, subprocess.Popen[bytes]]]:
    monkeypatch.setenv(client.ENV, "1")
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    proc = start_monitor(tasks, tmp_path / "worktree")
    yield tasks, proc
    client.stop(str(tasks))
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_it_names_every_kind_of_change_since_a_token(watched: tuple[Path, subprocess.Popen[bytes]]) -> None:
    tasks, _proc = watched
    (tasks / "a.json").write_text("{}")
    (tasks / "b.json").write_text("{}")
    token, changed = client.changes(str(tasks), None) or ("", set())
    assert changed is None  # no token: it cannot say what changed before it was asked
    with open(tasks / "a.json", "r+") as handle:  # in place: same inode, the folder untouched
        handle.write("[]")
    os.replace(tasks / "b.json", tasks / "c.json")
    (tasks / ".c.json.9.tmp").write_text("x")
    os.unlink(tasks / ".c.json.9.tmp")
    os.utime(tasks)
    token2, changed = client.changes(str(tasks), token) or ("", set())
    assert changed == {"a.json", "b.json", "c.json", ".c.json.9.tmp", ""}
    assert client.changes(str(tasks), token2) == (token2, set())
    later = (tasks / "a.json").stat().st_mtime_ns + 10**9
    os.utime(tasks / "a.json", ns=(later, later))  # a touch alone
    assert client.changes(str(tasks), token2)[1] == {"a.json"}  # type: ignore[index]


def test_a_token_of_another_monitor_process_gets_cannot_say(watched: tuple[Path, subprocess.Popen[bytes]],
                                                             tmp_path: Path) -> None:
    tasks, proc = watched
    token, _changed = client.changes(str(tasks), None) or ("", None)
    assert client.changes(str(tasks), "1.0.0")[1] is None  # type: ignore[index]
    assert client.changes(str(tasks), "garbage")[1] is None  # type: ignore[index]
    assert client.changes(str(tasks), token.rsplit(".", 1)[0] + ".99999")[1] is None  # type: ignore[index]
    same_pid = token.split("-")[0] + "-" + "0" * 16 + ".0.0"  # a process id comes back after a reboot
    assert client.changes(str(tasks), same_pid)[1] is None  # type: ignore[index]
    assert client.changes(str(tasks), token)[1] == set()  # type: ignore[index]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert client.changes(str(tasks), token) is None  # nobody answers: the caller stats every file
    again = start_monitor(tasks, tmp_path / "worktree")
    try:
        assert client.changes(str(tasks), token)[1] is None  # type: ignore[index]
    finally:
        client.stop(str(tasks))
        again.wait(timeout=5)


def test_one_monitor_per_folder_and_it_leaves_when_the_folder_goes(
        watched: tuple[Path, subprocess.Popen[bytes]], tmp_path: Path) -> None:
    tasks, proc = watched
    second = subprocess.run([sys.executable, "-m", "orchestrator.fsmonitor", str(tasks), str(tmp_path)],
                            timeout=20)
    assert second.returncode == 0 and proc.poll() is None
    for entry in tasks.iterdir():
        entry.unlink()
    tasks.rmdir()
    assert proc.wait(timeout=10) == 0


def test_a_monitor_that_cannot_watch_says_why_and_is_not_restarted_at_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(client.ENV, "1")
    missing, worktree = tmp_path / "no-such-folder", tmp_path / "worktree"
    done = subprocess.run([sys.executable, "-m", "orchestrator.fsmonitor", str(missing), str(worktree)],
                          timeout=20)
    assert done.returncode == 1
    assert "FileNotFoundError" in (worktree / client.FAILED).read_text()
    assert client._failed_lately(str(worktree))


def test_it_is_off_when_the_environment_says_so(watched: tuple[Path, subprocess.Popen[bytes]],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    tasks, _proc = watched
    monkeypatch.setenv(client.ENV, "0")
    assert client.changes(str(tasks), None) is None


def test_only_a_process_of_this_user_is_believed() -> None:
    me = os.getuid().to_bytes(4, sys.byteorder)
    assert client._same_user(b"\0\0\0\0" + me + b"\0\0\0\0")
    assert not client._same_user(b"\0\0\0\0" + (os.getuid() + 1).to_bytes(4, sys.byteorder) + b"\0\0\0\0")


def test_the_journal_starts_again_past_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(daemon, "JOURNAL_LIMIT", 3)
    journal = daemon.Journal()
    token = journal.token()
    journal.record(["a", "b"])
    assert journal.since(token) == ["a", "b"]
    journal.record(["c", "d"])
    assert journal.since(token) is None and journal.since(journal.token()) == []


def test_a_folder_replaced_starts_a_new_epoch_on_the_new_folder(
        watched: tuple[Path, subprocess.Popen[bytes]], tmp_path: Path) -> None:
    tasks, proc = watched
    token, _changed = client.changes(str(tasks), None) or ("", None)
    os.rename(tasks, tmp_path / "moved-away")
    tasks.mkdir()
    deadline = time.monotonic() + 10
    while (asked := client.changes(str(tasks), token)) is not None and asked[1] is not None:
        assert time.monotonic() < deadline, "the old token is still answered"  # the epoch moves on
        time.sleep(0.02)
    assert asked is not None and proc.poll() is None
    (tmp_path / "moved-away" / "old.json").write_text("{}")  # the old folder is no longer watched
    (tasks / "new.json").write_text("{}")
    assert client.changes(str(tasks), asked[0])[1] == {"new.json"}  # type: ignore[index]


def test_it_leaves_when_nobody_asked_for_its_idle_time(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    monkeypatch.setattr(daemon, "IDLE", 0.3)
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(client.address(str(tasks)))
        server.listen(1)
        monitor = daemon.Monitor(str(tasks), server)
        (tasks / "a.json").write_text("{}")  # a change is no question: it does not keep it alive
        started = time.monotonic()
        monitor.run()
        assert 0.25 < time.monotonic() - started < 5
