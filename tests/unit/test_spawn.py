"""`spawn.detached`: orch code started in the background from the folder holding the package,
so it runs where orch is not installed in the interpreter's environment (a plugin install runs orch
from the plugin folder, with only its dependencies in its venv)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestrator import spawn
from orchestrator.fsmonitor import client


def _bare_python(tmp_path: Path) -> str:
    """A venv with nothing installed: no orch, no inotify_simple."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")], check=True,
                   timeout=120)
    return str(tmp_path / "bare" / "bin" / "python")


def _wait_for(path: Path) -> str:
    deadline = time.monotonic() + 20
    while not (path.exists() and path.read_text()):
        assert time.monotonic() < deadline, f"{path} was never written"
        time.sleep(0.05)
    return path.read_text()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the monitor is Linux only")
def test_a_detached_process_finds_orch_where_it_is_not_installed(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    bare = _bare_python(tmp_path)
    assert subprocess.run([bare, "-I", "-c", "import orchestrator"], capture_output=True).returncode != 0
    monkeypatch.setattr(spawn.sys, "executable", bare)
    monkeypatch.setenv(client.ENV, "1")
    tasks, worktree = tmp_path / "tasks", tmp_path / "worktree"
    tasks.mkdir()
    client.start(str(tasks), str(worktree))
    # orch's monitor ran from this checkout, then missed its one dependency the bare venv lacks
    assert "No module named 'inotify_simple'" in _wait_for(worktree / client.FAILED)


def test_its_output_goes_to_the_log_and_nothing_of_the_starter_is_held(tmp_path: Path) -> None:
    log = tmp_path / "out.log"
    spawn.detached("orchestrator.fsmonitor.daemon", "run", ["only-one-argument"], log=str(log))
    assert "usage: python -m orchestrator.fsmonitor" in _wait_for(log)
