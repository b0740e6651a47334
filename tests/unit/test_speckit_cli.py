"""A spec-kit task list through the real CLI: `orch next` follows spec-kit's phases as tasks complete,
`orch plan export` ticks the boxes, `orch plan add --replace` keeps orch's state, and warnings reach
stderr and `--json` (or, with --strict, refuse the file)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from orchestrator.plans import load_plan
from tests.conftest import Orch, write_output

FIXTURES = Path(__file__).parent / "fixtures" / "plans"
TASKS = "specs/001-photo-albums/tasks.md"


def added(repo: Path, orch: Orch) -> Path:
    path = repo / TASKS
    path.parent.mkdir(parents=True)
    shutil.copy(FIXTURES / TASKS, path)
    assert orch("init", "--no-hooks")[0] == 0
    code, _out, err = orch("plan", "add", TASKS)
    assert code == 0, err
    return path


def ready(orch: Orch) -> list[str]:
    return sorted(row["id"] for row in json.loads(orch("next", "--json")[1])["ready"])


def finish(orch: Orch, *task_ids: str) -> None:
    for task_id in task_ids:
        assert orch("start", task_id, "--agent", "ag")[0] == 0
        for rel in json.loads(orch("show", task_id, "--json")[1])["files"]:
            write_output(orch.repo, rel)  # its declared outputs (concrete paths in these lists)
        code, _out, err = orch("done", task_id, "--agent", "ag")
        assert code == 0, err


def test_next_follows_setup_foundational_stories_then_polish(repo: Path, orch: Orch) -> None:
    added(repo, orch)
    assert ready(orch) == ["T003"], "only Setup is ready (T001 and T002 are ticked)"
    finish(orch, "T003")
    assert ready(orch) == ["T004", "T005", "T006"], "[P] tasks start with their phase"
    finish(orch, "T004", "T005", "T006")
    assert ready(orch) == ["T007", "T008", "T013"], "every story starts once Foundational is done"
    finish(orch, "T007", "T008", "T009", "T010", "T011", "T013", "T014")
    assert ready(orch) == ["T012", "T015"], "T015 waited for T011, as its text says"
    finish(orch, "T012", "T015")
    assert ready(orch) == ["T016"], "Polish waits for every story"
    finish(orch, "T016")
    assert ready(orch) == ["T017"]


def test_status_shows_the_story(repo: Path, orch: Orch) -> None:
    added(repo, orch)
    out = orch("status")[1]
    assert "[US1] Create Album model in src/models/album.ts" in out
    rows = {row["id"]: row for row in json.loads(orch("status", "--json")[1])["tasks"]}
    assert rows["T013"]["story"] == "US2" and rows["T001"]["story"] is None


def test_export_ticks_done_tasks_and_replace_keeps_state(repo: Path, orch: Orch) -> None:
    path = added(repo, orch)
    finish(orch, "T003", "T004")
    code, text, _err = orch("plan", "export", "001-photo-albums")
    assert code == 0
    original = path.read_text(encoding="utf-8")
    expected = original.replace("- [ ] T003", "- [x] T003").replace("- [ ] T004", "- [x] T004")
    assert text == expected, "only the boxes change"
    path.write_text(text, encoding="utf-8")
    code, out, err = orch("plan", "add", "--replace", "--json", TASKS)
    assert code == 0 and err == "" and json.loads(out)["warnings"] == []
    show = json.loads(orch("show", "T004", "--json")[1])
    assert show["status"] == "completed" and show["history"][-1]["to"] == "completed"


def test_a_box_ticked_by_hand_leaves_orchs_state_and_warns(repo: Path, orch: Orch) -> None:
    path = added(repo, orch)
    path.write_text(path.read_text(encoding="utf-8").replace("- [ ] T005", "- [x] T005"), encoding="utf-8")
    code, out, err = orch("plan", "add", "--replace", "--json", TASKS)
    assert code == 0
    assert f"{TASKS}:36: status: T005 is marked done in the file but is queued in orch" in err
    assert json.loads(out)["warnings"][0]["line"] == 36
    assert json.loads(orch("show", "T005", "--json")[1])["status"] == "queued"


def test_export_writes_any_plan_as_a_spec_kit_list(planned: Path, orch: Orch) -> None:
    finish(orch, "A")
    code, text, _err = orch("plan", "export", "web", "--format", "speckit", "--output", "tasks.md")
    assert code == 0
    written = (planned / "tasks.md").read_text(encoding="utf-8")
    assert written.startswith("# Tasks: Web feature\n") and "- [x] `A` [P] Design" in written
    again = load_plan(planned / "tasks.md", plan_id="copy")
    assert {t["id"]: t["depends_on"] for t in again["tasks"]} == {
        "A": [],
        "B": ["A"],
        "C": ["A"],
        "D": ["B", "C"],
    }
    assert [t["status"] for t in again["tasks"]] == ["completed", "queued", "queued", "queued"]


def test_warnings_go_to_stderr_and_strict_refuses_naming_the_line(repo: Path, orch: Orch) -> None:
    (repo / "tasks.md").write_text(
        "# Tasks: X\n\n## Phase 1: Setup\n\n- [ ] T001 Start\n- [ ] Do it\n", encoding="utf-8"
    )
    assert orch("init", "--no-hooks")[0] == 0
    code, out, err = orch("plan", "convert", "tasks.md")
    assert code == 0 and "orch: warning: tasks.md:6: id: task without an id" in err
    assert json.loads(out)["warnings"][0]["field"] == "id"
    for command in ("convert", "add"):
        code, _out, err = orch("plan", command, "--strict", "tasks.md")
        assert code == 2 and "tasks.md:6: id: task without an id" in err
    assert json.loads(orch("status", "--json")[1])["tasks"] == []


def test_a_second_feature_numbered_from_t001_loads_under_its_number(repo: Path, orch: Orch) -> None:
    added(repo, orch)
    second = repo / "specs/002-browse/tasks.md"
    second.parent.mkdir(parents=True)
    second.write_text("# Tasks: Browse\n\n## Phase 1: Setup\n\n"
                      "- [ ] T001 [P] Add the route in src/browse.ts\n"
                      "- [ ] T002 Test it in tests/browse.test.ts\n")
    code, _out, err = orch("plan", "add", "specs/002-browse/tasks.md")
    assert code == 0, err
    assert "T001, T002 are taken by another plan" in err and "002-<id>" in err
    assert "002-T001" in ready(orch) and "T003" in ready(orch)
    status = json.loads(orch("status", "--json", "--plan", "002-browse")[1])
    rows = {row["id"]: row for row in status["tasks"]}
    assert sorted(rows) == ["002-T001", "002-T002"] and rows["002-T002"]["depends_on"] == ["002-T001"]
    finish(orch, "002-T001")
    code, exported, _err = orch("plan", "export", "002-browse")
    assert code == 0 and "- [x] T001 [P] Add the route" in exported and "- [ ] T002 Test it" in exported
    second.write_text(exported)
    assert orch("plan", "add", "specs/002-browse/tasks.md", "--replace")[0] == 0
    assert json.loads(orch("show", "002-T001", "--json")[1])["status"] == "completed"
