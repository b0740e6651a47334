"""The "Task N:" format: plans as people already write them in Markdown.

`### Task 1: Title - Complete` headings (levels 2-4; the status phrase after the title may follow
`—`, `-`, `:`, `|` or any stray non-ASCII mark, such as an em dash read in the wrong encoding,
`â€”`), bold field lines such as
`**Priority**: HIGH | **Complexity**: MEDIUM`, checklists of steps, and sub-sections such as
"Acceptance Criteria". A `## Phase 1: Foundation` heading above tasks makes a milestone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from orchestrator.errors import PlanError
from orchestrator.plans.drafts import Draft, ParsedPlan, apply_field, field_name, new_task, read_section
from orchestrator.plans.markdown import (
    Line,
    Section,
    heading,
    list_item,
    markdown_text,
    numbered_lines,
    parse_bullets,
    parse_steps,
    split_sections,
)
from orchestrator.plans.values import split_values, status_word

_TASK = re.compile(r"^Task\s+(?P<num>\d+(?:\.\d+)*)\s*[:\-–—]\s*(?P<rest>.*)$", re.IGNORECASE)
_PHASE = re.compile(
    r"^(?P<word>Phase|Milestone|Stage|Sprint)\s+(?P<num>\d+(?:\.\d+)*)\b\s*[:\-–—.]?\s*(?P<title>.*)$",
    re.IGNORECASE,
)
_BOLD = re.compile(r"^\s*(?:[-*]\s+)?\*\*(?P<key>[^*:]+?)\s*(?::\*\*\s*|\*\*\s*:\s*)(?P<value>.*)$")
_STATUS_TAILS = (
    re.compile(r"^(?P<title>.*?)\s*\((?P<status>[^()]*)\)$"),
    re.compile(r"^(?P<title>.*?)\s*\[(?P<status>[^\[\]]*)\]$"),
    re.compile(r"^(?P<title>.*?)\s*(?P<status>[✅✔☑🔄🚧⏳].*)$"),
)
_MARKS = re.compile(r"[^\sA-Za-z0-9]+")  # a run of marks that may separate a title from its status
_ASCII_SEPARATORS = frozenset(":|-")
_STATUS_MARKS = {"✅": "completed", "✔": "completed", "☑": "completed", "🔄": "in_progress"}
_STATUS_MARKS.update({"🚧": "in_progress", "⏳": "queued"})
_DEPENDENCY = re.compile(r"^(?:tasks?\s*|t|#)?(?P<num>\d+(?:\.\d+)*)$", re.IGNORECASE)


@dataclass
class _Block:
    """The lines of one task: its heading's level, number, text, milestone, and body."""

    line: int
    level: int
    number: str
    text: str
    milestone: str | None
    body: list[Line] = field(default_factory=list)


def count_task_headings(text: str) -> int:
    """How many `Task N:` headings of level 2 to 4 `text` has."""
    return sum(1 for line in numbered_lines(text) if _task_match(line))


def parse(text: str, file: str) -> ParsedPlan:
    """The plan in a "Task N:" document."""
    lines = numbered_lines(text)
    blocks, milestones = _blocks(lines)
    title, description = _plan_heading(lines)
    return ParsedPlan(
        format="taskdoc",
        title=title,
        drafts=[_task(block, file) for block in blocks],
        description=description,
        milestones=milestones,
    )


def _task_match(line: Line) -> re.Match[str] | None:
    found = heading(line)
    return _TASK.match(found[1]) if found and 2 <= found[0] <= 4 else None


def _plan_heading(lines: list[Line]) -> tuple[str, str]:
    """The first `# ` heading and the text under it, up to the next heading."""
    for index, line in enumerate(lines):
        found = heading(line)
        if found and found[0] == 1:
            after = lines[index + 1 :]
            end = next((i for i, other in enumerate(after) if heading(other)), len(after))
            return found[1], markdown_text(after[:end])
    return "", ""


def _blocks(lines: list[Line]) -> tuple[list[_Block], list[dict[str, str]]]:
    """Each task's lines, and the milestones that phase headings declare."""
    blocks: list[_Block] = []
    milestones: list[dict[str, str]] = []
    current: _Block | None = None
    phase: tuple[int, str] | None = None
    for line in lines:
        found, task = heading(line), _task_match(line)
        if task and found:
            current = _Block(line.no, found[0], task["num"], task["rest"], phase[1] if phase else None)
            blocks.append(current)
        elif current and (not found or found[0] > current.level):
            current.body.append(line)
        elif found:
            current, phase = None, _next_phase(found, phase, milestones)
    return blocks, milestones


def _next_phase(
    found: tuple[int, str], phase: tuple[int, str] | None, milestones: list[dict[str, str]]
) -> tuple[int, str] | None:
    """The (level, milestone id) in force after a non-task heading."""
    match = _PHASE.match(found[1])
    if match:
        milestone_id = f"{match['word'].lower()}-{match['num']}"
        title = _split_status(match["title"])[0] or milestone_id
        milestones.append({"id": milestone_id, "title": title})
        return found[0], milestone_id
    return None if phase is None or found[0] <= phase[0] else phase


def _task(block: _Block, file: str) -> Draft:
    title, status = _split_status(block.text)
    if not title:
        raise PlanError(file, block.line, "title", f"Task {block.number} has an empty title")
    draft = Draft(new_task(f"T{block.number}", title, block.line))
    draft.task["milestone"] = block.milestone
    if status:
        draft.task["status"] = status
    head, sections = split_sections(block.body, block.level + 1)
    _read_body(draft, head, file, f"{block.number}.")
    for section in sections:
        read_section(draft, section, file, f"{block.number}.")
    return draft


def _split_status(text: str) -> tuple[str, str | None]:
    """A heading's title and the status word after it ("Login - Complete"), if it has one."""
    text = text.strip()
    for pattern in _STATUS_TAILS[:2]:
        found = pattern.match(text)
        status = _status_of(found["status"]) if found else None
        if found and status:
            return found["title"].strip(" -–—|:"), status
    return _separated_status(text) or _marked_status(text)


def _separated_status(text: str) -> tuple[str, str] | None:
    """(title, status) when a status phrase ends `text` after a separator, the last one first: `—`,
    `–`, `:`, `|`, ` -` (a hyphen inside a word such as "Pre-Review" is no separator) or a run of
    non-ASCII marks (`→`, `�`, `â€”`); letters glued to the title stay in it ("Café: Done")."""
    for found in reversed(list(_MARKS.finditer(text))):
        start = found.start()
        glued = start > 0 and not text[start - 1].isspace()
        while glued and start < found.end() and text[start].isalpha():
            start += 1
        status = _status_of(text[found.end():]) if text[found.end():].strip() else None
        if status and _separates(found[0][start - found.start():], spaced=not glued):
            return text[:start].strip(" -–—|:"), status
    return None


def _separates(marks: str, spaced: bool) -> bool:
    """Whether a run of marks can separate a title from a status."""
    if not marks or not all(mark in _ASCII_SEPARATORS or not mark.isascii() for mark in marks):
        return False
    if all(mark.isalpha() for mark in marks):
        return False
    return spaced or set(marks) != {"-"}


def _marked_status(text: str) -> tuple[str, str | None]:
    found = _STATUS_TAILS[2].match(text)
    status = _status_of(found["status"]) if found else None
    return (found["title"].strip(" -–—|:"), status) if found and status else (text, None)


def _status_of(text: str) -> str | None:
    return status_word(text) or _STATUS_MARKS.get(text.strip()[:1])


def _read_body(draft: Draft, lines: list[Line], file: str, prefix: str) -> None:
    """Fields, steps, description, then labelled lists from a task's lines before any sub-heading."""
    rest: list[Line] = []
    labelled: list[tuple[int, int, str]] = []
    index = 0
    while index < len(lines):
        fields = _bold_fields(lines[index])
        if fields and len(fields) == 1 and not fields[0][1]:
            end = next((i for i in range(index + 1, len(lines)) if _ends_label(lines, i)), len(lines))
            labelled.append((index, end, fields[0][0]))
            index = end
            continue
        for key, value in fields or []:
            _apply(draft, key, value, (file, lines[index].no, key))
        if fields is None:
            rest.append(lines[index])
        index += 1
    draft.task["steps"], rest = parse_steps(rest, prefix, checklist_only=True)
    draft.task["description"] = markdown_text(rest)
    for start, end, label in labelled:
        _read_labelled(draft, Section(label, lines[start].no, lines[start + 1 : end]), file, prefix)


def _bold_fields(line: Line) -> list[tuple[str, str]] | None:
    """The (label, value) pairs of a `**Label**: value | **Other**: value` line, else None."""
    if line.fenced or line.indent > 1:
        return None
    fields: list[tuple[str, str]] = []
    for part in line.text.split("|"):
        found = _BOLD.match(part)
        if found:
            fields.append((found["key"].strip(), found["value"].strip()))
        elif fields:
            fields[-1] = (fields[-1][0], f"{fields[-1][1]}|{part}".strip())
        else:
            return None
    return fields


def _read_labelled(draft: Draft, section: Section, file: str, prefix: str) -> None:
    """The lines under a `**Label:**` line: a list of files or dependencies, or a section."""
    if field_name(section.title) in ("depends_on", "files"):
        value = ", ".join(parse_bullets(section.lines))
        _apply(draft, section.title, value, (file, section.line, section.title))
    else:
        read_section(draft, section, file, prefix)


def _ends_label(lines: list[Line], index: int) -> bool:
    """Whether a labelled list ends before `lines[index]`: a bold label, or a new paragraph."""
    line, previous = lines[index], lines[index - 1]
    paragraph = not previous.text.strip() and line.indent == 0 and not list_item(line)
    return _bold_fields(line) is not None or (paragraph and bool(line.text.strip()))


def _apply(draft: Draft, label: str, value: str, where: tuple[str, int, str]) -> None:
    name = field_name(label)
    if name == "depends_on":
        apply_field(draft, name, _dependencies(value), where)
    elif name == "files":
        apply_field(draft, name, split_values(value), where)
    else:
        apply_field(draft, name, value, where)


def _dependencies(value: str) -> list[str]:
    """Task ids from "None", "Task 1, Task 2", "1 and 2", "T1" ("Task N" -> "TN")."""
    if value.strip().lower().startswith(("none", "n/a")):
        return []
    found = []
    for token in re.split(r",|;|&|\band\b", re.sub(r"\([^)]*\)", "", value)):
        token = re.split(r"[:–—]|\s-\s", token)[0].strip(" *`'\"")
        number = _DEPENDENCY.match(token)
        if token and token != "-":
            found.append(f"T{number['num']}" if number else token)
    return found
