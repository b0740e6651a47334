"""SessionStart: a short briefing for the model, and the tasks-folder monitor started (`fsmonitor`).
SessionEnd: release the session's leases. Both start a background `orch sync` in team mode when
`sync.on_session` asks (`teamsync`)."""

from __future__ import annotations

import os

from orchestrator import paths
from orchestrator.fsmonitor import client as fsmonitor
from orchestrator.hooks import teamsync
from orchestrator.hooks.decision import NONE, Decision
from orchestrator.hooks.index import load_tasks

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from orchestrator.hooks.context import Context
    from orchestrator.hooks.payload import Payload

LIMIT = 2000


def start(payload: Payload, ctx: Context) -> Decision:
    from orchestrator import graph
    from orchestrator.schedule import Schedule

    ctx.runtime.mark_session(payload.session_id)
    teamsync.start_background_sync(ctx)
    fsmonitor.start(os.path.join(ctx.state_dir, "tasks"), paths.worktree_dir(ctx.state_dir, ctx.runtime.dir))
    tasks = load_tasks(os.path.join(ctx.state_dir, "tasks"))
    if not tasks:
        return Decision(
            context="orch: this repo uses orch, but no plan is loaded yet (`orch plan add FILE`)."
        )
    done = sum(1 for t in tasks if t.get("status") == "completed")
    lines = [f"orch briefing: {done}/{len(tasks)} tasks completed."]
    bound = ctx.bound_task(payload.caller)
    if bound is not None:
        lines += _bound_lines(bound)
    in_plan_order = sorted(tasks, key=lambda t: (t.get("plan", ""), t.get("position", 0)))
    ready = graph.ready_tasks(in_plan_order, Schedule.from_config(ctx.config))
    reserved = ctx.runtime.dispatched()  # handed to a subagent by `orch dispatch`: not offered again
    ready = [t for t in ready if t["id"] not in reserved]
    if ready:
        lines.append(
            "Ready next: "
            + "; ".join(f"{t['id']} {t.get('title', '')} ({t.get('priority')})" for t in ready[:5])
        )
    lines.append(_rules(ctx))
    text = "\n".join(lines)
    return Decision(context=text if len(text) <= LIMIT else text[: LIMIT - 1] + "…")


def _bound_lines(task: dict[str, Any]) -> list[str]:
    from orchestrator.acceptance import checklist

    lines = [f"You are bound to task {task['id']}: {task.get('title', '')} [{task.get('status')}]."]
    items = checklist(task)
    if items:
        ticked = sum(item["done"] for item in items)
        lines.append(f"Acceptance ({ticked}/{len(items)} ticked; tick one with evidence: "
                     f"`orch check {task['id']} N --evidence TEXT`):")
    for item in items[:8]:
        lines.append(f"  {item['n']}. [{'x' if item['done'] else ' '}] {item['text']}"[:160])
    andon = task.get("andon")
    if task.get("status") == "blocked" and isinstance(andon, dict):
        whys = len(andon.get("whys") or [])
        lines.append(f"Andon: gate '{andon.get('gate')}' failed; {whys}/5 whys recorded "
                     f"(`orch why {task['id']} TEXT`).")
    return lines


def _rules(ctx: Context) -> str:
    rules = [
        "start a task with `orch start ID` before working on it",
        "writes to files of tasks whose dependencies are unfinished, or leased by another task, are refused",
        ".orch/ is changed only through the orch CLI",
        "you cannot stop while your task's gates fail; finish with `orch done ID`",
    ]
    if ctx.policy("require_outputs"):
        rules.append("`orch done` refuses a task until it has written a file for each of its declared files")
    if ctx.policy("require_task"):
        rules.insert(0, "no file may be written without a bound task")
    return "Rules in force: " + "; ".join(rules) + "."


def end(payload: Payload, ctx: Context) -> Decision:
    if payload.session_id:
        ctx.runtime.end_session(payload.session_id)
    teamsync.start_background_sync(ctx)
    return NONE
