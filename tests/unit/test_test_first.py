"""Test first: with `policy.test_first` (or a task's `fields.test_first`), `orch done` completes a
task only after its test gate failed since the task started; real repos, real unittest runs."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from tests.conftest import Orch

TEST = (
    "import unittest\nfrom pathlib import Path\n\n\nclass T(unittest.TestCase):\n"
    "    def test_feature(self):\n        self.assertEqual(Path('feature.txt').read_text(), 'done')\n"
)
GATE = {"name": "tests", "command": f"{sys.executable} -m unittest discover -s tests -t ."}


def task(repo: Path, task_id: str = "A") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((repo / ".orch" / "tasks" / f"{task_id}.json").read_text())
    return data


def feature(repo: Path, text: str) -> None:
    (repo / "feature.txt").write_text(text)


def add_tests_gate(repo: Path, orch: Orch, *, test_first: bool = True) -> None:
    (repo / "tests").mkdir()
    (repo / "tests" / "__init__.py").write_text("")
    (repo / "tests" / "test_feature.py").write_text(TEST)
    assert orch("config", "gates", json.dumps([GATE]))[0] == 0
    assert orch("config", "policy.require_outputs", "false")[0] == 0  # about test runs, not outputs
    if test_first:
        assert orch("config", "policy.test_first", "true")[0] == 0


def test_without_test_first_a_green_done_completes(planned: Path, orch: Orch) -> None:
    add_tests_gate(planned, orch, test_first=False)
    feature(planned, "done")
    orch("start", "A")
    assert orch("done", "A")[0] == 0
    assert task(planned)["status"] == "completed"
    assert [r["outcome"] for r in task(planned)["test_runs"]] == ["passed"]


def test_a_green_done_with_no_red_before_is_refused(planned: Path, orch: Orch) -> None:
    add_tests_gate(planned, orch)
    feature(planned, "done")
    orch("start", "A")
    code, out, err = orch("done", "A")
    assert code == 1
    assert "test first: A's test gate (tests) has not failed since the task started" in err
    assert "run `orch gate A` to record it red" in err
    found = task(planned)
    assert found["status"] == "in_progress" and "andon" not in found
    assert [(r["source"], r["outcome"]) for r in found["test_runs"]] == [("orch done", "passed")]
    assert orch("report", "A")[0] == 0
    report = next((planned / "docs" / "reports").glob("web_task_A_*.md")).read_text()
    assert "Test first: **no red run of a test gate since the task started**" in report


def test_red_by_orch_gate_then_green_done_completes_and_the_report_shows_both(
    planned: Path, orch: Orch
) -> None:
    add_tests_gate(planned, orch)
    orch("start", "A")
    feature(planned, "not yet")
    assert orch("gate", "A")[0] == 1
    feature(planned, "done")
    code, out, err = orch("done", "A")
    assert code == 0, out + err
    runs = task(planned)["test_runs"]
    assert [(r["source"], r["outcome"]) for r in runs] == [("orch gate", "failed"), ("orch done", "passed")]
    report = next((planned / "docs" / "reports").glob("web_task_A_*.md")).read_text()
    assert "## Test runs" in report and "Test first: red" in report
    assert "| orch gate | tests | **failed** |" in report and "| orch done | tests | passed |" in report


def test_a_red_done_pulls_the_andon_and_counts_as_the_red_run(planned: Path, orch: Orch) -> None:
    add_tests_gate(planned, orch)
    orch("start", "A")
    assert orch("done", "A")[0] == 1
    assert task(planned)["status"] == "blocked"
    feature(planned, "done")
    assert orch("done", "A")[0] == 0
    assert task(planned)["status"] == "completed"


def test_a_red_run_before_the_task_last_started_does_not_count(planned: Path, orch: Orch) -> None:
    add_tests_gate(planned, orch)
    orch("start", "A")
    assert orch("gate", "A")[0] == 1
    assert orch("move", "A", "queued")[0] == 0
    time.sleep(1.1)  # a task's history counts whole seconds: a red run in its start's second counts
    feature(planned, "done")
    orch("start", "A")
    assert orch("done", "A")[0] == 1
    assert task(planned)["status"] == "in_progress"


def test_a_run_that_ran_no_test_is_not_red(planned: Path, orch: Orch) -> None:
    add_tests_gate(planned, orch)
    (planned / "tests" / "test_feature.py").unlink()
    orch("start", "A")
    assert orch("gate", "A")[0] == 1
    assert task(planned)["test_runs"][-1]["outcome"] == "ran nothing"
    (planned / "tests" / "test_feature.py").write_text(TEST)
    feature(planned, "done")
    code, _out, err = orch("done", "A")
    assert code == 1 and "has not failed since the task started" in err


def test_test_first_with_no_test_gate_is_refused(planned: Path, orch: Orch) -> None:
    orch("config", "gates", json.dumps([{"name": "lint", "command": "true"}]))
    orch("config", "policy.test_first", "true")
    orch("config", "policy.require_outputs", "false")  # about test first, not outputs
    orch("start", "A")
    code, _out, err = orch("done", "A")
    assert code == 1 and "test first: A has no test gate" in err


def test_a_task_field_asks_for_test_first_without_the_policy(repo: Path, orch: Orch) -> None:
    (repo / "plan.md").write_text(
        "---\nid: w\ntitle: W\n---\n## A: Feature\n- files: feature.txt\n- test_first: true\n\n"
        "## B: Other\n- files: other.txt\n"
    )
    orch("init")
    assert orch("plan", "add", "plan.md")[0] == 0
    add_tests_gate(repo, orch, test_first=False)
    feature(repo, "done")
    assert orch("start", "B")[0] == 0
    code, out, err = orch("done", "B")
    assert code == 0, out + err
    orch("start", "A")
    code, _out, err = orch("done", "A")
    assert code == 1 and "test first: A's test gate" in err


def test_a_task_field_without_a_test_gate_completes_and_its_report_says_unchecked(
    repo: Path, orch: Orch
) -> None:
    """A spec-kit plan carries no gates: its test-first phases must not make its tasks uncompletable."""
    (repo / "plan.md").write_text("---\nid: w\ntitle: W\n---\n## A: Feature\n- test_first: true\n")
    orch("init")
    assert orch("plan", "add", "plan.md")[0] == 0
    orch("start", "A")
    code, out, err = orch("done", "A")
    assert code == 0, out + err
    report = next((repo / "docs" / "reports").glob("w_task_A_*.md")).read_text()
    assert "Test first: not checked: the task has no test gate" in report
