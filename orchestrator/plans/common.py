"""What every plan format shares: the task skeleton, value normalisers, and the parse result.

Normalisers are pure and raise `ValueError`; `convert` turns that into a `PlanError` that names the
file, line and field, so each format parser only has to know where a value came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import takewhile
from typing import Any, Literal, TypeVar

import yaml  # type: ignore[import-untyped, unused-ignore]
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from pydantic import Field as PydanticField

from orchestrator.errors import PlanError

STATUSES = ("queued", "in_progress", "review", "testing", "completed", "blocked", "cancelled")
PRIORITIES = ("critical", "high", "medium", "low")
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")

_STATUS_WORDS = {
    "queued": "queued", "not_started": "queued", "todo": "queued", "to_do": "queued",
    "pending": "queued", "open": "queued", "planned": "queued",
    "in_progress": "in_progress", "started": "in_progress", "wip": "in_progress",
    "doing": "in_progress", "active": "in_progress", "ongoing": "in_progress",
    "review": "review", "in_review": "review",
    "testing": "testing", "in_testing": "testing",
    "completed": "completed", "complete": "completed", "done": "completed",
    "finished": "completed",
    "blocked": "blocked",
    "cancelled": "cancelled", "canceled": "cancelled",
}  # fmt: skip
_PRIORITY_WORDS = {
    "critical": "critical", "urgent": "critical", "p0": "critical",
    "high": "high", "p1": "high",
    "medium": "medium", "normal": "medium", "med": "medium", "p2": "medium",
    "low": "low", "p3": "low",
}  # fmt: skip
_HOURS_PER_UNIT = {
    "m": 1 / 60, "min": 1 / 60, "mins": 1 / 60, "minute": 1 / 60, "minutes": 1 / 60,
    "h": 1.0, "hr": 1.0, "hrs": 1.0, "hour": 1.0, "hours": 1.0,
    "d": 8.0, "day": 8.0, "days": 8.0,
    "w": 40.0, "wk": 40.0, "wks": 40.0, "week": 40.0, "weeks": 40.0,
}  # fmt: skip
_ESTIMATE = re.compile(
    r"~?\s*(?P<low>\d+(?:\.\d+)?)\s*(?:(?:-|–|to)\s*(?P<high>\d+(?:\.\d+)?))?\s*(?P<unit>[a-z]*)"
)
_EDGE_NOISE = re.compile(r"^[^\w]+|[^\w]+$")
_T = TypeVar("_T")


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


def new_task(task_id: str, title: str, line: int) -> dict[str, Any]:
    """A task with every key present, in the schema's order, holding its defaults."""
    return {
        "id": task_id, "title": title, "status": "queued", "priority": "medium",
        "specialist": "implementer", "depends_on": [], "files": [], "milestone": None,
        "estimate": None, "steps": [], "acceptance": [], "description": "", "sections": {},
        "gates": [], "fields": {}, "line": line,
    }  # fmt: skip


def convert(fn: Callable[[Any], _T], value: Any, file: str, line: int | None, label: str) -> _T:
    """`fn(value)`, with a `ValueError` turned into a PlanError at `file:line` for `label`."""
    try:
        return fn(value)
    except ValueError as exc:
        raise PlanError(file, line, label, str(exc)) from None


def parse_estimate(text: object) -> float | None:
    """Hours from "2h", "30m", "1.5d" (8h days), "1w" (40h weeks), "2-3h" (upper bound), "3".

    "" and None mean no estimate; anything else raises ValueError.
    """
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if isinstance(text, int | float) and not isinstance(text, bool):
        return _checked_hours(float(text), text)
    found = _ESTIMATE.fullmatch(text.strip().lower()) if isinstance(text, str) else None
    if not found or found["unit"] not in {"", *_HOURS_PER_UNIT}:
        raise ValueError(f"bad estimate {text!r}: expected a duration such as 2h, 30m, 1.5d, 2-3h")
    low, high = float(found["low"]), float(found["high"] or found["low"])
    if high < low:
        raise ValueError(f"bad estimate {text!r}: the range runs backwards")
    return _checked_hours(high * _HOURS_PER_UNIT.get(found["unit"], 1.0), text)


def _checked_hours(hours: float, text: object) -> float:
    if hours < 0 or hours != hours or hours == float("inf"):
        raise ValueError(f"bad estimate {text!r}: must be a finite, non-negative duration")
    return round(hours, 4)


def status_word(text: str) -> str | None:
    """The status a word such as "In Progress", "✅ Complete" or "done" names, or None."""
    key = re.sub(r"[\s-]+", "_", _EDGE_NOISE.sub("", text.strip()).lower())
    return _STATUS_WORDS.get(key)


def normalise_status(text: Any) -> str:
    """A status value, from its canonical name or a common alias."""
    found = status_word(_without_notes(text)) if isinstance(text, str) else None
    if found is None:
        raise ValueError(f"bad status {text!r}: expected one of {', '.join(STATUSES)}")
    return found


def normalise_priority(text: Any) -> str:
    """critical|high|medium|low from any case, P0..P3 or "urgent"."""
    key = _EDGE_NOISE.sub("", _without_notes(text)).lower() if isinstance(text, str) else None
    if key not in _PRIORITY_WORDS:
        expected = f"{', '.join(PRIORITIES)} or P0-P3"
        raise ValueError(f"bad priority {text!r}: expected {expected}")
    return _PRIORITY_WORDS[key]


def _without_notes(text: str) -> str:
    """`text` without parenthesised remarks: "High (security)" -> "High"."""
    return re.sub(r"\([^)]*\)", " ", text).strip()


def normalise_specialist(text: Any) -> str:
    """A specialist role, lower-cased; free text is allowed."""
    role = " ".join(check_text(text).strip().strip("`").split()).lower()
    return role or "implementer"


def check_id(text: Any, what: str = "task id") -> str:
    """`text` if it is a valid id: a letter or digit, then letters, digits, `_`, `.` or `-`."""
    if not isinstance(text, str) or not ID_PATTERN.fullmatch(text):
        raise ValueError(f"bad {what} {text!r}: use letters, digits, '_', '.', '-'")
    return text


def check_text(value: Any) -> str:
    """`value` if it is a string, else a ValueError naming its type."""
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {_kind(value)} {value!r}")
    return value


def check_list(value: Any) -> list[Any]:
    """`value` if it is a list, else a ValueError naming its type."""
    if not isinstance(value, list):
        raise ValueError(f"expected a list, got {_kind(value)} {value!r}")
    return value


def check_strings(value: Any) -> list[str]:
    """`value` if it is a list of strings (blank ones dropped), else a ValueError."""
    for item in check_list(value):
        if not isinstance(item, str):
            raise ValueError(f"expected a list of strings, got {_kind(item)} {item!r} in it")
    return [item.strip() for item in value if item.strip()]


def slugify(text: str) -> str:
    """Lower-case words joined by "-": "Database Schema Design" -> "database-schema-design"."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def snake_key(text: str) -> str:
    """A field label as a key: "Risk Level" -> "risk_level"."""
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


def _kind(value: object) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "text"}
    names.update({list: "a list", dict: "a mapping", type(None): "nothing"})
    return names.get(type(value), type(value).__name__)


# --- Markdown -------------------------------------------------------------------------------------

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_ITEM = re.compile(
    r"^(?P<indent>\s*)(?P<marker>[-*+]|\d+[.)])\s+(?:\[(?P<box>[ xX])\](?:\s+|$))?(?P<text>.*)$"
)
_STEP_ID = re.compile(r"^(?P<id>\d+(?:\.\d+)+)[.):]?\s+(?P<text>\S.*)$")
_SECTION_KINDS = {
    "acceptance": "acceptance", "acceptance criteria": "acceptance",
    "definition of done": "acceptance", "done when": "acceptance",
    "success criteria": "acceptance",
    "steps": "steps", "subtasks": "steps", "sub tasks": "steps", "checklist": "steps",
    "implementation steps": "steps", "tasks": "steps", "todo": "steps",
    "gates": "gates", "quality gates": "gates",
    "description": "description",
}  # fmt: skip


@dataclass(frozen=True)
class Line:
    """One source line: its number in the file, its text, and whether it is inside a code fence."""

    no: int
    text: str
    fenced: bool = False

    @property
    def indent(self) -> int:
        return len(self.text) - len(self.text.lstrip())


@dataclass
class Section:
    """A sub-heading of a task and the lines under it."""

    title: str
    line: int
    lines: list[Line]


def numbered_lines(text: str, first: int = 1) -> list[Line]:
    """`text` split into Lines numbered from `first`; fence markers count as fenced."""
    lines: list[Line] = []
    fence = ""
    for offset, raw in enumerate(text.split("\n")):
        marker = _FENCE.match(raw)
        inside = bool(fence) or marker is not None
        if marker and not fence:
            fence = marker.group(1)
        elif marker and marker.group(1).startswith(fence):
            fence = ""
        lines.append(Line(first + offset, raw, inside))
    return lines


def heading(line: Line) -> tuple[int, str] | None:
    """(level, text) if `line` is a Markdown heading outside a code fence."""
    found = None if line.fenced else _HEADING.match(line.text)
    return (len(found.group(1)), found.group(2).strip()) if found else None


def split_sections(lines: list[Line], level: int) -> tuple[list[Line], list[Section]]:
    """The lines before the first heading of `level`, and one Section per such heading."""
    head: list[Line] = []
    sections: list[Section] = []
    for line in lines:
        found = heading(line)
        if found and found[0] == level:
            sections.append(Section(found[1], line.no, []))
        else:
            (sections[-1].lines if sections else head).append(line)
    return head, sections


def section_kind(title: str) -> str | None:
    """The kind of a well-known sub-heading: "acceptance", "steps", "gates", "description" or None."""
    key = " ".join(re.sub(r"[^a-z0-9]+", " ", title.lower()).split())
    return _SECTION_KINDS.get(key)


def markdown_text(lines: list[Line]) -> str:
    """The lines as Markdown, without leading or trailing blank lines."""
    texts = [line.text.rstrip() for line in lines]
    while texts and not texts[0].strip():
        texts.pop(0)
    while texts and not texts[-1].strip():
        texts.pop()
    return "\n".join(texts)


def list_item(line: Line) -> re.Match[str] | None:
    """The parts of a list item line (`indent`, `marker`, `box`, `text`), outside code fences."""
    return None if line.fenced else _ITEM.match(line.text)


def parse_bullets(lines: list[Line]) -> list[str]:
    """Each list item's text (checkbox removed); wrapped lines join the item above them."""
    entries: list[str] = []
    joinable = False
    for line in lines:
        item = list_item(line)
        text = line.text.strip()
        if item:
            entries.append(item.group("text").strip())
        elif text and joinable:
            entries[-1] = f"{entries[-1]} {text}"
        elif text:
            entries.append(text)
        joinable = bool(text)
    return [entry for entry in entries if entry]


def parse_steps(
    lines: list[Line], prefix: str, *, checklist_only: bool, start: int = 0
) -> tuple[list[dict[str, Any]], list[Line]]:
    """Steps from the list items of `lines`, and the lines that belong to no step.

    A step is a top-level item (with `checklist_only`, only a `- [ ]` or `1.` item); lines indented
    under it are its notes. Step ids come from the text ("1.1 ...") or count on from `start`, after
    `prefix`.
    """
    steps: list[dict[str, Any]] = []
    rest: list[Line] = []
    indent = -1
    for line in lines:
        item = list_item(line)
        if item and (indent < 0 or line.indent <= indent) and _is_step(item, checklist_only):
            steps.append(_new_step(item, prefix, start + len(steps) + 1))
            indent = line.indent
        elif indent >= 0 and line.text.strip() and line.indent > indent:
            _attach(steps[-1], line, item)
        elif indent >= 0 and not line.text.strip():
            rest.append(line)
        else:
            indent = -1
            rest.append(line)
    return steps, rest


def _is_step(item: re.Match[str], checklist_only: bool) -> bool:
    return not checklist_only or item.group("box") is not None or item.group("marker")[0].isdigit()


def _new_step(item: re.Match[str], prefix: str, number: int) -> dict[str, Any]:
    text = item.group("text").strip()
    numbered = _STEP_ID.match(text)
    step_id = numbered.group("id") if numbered else f"{prefix}{number}"
    text = numbered.group("text").strip() if numbered else text
    done = (item.group("box") or " ").lower() == "x"
    return {"id": step_id, "text": text, "done": done, "notes": []}


def _attach(step: dict[str, Any], line: Line, item: re.Match[str] | None) -> None:
    if item:
        box = item.group("box")
        step["notes"].append((f"[{box}] " if box else "") + item.group("text").strip())
    elif step["notes"]:
        step["notes"][-1] = f"{step['notes'][-1]} {line.text.strip()}"
    else:
        step["text"] = f"{step['text']} {line.text.strip()}"


def fenced_body(lines: list[Line]) -> tuple[str, int]:
    """The text of the first code block in `lines` and its first line number; else all of it."""
    for index, line in enumerate(lines):
        if line.fenced and _FENCE.match(line.text):
            body = takewhile(lambda inner: inner.fenced and not _FENCE.match(inner.text), lines[index + 1 :])
            return "\n".join(inner.text for inner in body), line.no + 1
    return "\n".join(line.text for line in lines), lines[0].no if lines else 1


# --- YAML and gates -------------------------------------------------------------------------------


class GateModel(BaseModel):
    """A quality gate as a plan writes it."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    command: str = PydanticField(min_length=1)
    kind: Literal["plain", "pytest", "coverage", "ruff", "mypy"] = "plain"
    timeout: float = PydanticField(default=600.0, gt=0, allow_inf_nan=False)
    cwd: str | None = None
    threshold: float | None = None
    report: str | None = None


GATES: TypeAdapter[list[GateModel]] = TypeAdapter(list[GateModel])


def gate_dicts(gates: list[GateModel]) -> list[dict[str, Any]]:
    """Gates as plain dicts; a gate without a name is named after its kind or its command."""
    found = [gate.model_dump() for gate in gates]
    for gate in found:
        if not gate["name"]:
            gate["name"] = gate["kind"] if gate["kind"] != "plain" else gate["command"].split()[0]
    return found


def load_yaml(text: str, file: str, first: int, label: str) -> tuple[Any, Any]:
    """(data, node tree) of YAML `text` whose first line is line `first` of `file`."""
    try:
        return yaml.safe_load(text), yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first + mark.line if mark is not None else first
        raise PlanError(file, line, label, f"YAML syntax error: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise PlanError(file, first, label, f"YAML error: {exc}") from None


def validate(adapter: TypeAdapter[_T], data: Any, where: tuple[str, int, Any], prefix: str = "") -> _T:
    """`data` validated by `adapter`; an error names the line of the YAML node at fault.

    `where` is (file, line of the node tree's first line, node tree or None).
    """
    file, first, node = where
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(error["loc"])
        line = first + node_line(node, loc)
        label = _loc_label(prefix, loc)
        raise PlanError(file, line, label, _problem(error, label)) from None


def node_line(node: Any, loc: tuple[Any, ...]) -> int:
    """The 0-based line of the YAML node at `loc` in a node tree, or of its nearest parent."""
    line = node.start_mark.line if node is not None else 0
    for part in loc:
        child = _child(node, part)
        if child is None:
            break
        node, line = child, child.start_mark.line
    return int(line)


def _child(node: Any, part: Any) -> Any:
    if isinstance(node, yaml.MappingNode):
        return next((value for key, value in node.value if key.value == part), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]
    return None


def _loc_label(prefix: str, loc: tuple[Any, ...]) -> str:
    label = prefix
    for part in loc:
        label += f"[{part}]" if isinstance(part, int) else (f".{part}" if label else str(part))
    return label or "value"


def _problem(error: Any, label: str) -> str:
    key = error["loc"][-1] if error["loc"] else label.rsplit(".", 1)[-1]
    kind, value = error["type"], error["input"]
    if kind == "missing":
        return f"missing required key '{key}'"
    if kind == "extra_forbidden" and "gates" in label:
        return f"unknown key '{key}' (allowed: {', '.join(GateModel.model_fields)})"
    if kind == "extra_forbidden":
        return f"unknown key '{key}'"
    if kind == "literal_error":
        return f"bad {key} {value!r}: expected {error['ctx']['expected']}"
    message = str(error["msg"])
    return f"bad {key} {value!r}: {message[:1].lower()}{message[1:]}"


# --- Task fields ----------------------------------------------------------------------------------

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
}  # fmt: skip
_NONE_WORDS = {"", "none", "-", "n/a", "na", "[]", "nothing"}


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
}


def apply_field(draft: Draft, name: str, value: Any, where: tuple[str, int, str]) -> None:
    """Set task key `name` (see `field_name`) from `value`, written at (file, line, label)."""
    file, line, label = where
    draft.spots[name] = (line, label)
    if name in ("depends_on", "files"):
        draft.task[name] = convert(check_strings, value, file, line, label)
    elif name in _CONVERTERS:
        draft.task[name] = convert(_CONVERTERS[name], value, file, line, label)
    else:
        draft.task["fields"][name] = value


def split_values(text: str) -> list[str]:
    """A comma-separated list ("a, `b`") or "none"/"-" as a list of stripped strings."""
    if text.strip().lower() in _NONE_WORDS:
        return []
    return [unquote(part) for part in re.split(r"[,;]", text) if unquote(part)]


def unquote(text: str) -> str:
    """`text` stripped of whitespace and of one pair of surrounding quotes or backticks."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "`'\"":
        return text[1:-1].strip()
    return text


def read_section(draft: Draft, section: Section, file: str, step_prefix: str) -> None:
    """Fill the task from one of its sub-headed sections (acceptance, steps, gates or other)."""
    kind, task = section_kind(section.title), draft.task
    if kind == "acceptance":
        task["acceptance"].extend(parse_bullets(section.lines))
    elif kind == "steps":
        found = parse_steps(section.lines, step_prefix, checklist_only=False, start=len(task["steps"]))
        task["steps"].extend(found[0])
    elif kind == "gates":
        draft.spots["gates"] = (section.line, "gates")
        task["gates"].extend(read_gates(section.lines, file))
    elif kind == "description":
        task["description"] = "\n\n".join(filter(None, [task["description"], markdown_text(section.lines)]))
    else:
        task["sections"][section.title] = markdown_text(section.lines)


def read_gates(lines: list[Line], file: str) -> list[dict[str, Any]]:
    """Gates from the YAML (in a code block or bare) of a Gates section."""
    text, first = fenced_body(lines)
    data, node = load_yaml(text, file, first, "gates")
    if data is None:
        return []
    if isinstance(data, dict):
        data = [data]
    return gate_dicts(validate(GATES, data, (file, first, node), "gates"))


def check_duplicates(drafts: list[Draft], file: str) -> None:
    """Raise a PlanError naming both lines if two tasks share an id."""
    seen: dict[str, int] = {}
    for draft in drafts:
        task_id, line = draft.task["id"], int(draft.task["line"])
        if task_id in seen:
            message = f"duplicate task id {task_id!r} (first at line {seen[task_id]}, again at line {line})"
            raise PlanError(file, draft.spot("id")[0], draft.spot("id")[1], message)
        seen[task_id] = line
