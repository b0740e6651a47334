"""Flow metrics (`orchestrator.metrics`) and the burn-up chart (`mermaid.burn_up_chart`): times come
from the recorded history only, and tasks never started or never completed have no cycle or lead time.
The plan summary's golden file (`test_reports.py`) shows both sections as a user sees them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator import mermaid, metrics, reports
from tests.unit.test_reports import build_store, gate_result, mermaid_parse, moved, task


def done_task(task_id: str, *moves: tuple[str, str | None, str], **fields: Any) -> dict[str, Any]:
    history = [moved(at, "user:dana", start, end) for at, start, end in moves]
    return task(task_id, task_id.title(), "p", 0, history=history, **fields)


REOPENED = done_task("reopened", ("2025-03-03T09:00:00Z", None, "queued"),
                     ("2025-03-03T10:00:00Z", "queued", "in_progress"),
                     ("2025-03-03T11:00:00Z", "in_progress", "completed"),
                     ("2025-03-03T11:30:00Z", "completed", "in_progress"),
                     ("2025-03-03T12:00:00Z", "in_progress", "blocked"),
                     ("2025-03-03T12:15:00Z", "blocked", "in_progress"),
                     ("2025-03-03T13:00:00Z", "in_progress", "completed"), status="completed")


def test_time_in_status_sums_every_closed_stay_and_never_the_current_one() -> None:
    row = metrics.task_metrics(REOPENED)
    assert row["in_status"] == {"queued": 3600.0, "in_progress": 3600.0 + 1800.0 + 2700.0,
                                "completed": 1800.0, "blocked": 900.0}
    assert (row["cycle"], row["lead"]) == (3 * 3600.0, 4 * 3600.0)  # first start, last completion


def test_a_task_never_started_or_not_completed_has_no_cycle_or_lead_time() -> None:
    queued = done_task("queued", ("2025-03-03T09:00:00Z", None, "queued"))
    started = done_task("started", ("2025-03-03T09:00:00Z", None, "queued"),
                        ("2025-03-03T09:30:00Z", "queued", "in_progress"), status="in_progress")
    skipped = done_task("skipped", ("2025-03-03T09:00:00Z", None, "queued"),
                        ("2025-03-03T09:30:00Z", "queued", "completed"), status="completed")
    bare = task("bare", "Bare", "p", 0, history=[])
    rows = [metrics.task_metrics(t) for t in (queued, started, skipped, bare)]
    assert [(r["cycle"], r["lead"]) for r in rows] == [(None, None), (None, None), (None, 1800.0),
                                                       (None, None)]
    assert rows[0]["in_status"] == {} and rows[1]["in_status"] == {"queued": 1800.0}
    assert metrics.aggregate(rows)["cycle"] == {"median": None, "mean": None}


def test_unreadable_times_are_skipped_not_fatal() -> None:
    broken = done_task("broken", ("not a time", None, "queued"),
                       ("2025-03-03T09:00:00", "queued", "in_progress"),
                       ("2025-03-03T10:00:00+00:00", "in_progress", "completed"), status="completed")
    assert metrics.task_metrics(broken)["cycle"] == 3600.0  # a time without a zone is UTC


def test_rework_counts_resolved_andons_and_the_open_one() -> None:
    andon = {"gate": "tests", "at": "2025-03-03T10:00:00Z"}
    assert metrics.rework(task("a", "A", "p", 0, status="blocked", andons=[andon, andon], andon=andon)) == 3
    assert metrics.rework(task("a", "A", "p", 0, status="in_progress", andon=andon)) == 0
    rows = [metrics.task_metrics(task("a", "A", "p", 0, andons=[andon])), metrics.task_metrics(REOPENED)]
    assert metrics.aggregate(rows)["rework"] == 1 and metrics.aggregate(rows)["reworked"] == 1


def test_aggregate_gives_median_and_mean_over_the_measured_tasks() -> None:
    rows = [{"cycle": c, "lead": c and c * 2, "rework": 0} for c in (3600.0, 7200.0, 18000.0, None)]
    found = metrics.aggregate(rows)
    assert found["cycle"] == {"median": 7200.0, "mean": 9600.0} and found["measured"] == 3


def test_gate_stats_give_each_gate_its_pass_rate_and_durations() -> None:
    def run(name: str, passed: bool, duration: float) -> dict[str, Any]:
        return gate_result(name, "x", "cmd", passed=passed, exit_code=0, duration=duration,
                           started_at="2025-03-03T09:00:00Z", tail="")
    tasks = [task("a", "A", "p", 0, gate_results=[[run("tests", False, 1.0), run("lint", True, 0.5)],
                                                  [run("tests", True, 3.0), run("lint", True, 0.5)]]),
             task("b", "B", "p", 1, gate_results=[[run("tests", False, 2.0)]])]
    assert [(g["name"], g["runs"], g["passed"], g["rate"], g["total"], g["mean"])
            for g in metrics.gate_stats(tasks)] == [("lint", 2, 2, 100, 1.0, 0.5),
                                                    ("tests", 3, 1, 33, 6.0, 2.0)]


def test_burn_up_counts_completions_against_a_scope_that_cancelling_shrinks() -> None:
    added_late = done_task("late", ("2025-03-03T12:00:00Z", None, "queued"))
    cancelled = done_task("gone", ("2025-03-03T09:00:00Z", None, "queued"),
                          ("2025-03-03T10:30:00Z", "queued", "cancelled"), status="cancelled")
    points = metrics.burn_up([REOPENED, added_late, cancelled])
    assert [(p["at"].strftime("%H:%M"), p["scope"], p["completed"]) for p in points] == [
        ("09:00", 2, 0), ("10:30", 1, 0), ("12:00", 2, 0), ("13:00", 2, 1)]  # reopened: its last completion


@pytest.mark.parametrize(("seconds", "text"), [(None, "-"), (40.4, "40s"), (720, "12m"), (7500, "2h 05m"),
                                               (3 * 86400 + 7200, "3d 2h")])
def test_duration_text(seconds: float | None, text: str) -> None:
    assert metrics.duration_text(seconds) == text


def test_burn_up_chart_keeps_one_point_per_minute_and_parses_with_mermaid() -> None:
    points = metrics.burn_up([REOPENED, done_task("same", ("2025-03-03T09:00:30Z", None, "queued"))])
    chart = mermaid.burn_up_chart(points)
    assert chart is not None and '"2025-03-03 09:00", "2025-03-03 11:00"' not in chart
    assert chart.count('"2025-03-03 09:00"') == 1
    assert "    line [2, 2]" in chart and "    line [0, 1]" in chart
    result = mermaid_parse(chart)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == {"ok": True, "diagramType": "xychart"}


def test_plan_summary_burn_up_parses_with_mermaid(tmp_path: Path) -> None:
    store = build_store(tmp_path / "repo")
    chart = reports.plan_context(store, "auth")["burn_up"]
    result = mermaid_parse(chart)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_plan_without_recorded_moves_says_so_instead_of_drawing(tmp_path: Path) -> None:
    assert mermaid.burn_up_chart(metrics.burn_up([task("a", "A", "p", 0, history=[])])) is None
    store = build_store(tmp_path / "repo")
    store.save_task({**store.task("ci"), "history": []})
    for one in ("monitoring", "deploy"):
        store.save_task({**store.task(one), "history": []})
    text = reports.write_plan_report(store, "ops").read_text()
    assert "No task has a recorded move yet." in text and "xychart-beta" not in text
    assert "No gate has run yet." in text and "Completed tasks measured: 0 of 3." in text


def test_plan_summary_counts_the_andons_of_a_stopped_task_as_rework(tmp_path: Path) -> None:
    store = build_store(tmp_path / "repo")
    tokens = store.task("tokens")
    andon = {"gate": "token-tests", "why": "exit code 1", "at": "2025-03-03T15:02:14Z"}
    tokens.update(status="blocked", andon=andon, andons=[{**andon, "resolved_at": "2025-03-03T14:00:00Z"}],
                  history=[*tokens["history"],
                           moved("2025-03-03T15:02:14Z", "agent:a", "in_progress", "blocked", "andon")])
    store.save_task(tokens)
    text = reports.write_plan_report(store, "auth").read_text()
    assert "| tokens: Token service | blocked | 4h 05m | 1h 57m | - | - | - | - | - | 1 | 1/2 | 2 |" in text
    assert "- Rework: 2 andon(s) on 1 task(s)." in text
