"""The order of ready work: a scheduling strategy, a leveling mix by category, WIP limits by category.

`schedule.strategy` picks the sort key of ready tasks (`STRATEGIES`); `schedule.mix` (heijunka)
interleaves the categories of the sorted work in proportion, `{"feature": 2, "bug": 1}` giving
feature, feature, bug, feature, feature, bug... while each has work, every category the mix does not
name (and a task without one) sharing one more lane of weight `mix["*"]` (1 unless given; 0 means
only when the named lanes are empty); `schedule.wip` caps the tasks of a category active at once.

Standard library only: the SessionStart briefing orders "Ready next" with it. The keys are computed
once per call, in time linear in tasks plus dependencies (the remaining chains by one walk from the
ends of the graph), never per task.
"""

from __future__ import annotations

import heapq

TYPE_CHECKING = False  # typing costs milliseconds to import: types only
if TYPE_CHECKING:
    from collections.abc import Container, Iterator
    from typing import Any, TypeAlias

Task: TypeAlias = "dict[str, Any]"
Key: TypeAlias = "tuple[Any, ...]"

STRATEGIES = ("priority", "fifo", "shortest", "deadline", "critical-path")
DEFAULT = "priority"
PRIORITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}
ACTIVE = frozenset({"in_progress", "review", "testing"})
OTHER = "*"  # the mix's lane for every category it does not name
_FINISHED = frozenset({"completed", "cancelled"})
_CHAINED = ("priority", "critical-path")  # the strategies that need the remaining chains


class Schedule:
    """A strategy, a leveling mix ({category: weight}) and WIP limits ({category: tasks})."""

    __slots__ = ("strategy", "mix", "wip")

    def __init__(self, strategy: str = DEFAULT, mix: dict[str, int] | None = None,
                 wip: dict[str, int] | None = None) -> None:
        self.strategy = strategy if strategy in STRATEGIES else DEFAULT
        self.mix = {category_key(name): weight for name, weight in (mix or {}).items()}
        self.wip = {category_key(name): limit for name, limit in (wip or {}).items()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Schedule:
        """The config's `schedule` table; a value broken by a hand edit falls back to its default
        (the hooks read the file without its schema; the next `orch config KEY VALUE` names it)."""
        table = config.get("schedule")
        table = table if isinstance(table, dict) else {}
        strategy = table.get("strategy")
        return cls(strategy if isinstance(strategy, str) else DEFAULT,
                   _counts(table.get("mix")), _counts(table.get("wip")))

    def keys(self, tasks: list[Task], among: Container[str] | None = None) -> dict[str, Key]:
        """The sort key of every task (or of those `among`), smaller first; the list order of
        `tasks` is the plan order."""
        chains = _chains(tasks, self.strategy == "critical-path") if self.strategy in _CHAINED else {}
        make = _KEYS[self.strategy]
        return {task["id"]: make(task, position, chains.get(task["id"], 0))
                for position, task in enumerate(tasks) if among is None or task["id"] in among}

    def arrange(self, ready: list[Task], keys: dict[str, Key]) -> list[Task]:
        """`ready` best first: by `keys`, then interleaved by the mix."""
        ranked = sorted(ready, key=lambda task: keys[task["id"]])
        if not self.mix:
            return ranked
        lanes = Lanes(self.mix, keys)
        for task in ranked:
            lanes.push(task)
        return list(lanes.drain())

    def room(self, tasks: list[Task]) -> dict[str, int]:
        """How many more tasks of each WIP-limited category may become active now."""
        active: dict[str, int] = {}
        for task in tasks:
            if task.get("status") in ACTIVE:
                category = category_key(task.get("category"))
                active[category] = active.get(category, 0) + 1
        return {category: max(0, limit - active.get(category, 0)) for category, limit in self.wip.items()}


class Lanes:
    """Tasks queued by category lane, each lane best first; `pop` serves the lanes in the mix's
    proportion: the lane whose share after one more task would stay smallest (ties by mix order)."""

    def __init__(self, mix: dict[str, int], keys: dict[str, Key]) -> None:
        self._keys = keys
        weights = dict(mix)
        weights.setdefault(OTHER, 1)
        self._order = {lane: k for k, lane in enumerate(weights)}
        self._weights = weights
        self._heaps: dict[str, list[tuple[Key, str, Task]]] = {lane: [] for lane in weights}
        self._taken = {lane: 0 for lane in weights}

    def __bool__(self) -> bool:
        return any(self._heaps.values())

    def lane(self, task: Task) -> str:
        category = category_key(task.get("category"))
        return category if category in self._weights and category != OTHER else OTHER

    def push(self, task: Task) -> None:
        heapq.heappush(self._heaps[self.lane(task)], (self._keys[task["id"]], task["id"], task))

    def pop(self) -> Task:
        """The head of the lane due next (ValueError when every lane is empty)."""
        lane = min((lane for lane, heap in self._heaps.items() if heap), key=self._due)
        return heapq.heappop(self._heaps[lane])[2]

    def take(self, task: Task) -> None:
        """Count `task` as scheduled in its lane (a task popped but passed over is not)."""
        self._taken[self.lane(task)] += 1

    def drain(self) -> Iterator[Task]:
        while self:
            task = self.pop()
            self.take(task)
            yield task

    def _due(self, lane: str) -> tuple[float, int]:
        weight = self._weights[lane]
        share = (self._taken[lane] + 1) / weight if weight > 0 else float("inf")
        return share, self._order[lane]


def category_key(value: Any) -> str:
    """A category as the mix and the WIP limits match it: lower-case, single spaces ("" if none)."""
    return " ".join(value.lower().split()) if isinstance(value, str) else ""


def priority_key(task: Task, position: int, chain: float = 0) -> Key:
    """Priority, then the longer chain of open dependants, then smaller estimate (none last), then
    plan order."""
    estimate = task.get("estimate")
    return (_rank(task), -chain, estimate is None, float(estimate or 0.0), position, task["id"])


def _fifo_key(task: Task, position: int, chain: float) -> Key:
    return (position, task["id"])


def _shortest_key(task: Task, position: int, chain: float) -> Key:
    estimate = task.get("estimate")
    return (estimate is None, float(estimate or 0.0), _rank(task), position, task["id"])


def _deadline_key(task: Task, position: int, chain: float) -> Key:
    due = task.get("due")
    dated = isinstance(due, str) and bool(due)
    return (not dated, due if dated else "", _rank(task), position, task["id"])


def _critical_key(task: Task, position: int, chain: float) -> Key:
    return (-chain, _rank(task), position, task["id"])


_KEYS = {"priority": priority_key, "fifo": _fifo_key, "shortest": _shortest_key,
         "deadline": _deadline_key, "critical-path": _critical_key}


def _rank(task: Task) -> int:
    return PRIORITY_RANK.get(task.get("priority", ""), len(PRIORITY_RANK))


def _chains(tasks: list[Task], by_hours: bool) -> dict[str, float]:
    """For each open task, the longest chain of open tasks that depend on it, even through others:
    counted in tasks, or (`by_hours`) in estimated hours with the task's own included (no estimate:
    1 h); a task in a cycle is left out (0). When the plan order puts every open task after its
    open dependencies (the usual plan) one pass from its end does; else a walk from the tasks
    nothing open depends on (`_walked_chains`), the same lengths at about three times the cost."""
    deps = {task["id"]: task.get("depends_on") or () for task in tasks if task.get("status") not in _FINISHED}
    own = {task["id"]: _weight(task) for task in tasks if task["id"] in deps} if by_hours else None
    index = {tid: k for k, tid in enumerate(deps)}
    weights = [own[tid] for tid in deps] if own is not None else None
    below = [0.0] * len(deps)  # the longest chain above each task; its own chain once it is done
    step, get = 0.0 if by_hours else 1.0, index.get
    for k, found in zip(range(len(deps) - 1, -1, -1), reversed(deps.values()), strict=True):
        if weights is not None:  # every task after k is done: nothing adds to below[k] any more
            below[k] += weights[k]
        longer = below[k] + step
        for dep in found:
            j = get(dep, -1)
            if j >= k:  # a dependency later in the plan (or itself): walk the graph instead
                return _walked_chains(deps, own, step)
            if j >= 0 and longer > below[j]:
                below[j] = longer
    return dict(zip(deps, below, strict=True))


def _walked_chains(deps: dict[str, Any], own: dict[str, float] | None, step: float) -> dict[str, float]:
    """`_chains` by one walk from the tasks nothing open depends on, in any plan order."""
    users = dict.fromkeys(deps, 0)
    for found in deps.values():
        for dep in found:
            if dep in users:
                users[dep] += 1
    below = dict.fromkeys(deps, 0.0)
    chain: dict[str, float] = {}
    todo = [tid for tid, count in users.items() if count == 0]
    while todo:
        tid = todo.pop()
        length = chain[tid] = below[tid] + (own[tid] if own is not None else 0.0)
        for dep in deps[tid]:
            if dep in users:
                if length + step > below[dep]:
                    below[dep] = length + step
                users[dep] -= 1
                if users[dep] == 0:
                    todo.append(dep)
    return chain


def _weight(task: Task) -> float:
    estimate = task.get("estimate")
    return 1.0 if estimate is None else max(0.0, float(estimate))


def _counts(value: Any) -> dict[str, int]:
    """The {name: whole number >= 0} entries of a config table (others dropped)."""
    if not isinstance(value, dict):
        return {}
    return {str(name): count for name, count in value.items()
            if isinstance(count, int) and not isinstance(count, bool) and count >= 0}
