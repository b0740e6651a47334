"""PostToolUse: record the files a bound task changed (the file a Write, Edit or NotebookEdit
wrote; the files the Bash analyser finds a command wrote); run the configured fast per-file checks
and feed a failure back to the model."""

from __future__ import annotations

import os

from orchestrator.hooks import index, pretool
from orchestrator.hooks.decision import NONE, Decision
from orchestrator.hooks.index import glob_matches
from orchestrator.jsonfile import read_json_or, write_json
from orchestrator.lifecycle import ACTIVE
from orchestrator.runtime import FileLock

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from orchestrator.hooks.context import Context
    from orchestrator.hooks.payload import Payload

CHECK_TIMEOUT = 30.0
TAIL_CHARS = 3000


def decide(payload: Payload, ctx: Context) -> Decision:
    if payload.tool_name == "Bash":
        ctx.runtime.withdraw_grants(payload.tool_use_id)
    if payload.event == "PostToolUseFailure":
        return NONE
    paths = pretool.targets(payload)[0]
    cwd = payload.cwd or ctx.root
    rels = [r for r in (ctx.relative(p, cwd) for p in paths) if r is not None and not pretool.in_state(r)]
    if not rels:
        return NONE
    task = ctx.bound_task(payload.caller)
    if task is not None and task.get("status") in ACTIVE:
        files = rels if payload.tool_name != "Bash" else [r for r in rels if _a_file(ctx.root, r)]
        if files:
            _record_artifacts(ctx, task["id"], files)
    return _fast_checks(ctx, rels) or NONE


def _a_file(root: str, rel: str) -> bool:
    """What the Bash analyser found written names a file: one that exists now, or one the command
    removed (a deletion is a change too). Not a folder (`mkdir`, `rm -r`, `tar -C`: the files below
    it are unknown) and not a glob that matched nothing."""
    path = os.path.join(root, rel)
    if os.path.lexists(path):
        return not os.path.isdir(path)
    return not any(char in rel for char in "*?[")


def _record_artifacts(ctx: Context, task_id: str, rels: list[str]) -> None:
    """Append new paths to the task's artifacts, under the state lock (`fcntl.flock` on the same
    `.orch/.lock` that the CLI takes through filelock)."""
    path = os.path.join(ctx.state_dir, "tasks", f"{task_id}.json")
    with FileLock(os.path.join(ctx.state_dir, ".lock")):
        task = read_json_or(path, None)
        if not isinstance(task, dict):
            return
        artifacts = task.setdefault("artifacts", [])
        new = [r for r in rels if r not in artifacts]
        if new:
            before = index.stamp(ctx.state_dir)
            artifacts.extend(new)
            write_json(path, task)
            index.keep_current(ctx.state_dir, ctx.runtime.dir, before)


def _fast_checks(ctx: Context, rels: list[str]) -> Decision | None:
    failures = []
    for check in ctx.config.get("fast_checks") or []:
        for rel in rels:
            if isinstance(check, dict) and glob_matches(str(check.get("glob", "")), rel.split("/")):
                failure = _run_check(ctx, check, rel)
                if failure:
                    failures.append(failure)
    if not failures:
        return None
    return Decision("block", "a fast check failed on the file just written:\n" + "\n\n".join(failures))


def _run_check(ctx: Context, check: dict[str, Any], rel: str) -> str | None:
    import shlex
    from pathlib import Path

    from orchestrator.gates import run_gate

    command = str(check.get("command", "")).replace("{path}", shlex.quote(rel))
    gate = {
        "name": "fast check",
        "command": command,
        "kind": "plain",
        "timeout": float(check.get("timeout", CHECK_TIMEOUT)),
    }
    result = run_gate(gate, Path(ctx.root))
    if result["passed"]:
        return None
    why = result["error"] or f"exited {result['exit_code']}"
    return f"`{command}` {why}:\n{result['tail'][-TAIL_CHARS:]}"
