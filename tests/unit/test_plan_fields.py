"""`due` and `category` in the three plan formats: values, errors naming file, line and field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator.errors import PlanError
from orchestrator.plans import load_plan
from orchestrator.plans.values import normalise_category, parse_due

NATIVE = """---
id: p
title: P
---
## a: Add the cart
- due: 2026-03-01
- category: Feature

## b: Fix rounding
- deadline: "2026-02-01"
- type: bug
"""

TASKDOC = """# P

### Task 1: Add the cart
**Priority**: HIGH | **Due**: 2026-03-01 | **Category**: Feature

### Task 2: Pay down the parser debt
**Due Date**: none
**Type**: Tech  Debt
"""

SUBTASKS = [
    {"title": "Add the cart", "due": "2026-03-01T17:00:00Z", "category": "feature"},
    {"title": "Fix rounding", "deadline": "2026-02-01", "type": "bug"},
    {"title": "Write docs"},
]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def fields(loaded: dict[str, Any]) -> list[tuple[str | None, str | None]]:
    return [(task["due"], task["category"]) for task in loaded["tasks"]]


def test_due_and_category_in_every_format(tmp_path: Path) -> None:
    native, taskdoc = load_plan(write(tmp_path, "n.md", NATIVE)), load_plan(write(tmp_path, "t.md", TASKDOC))
    assert fields(native) == [("2026-03-01", "feature"), ("2026-02-01", "bug")]
    assert fields(taskdoc) == [("2026-03-01", "feature"), (None, "tech debt")]
    loaded = load_plan(write(tmp_path, "s.json", json.dumps(SUBTASKS, indent=2)))
    assert fields(loaded) == [("2026-03-01", "feature"), ("2026-02-01", "bug"), (None, None)]
    assert all("due" not in task["fields"] and "category" not in task["fields"] for task in loaded["tasks"])


@pytest.mark.parametrize(
    ("name", "text", "line", "field"),
    [
        ("n.md", NATIVE.replace("2026-03-01", "next week"), 6, "due"),
        ("t.md", TASKDOC.replace("2026-03-01", "2026-02-30"), 4, "Due"),
        ("s.json", json.dumps([{"title": "A", "category": 3}], indent=2), 4, "[0].category"),
        ("s2.json", json.dumps([{"title": "A", "due": "03/01/2026"}], indent=2), 4, "[0].due"),
    ],
)
def test_a_bad_due_or_category_names_file_line_and_field(
    tmp_path: Path, name: str, text: str, line: int, field: str
) -> None:
    with pytest.raises(PlanError) as caught:
        load_plan(write(tmp_path, name, text))
    assert (caught.value.line, caught.value.field) == (line, field)
    assert str(caught.value).startswith(f"{tmp_path / name}:{line}: {field}: bad ")


@pytest.mark.parametrize(
    ("value", "due"),
    [("2026-03-01", "2026-03-01"), (" 2026-03-01 ", "2026-03-01"), ("2026-03-01T17:00Z", "2026-03-01"),
     ("2026-03-01 09:30:00+02:00", "2026-03-01"), ("", None), ("none", None), (None, None), ("n/a", None)],
)
def test_parse_due(value: object, due: str | None) -> None:
    assert parse_due(value) == due


@pytest.mark.parametrize("value", ["2026-3-1", "2026-02-30", "tomorrow", 20260301, True, "2026-03-01x"])
def test_parse_due_refuses(value: object) -> None:
    with pytest.raises(ValueError, match="bad due .*YYYY-MM-DD"):
        parse_due(value)


def test_normalise_category() -> None:
    assert (normalise_category(" Tech  Debt "), normalise_category("`bug`"), normalise_category("")) == (
        "tech debt", "bug", None)
    with pytest.raises(ValueError, match="bad category .*expected text"):
        normalise_category(["bug"])
