"""A gate that checked nothing has failed: no test ran, no code measured, no file linted.
Real tool runs where the tool is installed; `kind` is inferred for pytest and unittest commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from orchestrator import gatekinds
from orchestrator.gates import run_gate
from tests.conftest import Orch, write_output

PYTHON = sys.executable
BIN = Path(PYTHON).parent
PASSING = (
    "import unittest\n\n\nclass T(unittest.TestCase):\n"
    "    def test_ok(self):\n        self.assertTrue(True)\n"
)
FAILING = PASSING.replace("assertTrue(True)", "assertTrue(False)")


def gate(command: str, **fields: Any) -> dict[str, Any]:
    return {"name": "g", "command": command, "timeout": 60.0, "task": "T1", **fields}


def unittest_command(start: str = "tests") -> str:
    return f"{PYTHON} -m unittest discover -s {start} -t ."


def make_tests_package(root: Path) -> Path:
    (root / "tests").mkdir()
    (root / "tests" / "__init__.py").write_text("")
    return root / "tests"


def test_unittest_gate_that_ran_no_test_fails(tmp_path: Path) -> None:
    make_tests_package(tmp_path)
    result = run_gate(gate(unittest_command(), kind="unittest"), tmp_path)
    assert result["passed"] is False and result["summary"]["nothing"] == "ran no test"
    assert result["why"].startswith("it ran no test")
    assert result["suggestion"].startswith("the gate ran no test, so no test passed")
    assert result["suggestion"].endswith("then run orch gate T1")


def test_unittest_gate_passes_and_fails_on_real_tests(tmp_path: Path) -> None:
    make_tests_package(tmp_path)
    (tmp_path / "tests" / "test_a.py").write_text(PASSING)
    green = run_gate(gate(unittest_command(), kind="unittest"), tmp_path)
    assert green["passed"] is True and green["summary"]["passed"] == 1 and green["why"] == ""
    (tmp_path / "tests" / "test_a.py").write_text(FAILING)
    red = run_gate(gate(unittest_command(), kind="unittest"), tmp_path)
    assert red["passed"] is False and red["summary"]["failed"] == 1
    assert red["suggestion"] == "fix the 1 failing test shown above, then run orch gate T1"


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        ("Ran 3 tests in 0.010s\n\nOK\n", (3, 0, 0, 0, True)),
        ("Ran 4 tests in 0.1s\n\nOK (skipped=1, expected failures=1)\n", (2, 0, 0, 1, True)),
        ("Ran 5 tests in 0.1s\n\nFAILED (failures=2, errors=1)\n", (2, 2, 1, 0, False)),
        ("Ran 2 tests in 0.1s\n\nOK (skipped=2)\n", (0, 0, 0, 2, False)),
        ("Ran 0 tests in 0.000s\n\nNO TESTS RAN\n", (0, 0, 0, 0, False)),
        ("Ran 1 test in 0.1s\n\nFAILED (errors=1)\n", (0, 0, 1, 0, False)),
    ],
)
def test_unittest_verdicts(tail: str, expected: tuple[int, int, int, int, bool]) -> None:
    summary = gatekinds.parse_unittest("..\n" + "-" * 70 + "\n" + tail, {}, Path("."))
    found = (summary["passed"], summary["failed"], summary["errors"], summary["skipped"], summary["ok"])
    assert found == expected
    assert ("nothing" in summary) == (expected[0] + expected[1] + expected[2] == 0)


def test_unittest_output_without_its_summary_is_not_ok() -> None:
    summary = gatekinds.parse_unittest("Killed\n", {}, Path("."))
    assert summary["ok"] is False and "Ran N tests" in summary["error"]


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        ("pytest -q", "pytest"),
        ("python -m pytest -q tests", "pytest"),
        ("uv run pytest", "pytest"),
        (".venv/bin/pytest -x", "pytest"),
        ("cd api && py.test", "pytest"),
        ("python3 -m unittest discover -s tests", "unittest"),
        ("python -m unittest", "unittest"),
        ("ruff check . && python -m pytest", "pytest"),
        ("make test", "plain"),
        ("pytest-watch", "plain"),
        ("echo unittest", "plain"),
    ],
)
def test_kind_is_inferred_from_a_test_command(command: str, kind: str) -> None:
    assert gatekinds.infer_kind(command) == kind
    assert gatekinds.kind_of({"command": command}) == kind
    assert gatekinds.kind_of({"command": command, "kind": "plain"}) == "plain"  # said explicitly


def test_a_gate_without_kind_running_pytest_is_a_pytest_gate(tmp_path: Path) -> None:
    (tmp_path / "test_a.py").write_text("def test_ok():\n    pass\n")
    command = f"{PYTHON} -m pytest -p no:cacheprovider -q"
    nothing = run_gate(gate(command + " -k nothing"), tmp_path)
    assert nothing["kind"] == "pytest" and nothing["exit_code"] == 5
    assert nothing["passed"] is False and nothing["summary"]["nothing"] == "ran no test"
    assert run_gate(gate(command), tmp_path)["passed"] is True


def test_pytest_exit_5_is_no_test_even_without_a_summary_line(tmp_path: Path) -> None:
    result = run_gate(gate("exit 5", kind="pytest"), tmp_path)
    assert result["summary"]["nothing"] == "ran no test" and "error" not in result["summary"]
    assert "ran no test" in result["suggestion"]


def test_pytest_all_skipped_ran_no_test() -> None:
    summary = gatekinds.parse_pytest("=== 3 skipped in 0.02s ===\n", {}, Path("."))
    assert summary["ok"] is False and summary["nothing"] == "ran no test"
    assert "(3 tests skipped)" in gatekinds.suggest("pytest", summary, "orch gate")


def test_ruff_that_checked_no_file_fails(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run_gate(gate(f"{BIN / 'ruff'} check --no-cache --isolated empty", kind="ruff"), tmp_path)
    assert result["exit_code"] == 0 and result["passed"] is False
    assert result["summary"]["nothing"] == "checked no file"
    assert result["why"] == "it checked no file (exit code 0)"
    assert result["suggestion"].startswith("the gate checked no file")


def test_mypy_that_checked_no_file_fails(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    command = f"{PYTHON} -m mypy --no-incremental --cache-dir={tmp_path / 'cache'} empty"
    result = run_gate(gate(command, kind="mypy"), tmp_path)
    assert result["passed"] is False and result["summary"]["nothing"] == "checked no file"
    zero = gatekinds.parse_mypy("Success: no issues found in 0 source files\n", {}, Path("."))
    assert zero["ok"] is False and zero["nothing"] == "checked no file"


def test_coverage_with_no_data_or_no_statement_fails(tmp_path: Path) -> None:
    no_data = gatekinds.parse_coverage("No data to report.\n", {}, tmp_path)
    assert no_data["ok"] is False and no_data["nothing"] == "measured no code"
    empty_total = "Name    Stmts   Miss  Cover\n---\nTOTAL       0      0   100%\n"
    assert gatekinds.parse_coverage(empty_total, {}, tmp_path)["nothing"] == "measured no code"
    totals = {"percent_covered": 100.0, "num_statements": 0}
    (tmp_path / "cov.json").write_text(json.dumps({"totals": totals}))
    from_json = gatekinds.parse_coverage("", {"report": "cov.json"}, tmp_path)
    assert from_json["ok"] is False and from_json["nothing"] == "measured no code"
    assert gatekinds.suggest("coverage", from_json, "orch gate").startswith("coverage measured no code")


# --- through the CLI -------------------------------------------------------------------------


def test_orch_done_pulls_the_andon_on_a_gate_that_ran_no_test(planned: Path, orch: Orch) -> None:
    make_tests_package(planned)
    orch("config", "gates", json.dumps([{"name": "tests", "command": unittest_command()}]))
    orch("start", "A")
    write_output(planned, "docs/design.md")  # A's declared output
    code, out, err = orch("done", "A")
    assert code == 1
    task = json.loads((planned / ".orch" / "tasks" / "A.json").read_text())
    assert task["status"] == "blocked" and task["andon"]["why"].startswith("it ran no test")
    assert "ran no test" in task["block_reason"]
    (planned / "tests" / "test_a.py").write_text(PASSING)
    code, out, err = orch("done", "A")
    assert code == 0, out + err
    assert json.loads((planned / ".orch" / "tasks" / "A.json").read_text())["status"] == "completed"
