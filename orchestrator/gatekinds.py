"""What a gate's output means: one parser per gate kind, and the next step when its check fails.

A parser is `(output_text, gate, cwd) -> {"ok": bool, ...counts}`; `cwd` is where the command ran,
so a gate's `report` (a JUnit XML or coverage file the command wrote) is read from `cwd / report`.
`ok` is the kind's own check; the runner also requires exit code 0. Standard library only: this
module is imported by the Stop hook.
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
_COVERAGE_TOTAL = re.compile(r"^TOTAL\s.*?(\d+(?:\.\d+)?)%\s*$", re.MULTILINE)
_RUFF_FOUND = re.compile(r"^Found (\d+) errors?\b(?: \(\d+ fixed, (\d+) remaining\))?", re.MULTILINE)
_RUFF_REFORMAT = re.compile(r"^(\d+) files? would be reformatted", re.MULTILINE)
_RUFF_DIAGNOSTIC = re.compile(r"^(?:\S+:\d+:\d+: [A-Z]+\d+\b|\s*--> \S+:\d+:\d+\s*$)", re.MULTILINE)
_MYPY_FOUND = re.compile(r"^Found (\d+) errors? in (\d+) files?", re.MULTILINE)
_MYPY_ERROR = re.compile(r"^\S+:\d+(?::\d+)?: error: ", re.MULTILINE)


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
    return {"ok": ok, **counts}


def parse_coverage(output: str, gate: Mapping[str, Any], cwd: Path) -> dict[str, Any]:
    """The total percentage from coverage's JSON or Cobertura XML report, else its TOTAL line."""
    threshold = _threshold(gate)
    if gate.get("report"):
        found = _coverage_report(cwd / str(gate["report"]))
    else:
        found = _coverage_total_line(_plain_text(output))
    if isinstance(found, str):
        return {"ok": False, "percent": None, "threshold": threshold, "error": found}
    return {"ok": found >= threshold, "percent": found, "threshold": threshold}


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
    return {"ok": errors == 0, "errors": errors, "files": files}


PARSERS: dict[str, Parser] = {
    "plain": parse_plain,
    "pytest": parse_pytest,
    "coverage": parse_coverage,
    "ruff": parse_ruff,
    "mypy": parse_mypy,
}
KINDS = tuple(PARSERS)


def summarize(kind: str, output: str, gate: Mapping[str, Any], cwd: Path) -> dict[str, Any]:
    """Run the parser of `kind` (which must be one of KINDS) on a gate's output."""
    return PARSERS[kind](output, gate, cwd)


def suggest(kind: str, summary: Mapping[str, Any], rerun: str) -> str:
    """One line saying what to fix when the kind's check failed; `rerun` re-checks the gate."""
    if summary.get("error"):
        return f"{summary['error']}: fix the gate's command or report path, then run {rerun}"
    if kind == "pytest":
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


def _coverage_report(path: Path) -> float | str:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return f"cannot read the coverage report {path}: {exc.strerror or exc}"
    try:
        if text.lstrip().startswith("{"):
            return float(json.loads(text)["totals"]["percent_covered"])
        return float(ET.fromstring(text).attrib["line-rate"]) * 100
    except (ValueError, KeyError, TypeError, ET.ParseError) as exc:
        return f"the coverage report {path} has no total ({type(exc).__name__}: {exc})"


def _coverage_total_line(text: str) -> float | str:
    totals = _COVERAGE_TOTAL.findall(text)
    return float(totals[-1]) if totals else "coverage's TOTAL line is not in the output"


def _threshold(gate: Mapping[str, Any]) -> float:
    value = gate.get("threshold")
    return DEFAULT_COVERAGE_THRESHOLD if value is None else float(value)


def _plain_text(output: str) -> str:
    return _ANSI.sub("", output).replace("\r\n", "\n")


def _pct(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0") + "%"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
