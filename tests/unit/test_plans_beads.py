"""beads' issues.jsonl read from a real-shaped export: tombstones skipped, statuses and
priorities 0-4 mapped, issue_type as the category, `blocks` edges as dependencies, `parent-child`
as the hierarchy, other links kept; a missing target, a second parent, a cycle and an unknown
status are warnings naming the issue (errors with --strict)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.errors import PlanError
from orchestrator.plans import load_plan
from tests.conftest import Orch

ISSUES = Path(__file__).parent / "fixtures" / "beads" / "issues.jsonl"


def tasks() -> dict[str, dict]:
    return {task["id"]: task for task in load_plan(ISSUES)["tasks"]}


def test_issues_become_tasks_and_tombstones_are_skipped() -> None:
    plan = load_plan(ISSUES)
    assert plan["plan"]["format"] == "beads" and plan["plan"]["id"] == "beads"
    assert "bd-dead" not in tasks() and len(plan["tasks"]) == 8


def test_fields_map() -> None:
    found = tasks()
    login = found["bd-a1f3.2"]
    assert login["status"] == "in_progress" and login["priority"] == "critical"
    assert login["category"] == "feature" and login["estimate"] == 1.5
    assert login["sections"] == {"Design": "Session cookie, SameSite=Lax."}
    assert found["bd-a1f3.1"]["acceptance"] == ["hashes verify", "old bcrypt hashes upgrade on login"]
    assert found["bd-a1f3.1"]["status"] == "completed" and found["bd-a1f3.1"]["fields"]["assignee"] == "alice"
    assert found["bd-9e21"]["priority"] == "low" and found["bd-c3d4"]["fields"]["beads_priority"] == 4
    deferred = found["bd-f00d"]
    assert deferred["status"] == "blocked" and deferred["fields"]["beads_status"] == "deferred"


def test_edges_make_dependencies_children_and_links() -> None:
    found = tasks()
    assert found["bd-a1f3.2"]["parent"] == "bd-a1f3" and found["bd-a1f3.2"]["depends_on"] == ["bd-a1f3.1"]
    assert found["bd-a1f3.2"]["fields"]["links"] == [{"type": "discovered-from", "id": "bd-77c0"}]
    assert found["bd-c3d4"]["fields"]["links"] == [{"type": "related", "id": "bd-a1f3"}]
    assert found["bd-f00d"]["parent"] == "bd-9e21"


def test_messy_parts_are_warnings() -> None:
    warnings = [w["text"] for w in load_plan(ISSUES)["warnings"]]
    assert any(":4: parent: bd-77c0 has two parents, bd-a1f3 and bd-9e21: it is loaded as a child of bd-a1f3"
               in w for w in warnings)
    dropped = "bd-77c0 depends on bd-dead, which is not in the file: dependency dropped"
    assert any(dropped in w for w in warnings)
    assert any("bd-e5f6: unknown beads status 'review-pending': loaded as queued" in w for w in warnings)
    assert any("cycle bd-c3d4 -> bd-e5f6 -> bd-c3d4" in w for w in warnings)
    with pytest.raises(PlanError, match="two parents"):
        load_plan(ISSUES, strict=True)


def test_unreadable_lines_and_parent_loops_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "issues.jsonl"
    lines = [{"id": "a", "title": "A", "status": "open", "dependencies": [
                 {"issue_id": "a", "depends_on_id": "b", "type": "parent-child"}]},
             {"id": "b", "title": "B", "status": "open", "dependencies": [
                 {"issue_id": "b", "depends_on_id": "a", "type": "parent-child"}]},
             {"id": "c", "title": "C", "status": "closed", "dependencies": [
                 {"issue_id": "c", "depends_on_id": "c", "type": "blocks"}]}]
    text = "\n".join(json.dumps(line) for line in lines[:2])
    path.write_text(text + "\n{not json\n" + json.dumps(lines[2]))
    plan = load_plan(path)
    warnings = [w["text"] for w in plan["warnings"]]
    assert any("parent loop" in w and "is loaded as a top-level task" in w for w in warnings)
    assert any(":3: json: not a JSON object" in w for w in warnings)
    assert any("c depends on itself: dropped" in w for w in warnings)
    assert sum(t["parent"] is None for t in plan["tasks"]) == 2


def test_plan_add_in_a_repo_keeps_the_hierarchy(repo: Path, orch: Orch) -> None:
    (repo / ".beads").mkdir()
    (repo / ".beads" / "issues.jsonl").write_text(ISSUES.read_text())
    assert orch("init", "--no-hooks")[0] == 0
    code, out, err = orch("plan", "add", ".beads/issues.jsonl", "--json")
    assert code == 0, err
    assert json.loads(out)["tasks"] == 8 and "two parents" in err
    ready = [row["id"] for row in json.loads(orch("next", "--json")[1])["ready"]]
    assert "bd-a1f3" not in ready and "bd-9e21" not in ready, "an epic with children is never ready"
    assert "bd-77c0" in ready


def test_a_hierarchical_id_makes_a_child_without_an_edge(tmp_path: Path) -> None:
    """As in beads' own `.beads/issues.jsonl` (`offlinebrew-3d0.1` under the epic `offlinebrew-3d0`,
    no `parent-child` edge): the id says whose child it is, when that issue is in the file."""
    lines = [{"id": "x-3d0", "title": "Parent epic", "status": "open", "issue_type": "epic"},
             {"id": "x-3d0.1", "title": "Child", "status": "open", "issue_type": "task"},
             {"id": "x-3d0.1.2", "title": "Grandchild", "status": "open", "issue_type": "task"},
             {"id": "x-9.1", "title": "Orphan", "status": "open", "issue_type": "task"},
             {"id": "x-3d0.v2", "title": "Not a number", "status": "open", "issue_type": "task"}]
    path = tmp_path / "issues.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    parents = {t["id"]: t["parent"] for t in load_plan(path)["tasks"]}
    assert parents == {"x-3d0": None, "x-3d0.1": "x-3d0", "x-3d0.1.2": "x-3d0.1", "x-9.1": None,
                       "x-3d0.v2": None}
