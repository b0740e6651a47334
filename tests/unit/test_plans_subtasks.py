"""JSON subtask lists, and the forgiving way their dependencies name each other."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator.errors import PlanError
from orchestrator.plans import load_plan

FIXTURE = Path(__file__).parent / "fixtures" / "plans" / "auth-subtasks.json"


def _load(tmp_path: Path, data: Any, **kwargs: Any) -> dict[str, Any]:
    path = tmp_path / "subtasks.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return load_plan(path, **kwargs)


def test_the_fixture_header() -> None:
    header = load_plan(FIXTURE)["plan"]
    assert (header["id"], header["format"], header["source"]) == (
        "auth-mcp",
        "subtasks",
        "auth-subtasks.json",
    )
    assert header["title"] == "User authentication (from the task orchestrator)"
    assert header["description"].startswith("Subtasks produced by")


def test_the_fixture_tasks() -> None:
    tasks = load_plan(FIXTURE)["tasks"]
    assert [(t["id"], t["line"]) for t in tasks] == [
        ("database-schema-design", 6),
        ("user-authentication", 17),
        ("login-form", 26),
        ("sec-tests", 33),
        ("api-documentation", 43),
    ]
    first = tasks[0]
    assert (first["specialist"], first["priority"], first["estimate"]) == ("architect", "high", 2.0)
    assert first["files"] == ["migrations/*.sql"]
    assert first["acceptance"] == ["Migration is reversible"]
    assert first["fields"] == {"complexity": "medium"}
    assert (tasks[1]["estimate"], tasks[1]["priority"]) == (16.0, "high")
    assert (tasks[2]["specialist"], tasks[2]["priority"]) == ("frontend", "medium")
    assert (tasks[3]["estimate"], tasks[3]["priority"], tasks[3]["gates"][0]["name"]) == (
        3.0,
        "critical",
        "security",
    )
    assert (tasks[4]["status"], tasks[4]["estimate"], tasks[4]["fields"]) == (
        "queued",
        1.5,
        {"tags": ["docs"]},
    )


def test_the_fixture_dependencies_resolve_forgivingly() -> None:
    deps = {t["id"]: t["depends_on"] for t in load_plan(FIXTURE)["tasks"]}
    assert deps == {
        "database-schema-design": [],
        "user-authentication": ["database-schema-design"],
        "login-form": ["database-schema-design"],
        "sec-tests": ["user-authentication", "login-form"],
        "api-documentation": ["user-authentication", "sec-tests"],
    }


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("database-schema-design", "database-schema-design"),
        ("Database Schema Design", "database-schema-design"),
        ("DATABASE_SCHEMA_DESIGN", "database-schema-design"),
        ("database_schema", "database-schema-design"),
        ("datab", "database-schema-design"),
        ("schema design", "database-schema-design"),
        ("authentication", "user-authentication"),
        ("User  Authentication", "user-authentication"),
        ("auth-flow", "auth-flow"),
        ("Authentication flow", "auth-flow"),
    ],
)
def test_a_reference_matches_one_subtask(tmp_path: Path, reference: str, expected: str) -> None:
    items = [
        {"title": "Database Schema Design"},
        {"title": "User Authentication"},
        {"id": "auth-flow", "title": "Authentication flow diagram"},
        {"title": "Docs", "dependencies": [reference]},
    ]
    if reference == "authentication":
        items[2]["title"] = "Login flow diagram"
    assert _load(tmp_path, items)["tasks"][3]["depends_on"] == [expected]


def test_an_ambiguous_reference_lists_the_candidates(tmp_path: Path) -> None:
    items = [{"title": "Auth API"}, {"title": "Auth UI"}, {"title": "Docs", "dependencies": ["auth"]}]
    with pytest.raises(PlanError) as caught:
        _load(tmp_path, items)
    assert "'Auth API' (auth-api), 'Auth UI' (auth-ui)" in str(caught.value)
    assert caught.value.field == "[2].dependencies"


def test_a_fuzzy_reference_never_matches_its_own_subtask(tmp_path: Path) -> None:
    items = [{"title": "Auth API"}, {"title": "Auth UI", "dependencies": ["auth"]}]
    assert _load(tmp_path, items)["tasks"][1]["depends_on"] == ["auth-api"]


def test_an_exact_external_id_wins_over_a_fuzzy_local_match(tmp_path: Path) -> None:
    items = [{"title": "Auth API"}, {"title": "Docs", "dependencies": ["auth", "Auth API"]}]
    loaded = _load(tmp_path, items, external_ids=frozenset({"auth"}))
    assert loaded["tasks"][1]["depends_on"] == ["auth", "auth-api"]


def test_an_unknown_reference_with_nothing_close_lists_the_subtasks(tmp_path: Path) -> None:
    items = [{"title": "Schema"}, {"title": "Docs", "dependencies": ["zzz"]}]
    with pytest.raises(PlanError, match=r"no subtask has that id or title \(subtasks: 'Schema' \(schema\)"):
        _load(tmp_path, items)


def test_repeated_references_collapse(tmp_path: Path) -> None:
    items = [{"title": "Schema"}, {"title": "Docs", "dependencies": ["schema", "Schema", "SCHEMA"]}]
    assert _load(tmp_path, items)["tasks"][1]["depends_on"] == ["schema"]


def test_the_object_form_with_milestones_gates_and_steps(tmp_path: Path) -> None:
    data = {
        "title": "Plan",
        "milestones": ["alpha", {"id": "beta", "title": "Public beta"}],
        "gates": [{"command": "make test"}],
        "tasks": [
            {"title": "One", "milestone": "alpha", "steps": ["write", {"text": "ship", "done": True}]},
            {"name": "Two", "milestone": "gamma", "status": "done", "specialist": "Reviewer"},
        ],
    }
    loaded = _load(tmp_path, data, plan_id="given")
    header, (one, two) = loaded["plan"], loaded["tasks"]
    assert (header["id"], header["title"]) == ("given", "Plan")
    assert header["milestones"] == [
        {"id": "alpha", "title": "alpha"},
        {"id": "beta", "title": "Public beta"},
        {"id": "gamma", "title": "gamma"},
    ]
    assert header["gates"][0]["name"] == "make"
    assert one["steps"] == [
        {"id": "1", "text": "write", "done": False, "notes": []},
        {"id": "2", "text": "ship", "done": True, "notes": []},
    ]
    assert (two["id"], two["status"], two["specialist"]) == ("two", "completed", "reviewer")


def test_null_values_count_as_absent(tmp_path: Path) -> None:
    items = [{"title": "A", "priority": None, "estimated_effort": None, "dependencies": None}]
    (task,) = _load(tmp_path, items)["tasks"]
    assert (task["priority"], task["estimate"], task["depends_on"]) == ("medium", None, [])


def test_numeric_ids_and_references_become_text(tmp_path: Path) -> None:
    data = {"tasks": [{"id": 1, "title": "Setup"}, {"id": 2, "title": "Build", "dependencies": [1]}]}
    tasks = _load(tmp_path, data)["tasks"]
    assert [(t["id"], t["depends_on"]) for t in tasks] == [("1", []), ("2", ["1"])]


def test_a_title_with_no_letters_needs_an_id(tmp_path: Path) -> None:
    with pytest.raises(
        PlanError, match=r"subtasks.json:2: \[0\]\.id: cannot make an id from the title '!!!'"
    ):
        _load(tmp_path, [{"title": "!!!"}])


def test_an_effort_word_is_kept_as_a_field_not_refused(tmp_path: Path) -> None:
    """mcp-task-orchestrator writes `estimated_effort` as low, medium or high."""
    items = [{"title": "A", "estimated_effort": "Medium"}, {"title": "B", "estimated_effort": "2h"}]
    tasks = _load(tmp_path, items)["tasks"]
    assert (tasks[0]["estimate"], tasks[0]["fields"]) == (None, {"estimated_effort": "Medium"})
    assert tasks[1]["estimate"] == 2.0
