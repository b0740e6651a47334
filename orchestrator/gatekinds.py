"""What a gate's output means: one parser per gate kind, and the next step when its check fails.

A parser is `(output_text, gate, cwd) -> {"ok": bool, ...counts}`; `cwd` is where the command ran,
so a gate's `report` (a JUnit XML or coverage file the command wrote) is read from `cwd / report`.
`ok` is the kind's own check; the runner also requires exit code 0. A gate that checked nothing
(no test ran, no code measured, no file linted) has failed: its summary says so in `nothing`.
A gate without a `kind` whose command runs pytest or unittest gets that kind (`kind_of`).
Standard library only: this module is imported by the Stop hook.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

Parser = Callable[[str, Mapping[str, Any], Path], dict[str, Any]]

DEFAULT_COVERAGE_THRESHOLD = 80.0

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_PYTEST_SUMMARY = re.compile(
    r"^=*\s*(?P<body>no tests ran|\d+ \w[\w ]*(?:, \d+ \w[\w ]*)*) in \d+(?:\.\d+)?s\b.*$"
)
_PYTEST_COUNT = re.compile(r"(\d+) (\w+)")
_PYTEST_WORDS = {"error": "errors", "warning": "warnings", "reruns": "rerun"}
_PYTEST_KEYS = ("passed", "failed", "errors", "skipped", "xfailed", "xpassed", "warnings")
_PYTEST_KNOWN = {*_PYTEST_KEYS, *_PYTEST_WORDS, "deselected", "rerun"}
_COVERAGE_TOTAL = re.compile(r"^TOTAL\s+(\d+)\s.*?(\d+(?:\.\d+)?)%\s*$", re.MULTILINE)
_RUFF_FOUND = re.compile(r"^Found (\d+) errors?\b(?: \(\d+ fixed, (\d+) remaining\))?", re.MULTILINE)
_RUFF_REFORMAT = re.compile(r"^(\d+) files? would be reformatted", re.MULTILINE)
_RUFF_DIAGNOSTIC = re.compile(r"^(?:\S+:\d+:\d+: [A-Z]+\d+\b|\s*--> \S+:\d+:\d+\s*$)", re.MULTILINE)
_MYPY_FOUND = re.compile(r"^Found (\d+) errors? in (\d+) files?", re.MULTILINE)
_MYPY_ERROR = re.compile(r"^\S+:\d+(?::\d+)?: error: ", re.MULTILINE)
_MYPY_NO_FILES = re.compile(r"^There are no \.py\[i\] files|\bin 0 source files\b", re.MULTILINE)
_RUFF_NO_FILES = re.compile(r"^warning: No Python files found", re.MULTILINE)
_COVERAGE_NO_DATA = re.compile(r"^No data to report\.?\s*$", re.MULTILINE)
_UNITTEST_RAN = re.compile(r"^Ran (\d+) tests? in \d+(?:\.\d+)?s\s*$", re.MULTILINE)
_UNITTEST_VERDICT = re.compile(r"^(OK|FAILED|NO TESTS RAN)(?: \((.*)\))?\s*$", re.MULTILINE)
_UNITTEST_MISSING = "unittest's `Ran N tests` line and verdict are not in the output"
_UNITTEST_WORDS = {"failures": "failed", "errors": "errors", "skipped": "skipped",
                   "expected failures": "xfailed", "unexpected successes": "xpassed"}
_PYTEST_COMMAND = re.compile(r"(?:^|[\s;&|(/])(?:pytest|py\.test)(?=[\s;&|)]|$)")
_UNITTEST_COMMAND = re.compile(r"(?:^|\s)-m\s*unittest(?=[\s;&|)]|$)")
NO_TEST = "ran no test"
NO_FILE = "checked no file"
NO_CODE = "measured no code"


def parse_plain(output: str, gate: Mapping[str, Any], cwd: Path) -> dict[str, Any]:
    """A plain gate has no check of its own: its exit code decides."""
    return {"ok": True}


def parse_pytest(output: str, gate: Mapping[str, Any], cwd: Path) -> dict[str, Any]:
    """Counts from the JUnit report if the gate names one, else from pytest's final summary line."""
    if gate.get("report"):
        counts = _junit_counts(cwd / str(gate["report"]))
    else:
        counts = _pytest_line_counts(_plain_text(output))
    if "error" in counts:
        return {"ok": False, **counts}
    ok = counts["failed"] == 0 and counts["errors"] == 0 and counts["passed"] >= 1
    return {"ok": ok, **counts, **_nothing_run(counts)}


def parse_unittest(output: str, gate: Mapping[str, Any], cwd: Path) -> dict[str, Any]:
    """Counts from unittest's `Ran N tests in Xs` line and the verdict after it (`OK`,
    `FAILED (failures=1, errors=2)`, `NO TESTS RAN`)."""
    text = _plain_text(output)
    ran = list(_UNITTEST_RAN.finditer(text))
    verdict = _UNITTEST_VERDICT.search(text, ran[-1].end()) if ran else None
    counts = dict.fromkeys(("passed", "failed", "errors", "skipped", "xfailed", "xpassed"), 0)
    if verdict is None:
        return {"ok": False, **counts, "error": _UNITTEST_MISSING}
    for part in (verdict[2] or "").split(","):
        word, _, number = part.strip().partition("=")
        if word in _UNITTEST_WORDS and number.isdigit():
            counts[_UNITTEST_WORDS[word]] = int(number)
    total = int(ran[-1][1])
    counts["passed"] = max(0, total - sum(counts.values()))
    ok = verdict[1] == "OK" and counts["failed"] == 0 and counts["errors"] == 0 and counts["passed"] >= 1
    return {"ok": ok, **counts, "source": "output", **_nothing_run(counts)}


def parse_coverage(output: str, gate: Mapping[str, Any], cwd: Path) -> dict[str, Any]:
    """The total percentage from coverage's JSON or Cobertura XML report, else its TOTAL line."""
    threshold = _threshold(gate)
    text = _plain_text(output)
    if gate.get("report"):
        found = _coverage_report(cwd / str(gate["report"]))
    else:
        found = _coverage_total_line(text)
    if isinstance(found, str) and _COVERAGE_NO_DATA.search(text):
        return {"ok": False, "percent": None, "threshold": threshold, "nothing": NO_CODE}
    if isinstance(found, str):
        return {"ok": False, "percent": None, "threshold": threshold, "error": found}
    percent, statements = found
    if statements == 0:
        return {"ok": False, "percent": percent, "threshold": threshold, "statements": 0, "nothing": NO_CODE}
    return {"ok": percent >= threshold, "percent": percent, "threshold": threshold}


def parse_ruff(output: str, gate: Mapping[str, Any], cwd: Path) -> dict[str, Any]:
    """Ruff's findings (`Found N errors.`, or one line each), plus files `ruff format` would fix."""
    text = _plain_text(output)
    found = _RUFF_FOUND.findall(text)
    if found:
        total, remaining = found[-1]
        errors = int(remaining or total)
    else:
        errors = len(_RUFF_DIAGNOSTIC.findall(text))
    errors += sum(int(n) for n in _RUFF_REFORMAT.findall(text))
    if errors == 0 and _RUFF_NO_FILES.search(text):
        return {"ok": False, "errors": 0, "nothing": NO_FILE}
    return {"ok": errors == 0, "errors": errors}


def parse_mypy(output: str, gate: Mapping[str, Any], cwd: Path) -> dict[str, Any]:
    """Mypy's `Found N errors in M files`, else its `path:line: error:` lines."""
    text = _plain_text(output)
    found = _MYPY_FOUND.findall(text)
    if found:
        errors, files = (int(n) for n in found[-1])
    else:
        lines = _MYPY_ERROR.findall(text)
        errors, files = len(lines), len({line.split(":", 1)[0] for line in lines})
    if errors == 0 and _MYPY_NO_FILES.search(text):
        return {"ok": False, "errors": 0, "files": 0, "nothing": NO_FILE}
    return {"ok": errors == 0, "errors": errors, "files": files}


PARSERS: dict[str, Parser] = {
    "plain": parse_plain,
    "pytest": parse_pytest,
    "unittest": parse_unittest,
    "coverage": parse_coverage,
    "ruff": parse_ruff,
    "mypy": parse_mypy,
}
KINDS = tuple(PARSERS)
TEST_KINDS = ("pytest", "unittest")
NOTHING_EXITS = {"pytest": 5, "unittest": 5}  # "no tests collected" (unittest from Python 3.12)


def kind_of(gate: Mapping[str, Any]) -> str:
    """The gate's `kind`; without one, the test runner its command runs, else `plain`."""
    kind = gate.get("kind")
    return str(kind) if kind else infer_kind(str(gate.get("command") or ""))


def infer_kind(command: str) -> str:
    """`pytest` for a command that runs pytest (`pytest`, `python -m pytest`, `uv run pytest`),
    `unittest` for one that runs `python -m unittest`, whichever comes first; else `plain`."""
    runners = (("pytest", _PYTEST_COMMAND), ("unittest", _UNITTEST_COMMAND))
    found = [(m.start(), kind) for kind, pattern in runners if (m := pattern.search(command))]
    return min(found)[1] if found else "plain"


def summarize(
    kind: str, output: str, gate: Mapping[str, Any], cwd: Path, exit_code: int | None = None
) -> dict[str, Any]:
    """Run the parser of `kind` (which must be one of KINDS) on a gate's output; a test runner's
    "no tests ran" exit code (NOTHING_EXITS) means the gate ran no test, whatever it printed."""
    summary = PARSERS[kind](output, gate, cwd)
    if exit_code is not None and exit_code == NOTHING_EXITS.get(kind) and not summary.get("nothing"):
        summary = {**summary, "ok": False, "nothing": NO_TEST}
        summary.pop("error", None)
    return summary


def suggest(kind: str, summary: Mapping[str, Any], rerun: str) -> str:
    """One line saying what to fix when the kind's check failed; `rerun` re-checks the gate."""
    if summary.get("nothing"):
        return _suggest_nothing(kind, summary, rerun)
    if summary.get("error"):
        return f"{summary['error']}: fix the gate's command or report path, then run {rerun}"
    if kind in TEST_KINDS:
        return _suggest_pytest(summary, rerun)
    if kind == "coverage":
        percent, threshold = summary["percent"], summary["threshold"]
        shown = math.floor(percent * 10) / 10  # never round 79.96% up to the 80% it missed
        return f"raise coverage from {_pct(shown)} to {_pct(threshold)}, then run {rerun}"
    if kind == "ruff":
        return f"fix the {_count(summary['errors'], 'ruff finding')} shown above, then run {rerun}"
    if kind == "mypy":
        return f"fix the {_count(summary['errors'], 'type error')} shown above, then run {rerun}"
    return f"fix what the output above shows, then run {rerun}"


def _suggest_nothing(kind: str, summary: Mapping[str, Any], rerun: str) -> str:
    if kind in TEST_KINDS:
        skipped = f" ({_count(summary['skipped'], 'test')} skipped)" if summary.get("skipped") else ""
        return (f"the gate ran no test{skipped}, so no test passed: make sure its command collects "
                f"your tests, then run {rerun}")
    if kind == "coverage":
        return f"coverage measured no code: make sure it runs your tests over your source, then run {rerun}"
    return f"the gate checked no file: make sure its command names the files to check, then run {rerun}"


def _nothing_run(counts: Mapping[str, Any]) -> dict[str, str]:
    """`{"nothing": NO_TEST}` when no test ran to an outcome (none, or all skipped or deselected)."""
    ran = sum(int(counts.get(key) or 0) for key in ("passed", "failed", "errors", "xfailed", "xpassed"))
    return {} if ran else {"nothing": NO_TEST}


def _suggest_pytest(summary: Mapping[str, Any], rerun: str) -> str:
    failed, errors = summary["failed"], summary["errors"]
    if failed or errors:
        parts = [_count(failed, "failing test")] if failed else []
        parts += [_count(errors, "error")] if errors else []
        return f"fix the {' and '.join(parts)} shown above, then run {rerun}"
    return f"no test passed: make sure the gate's command collects your tests, then run {rerun}"


def _pytest_line_counts(text: str) -> dict[str, Any]:
    for line in reversed(text.splitlines()):
        match = _PYTEST_SUMMARY.match(line.strip()) if len(line) < 1000 else None
        found = _PYTEST_COUNT.findall(match["body"]) if match else []
        known = [(number, word) for number, word in found if word in _PYTEST_KNOWN]
        if match and (known or match["body"] == "no tests ran"):
            counts = dict.fromkeys(_PYTEST_KEYS, 0)
            for number, word in known:  # plugins add their own words ("2 subtests passed")
                counts[_PYTEST_WORDS.get(word, word)] = int(number)
            return {**counts, "source": "output"}
    return {**dict.fromkeys(_PYTEST_KEYS, 0), "error": "pytest's summary line is not in the output"}


def _junit_counts(path: Path) -> dict[str, Any]:
    counts = dict.fromkeys(_PYTEST_KEYS, 0)
    try:
        cases = list(ET.parse(path).getroot().iter("testcase"))
    except (OSError, ET.ParseError) as exc:
        return {**counts, "error": f"cannot read the JUnit report {path}: {exc}"}
    for case in cases:
        counts[_junit_outcome(case)] += 1
    return {**counts, "source": "report"}


def _junit_outcome(case: ET.Element) -> str:
    tags = {child.tag for child in case}
    for tag, outcome in (("failure", "failed"), ("error", "errors"), ("skipped", "skipped")):
        if tag in tags:
            return outcome
    return "passed"


def _coverage_report(path: Path) -> tuple[float, int | None] | str:
    """(total percent, statements measured or None if the report does not say), or an error."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return f"cannot read the coverage report {path}: {exc.strerror or exc}"
    try:
        if text.lstrip().startswith("{"):
            totals = json.loads(text)["totals"]
            return float(totals["percent_covered"]), _int_or_none(totals.get("num_statements"))
        root = ET.fromstring(text)
        return float(root.attrib["line-rate"]) * 100, _int_or_none(root.attrib.get("lines-valid"))
    except (ValueError, KeyError, TypeError, ET.ParseError) as exc:
        return f"the coverage report {path} has no total ({type(exc).__name__}: {exc})"


def _coverage_total_line(text: str) -> tuple[float, int | None] | str:
    totals = _COVERAGE_TOTAL.findall(text)
    if not totals:
        return "coverage's TOTAL line is not in the output"
    statements, percent = totals[-1]
    return float(percent), int(statements)


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _threshold(gate: Mapping[str, Any]) -> float:
    value = gate.get("threshold")
    return DEFAULT_COVERAGE_THRESHOLD if value is None else float(value)


def _plain_text(output: str) -> str:
    return _ANSI.sub("", output).replace("\r\n", "\n")


def _pct(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0") + "%"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
