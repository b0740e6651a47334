"""Mermaid diagrams (pure): the dependency graph, nodes coloured by status, and the burn-up chart."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

CLASS_STYLES = {
    "completed": "fill:#c8e6c9,stroke:#2e7d32",
    "in_progress": "fill:#fff59d,stroke:#f9a825",
    "review": "fill:#b3e5fc,stroke:#0277bd",
    "testing": "fill:#b3e5fc,stroke:#0277bd",
    "blocked": "fill:#ffcdd2,stroke:#c62828",
    "cancelled": "fill:#eeeeee,stroke:#9e9e9e",
    "queued": "fill:#ffffff,stroke:#607d8b",
}


def dependency_graph(tasks: list[dict[str, Any]], critical: list[str] | None = None) -> str:
    """`flowchart TD` with one node per task (label: id, title, status) and an edge per dependency.

    Node ids are generated (`t0`, `t1`, ...) because task ids may hold characters Mermaid rejects."""
    node = {task["id"]: f"t{index}" for index, task in enumerate(tasks)}
    lines = ["flowchart TD"]
    for task in tasks:
        label = _label(f"{task['id']}: {task['title']} ({task['status']})")
        lines.append(f'    {node[task["id"]]}["{label}"]:::{task["status"]}')
    for task in tasks:
        for dep in task.get("depends_on", []):
            if dep in node:
                arrow = "==>" if critical and dep in critical and task["id"] in critical else "-->"
                lines.append(f"    {node[dep]} {arrow} {node[task['id']]}")
    lines.extend(f"    classDef {status} {style}" for status, style in CLASS_STYLES.items())
    return "\n".join(lines) + "\n"


def _label(text: str) -> str:
    """Mermaid labels in double quotes: replace the characters that end or break them."""
    return text.replace('"', "#quot;").replace("\n", " ").replace("[", "(").replace("]", ")")


BURN_UP_INIT = '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#607d8b, #2e7d32"}}}}%%'
"""Scope in the graph's queued stroke, completed in its completed stroke."""


def burn_up_chart(points: list[dict[str, Any]]) -> str | None:
    """`xychart-beta` of `metrics.burn_up` points: a scope line over a completed line, one x label
    per minute (UTC) in which something changed; None when no task has a recorded move."""
    by_label = {_time_label(point["at"]): point for point in points}  # the minute's last point wins
    if not by_label:
        return None
    shown = list(by_label.values())
    top = max(max(p["scope"], p["completed"]) for p in shown) or 1
    labels = ", ".join(f'"{label}"' for label in by_label)
    return "\n".join([BURN_UP_INIT, "xychart-beta", '    title "Tasks completed over time"',
                      f"    x-axis [{labels}]", f'    y-axis "Tasks" 0 --> {top}',
                      _line([p["scope"] for p in shown]), _line([p["completed"] for p in shown])]) + "\n"


def _line(values: list[int]) -> str:
    return f"    line [{', '.join(map(str, values))}]"


def _time_label(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
