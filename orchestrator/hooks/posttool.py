"""PostToolUse: record the files a bound task changed (the file a Write, Edit or NotebookEdit
wrote; the files the Bash analyser finds a command wrote); run the configured fast per-file checks
and feed a failure back to the model."""

from __future__ import annotations

import os

from orchestrator.hooks import pretool, taskfile
from orchestrator.hooks.decision import NONE, Decision
from orchestrator.hooks.index import glob_matches
from orchestrator.lifecycle import ACTIVE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from orchestrator.hooks.context import Context
    from orchestrator.hooks.payload import Payload

CHECK_TIMEOUT = 30.0
TAIL_CHARS = 3000


def decide(payload: Payload, ctx: Context) -> Decision:
    jailed = ""
    if payload.tool_name == "Bash":
        ctx.runtime.withdraw_grants(payload.tool_use_id)
        from orchestrator import jail

        jailed = jail.after_bash(payload, ctx)
    if payload.event == "PostToolUseFailure":
        return Decision(context=jailed) if jailed else NONE
    paths = pretool.targets(payload)[0]
    cwd = payload.cwd or ctx.root
    rels = [r for r in (ctx.relative(p, cwd) for p in paths) if r is not None and not pretool.in_state(r)]
    if not rels:
        return Decision(context=jailed) if jailed else NONE
    task = ctx.bound_task(payload.caller)
    active = task["id"] if task is not None and task.get("status") in ACTIVE else None
    files = rels if payload.tool_name != "Bash" else [r for r in rels if _a_file(ctx.root, r)]
    if active and files:
        _record_artifacts(ctx, active, files)
    verdict = _fast_checks(ctx, rels, active)
    if verdict is not None and jailed:
        verdict.context = jailed
    return verdict or (Decision(context=jailed) if jailed else NONE)


def _a_file(root: str, rel: str) -> bool:
    """What the Bash analyser found written names a file: one that exists now, or one the command
    removed (a deletion is a change too). Not a folder (`mkdir`, `rm -r`, `tar -C`: the files below
    it are unknown) and not a glob that matched nothing."""
    path = os.path.join(root, rel)
    if os.path.lexists(path):
        return not os.path.isdir(path)
    return not any(char in rel for char in "*?[")


def _record_artifacts(ctx: Context, task_id: str, rels: list[str]) -> None:
    """Append new paths to the task's artifacts."""

    def change(task: dict[str, Any]) -> bool:
        artifacts = task.setdefault("artifacts", [])
        new = [r for r in rels if r not in artifacts]
        artifacts.extend(new)
        return bool(new)

    taskfile.update(ctx, task_id, change)


def _fast_checks(ctx: Context, rels: list[str], task_id: str | None) -> Decision | None:
    """Run the checks whose glob matches a written file; a run of tests counts as a test run of
    the bound task (`testruns`), so a red one there satisfies test first."""
    results = []
    for check in ctx.config.get("fast_checks") or []:
        for rel in rels:
            if isinstance(check, dict) and glob_matches(str(check.get("glob", "")), rel.split("/")):
                results.append(_run_check(ctx, check, rel))
    if task_id and results:
        _record_test_runs(ctx, task_id, results)
    failures = [_failure_text(result) for result in results if not result["passed"]]
    if not failures:
        return None
    return Decision("block", "a fast check failed on the file just written:\n" + "\n\n".join(failures))


def _run_check(ctx: Context, check: dict[str, Any], rel: str) -> dict[str, Any]:
    import shlex
    from pathlib import Path

    from orchestrator.gates import run_gate

    command = str(check.get("command", "")).replace("{path}", shlex.quote(rel))
    gate = {
        "name": "fast check",
        "command": command,
        "kind": check.get("kind"),  # none: pytest and unittest commands are read as such
        "timeout": float(check.get("timeout", CHECK_TIMEOUT)),
    }
    return run_gate(gate, Path(ctx.root))


def _failure_text(result: dict[str, Any]) -> str:
    plain = result["exit_code"] and not result["summary"].get("nothing")
    why = result["error"] or (f"exited {result['exit_code']}" if plain else result["why"])
    return f"`{result['command']}` {why}:\n{result['tail'][-TAIL_CHARS:]}"


def _record_test_runs(ctx: Context, task_id: str, results: list[dict[str, Any]]) -> None:
    from orchestrator import testruns

    new = testruns.entries(results, "fast check")
    if new:
        taskfile.update(ctx, task_id, lambda task: testruns.add(task, new))
