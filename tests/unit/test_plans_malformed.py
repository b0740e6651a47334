"""Malformed plans: each gives a PlanError that names the file, the line and the field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from orchestrator.errors import InvalidInput, PlanError
from orchestrator.plans import load_plan

FRONT = "---\nid: p\ntitle: P\n---\n"  # 4 lines: the first task heading is line 5


def native(body: str) -> str:
    return FRONT + textwrap.dedent(body).lstrip("\n")


# (file name, content, line, field, words the message must contain)
CASES = [
    # --- native: frontmatter
    ("yaml-syntax.md", "---\nid: p\ntitle: [unclosed\n---\n## a: A\n", 4, "frontmatter", "YAML syntax error"),
    (
        "yaml-indent.md",
        "---\nid: p\ntitle: P\n  bad: indent\n---\n## a: A\n",
        4,
        "frontmatter",
        "YAML syntax error",
    ),
    ("unclosed.md", "---\nid: p\ntitle: P\n## a: A\n", 1, "frontmatter", "not closed"),
    ("unknown-key.md", "---\nid: p\ntitle: P\nowner: me\n---\n## a: A\n", 4, "owner", "unknown key 'owner'"),
    ("bad-plan-id.md", "---\nid: my plan\ntitle: P\n---\n## a: A\n", 2, "id", "bad plan id"),
    ("title-type.md", "---\nid: p\ntitle: [1, 2]\n---\n## a: A\n", 3, "title", "valid string"),
    (
        "gate-no-command.md",
        "---\nid: p\ngates:\n  - {name: tests}\n---\n## a: A\n",
        4,
        "gates[0].command",
        "missing required key 'command'",
    ),
    (
        "gate-kind.md",
        "---\nid: p\ngates:\n  - name: t\n    command: x\n    kind: jest\n---\n## a: A\n",
        6,
        "gates[0].kind",
        "bad kind 'jest'",
    ),
    (
        "gate-timeout.md",
        "---\nid: p\ngates:\n  - {command: x, timeout: 0}\n---\n## a: A\n",
        4,
        "gates[0].timeout",
        "greater than 0",
    ),
    (
        "gate-extra.md",
        "---\nid: p\ngates:\n  - {command: x, retries: 2}\n---\n## a: A\n",
        4,
        "gates[0].retries",
        "unknown key 'retries'",
    ),
    (
        "milestone-id.md",
        "---\nid: p\nmilestones:\n  - {id: design}\n  - {id: 'two words'}\n---\n## a: A\n",
        5,
        "milestones[1].id",
        "bad milestone id",
    ),
    (
        "undeclared-milestone.md",
        "---\nid: p\nmilestones: [design]\n---\n## a: A\n- milestone: release\n",
        6,
        "milestone",
        "undeclared milestone 'release'",
    ),
    # --- native: tasks
    ("no-tasks.md", "---\nid: p\ntitle: P\n---\nJust words.\n", 5, "tasks", "no tasks"),
    ("bad-heading.md", native("## a: A\n\n## Overview\n"), 7, "heading", "## id: Title"),
    ("bad-task-id.md", native("## a/b: A\n"), 5, "id", "bad task id 'a/b'"),
    ("empty-title.md", native("## a:\n- priority: high\n"), 5, "title", "empty title"),
    (
        "duplicate.md",
        native("## a: A\n\n## b: B\n\n## a: Again\n"),
        9,
        "id",
        "first at line 5, again at line 9",
    ),
    (
        "unknown-dep.md",
        native("## schema: S\n\n## api: API\n- depends_on: shema\n"),
        8,
        "depends_on",
        "did you mean schema",
    ),
    ("self-dep.md", native("## a: A\n- depends_on: a\n"), 6, "depends_on", "depends on itself"),
    (
        "cycle.md",
        native("## a: A\n- depends_on: c\n## b: B\n- depends_on: a\n## c: C\n- depends_on: b\n"),
        6,
        "depends_on",
        "cycle: a -> c -> b -> a",
    ),
    ("bad-priority.md", native("## a: A\n- priority: whenever\n"), 6, "priority", "bad priority 'whenever'"),
    ("bad-status.md", native("## a: A\n- status: halfway\n"), 6, "status", "bad status 'halfway'"),
    ("bad-estimate.md", native("## a: A\n- estimate: soon\n"), 6, "estimate", "bad estimate 'soon'"),
    (
        "deps-number.md",
        native("## a: A\n\n## b: B\n- depends_on: [1, a]\n"),
        8,
        "depends_on",
        "got a number 1 in it",
    ),
    (
        "task-gate-yaml.md",
        native("## a: A\n### Gates\n```yaml\n- {command: x\n```\n"),
        8,
        "gates",
        "YAML syntax error",
    ),
    (
        "task-gate-kind.md",
        native("## a: A\n### Gates\n```yaml\n- command: x\n  kind: tox\n```\n"),
        9,
        "gates[0].kind",
        "bad kind 'tox'",
    ),
    ("bad-milestone-value.md", native("## a: A\n- milestone: the end\n"), 6, "milestone", "bad milestone id"),
    # --- "Task N:" documents
    (
        "taskdoc-dup.md",
        "# P\n### Task 1: A\n### Task 2: B\n### Task 1: C\n",
        4,
        "id",
        "duplicate task id 'T1'",
    ),
    ("taskdoc-empty-title.md", "# P\n### Task 1: A\n### Task 2:\n", 3, "title", "Task 2 has an empty title"),
    (
        "taskdoc-unknown-dep.md",
        "# P\n### Task 1: A\n### Task 2: B\n**Dependencies**: Task 3\n",
        4,
        "Dependencies",
        "unknown dependency 'T3'",
    ),
    (
        "taskdoc-priority.md",
        "# P\n### Task 1: A\n**Priority**: SOMEDAY | **Impact**: HIGH\n",
        3,
        "Priority",
        "bad priority 'SOMEDAY'",
    ),
    (
        "taskdoc-estimate.md",
        "# P\n### Task 1: A\n**Estimated Effort**: a while\n",
        3,
        "Estimated Effort",
        "bad estimate 'a while'",
    ),
    ("taskdoc-status.md", "# P\n### Task 1: A\n**Status**: Maybe\n", 3, "Status", "bad status 'Maybe'"),
    (
        "taskdoc-cycle.md",
        "# P\n### Task 1: A\n**Dependencies**: Task 2\n### Task 2: B\n**Dependencies**: 1\n",
        3,
        "Dependencies",
        "cycle: T1 -> T2 -> T1",
    ),
    (
        "taskdoc-self.md",
        "# P\n\n### Task 1: A\n**Dependencies**: T1\n",
        4,
        "Dependencies",
        "depends on itself",
    ),
    # --- JSON subtask lists
    ("syntax.json", '[\n  {"title": "A"},\n  {"title": "B",}\n]\n', 3, "json", "Expecting property name"),
    ("empty.json", "[]\n", 1, "tasks", "no tasks"),
    ("not-list.json", '{"title": "x"}\n', 1, None, "expected a list of subtasks"),
    ("item-type.json", '[\n  {"title": "A"},\n  "B"\n]\n', 3, "[1]", "must be an object"),
    (
        "no-title.json",
        '[\n  {"title": "A"},\n  {"description": "d"}\n]\n',
        3,
        "[1].title",
        "missing required key 'title'",
    ),
    ("empty-title.json", '[{"title": "A"},\n {"title": "  "}]\n', 2, "[1].title", "the title is empty"),
    (
        "deps-type.json",
        '[\n  {"title": "A"},\n  {"title": "B",\n   "dependencies": 3}\n]\n',
        4,
        "[1].dependencies",
        "expected a list, got a number 3",
    ),
    (
        "deps-unknown.json",
        '[\n {"title": "Database Schema"},\n {"title": "API", "dependencies": ["databse schema"]}\n]\n',
        3,
        "[1].dependencies",
        "did you mean 'Database Schema'",
    ),
    (
        "deps-ambiguous.json",
        '[\n {"title": "Auth API"},\n {"title": "Auth UI"},\n'
        ' {"title": "Docs", "dependencies": ["auth"]}\n]\n',
        4,
        "[2].dependencies",
        "ambiguous dependency 'auth'",
    ),
    (
        "dup.json",
        '[\n {"title": "Login Form"},\n {"title": "login form"}\n]\n',
        3,
        "[1].title",
        "first at line 2, again at line 3",
    ),
    ("priority.json", '[\n {"title": "A", "priority": 1}\n]\n', 2, "[0].priority", "bad priority 1"),
    (
        "estimate.json",
        '[\n {"title": "A",\n  "estimated_effort": "two days"}\n]\n',
        3,
        "[0].estimated_effort",
        "bad estimate 'two days'",
    ),
    (
        "gate.json",
        '[\n {"title": "A",\n  "gates": [{"command": "x", "timeout": -5}]}\n]\n',
        3,
        "[0].gates[0].timeout",
        "greater than 0",
    ),
    (
        "cycle.json",
        '[\n {"title": "A", "dependencies": ["B"]},\n {"title": "B", "dependencies": ["A"]}\n]\n',
        2,
        "[0].dependencies",
        "cycle: a -> b -> a",
    ),
    ("subtasks-type.json", '{"title": "P",\n "subtasks": {"a": 1}}\n', 2, "subtasks", "must be a list"),
    ("bad-id.json", '[\n {"id": "a b", "title": "A"}\n]\n', 2, "[0].id", "bad task id 'a b'"),
    # --- neither format
    ("notes.md", "# Notes\n\nNothing that looks like a plan.\n", 1, None, "unrecognised plan format"),
    ("glob-dotdot.md", native("## a: A\n- files: src/x.py, ../secrets/*\n"), 6, "files", "'..' segment"),
    ("glob-dotdot.json", '[\n  {"title": "A",\n   "files": ["./ok", "a/../../b"]}\n]\n', 3, "[0].files",
     "leaves the repository"),
]


@pytest.mark.parametrize(
    ("name", "content", "line", "field", "words"), CASES, ids=[case[0] for case in CASES]
)
def test_malformed_plan_names_file_line_and_field(
    tmp_path: Path, name: str, content: str, line: int, field: str | None, words: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PlanError) as caught:
        load_plan(path)
    error = caught.value
    message = str(error)
    assert (error.file, error.line, error.field) == (str(path), line, field), message
    assert message.startswith(f"{path}:{line}: "), message
    if field:
        assert f": {field}: " in message
    assert words in message


def test_there_are_at_least_thirty_cases() -> None:
    assert len(CASES) >= 30


def test_a_plan_error_is_invalid_input_with_exit_code_2(tmp_path: Path) -> None:
    path = tmp_path / "p.md"
    path.write_text(native("## a: A\n- priority: soonish\n"), encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_plan(path)
    assert caught.value.exit_code == 2


def test_a_missing_file_is_a_plan_error(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="cannot read the file"):
        load_plan(tmp_path / "absent.md")


def test_undecodable_bytes_are_a_plan_error(tmp_path: Path) -> None:
    path = tmp_path / "p.md"
    path.write_bytes(b"# P\n### Task 1: \xff\xfe\n")
    with pytest.raises(PlanError, match="not UTF-8"):
        load_plan(path)


def test_the_error_for_a_cross_plan_dependency_lists_external_ids(tmp_path: Path) -> None:
    path = tmp_path / "p.md"
    path.write_text(native("## a: A\n- depends_on: billing-api\n"), encoding="utf-8")
    with pytest.raises(PlanError, match="did you mean billing.api"):
        load_plan(path, external_ids=frozenset({"billing.api"}))
