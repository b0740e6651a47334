"""Specialists inferred from a task's title when its plan names none (`orchestrator.roles`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator import roles
from orchestrator.plans import load_plan
from tests.conftest import Orch


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("title", "role"),
    [
        ("Write tests for login", "tester"), ("Testing the API", "tester"), ("E2E suite", "tester"),
        ("Update the README", "documenter"), ("Document the API", "documenter"), ("API docs", "documenter"),
        ("Review the token code", "reviewer"), ("Security audit", "reviewer"),
        ("Design the schema", "architect"), ("Payment architecture", "architect"),
        ("Implement login", "implementer"), ("Add the cart", "implementer"),
        ("Write documentation for the tests", "documenter"),  # the first word a rule matches decides
        ("Test the design", "tester"), ("Testament parser", "tester"),
    ],
)
def test_infer(title: str, role: str) -> None:
    assert roles.infer(title, roles.BUILT_IN) == role


def test_config_rules_replace_a_role_and_add_new_ones() -> None:
    own = {"Security Engineer": ["security", "auth*"], "tester": ["qa"]}
    rules = roles.rules_of({"specialists": {"infer": True, "rules": own}})
    assert rules is not None and list(rules)[:2] == ["security-engineer", "tester"]
    assert roles.infer("Harden authentication", rules) == "security-engineer"
    assert roles.infer("Write tests", rules) == "implementer"
    assert roles.rules_of({"specialists": {"infer": False}}) is None
    assert roles.rules_of({}) == roles.BUILT_IN


def test_only_a_task_that_names_no_specialist_is_inferred(tmp_path: Path) -> None:
    plan = "---\nid: p\n---\n## a: Write tests\n\n## b: Write tests\n- specialist: implementer\n"
    loaded = load_plan(write(tmp_path, "p.md", plan))
    assert [(t["specialist"], t["specialist_inferred"]) for t in loaded["tasks"]] == [
        ("tester", True), ("implementer", False)]
    off = load_plan(write(tmp_path, "p.md", plan), specialist_rules=None)
    assert [(t["specialist"], t["specialist_inferred"]) for t in off["tasks"]] == [
        ("implementer", False), ("implementer", False)]


def test_plan_convert_shows_and_says_what_it_inferred(repo: Path, orch: Orch) -> None:
    plan = "---\nid: p\n---\n## a: Write tests\n\n## b: Review it\n- role: architect\n"
    (repo / "plan.md").write_text(plan)
    code, out, err = orch("plan", "convert", "plan.md")
    tasks = json.loads(out)["tasks"]
    assert code == 0 and [(t["specialist"], t["specialist_inferred"]) for t in tasks] == [
        ("tester", True), ("architect", False)]
    assert "orch: note: specialist inferred from the title (the plan names none): a tester" in err
    assert orch("init", "--no-hooks")[0] == 0
    assert orch("config", "specialists.rules", '{"qa": ["test*"]}')[0] == 0
    assert json.loads(orch("plan", "convert", "plan.md")[1])["tasks"][0]["specialist"] == "qa"
    assert orch("config", "specialists.infer", "false")[0] == 0
    code, out, err = orch("plan", "convert", "plan.md")
    assert json.loads(out)["tasks"][0]["specialist"] == "implementer" and "inferred" not in err
    assert orch("config", "specialists.rules", '{"qa": [""]}')[0] == 2
    assert orch("config", "specialists.rules", '{"qa": "test*"}')[0] == 2
    assert orch("plan", "add", "plan.md")[0] == 0
    assert json.loads(orch("status", "--json")[1])["tasks"][0]["specialist"] == "implementer"
