"""The "Task N:" format, on a realistic document and on the forms people write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orchestrator.plans import load_plan

FIXTURE = Path(__file__).parent / "fixtures" / "plans" / "auth-system.md"


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    return load_plan(FIXTURE)


def _task(plan: dict[str, Any], task_id: str) -> dict[str, Any]:
    return next(task for task in plan["tasks"] if task["id"] == task_id)


def _write(tmp_path: Path, text: str) -> dict[str, Any]:
    path = tmp_path / "doc.md"
    path.write_text(text, encoding="utf-8")
    return load_plan(path)


def test_plan_header(plan: dict[str, Any]) -> None:
    header = plan["plan"]
    assert (header["id"], header["format"]) == ("auth-system", "taskdoc")
    assert header["title"] == "Authentication System Implementation Plan"
    assert header["description"].startswith("Replace the legacy session cookies")
    assert header["milestones"] == [
        {"id": "phase-1", "title": "Foundation"},
        {"id": "phase-2", "title": "Core Services"},
        {"id": "phase-3", "title": "Hardening"},
    ]


def test_tasks_ids_titles_lines_and_phases(plan: dict[str, Any]) -> None:
    found = [(t["id"], t["title"], t["line"], t["milestone"]) for t in plan["tasks"]]
    assert found == [
        ("T1", "Design authentication architecture", 13, "phase-1"),
        ("T2", "Database schema for users and refresh tokens", 36, "phase-1"),
        ("T3", "Login - API", 54, "phase-2"),
        ("T4", "Token refresh and revocation", 71, "phase-2"),
        ("T5", "Login page", 85, "phase-2"),
        ("T6", "Rate limiting", 97, "phase-3"),
        ("T7", "Security test suite", 109, "phase-3"),
        ("T8", "Documentation", 125, "phase-3"),
    ]


def test_status_words_after_the_title(plan: dict[str, Any]) -> None:
    statuses = [task["status"] for task in plan["tasks"]]
    assert statuses == [
        "completed", "in_progress", "queued", "queued", "completed", "blocked", "queued", "queued",
    ]  # fmt: skip


def test_bold_fields(plan: dict[str, Any]) -> None:
    first = _task(plan, "T1")
    assert (first["priority"], first["specialist"], first["estimate"]) == ("high", "architect", 4.0)
    assert first["fields"] == {"complexity": "MEDIUM", "impact": "HIGH"}
    assert first["files"] == ["docs/auth/architecture.md", "docs/adr/0007-tokens.md"]
    second = _task(plan, "T2")
    assert (second["specialist"], second["estimate"]) == ("implementer", 3.0)
    assert second["files"] == ["migrations/0012_auth.sql", "src/auth/models.py"]
    third = _task(plan, "T3")
    assert (third["priority"], third["specialist"], third["estimate"]) == ("high", "backend developer", 8.0)
    assert (_task(plan, "T6")["priority"], _task(plan, "T6")["estimate"]) == ("critical", 1.5)
    assert _task(plan, "T8")["priority"] == "low"


def test_dependencies_in_every_form(plan: dict[str, Any]) -> None:
    deps = {task["id"]: task["depends_on"] for task in plan["tasks"]}
    assert deps == {
        "T1": [], "T2": ["T1"], "T3": ["T2"], "T4": ["T2", "T3"], "T5": ["T2"],
        "T6": ["T3"], "T7": ["T3", "T4", "T6"], "T8": ["T3", "T5"],
    }  # fmt: skip


def test_steps_with_nested_notes(plan: dict[str, Any]) -> None:
    steps = _task(plan, "T1")["steps"]
    assert [(s["id"], s["done"]) for s in steps] == [("1.1", True), ("1.2", True), ("1.3", True)]
    assert steps[0]["text"] == "Compare opaque tokens and JWTs"
    assert steps[0]["notes"] == ["consider revocation latency", "consider key rotation"]
    second = _task(plan, "T2")["steps"]
    assert [(s["id"], s["done"]) for s in second] == [("2.1", True), ("2.2", False), ("2.3", False)]
    assert second[1]["notes"] == ["index on (user_id, family_id)"]


def test_numbered_steps_get_ids_from_the_task_number(plan: dict[str, Any]) -> None:
    steps = _task(plan, "T4")["steps"]
    assert [(s["id"], s["text"]) for s in steps] == [
        ("4.1", "Rotate the refresh token on every use"),
        ("4.2", "Revoke the whole family when a used token is replayed"),
    ]
    assert steps[1]["notes"] == ["log the replay with the client IP"]


def test_acceptance_from_headings_and_bold_labels(plan: dict[str, Any]) -> None:
    assert _task(plan, "T1")["acceptance"] == [
        "ADR 0007 is merged",
        "Threat model lists token theft, replay and CSRF",
    ]
    assert _task(plan, "T2")["acceptance"][1] == "No plaintext secrets are stored"
    assert _task(plan, "T4")["acceptance"] == ["Replay of a rotated token revokes the family"]
    assert _task(plan, "T7")["acceptance"] == [
        "Brute force is throttled after 5 attempts",
        "Token replay is detected",
    ]


def test_other_sections_description_and_gates(plan: dict[str, Any]) -> None:
    first = _task(plan, "T1")
    assert first["description"] == "Decide between opaque and JWT access tokens and write the threat model."
    assert first["sections"] == {
        "Technical Specifications": "- Access token lifetime: 15 minutes\n"
        "- Refresh token lifetime: 30 days, rotated on every use"
    }
    assert _task(plan, "T8")["sections"] == {"Notes": "Link the ADR from the README."}
    assert _task(plan, "T6")["description"] == "Waiting for the shared Redis cluster."
    (gate,) = _task(plan, "T7")["gates"]
    assert (gate["name"], gate["timeout"], gate["kind"]) == ("security", 900.0, "pytest")


@pytest.mark.parametrize(
    ("heading", "title", "status"),
    [
        ("Task 1: Login - API", "Login - API", "queued"),
        ("Task 1: Login - Done", "Login", "completed"),
        ("Task 1: Login (In Progress)", "Login", "in_progress"),
        ("Task 1: Login [Not Started]", "Login", "queued"),
        ("Task 1: Login ✅ Complete", "Login", "completed"),
        ("Task 1: Login ✅", "Login", "completed"),
        ("Task 1: Login — Blocked", "Login", "blocked"),
        ("Task 1: Login | Review", "Login", "review"),
        ("Task 1: Login (OAuth)", "Login (OAuth)", "queued"),
        ("Task 1: Cancelled orders report", "Cancelled orders report", "queued"),
        ("Task 1 - Login: Testing", "Login", "testing"),
    ],
)
def test_status_word_or_title(tmp_path: Path, heading: str, title: str, status: str) -> None:
    (task,) = _write(tmp_path, f"# P\n\n### {heading}\n")["tasks"]
    assert (task["title"], task["status"]) == (title, status)


@pytest.mark.parametrize(
    ("heading", "title", "status"),
    [
        ("Task 1: Login — Not Started", "Login", "queued"),
        ("Task 1: Login—Complete", "Login", "completed"),
        ("Task 1: Login – In Progress", "Login", "in_progress"),
        ("Task 1: Login - Not Started", "Login", "queued"),
        ("Task 1: Login: Complete", "Login", "completed"),
        ("Task 1: Login:Done", "Login", "completed"),
        ("Task 1: Login | Not Started", "Login", "queued"),
        ("Task 1: Login|Complete", "Login", "completed"),
        ("Task 1: Login â€” Complete", "Login", "completed"),  # an em dash read as cp1252
        ("Task 1: Login â€“ In Progress", "Login", "in_progress"),
        ("Task 1: Login � Not Started", "Login", "queued"),  # the replacement character
        ("Task 1: Login ï¿½ Complete", "Login", "completed"),
        ("Task 1: Login → Done", "Login", "completed"),
        ("Task 1: Login · Blocked", "Login", "blocked"),
        ("Task 1: Login — In-Progress", "Login", "in_progress"),
        ("Task 1: Café: Done", "Café", "completed"),
        ("Task 1: Pre-Review", "Pre-Review", "queued"),
        ("Task 1: Sign-in flow", "Sign-in flow", "queued"),
        ("Task 1: Read, Done", "Read, Done", "queued"),
        ("Task 1: 日本 Done", "日本 Done", "queued"),
        ("Task 1: Login — API", "Login — API", "queued"),
    ],
)
def test_a_status_phrase_after_any_separator_is_kept_out_of_the_title(
    tmp_path: Path, heading: str, title: str, status: str
) -> None:
    (task,) = _write(tmp_path, f"# P\n\n### {heading}\n")["tasks"]
    assert (task["title"], task["status"]) == (title, status)


@pytest.mark.parametrize("level", ["##", "###", "####"])
def test_task_headings_at_levels_two_to_four(tmp_path: Path, level: str) -> None:
    loaded = _write(tmp_path, f"# P\n{level} Task 1: A\n{level} Task 2.1: B\n**Dependencies**: 1\n")
    assert [(t["id"], t["depends_on"]) for t in loaded["tasks"]] == [("T1", []), ("T2.1", ["T1"])]


def test_a_document_without_a_title_takes_its_name_from_the_file(tmp_path: Path) -> None:
    loaded = _write(tmp_path, "### Task 1: A\n- [ ] do it\n- plain bullet stays in the description\n")
    assert (loaded["plan"]["id"], loaded["plan"]["title"]) == ("doc", "doc")
    (task,) = loaded["tasks"]
    assert task["steps"] == [{"id": "1.1", "text": "do it", "done": False, "notes": []}]
    assert task["description"] == "- plain bullet stays in the description"


def test_labelled_lists_of_files_and_dependencies(tmp_path: Path) -> None:
    text = (
        "# P\n### Task 1: A\n### Task 2: B\n"
        "**Dependencies:**\n- Task 1\n\n**Files:**\n- `src/a.py`\n- `src/b/*.py`\n\nAfter the lists.\n"
    )
    task = _write(tmp_path, text)["tasks"][1]
    assert (task["depends_on"], task["files"]) == (["T1"], ["src/a.py", "src/b/*.py"])
    assert task["description"] == "After the lists."


def test_a_milestone_field_overrides_the_phase(tmp_path: Path) -> None:
    text = "# P\n## Phase 1: Build\n### Task 1: A\n**Milestone**: beta\n## Appendix\n### Task 2: B\n"
    loaded = _write(tmp_path, text)
    assert [t["milestone"] for t in loaded["tasks"]] == ["beta", None]
    assert loaded["plan"]["milestones"] == [
        {"id": "phase-1", "title": "Build"},
        {"id": "beta", "title": "beta"},
    ]


def test_a_document_with_frontmatter_is_still_a_task_document(tmp_path: Path) -> None:
    text = (
        "---\ntitle: Notes\n# a YAML comment, not a heading\n---\n"
        "# Real title\n## Goal: ship it\n### Task 1: A\n### Task 2: B\n"
    )
    loaded = _write(tmp_path, text)
    assert (loaded["plan"]["format"], loaded["plan"]["title"]) == ("taskdoc", "Real title")
    assert [(t["id"], t["line"]) for t in loaded["tasks"]] == [("T1", 7), ("T2", 8)]


def test_a_description_label_adds_to_the_description(tmp_path: Path) -> None:
    text = (
        "# P\n### Task 1: A\nFirst words.\n- [ ] step\n**Description:**\nMore words.\n**Steps:**\n- later\n"
    )
    (task,) = _write(tmp_path, text)["tasks"]
    assert task["description"] == "First words.\n\nMore words."
    assert [(step["id"], step["text"]) for step in task["steps"]] == [("1.1", "step"), ("1.2", "later")]
