"""The faster ready list (`graph.ready_tasks`, `schedule._chains`) gives exactly the answer of the
walk it replaced, on random 2,000-task graphs: every strategy, with and without a mix, in plan
order and shuffled, with cycles, missing and finished dependencies, parents and repeated ids."""

from __future__ import annotations

import random
from typing import Any

import pytest

from orchestrator import graph, schedule
from orchestrator.schedule import STRATEGIES, Schedule

Task = dict[str, Any]
_FINISHED = frozenset({"completed", "cancelled"})


def _old_chains(tasks: list[Task], by_hours: bool) -> dict[str, float]:
    """The walk `schedule._chains` was before (commit 4d6c6f2), kept as `schedule._walked_chains`
    for plans out of order (the existing schedule tests hold it to the old results)."""
    deps = {task["id"]: task.get("depends_on") or () for task in tasks if task.get("status") not in _FINISHED}
    own = {task["id"]: schedule._weight(task) for task in tasks if task["id"] in deps} if by_hours else None
    return schedule._walked_chains(deps, own, 0.0 if by_hours else 1.0)


def _old_ready(tasks: list[Task], order: Schedule, monkeypatch: pytest.MonkeyPatch) -> list[Task]:
    """`graph.ready_tasks` as it was: `all(...)` over the dependencies, the old chains."""
    status = {task["id"]: task["status"] for task in tasks}
    parents = {parent for task in tasks if (parent := task.get("parent"))}
    ready = [task for task in tasks if task["status"] == "queued" and task["id"] not in parents
             and all(status.get(d) == "completed" for d in task.get("depends_on") or ())]
    with monkeypatch.context() as patch:
        patch.setattr(schedule, "_chains", _old_chains)
        return order.arrange(ready, order.keys(tasks, {task["id"] for task in ready}))


def _plan(rng: random.Random, size: int, cycles: bool) -> list[Task]:
    statuses = ["queued"] * 6 + ["completed"] * 3 + ["in_progress", "cancelled", "blocked"]
    tasks = []
    for k in range(size):
        earlier = [f"t{j}" for j in rng.sample(range(k), min(k, rng.choice([0, 0, 1, 2, 3])))]
        if cycles and rng.random() < 0.01:
            earlier.append(f"t{rng.randrange(size)}")  # later in the plan: maybe a cycle
        if rng.random() < 0.01:
            earlier.append("missing")
        tasks.append({"id": f"t{k}", "status": rng.choice(statuses), "depends_on": earlier,
                      "priority": rng.choice(["critical", "high", "medium", "low", None]),
                      "estimate": rng.choice([None, 0.5, 1, 2.0, 8.0, 13.5]),
                      "due": rng.choice([None, "", "2026-01-10", "2026-03-01"]),
                      "category": rng.choice([None, "feature", "Bug", "chore"]),
                      "parent": f"t{rng.randrange(size)}" if rng.random() < 0.02 else None})
    if cycles:
        tasks.append(dict(tasks[5], status="queued"))  # a repeated id: the last one counts
    return tasks


@pytest.mark.parametrize("cycles", [False, True])
@pytest.mark.parametrize("shuffled", [False, True])
def test_the_ready_list_is_the_one_the_old_walk_gave(
    cycles: bool, shuffled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(11 + cycles + 2 * shuffled)
    tasks = _plan(rng, 2000, cycles)
    if shuffled:
        rng.shuffle(tasks)
    for strategy in STRATEGIES:
        for mix in (None, {"feature": 2, "bug": 1}, {"chore": 1, "*": 0}):
            order = Schedule(strategy, mix)
            old = [t["id"] for t in _old_ready(tasks, order, monkeypatch)]
            assert [t["id"] for t in graph.ready_tasks(tasks, order)] == old, (strategy, mix)
            assert len(old) > 50
    for by_hours in (False, True):
        assert schedule._chains(tasks, by_hours) == _old_chains(tasks, by_hours)
