"""Stop and SubagentStop: while the caller's bound task is in progress and its gates fail, keep
the agent working; past `stop.max_blocks` consecutive blocks, hand over to the human.

The gates' result is reused while the tree is unchanged (`fingerprint`); all gates of one Stop
share GATE_BUDGET seconds, so the hook answers before Claude Code's timeout kills it; and if it
is killed anyway, its gates die with it (`gates.stopped_by_signals`, the watchdog)."""

from __future__ import annotations

import os

from orchestrator import lifecycle
from orchestrator.hooks.decision import NONE, Decision
from orchestrator.jsonfile import read_json_or, write_json

HOOK_TIMEOUT = 900.0  # seconds, as registered for Stop and SubagentStop (install.EVENTS, hooks.json)
GATE_BUDGET = HOOK_TIMEOUT - 60.0  # the rest: start-up, two tree walks, killing a gate at its limit

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from orchestrator.hooks.context import Context
    from orchestrator.hooks.payload import Payload


def decide(payload: Payload, ctx: Context) -> Decision:
    decision = _gates_verdict(payload, ctx)
    if payload.event == "SubagentStop" and payload.agent_id and decision.action != "block":
        ctx.runtime.end_holder(payload.agent_id)  # it is gone: its task may be taken over
    return decision


def _gates_verdict(payload: Payload, ctx: Context) -> Decision:
    task = ctx.bound_task(payload.caller)
    if task is None or task.get("status") != "in_progress":
        return NONE
    plan = read_json_or(os.path.join(ctx.state_dir, "plans", f"{task.get('plan')}.json"), None)
    gates = lifecycle.effective_gates(ctx.config, plan, task)
    if not gates:
        return NONE
    failure = first_failure(ctx, task["id"], gates)
    counter = os.path.join(ctx.runtime.dir, "stops", f"{task['id']}.json")
    count = int(read_json_or(counter, {}).get("count", 0)) if payload.stop_hook_active else 0
    if failure is None:
        write_json(counter, {"count": 0}, durable=False)
        return NONE
    limit = int(ctx.config.get("stop", {}).get("max_blocks", 3))
    if count >= limit:
        write_json(counter, {"count": 0}, durable=False)
        return Decision(notice=_handover(task, failure, count))
    write_json(counter, {"count": count + 1}, durable=False)
    return Decision("block", _keep_working(task, failure))


def first_failure(ctx: Context, task_id: str, gates: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first failing gate's result, reusing the last run while the working tree is unchanged."""
    from orchestrator import fingerprint

    cache_path = os.path.join(ctx.runtime.dir, "gatecache", f"{task_id}.json")
    skipped = _inside(ctx.root, ctx.runtime.dir)  # its logs and this cache change on every run
    before = fingerprint.tree_entries(ctx.root, exclude=skipped)
    cached = read_json_or(cache_path, {})
    if cached.get("fingerprint") == fingerprint.digest(before) and cached.get("gates") == gates:
        failure: dict[str, Any] | None = cached.get("failure")
        return failure
    failure = _run(ctx, task_id, gates)
    after = fingerprint.tree_entries(ctx.root, exclude=skipped)
    key = fingerprint.after_run(before, after, _declared_outputs(gates))
    write_json(cache_path, {"fingerprint": key, "gates": gates, "failure": failure}, durable=False)
    return failure


def _run(ctx: Context, task_id: str, gates: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Run the gates within GATE_BUDGET, killing them if this hook is told to stop; the runs of
    test gates are recorded on the task (`testruns`: a red one counts for test first)."""
    from pathlib import Path

    from orchestrator.gates import new_run_folder, run_gates, stopped_by_signals

    output_dir = new_run_folder(Path(ctx.runtime.dir) / "gate-output" / task_id / "stop")
    mine = [{**gate, "task": task_id} for gate in gates]  # suggestions name `orch gate <task>`
    with stopped_by_signals():
        results = run_gates(
            mine, Path(ctx.root), output_dir=output_dir, stop_on_failure=True, budget=GATE_BUDGET
        )
    _record_test_runs(ctx, task_id, results)
    return next((r for r in results if not r["passed"]), None)


def _record_test_runs(ctx: Context, task_id: str, results: list[dict[str, Any]]) -> None:
    from orchestrator import testruns
    from orchestrator.hooks import taskfile

    new = testruns.entries(results, "Stop")
    if new:
        taskfile.update(ctx, task_id, lambda task: testruns.add(task, new))


def _inside(root: str, folder: str) -> list[str]:
    """`folder` relative to `root` if it lies in the tree (ORCH_RUNTIME_DIR may put it there)."""
    rel = os.path.relpath(os.path.realpath(folder), os.path.realpath(root))
    return [] if rel in (".", "..") or rel.startswith(("../", "/")) else [rel]


def _declared_outputs(gates: list[dict[str, Any]]) -> list[str]:
    """The report files the gates say they write, relative to the repo root."""
    reports = [os.path.join(g.get("cwd") or ".", str(g["report"])) for g in gates if g.get("report")]
    return [os.path.normpath(path) for path in reports]


def describe(failure: dict[str, Any]) -> str:
    why = failure.get("why") or failure.get("error") or f"exit code {failure.get('exit_code')}"
    return f"gate '{failure.get('name')}' (`{failure.get('command')}`) failed: {why}"


def _keep_working(task: dict[str, Any], failure: dict[str, Any]) -> str:
    return (
        f"task {task['id']} ({task.get('title', '')}) is in progress and its {describe(failure)}.\n"
        f"Last lines of its output:\n{failure.get('tail', '')}\n"
        f"Next step: {failure.get('suggestion') or 'fix what the output shows'}. orch lets you stop "
        f'once the gates pass; if you are stuck, run `orch block {task["id"]} --reason "..."`.'
    )


def _handover(task: dict[str, Any], failure: dict[str, Any], count: int) -> str:
    return (
        f"task {task['id']} still fails after {count} attempts to stop ({describe(failure)}). "
        "orch stops blocking here and hands over to you: look at the gate output "
        f"(`orch gate {task['id']}`), then fix, re-plan or `orch block {task['id']} --reason ...`."
    )
