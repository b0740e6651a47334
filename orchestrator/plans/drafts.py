"""A task as a format parser builds it: the Draft, the ParsedPlan it ends up in, and how labelled
fields and sub-headed sections fill it in."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from orchestrator.errors import PlanError
from orchestrator.globs import normalise
from orchestrator.plans.markdown import Line, Section, fenced_body, markdown_text, parse_bullets, parse_steps
from orchestrator.plans.schema import GATES, gate_dicts, load_yaml, validate
from orchestrator.plans.values import (
    check_id,
    check_strings,
    check_text,
    convert,
    normalise_category,
    normalise_priority,
    normalise_specialist,
    normalise_status,
    parse_due,
    parse_estimate,
    snake_key,
)

_FIELD_NAMES = {
    "depends_on": "depends_on", "depends": "depends_on", "dependencies": "depends_on",
    "dependency": "depends_on", "deps": "depends_on", "after": "depends_on",
    "blocked_by": "depends_on", "prerequisites": "depends_on",
    "files": "files", "paths": "files", "files_to_modify": "files",
    "specialist": "specialist", "specialist_type": "specialist", "role": "specialist",
    "agent": "specialist",
    "estimate": "estimate", "effort": "estimate", "estimated_effort": "estimate",
    "estimated_time": "estimate", "time_estimate": "estimate",
    "priority": "priority", "status": "status", "milestone": "milestone",
    "due": "due", "due_date": "due", "due_by": "due", "due_on": "due", "deadline": "due",
    "category": "category", "type": "category", "kind": "category", "task_type": "category",
    "issue_type": "category",
}  # fmt: skip
_SECTION_KINDS = {
    "acceptance": "acceptance", "acceptance criteria": "acceptance",
    "definition of done": "acceptance", "done when": "acceptance",
    "success criteria": "acceptance",
    "steps": "steps", "subtasks": "steps", "sub tasks": "steps", "checklist": "steps",
    "implementation steps": "steps", "tasks": "steps", "todo": "steps",
    "gates": "gates", "quality gates": "gates",
    "description": "description",
}  # fmt: skip


@dataclass
class Draft:
    """One parsed task, plus where each of its fields was written (key -> (line, field label))."""

    task: dict[str, Any]
    spots: dict[str, tuple[int, str]] = field(default_factory=dict)

    def spot(self, key: str) -> tuple[int, str]:
        """The line and source label of `key`, falling back to the task's own line."""
        return self.spots.get(key, (int(self.task["line"]), key))


@dataclass
class ParsedPlan:
    """A format parser's result, before cross-task validation."""

    format: str
    title: str
    drafts: list[Draft]
    id: str | None = None
    description: str = ""
    milestones: list[dict[str, str]] = field(default_factory=list)
    gates: list[dict[str, Any]] = field(default_factory=list)
    milestones_declared: bool = False
    line: int = 1
    warnings: list[PlanError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def warn(self, file: str, line: int | None, label: str | None, message: str) -> None:
        """Note a fault the parser worked around; `--strict` turns the first one into the error."""
        self.warnings.append(PlanError(file, line, label, message))


def new_task(task_id: str, title: str, line: int) -> dict[str, Any]:
    """A task with every key present, in the schema's order, holding its defaults."""
    return {
        "id": task_id, "title": title, "status": "queued", "priority": "medium",
        "specialist": "implementer", "depends_on": [], "files": [], "milestone": None,
        "estimate": None, "due": None, "category": None, "steps": [], "acceptance": [], "description": "",
        "sections": {}, "gates": [], "fields": {}, "line": line,
    }  # fmt: skip


def check_duplicates(drafts: list[Draft], file: str) -> None:
    """Raise a PlanError naming both lines if two tasks share an id."""
    seen: dict[str, int] = {}
    for draft in drafts:
        task_id, line = draft.task["id"], int(draft.task["line"])
        if task_id in seen:
            message = f"duplicate task id {task_id!r} (first at line {seen[task_id]}, again at line {line})"
            raise PlanError(file, draft.spot("id")[0], draft.spot("id")[1], message)
        seen[task_id] = line


# --- fields ---------------------------------------------------------------------------------------


def field_name(label: str) -> str:
    """The task key a field label sets ("Estimated Effort" -> "estimate"), else its snake key."""
    key = snake_key(label)
    return _FIELD_NAMES.get(key, key)


def _milestone_value(value: Any) -> str | None:
    if value is None or not check_text(value).strip():
        return None
    return check_id(value.strip(), "milestone id")


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "priority": normalise_priority,
    "status": normalise_status,
    "specialist": normalise_specialist,
    "estimate": parse_estimate,
    "milestone": _milestone_value,
    "due": parse_due,
    "category": normalise_category,
}


def apply_field(draft: Draft, name: str, value: Any, where: tuple[str, int, str]) -> None:
    """Set task key `name` (see `field_name`) from `value`, written at (file, line, label)."""
    file, line, label = where
    draft.spots[name] = (line, label)
    if name == "files":
        globs, optional = convert(_globs, value, file, line, label)
        draft.task[name] = globs
        draft.task.pop("optional_files", None)
        if optional:
            draft.task["optional_files"] = optional
    elif name == "depends_on":
        draft.task[name] = convert(check_strings, value, file, line, label)
    elif name in _CONVERTERS:
        draft.task[name] = convert(_CONVERTERS[name], value, file, line, label)
    else:
        draft.task["fields"][name] = value


def _globs(value: Any) -> tuple[list[str], list[str]]:
    """File globs in `globs.normalise` form, without repeats (`./src/` -> `src/**`), and those of
    them marked optional by a leading `?` (`?docs/notes.md`): declared, but `orch done` does not
    require the task to have changed a file they match."""
    written = [_optional(text) for text in check_strings(value)]
    globs = list(dict.fromkeys(normalise(glob) for glob, _ in written))
    optional = list(dict.fromkeys(normalise(glob) for glob, marked in written if marked))
    return globs, optional


def _optional(text: str) -> tuple[str, bool]:
    """(the glob, whether a leading `?` marks it optional)."""
    stripped = text.strip()
    if not stripped.startswith("?"):
        return stripped, False
    glob = stripped[1:].strip()
    if not glob or glob.startswith("?"):
        raise ValueError(f"bad glob {text!r}: a leading '?' marks an optional output and must be "
                         "followed by the glob (`?docs/notes.md`)")
    return glob, True


# --- sections -------------------------------------------------------------------------------------


def read_section(draft: Draft, section: Section, file: str, step_prefix: str) -> None:
    """Fill the task from one of its sub-headed sections (acceptance, steps, gates or other)."""
    kind, task = _section_kind(section.title), draft.task
    if kind == "acceptance":
        task["acceptance"].extend(parse_bullets(section.lines))
    elif kind == "steps":
        found = parse_steps(section.lines, step_prefix, checklist_only=False, start=len(task["steps"]))
        task["steps"].extend(found[0])
    elif kind == "gates":
        draft.spots["gates"] = (section.line, "gates")
        task["gates"].extend(_read_gates(section.lines, file))
    elif kind == "description":
        task["description"] = "\n\n".join(filter(None, [task["description"], markdown_text(section.lines)]))
    else:
        task["sections"][section.title] = markdown_text(section.lines)


def _section_kind(title: str) -> str | None:
    """The kind of a well-known sub-heading: "acceptance", "steps", "gates", "description" or None."""
    key = " ".join(re.sub(r"[^a-z0-9]+", " ", title.lower()).split())
    return _SECTION_KINDS.get(key)


def _read_gates(lines: list[Line], file: str) -> list[dict[str, Any]]:
    """Gates from the YAML (in a code block or bare) of a Gates section."""
    text, first = fenced_body(lines)
    data, node = load_yaml(text, file, first, "gates")
    if data is None:
        return []
    if isinstance(data, dict):
        data = [data]
    return gate_dicts(validate(GATES, data, (file, first, node), "gates"))
