"""Running the board: the address rules, the URL, the browser, and uvicorn until Ctrl-C.

Loopback by default; any other `--host` needs `--token` (else InvalidInput: exit 2). The port is
picked by the system when none is given (a free one), and the URL printed is the one to open."""

from __future__ import annotations

import ipaddress
import secrets
import socket
import sys
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from orchestrator.board import actions, background
from orchestrator.board.app import Board, create_app
from orchestrator.board.guard import hosts_for
from orchestrator.errors import InvalidInput


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_options(host: str, token: str | None, allow_actions: bool) -> None:
    """Refuse a non-loopback address without a token, a token too short to guess badly, and
    actions inside Claude Code (`actions.check_human`)."""
    if allow_actions:
        actions.check_human()
    if not is_loopback(host) and not token:
        raise InvalidInput(f"--host {host} would show the board beyond this machine: give --token "
                           f"(e.g. --token {secrets.token_urlsafe(24)}) or keep the default 127.0.0.1")
    if token is not None and len(token) < 16:
        raise InvalidInput("--token must be at least 16 characters")


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one); InvalidInput when it is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise InvalidInput(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(128)
    return sock


def url_of(host: str, port: int, token: str | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


class Running(NamedTuple):
    """A board ready to run: its uvicorn server, the socket it listens on, and its URL."""

    server: Any
    sock: socket.socket
    url: str
    board: Board

    def stop(self) -> None:
        """End the event streams, then the server (as Ctrl-C does)."""
        self.board.closing.set()
        self.server.should_exit = True


def prepare(root: Path, host: str, port: int, token: str | None, allow_actions: bool) -> Running:
    """Check the address, listen, and build the server (uvicorn is imported only now). A board
    that takes actions always has a token (made here when none is given): any local process could
    otherwise post to its port and act as the human who started it."""
    check_options(host, token, allow_actions)
    token = token or (secrets.token_urlsafe(24) if allow_actions else None)
    sock = bind(host, port)
    port = sock.getsockname()[1]
    hosts = hosts_for(host, port) | hosts_for("localhost", port) if is_loopback(host) else None
    board = Board(root, allow_actions)
    return Running(_server(create_app(board, hosts, token), board), sock, url_of(host, port, token), board)


def _server(app: Any, board: Board) -> Any:
    """A uvicorn server whose exit (Ctrl-C, SIGTERM) first ends the board's event streams, which
    would otherwise hold the graceful shutdown until its timeout, and removes the background
    record (uvicorn raises SIGTERM again once it has shut down, so no `finally` runs then)."""
    import uvicorn

    class BoardServer(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            board.closing.set()
            background.remove_record()
            super().handle_exit(sig, frame)

    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=3, lifespan="off")
    return BoardServer(config)


def serve(root: Path, host: str, port: int, token: str | None, allow_actions: bool,
          announce: Callable[[str], None], open_browser: bool | None = None) -> None:
    """Serve the board of `root` until interrupted; `announce` gets the URL once it listens."""
    running = prepare(root, host, port, token, allow_actions)
    announce(running.url)
    if open_browser if open_browser is not None else sys.stdout.isatty():
        webbrowser.open(running.url)
    background.write_record(running.url)
    try:
        running.server.run(sockets=[running.sock])
    except KeyboardInterrupt:  # uvicorn raises Ctrl-C again once it has shut down: that is the end
        pass
    finally:
        background.remove_record()
