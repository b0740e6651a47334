"""Flow metrics of a plan's tasks, from their recorded history alone (pure: no clock, no I/O).

Per task: the time spent in each open status, cycle time (first start to completion), lead time
(added to completion), gate runs and passes, and rework (how many times an andon stopped it).
In aggregate: median and mean cycle and lead time over the completed tasks, total rework, and
each gate's pass rate. A time is only measured between two recorded moves: the clock is never
read, so the time a task has spent in its current status so far is not counted, and a task never
started or not completed has no cycle or lead time (`-`)."""

from __future__ import annotations

import statistics
from datetime import datetime
from typing import Any

from orchestrator.testruns import parse_time

OPEN_STATUSES = ("queued", "in_progress", "review", "testing", "blocked")


def duration_text(seconds: float | None) -> str:
    """`2d 3h`, `2h 05m`, `12m`, `40s`, or `-` when there is nothing to measure."""
    if seconds is None:
        return "-"
    whole = int(round(seconds))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m" if minutes else f"{secs}s"


def task_metrics(task: dict[str, Any]) -> dict[str, Any]:
    """One task's row: seconds per open status, cycle and lead time, gate runs, rework."""
    moves = _moves(task.get("history") or [])
    runs = [gate for run in task.get("gate_results") or [] for gate in run if isinstance(gate, dict)]
    return {"task": task, "in_status": time_in_status(moves), "cycle": cycle_time(moves),
            "lead": lead_time(moves), "gate_runs": len(task.get("gate_results") or []),
            "gates_passed": sum(bool(gate.get("passed")) for gate in runs), "gates": len(runs),
            "rework": rework(task)}


def time_in_status(moves: list[tuple[datetime, str]]) -> dict[str, float]:
    """Seconds spent in each status, summed over every closed stay (move in, next move out)."""
    spent: dict[str, float] = {}
    for (at, status), (left, _) in zip(moves, moves[1:], strict=False):
        spent[status] = spent.get(status, 0.0) + max((left - at).total_seconds(), 0.0)
    return spent


def cycle_time(moves: list[tuple[datetime, str]]) -> float | None:
    """First move to `in_progress` to the last move to `completed`; None unless both happened."""
    started = next((at for at, status in moves if status == "in_progress"), None)
    return _between(started, _completed_at(moves))


def lead_time(moves: list[tuple[datetime, str]]) -> float | None:
    """The first recorded move (the task was added) to the last move to `completed`."""
    return _between(moves[0][0] if moves else None, _completed_at(moves))


def rework(task: dict[str, Any]) -> int:
    """Andons pulled on the task: the resolved ones and the open one."""
    resolved = [record for record in task.get("andons") or [] if isinstance(record, dict)]
    still_open = isinstance(task.get("andon"), dict) and task.get("status") == "blocked"
    return len(resolved) + int(still_open)


def aggregate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Median and mean cycle and lead time (over the tasks that have one), total rework, gates."""
    cycles = [row["cycle"] for row in rows if row["cycle"] is not None]
    leads = [row["lead"] for row in rows if row["lead"] is not None]
    return {"measured": len(leads), "cycle": _centre(cycles), "lead": _centre(leads),
            "rework": sum(row["rework"] for row in rows),
            "reworked": sum(row["rework"] > 0 for row in rows)}


def gate_stats(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per gate name (sorted): runs, passes, pass rate in percent, total and mean duration."""
    found: dict[str, list[dict[str, Any]]] = {}
    for task in tasks:
        for run in task.get("gate_results") or []:
            for gate in (g for g in run if isinstance(g, dict)):
                found.setdefault(str(gate.get("name") or "?"), []).append(gate)
    return [_gate_row(name, gates) for name, gates in sorted(found.items())]


def burn_up(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Points in time order: at each moment a task was added, cancelled or completed, how many
    tasks were completed by then and how many were in scope (added and not cancelled)."""
    scope: dict[datetime, int] = {}
    for moves, task in ((_moves(t.get("history") or []), t) for t in tasks):
        if not moves:
            continue
        scope[moves[0][0]] = scope.get(moves[0][0], 0) + 1
        cancelled = next((at for at, status in reversed(moves) if status == "cancelled"), None)
        if task.get("status") == "cancelled" and cancelled is not None:
            scope[cancelled] = scope.get(cancelled, 0) - 1
    finished = sorted(at for at in (_final_completion(task) for task in tasks) if at is not None)
    points, total = [], 0
    for at in sorted({*scope, *finished}):
        total += scope.get(at, 0)
        points.append({"at": at, "completed": sum(done <= at for done in finished), "scope": total})
    return points


def _final_completion(task: dict[str, Any]) -> datetime | None:
    """When a task that is completed now last completed (a reopened one counts once, if done)."""
    return _completed_at(_moves(task.get("history") or [])) if task.get("status") == "completed" else None


def _moves(history: list[dict[str, Any]]) -> list[tuple[datetime, str]]:
    """(time, status entered) for each recorded move with a readable time, in recorded order."""
    found = [(parse_time(entry.get("at")), entry.get("to")) for entry in history if isinstance(entry, dict)]
    return [(at, str(status)) for at, status in found if at is not None and status]


def _completed_at(moves: list[tuple[datetime, str]]) -> datetime | None:
    return next((at for at, status in reversed(moves) if status == "completed"), None)


def _between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    seconds = (end - start).total_seconds()
    return seconds if seconds >= 0 else None


def _centre(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "mean": None}
    return {"median": statistics.median(values), "mean": statistics.fmean(values)}


def _gate_row(name: str, gates: list[dict[str, Any]]) -> dict[str, Any]:
    passed = sum(bool(gate.get("passed")) for gate in gates)
    durations = [float(d) for d in (gate.get("duration") for gate in gates) if isinstance(d, int | float)]
    return {"name": name, "runs": len(gates), "passed": passed, "rate": 100 * passed // len(gates),
            "total": sum(durations), "mean": statistics.fmean(durations) if durations else None}


def plan_metrics(tasks: list[dict[str, Any]]) -> dict[str, Any]:
    """Everything the plan summary's Metrics section shows, for `tasks` in plan order."""
    rows = [task_metrics(task) for task in tasks]
    return {"statuses": OPEN_STATUSES, "rows": rows, "aggregate": aggregate(rows), "gates": gate_stats(tasks),
            "burn_up": burn_up(tasks)}
