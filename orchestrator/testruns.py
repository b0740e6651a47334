"""Runs of a task's test gates, and the test-first rule that reads them.

A test gate is a gate of kind `pytest` or `unittest`, given or inferred from its command
(`gatekinds.kind_of`). Every run of one (by `orch gate`, `orch done`, the Stop hook, or a
PostToolUse fast check whose command runs tests) is recorded on the task as `test_runs`:
`{"at", "gate", "command", "source", "outcome", "exit_code"}`, where `outcome` is `passed`,
`failed` (red: the tests ran and one failed), `ran nothing`, `timed out` or `did not start`.
The newest KEPT are kept, and the first red run since the task started is never dropped.

Test first (`policy.test_first`, or `fields.test_first: true` on the task): `orch done` completes
the task only if a test gate failed after the task started, before the run that passes.
Standard library only: the Stop and PostToolUse hooks import this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from orchestrator import gatekinds

KEPT = 20
RED = "failed"


def is_test_gate(gate: Mapping[str, Any]) -> bool:
    return gatekinds.kind_of(gate) in gatekinds.TEST_KINDS


def entries(results: Iterable[Mapping[str, Any]], source: str) -> list[dict[str, Any]]:
    """One record per result of a test gate (results of `gates.run_gate`), made by `source`."""
    return [
        {"at": r.get("started_at"), "gate": r.get("name"), "command": r.get("command"), "source": source,
         "outcome": outcome(r), "exit_code": r.get("exit_code")}
        for r in results if r.get("kind") in gatekinds.TEST_KINDS
    ]


def outcome(result: Mapping[str, Any]) -> str:
    summary = result.get("summary") or {}
    if result.get("passed"):
        return "passed"
    if result.get("timed_out"):
        return "timed out"
    if result.get("error"):
        return "did not start"
    if summary.get("nothing") or summary.get("error"):
        return "ran nothing"  # no summary to read, or no test ran: nothing was seen failing
    return RED


def add(task: dict[str, Any], new: list[dict[str, Any]]) -> bool:
    """Append `new` to the task's `test_runs`, keeping the newest KEPT and its first red run since
    it started; False when there was nothing to add."""
    if not new:
        return False
    runs = [*(task.get("test_runs") or []), *new]
    red = first_red(task, runs)
    kept = runs[-KEPT:]
    if red is not None and red not in kept:
        kept = [red, *kept[1:]]
    task["test_runs"] = kept
    return True


def started_at(task: Mapping[str, Any]) -> str | None:
    """When the task was last started (its last move from queued to in_progress)."""
    history = task.get("history") or []
    starts = [h for h in history if h.get("from") == "queued" and h.get("to") == "in_progress"]
    return str(starts[-1].get("at")) if starts else None


def first_red(task: Mapping[str, Any], runs: list[dict[str, Any]] | None = None) -> dict[str, Any] | None:
    """The first red run of a test gate since the task started, if any."""
    since = parse_time(started_at(task))
    for run in task.get("test_runs") or [] if runs is None else runs:
        at = parse_time(run.get("at"))
        if run.get("outcome") == RED and at is not None and (since is None or at >= since):
            return run
    return None


def first_green_after(task: Mapping[str, Any], red: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The first passing run of a test gate after the red run `red`."""
    runs = task.get("test_runs") or []
    later = runs[runs.index(red) + 1:] if red in runs else []
    return next((run for run in later if run.get("outcome") == "passed"), None)


def required(config: Mapping[str, Any], task: Mapping[str, Any]) -> bool:
    """Whether the test-first rule holds for the task: the policy, or the task's own field."""
    return _policy(config) or _field(task)


def refusal(config: Mapping[str, Any], task: Mapping[str, Any], gates: list[dict[str, Any]]) -> str | None:
    """Why `orch done` may not complete the task under test first, with what to do; None if it may.

    A task with no test gate is refused under the policy; under its own field alone (a spec-kit
    phase's flag, in a plan that may carry no gates) there is nothing to check, and its report says so."""
    if not required(config, task) or first_red(task) is not None:
        return None
    tid = task["id"]
    if not any(is_test_gate(gate) for gate in gates):
        if not _policy(config):
            return None
        return (f"test first: {tid} has no test gate (kind pytest or unittest, or a command running "
                "pytest or python -m unittest): add one to its plan, then write a failing test")
    names = ", ".join(str(g.get("name")) for g in gates if is_test_gate(g))
    since = started_at(task) or "its start"
    return (f"test first: {tid}'s test gate ({names}) has not failed since the task started ({since}). "
            f"Write a test that fails for the missing behaviour, run `orch gate {tid}` to record it red, "
            f"then make it pass and run `orch done {tid}` again")


def _policy(config: Mapping[str, Any]) -> bool:
    policy = config.get("policy")
    return isinstance(policy, dict) and policy.get("test_first") is True


def _field(task: Mapping[str, Any]) -> bool:
    fields = task.get("fields")
    flag = fields.get("test_first") if isinstance(fields, dict) else None  # "true" from a native plan
    return flag is True or (isinstance(flag, str) and flag.strip().lower() in ("true", "yes"))


def parse_time(text: Any) -> datetime | None:
    """An ISO 8601 time from the state (`Z` allowed; no zone means UTC), or None when unreadable."""
    if not isinstance(text, str) or not text:
        return None
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
