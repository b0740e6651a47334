"""Plan files in seven formats, read into one normalised, validated dict.

`load_plan` detects the format, parses it, and checks the plan as a whole: unique ids, known
dependencies, no cycles, declared milestones. Every failure is a `PlanError` naming file, line and
field; nothing here writes anything.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from orchestrator import roles
from orchestrator.errors import PlanError
from orchestrator.hierarchy import inherit, with_child_edges
from orchestrator.plans import beads, kiro, native, speckit, subtasks, taskdoc, taskmaster
from orchestrator.plans.drafts import Draft, ParsedPlan, check_duplicates
from orchestrator.plans.scoped import scope_ids
from orchestrator.plans.values import check_id, convert, parse_estimate, slugify

__all__ = ["load_plan", "parse_estimate", "plan_tags", "warning_dict"]

_FORMATS = (
    "expected a native plan (YAML frontmatter with 'id' or 'title', then '## id: Title' sections), "
    "a 'Task N:' document ('### Task 1: Title' headings), a spec-kit task list ('- [ ] T001 …' lines), "
    "a Kiro task list ('- [ ] 1. Title' lines), a JSON subtask list or Taskmaster tasks.json (a .json "
    "file), or a beads issues.jsonl (a .jsonl file)"
)

_EMPTY = {
    "native": "a task is a '## id: Title' section",
    "taskdoc": "a task is a '### Task N: Title' heading",
    "subtasks": "the subtask list is empty",
    "speckit": "a task is a '- [ ] T001 Description' line",
    "kiro": "a task is a '- [ ] 1. Title' line",
    "taskmaster": "the tag has no tasks",
    "beads": "every issue is deleted (a tombstone) or unreadable",
}


def load_plan(
    path: str | Path,
    *,
    external_ids: frozenset[str] = frozenset(),
    plan_id: str | None = None,
    strict: bool = False,
    tag: str | None = None,
    scope_prefix: str | None = None,
    specialist_rules: roles.Rules | None = roles.BUILT_IN,
) -> dict[str, Any]:
    """The plan in `path`, normalised and validated, with the `warnings` its parser worked around.

    `external_ids` are the ids of tasks in other plans, which a dependency may name; `plan_id`
    overrides the id the file gives (or the slug of its name); `tag` picks the tag of a tagged
    Taskmaster file (`plan_tags`); `scope_prefix` scopes the ids of any format when one clashes with
    an external id (a sub-plan's children are `<parent>-<id>`). With `strict`, the first warning
    (by line) is raised as the PlanError it describes, so a messy file is refused instead of loaded.
    A task that names no specialist gets one inferred from its title by `specialist_rules`
    (`orchestrator.roles`; None: the implementer, not inferred).
    """
    file = str(path)
    parsed = _parse(_read(Path(path), file), file, external_ids, tag)
    _infer_specialists(parsed.drafts, specialist_rules)
    parsed.warnings.sort(key=lambda warning: warning.line or 0)
    if strict and parsed.warnings:
        raise parsed.warnings[0]
    loaded = _finish(parsed, Path(path), plan_id, external_ids, scope_prefix)
    loaded["warnings"] = [warning_dict(warning) for warning in parsed.warnings]
    return loaded


def plan_tags(path: str | Path) -> list[str]:
    """The tags of a tagged Taskmaster file, each loaded as a plan of its own; [] for any other file."""
    if not str(path).lower().endswith(".json"):
        return []
    try:
        return taskmaster.tags(json.loads(_read(Path(path), str(path))))
    except ValueError:
        return []


def warning_dict(warning: PlanError) -> dict[str, Any]:
    """A warning as `--json` output shows it; `text` is the line the CLI prints on stderr."""
    return {"line": warning.line, "field": warning.field, "message": warning.detail, "text": str(warning)}


def _read(path: Path, file: str) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PlanError(file, None, None, f"not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise PlanError(file, None, None, f"cannot read the file: {exc.strerror}") from None


def _parse(text: str, file: str, external_ids: frozenset[str], tag: str | None = None) -> ParsedPlan:
    """Detect the format of `text` and parse it.

    Markdown whose frontmatter names the plan is native unless it has more `Task N:` headings than
    `## id: Title` ones; then, and without such frontmatter, it is a "Task N:" document. Only a file
    that is neither, yet has a `- [ ] T001 …` line, is a spec-kit list; failing that, one with a
    `- [ ] 1. …` line is a Kiro list: so no file the older formats read changes format. A .json
    file is Taskmaster's when its shape says so (`taskmaster.recognises`), else a subtask list; a
    .jsonl file, or any file whose first line is a beads issue, is a beads export.
    """
    if file.lower().endswith(".json"):
        return _json(text, file, external_ids, tag)
    if file.lower().endswith(".jsonl") or (text.lstrip().startswith("{") and beads.recognises(text)):
        return beads.parse(text, file, external_ids)
    front = native.read_frontmatter(text, file)
    named = front is not None and native.names_plan(front)
    body = front.body_text() if front is not None else text
    task_headings = taskdoc.count_task_headings(body)
    if front is not None and named and native.count_task_headings(front) >= max(task_headings, 1):
        return native.parse(front, file)
    if task_headings:
        return taskdoc.parse(body, file)
    if speckit.count_task_lines(body):
        return speckit.parse(body, file)
    if kiro.count_task_lines(body):
        return kiro.parse(body, file)
    if front is not None and named:
        return native.parse(front, file)
    raise PlanError(file, 1, None, f"unrecognised plan format: {_FORMATS}")


def _json(text: str, file: str, external_ids: frozenset[str], tag: str | None) -> ParsedPlan:
    try:
        data = json.loads(text)
    except ValueError:
        data = None  # the subtask reader names the line and column
    if taskmaster.recognises(data):
        return taskmaster.parse(data, text, file, external_ids, tag)
    return subtasks.parse(text, file, external_ids)


def _infer_specialists(drafts: list[Draft], rules: roles.Rules | None) -> None:
    """Give each task that names no specialist the one `rules` infer from its title; mark every
    task with `specialist_inferred`."""
    for draft in drafts:
        guessed = rules is not None and "specialist" not in draft.spots
        if guessed:
            draft.task["specialist"] = roles.infer(draft.task["title"], rules or {})
        draft.task["specialist_inferred"] = guessed


def _finish(
    parsed: ParsedPlan, path: Path, plan_id: str | None, external_ids: frozenset[str], prefix: str | None
) -> dict[str, Any]:
    file = str(path)
    if not parsed.drafts:
        raise PlanError(file, parsed.line, "tasks", f"the plan has no tasks: {_EMPTY[parsed.format]}")
    pid = plan_id or parsed.id or slugify(path.stem) or "plan"
    convert(lambda value: check_id(value, "plan id"), pid, file, None, "plan id")
    scope_ids(parsed, pid, external_ids, file, prefix)
    inherit([draft.task for draft in parsed.drafts])
    _validate(parsed, file, external_ids)
    plan = {
        "id": pid,
        "title": parsed.title.strip() or pid,
        "source": path.name,
        "format": parsed.format,
        "milestones": _milestones(parsed, file),
        "gates": parsed.gates,
        "description": parsed.description,
        **parsed.extra,
    }
    return {"schema": 1, "plan": plan, "tasks": [draft.task for draft in parsed.drafts]}


def _validate(parsed: ParsedPlan, file: str, external_ids: frozenset[str]) -> None:
    check_duplicates(parsed.drafts, file)
    local = {draft.task["id"] for draft in parsed.drafts}
    for draft in parsed.drafts:
        draft.task["depends_on"] = list(dict.fromkeys(draft.task["depends_on"]))
        _check_dependencies(draft, local, external_ids, file)
    _check_cycle(parsed.drafts, local, file)


def _check_dependencies(draft: Draft, local: set[str], external: frozenset[str], file: str) -> None:
    line, label = draft.spot("depends_on")
    for dependency in draft.task["depends_on"]:
        if dependency == draft.task["id"]:
            raise PlanError(file, line, label, f"task {dependency!r} depends on itself")
        if dependency not in local and dependency not in external:
            raise PlanError(file, line, label, _unknown(dependency, local | external))


def _unknown(dependency: str, known: set[str]) -> str:
    close = difflib.get_close_matches(dependency, sorted(known), n=3, cutoff=0.5)
    if close:
        return f"unknown dependency {dependency!r}: did you mean {', '.join(close)}?"
    return f"unknown dependency {dependency!r}: no task has that id"


def _check_cycle(drafts: list[Draft], local: set[str], file: str) -> None:
    from orchestrator.graph import find_cycle

    tasks = [
        {"id": d.task["id"], "depends_on": [x for x in d.task["depends_on"] if x in local],
         "parent": d.task.get("parent")} for d in drafts
    ]
    cycle = find_cycle(with_child_edges(tasks))
    if cycle:
        first = next(draft for draft in drafts if draft.task["id"] == cycle[0])
        line, label = first.spot("depends_on")
        raise PlanError(file, line, label, f"cycle: {' -> '.join(cycle)}")


def _milestones(parsed: ParsedPlan, file: str) -> list[dict[str, str]]:
    """The declared milestones, then any a task names without declaring it (its title is its id)."""
    milestones = list(parsed.milestones)
    known = {milestone["id"] for milestone in milestones}
    for draft in parsed.drafts:
        milestone = draft.task["milestone"]
        if milestone is None or milestone in known:
            continue
        if parsed.milestones_declared:
            line, label = draft.spot("milestone")
            declared = ", ".join(sorted(known)) or "none"
            raise PlanError(file, line, label, f"undeclared milestone {milestone!r} (declared: {declared})")
        milestones.append({"id": milestone, "title": milestone})
        known.add(milestone)
    return milestones
