"""Dependencies a task list's text states, and ids it repeats: both read leniently, as warnings.

The order a format implies comes first; then "depends on T012", "after T005" in a task's text add
edges. A reference to no task, or one that would close a cycle with that order, is dropped with a
warning naming the line, so a file that reads sensibly to a person still loads.
"""

from __future__ import annotations

from orchestrator.plans.drafts import ParsedPlan
from orchestrator.plans.prose import referenced_ids


def rename_duplicates(parsed: ParsedPlan, file: str) -> None:
    """Give a repeated id a new one (`T012-line-40`) and warn: a messy file still loads."""
    seen: dict[str, int] = {}
    for draft in parsed.drafts:
        task_id, line = draft.task["id"], draft.task["line"]
        if task_id in seen:
            draft.task["id"] = f"{task_id}-line-{line}"
            message = f"duplicate task id {task_id!r} (first at line {seen[task_id]}): this one is called "
            parsed.warn(file, line, "id", message + draft.task["id"])
        else:
            seen[task_id] = line


def add_references(parsed: ParsedPlan, file: str) -> None:
    """Add the edges a task's text names; an unknown id, or one that would close a cycle, is a warning."""
    graph = {draft.task["id"]: draft.task["depends_on"] for draft in parsed.drafts}
    for draft in parsed.drafts:
        task_id, line = draft.task["id"], draft.task["line"]
        for other in referenced_ids(f"{draft.task['title']}\n{draft.task['description']}"):
            if other not in graph:
                parsed.warn(file, line, "depends_on", f"{task_id} names {other}, which is no task here")
            elif other == task_id:
                parsed.warn(file, line, "depends_on", f"{task_id} names itself as a dependency: ignored")
            elif _reaches(graph, other, task_id):
                parsed.warn(file, line, "depends_on", f"{task_id} after {other} would close a cycle: ignored")
            elif other not in graph[task_id]:
                graph[task_id].append(other)


def _reaches(graph: dict[str, list[str]], start: str, goal: str) -> bool:
    """Whether `start` depends, directly or not, on `goal`."""
    stack, seen = [start], set()
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(graph.get(node, []))
    return False
