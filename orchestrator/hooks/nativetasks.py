"""TaskCompleted: Claude Code's own task list (TaskCreate, TaskUpdate) where a native task names an
orch task. Completing such a native task while the orch task's gates fail is refused with the
gate's output, as Stop refuses to stop; a native task naming no orch task is not governed.

A native task names an orch task by its subject's first word (`T1: build the thing`, `[T1] …`,
`#T1 …`) or by `orch task T1` in its subject or description. Verified with the real CLI (2.1.330,
2.1.332, headless with CLAUDE_CODE_ENABLE_TODO_TOOLS=1): the payload carries `task_id`,
`task_subject` and `task_description`, and `{"decision": "block", "reason": …}` keeps the task open
and shows the reason to the model as "TaskCompleted hook feedback".
"""

from __future__ import annotations

import os

from orchestrator import lifecycle
from orchestrator.hooks.decision import NONE, Decision
from orchestrator.jsonfile import read_json_or

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from orchestrator.hooks.context import Context
    from orchestrator.hooks.payload import Payload

PUNCTUATION = ":[]()#,.;"
FINISHED = ("completed", "cancelled")


def completed(payload: Payload, ctx: Context) -> Decision:
    task = named_task(payload.raw, ctx)
    if task is None or task.get("status") in FINISHED:
        return NONE
    plan = read_json_or(os.path.join(ctx.state_dir, "plans", f"{task.get('plan')}.json"), None)
    gates = lifecycle.effective_gates(ctx.config, plan, task)
    if not gates:
        return NONE
    from orchestrator.hooks import stop

    failure = stop.first_failure(ctx, task["id"], gates)
    if failure is None:
        return NONE
    tail = str(failure.get("tail") or "").strip()[-1500:]
    return Decision(
        "block",
        f"this task names orch task {task['id']} ({task.get('title', '')}), whose "
        f"{stop.describe(failure)}.\n{tail}\nFix it, then mark the task completed again (or run "
        f"`orch done {task['id']}`).",
    )


def named_task(raw: dict[str, Any], ctx: Context) -> dict[str, Any] | None:
    """The orch task a native task's subject or description names, if any exists."""
    subject, description = str(raw.get("task_subject") or ""), str(raw.get("task_description") or "")
    for candidate in _candidates(subject, description):
        task = ctx.task(candidate)
        if task is not None:
            return task
    return None


def _candidates(subject: str, description: str) -> list[str]:
    words = subject.split()
    found = [words[0].strip(PUNCTUATION)] if words else []
    for text in (subject, description):
        lowered = text.lower()
        at = lowered.find("orch task ")
        if at >= 0:
            rest = text[at + len("orch task "):].split()
            found += [rest[0].strip(PUNCTUATION)] if rest else []
    return [c for c in found if c and "/" not in c and not c.startswith(".")]
