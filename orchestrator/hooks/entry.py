"""The hook process: read stdin with a deadline, dispatch to the event's handler, answer.

One error boundary: anything unexpected fails open with a one-line warning (or closed for
PreToolUse when `strict` is configured), the traceback going to a size-capped log in the
runtime folder. Never a traceback as the answer, never a hang on stdin.
"""

from __future__ import annotations

import os
import select
import sys
import time

from orchestrator import fastjson
from orchestrator.hooks.decision import NONE, Decision, wire
from orchestrator.hooks.payload import Payload

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from orchestrator.hooks.context import Context

STDIN_DEADLINE = 3.0
LOG_CAP = 256 * 1024
READ_SIZE = 1024 * 1024
IDLE = 0.05  # seconds without input after which a pending `}` is worth a parse
_KINDS = {list: "array", str: "string", int: "number", float: "number", bool: "boolean",
          type(None): "null"}
EVENTS = (
    "PreToolUse", "PostToolUse", "PostToolUseFailure", "Stop", "SubagentStop", "SessionStart", "SessionEnd",
    "TaskCompleted",
)


def main(argv: list[str]) -> int:
    if os.environ.get("ORCH_DISABLE") == "1":
        return 0
    event = argv[0] if argv else ""
    payload, ctx = Payload({}, event), None
    try:
        raw, problem = read_stdin(STDIN_DEADLINE)
        payload = Payload(raw, event)
        if problem:
            decision = _unreadable(payload, problem)
        else:
            from orchestrator.hooks.context import Context

            ctx = Context.find(payload)
            decision = _dispatch(payload, ctx)
    except Exception as exc:  # the error boundary: fail open (or closed in strict mode)
        decision = _failed(payload, ctx, exc)
    if payload.event == "SessionStart":
        decision = _session_setup(decision, ctx, payload.session_id)
    text = wire(payload.event, decision)
    if text:  # a lone surrogate from the payload, echoed in a message, must not break the answer
        sys.stdout.buffer.write(text.encode("utf-8", "replace"))
        sys.stdout.flush()
    return 0


def read_stdin(deadline: float) -> tuple[dict[str, object], str]:
    """All of stdin as one JSON object, read until EOF or the deadline: (object, "") or ({}, why).

    Claude Code sometimes leaves the pipe open, so a complete object also ends the read. A parse
    is tried only when the input ends with `}` and the reader has caught up (nothing more ready):
    at once if the input has at least doubled since the last failed try, else after IDLE seconds
    without input. A 10 MB Write trickling in is thus parsed a few times, not after every chunk."""
    chunks: list[bytes] = []
    fd, end = sys.stdin.fileno(), time.monotonic() + deadline
    size = tried = 0
    closing = b""
    while True:
        could_end = closing == b"}" and size > tried
        left = end - time.monotonic()
        if left > 0 and _ready(fd, min(left, IDLE) if could_end else left):
            chunk = os.read(fd, READ_SIZE)
            if not chunk:
                return _parsed(b"".join(chunks))
            chunks.append(chunk)
            size += len(chunk)
            closing = chunk.rstrip()[-1:] or closing
            if closing != b"}" or size < 2 * tried or _ready(fd, 0):
                continue
        elif not could_end:
            return {}, "stdin gave no complete JSON object before the deadline"
        data, problem = _parsed(b"".join(chunks))
        if not problem:
            return data, ""
        tried = size


def _ready(fd: int, timeout: float) -> bool:
    return bool(select.select([fd], [], [], timeout)[0])


def _parsed(raw: bytes) -> tuple[dict[str, object], str]:
    """The hook input as an object, or ({}, what is wrong with it)."""
    if not raw.strip():
        return {}, "stdin is empty"
    try:
        data = fastjson.loads(raw)
    except UnicodeDecodeError:
        return {}, "stdin is not UTF-8"
    except ValueError as exc:
        return {}, f"stdin is not valid JSON ({str(exc).splitlines()[0][:120]})"
    if not isinstance(data, dict):
        return {}, f"stdin is a JSON {_KINDS.get(type(data), 'value')}, not an object"
    return data, ""


def _dispatch(payload: Payload, ctx: Context | None) -> Decision:
    handler = _handler(payload.event)
    if handler is None:
        sys.stderr.write(f"orch: ignoring unknown hook event {payload.event!r}\n")
        return NONE
    if ctx is None:
        sys.stderr.write("orch: no .orch/ here; the plan is not enforced (run `orch init`)\n")
        return NONE
    return handler(payload, ctx)


def _handler(event: str) -> Callable[[Payload, Context], Decision] | None:
    if event == "PreToolUse":
        from orchestrator.hooks import pretool

        return pretool.decide
    if event in ("PostToolUse", "PostToolUseFailure"):
        from orchestrator.hooks import posttool

        return posttool.decide
    if event in ("Stop", "SubagentStop"):
        from orchestrator.hooks import stop

        return stop.decide
    if event == "SessionStart":
        from orchestrator.hooks import session

        return session.start
    if event == "TaskCompleted":
        from orchestrator.hooks import nativetasks

        return nativetasks.completed
    if event == "SessionEnd":
        from orchestrator.hooks import session

        return session.end
    return None


def _session_setup(decision: Decision, ctx: Context | None, session: str) -> Decision:
    """Every session start, even in a repo without `.orch/`: put `orch` on the PATH of the
    session's Bash calls; for a plugin install, also start building the CLI's virtual environment
    (in the background), so the first slash command finds it."""
    try:
        from orchestrator import bootstrap, launcher

        data = os.environ.get("CLAUDE_PLUGIN_DATA")
        if data:
            launcher.on_path(launcher.plugin_bin(bootstrap.plugin_root(), data))
        elif ctx is not None and (folder := launcher.pip_bin(ctx.runtime.dir)):
            launcher.on_path(folder)
        notice = bootstrap.ensure_started()
    except Exception as exc:  # a failed bootstrap must not cost the session its briefing
        notice = f"orch: could not set up its command ({type(exc).__name__}: {exc})"
    notice = "\n".join(part for part in (_jail_setup(ctx, session), notice) if part)
    if not notice:
        return decision
    context = "\n".join(part for part in (notice, decision.context) if part)
    return Decision(decision.action, decision.message, context, decision.notice)


def _jail_setup(ctx: Context | None, session: str) -> str:
    """Put the session's Bash calls in the write jail; a notice when it cannot be."""
    if ctx is None or not session:
        return ""
    try:
        from orchestrator import jail

        return jail.session_started(ctx, session, os.environ)
    except Exception as exc:  # the briefing must still come
        return f"orch: could not set up the write jail ({type(exc).__name__}: {exc})"


def _unreadable(payload: Payload, problem: str) -> Decision:
    """Nothing in the input can be trusted: allow with a warning, or deny in strict mode (the repo
    found from CLAUDE_PROJECT_DIR or the working directory)."""
    from orchestrator.hooks.context import Context

    ctx = Context.find(payload) if payload.event == "PreToolUse" else None
    if ctx is not None and _strict(ctx):
        sys.stderr.write(f"orch: {problem}; denying (strict mode)\n")
        return Decision("deny", f"orch could not read this call's hook input ({problem}) and "
                                "strict mode is on; retry the call.")
    sys.stderr.write(f"orch: {problem}; allowing\n")
    return Decision(notice=f"hook input unreadable ({problem}); this call was not checked")


def _failed(payload: Payload, ctx: Context | None, exc: Exception) -> Decision:
    where = _log(ctx, exc)
    summary = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
    sys.stderr.write(f"orch: hook error: {summary} (log: {where})\n")
    unusable = payload.unusable_path() if payload.event == "PreToolUse" else None
    if unusable:  # the call's target cannot be known, so it cannot be allowed
        return Decision("deny", f"{unusable}, so this call is refused; remove it and retry.")
    strict = ctx is not None and _strict(ctx)
    if strict and payload.event == "PreToolUse":
        return Decision(
            "deny",
            f"orch could not check this call ({summary}) and strict mode is on; "
            f"see {where} or run `orch doctor`.",
        )
    return Decision(notice=f"hook error ({summary}); this call was not checked. Log: {where}")


def _strict(ctx: Context) -> bool:
    try:
        return ctx.policy("strict")
    except Exception:  # a config that cannot be read while reporting an error: not strict
        return False


def _log(ctx: Context | None, exc: Exception) -> str:
    """Append the traceback to the runtime log, capped: past LOG_CAP it starts over."""
    import tempfile
    import traceback

    folder = ctx.runtime.dir if ctx is not None else tempfile.gettempdir()
    path = os.path.join(folder, "orch-hooks.log")
    try:
        os.makedirs(folder, exist_ok=True)
        mode = "w" if os.path.exists(path) and os.path.getsize(path) > LOG_CAP else "a"
        with open(path, mode, encoding="utf-8", errors="backslashreplace") as handle:
            handle.write(time.strftime("%Y-%m-%dT%H:%M:%SZ ", time.gmtime()))
            handle.write("".join(traceback.format_exception(exc)))
    except OSError:
        return "(log unavailable)"
    return path
