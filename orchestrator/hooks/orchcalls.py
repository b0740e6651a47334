"""PreToolUse on Bash: the `orch …` commands a call runs. Only a task's holder moves it (or a
human at a terminal): refuse the caller's `orch done T` when T is held by someone else, and a
caller's attempt to act as someone else (`--agent`); then leave a grant for each allowed call, so
the `orch` process acts as the caller the hook sees whatever its environment says."""

from __future__ import annotations

from orchestrator.callers import GUARDED_SETTINGS, MOVING, grant_key, operands, option
from orchestrator.hooks.decision import Decision
from orchestrator.runtime import is_live

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from orchestrator.hooks.bash.programs.orch import OrchCall
    from orchestrator.hooks.context import Context
    from orchestrator.hooks.payload import Payload

BOUND_VERBS = ("gate", "lock")  # with no task named, these act on the caller's bound task


def check(calls: tuple[OrchCall, ...], payload: Payload, ctx: Context) -> Decision | None:
    """A refusal for the first `orch` call the caller may not make, else None."""
    for call in calls:
        verdict = _check_one(call, payload, ctx)
        if verdict is not None:
            return verdict
    return None


def offer(calls: tuple[OrchCall, ...], payload: Payload, ctx: Context) -> None:
    """Leave a grant for each task-moving `orch` call of an allowed command."""
    for call in calls:
        if call.args and call.args[0] in MOVING:
            key = grant_key(call.args[0], list(call.args[1:]))
            ctx.runtime.offer_grant(key, payload.caller, payload.session_id, payload.tool_use_id)


def _check_one(call: OrchCall, payload: Payload, ctx: Context) -> Decision | None:
    if not call.args:
        return None
    verb, args = call.args[0], list(call.args[1:])
    if verb == "uninstall" or (verb == "config" and _guarded_setting(args)):
        return Decision(
            "deny",
            f"`orch {' '.join(call.args)}` changes what orch enforces, which is the human's call: "
            "ask them to run it in a terminal.",
        )
    if verb not in MOVING:
        return None
    if call.dynamic:
        return Decision(
            "deny",
            f"orch cannot tell which task `orch {verb} …` names here (an argument is a variable or "
            "a substitution). Run it with the task id written out: `orch " + verb + " ID`.",
        )
    agent = option(args, "--agent")
    if agent is not None and agent != payload.caller:
        return Decision(
            "deny",
            f"inside Claude Code orch acts as you ({payload.caller}); `--agent {agent}` is for a "
            f"human at a terminal. Run `orch {verb}` without it.",
        )
    task_id = _task_named(verb, args, payload, ctx)
    if not task_id:
        return None
    refused = _holder_rule(verb, task_id, payload, ctx)
    return refused or (_parent_rule(task_id, ctx) if verb == "start" else None)


def _guarded_setting(args: list[str]) -> bool:
    found = operands(args)
    return len(found) >= 2 and found[0].split(".")[0] in GUARDED_SETTINGS


def _task_named(verb: str, args: list[str], payload: Payload, ctx: Context) -> str | None:
    """The task `orch VERB ARGS` acts on: its operand, `--task`, the leased path's task, or the
    caller's bound task."""
    named = option(args, "--task")
    if named:
        return named
    found = operands(args)
    if verb == "unlock":
        rel = ctx.relative(found[0], payload.cwd or ctx.root) if found else None
        lease = ctx.runtime.leases().get(rel) if rel else None
        return str(lease["task"]) if lease else None
    if verb in BOUND_VERBS and (verb == "lock" or not found):
        return ctx.runtime.task_of(payload.caller)
    return found[0] if found else None


def _parent_rule(task_id: str, ctx: Context) -> Decision | None:
    """`orch start` of a parent task (one some task names as its `parent`): its children are the
    work. Read from the CLI's summary snapshot when it is current (one file); when it is not, the
    `orch start` command itself refuses."""
    from orchestrator import snapshot

    rows = snapshot.load(ctx.state_dir, ctx.runtime.dir, snapshot.SUMMARY) or []
    children = [row["id"] for row in rows if row.get("parent") == task_id]
    if not children:
        return None
    shown = ", ".join(children[:5]) + (", …" if len(children) > 5 else "")
    return Decision(
        "deny",
        f"task {task_id} is a parent task: its {len(children)} children ({shown}) are the work, and orch "
        "completes it when its last child completes and its own gates pass, so it is never started. "
        "Start a ready child instead (`orch next`, /orch:next).",
    )


def _holder_rule(verb: str, task_id: str, payload: Payload, ctx: Context) -> Decision | None:
    binding: dict[str, Any] | None = ctx.runtime.bindings().get(task_id)
    if binding is None or binding.get("holder") == payload.caller:
        return None
    if not is_live(binding, ctx.lease_ttl()):
        return None  # its holder's session ended or went quiet: taking it over is allowed
    return Decision(
        "deny",
        f"task {task_id} is held by {binding.get('holder')} (since {binding.get('since', '?')}); only "
        f"its holder moves it, so `orch {verb} {task_id}` is refused for you. Work on your own "
        "task (`orch status`, /orch:next); a human at a terminal may act on any task.",
    )
