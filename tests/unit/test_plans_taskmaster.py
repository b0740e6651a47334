"""Taskmaster's tasks.json, tagged and untagged, read from real-shaped files: subtasks become
children, details and testStrategy land in the description and acceptance, statuses and
priorities map, dependencies by number and by dotted subtask number resolve, ids stay unique
across tags, and the messy parts (a dependency on a missing task, a cycle, an unknown status or
priority) are warnings that say what orch did, or errors with --strict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.errors import PlanError
from orchestrator.plans import load_plan, plan_tags
from tests.conftest import Orch

FIXTURES = Path(__file__).parent / "fixtures" / "taskmaster"
TAGGED = FIXTURES / "tasks.json"


def by_id(plan: dict) -> dict[str, dict]:
    return {task["id"]: task for task in plan["tasks"]}


def test_the_tagged_form_is_a_plan_per_tag() -> None:
    assert plan_tags(TAGGED) == ["master", "feature-billing"]
    master = load_plan(TAGGED, tag="master")
    assert master["plan"]["id"] == "master" and master["plan"]["format"] == "taskmaster"
    assert master["plan"]["tag"] == "master"
    billing = load_plan(TAGGED, tag="feature-billing")
    assert list(by_id(billing)) == ["feature-billing-1", "feature-billing-2"], "ids unique across tags"
    assert by_id(billing)["feature-billing-2"]["depends_on"] == ["feature-billing-1"]


def test_several_tags_need_a_tag_and_an_unknown_tag_is_named() -> None:
    with pytest.raises(PlanError, match="several tags: the file has master, feature-billing; pass --tag"):
        load_plan(TAGGED)
    with pytest.raises(PlanError, match="no tag 'nope'"):
        load_plan(TAGGED, tag="nope")


def test_subtasks_are_children_with_dotted_ids() -> None:
    tasks = by_id(load_plan(TAGGED, tag="master"))
    assert [t for t in tasks if tasks[t]["parent"] == "2"] == ["2.1", "2.2", "2.3"]
    assert tasks["2"]["parent"] is None
    assert tasks["2.2"]["depends_on"] == ["1", "2.1"], "inherits 2's dependency; '1' is its sibling 2.1"
    assert tasks["2.3"]["depends_on"] == ["1", "2.2"], "a dotted reference names the subtask"
    assert tasks["3.1"]["depends_on"] == ["2"], "a child inherits its parent's dependencies"


def test_fields_statuses_and_priorities_map() -> None:
    tasks = by_id(load_plan(TAGGED, tag="master"))
    first = tasks["1"]
    assert first["description"] == ("Create the repository layout, tooling and CI.\n\n"
                                    "Use uv for the environment; add ruff and mypy to CI.")
    assert first["acceptance"] == ["CI runs green on an empty commit."]
    assert first["priority"] == "high" and first["status"] == "completed"
    assert tasks["2"]["status"] == "in_progress" and tasks["2.3"]["status"] == "review"
    assert tasks["4"]["status"] == "blocked" and tasks["4"]["fields"]["taskmaster_status"] == "deferred"
    assert tasks["5"]["status"] == "cancelled" and tasks["5"]["priority"] == "medium"
    assert tasks["3"]["fields"]["complexity"] == 7, "keys orch does not know are kept"
    assert first["line"] == 5 and tasks["3.1"]["line"] == 61


def test_messy_parts_are_warnings_naming_the_item() -> None:
    warnings = [w["text"] for w in load_plan(TAGGED, tag="master")["warnings"]]
    assert any(":51: depends_on: 3 depends on 9, which is not in the file: dependency dropped" in w
               for w in warnings)
    assert any("3.2: unknown taskmaster status 'blocked-on-infra': loaded as queued" in w for w in warnings)
    assert any("5: unknown priority 'urgent-ish': loaded as medium" in w for w in warnings)
    assert any("cycle 4 -> 5 -> 4: the dependency of 5 on 4 is dropped" in w for w in warnings)
    with pytest.raises(PlanError, match="3 depends on 9"):
        load_plan(TAGGED, tag="master", strict=True)


def test_the_older_untagged_form(tmp_path: Path) -> None:
    plan = load_plan(FIXTURES / "legacy-tasks.json")
    assert plan["plan"]["title"] == "Todo API" and plan["plan"]["id"] == "legacy-tasks"
    tasks = by_id(plan)
    assert tasks["1.2"]["parent"] == "1" and tasks["1.2"]["depends_on"] == ["1.1"]
    assert tasks["2"]["depends_on"] == ["1"] and plan["warnings"] == []


def test_a_plain_subtask_list_is_still_a_subtask_list(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"tasks": [{"title": "A"}, {"title": "B", "dependencies": ["A"]}]}))
    assert load_plan(path)["plan"]["format"] == "subtasks"


def test_plan_add_loads_every_tag_and_the_tree_shows(repo: Path, orch: Orch) -> None:
    (repo / "tasks.json").write_text(TAGGED.read_text())
    assert orch("init", "--no-hooks")[0] == 0
    code, out, err = orch("plan", "add", "tasks.json")
    assert code == 0, err
    assert "Added plan 'master' (10 tasks)" in out and "Added plan 'feature-billing' (2 tasks)" in out
    assert "3 depends on 9, which is not in the file" in err
    rows = {row["id"]: row for row in json.loads(orch("status", "--json")[1])["tasks"]}
    assert rows["2.1"]["parent"] == "2" and rows["2"]["parent"] is None
    text = orch("status", "--plan", "master")[1]
    assert "└ 2.1" in text and "(1/3 children done)" in text
    code, _out, err = orch("plan", "add", "tasks.json", "--tag", "master", "--strict", "--replace")
    assert code != 0 and "3 depends on 9" in err


def test_plan_convert_prints_a_plan_per_tag(repo: Path, orch: Orch) -> None:
    (repo / "tasks.json").write_text(TAGGED.read_text())
    code, out, _err = orch("plan", "convert", "tasks.json")
    assert code == 0 and [plan["plan"]["id"] for plan in json.loads(out)] == ["master", "feature-billing"]
    code, out, _err = orch("plan", "convert", "tasks.json", "--tag", "feature-billing")
    assert json.loads(out)["plan"]["id"] == "feature-billing"
