"""Gates run for real: subprocesses, timeouts that kill whole process groups, real tool output."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from orchestrator import gatekinds
from orchestrator.gates import run_gate, run_gates

BIN = Path(sys.executable).parent
PYTHON = sys.executable


def gate(command: str, **fields: Any) -> dict[str, Any]:
    return {"name": "g", "command": command, "kind": "plain", "timeout": 30.0, **fields}


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie waiting to be reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state != "Z"


def wait_dead(pid: int, seconds: float = 2.0) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


def read_pid(path: Path) -> int:
    deadline = time.monotonic() + 5
    while not (text := path.read_text().strip() if path.exists() else ""):
        assert time.monotonic() < deadline, f"{path} was never written"
        time.sleep(0.05)
    return int(text)


# --- running ---------------------------------------------------------------------------------


def test_passing_plain_gate(tmp_path: Path) -> None:
    result = run_gate(gate("echo hello"), tmp_path)
    assert result["passed"] is True
    assert result["exit_code"] == 0
    assert result["timed_out"] is False and result["error"] is None
    assert result["tail"] == "hello"
    assert result["summary"] == {"ok": True}
    assert result["suggestion"] == ""
    assert result["started_at"].endswith("+00:00")
    assert 0 <= result["duration"] < 5


def test_failing_plain_gate_records_exit_code(tmp_path: Path) -> None:
    result = run_gate(gate("echo broken >&2; exit 3", task="T3"), tmp_path)
    assert result["passed"] is False
    assert result["exit_code"] == 3
    assert result["error"] is None
    assert result["tail"] == "broken"  # stderr is merged into the output
    assert "exited with 3" in result["suggestion"]
    assert result["suggestion"].endswith("then run orch gate T3")


def test_output_file_tail_hash_and_lines(tmp_path: Path) -> None:
    out = tmp_path / "runs" / "deep" / "g.log"
    seen: list[str] = []
    command = f"""{PYTHON} -c "
import sys
for i in range(100):
    print('line', i)
print('x' * 2000)
sys.stdout.write('no newline at the end')
" """
    result = run_gate(gate(command), tmp_path, output_path=out, on_line=seen.append)
    data = out.read_bytes()
    assert data.count(b"\n") == 101 and data.endswith(b"no newline at the end")
    assert result["output_path"] == str(out)
    assert result["output_sha256"] == hashlib.sha256(data).hexdigest()
    assert len(seen) == 102 and seen[0] == "line 0" and seen[-1] == "no newline at the end"
    tail = result["tail"].split("\n")
    assert len(tail) == 40
    assert tail[0] == "line 62" and tail[-2] == "x" * 500 and tail[-1] == "no newline at the end"


def test_gate_runs_in_its_cwd_with_no_stdin(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    result = run_gate(gate("pwd; cat; echo done", cwd="sub", timeout=5), tmp_path)
    assert result["passed"] is True
    assert result["tail"] == f"{tmp_path / 'sub'}\ndone"


def test_timeout_fails_and_returns_promptly(tmp_path: Path) -> None:
    start = time.monotonic()
    result = run_gate(gate("sleep 30", timeout=1), tmp_path)
    assert time.monotonic() - start < 5
    assert result["timed_out"] is True and result["passed"] is False
    assert result["exit_code"] is None
    assert result["error"] == "timed out after 1s"
    assert "timed out after 1s" in result["suggestion"]
    assert "raise its timeout" in result["suggestion"]


def test_timeout_kills_grandchildren_holding_the_pipe(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    command = f"sh -c 'sleep 30 & echo $! > {pid_file}; sleep 30'"
    start = time.monotonic()
    result = run_gate(gate(command, timeout=1), tmp_path)
    assert time.monotonic() - start < 5
    assert result["timed_out"] is True and result["passed"] is False
    assert wait_dead(read_pid(pid_file))


def test_command_ignoring_sigterm_is_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "stubborn.pid"
    command = f"trap '' TERM; sleep 30 & echo $! > {pid_file}; wait; sleep 30"
    start = time.monotonic()
    result = run_gate(gate(command, timeout=1), tmp_path)
    assert time.monotonic() - start < 6
    assert result["timed_out"] is True
    assert wait_dead(read_pid(pid_file))


def test_orphan_holding_the_pipe_does_not_hold_the_caller(tmp_path: Path) -> None:
    pid_file = tmp_path / "orphan.pid"
    start = time.monotonic()
    result = run_gate(gate(f"sleep 30 & echo $! > {pid_file}; echo finished", timeout=20), tmp_path)
    assert time.monotonic() - start < 5
    assert result["passed"] is True and result["timed_out"] is False
    assert result["tail"] == "finished"
    assert wait_dead(read_pid(pid_file))  # nothing the gate started is left running


def test_nonexistent_cwd_cannot_start(tmp_path: Path) -> None:
    result = run_gate(gate("true", cwd="missing"), tmp_path)
    assert result["passed"] is False and result["exit_code"] is None
    assert result["error"].startswith("cannot start")
    assert "missing" in result["error"]
    assert result["suggestion"].startswith("cannot start")


def test_unknown_command_cannot_start(tmp_path: Path) -> None:
    result = run_gate(gate("no-such-command-orch-test"), tmp_path)
    assert result["passed"] is False and result["exit_code"] == 127
    assert result["error"].startswith("cannot start: command not found")
    assert "no-such-command-orch-test" in result["error"]


def test_unknown_kind_cannot_start(tmp_path: Path) -> None:
    result = run_gate(gate("true", kind="jest"), tmp_path)
    assert result["passed"] is False
    assert "unknown gate kind 'jest'" in result["error"]


def test_run_gates_writes_logs_and_stops_on_failure(tmp_path: Path) -> None:
    gates = [gate("echo one", name="first gate"), gate("exit 1", name="b"), gate("echo 3")]
    results = run_gates(gates, tmp_path, output_dir=tmp_path / "out", stop_on_failure=True)
    assert [r["passed"] for r in results] == [True, False]
    assert (tmp_path / "out" / "01-first-gate.log").read_text() == "one\n"
    assert (tmp_path / "out" / "02-b.log").exists()
    everything = run_gates(gates, tmp_path, output_dir=None)
    assert [r["passed"] for r in everything] == [True, False, True]
    assert all(r["output_path"] is None for r in everything)


def test_a_budget_cuts_the_timeout_then_refuses_the_next_gate(tmp_path: Path) -> None:
    start = time.monotonic()
    results = run_gates([gate("sleep 30", timeout=20), gate("true")], tmp_path, output_dir=None, budget=1.5)
    assert time.monotonic() - start < 6
    cut, refused = results
    assert cut["timed_out"] is True
    assert cut["error"] == "timed out after 1.5s, what was left of the 1.5s budget for all gates"
    assert refused["passed"] is False and refused["exit_code"] is None and refused["duration"] < 1
    assert refused["error"] == "not run: no time left of the 1.5s budget for all gates"
    for result in results:
        assert "need more than the 1.5s this check allows" in result["suggestion"]


def test_a_budget_larger_than_the_timeout_changes_nothing(tmp_path: Path) -> None:
    [result] = run_gates([gate("sleep 30", timeout=1)], tmp_path, output_dir=None, budget=100)
    assert result["error"] == "timed out after 1s"
    assert "raise its timeout" in result["suggestion"]


def test_a_command_killed_by_a_signal_reports_it(tmp_path: Path) -> None:
    assert run_gate(gate("kill -9 $$"), tmp_path)["exit_code"] == -9


def test_gates_get_the_default_sigpipe(tmp_path: Path) -> None:
    """Python ignores SIGPIPE; a gate must not inherit that (`yes` would complain forever)."""
    result = run_gate(gate("yes | head -c 10"), tmp_path)
    assert result["passed"] is True and result["tail"] == "y\ny\ny\ny\ny"


# --- pytest ----------------------------------------------------------------------------------

TESTS = "def test_ok():\n    assert True\n\n\ndef test_bad():\n    assert 1 == 2\n"


def pytest_command(*args: str) -> str:
    return f"{PYTHON} -m pytest -p no:cacheprovider {' '.join(args)}"


def test_pytest_gate_on_real_failing_run(tmp_path: Path) -> None:
    (tmp_path / "test_sample.py").write_text(TESTS)
    result = run_gate(gate(pytest_command("-q"), kind="pytest", task="T3"), tmp_path)
    assert result["passed"] is False and result["exit_code"] == 1
    summary = result["summary"]
    assert (summary["ok"], summary["failed"], summary["passed"]) == (False, 1, 1)
    assert result["suggestion"] == "fix the 1 failing test shown above, then run orch gate T3"


def test_pytest_parser_on_real_verbose_output(tmp_path: Path) -> None:
    (tmp_path / "test_sample.py").write_text(TESTS)
    output = subprocess.run(
        pytest_command().split() + ["test_sample.py"], cwd=tmp_path, capture_output=True, text=True
    ).stdout
    assert "= 1 failed, 1 passed in " in output
    summary = gatekinds.parse_pytest(output, {}, tmp_path)
    assert summary["ok"] is False and summary["failed"] == 1 and summary["passed"] == 1


def test_pytest_gate_passes_on_green_suite(tmp_path: Path) -> None:
    (tmp_path / "test_sample.py").write_text("def test_ok():\n    assert True\n")
    result = run_gate(gate(pytest_command("-q"), kind="pytest"), tmp_path)
    assert result["passed"] is True
    assert result["summary"]["passed"] == 1


def test_pytest_gate_with_no_tests_fails(tmp_path: Path) -> None:
    (tmp_path / "test_sample.py").write_text(TESTS)
    result = run_gate(gate(pytest_command("-q", "-k", "nothing"), kind="pytest"), tmp_path)
    assert result["passed"] is False and result["exit_code"] == 5
    assert result["summary"]["passed"] == 0
    assert "no test passed" in result["suggestion"]


def test_pytest_gate_reads_junit_report(tmp_path: Path) -> None:
    (tmp_path / "test_sample.py").write_text(TESTS)
    command = pytest_command("-q", "--junitxml=reports/junit.xml")
    result = run_gate(gate(command, kind="pytest", report="reports/junit.xml"), tmp_path)
    assert result["summary"]["source"] == "report"
    assert (result["summary"]["failed"], result["summary"]["passed"]) == (1, 1)


def test_stale_report_is_not_trusted(tmp_path: Path) -> None:
    (tmp_path / "test_sample.py").write_text("def test_ok():\n    assert True\n")
    command = pytest_command("-q", "--junitxml=junit.xml")
    assert run_gate(gate(command, kind="pytest", report="junit.xml"), tmp_path)["passed"] is True
    result = run_gate(gate("true", kind="pytest", report="junit.xml"), tmp_path)
    assert result["passed"] is False
    assert "did not rewrite its report junit.xml" in result["summary"]["error"]


def test_missing_report_fails(tmp_path: Path) -> None:
    result = run_gate(gate("true", kind="pytest", report="nowhere.xml"), tmp_path)
    assert result["passed"] is False
    assert "cannot read the JUnit report" in result["summary"]["error"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("=== 3 failed, 10 passed, 1 skipped, 2 errors in 0.52s ===", (3, 10, 1, 2, False)),
        ("3 failed, 10 passed in 0.5s", (3, 10, 0, 0, False)),
        ("==== 12 passed, 1 warning in 1.20s (0:00:01) ====", (0, 12, 0, 0, True)),
        ("\x1b[32m==== 4 passed in 0.10s ====\x1b[0m", (0, 4, 0, 0, True)),
        ("no tests ran in 0.01s", (0, 0, 0, 0, False)),
        ("==== 1 error in 0.20s ====", (0, 0, 0, 1, False)),
        ("==== 1 passed, 2 subtests passed in 0.20s ====", (0, 1, 0, 0, True)),
    ],
)
def test_pytest_summary_lines(line: str, expected: tuple[int, int, int, int, bool]) -> None:
    summary = gatekinds.parse_pytest(f"some output\n10 items in 3s\n{line}\n", {}, Path("."))
    found = (summary["failed"], summary["passed"], summary["skipped"], summary["errors"])
    assert (*found, summary["ok"]) == expected


def test_pytest_output_without_summary_is_not_ok() -> None:
    summary = gatekinds.parse_pytest("Killed\n", {}, Path("."))
    assert summary["ok"] is False and "summary line" in summary["error"]


# --- ruff and mypy ---------------------------------------------------------------------------


def test_ruff_gate_on_real_output(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("import os\n")
    command = f"{BIN / 'ruff'} check --no-cache --isolated bad.py"
    result = run_gate(gate(command, kind="ruff"), tmp_path)
    assert result["passed"] is False
    assert result["summary"] == {"ok": False, "errors": 1}
    assert result["suggestion"].startswith("fix the 1 ruff finding shown above")


@pytest.mark.parametrize("fmt", ["concise", "full"])
def test_ruff_parser_counts_diagnostics_without_a_total(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "bad.py").write_text("import os\nimport sys\n")
    command = [str(BIN / "ruff"), "check", "--no-cache", "--isolated", f"--output-format={fmt}"]
    output = subprocess.run([*command, "bad.py"], cwd=tmp_path, capture_output=True, text=True)
    assert "Found 2 errors." in output.stdout
    assert gatekinds.parse_ruff(output.stdout, {}, tmp_path)["errors"] == 2
    without_total = output.stdout.split("Found ")[0]
    assert gatekinds.parse_ruff(without_total, {}, tmp_path)["errors"] == 2


def test_ruff_parser_clean_and_format_check() -> None:
    assert gatekinds.parse_ruff("All checks passed!\n", {}, Path(".")) == {"ok": True, "errors": 0}
    output = "Would reformat: a.py\n1 file would be reformatted, 3 files already formatted\n"
    assert gatekinds.parse_ruff(output, {}, Path("."))["errors"] == 1
    fixed = "Found 5 errors (4 fixed, 1 remaining).\n"
    assert gatekinds.parse_ruff(fixed, {}, Path("."))["errors"] == 1


def test_mypy_gate_on_real_output(tmp_path: Path) -> None:
    (tmp_path / "typed.py").write_text('count: int = "three"\n')
    command = f"{PYTHON} -m mypy --no-incremental --cache-dir={tmp_path / 'cache'} typed.py"
    result = run_gate(gate(command, kind="mypy"), tmp_path)
    assert result["passed"] is False
    assert result["summary"] == {"ok": False, "errors": 1, "files": 1}
    assert result["suggestion"].startswith("fix the 1 type error shown above")
    (tmp_path / "typed.py").write_text("count: int = 3\n")
    assert run_gate(gate(command, kind="mypy"), tmp_path)["passed"] is True


def test_mypy_parser_samples() -> None:
    clean = "Success: no issues found in 3 source files\n"
    assert gatekinds.parse_mypy(clean, {}, Path("."))["ok"] is True
    lines = "a.py:1: error: bad  [misc]\na.py:2: note: see\nb.py:3:5: error: worse  [misc]\n"
    assert gatekinds.parse_mypy(lines, {}, Path(".")) == {"ok": False, "errors": 2, "files": 2}


# --- coverage --------------------------------------------------------------------------------

COVERAGE_JSON = {"meta": {"version": "7.6.1"}, "totals": {"percent_covered": 71.42857142857143}}
COBERTURA = '<?xml version="1.0" ?>\n<coverage version="7.6.1" line-rate="0.8571" branch-rate="0">'
COBERTURA += "<packages/></coverage>\n"


def coverage_json(tmp_path: Path) -> Path:
    """A real coverage.py JSON report if coverage is installed, else a literal sample of one."""
    report = tmp_path / "coverage.json"
    if importlib.util.find_spec("coverage") is None:
        report.write_text(json.dumps(COVERAGE_JSON))
        return report
    source = "def f(x):\n    if x:\n        return 1\n    y = 2\n    return y\n\n\nf(1)\n"
    (tmp_path / "mod.py").write_text(source)  # 4 of 6 statements run: 66.7%
    for args in (["run", "mod.py"], ["json", "-o", str(report)]):
        subprocess.run([PYTHON, "-m", "coverage", *args], cwd=tmp_path, check=True)
    return report


def test_coverage_gate_below_threshold_fails_at_exit_zero(tmp_path: Path) -> None:
    report = coverage_json(tmp_path)
    percent = json.loads(report.read_text())["totals"]["percent_covered"]
    content = report.read_text()
    command = f"cat > coverage.json <<'EOF'\n{content}\nEOF"
    result = run_gate(gate(command, kind="coverage", report="coverage.json"), tmp_path)
    assert result["exit_code"] == 0 and result["passed"] is False
    assert result["summary"] == {"ok": False, "percent": percent, "threshold": 80.0}
    assert result["suggestion"].startswith(f"raise coverage from {int(percent)}")
    assert " to 80%" in result["suggestion"]
    lower = run_gate(gate(command, kind="coverage", report="coverage.json", threshold=50), tmp_path)
    assert lower["passed"] is True


def test_coverage_suggestion_never_rounds_up_to_the_threshold() -> None:
    summary = {"ok": False, "percent": 79.96, "threshold": 80.0}
    assert gatekinds.suggest("coverage", summary, "orch gate").startswith("raise coverage from 79.9% to 80%")


def test_coverage_parser_reads_cobertura_and_total_line(tmp_path: Path) -> None:
    (tmp_path / "coverage.xml").write_text(COBERTURA)
    from_xml = gatekinds.parse_coverage("", {"report": "coverage.xml", "threshold": 85}, tmp_path)
    assert from_xml["ok"] is True and round(from_xml["percent"], 2) == 85.71
    output = "Name    Stmts   Miss  Cover\n---\nmod.py     10      3    70%\nTOTAL      10      3    70%\n"
    from_line = gatekinds.parse_coverage(output, {"threshold": None}, tmp_path)
    assert from_line == {"ok": False, "percent": 70.0, "threshold": 80.0}
    missing = gatekinds.parse_coverage("no totals here", {}, tmp_path)
    assert missing["ok"] is False and "TOTAL" in missing["error"]


# --- the Stop hook can afford to import this -------------------------------------------------


def test_gates_import_only_the_standard_library() -> None:
    code = (
        "import sys, orchestrator.gates; "
        "print(sorted(m for m in ('pydantic', 'click', 'jinja2', 'git', 'yaml', 'frontmatter') "
        "if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    shown = subprocess.run([PYTHON, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "[]"
