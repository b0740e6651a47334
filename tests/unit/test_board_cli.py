"""`orch board` as a user runs it, in a process of its own: it prints the URL and serves until
Ctrl-C (which ends it cleanly, open event streams included); `--background` (what `/orch:board`
runs) detaches one board per work tree, reused by the next call, ended by `--stop`."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from orchestrator.board import background
from orchestrator.store import Store

ORCH = [sys.executable, "-m", "orchestrator.console"]
ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _get(url: str, path: str) -> tuple[int, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        conn.request("GET", path)
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def test_orch_board_prints_the_url_serves_and_stops_on_ctrl_c(planned: Path) -> None:
    server = subprocess.Popen([*ORCH, "board", "--port", "0"], cwd=planned, env=_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline() if server.stdout else ""
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert url, line
        status, body = _get(url.group(0), "/api/board")
        assert status == 200 and [t["id"] for t in json.loads(body)["tasks"]] == ["A", "B", "C", "D"]
        parts = urlsplit(url.group(0))
        stream = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
        stream.request("GET", "/api/events")
        assert stream.getresponse().status == 200  # an open stream must not hold the shutdown
        began = time.monotonic()
        server.send_signal(signal.SIGINT)
        _out, err = server.communicate(timeout=10)
        assert time.monotonic() - began < 2.5
        assert server.returncode == 0 and "Traceback" not in err, err
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_background_board_is_reused_and_stopped(planned: Path) -> None:
    def orch(*args: str) -> str:
        done = subprocess.run([*ORCH, "board", *args], cwd=planned, env=_env(), capture_output=True,
                              text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        return done.stdout

    first = orch("--background")
    url = re.search(r"http://127\.0\.0\.1:\d+/", first)
    assert url and "started" in first
    try:
        second = orch("--background")
        assert url.group(0) in second and "already running" in second
        assert _get(url.group(0), "/api/board")[0] == 200
    finally:
        assert "Stopped" in orch("--stop")
    record = background.record_path(Store(planned))
    deadline = time.monotonic() + 10
    while record.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not record.exists()
    assert "No board" in orch("--stop")
