"""A scripted stand-in for the Anthropic Messages API, for driving the real Claude Code CLI.

Stdlib only (``http.server`` + ``threading``). Bind it to 127.0.0.1 on a free port, point
``ANTHROPIC_BASE_URL`` at :attr:`FakeAPI.url`, and the CLI will talk to it instead of the real
model. What the "model" answers is decided by a :class:`Script`:

* Each conversation is a *lane*: the main thread (``"main"``), or one subagent, matched by a key
  string that occurs in the subagent's first user prompt (``script.subagent("SUBAGENT-A", ...)``).
* A lane holds a queue of *turns*. A turn is a list of blocks (:func:`text`, :func:`tool_use`) or
  a callable ``(request_json) -> list[block]`` that can look at what the CLI sent back
  (tool results, "Stop hook feedback", ...). When a lane's queue is empty the model answers
  ``text("done")`` with ``stop_reason: end_turn``.
* Side requests (tool-use summary labels, titles, prompt suggestions, progress summaries...)
  are recognised (:func:`is_side_request`) and answered with a short text (or a minimal JSON
  object when they ask for structured output) without consuming any turn.

Every request is recorded (:attr:`FakeAPI.requests`) with its JSON body, the lane it was routed
to and the blocks that were answered, so tests can assert on what the CLI sent.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

Block = dict[str, Any]
TurnFn = Callable[[dict[str, Any]], list[Block]]
Turn = list[Block] | TurnFn

MAIN = "main"
SIDE = "side"
DEFAULT_TEXT = "done"
SIDE_TEXT = "Scripted side answer"

# A subagent's requests carry this marker in their first system block (the billing header
# "x-anthropic-billing-header: cc_version=...; cc_entrypoint=sdk-cli; cc_is_subagent=true;")
# and the HTTP header below, with an id stable for the subagent's whole conversation.
SUBAGENT_MARKER = "cc_is_subagent=true"
AGENT_ID_HEADER = "x-claude-code-agent-id"

_ids = itertools.count(1)


# --------------------------------------------------------------------------- blocks


def text(s: str) -> Block:
    """A text content block."""
    return {"type": "text", "text": s}


def tool_use(name: str, input: dict[str, Any], id: str | None = None) -> Block:
    """A tool_use content block. The id is fixed now, so a test can keep the block and later
    look up the CLI's answer with ``fakeapi.tool_result(block["id"])``."""
    return {
        "type": "tool_use",
        "id": id or f"toolu_e2e_{next(_ids):04d}",
        "name": name,
        "input": input,
    }


# --------------------------------------------------------------------------- request helpers


def content_blocks(message: dict[str, Any]) -> list[Block]:
    """A message's content as a list of blocks (a plain string becomes one text block)."""
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list):
        return [b for b in content if isinstance(b, dict)]
    return []


def block_text(block: Block) -> str:
    """All text in a block, including the content of a tool_result."""
    kind = block.get("type")
    if kind == "text":
        return str(block.get("text", ""))
    if kind == "tool_result":
        content = block.get("content")
        if isinstance(content, str):
            return content
        if isinstance(content, list):
            return "\n".join(block_text(b) for b in content if isinstance(b, dict))
        return ""
    if kind == "tool_use":
        return json.dumps(block.get("input", {}))
    return ""


def message_text(message: dict[str, Any]) -> str:
    """All text of a message joined by newlines."""
    return "\n".join(block_text(b) for b in content_blocks(message))


def system_text(body: dict[str, Any]) -> str:
    system = body.get("system")
    if isinstance(system, str):
        return system
    if isinstance(system, list):
        return "\n".join(str(b.get("text", "")) for b in system if isinstance(b, dict))
    return ""


def first_system_block(body: dict[str, Any]) -> str:
    system = body.get("system")
    if isinstance(system, str):
        return system
    if isinstance(system, list) and system and isinstance(system[0], dict):
        return str(system[0].get("text", ""))
    return ""


def is_subagent_request(body: dict[str, Any]) -> bool:
    return SUBAGENT_MARKER in first_system_block(body)


def first_user_text(body: dict[str, Any]) -> str:
    """Text of the first ``role: user`` message (the prompt that started the conversation)."""
    for m in body.get("messages", []):
        if isinstance(m, dict) and m.get("role") == "user":
            return message_text(m)
    return ""


_REMINDER = re.compile(r"<system-reminder>.*?</system-reminder>", re.S)


def strip_reminders(s: str) -> str:
    """Remove ``<system-reminder>`` sections (git status, CLAUDE.md, hook context...)."""
    return _REMINDER.sub("", s)


def prompt_text(body: dict[str, Any]) -> str:
    """The first user message without system reminders: the prompt a (sub)agent was given."""
    return strip_reminders(first_user_text(body)).strip()


def last_user_message(body: dict[str, Any]) -> dict[str, Any] | None:
    for m in reversed(body.get("messages", [])):
        if isinstance(m, dict) and m.get("role") == "user":
            return m
    return None


def last_user_text(body: dict[str, Any]) -> str:
    """Text of the last user message of a request (tool results included)."""
    m = last_user_message(body)
    return message_text(m) if m else ""


def tool_results(body: dict[str, Any]) -> list[Block]:
    """Every tool_result block in a request, in order."""
    out: list[Block] = []
    for m in body.get("messages", []):
        if isinstance(m, dict) and m.get("role") == "user":
            out.extend(b for b in content_blocks(m) if b.get("type") == "tool_result")
    return out


def last_tool_results(body: dict[str, Any]) -> list[Block]:
    """The tool_result blocks of the last user message (what the previous turn's tools gave)."""
    m = last_user_message(body)
    return [b for b in content_blocks(m) if b.get("type") == "tool_result"] if m else []


def find_tool_result(body: dict[str, Any], tool_use_id: str) -> Block | None:
    for b in tool_results(body):
        if b.get("tool_use_id") == tool_use_id:
            return b
    return None


def tool_names(body: dict[str, Any]) -> list[str]:
    return [str(t.get("name")) for t in body.get("tools", []) if isinstance(t, dict)]


# --------------------------------------------------------------------------- side requests

# Claude Code makes requests besides the conversation itself. Two kinds were seen / found in
# the 2.1.330 binary:
# * tool-free helpers (tool-use summary labels, session titles, agent labels...): a special
#   system prompt and no ``tools`` at all;
# * forked queries (prompt suggestion, agent progress summary, away recap, session rename,
#   compaction...): the parent conversation's system prompt, tools and messages plus one
#   extra user message holding the instruction below.
# Conversation turns (main thread and subagents) always offer tools.
SIDE_PROMPT_MARKERS: tuple[str, ...] = (
    "[SUGGESTION MODE:",  # prompt_suggestion
    "most recent action in 3-5 words",  # agent_summary
    "Generate a short kebab-case name",  # rename_generate_name
    "The user stepped away and is coming back",  # away_summary
    "Your task is to create a detailed summary of",  # compact
)


def is_side_request(body: dict[str, Any], extra_markers: Iterable[str] = ()) -> bool:
    """True for Claude Code's auxiliary requests, which must not consume scripted turns."""
    if not body.get("tools"):
        return True
    last = last_user_text(body)
    return any(m in last for m in (*SIDE_PROMPT_MARKERS, *extra_markers))


def _json_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    for holder in (body.get("output_config"), body):
        if isinstance(holder, dict):
            fmt = holder.get("format") or holder.get("output_format")
            schema = fmt.get("schema") if isinstance(fmt, dict) else None
            if isinstance(schema, dict):
                return schema
    return None


def side_answer(body: dict[str, Any], default: str = SIDE_TEXT) -> str:
    """Text answering a side request: ``default``, or for structured-output requests (session
    titles, names) a JSON object filling the schema's required string/number/bool fields."""
    schema = _json_schema(body)
    if schema is None:
        return default
    fill = {"string": default, "number": 0, "integer": 0, "boolean": False, "array": []}
    props = schema.get("properties") or {}
    obj = {
        k: fill.get(str((props.get(k) or {}).get("type")), default)
        for k in schema.get("required") or list(props)
    }
    return json.dumps(obj)


# --------------------------------------------------------------------------- script


class Lane:
    """The queue of scripted turns of one conversation."""

    def __init__(self, name: str, turns: Iterable[Turn] = ()) -> None:
        self.name = name
        self.turns: deque[Turn] = deque(turns)
        self.served = 0

    def next_turn(self) -> Turn | None:
        return self.turns.popleft() if self.turns else None

    def __repr__(self) -> str:
        return f"Lane({self.name!r}, pending={len(self.turns)}, served={self.served})"


class Script:
    """What the fake model answers, lane by lane.

    >>> s = Script()
    >>> s.main([tool_use("Write", {"file_path": "/x", "content": "hi"})], [text("ok")])
    >>> s.subagent("SUBAGENT-A", [[tool_use("Bash", {"command": "true"})]])

    Routing of a ``POST /v1/messages`` request (:meth:`route`):

    1. a side request (:func:`is_side_request`) goes to lane ``"side"`` and is answered with
       :attr:`side_text`; it never consumes a turn;
    2. a request without ``cc_is_subagent=true`` in its first system block is the main thread;
    3. a subagent request is bound, by its ``x-claude-code-agent-id`` header, to the lane whose
       key occurs in the subagent's prompt (first user message, system reminders removed;
       longest key wins). A subagent that matches no key gets its own lane
       ``"subagent:<agent id>"`` with no turns, so it answers ``default_text`` and ends.
    """

    def __init__(self, main: Iterable[Turn] = ()) -> None:
        self.lanes: dict[str, Lane] = {MAIN: Lane(MAIN, main)}
        self.subagent_keys: list[str] = []
        self.side_text = SIDE_TEXT
        self.default_text = DEFAULT_TEXT
        self.side_markers: list[str] = []
        self.agents: dict[str, str] = {}  # x-claude-code-agent-id -> lane name

    def main(self, *turns: Turn) -> Script:
        """Append turns to the main thread's queue."""
        self.lanes[MAIN].turns.extend(turns)
        return self

    def subagent(self, key: str, turns: Iterable[Turn]) -> Script:
        """Script the subagent whose prompt contains ``key``."""
        if key == MAIN or key == SIDE or key.startswith("subagent:"):
            raise ValueError(f"reserved lane name: {key}")
        if key not in self.lanes:
            self.lanes[key] = Lane(key)
            self.subagent_keys.append(key)
        self.lanes[key].turns.extend(turns)
        return self

    def pending(self) -> dict[str, int]:
        """Turns not yet served, per lane (all zeros when the script ran to the end)."""
        return {name: len(lane.turns) for name, lane in self.lanes.items()}

    def route(self, body: dict[str, Any], agent_id: str | None = None) -> str:
        """The lane a request belongs to (see the class docstring)."""
        if is_side_request(body, self.side_markers):
            return SIDE
        if not is_subagent_request(body):
            return MAIN
        if agent_id and agent_id in self.agents:
            return self.agents[agent_id]
        prompt = prompt_text(body)
        lane = f"subagent:{agent_id or '?'}"
        for key in sorted(self.subagent_keys, key=len, reverse=True):
            if key in prompt:
                lane = key
                break
        if agent_id:
            self.agents[agent_id] = lane
        return lane

    def answer(self, lane_name: str, body: dict[str, Any]) -> list[Block]:
        if lane_name == SIDE:
            return [text(side_answer(body, self.side_text))]
        lane = self.lanes.get(lane_name)
        if lane is None:
            lane = self.lanes[lane_name] = Lane(lane_name)
        turn = lane.next_turn()
        if turn is None:
            return [text(self.default_text)]
        lane.served += 1
        blocks = turn(body) if callable(turn) else turn
        if not blocks:
            return [text(self.default_text)]
        return list(blocks)


# --------------------------------------------------------------------------- recording


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None
    lane: str | None = None
    agent_id: str | None = None  # x-claude-code-agent-id: set on subagent requests
    response: list[Block] = field(default_factory=list)

    @property
    def is_messages(self) -> bool:
        return self.method == "POST" and urlsplit(self.path).path == "/v1/messages"


def _header(headers: dict[str, str], name: str) -> str | None:
    for k, v in headers.items():
        if k.lower() == name:
            return v
    return None


# --------------------------------------------------------------------------- SSE encoding


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def _usage(input_tokens: int, output_tokens: int) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": output_tokens,
    }


def _stop_reason(blocks: list[Block]) -> str:
    return "tool_use" if any(b.get("type") == "tool_use" for b in blocks) else "end_turn"


def _estimate_tokens(body: dict[str, Any]) -> int:
    return max(1, len(json.dumps(body)) // 4)


def sse_stream(blocks: list[Block], model: str, input_tokens: int) -> bytes:
    """Encode blocks as the Messages API streams them."""
    msg_id = f"msg_e2e_{next(_ids):06d}"
    out = [
        _sse(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": msg_id,
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": _usage(input_tokens, 1),
                },
            },
        ),
        _sse("ping", {"type": "ping"}),
    ]
    output_tokens = 1
    for i, b in enumerate(blocks):
        if b["type"] == "text":
            start: Block = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": b["text"]}]
            output_tokens += max(1, len(b["text"]) // 4)
        elif b["type"] == "tool_use":
            start = {"type": "tool_use", "id": b["id"], "name": b["name"], "input": {}}
            raw = json.dumps(b["input"])
            # Split the JSON in two, as the real API streams it in pieces.
            cut = len(raw) // 2
            deltas = [{"type": "input_json_delta", "partial_json": part} for part in (raw[:cut], raw[cut:])]
            output_tokens += max(1, len(raw) // 4)
        else:
            raise ValueError(f"unsupported block type: {b['type']!r}")
        out.append(
            _sse(
                "content_block_start",
                {"type": "content_block_start", "index": i, "content_block": start},
            )
        )
        for d in deltas:
            out.append(_sse("content_block_delta", {"type": "content_block_delta", "index": i, "delta": d}))
        out.append(_sse("content_block_stop", {"type": "content_block_stop", "index": i}))
    out.append(
        _sse(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": _stop_reason(blocks), "stop_sequence": None},
                "usage": _usage(input_tokens, output_tokens),
            },
        )
    )
    out.append(_sse("message_stop", {"type": "message_stop"}))
    return b"".join(out)


def json_message(blocks: list[Block], model: str, input_tokens: int) -> dict[str, Any]:
    """The same answer as a non-streamed Messages API response."""
    return {
        "id": f"msg_e2e_{next(_ids):06d}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": blocks,
        "stop_reason": _stop_reason(blocks),
        "stop_sequence": None,
        "usage": _usage(input_tokens, 1),
    }


# --------------------------------------------------------------------------- server


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("request-id", f"req_e2e_{next(_ids):06d}")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, obj: Any, status: int = 200) -> None:
        self._send(status, json.dumps(obj).encode(), "application/json")

    def do_HEAD(self) -> None:  # noqa: N802 - stdlib naming
        self.server.fake.record(RecordedRequest("HEAD", self.path, dict(self.headers), None))
        self._send(200, b"", "text/plain")

    def do_GET(self) -> None:  # noqa: N802
        self.server.fake.record(RecordedRequest("GET", self.path, dict(self.headers), None))
        self._send_json({})

    def do_POST(self) -> None:  # noqa: N802
        raw = self._read_body()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {"_raw": raw.decode("utf-8", "replace")}
        if not isinstance(body, dict):
            body = {"_value": body}
        rec = RecordedRequest("POST", self.path, dict(self.headers), body)
        path = urlsplit(self.path).path
        fake = self.server.fake
        if path == "/v1/messages":
            blocks = fake.respond(rec)
            model = str(body.get("model") or "claude-fake")
            tokens = _estimate_tokens(body)
            if body.get("stream"):
                self._send(200, sse_stream(blocks, model, tokens), "text/event-stream")
            else:
                self._send_json(json_message(blocks, model, tokens))
            return
        fake.record(rec)
        if path == "/v1/messages/count_tokens":
            self._send_json({"input_tokens": _estimate_tokens(body)})
        else:
            self._send_json({})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeAPI


class FakeAPI:
    """The stand-in server. Use as a context manager, or call :meth:`start`/:meth:`stop`."""

    def __init__(self, script: Script | None = None, host: str = "127.0.0.1") -> None:
        self.script = script or Script()
        self.requests: list[RecordedRequest] = []
        self.errors: list[str] = []
        self._lock = threading.RLock()  # callables may call the helpers below
        self._server = _Server((host, 0), _Handler)
        self._server.fake = self
        self._thread: threading.Thread | None = None

    # -- lifecycle

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeAPI:
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, name="fakeapi", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> FakeAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- serving

    def record(self, rec: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(rec)

    def respond(self, rec: RecordedRequest) -> list[Block]:
        body = rec.body or {}
        with self._lock:
            self.requests.append(rec)
            try:
                rec.agent_id = _header(rec.headers, AGENT_ID_HEADER)
                rec.lane = self.script.route(body, rec.agent_id)
                blocks = self.script.answer(rec.lane, body)
            except Exception:  # a broken callable turn must not hang the CLI
                err = traceback.format_exc()
                self.errors.append(err)
                blocks = [text(f"fakeapi script error: {err.splitlines()[-1]}")]
            rec.response = blocks
        return blocks

    def set_script(self, script: Script) -> None:
        with self._lock:
            self.script = script

    def check(self) -> None:
        """Raise if a scripted callable failed while serving."""
        if self.errors:
            raise AssertionError("fakeapi script errors:\n" + "\n".join(self.errors))

    # -- assertions

    def message_requests(self, lane: str | None = None) -> list[RecordedRequest]:
        """Recorded ``POST /v1/messages`` requests, optionally only those of one lane."""
        with self._lock:
            reqs = [r for r in self.requests if r.is_messages]
        return [r for r in reqs if lane is None or r.lane == lane]

    @property
    def bodies(self) -> list[dict[str, Any]]:
        """JSON bodies of every ``POST /v1/messages`` request, in arrival order."""
        return [r.body or {} for r in self.message_requests()]

    def lanes_seen(self) -> list[str]:
        return [r.lane or "" for r in self.message_requests()]

    def tool_result(self, tool_use_id: str) -> Block | None:
        """The tool_result block the CLI sent back for ``tool_use_id`` (None if never sent)."""
        for body in reversed(self.bodies):
            found = find_tool_result(body, tool_use_id)
            if found is not None:
                return found
        return None

    def tool_result_text(self, tool_use_id: str) -> str:
        found = self.tool_result(tool_use_id)
        if found is None:
            raise AssertionError(f"no tool_result for {tool_use_id} in {len(self.bodies)} requests")
        return block_text(found)

    def tool_result_is_error(self, tool_use_id: str) -> bool:
        found = self.tool_result(tool_use_id)
        if found is None:
            raise AssertionError(f"no tool_result for {tool_use_id} in {len(self.bodies)} requests")
        return bool(found.get("is_error"))

    def user_messages_containing(self, substring: str) -> list[dict[str, Any]]:
        """Distinct user messages (across all requests) whose text contains ``substring``."""
        return self.messages_containing(substring, role="user")

    def messages_containing(self, substring: str, role: str | None = None) -> list[dict[str, Any]]:
        """Like :meth:`user_messages_containing` for any role (``None``) or the given one.
        Hook feedback often arrives as a ``role: "system"`` message too."""
        seen: set[str] = set()
        out: list[dict[str, Any]] = []
        for body in self.bodies:
            for m in body.get("messages", []):
                if not isinstance(m, dict) or (role is not None and m.get("role") != role):
                    continue
                if substring in message_text(m):
                    key = json.dumps(m, sort_keys=True)
                    if key not in seen:
                        seen.add(key)
                        out.append(m)
        return out

    def requests_containing(self, substring: str) -> list[RecordedRequest]:
        """Message requests whose JSON body contains ``substring`` anywhere."""
        return [r for r in self.message_requests() if substring in json.dumps(r.body)]

    def iter_tool_uses(self) -> Iterator[Block]:
        """Every tool_use block the fake model answered, in order."""
        for r in self.message_requests():
            yield from (b for b in r.response if b.get("type") == "tool_use")

    def dump(self, path: str) -> None:
        """Write every recorded request (and the answer) to a JSON file, for debugging."""
        with open(path, "w", encoding="utf-8") as f:
            json.dump(
                [
                    {
                        "method": r.method,
                        "path": r.path,
                        "lane": r.lane,
                        "body": r.body,
                        "response": r.response,
                    }
                    for r in self.requests
                ],
                f,
                indent=1,
            )
