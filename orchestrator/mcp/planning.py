"""`orchestrator_plan_task`: a JSON subtask list becomes an orch plan, through the same parser and
`planload.add_plan` as `orch plan add subtasks.json` (same forgiving dependency matching, same
errors, naming the argument and the line in it)."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

from orchestrator import planload
from orchestrator.errors import InvalidInput, PlanError
from orchestrator.store import Store

ARGUMENT = "subtasks_json"
SOURCE = "orchestrator_plan_task"
TITLE_LIMIT = 100
ID_LIMIT = 40


def add(store: Store, description: str, subtasks_json: str, context: str, actor: str) -> dict[str, Any]:
    """Load the subtasks as a new plan; returns the normalised plan (`plan`, `tasks`, `warnings`)."""
    plan_id = _declared_id(subtasks_json) or _free_id(store, description)
    text = _wrapped(subtasks_json, description, context)
    with tempfile.TemporaryDirectory(prefix="orch-mcp-") as folder:
        source = Path(folder, f"{plan_id}.json")
        source.write_text(text, encoding="utf-8")
        try:
            return planload.add_plan(store, source, plan_id=plan_id, actor=actor, source_name=SOURCE)
        except PlanError as exc:
            shown = exc.file.replace(str(source), ARGUMENT)
            raise PlanError(shown, exc.line, exc.field, exc.detail.replace(str(source), ARGUMENT)) from None


def _wrapped(text: str, description: str, context: str) -> str:
    """A bare JSON array becomes `{"title": …, "description": …, "subtasks": <the array>}`, the
    header on the array's first line, so every line number an error gives is the caller's."""
    if not text.lstrip().startswith("["):
        return text
    title = description.strip().splitlines()[0][:TITLE_LIMIT] if description.strip() else "Planned task"
    header = json.dumps({"title": title, "description": context or description})[:-1]
    return f'{header}, "subtasks": {text}\n}}'


def _declared_id(text: str) -> str | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    found = data.get("id") if isinstance(data, dict) else None
    return found if isinstance(found, str) and found else None


def _free_id(store: Store, description: str) -> str:
    """The description's slug (`plan` if it has none), made unique among the repo's plans."""
    base = re.sub(r"[^a-z0-9]+", "-", description.lower()).strip("-")[:ID_LIMIT].strip("-") or "plan"
    taken = {plan["id"] for plan in store.plans()}
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def subtask_row(task: dict[str, Any]) -> dict[str, Any]:
    """A task as mcp-task-orchestrator lists a subtask."""
    return {
        "task_id": task["id"],
        "title": task["title"],
        "specialist_type": task.get("specialist") or "implementer",
        "dependencies": task.get("depends_on", []),
        "status": task.get("status", "queued"),
    }


def parent_of(store: Store, parent_task_id: str) -> dict[str, Any]:
    """The plan a `parent_task_id` names (a plan id, or a task id standing for its plan)."""
    plan = store.plan(parent_task_id)
    if plan is None:
        task = store.task_or_none(parent_task_id)
        plan = store.plan(task["plan"]) if task is not None else None
    if plan is None:
        known = ", ".join(p["id"] for p in store.plans()) or "none yet"
        raise InvalidInput(f"no plan {parent_task_id!r} (plans: {known}); parent_task_id is the id "
                           "orchestrator_plan_task returned as parent_task_id")
    return plan
