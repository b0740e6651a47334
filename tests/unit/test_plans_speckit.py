"""spec-kit task lists (`/speckit.tasks` output) load as they are: the fields the text carries, the
order spec-kit means as dependencies, and a messy file as warnings, or errors with --strict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orchestrator.errors import PlanError
from orchestrator.plans import load_plan

FIXTURES = Path(__file__).parent / "fixtures" / "plans"
ALBUMS = FIXTURES / "specs" / "001-photo-albums" / "tasks.md"


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    return load_plan(ALBUMS)


def tasks(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {task["id"]: task for task in plan["tasks"]}


def write(tmp_path: Path, text: str, name: str = "tasks.md", **kwargs: Any) -> dict[str, Any]:
    path = tmp_path / "specs" / "002-feature" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return load_plan(path, **kwargs)


def test_the_plan_comes_from_the_folder_the_title_and_the_header(plan: dict[str, Any]) -> None:
    meta = plan["plan"]
    assert (meta["id"], meta["title"], meta["format"]) == ("001-photo-albums", "Photo Albums", "speckit")
    assert meta["description"].startswith("**Input**: Design documents from `/specs/001-photo-albums/`")
    assert "**Prerequisites**" in meta["description"]
    assert list(meta["sections"]) == [
        "Format: `[ID] [P?] [Story] Description`",
        "Dependencies & Execution Order",
        "Parallel Opportunities",
        "Implementation Strategy",
        "Notes",
    ]
    assert plan["warnings"] == []


def test_every_task_line_is_a_task_and_ticked_ones_are_completed(plan: dict[str, Any]) -> None:
    found = tasks(plan)
    assert list(found) == [f"T{n:03d}" for n in range(1, 19)]
    assert [t for t in found if found[t]["status"] == "completed"] == ["T001", "T002"]
    assert found["T009"]["title"] == "Create Album model in src/models/album.ts"
    assert found["T001"]["line"] == 23


def test_text_becomes_fields(plan: dict[str, Any]) -> None:
    found = tasks(plan)
    assert found["T009"]["files"] == ["src/models/album.ts"]
    assert found["T003"]["files"] == [".eslintrc.json"]
    assert found["T002"]["files"] == ["package.json"]
    assert found["T017"]["files"] == ["docs/**"]
    assert found["T009"]["fields"]["story"] == "US1" and found["T009"]["fields"]["parallel"] is True
    assert found["T004"]["fields"]["story"] is None
    priorities = {t: found[t]["priority"] for t in ("T004", "T009", "T013", "T015")}
    assert priorities == {"T004": "medium", "T009": "high", "T013": "medium", "T015": "low"}
    assert found["T013"]["milestone"] == "phase-4"
    assert plan["plan"]["milestones"][2] == {
        "id": "phase-3",
        "title": "User Story 1 - Organise photos into albums (Priority: P1) 🎯 MVP",
    }


def test_tests_first_notes_flag_their_phase(plan: dict[str, Any]) -> None:
    found = tasks(plan)
    assert found["T007"]["fields"]["test_first"] is True and found["T012"]["fields"]["test_first"] is True
    assert found["T013"]["fields"]["test_first"] is False
    phases = {phase["id"]: phase for phase in plan["plan"]["phases"]}
    assert phases["phase-3"]["test_first"] is True and phases["phase-3"]["kind"] == "story"
    assert (phases["phase-2"]["kind"], phases["phase-6"]["kind"]) == ("barrier", "barrier")


def test_the_phase_order_and_parallel_marks_become_dependencies(plan: dict[str, Any]) -> None:
    deps = {task_id: task["depends_on"] for task_id, task in tasks(plan).items()}
    assert deps["T001"] == [] and deps["T002"] == ["T001"] and deps["T003"] == [], "[P]: no wait in its phase"
    assert deps["T004"] == ["T002", "T003"], "Foundational waits for Setup"
    assert deps["T005"] == deps["T006"] == ["T002", "T003"], "[P] tasks wait only for their phase's start"
    assert deps["T007"] == deps["T008"] == ["T004", "T005", "T006"], "a story waits for Foundational"
    assert deps["T009"] == ["T007", "T008"], "a ### sub-heading waits for the one before it"
    assert deps["T011"] == ["T009", "T010"]
    assert deps["T013"] == ["T004", "T005", "T006"], "stories are independent of each other"
    assert deps["T015"] == ["T004", "T005", "T006", "T011"], "'after T011' adds an edge"
    assert deps["T017"] == ["T012", "T014", "T016"], "Polish waits for every story"


def test_a_setup_only_file(tmp_path: Path) -> None:
    plan = write(
        tmp_path, "# Tasks: Tiny\n\n## Phase 1: Setup\n\n- [ ] T001 Create it\n- [x] T002 [P] Lint\n"
    )
    assert plan["plan"]["id"] == "002-feature"
    assert [(t["id"], t["status"], t["depends_on"]) for t in plan["tasks"]] == [
        ("T001", "queued", []),
        ("T002", "completed", []),
    ]


def test_the_id_falls_back_to_the_title_and_id_overrides(tmp_path: Path) -> None:
    path = tmp_path / "list.md"
    path.write_text("# Tasks: Photo Albums\n\n- [ ] T001 One\n", encoding="utf-8")
    assert load_plan(path)["plan"]["id"] == "photo-albums"
    assert load_plan(path, plan_id="mine")["plan"]["id"] == "mine"


def test_a_story_may_wait_for_another_story_and_uppercase_x_is_done(tmp_path: Path) -> None:
    text = """# Tasks: Two stories

## Phase 1: Foundational

- [X] T001 Base

## Phase 2: User Story 1 - A (Priority: P1)

- [ ] T002 [US1] A in src/a.py

## Phase 3: User Story 2 - B (Priority: P2)

**Depends on**: User Story 1 (depends on US1)

- [ ] T003 [US2] B in src/b.py
- [ ] T004 [US2] More B, requires T002 and T001
"""
    found = {t["id"]: t for t in write(tmp_path, text)["tasks"]}
    assert found["T001"]["status"] == "completed"
    assert found["T003"]["depends_on"] == ["T001", "T002"]
    assert found["T004"]["depends_on"] == ["T003", "T002", "T001"]


def test_the_templates_own_shape_loads(tmp_path: Path) -> None:
    text = (FIXTURES / "speckit-template.md").read_text(encoding="utf-8")
    plan = write(tmp_path, text)
    assert len(plan["tasks"]) == 34
    warnings = [w["message"] for w in plan["warnings"]]
    expected = [f"task without an id (the placeholder TXXX): it is called line-{n}" for n in range(119, 125)]
    assert warnings == expected, "only the Polish tasks' TXXX ids are faults"
    polish = plan["tasks"][-6:]
    assert [t["title"] for t in polish[:2]] == [
        "Documentation updates in docs/",
        "Code cleanup and refactoring",
    ]
    assert polish[0]["fields"]["parallel"] is True
    assert polish[0]["depends_on"] == ["T017", "T023", "T028"], "Polish waits for the three stories"
    assert {t["id"]: t["depends_on"] for t in plan["tasks"][9:12]} == {
        "T010": ["T009"],
        "T011": ["T009"],
        "T012": ["T010", "T011"],
    }


MESSY = """# Tasks: Messy

## Phase 1: Setup

- [ ] T001 Start
Some prose someone typed between tasks.
- [ ] [P] Forgot the id
- [ ] T001 Same id again
- [ ] T003 Waits for T099 (depends on T099)
- [ ] T004 Waits for a later one, after T005
- [ ] T005 Last
"""


def test_a_messy_file_loads_with_warnings_naming_the_lines(tmp_path: Path) -> None:
    plan = write(tmp_path, MESSY)
    assert [t["id"] for t in plan["tasks"]] == ["T001", "line-7", "T001-line-8", "T003", "T004", "T005"]
    found = [(w["line"], w["field"]) for w in plan["warnings"]]
    assert found == [(6, "text"), (7, "id"), (8, "id"), (9, "depends_on"), (10, "depends_on")]
    assert "T099" in plan["warnings"][3]["message"] and "cycle" in plan["warnings"][4]["message"]
    assert plan["warnings"][1]["text"].endswith("tasks.md:7: id: task without an id: it is called line-7")


def test_strict_makes_the_first_warning_the_error(tmp_path: Path) -> None:
    with pytest.raises(PlanError) as caught:
        write(tmp_path, MESSY, strict=True)
    assert (caught.value.line, caught.value.field) == (6, "text")
    assert "prose between tasks" in str(caught.value)


def test_older_formats_keep_their_files(tmp_path: Path) -> None:
    """A "Task N:" document whose steps look like spec-kit lines stays a "Task N:" document."""
    text = "# Plan\n\n### Task 1: Build\n\n- [ ] T001 a step\n"
    assert write(tmp_path, text, name="plan.md")["plan"]["format"] == "taskdoc"


def test_a_phase_whose_tasks_share_a_story_label_is_a_story(tmp_path: Path) -> None:
    text = "# Tasks: L\n\n## Phase 1: Base\n\n- [ ] T001 Base\n\n## Phase 2: Albums\n\n- [ ] T002 [US1] A\n\n"
    text += "## Phase 3: Dates\n\n- [ ] T003 [US2] B\n\n## Phase 4: Polish\n\n- [ ] T004 Docs\n"
    deps = {t["id"]: t["depends_on"] for t in write(tmp_path, text)["tasks"]}
    assert deps == {"T001": [], "T002": ["T001"], "T003": ["T001"], "T004": ["T002", "T003"]}


def test_odd_but_readable_files(tmp_path: Path) -> None:
    """Tasks before any heading, `*` markers, nested detail lines, two parts named alike, CRLF."""
    text = (
        "- [ ] T001 Before any heading\n\n## Phase 1: Setup\n\n### Sub first\n"
        "* [X] T002 Star marker in `src/a.py`\n  - a detail\n  - [ ] a nested box is a detail\n\n"
        "## Notes\n\n- [ ] T003 A task in a notes section\n"
    ).replace("\n", "\r\n")
    plan = write(tmp_path, text)
    found = {t["id"]: t for t in plan["tasks"]}
    assert list(found) == ["T001", "T002", "T003"] and plan["warnings"] == []
    assert found["T002"]["status"] == "completed" and found["T002"]["files"] == ["src/a.py"]
    assert found["T002"]["description"] == "- a detail\n- [ ] a nested box is a detail"
    assert [m["id"] for m in plan["plan"]["milestones"]] == ["tasks", "phase-1", "notes"]
    assert found["T003"]["depends_on"] == ["T002"]


def test_a_task_naming_itself_is_a_warning(tmp_path: Path) -> None:
    plan = write(tmp_path, "# Tasks: S\n\n- [ ] T001 One, after T001\n")
    assert plan["tasks"][0]["depends_on"] == []
    assert plan["warnings"][0]["message"] == "T001 names itself as a dependency: ignored"


def test_the_dependencies_section_may_make_a_story_wait(tmp_path: Path) -> None:
    text = """# Tasks: Three stories

## Phase 1: Foundational

- [ ] T001 Base

## Phase 2: User Story 1 - A (Priority: P1)

- [ ] T002 [US1] A

## Phase 3: User Story 2 - B (Priority: P2)

- [ ] T003 [US2] B

## Phase 4: User Story 3 - C (Priority: P3)

- [ ] T004 [US3] C

## Dependencies & Execution Order

### User Story Dependencies

- **User Story 1 (P1)**: Can start after Foundational (Phase 2) - No dependencies on other stories
- **User Story 2 (P2)**: Can start after Foundational - May integrate with US1 but stays independent
- **User Story 3 (P3)**: Depends on US1 and US2 completion
"""
    deps = {t["id"]: t["depends_on"] for t in write(tmp_path, text)["tasks"]}
    assert deps == {"T001": [], "T002": ["T001"], "T003": ["T001"], "T004": ["T001", "T002", "T003"]}
