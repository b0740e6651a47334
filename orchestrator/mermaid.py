"""A Mermaid flowchart of the dependency graph, nodes coloured by status (pure)."""

from __future__ import annotations

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
