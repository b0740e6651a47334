"""The native format: YAML frontmatter, then one `## id: Title` section per task."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import orchestrator
from orchestrator.plans import load_plan

EXAMPLE = Path(orchestrator.__file__).parent / "examples" / "auth.md"

PLAN = """\
---
id: shop
title: Checkout rewrite
description: Move checkout to the new payment provider.
milestones:
  - {id: design, title: Design approved}
  - backend
gates:
  - {name: tests, command: "python -m pytest -q", kind: pytest, timeout: 300}
  - {command: "ruff check .", kind: ruff}
---
# Checkout rewrite

Intro text that is not a task.

## arch: Payment architecture
- priority: HIGH
- specialist: Architect
- depends_on: []
- files: docs/pay/*.md, docs/adr/*.md
- milestone: design
- estimate: 3h
- complexity: medium

Decide how payments flow.

More description with a `## not a heading` inside code:

```text
## fake: not a task
```

### Acceptance
- [ ] Threat model covers card data
- [x] Provider chosen

### Steps
- [ ] 1.1 Draft the flow
  - nested note kept with the step
  - [x] nested checkbox
- [x] Review with finance
1. A numbered step

### Gates
```yaml
- {name: unit, command: "python -m pytest -q tests/pay", kind: pytest}
- name: cov
  command: "coverage report"
  kind: coverage
  threshold: 85
  cwd: services/pay
```

### Risks
Provider outage.
Keep a fallback.

## api: Payment API
- priority: P0
- status: In Progress
- specialist: implementer
- depends_on: arch, billing.ledger
- files: [src/pay/*.py, "tests/pay/**"]
- milestone: backend
- estimate: 1.5d

## ui: Checkout page
- depends_on: [arch]
- files:
  - web/checkout/**
  - web/shared/button.tsx
- estimate: 2-3h
- milestone: backend
"""


@pytest.fixture
def plan(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "shop-plan.md"
    path.write_text(PLAN, encoding="utf-8")
    return load_plan(path, external_ids=frozenset({"billing.ledger"}))


def test_plan_header(plan: dict[str, Any]) -> None:
    assert plan["schema"] == 1
    header = plan["plan"]
    assert list(header)[:6] == ["id", "title", "source", "format", "milestones", "gates"]
    assert (header["id"], header["title"], header["format"]) == ("shop", "Checkout rewrite", "native")
    assert header["source"] == "shop-plan.md"
    assert header["description"] == "Move checkout to the new payment provider."
    assert header["milestones"] == [
        {"id": "design", "title": "Design approved"},
        {"id": "backend", "title": "backend"},
    ]


def test_milestones_named_by_tasks_are_added_when_none_are_declared(tmp_path: Path) -> None:
    path = tmp_path / "p.md"
    path.write_text(
        "---\nid: p\n---\n## a: A\n- milestone: beta\n## b: B\n- milestone: ga\n", encoding="utf-8"
    )
    assert load_plan(path)["plan"]["milestones"] == [
        {"id": "beta", "title": "beta"},
        {"id": "ga", "title": "ga"},
    ]


def test_plan_gates_get_defaults_and_names(plan: dict[str, Any]) -> None:
    tests, ruff = plan["plan"]["gates"]
    assert tests == {
        "name": "tests", "command": "python -m pytest -q", "kind": "pytest", "timeout": 300.0,
        "cwd": None, "threshold": None, "report": None,
    }  # fmt: skip
    assert (ruff["name"], ruff["kind"], ruff["timeout"]) == ("ruff", "ruff", 600.0)


def test_task_fields(plan: dict[str, Any]) -> None:
    arch = plan["tasks"][0]
    assert list(arch) == [
        "id", "title", "status", "priority", "specialist", "depends_on", "files", "milestone",
        "estimate", "due", "category", "steps", "acceptance", "description", "sections", "gates", "fields",
        "line", "specialist_inferred",
    ]  # fmt: skip
    assert (arch["id"], arch["title"], arch["line"]) == ("arch", "Payment architecture", 16)
    assert (arch["status"], arch["priority"], arch["specialist"]) == ("queued", "high", "architect")
    assert arch["depends_on"] == []
    assert arch["files"] == ["docs/pay/*.md", "docs/adr/*.md"]
    assert (arch["milestone"], arch["estimate"]) == ("design", 3.0)
    assert arch["fields"] == {"complexity": "medium"}


def test_description_keeps_code_blocks_with_headings_in_them(plan: dict[str, Any]) -> None:
    description = plan["tasks"][0]["description"]
    assert description.startswith("Decide how payments flow.")
    assert "## fake: not a task" in description
    assert [task["id"] for task in plan["tasks"]] == ["arch", "api", "ui"]


def test_steps_acceptance_and_sections(plan: dict[str, Any]) -> None:
    arch = plan["tasks"][0]
    assert arch["steps"] == [
        {"id": "1.1", "text": "Draft the flow", "done": False,
         "notes": ["nested note kept with the step", "[x] nested checkbox"]},
        {"id": "2", "text": "Review with finance", "done": True, "notes": []},
        {"id": "3", "text": "A numbered step", "done": False, "notes": []},
    ]  # fmt: skip
    assert arch["acceptance"] == ["Threat model covers card data", "Provider chosen"]
    assert arch["sections"] == {"Risks": "Provider outage.\nKeep a fallback."}


def test_task_gates(plan: dict[str, Any]) -> None:
    unit, cov = plan["tasks"][0]["gates"]
    assert (unit["name"], unit["kind"], unit["command"]) == (
        "unit",
        "pytest",
        "python -m pytest -q tests/pay",
    )
    assert (cov["kind"], cov["threshold"], cov["cwd"]) == ("coverage", 85.0, "services/pay")


def test_value_forms_and_aliases(plan: dict[str, Any]) -> None:
    api, ui = plan["tasks"][1], plan["tasks"][2]
    assert (api["priority"], api["status"], api["estimate"]) == ("critical", "in_progress", 12.0)
    assert api["depends_on"] == ["arch", "billing.ledger"]
    assert api["files"] == ["src/pay/*.py", "tests/pay/**"]
    assert ui["depends_on"] == ["arch"]
    assert ui["files"] == ["web/checkout/**", "web/shared/button.tsx"]
    assert (ui["estimate"], ui["priority"], ui["specialist"]) == (3.0, "medium", "implementer")


def test_plan_id_argument_overrides_the_frontmatter(tmp_path: Path) -> None:
    path = tmp_path / "p.md"
    path.write_text(PLAN, encoding="utf-8")
    loaded = load_plan(path, plan_id="other", external_ids=frozenset({"billing.ledger"}))
    assert loaded["plan"]["id"] == "other"


def test_plan_id_defaults_to_the_slug_of_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "My Plan_v2.md"
    path.write_text("---\ntitle: T\n---\n## a: A\n", encoding="utf-8")
    loaded = load_plan(path)
    assert (loaded["plan"]["id"], loaded["plan"]["title"]) == ("my-plan-v2", "T")
    assert loaded["tasks"][0]["line"] == 4


def test_a_frontmatter_with_only_an_id_is_enough(tmp_path: Path) -> None:
    path = tmp_path / "p.md"
    path.write_text("---\nid: solo\n---\n\n## only: The only task\n", encoding="utf-8")
    loaded = load_plan(path)
    assert (loaded["plan"]["title"], loaded["tasks"][0]["line"]) == ("solo", 5)


def test_the_bundled_example_loads(tmp_path: Path) -> None:
    loaded = load_plan(EXAMPLE)
    tasks = loaded["tasks"]
    assert loaded["plan"]["id"] == "auth"
    assert 6 <= len(tasks) <= 10
    assert {m["id"] for m in loaded["plan"]["milestones"]} == {"design", "backend", "release"}
    roles = {task["specialist"] for task in tasks}
    assert {"architect", "implementer", "tester", "documenter", "reviewer"} <= roles
    assert all(task["acceptance"] and task["files"] and task["estimate"] for task in tasks)


def test_the_bundled_example_has_parallel_work_on_disjoint_files() -> None:
    tasks = load_plan(EXAMPLE)["tasks"]
    widest = max(_ready_rounds(tasks), key=len)
    assert len(widest) >= 2
    globs = [set(task["files"]) for task in tasks if task["id"] in widest]
    assert not set.intersection(*globs)
    tops = [{glob.split("/")[0] + "/" + glob.split("/")[1] for glob in g} for g in globs]
    assert not set.intersection(*tops)


def _ready_rounds(tasks: list[dict[str, Any]]) -> list[list[str]]:
    """Complete every ready task at once, round after round; each round's ready ids."""
    done: set[str] = set()
    rounds = []
    while len(done) < len(tasks):
        ready = [t["id"] for t in tasks if t["id"] not in done and set(t["depends_on"]) <= done]
        assert ready, "the example must not deadlock"
        rounds.append(ready)
        done.update(ready)
    return rounds


def test_loading_a_plan_imports_no_click_jinja2_or_git() -> None:
    code = textwrap.dedent(
        f"""
        import sys
        from orchestrator.plans import load_plan
        load_plan({str(EXAMPLE)!r})
        print(sorted(m for m in ("click", "jinja2", "git") if m in sys.modules))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_file_globs_are_normalised_at_load(tmp_path: Path) -> None:
    path = tmp_path / "plan.md"
    path.write_text("---\nid: p\n---\n## a: A\n"
                    "- files: src/auth/, ./docs/*.md, tests//test_x.py, src/auth/\n")
    assert load_plan(path)["tasks"][0]["files"] == ["src/auth/**", "docs/*.md", "tests/test_x.py"]
