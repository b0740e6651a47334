"""PreToolUse: refuse writes that break the plan; take the caller's lease otherwise (pure rules
over the payload and the repo's context)."""

from __future__ import annotations

import os

from orchestrator.hooks import index
from orchestrator.hooks.decision import NONE, Decision
from orchestrator.lifecycle import ACTIVE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from orchestrator.hooks.context import Context
    from orchestrator.hooks.payload import Payload

HANDOVER_VERBS = ("start", "done", "gate", "block", "move", "cancel")
STATE = ".orch"


def decide(payload: Payload, ctx: Context) -> Decision:
    paths, opaque, mentions = _targets(payload)
    verdict = None
    if paths or opaque:
        cwd = payload.cwd or ctx.root
        rels = [r for r in (ctx.relative(p, cwd) for p in paths) if r is not None]
        verdict = _protected(rels, opaque, [ctx.relative(m, cwd) for m in mentions])
        if verdict is None:
            verdict = _binding_rules(payload, ctx, rels)
    if verdict is None and payload.tool_name == "Bash":
        _hand_over(payload, ctx)
    return verdict or NONE


def _targets(payload: Payload) -> tuple[list[str], tuple[str, ...], tuple[str, ...]]:
    written = payload.written_file()
    if written:
        return [written], (), ()
    if payload.tool_name == "Bash" and payload.command():
        from orchestrator.hooks.bash import written_paths

        found = written_paths(payload.command(), payload.cwd or os.getcwd())
        return _expanded(found.paths), found.opaque, tuple(_expanded(found.mentions))
    return [], (), ()


def _expanded(words: tuple[str, ...]) -> list[str]:
    """Unquoted globs as the shell will expand them (`rm .or*`, `cp x src/*.py`); a glob that
    matches nothing stays as written, as in bash."""
    result: list[str] = []
    for word in words:
        if "*" in word or "?" in word or "[" in word:
            import glob

            result.extend(sorted(glob.glob(word)) or [word])
        else:
            result.append(word)
    return result


def _in_state(rel: str | None) -> bool:
    return rel is not None and (rel == STATE or rel.startswith(STATE + "/"))


def _protected(rels: list[str], opaque: tuple[str, ...], mentions: list[str | None]) -> Decision | None:
    hit = next((r for r in rels if _in_state(r)), None)
    if hit is None and opaque:
        hit = next((m for m in mentions if _in_state(m)), None)
    if hit is None:
        return None
    return Decision(
        "deny",
        f"{hit} is orch's own state and config, written only by orch. Change it "
        "through the orch CLI (`orch start`, `orch move`, `orch block`, `orch done`, "
        "`orch plan add`), not by writing files.",
    )


def _binding_rules(payload: Payload, ctx: Context, rels: list[str]) -> Decision | None:
    task = ctx.bound_task(payload.caller)
    if task is None and rels and ctx.policy("require_task"):
        return Decision(
            "deny",
            "no orch task is bound to you, and this repo requires one before "
            "writing files (policy require_task). Run /orch:next to see ready work, "
            "then `orch start ID`.",
        )
    if task is not None and task.get("status") in ACTIVE:
        waits = ctx.unfinished_dependencies(task)
        if waits:
            return Decision(
                "deny",
                f"your task {task['id']} ({task.get('title', '')}) depends on "
                f"unfinished tasks: {', '.join(waits)}. Wait until they are completed "
                "(`orch status`), or take a ready task (/orch:next).",
            )
    for rel in rels:
        verdict = _ownership(rel, task, ctx) or _lease(rel, task, payload, ctx)
        if verdict is not None:
            return verdict
    return None


def _ownership(rel: str, task: dict[str, Any] | None, ctx: Context) -> Decision | None:
    """A file declared by a task that may not be worked on yet, or by another agent's task."""
    owners = index.owners(rel, ctx.state_dir, ctx.runtime.dir)
    mine = task["id"] if task is not None else None
    if not owners or any(entry[1] == mine for entry in owners):
        return None
    for _glob, owner, status, title, waits in owners:
        if waits:
            return Decision(
                "deny",
                f"{rel} belongs to task {owner} ({title}), which cannot start yet: "
                f"it waits on {', '.join(waits)}. Work on a ready task instead "
                "(/orch:next), or wait for those to complete.",
            )
        if status in ACTIVE:
            return Decision(
                "deny",
                f"{rel} belongs to task {owner} ({title}), which another agent has "
                f"in progress. Keep to your own task's files, or wait until {owner} "
                "is completed.",
            )
    return None


def _lease(rel: str, task: dict[str, Any] | None, payload: Payload, ctx: Context) -> Decision | None:
    if task is not None and task.get("status") == "in_progress":
        ttl = float(ctx.config.get("lease_ttl_seconds", 1800))
        conflict = ctx.runtime.take_lease(rel, task["id"], payload.caller, payload.session_id, ttl)
    else:
        conflict = ctx.runtime.live_leases().get(rel)
    if conflict is None:
        return None
    return Decision(
        "deny",
        f"{rel} is leased by task {conflict.get('task')} (held by "
        f"{conflict.get('holder')} since {conflict.get('since')}, until "
        f"{conflict.get('expires')}). Wait for {conflict.get('task')} to finish, "
        f"work on other files, or ask the human to run `orch unlock {rel}`.",
    )


def _hand_over(payload: Payload, ctx: Context) -> None:
    """An allowed Bash call runs `orch start ID` (or done, gate, block, move, cancel). From a
    subagent, whose environment lacks its agent id, leave the id in the runtime for that command
    to claim, so the task binds to (and its receipts name) the subagent; from the main thread,
    withdraw any offer a subagent left for the same task (its command may never have run)."""
    command = payload.command()
    if "orch" not in command or not any(verb in command for verb in HANDOVER_VERBS):
        return
    import shlex

    try:
        words = shlex.split(command)
    except ValueError:
        return
    for i, word in enumerate(words[:-2]):
        if os.path.basename(word) == "orch" and words[i + 1] in HANDOVER_VERBS:
            task_id = _first_operand(words[i + 2 :])
            if task_id and payload.agent_id:
                ctx.runtime.offer_handover(payload.session_id, task_id, payload.agent_id)
            elif task_id:
                ctx.runtime.claim_handover(payload.session_id, task_id)
            return


def _first_operand(words: list[str]) -> str | None:
    """The task id of `orch start [--agent X] [--brief] ID`."""
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word == "--agent":
            skip = True
        elif not word.startswith("-"):
            return word
    return None
