"""The tools the server offers: names, descriptions and argument schemas (pure data), and the
checks that turn a call's arguments into values or an InvalidInput that says what to pass."""

from __future__ import annotations

from typing import Any

from orchestrator.errors import InvalidInput, Refused

NEXT_ACTIONS = ("continue", "needs_revision", "blocked", "complete")
COMPLEXITY = ("simple", "moderate", "complex", "very_complex")


def _schema(required: tuple[str, ...], **properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required)}


def _text(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


def _flag(description: str) -> dict[str, Any]:
    return {"type": "boolean", "description": description}


TASK_ID = _text("The task's id (as orchestrator_plan_task or orch_status gave it).")
PLAN = _text("Only this plan (default: every plan).")

COMPAT: dict[str, tuple[str, dict[str, Any]]] = {
    "orchestrator_initialize_session": (
        "Start or resume work: orch's role guidance, the specialists, the plans in this repository "
        "and the tasks in progress.",
        _schema(()),
    ),
    "orchestrator_plan_task": (
        "Turn a JSON list of subtasks into a binding orch plan (dependency order, file leases, gates, "
        "receipts). Each subtask: title, description, specialist_type, dependencies (ids or titles), "
        "estimated_effort, files, acceptance_criteria. Returns the plan id (the parent task id) and "
        "the subtask ids.",
        _schema(
            ("description", "subtasks_json"),
            description=_text("What the whole task is."),
            subtasks_json=_text("The subtasks as a JSON array (or an object with 'subtasks')."),
            complexity_level={"type": "string", "enum": list(COMPLEXITY),
                              "description": "Accepted and echoed; orch orders by the dependencies."},
            context=_text("Background, kept as the plan's description."),
        ),
    ),
    "orchestrator_execute_subtask": (
        "Start a subtask for you: refused, with the reason, while its dependencies are unfinished or "
        "someone else holds it. Returns the task and its specialist's guidance.",
        _schema(("task_id",), task_id=TASK_ID),
    ),
    "orchestrator_complete_subtask": (
        "Finish a subtask: detailed_work is stored as an artifact file of the task, then orch runs its "
        "gates and completes it when they pass (else it is blocked, with the failing gate). "
        "next_action needs_revision keeps it in progress; blocked blocks it with the summary as reason.",
        _schema(
            ("task_id", "summary", "detailed_work", "next_action"),
            task_id=TASK_ID,
            summary=_text("One paragraph: what was done."),
            detailed_work=_text("The full work (Markdown), stored as the task's artifact file."),
            file_paths={"type": "array", "items": {"type": "string"},
                        "description": "Files created or changed."},
            artifact_type=_text("code, documentation, analysis, design, test, config or general."),
            next_action={"type": "string", "enum": list(NEXT_ACTIONS), "description": "What happens next."},
        ),
    ),
    "orchestrator_synthesize_results": (
        "Write and return the synthesis of a plan (orch synthesize): what is done, the artifacts, "
        "open items and next steps.",
        _schema(("parent_task_id",), parent_task_id=_text("The plan id orchestrator_plan_task returned.")),
    ),
    "orchestrator_get_status": (
        "Progress per plan: each plan's subtasks with their status and holder.",
        _schema((), include_completed=_flag("Also list completed plans and subtasks (default: false).")),
    ),
}

NATIVE: dict[str, tuple[str, dict[str, Any]]] = {
    "orch_next": ("What is ready to start, best first (orch next --json).",
                  _schema((), plan=PLAN, parallel={"type": "integer", "minimum": 1,
                                                   "description": "Also pick a wave of up to N tasks."})),
    "orch_start": ("Start a task and bind it to you, if its dependencies are completed (orch start --json).",
                   _schema(("task_id",), task_id=TASK_ID)),
    "orch_done": ("Run the task's gates; complete it if all pass, else block it (orch done --json).",
                  _schema(("task_id",), task_id=TASK_ID)),
    "orch_status": ("The completion matrix and every task's status (orch status --json).",
                    _schema((), plan=PLAN)),
    "orch_verify": ("Check the receipt chains and milestone tags (orch verify --json).", _schema(())),
    "orch_locks": ("The live file leases (orch locks --json).", _schema(())),
}


def every_tool() -> dict[str, tuple[str, dict[str, Any]]]:
    return {**COMPAT, **NATIVE}


class Arguments:
    """A call's arguments, read with checks that name the argument and what it must be."""

    def __init__(self, tool: str, raw: dict[str, Any] | None) -> None:
        self.tool, self.raw = tool, raw or {}

    def text(self, name: str, default: str | None = None) -> str:
        value = self.raw.get(name, default)
        if not isinstance(value, str) or (default is None and not value.strip()):
            raise InvalidInput(f"{self.tool}: argument {name!r} is required and must be a non-empty string")
        return value

    def choice(self, name: str, choices: tuple[str, ...], default: str | None = None) -> str:
        value = self.text(name, default)
        if value not in choices and value != default:
            raise InvalidInput(
                f"{self.tool}: argument {name!r} must be one of {', '.join(choices)}; got {value!r}"
            )
        return value

    def flag(self, name: str) -> bool:
        value = self.raw.get(name, False)
        if not isinstance(value, bool):
            raise InvalidInput(f"{self.tool}: argument {name!r} must be true or false; got {value!r}")
        return value

    def number(self, name: str) -> int | None:
        value = self.raw.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise InvalidInput(f"{self.tool}: argument {name!r} must be a whole number of at least 1")
        return value

    def texts(self, name: str) -> list[str]:
        value = self.raw.get(name) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidInput(f"{self.tool}: argument {name!r} must be a list of strings (file paths)")
        return value


class Failure(Refused):
    """A tool's refusal that carries what the tool found (`data`, shown with the message)."""

    def __init__(self, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.data = data


def andon(task_id: str, outcome: dict[str, Any], shown: dict[str, Any] | None = None) -> Failure:
    """`orch done`'s andon as a tool error: the failing gate, why, and what to do."""
    pulled = outcome["task"].get("andon") or {}
    return Failure(f"andon: {task_id} is blocked: gate {pulled.get('gate')!r} failed ({pulled.get('why')}). "
                   f"Next: {pulled.get('suggestion')}; then start it again and complete it", shown)
