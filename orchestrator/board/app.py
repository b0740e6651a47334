"""The board's Starlette application: the page and its files, `/api/board` (the JSON of `model`),
`/api/events` (server-sent events, one per change of the state's stamp) and, only when actions are
allowed, `POST /api/actions`. Unknown paths are 404, bad input 400; an error is a JSON message,
never a traceback."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path
from typing import Any

from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orchestrator.board import actions, guard, live, model
from orchestrator.board.taskcache import TaskCache
from orchestrator.errors import InvalidInput, OrchError, Refused
from orchestrator.runtime import Runtime
from orchestrator.store import Store

STATIC = {"/": ("index.html", "text/html"), "/board.js": ("board.js", "text/javascript"),
          "/graph.js": ("graph.js", "text/javascript"), "/board.css": ("board.css", "text/css")}
LIVE_DATA = b"/* live: the page reads /api/board and /api/events */\n"
log = logging.getLogger("orch.board")


def static_file(name: str) -> bytes:
    """One of the page's packaged files."""
    return (resources.files("orchestrator.board") / "static" / name).read_bytes()


class Board:
    """The state behind the routes: the repository, and the last board built (per stamp and plan)."""

    def __init__(self, root: Path, allow_actions: bool = False) -> None:
        self.root, self.allow_actions = root, allow_actions
        self._cache: dict[str | None, tuple[str, bytes]] = {}
        self._state: tuple[str, dict[str, Any]] | None = None
        self._tasks = TaskCache()
        self._lock = threading.Lock()
        self.closing = threading.Event()  # set on shutdown: the event streams end

    def store(self) -> Store:
        return Store(self.root)

    def board_json(self, plan: str | None) -> bytes:
        """The board's JSON for the state now; built once per stamp, shared by every client. The
        part read from `.orch/` is kept while only the runtime (leases, bindings) changes."""
        store = self.store()
        stamp = live.stamp(store)
        with self._lock:
            cached = self._cache.get(plan)
            if cached is not None and cached[0] == stamp and live.settled(stamp):
                return cached[1]
            view = model.with_runtime(self._tasks_view(store, stamp), Runtime(store.runtime))
            body = json.dumps(self._filtered(view | {"stamp": stamp, "actions": self.allow_actions}, plan),
                              ensure_ascii=False).encode()
            self._cache[plan] = (stamp, body)
            return body

    def _tasks_view(self, store: Store, stamp: str) -> dict[str, Any]:
        key = live.state_part(stamp)
        if self._state is not None and self._state[0] == key and live.settled(key):
            return self._state[1]
        view = model.tasks_view(store, self._tasks.tasks(store))
        self._state = (key, view)
        return view

    @staticmethod
    def _filtered(view: dict[str, Any], plan: str | None) -> dict[str, Any]:
        if plan is None:
            return view
        if plan not in {p["id"] for p in view["plans"]}:
            raise InvalidInput(f"no plan {plan!r} (plans: {', '.join(p['id'] for p in view['plans'])})")
        return view | {"tasks": [t for t in view["tasks"] if t["plan"] == plan],
                       "milestones": [m for m in view["milestones"] if m["plan"] == plan]}


def create_app(board: Board, hosts: set[str] | None, token: str | None) -> guard.Guard:
    """The application for `board`, behind the guard (hosts, token, origin, headers)."""
    routes = [Route(path, _static, methods=["GET", "HEAD"]) for path in STATIC]
    routes += [Route("/board-data.js", _live_data, methods=["GET", "HEAD"]),
               Route("/api/board", _api_board, methods=["GET", "HEAD"]),
               Route("/api/events", _api_events, methods=["GET"])]
    if board.allow_actions:
        routes.append(Route("/api/actions", _api_actions, methods=["POST"]))
    handlers: dict[Any, Any] = {HTTPException: _http_error, OrchError: _orch_error, Exception: _crash}
    app = Starlette(routes=routes, exception_handlers=handlers)
    app.state.board = board
    return guard.Guard(app, hosts, token)


async def _static(request: Request) -> Response:
    name, kind = STATIC[request.url.path]
    return Response(static_file(name), media_type=kind)


async def _live_data(request: Request) -> Response:
    return Response(LIVE_DATA, media_type="text/javascript")


async def _api_board(request: Request) -> Response:
    unknown = set(request.query_params) - {"plan", "token"}
    if unknown:
        raise InvalidInput(f"unknown parameter(s): {', '.join(sorted(unknown))}; /api/board takes `plan`")
    board: Board = request.app.state.board
    body = await run_in_threadpool(board.board_json, request.query_params.get("plan"))
    return Response(body, media_type="application/json")


async def _api_events(request: Request) -> Response:
    board: Board = request.app.state.board

    async def events() -> AsyncIterator[dict[str, str]]:
        async for stamp in live.changes(board.store(), board.closing.is_set):
            yield {"event": "change", "data": stamp}

    return EventSourceResponse(events(), ping=10)


async def _api_actions(request: Request) -> Response:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise InvalidInput("actions take a JSON body (Content-Type: application/json)")
    try:
        body = json.loads(await request.body())
    except ValueError as exc:
        raise InvalidInput(f"the body is not JSON: {exc}") from exc
    board: Board = request.app.state.board
    task = await run_in_threadpool(actions.perform, board.store(), body)
    return JSONResponse({"task": task["id"], "status": task["status"], "actor": actions.actor()})


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    reason = "not found" if status == 404 else str(getattr(exc, "detail", "")) or "refused"
    return JSONResponse({"error": reason}, status_code=status)


async def _orch_error(request: Request, exc: Exception) -> Response:
    status = 409 if isinstance(exc, Refused) else 400 if isinstance(exc, InvalidInput) else 500
    return JSONResponse({"error": str(exc)}, status_code=status)


async def _crash(request: Request, exc: Exception) -> Response:
    log.error("orch board: %s failed", request.url.path, exc_info=exc)
    return JSONResponse({"error": f"internal error ({type(exc).__name__}); the terminal running "
                                  "`orch board` has the details"}, status_code=500)
