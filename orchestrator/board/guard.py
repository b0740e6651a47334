"""The board's security rules, as one ASGI layer in front of every route.

- On loopback, only the Host names the server was started for are answered (a DNS-rebinding page
  gets 403). Beyond loopback a token is required, which a rebinding page cannot have, and the
  machine's names are not known in advance, so any Host is answered there.
- With a token, every request carries it: `Authorization: Bearer`, `?token=`, or the cookie set
  when a page was opened with `?token=` (so the page's own scripts and styles load).
- `/api/` refuses cross-origin use: an `Origin` other than the board's own, or `Sec-Fetch-Site`
  saying another site asked, is 403; no CORS header is ever sent.
- Every answer carries a strict Content-Security-Policy (no inline script, nothing remote), and is
  neither framed, sniffed nor cached.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "orch_board"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
           (b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer"),
           (b"cross-origin-resource-policy", b"same-origin"), (b"cache-control", b"no-store")]
LOOPBACK = ("127.0.0.1", "localhost", "::1")
FOREIGN_SITES = (b"cross-site", b"same-site")


def hosts_for(host: str, port: int) -> set[str]:
    """The Host header values the board answers: its own address, and the loopback names."""
    names = {host, *LOOPBACK} if host in LOOPBACK else {host}
    return {f"[{name}]:{port}" if ":" in name else f"{name}:{port}" for name in names}


class Guard:
    """Wraps the board's application with the rules above."""

    def __init__(self, app: App, hosts: set[str] | None, token: str | None) -> None:
        self.app, self.hosts, self.token = app, hosts, token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v for k, v in scope.get("headers", [])}
        problem = self._problem(scope, headers)
        if problem is not None:
            await refuse(send, *problem)
            return
        await self.app(scope, receive, _with_headers(send, self._cookie(scope)))

    def _problem(self, scope: Scope, headers: dict[str, bytes]) -> tuple[int, str] | None:
        host = headers.get("host", b"").decode("latin-1")
        if self.hosts is not None and host not in self.hosts:
            return 403, f"this board answers for {', '.join(sorted(self.hosts))} only"
        if self.token is not None and not self._carries_token(scope, headers):
            return 401, "this board needs its token: open the URL `orch board` printed"
        if scope["path"].startswith("/api/") and _foreign(headers, f"http://{host}"):
            return 403, "cross-origin use of the board's API is refused"
        return None

    def _carries_token(self, scope: Scope, headers: dict[str, bytes]) -> bool:
        offered = [_query_token(scope), _cookie_token(headers)]
        auth = headers.get("authorization", b"").decode("latin-1")
        offered.append(auth[7:] if auth.lower().startswith("bearer ") else None)
        return any(_same(token, self.token) for token in offered)

    def _cookie(self, scope: Scope) -> bytes | None:
        if self.token is None or not _same(_query_token(scope), self.token):
            return None
        return f"{COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict".encode("latin-1")


def _foreign(headers: dict[str, bytes], origin: str) -> bool:
    sent = headers.get("origin")
    return (sent is not None and sent.decode("latin-1") != origin) or \
        headers.get("sec-fetch-site") in FOREIGN_SITES


def _same(offered: str | None, token: str | None) -> bool:
    return offered is not None and token is not None and hmac.compare_digest(offered.encode(), token.encode())


def _query_token(scope: Scope) -> str | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
    return values[0] if values else None


def _cookie_token(headers: dict[str, bytes]) -> str | None:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get("cookie", b"").decode("latin-1"))
    except CookieError:  # a malformed cookie header carries no token; not an error
        return None
    return jar[COOKIE].value if COOKIE in jar else None


def _with_headers(send: Send, cookie: bytes | None) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            extra = [*HEADERS, *([(b"set-cookie", cookie)] if cookie else [])]
            message["headers"] = [*message.get("headers", []), *extra]
        await send(message)

    return sending


async def refuse(send: Send, status: int, reason: str) -> None:
    """A JSON error answer, with the same security headers as every other."""
    body = json.dumps({"error": reason}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *HEADERS]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
