"""The task state machine: statuses and the transitions between them (pure)."""

from __future__ import annotations

from orchestrator.errors import InvalidInput, Refused

STATUSES = ("queued", "in_progress", "review", "testing", "completed", "blocked", "cancelled")
ACTIVE = frozenset({"in_progress", "review", "testing"})
FINISHED = frozenset({"completed", "cancelled"})

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "queued": ("in_progress", "blocked", "cancelled"),
    "in_progress": ("review", "testing", "completed", "blocked", "queued", "cancelled"),
    "review": ("testing", "completed", "in_progress", "blocked", "cancelled"),
    "testing": ("completed", "in_progress", "blocked", "cancelled"),
    "blocked": ("queued", "in_progress", "cancelled"),
    "completed": (),
    "cancelled": ("queued",),
}


def check_status(status: str) -> str:
    """`status` if it is one of STATUSES, else an InvalidInput naming them."""
    if status not in TRANSITIONS:
        raise InvalidInput(f"unknown status {status!r}; statuses are: {', '.join(STATUSES)}")
    return status


def check_transition(task_id: str, current: str, target: str) -> None:
    """Refuse an illegal move, naming the legal ones."""
    check_status(target)
    legal = TRANSITIONS.get(current, ())
    if target in legal:
        return
    if current == target:
        raise Refused(f"{task_id} is already {current}")
    options = ", ".join(legal) if legal else "none (it is final)"
    raise Refused(f"{task_id} cannot go from {current} to {target}; from {current} it can go to: {options}")


def effective_gates(
    config: dict[str, object], plan: dict[str, object] | None, task: dict[str, object]
) -> list[dict[str, object]]:
    """The gates a task must pass: the repo config's, the plan's defaults, then the task's own;
    a later gate of the same name replaces an earlier one."""
    by_name: dict[str, dict[str, object]] = {}
    for source in (config.get("gates"), (plan or {}).get("gates"), task.get("gates")):
        for gate in source if isinstance(source, list) else []:
            if isinstance(gate, dict):
                by_name[str(gate.get("name", gate.get("command")))] = gate
    return list(by_name.values())
