"""The native plan format: Markdown with YAML frontmatter and one `## id: Title` section per task."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml  # type: ignore[import-untyped, unused-ignore]
from frontmatter.default_handlers import YAMLHandler
from pydantic import BaseModel, ConfigDict, TypeAdapter

from orchestrator.errors import PlanError
from orchestrator.plans.drafts import Draft, ParsedPlan, apply_field, field_name, new_task, read_section
from orchestrator.plans.markdown import Line, Section, heading, markdown_text, numbered_lines, split_sections
from orchestrator.plans.schema import GateModel, gate_dicts, load_yaml, node_line, validate
from orchestrator.plans.values import check_id, convert, split_values, unquote

_BOUNDARY = re.compile(r"^-{3,}\s*?$", re.MULTILINE)
_TASK_HEADING = re.compile(r"^(?P<id>[^\s:]+)\s*:(?P<title>.*)$")
_FIELD = re.compile(r"^[-*]\s+(?P<key>[A-Za-z][A-Za-z0-9 _-]*?)\s*:(?:\s+(?P<value>.*))?$")
_SUB_ITEM = re.compile(r"^\s+[-*]\s+(?P<value>.*)$")
_LIST_FIELDS = ("depends_on", "files")
_PLAIN_ITEM = re.compile(r"\??[A-Za-z0-9_./][A-Za-z0-9_./*-]*")  # `?x`: an optional output
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = yaml.resolver.Resolver()
_STR = "tag:yaml.org,2002:str"


class _Milestone(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    title: str | None = None


class _Frontmatter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    title: str | None = None
    milestones: list[_Milestone] | None = None
    gates: list[GateModel] = []
    description: str | None = None


_FRONTMATTER: TypeAdapter[_Frontmatter] = TypeAdapter(_Frontmatter)


@dataclass
class Frontmatter:
    """A Markdown file's YAML frontmatter (data, node tree, first line) and the body after it."""

    data: Any
    node: Any
    first: int
    body: list[Line]

    def body_text(self) -> str:
        """The whole text with the frontmatter lines blanked, so line numbers stay true."""
        return "\n" * (self.body[0].no - 1) + "\n".join(line.text for line in self.body)


def read_frontmatter(text: str, file: str) -> Frontmatter | None:
    """The frontmatter block `text` starts with, or None if it has none."""
    if not YAMLHandler().detect(text.lstrip("\n")):
        return None
    opening = _BOUNDARY.search(text)
    closing = _BOUNDARY.search(text, opening.end()) if opening else None
    if opening is None or closing is None:
        raise PlanError(file, 1, "frontmatter", "the frontmatter block is not closed by a '---' line")
    first = text.count("\n", 0, opening.end()) + 1
    data, node = load_yaml(text[opening.end() : closing.start()], file, first, "frontmatter")
    body_first = text.count("\n", 0, closing.end()) + 1
    return Frontmatter(data, node, first, numbered_lines(text[closing.end() :], body_first))


def names_plan(front: Frontmatter) -> bool:
    """Whether the frontmatter has an `id` or a `title`."""
    return isinstance(front.data, dict) and bool({"id", "title"} & set(front.data))


def count_task_headings(front: Frontmatter) -> int:
    """How many `## id: Title` headings the body has."""
    return sum(1 for line in front.body if _task_heading(line))


def _task_heading(line: Line) -> re.Match[str] | None:
    found = heading(line)
    return _TASK_HEADING.match(found[1]) if found and found[0] == 2 else None


def parse(front: Frontmatter, file: str) -> ParsedPlan:
    """The plan in a native file whose frontmatter has been read."""
    meta = _metadata(front, file)
    head, sections = split_sections(front.body, 2)
    return ParsedPlan(
        format="native",
        title=meta.title or meta.id or "",
        drafts=[_task(section, file) for section in sections],
        id=meta.id,
        description=meta.description or markdown_text(head),
        milestones=_milestones(meta, front, file),
        gates=gate_dicts(meta.gates),
        milestones_declared=meta.milestones is not None,
        line=front.body[0].no + 1,
    )


def _metadata(front: Frontmatter, file: str) -> _Frontmatter:
    data = front.data if front.data is not None else {}
    if not isinstance(data, dict):
        raise PlanError(file, front.first + 1, "frontmatter", "must be a mapping of keys to values")
    if isinstance(data.get("milestones"), list):
        data["milestones"] = [{"id": m} if isinstance(m, str) else m for m in data["milestones"]]
    meta = validate(_FRONTMATTER, data, (file, front.first, front.node))
    if meta.id is not None:
        line = front.first + node_line(front.node, ("id",))
        convert(lambda value: check_id(value, "plan id"), meta.id, file, line, "id")
    return meta


def _milestones(meta: _Frontmatter, front: Frontmatter, file: str) -> list[dict[str, str]]:
    found = []
    for index, milestone in enumerate(meta.milestones or []):
        line = front.first + node_line(front.node, ("milestones", index))
        label = f"milestones[{index}].id"
        milestone_id = convert(lambda v: check_id(v, "milestone id"), milestone.id, file, line, label)
        found.append({"id": milestone_id, "title": milestone.title or milestone_id})
    return found


def _task(section: Section, file: str) -> Draft:
    found = _TASK_HEADING.match(section.title)
    if not found:
        message = f"a task heading must read '## id: Title', not '## {section.title}'"
        raise PlanError(file, section.line, "heading", message)
    task_id = convert(check_id, found["id"], file, section.line, "id")
    title = found["title"].strip()
    if not title:
        raise PlanError(file, section.line, "title", f"task {task_id!r} has an empty title")
    draft = Draft(new_task(task_id, title, section.line))
    head, subsections = split_sections(_read_fields(draft, section.lines, file), 3)
    draft.task["description"] = markdown_text(head)
    for subsection in subsections:
        read_section(draft, subsection, file, "")
    return draft


def _read_fields(draft: Draft, lines: list[Line], file: str) -> list[Line]:
    """Apply the `- key: value` list at the top of a task section; return the lines after it."""
    index = next((i for i, line in enumerate(lines) if line.text.strip()), len(lines))
    while index < len(lines) and (found := _FIELD.match(lines[index].text)):
        name, line, raw = field_name(found["key"]), lines[index].no, found["value"] or ""
        items = [] if raw else list(_sub_items(lines, index + 1))
        value: Any = ", ".join(items) if items else unquote(raw)
        if name in _LIST_FIELDS:
            value = items or _list_value(raw)
        apply_field(draft, name, value, (file, line, found["key"]))
        index += 1 + len(items)
    return lines[index:]


def _sub_items(lines: list[Line], start: int) -> Any:
    for line in lines[start:]:
        found = _SUB_ITEM.match(line.text)
        if not found:
            return
        yield unquote(found["value"])


def _list_value(text: str) -> Any:
    """A list field's value: a YAML flow list `[a, b]`, or comma-separated text."""
    text = text.strip()
    if not text.startswith("["):
        return split_values(text)
    plain = _plain_list(text)
    if plain is not None:
        return plain
    try:
        return yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError:
        return split_values(text.strip("[]"))


def _plain_list(text: str) -> list[str] | None:
    """The items of a flow list such as `[a, src/b.py]` when YAML would read each as its own text.

    That is the common case, read here without the cost of a YAML parser; None leaves the rest to YAML.
    """
    if not text.endswith("]"):
        return None
    inner = text[1:-1]
    items = [item.strip(" ") for item in inner.split(",")] if inner.strip(" ") else []
    return items if all(_is_plain(item) for item in items) else None


def _is_plain(item: str) -> bool:
    """Whether `item`, unquoted in a YAML flow list, reads as a string equal to itself."""
    if not _PLAIN_ITEM.fullmatch(item):
        return False
    return bool(_RESOLVER.resolve(yaml.ScalarNode, item, (True, False)) == _STR)
