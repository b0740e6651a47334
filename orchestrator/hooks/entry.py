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
EVENTS = (
    "PreToolUse", "PostToolUse", "PostToolUseFailure", "Stop", "SubagentStop", "SessionStart", "SessionEnd",
)


def main(argv: list[str]) -> int:
    if os.environ.get("ORCH_DISABLE") == "1":
        return 0
    event = argv[0] if argv else ""
    raw, problem = read_stdin(STDIN_DEADLINE)
    payload = Payload(raw, event)
    ctx = None
    try:
        if problem:
            decision = _unreadable(payload, problem)
        else:
            from orchestrator.hooks.context import Context

            ctx = Context.find(payload)
            decision = _dispatch(payload, ctx)
    except Exception as exc:  # the error boundary: fail open (or closed in strict mode)
        decision = _failed(payload, ctx, exc)
    if payload.event == "SessionStart":
        decision = _with_bootstrap_notice(decision)
    text = wire(payload.event, decision)
    if text:
        sys.stdout.write(text)
    return 0


def read_stdin(deadline: float) -> tuple[dict[str, object], str]:
    """One JSON object from stdin, stopping once it parses even if the pipe stays open."""
    buffer, fd, end = b"", sys.stdin.fileno(), time.monotonic() + deadline
    while True:
        left = end - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return {}, "stdin gave no complete JSON object before the deadline"
        chunk = os.read(fd, 65536)
        buffer += chunk
        try:
            data = fastjson.loads(buffer)
        except ValueError:
            if chunk:
                continue
            return {}, "stdin is not valid JSON"
        return (data, "") if isinstance(data, dict) else ({}, "stdin is not a JSON object")


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
    if event == "SessionEnd":
        from orchestrator.hooks import session

        return session.end
    return None


def _with_bootstrap_notice(decision: Decision) -> Decision:
    """Plugin installs: start building the CLI's virtual environment (in the background) at every
    session start, even in a repo without `.orch/`, so the first slash command finds it."""
    try:
        from orchestrator import bootstrap

        notice = bootstrap.ensure_started()
    except Exception as exc:  # a failed bootstrap must not cost the session its briefing
        notice = f"orch: could not start installing its dependencies ({type(exc).__name__}: {exc})"
    if not notice:
        return decision
    context = "\n".join(part for part in (notice, decision.context) if part)
    return Decision(decision.action, decision.message, context, decision.notice)


def _unreadable(payload: Payload, problem: str) -> Decision:
    sys.stderr.write(f"orch: {problem}; allowing\n")
    return Decision(notice=f"hook input unreadable ({problem}); this call was not checked")


def _failed(payload: Payload, ctx: Context | None, exc: Exception) -> Decision:
    where = _log(ctx, exc)
    summary = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
    sys.stderr.write(f"orch: hook error: {summary} (log: {where})\n")
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
        with open(path, mode, encoding="utf-8") as handle:
            handle.write(time.strftime("%Y-%m-%dT%H:%M:%SZ ", time.gmtime()))
            handle.write("".join(traceback.format_exception(exc)))
    except OSError:
        return "(log unavailable)"
    return path
