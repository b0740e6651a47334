"""What an importer does with a messy export instead of refusing it, each fix a warning.

Real Taskmaster and beads files hold a dependency on an item that is gone, a child with two
parents, a cycle: each is worked around here (the reference dropped, the first parent kept, the
edge that closes the cycle dropped) with a warning naming the item and saying what orch did;
`--strict` makes the first warning the error. Every pass is linear in items plus links.
"""

from __future__ import annotations

from orchestrator.graph import find_cycle
from orchestrator.hierarchy import inherit, with_child_edges
from orchestrator.plans.drafts import Draft, ParsedPlan

_MAX_CYCLES = 1000  # a file with more cycles than this is not worth loading edge by edge


def repair(parsed: ParsedPlan, file: str, external: frozenset[str]) -> None:
    """Drop unknown references, parent loops and cycles, in that order; children inherit their
    parents' dependencies and milestone before cycles are looked for (an inherited dependency can
    close one)."""
    by_id = {draft.task["id"]: draft for draft in parsed.drafts}
    for draft in parsed.drafts:
        _known_dependencies(draft, by_id, external, parsed, file)
        _known_parent(draft, by_id, parsed, file)
    _parent_loops(by_id, parsed, file)
    inherit([draft.task for draft in parsed.drafts])
    _break_cycles(by_id, parsed, file)


def _known_dependencies(draft: Draft, by_id: dict[str, Draft], external: frozenset[str],
                        parsed: ParsedPlan, file: str) -> None:
    task, kept = draft.task, []
    for dependency in dict.fromkeys(task["depends_on"]):
        if dependency == task["id"]:
            parsed.warn(file, task["line"], "depends_on", f"{task['id']} depends on itself: dropped")
        elif dependency in by_id or dependency in external:
            kept.append(dependency)
        else:
            parsed.warn(file, task["line"], "depends_on",
                        f"{task['id']} depends on {dependency}, which is not in the file: dependency dropped")
    task["depends_on"] = kept


def _known_parent(draft: Draft, by_id: dict[str, Draft], parsed: ParsedPlan, file: str) -> None:
    task = draft.task
    parent = task.get("parent")
    if parent is not None and (parent == task["id"] or parent not in by_id):
        why = "itself" if parent == task["id"] else f"{parent}, which is not in the file"
        message = f"{task['id']} has the parent {why}: loaded as a top-level task"
        parsed.warn(file, task["line"], "parent", message)
        task["parent"] = None


def _parent_loops(by_id: dict[str, Draft], parsed: ParsedPlan, file: str) -> None:
    """A chain of parents that comes back to itself is cut at the task where the walk found it."""
    settled: set[str] = set()
    for task_id in by_id:
        path: list[str] = []
        current: str | None = task_id
        while current is not None and current not in settled and current not in path:
            path.append(current)
            current = by_id[current].task.get("parent")
        if current is not None and current in path:
            task = by_id[path[-1]].task
            loop = " -> ".join([*path[path.index(current):], current])
            parsed.warn(file, task["line"], "parent",
                        f"parent loop {loop}: {task['id']} is loaded as a top-level task")
            task["parent"] = None
        settled.update(path)


def _break_cycles(by_id: dict[str, Draft], parsed: ParsedPlan, file: str) -> None:
    """Drop, for each dependency cycle (a parent waits for its children), the dependency that closes
    it: the last dependency edge of the cycle as `find_cycle` reports it."""
    for _attempt in range(_MAX_CYCLES):
        cycle = find_cycle(with_child_edges([draft.task for draft in by_id.values()]))
        if not cycle:
            return
        edges = [(a, b) for a, b in zip(cycle, cycle[1:], strict=False) if b in by_id[a].task["depends_on"]]
        if not edges:
            return  # only parent links: `_parent_loops` cut those, and the plan check names it
        task_id, dependency = edges[-1]
        task = by_id[task_id].task
        task["depends_on"] = [d for d in task["depends_on"] if d != dependency]
        parsed.warn(file, task["line"], "depends_on", f"cycle {' -> '.join(cycle)}: the dependency of "
                                                      f"{task_id} on {dependency} is dropped")
    parsed.warn(file, None, "depends_on", f"more than {_MAX_CYCLES} dependency cycles: the rest are kept")
