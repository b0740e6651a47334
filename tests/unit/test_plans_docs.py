"""The examples in docs/plan-format.md are real: each one loads, as the text says it does."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from orchestrator.plans import load_plan

DOC = (Path(__file__).parents[2] / "docs" / "plan-format.md").read_text(encoding="utf-8")


def _load(tmp_path: Path, name: str, text: str) -> dict[str, Any]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_plan(path)


def test_the_native_example(tmp_path: Path) -> None:
    text = re.search(r"~~~markdown\n(.*?)~~~\n", DOC, re.S)
    assert text
    plan = _load(tmp_path, "auth.md", text.group(1))
    assert [(t["id"], t["depends_on"]) for t in plan["tasks"]] == [("arch", []), ("api", ["arch"])]
    assert plan["tasks"][0]["gates"][0]["name"] == "adr-lint"


def test_the_task_document_example(tmp_path: Path) -> None:
    text = re.search(r"```markdown\n(# Authentication.*?)```\n", DOC, re.S)
    assert text
    plan = _load(tmp_path, "plan.md", text.group(1))
    found = [(t["id"], t["status"], t["depends_on"], t["milestone"]) for t in plan["tasks"]]
    assert found == [
        ("T1", "completed", [], "phase-1"),
        ("T2", "in_progress", ["T1"], "phase-1"),
        ("T3", "queued", ["T2"], "phase-2"),
    ]


def test_the_subtask_list_example(tmp_path: Path) -> None:
    text = re.search(r"```json\n(\{\n  \"id\".*?)```\n", DOC, re.S)
    assert text
    plan = _load(tmp_path, "subtasks.json", text.group(1))
    deps = {t["id"]: t["depends_on"] for t in plan["tasks"]}
    assert deps == {
        "database-schema-design": [],
        "user-authentication": ["database-schema-design"],
        "sec-tests": ["user-authentication"],
    }


def test_the_spec_kit_example(tmp_path: Path) -> None:
    text = re.search(r"```markdown\n(# Tasks: Photo Albums.*?)```\n", DOC, re.S)
    assert text
    plan = _load(tmp_path, "tasks.md", text.group(1))
    found = {t["id"]: (t["status"], t["depends_on"], t["priority"]) for t in plan["tasks"]}
    assert found == {
        "T001": ("completed", [], "medium"),
        "T002": ("queued", [], "medium"),
        "T003": ("queued", ["T001", "T002"], "medium"),
        "T004": ("queued", ["T003"], "high"),
        "T005": ("queued", ["T004"], "high"),
        "T006": ("queued", ["T004"], "high"),
        "T007": ("queued", ["T005", "T006"], "high"),
        "T008": ("queued", ["T003"], "medium"),
        "T009": ("queued", ["T007", "T008"], "medium"),
    }
    assert plan["tasks"][3]["fields"]["test_first"] is True
    assert list(plan["plan"]["sections"]) == ["Dependencies & Execution Order"]


def test_the_kiro_example(tmp_path: Path) -> None:
    text = re.search(r"```markdown\n(# Implementation Plan.*?)```\n", DOC, re.S)
    assert text
    plan = _load(tmp_path, "tasks.md", text.group(1))
    found = {t["id"]: (t["status"], t["depends_on"]) for t in plan["tasks"]}
    assert found == {
        "T1": ("completed", []),
        "T2": ("queued", ["T2.2"]),
        "T2.1": ("queued", ["T1"]),
        "T2.2": ("queued", ["T2.1"]),
        "T3": ("queued", ["T2"]),
    }
    assert plan["tasks"][2]["fields"]["requirements"] == ["2.1", "3.3", "1.2"]


def test_the_taskmaster_example(tmp_path: Path) -> None:
    text = re.search(r"```json\n(\{\"master\".*?)```\n", DOC, re.S)
    assert text
    path = tmp_path / "tasks.json"
    path.write_text(text.group(1), encoding="utf-8")
    master = load_plan(path, tag="master")
    found = [(t["id"], t["status"], t["parent"], t["depends_on"]) for t in master["tasks"]]
    assert found == [("1", "completed", None, []), ("2", "queued", None, ["1"]),
                     ("2.1", "completed", "2", ["1"]), ("2.2", "queued", "2", ["1", "2.1"])]
    assert [t["id"] for t in load_plan(path, tag="feature-billing")["tasks"]] == ["feature-billing-1"]


def test_the_beads_example(tmp_path: Path) -> None:
    text = re.search(r"```json\n(\{\"id\":\"bd-a1f3\".*?)```\n", DOC, re.S)
    assert text
    plan = _load(tmp_path, "issues.jsonl", text.group(1))
    found = [(t["id"], t["status"], t["priority"], t["parent"], t["depends_on"], t["category"])
             for t in plan["tasks"]]
    assert found == [("bd-a1f3", "queued", "high", None, [], "epic"),
                     ("bd-a1f3.1", "completed", "high", "bd-a1f3", [], "task"),
                     ("bd-a1f3.2", "in_progress", "critical", "bd-a1f3", ["bd-a1f3.1"], "feature")]
    assert plan["warnings"] == []
