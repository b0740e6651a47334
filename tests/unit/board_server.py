"""A real `orch board` server in a thread of the test process, on a free loopback port, and a
plain HTTP client for it (http.client: what any program would send)."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from orchestrator.board import serve

XSS_PLAN = """---
id: xss
title: Hostile titles
milestones:
  - id: m1
    title: <b>bold</b> milestone
---
## T1: <img src=x onerror=alert(1)>
- priority: high
- specialist: architect
- milestone: m1

## T2: "]) click a href "javascript:alert(2)"
- depends_on: T1
- category: ui

## T3: <script>alert(3)</script>
- depends_on: T2
- specialist: tester
"""


class Board:
    def __init__(self, url: str) -> None:
        self.url = url
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80

    def request(self, path: str, method: str = "GET", headers: dict[str, str] | None = None,
                body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            answer = conn.getresponse()
            return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
        finally:
            conn.close()


@contextmanager
def running(root: Path, *, host: str = "127.0.0.1", token: str | None = None,
            allow_actions: bool = False) -> Iterator[Board]:
    ready = serve.prepare(root, host, 0, token, allow_actions)
    thread = threading.Thread(target=ready.server.run, kwargs={"sockets": [ready.sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not ready.server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield Board(ready.url)
    finally:
        ready.stop()
        thread.join(10)
