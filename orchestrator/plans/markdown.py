"""The Markdown that plans are written in: numbered lines, headings, sections, lists and steps.

Everything here is pure; a line inside a code fence is never a heading or a list item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import takewhile
from typing import Any

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_ITEM = re.compile(
    r"^(?P<indent>\s*)(?P<marker>[-*+]|\d+[.)])\s+(?:\[(?P<box>[ xX])\](?:\s+|$))?(?P<text>.*)$"
)
_STEP_ID = re.compile(r"^(?P<id>\d+(?:\.\d+)+)[.):]?\s+(?P<text>\S.*)$")


@dataclass(frozen=True)
class Line:
    """One source line: its number in the file, its text, and whether it is inside a code fence."""

    no: int
    text: str
    fenced: bool

    @property
    def indent(self) -> int:
        return len(self.text) - len(self.text.lstrip())


@dataclass
class Section:
    """A heading and the lines under it, up to the next heading of its level."""

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
