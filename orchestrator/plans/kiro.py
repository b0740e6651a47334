"""Kiro's task list (`.kiro/specs/<feature>/tasks.md`) read as a plan, as is.

A task is a numbered checkbox, `- [ ] 1. Title` or `- [ ] 2.1 Title` (`[x]` done, `[-]` started,
`[ ]*` optional); the bullets under it are its steps and `_Requirements: 1.1, 2.3_` a field. The
numbers are the order: top-level items run in turn, the children of 2 run in turn after 1, and 2
itself waits for its last child, so "2" is done when its children are.
"""

from __future__ import annotations

import re
from pathlib import Path

from orchestrator.plans.drafts import Draft, ParsedPlan, new_task
from orchestrator.plans.markdown import Line, heading, list_item, markdown_text, numbered_lines
from orchestrator.plans.prose import dedented, named_paths
from orchestrator.plans.values import slugify, snake_key, split_values

_TASK = re.compile(
    r"^(?P<indent>\s*)[-*]\s+\[(?P<box>[ xX-])\](?P<optional>\*)?\s+"
    r"(?:(?P<num>\d+(?:\.\d+)*)\.?\s+)?(?P<title>\S.*)$"
)
_FIELD = re.compile(r"^(?:[-*]\s+)?_(?P<label>[A-Za-z][\w ]*?)\s*:\s*(?P<value>.*?)_?\s*$")
_BOXES = {" ": "queued", "x": "completed", "-": "in_progress"}


def count_task_lines(text: str) -> int:
    """How many numbered `- [ ] 1. Title` lines (outside code blocks) `text` has."""
    return sum(1 for line in numbered_lines(text) if (found := _match(line)) and found["num"])


def parse(text: str, file: str) -> ParsedPlan:
    """The plan in a Kiro task list."""
    lines = numbered_lines(text)
    title = next((h[1] for h in map(heading, lines) if h and h[0] == 1), "")
    parsed = ParsedPlan(format="kiro", title=title, drafts=[], id=_plan_id(file, title))
    numbers = _read_tasks(lines, parsed, file)
    _chain(_roots(numbers), [], numbers)
    return parsed


def _plan_id(file: str, title: str) -> str | None:
    path = Path(file)
    folder = slugify(path.parent.name) if path.name.lower() == "tasks.md" else ""
    if folder:
        return folder
    return None if title.strip().lower() == "implementation plan" else slugify(title) or None


def _match(line: Line) -> re.Match[str] | None:
    found = None if line.fenced else _TASK.match(line.text)
    return found if found and (found["num"] or not found["indent"]) else None


def _read_tasks(lines: list[Line], parsed: ParsedPlan, file: str) -> dict[str, Draft]:
    """Each task by its number, in file order; the lines indented under a task are its details."""
    numbers: dict[str, Draft] = {}
    current: tuple[Draft, int, list[Line]] | None = None
    prose: list[int] = []
    for line in lines:
        found = _match(line)
        if found:
            _finish(current, file)
            _warn_prose(prose, parsed, file)
            current = (_draft(found, line, numbers, parsed, file), len(found["indent"]), [])
        elif current and line.text.strip() and line.indent > current[1]:
            current[2].append(line)
        elif line.text.strip() and current and not heading(line):
            prose.append(line.no)
    _finish(current, file)
    return numbers


def _warn_prose(prose: list[int], parsed: ParsedPlan, file: str) -> None:
    for number in prose:
        parsed.warn(file, number, "text", "prose between tasks: ignored")
    prose.clear()


def _draft(
    found: re.Match[str], line: Line, numbers: dict[str, Draft], parsed: ParsedPlan, file: str
) -> Draft:
    number = found["num"]
    if number is None:
        number = f"-line-{line.no}"
        parsed.warn(file, line.no, "id", f"task without a number (1. …): it is called T{number}")
    elif number in numbers:
        first = numbers[number].task["line"]
        parsed.warn(
            file,
            line.no,
            "id",
            f"duplicate task number {number} (first at line {first}): "
            f"this one is called T{number}-line-{line.no}",
        )
        number = f"{number}-line-{line.no}"
    draft = Draft(new_task(f"T{number}", found["title"].strip(), line.no))
    draft.task["status"] = _BOXES[found["box"].lower()]
    draft.task["fields"]["optional"] = bool(found["optional"])
    numbers[number] = draft
    parsed.drafts.append(draft)
    return draft


def _finish(current: tuple[Draft, int, list[Line]] | None, file: str) -> None:
    """Details: `_Label: value_` lines are fields, bullets are steps, the rest is description."""
    if current is None:
        return
    draft, _indent, details = current
    rest = []
    for line in details:
        field = _FIELD.match(line.text.strip())
        if field:
            draft.task["fields"][snake_key(field["label"])] = split_values(field["value"].rstrip("_"))
        else:
            rest.append(line)
    draft.task["steps"] = [_step(item, index) for index, item in enumerate(_items(rest), 1)]
    draft.task["description"] = markdown_text(dedented(rest))
    draft.task["files"] = named_paths(f"{draft.task['title']}\n{draft.task['description']}")


def _items(lines: list[Line]) -> list[re.Match[str]]:
    shallowest = min((line.indent for line in lines if list_item(line)), default=0)
    return [found for line in lines if line.indent == shallowest and (found := list_item(line))]


def _step(item: re.Match[str], index: int) -> dict[str, object]:
    done = (item["box"] or " ").lower() == "x"
    return {"id": str(index), "text": item["text"].strip(), "done": done, "notes": []}


def _roots(numbers: dict[str, Draft]) -> list[str]:
    return [number for number in numbers if _parent(number) not in numbers]


def _parent(number: str) -> str | None:
    return number.rsplit(".", 1)[0] if "." in number.split("-line-")[0] else None


def _chain(siblings: list[str], entry: list[str], numbers: dict[str, Draft]) -> list[str]:
    """Link siblings in turn from `entry`; a parent waits for its last child. Returns the end."""
    end = entry
    for number in siblings:
        children = [child for child in numbers if _parent(child) == number]
        numbers[number].task["depends_on"] = _chain(children, end, numbers) if children else list(end)
        end = [numbers[number].task["id"]]
    return end
