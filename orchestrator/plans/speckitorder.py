"""The order a spec-kit task list means, as dependencies (docs/plan-format.md, "spec-kit").

Between phases: Setup, Foundational and every other phase that is not a user story is a barrier
that waits for everything before it; a user-story phase waits only for the barrier before it, so
stories run in parallel and Polish waits for all of them. Inside a phase, `### ` sub-headings run in
turn; a task without `[P]` waits for the tasks before it in its sub-heading, a `[P]` task only for
the sub-heading's start (the phase's, without sub-headings), as issue #17 and spec-kit's "[P]: can
run in parallel (different files, no dependencies)" have it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from orchestrator.plans.drafts import Draft, ParsedPlan
from orchestrator.plans.markdown import Line, markdown_text
from orchestrator.plans.prose import dedented
from orchestrator.plans.references import add_references, rename_duplicates

_PRIORITY = re.compile(r"\(\s*Priority\s*:\s*P(?P<n>\d+)\s*\)", re.IGNORECASE)
_STORY = re.compile(r"\bUser\s+Story\s+(?P<n>\d+)\b|\bUS(?P<m>\d+)\b", re.IGNORECASE)
_AFTER_STORY = re.compile(
    r"\b(?:depends?\s+on|after|requires?|blocked\s+by)\s+(?P<clause>(?:User\s+Story\s+|US)\d+(?:(?!\s[-–—]\s)[^.;()])*)",
    re.IGNORECASE,
)
_STORY_REF = re.compile(
    r"\b(?:User\s+Stor(?:y|ies)\s+|US)(?P<n>\d+)|\b(?:and|,)\s*(?P<m>\d+)\b", re.IGNORECASE
)
_SUBJECT = re.compile(r"^\s*[-*]\s+\*\*(?:User\s+Story\s+(?P<n>\d+)|US(?P<m>\d+))\b", re.IGNORECASE)
_TEST_FIRST = re.compile(
    r"\btests?\s+first\b|\bTDD\b|\bensure\s+they\s+fail\b|\bmust\s+(?:be\s+written\s+and\s+)?fail\b",
    re.IGNORECASE,
)
_PRIORITIES = {1: "high", 2: "medium"}


@dataclass
class Item:
    """One task of a phase, the `### ` group it is in, and the lines indented under it."""

    draft: Draft
    parallel: bool
    indent: int
    group: int
    details: list[Line] = field(default_factory=list)


@dataclass
class Phase:
    """A `## Phase N: Name` section: its tasks, its text, and what kind of phase it is."""

    number: str
    name: str
    line: int
    milestone: str
    items: list[Item] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    prose: list[int] = field(default_factory=list)
    group: int = 0
    story: str | None = None
    priority: str | None = None
    test_first: bool = False

    def add(self, draft: Draft, parallel: bool, line: Line) -> None:
        self.items.append(Item(draft, parallel, line.indent, self.group))

    def subheading(self, text: str) -> None:
        """A `### ` heading: the tasks after it wait for the ones before it."""
        self.group += 1
        self.texts.append(text)

    def note(self, line: Line, *, plain: bool) -> None:
        """Phase text; plain prose after a task is remembered, to warn if a task follows it."""
        self.texts.append(line.text.strip())
        if plain and self.items:
            self.prose.append(line.no)

    @property
    def kind(self) -> str:
        """Either "story" (a user story's phase: it names one or has a priority) or "barrier"."""
        return "story" if self.story or self.priority else "barrier"

    def finish(self, parsed: ParsedPlan, file: str) -> None:
        """Read the heading and text, give each task its phase's fields, warn about stray prose."""
        heading = f"{self.name} {' '.join(self.texts)}"
        priority = _PRIORITY.search(self.name)
        story = _STORY.search(self.name)
        self.priority = _priority(int(priority["n"])) if priority else None
        self.story = f"US{story['n'] or story['m']}" if story else self._labelled_story()
        self.test_first = bool(_TEST_FIRST.search(heading))
        last = self.items[-1].draft.task["line"] if self.items else 0
        for number in (no for no in self.prose if no < last):
            parsed.warn(file, number, "text", "prose between tasks: kept as the phase's text, not a task")
        for item in self.items:
            self._fill(item)
            parsed.drafts.append(item.draft)

    def _labelled_story(self) -> str | None:
        """The story every task of the phase is labelled with (`[US2]` on each), if there is one."""
        labels = {item.draft.task["fields"]["story"] for item in self.items}
        return labels.pop() if len(labels) == 1 else None

    def _fill(self, item: Item) -> None:
        task = item.draft.task
        task["milestone"] = self.milestone
        task["priority"] = self.priority or task["priority"]
        task["description"] = markdown_text(dedented(item.details))
        task["fields"].update({"phase": self.number, "test_first": self.test_first})
        task["fields"]["story"] = task["fields"]["story"] or self.story

    def summary(self) -> dict[str, Any]:
        """The phase as the plan keeps it (`phases`): what a test-first policy or an export reads."""
        return {"id": self.milestone, "number": self.number, "name": self.name, "kind": self.kind,
                "story": self.story, "priority": self.priority, "test_first": self.test_first,
                "tasks": [item.draft.task["id"] for item in self.items]}  # fmt: skip


def _priority(number: int) -> str:
    """P1 -> high, P2 -> medium, P3 and after -> low (P0 -> critical)."""
    return "critical" if number == 0 else _PRIORITIES.get(number, "low")


def link(phases: list[Phase], parsed: ParsedPlan, file: str, sections: dict[str, str]) -> None:
    """Give every task its dependencies: the phase and `[P]` order, the stories a story waits for
    (in its phase or the Dependencies section), then what each task's text names."""
    rename_duplicates(parsed, file)
    stated = story_dependencies(sections)
    ends: dict[str, list[str]] = {}
    barrier: list[str] = []
    since: list[str] = []
    for phase in phases:
        entry = barrier if phase.kind == "story" else (since or barrier)
        stories = _after_stories(phase) + stated.get(phase.story or "", [])
        entry = entry + [tid for story in stories for tid in ends.get(story, [])]
        end = _link_phase(phase, entry)
        ends[phase.story or phase.milestone] = end
        if phase.kind == "story":
            since = since + end
        else:
            barrier, since = end, []
    add_references(parsed, file)


def _after_stories(phase: Phase) -> list[str]:
    """The stories a phase's own text says it waits for ("Depends on User Story 1", "after US2")."""
    return [story for text in phase.texts for story in stories_after(text)]


def stories_after(text: str) -> list[str]:
    """The stories "depends on US1, US2", "after User Story 1 and 2" name: `["US1", "US2"]`."""
    found: list[str] = []
    for clause in _AFTER_STORY.finditer(text):
        found.extend(f"US{ref['n'] or ref['m']}" for ref in _STORY_REF.finditer(clause["clause"]))
    return found


def story_dependencies(sections: dict[str, str]) -> dict[str, list[str]]:
    """What a Dependencies section says of stories: `- **User Story 2 (P2)**: Depends on US1` ->
    {"US2": ["US1"]}. "Can start after Foundational" and "May integrate with US1" say nothing."""
    found: dict[str, list[str]] = {}
    for title, text in sections.items():
        if "dependenc" not in title.lower():
            continue
        for line in text.split("\n"):
            subject = _SUBJECT.match(line)
            if subject:
                story = f"US{subject['n'] or subject['m']}"
                found.setdefault(story, []).extend(stories_after(line))
    return found


def _link_phase(phase: Phase, entry: list[str]) -> list[str]:
    """Link a phase's tasks in order, starting from `entry`; the ids whose completion ends it.

    In each group a `[P]` task waits only for the group's start; a task without `[P]` waits for
    every task before it in the group (the last one without `[P]` and the `[P]` ones since)."""
    start, last, run, group = list(entry), list[str](), list[str](), 0
    for item in phase.items:
        if item.group != group:
            start, last, run, group = (last + run) or start, [], [], item.group
        if item.parallel:
            item.draft.task["depends_on"] = list(start)
            run.append(item.draft.task["id"])
        else:
            item.draft.task["depends_on"] = (last + run) or list(start)
            last, run = [item.draft.task["id"]], []
    return (last + run) or start
