"""Human renderings of the read views (the `--json` forms are the views themselves)."""

from __future__ import annotations

from typing import Any

from orchestrator import terminal
from orchestrator.lifecycle import STATUSES

MATRIX_STATUSES = ("queued", "in_progress", "review", "testing", "blocked", "completed", "cancelled")


def status_text(view: dict[str, Any]) -> str:
    tasks = view["tasks"]
    done = view["counts"].get("completed", 0)
    title = view["plan"].get("title") or "plan"
    head = f"{terminal.paint(title, 'bold')}  {terminal.progress_bar(done, len(tasks))}  {done}/{len(tasks)} completed"
    return "\n\n".join([head, completion_matrix(tasks), task_table(tasks)])


def completion_matrix(tasks: list[dict[str, Any]]) -> str:
    """Rows: plan/milestone; columns: statuses; cells: task counts."""
    groups: dict[str, dict[str, int]] = {}
    for task in tasks:
        key = f"{task['plan']}/{task.get('milestone') or '-'}"
        groups.setdefault(key, {s: 0 for s in STATUSES})[task["status"]] += 1
    header = ["MILESTONE", *MATRIX_STATUSES, "DONE"]
    rows, tints = [], []
    for key, counts in groups.items():
        total = sum(counts.values())
        pct = f"{100 * counts['completed'] // total}%" if total else "-"
        rows.append([key, *[str(counts[s] or ".") for s in MATRIX_STATUSES], pct])
        tints.append(["", *[terminal.STATUS_COLOURS[s] if counts[s] else "dim" for s in MATRIX_STATUSES],
                      "bold"])
    return terminal.table(header, rows, tints)


def task_table(tasks: list[dict[str, Any]]) -> str:
    header = ["ID", "STATUS", "PRIORITY", "SPECIALIST", "DEPENDS ON", "BOUND TO", "TITLE"]
    rows, tints = [], []
    for task in tasks:
        rows.append([task["id"], task["status"], task["priority"], task.get("specialist") or "-",
                     ", ".join(task["depends_on"]) or "-", _short(task["bound_to"]), task["title"]])
        tints.append(["bold", terminal.STATUS_COLOURS.get(task["status"], ""),
                      terminal.PRIORITY_COLOURS.get(task["priority"], ""), "", "dim", "", ""])
    return terminal.table(header, rows, tints)


def next_text(view: dict[str, Any]) -> str:
    if not view["ready"]:
        return "Nothing is ready: every queued task waits on unfinished dependencies (see `orch status`)."
    rows = [[t["id"], t["priority"], t.get("specialist") or "-", _hours(t.get("estimate")), t["title"]]
            for t in view["ready"]]
    text = "Ready now, in order:\n" + terminal.table(["ID", "PRIORITY", "SPECIALIST", "ESTIMATE", "TITLE"], rows)
    if "wave" in view:
        wave = ", ".join(view["wave"]) or "(none)"
        text += f"\n\nParallel wave (independent, disjoint files): {terminal.paint(wave, 'bold')}"
    return text


def plan_text(plan: dict[str, Any], tasks: list[dict[str, Any]], critical: tuple[list[str], float]) -> str:
    lines = [f"{terminal.paint(plan['title'], 'bold')} (plan {plan['id']}, {len(tasks)} tasks)"]
    for task in tasks:
        deps = f" <- {', '.join(task['depends_on'])}" if task["depends_on"] else ""
        lines.append(f"  {task['id']:<12} {terminal.status(task['status']):<11} {task['title']}{deps}")
    path, hours = critical
    if path:
        lines.append(f"\nCritical path ({hours:g}h): {' -> '.join(path)}")
    return "\n".join(lines)


def task_text(task: dict[str, Any]) -> str:
    lines = [f"{terminal.paint(task['id'], 'bold')}: {task['title']}  [{terminal.status(task['status'])}]"]
    for key in ("priority", "specialist", "milestone", "estimate"):
        if task.get(key) is not None:
            lines.append(f"  {key}: {task[key]}")
    if task.get("depends_on"):
        lines.append(f"  depends on: {', '.join(task['depends_on'])}")
    if task.get("files"):
        lines.append(f"  files: {', '.join(task['files'])}")
    if task.get("acceptance"):
        lines.append("  acceptance:")
        lines.extend(f"    - [ ] {item}" for item in task["acceptance"])
    return "\n".join(lines)


def _short(holder: str | None) -> str:
    if not holder:
        return "-"
    return holder if len(holder) <= 14 else holder[:12] + "…"


def _hours(value: float | None) -> str:
    return f"{value:g}h" if value is not None else "-"
