"""spec-kit's task list (`/speckit.tasks` writes `specs/NNN-feature/tasks.md`) read as a plan, as is.

A task is a line `- [ ] T001 [P] [US1] Description in src/file.py`; `## Phase N: Name` headings
group them, `### ` sub-headings split a phase into steps run in turn. The header block is the plan's
description, the other `## ` sections (Dependencies & Execution Order, Notes, …) its `sections`.
The order spec-kit means is in `speckitorder`; docs/plan-format.md says exactly what is read.
"""

from __future__ import annotations

import re
from pathlib import Path

from orchestrator.plans.drafts import Draft, ParsedPlan, new_task
from orchestrator.plans.markdown import Line, heading, markdown_text, numbered_lines
from orchestrator.plans.prose import named_paths
from orchestrator.plans.speckitorder import Phase, link
from orchestrator.plans.values import slugify

TASK_LINE = re.compile(r"^(?P<indent>\s{0,3})[-*]\s+\[(?P<box>[ xX])\]\s+(?P<rest>\S.*)$")
_ID = re.compile(
    r"^(?:(?P<id>T\d+[a-z]?)|`(?P<quoted>[A-Za-z0-9][\w.-]*)`|(?P<placeholder>T[X#]{2,}))(?=\s|$)\s*"
)
_LABEL = re.compile(r"^\[(?P<label>P|US\d+)\]\s*", re.IGNORECASE)
_PHASE = re.compile(r"^Phase\s+(?P<num>[\w.]+)\s*[:.\-–—]\s*(?P<name>.*)$", re.IGNORECASE)
_PLAIN = re.compile(r"^(?:\*\*|>|<!--|-{3,}|\*{3,}|_{3,}|\|)")


def count_task_lines(text: str) -> int:
    """How many `- [ ] T001 …` lines (outside code blocks) `text` has."""
    return sum(1 for line in numbered_lines(text) if _task_parts(line) and _ID.match(_rest(line)))


def parse(text: str, file: str) -> ParsedPlan:
    """The plan in a spec-kit task list."""
    lines = numbered_lines(text)
    title = _title(lines)
    parsed = ParsedPlan(format="speckit", title=title, drafts=[], id=_plan_id(file, title))
    phases, sections = _read_sections(lines, parsed, file)
    parsed.description = _header(lines)
    link(phases, parsed, file, sections)
    parsed.milestones = [{"id": phase.milestone, "title": phase.name} for phase in phases if phase.items]
    parsed.extra = {"sections": sections, "phases": [phase.summary() for phase in phases if phase.items]}
    return parsed


def _plan_id(file: str, title: str) -> str | None:
    """`specs/001-photo-albums/tasks.md` -> `001-photo-albums`; else the title's slug."""
    path = Path(file)
    folder = slugify(path.parent.name) if path.name.lower() == "tasks.md" else ""
    return folder or slugify(title) or None


def _title(lines: list[Line]) -> str:
    found = next((h for h in map(heading, lines) if h and h[0] == 1), None)
    return re.sub(r"^Tasks\s*:\s*", "", found[1], flags=re.IGNORECASE) if found else ""


def _header(lines: list[Line]) -> str:
    """The text between the `# ` title and the first `## ` heading (Input, Prerequisites, …)."""
    start = next((i + 1 for i, line in enumerate(lines) if (heading(line) or (0,))[0] == 1), 0)
    end = next((i for i in range(start, len(lines)) if heading(lines[i])), len(lines))
    return markdown_text(lines[start:end])


def _read_sections(lines: list[Line], parsed: ParsedPlan, file: str) -> tuple[list[Phase], dict[str, str]]:
    """Phases (a `Phase N:` heading, or any `## ` section holding tasks) and the other sections."""
    phases: list[Phase] = []
    sections: dict[str, str] = {}
    for head, body in _level_two(lines):
        found = _PHASE.match(head[1]) if head else None
        if found or any(_task_parts(line) for line in body):
            phases.append(_phase(head, found, body, parsed, file, len(phases) + 1))
            _unique_milestone(phases)
        elif head:
            sections[head[1]] = markdown_text(body)
    return phases, sections


def _unique_milestone(phases: list[Phase]) -> None:
    """A phase whose milestone id an earlier phase took (two "Phase 1"s) gets `-2`, `-3`, …"""
    taken, phase = {other.milestone for other in phases[:-1]}, phases[-1]
    base, count = phase.milestone, 1
    while phase.milestone in taken:
        count += 1
        phase.milestone = f"{base}-{count}"


def _level_two(lines: list[Line]) -> list[tuple[tuple[int, str] | None, list[Line]]]:
    """The lines before the first `## ` heading (heading None), then each `## ` section."""
    blocks: list[tuple[tuple[int, str] | None, list[Line]]] = [(None, [])]
    for line in lines:
        found = heading(line)
        if found and found[0] <= 2:
            blocks.append(((line.no, found[1]), []) if found[0] == 2 else (None, []))
        else:
            blocks[-1][1].append(line)
    return [block for block in blocks if block[0] or any(_task_parts(line) for line in block[1])]


def _phase(
    head: tuple[int, str] | None,
    found: re.Match[str] | None,
    body: list[Line],
    parsed: ParsedPlan,
    file: str,
    index: int,
) -> Phase:
    number = found["num"] if found else str(index)
    name = (found["name"] if found else head[1] if head else "Tasks").strip() or f"Phase {number}"
    milestone = f"phase-{slugify(number) or index}" if found else slugify(name) or f"part-{index}"
    phase = Phase(number, name, head[0] if head else 1, milestone)
    for line in body:
        _read_line(phase, line, parsed, file)
    phase.finish(parsed, file)
    return phase


def _read_line(phase: Phase, line: Line, parsed: ParsedPlan, file: str) -> None:
    """One line of a phase: a task, a line of the task above, a sub-heading, or phase text."""
    parts, found = _task_parts(line), heading(line)
    under = bool(phase.items) and bool(line.text.strip()) and line.indent > phase.items[-1].indent
    if parts and not (under and not _ID.match(parts["rest"])):
        phase.add(_draft(line, parts, parsed, file), "P" in split_task(parts["rest"])[1], line)
    elif found:
        phase.subheading(found[1])
    elif under:
        phase.items[-1].details.append(line)
    elif line.text.strip():
        phase.note(line, plain=not _PLAIN.match(line.text.strip()))


def _task_parts(line: Line) -> re.Match[str] | None:
    return None if line.fenced else TASK_LINE.match(line.text)


def _rest(line: Line) -> str:
    found = TASK_LINE.match(line.text)
    return found["rest"] if found else ""


def _draft(line: Line, parts: re.Match[str], parsed: ParsedPlan, file: str) -> Draft:
    """A task from its line: id, `[P]`/`[USn]` labels, the description as its title, named files."""
    found, labels, text = split_task(parts["rest"])
    task_id = _task_id(found, line, parsed, file)
    draft = Draft(new_task(task_id, text or task_id, line.no))
    draft.task["status"] = "completed" if parts["box"].lower() == "x" else "queued"
    draft.task["files"] = named_paths(text)
    story = next((label for label in labels if label != "P"), None)
    draft.task["fields"].update({"parallel": "P" in labels, "story": story})
    return draft


def split_task(rest: str) -> tuple[re.Match[str] | None, list[str], str]:
    """The id match, the labels (`P`, `US1`) and the description of a task line's text."""
    found = _ID.match(rest)
    rest, labels = rest[found.end() :] if found else rest, []
    while label := _LABEL.match(rest):
        labels.append(label["label"].upper())
        rest = rest[label.end() :]
    return found, labels, rest.strip()


def _task_id(found: re.Match[str] | None, line: Line, parsed: ParsedPlan, file: str) -> str:
    """The id the line gives; else `line-N`, with a warning (a placeholder such as TXXX is no id)."""
    if found and (found["id"] or found["quoted"]):
        return str(found["id"] or found["quoted"])
    written = f" (the placeholder {found['placeholder']})" if found else ""
    parsed.warn(file, line.no, "id", f"task without an id{written}: it is called line-{line.no}")
    return f"line-{line.no}"
