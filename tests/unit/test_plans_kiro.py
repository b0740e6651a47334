"""Kiro task lists load as they are: numbered items, their details and requirements, and the order
the numbers mean (children in turn, a parent after its last child, top-level items in turn)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orchestrator.errors import PlanError
from orchestrator.plans import load_plan

FIXTURE = Path(__file__).parent / "fixtures" / "plans" / "kiro" / "photo-sharing" / "tasks.md"


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    return load_plan(FIXTURE)


def tasks(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {task["id"]: task for task in plan["tasks"]}


def test_the_plan_is_named_after_its_folder(plan: dict[str, Any]) -> None:
    meta = plan["plan"]
    assert (meta["id"], meta["title"], meta["format"]) == ("photo-sharing", "Implementation Plan", "kiro")
    assert plan["warnings"] == []


def test_items_details_and_requirements(plan: dict[str, Any]) -> None:
    found = tasks(plan)
    assert list(found) == ["T1", "T2", "T2.1", "T2.2", "T2.3", "T3", "T3.1", "T3.2", "T4"]
    assert found["T1"]["status"] == "completed" and found["T2"]["status"] == "queued"
    assert found["T1"]["fields"]["requirements"] == ["1.1"]
    assert found["T2.1"]["fields"]["requirements"] == ["2.1", "3.3", "1.2"]
    assert [step["text"] for step in found["T2.2"]["steps"]] == [
        "Write the User class with validation methods",
        "Create unit tests for User model validation",
    ]
    assert "_Requirements" not in found["T2.2"]["description"]
    assert found["T1"]["files"] == ["src/types.ts"] and found["T3.1"]["files"] == ["src/db/connection.ts"]
    assert found["T2.3"]["fields"]["optional"] is True and found["T2.2"]["fields"]["optional"] is False


def test_the_numbers_are_the_order(plan: dict[str, Any]) -> None:
    deps = {task_id: task["depends_on"] for task_id, task in tasks(plan).items()}
    assert deps == {
        "T1": [],
        "T2.1": ["T1"],
        "T2.2": ["T2.1"],
        "T2.3": ["T2.2"],
        "T2": ["T2.3"],
        "T3.1": ["T2"],
        "T3.2": ["T3.1"],
        "T3": ["T3.2"],
        "T4": ["T3"],
    }


MESSY = """# Implementation Plan

- [ ] 1. First
Someone's note between tasks.
- [ ] 1. First again
- [-] Second without a number
"""


def test_a_messy_list_warns_and_strict_refuses(tmp_path: Path) -> None:
    path = tmp_path / "tasks.md"
    path.write_text(MESSY, encoding="utf-8")
    plan = load_plan(path)
    assert [(t["id"], t["status"]) for t in plan["tasks"]] == [
        ("T1", "queued"),
        ("T1-line-5", "queued"),
        ("T-line-6", "in_progress"),
    ]
    assert [(w["line"], w["field"]) for w in plan["warnings"]] == [(4, "text"), (5, "id"), (6, "id")]
    with pytest.raises(PlanError) as caught:
        load_plan(path, strict=True)
    assert (caught.value.line, caught.value.field) == (4, "text")
