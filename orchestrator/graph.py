"""The task graph: ready work, cycles, order, parallel waves and the critical path.

Pure functions over tasks as plain dicts (the normalised JSON form) with at least "id", "status",
"priority", "depends_on", "files" and "estimate" ("due" and "category" where the schedule uses
them); the list order is the plan order. Ready work is ordered by a `schedule.Schedule` (the
default strategy when none is given). Standard library only, and importing it loads nothing but
`heapq`, `globs` and `schedule`, so the hooks' fast path may import it. Every walk is iterative
and about linear in tasks plus dependencies: 10,000 tasks take milliseconds and never reach the
recursion limit.

A task depends on the ids in its "depends_on". A dependency naming a task that is not in the
list counts as unfinished; cycles, orders and paths only follow edges between tasks of the list.
"""

from __future__ import annotations

import heapq

from orchestrator.globs import split
from orchestrator.schedule import PRIORITY_RANK, Key, Lanes, Schedule, category_key, priority_key

TYPE_CHECKING = False  # typing and collections.abc cost milliseconds to import: types only
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any, TypeAlias, TypeVar

    _R = TypeVar("_R")

Task: TypeAlias = "dict[str, Any]"
OrderKey: TypeAlias = "Key"
_Edges: TypeAlias = "dict[str, list[str]]"
_CharSet: TypeAlias = "tuple[bool, tuple[tuple[str, str], ...]]"

__all__ = ["PRIORITY_RANK", "Schedule"]
_DEFAULT = Schedule()
_FINISHED = frozenset({"completed", "cancelled"})
_SCAN_LIMIT = 32  # a wave stops looking once it has passed over this many ready tasks
_MEMO_SIZE = 65536


def order_key(task: Task, position: int) -> OrderKey:
    """The default strategy's sort key of a task with no open dependants: priority, then smaller
    estimate (none last), then plan order."""
    return priority_key(task, position)


def ready_tasks(tasks: list[Task], schedule: Schedule | None = None) -> list[Task]:
    """The queued tasks whose every dependency is completed, best first by `schedule`.

    A missing or cancelled dependency keeps its dependents waiting. A parent (a task some task
    names as its `parent`) is never ready: its children are the work."""
    schedule = schedule or _DEFAULT
    status = {task["id"]: task["status"] for task in tasks}
    done = {tid for tid, state in status.items() if state == "completed"}
    parents = _parents(tasks)
    ready = [
        task
        for task in tasks
        if task["status"] == "queued"
        and task["id"] not in parents
        and done.issuperset(task.get("depends_on") or ())
    ]
    return schedule.arrange(ready, schedule.keys(tasks, {task["id"] for task in ready}))


def unfinished_dependencies(task: Task, by_id: dict[str, Task]) -> list[tuple[str, str]]:
    """(id, status) of each dependency of `task` that is not completed; "missing" if unknown."""
    found = [(d, by_id[d]["status"] if d in by_id else "missing") for d in _deps(task)]
    return [(d, status) for d, status in found if status != "completed"]


def find_cycle(tasks: list[Task]) -> list[str] | None:
    """One dependency cycle, or None.

    ["a", "b", "c", "a"] means a depends on b, b on c and c on a: each id depends on the next."""
    edges = _edges(_index(tasks))
    return _walk(edges, edges)[1]


def topological_order(tasks: list[Task], schedule: Schedule | None = None) -> list[str]:
    """Every task id with dependencies first; ties go to `schedule`'s order. ValueError on a cycle."""
    edges, keys = _edges(_index(tasks)), (schedule or _DEFAULT).keys(tasks)
    waiting = {tid: len(deps) for tid, deps in edges.items()}
    users = _dependents(edges)
    free = [(keys[tid], tid) for tid, count in waiting.items() if count == 0]
    heapq.heapify(free)
    order: list[str] = []
    while free:
        tid = heapq.heappop(free)[1]
        order.append(tid)
        for user in users[tid]:
            waiting[user] -= 1
            if waiting[user] == 0:
                heapq.heappush(free, (keys[user], user))
    if len(order) < len(edges):
        raise ValueError(_cycle_message(_walk(edges, edges)[1] or []))
    return order


def globs_overlap(a: str, b: str) -> bool:
    """Whether some path can match both globs (repo-relative, `/`-separated).

    `*`, `?` and `[...]` match within one path segment, as fnmatch (case-sensitive) does on each
    segment; a `**` segment matches any number of segments, none included; a trailing `/` means
    everything below. The test is exact segment by segment and conservative overall: when unsure
    (a `..` segment, a `/` inside brackets, an empty glob) it answers True. It never answers False
    for two globs that match a common path.
    """
    return _globs_meet(a, b)


def files_overlap(globs_a: Sequence[str], globs_b: Sequence[str]) -> bool:
    """Whether any glob of `globs_a` overlaps any of `globs_b` (False if either is empty)."""
    return any(globs_overlap(a, b) for a in globs_a for b in globs_b)


def parallel_wave(
    tasks: list[Task], limit: int | None = None, skip: frozenset[str] = frozenset(),
    schedule: Schedule | None = None,
) -> list[str]:
    """Ready tasks that can run at once, picked greedily in `schedule`'s order, at most `limit`.

    No picked task depends on another, even through other tasks, and no two picked tasks have
    overlapping `files`. A task with no `files` may write anywhere: it conflicts with every other
    task and only ever forms a wave alone. The scan stops after passing over `_SCAN_LIMIT`
    conflicting tasks, so a wave may leave out a compatible task ranked far below. Tasks in `skip`
    (already handed out) are never picked, nor a task of a category with no room left under the
    schedule's WIP limits (counting the tasks active now); the mix decides which category's task
    is tried next.
    """
    schedule = schedule or _DEFAULT
    ready = [task for task in ready_tasks(tasks, schedule) if task["id"] not in skip]
    lanes = Lanes(schedule.mix, {task["id"]: (k,) for k, task in enumerate(ready)})
    for task in ready:
        lanes.push(task)
    wave = _Wave(*_reach_masks([task["id"] for task in ready], _edges(_index(tasks))), schedule.room(tasks))
    _fill(wave, lanes, limit)
    return wave.ids


def waves(tasks: list[Task], schedule: Schedule | None = None) -> list[list[str]]:
    """The successive `parallel_wave`s of the rest of the plan, each marked completed in turn.

    Only queued tasks are simulated: tasks in progress, in review or testing stay as they are,
    so their dependents never become ready here. A queued parent is not simulated: a dependency on
    it is one on each of its children (it completes with them). A category's WIP limit caps its
    tasks in each wave (a limit of 0 leaves them out), and the mix's proportion runs on from wave
    to wave.
    """
    schedule = schedule or _DEFAULT
    parents = _parents(tasks)
    tasks = _through_parents(tasks, parents)
    by_id = _index(tasks)
    edges = _edges(by_id)
    queued = [tid for tid, task in by_id.items() if task["status"] == "queued" and tid not in parents]
    keys = schedule.keys(tasks, set(queued))
    masks = _reach_masks(queued, edges)
    waiting = {tid: len(unfinished_dependencies(by_id[tid], by_id)) for tid in queued}
    users = _dependents({tid: [d for d in edges[tid] if d in waiting] for tid in queued})
    ready = Lanes(schedule.mix, keys)
    for tid in queued:
        if waiting[tid] == 0:
            ready.push(by_id[tid])
    result: list[list[str]] = []
    while ready:
        wave = _Wave(*masks, schedule.wip)
        for task in _fill(wave, ready, None):
            ready.push(task)
        if not wave.ids:
            break
        for tid in wave.ids:
            for user in users[tid]:
                waiting[user] -= 1
                if waiting[user] == 0:
                    ready.push(by_id[user])
        result.append(wave.ids)
    return result


def critical_path(tasks: list[Task]) -> tuple[list[str], float]:
    """The longest chain of open tasks by estimate (dependencies first) and its hours.

    A task without an estimate weighs 1.0 h. Completed and cancelled tasks weigh nothing and are
    left out, so the chain follows `depends_on` between open tasks. Ties go to `order_key`.
    ValueError on a cycle between open tasks.
    """
    open_tasks = [task for task in tasks if task["status"] not in _FINISHED]
    by_id = _index(open_tasks)
    edges, keys = _edges(by_id), _keys(open_tasks)
    order, cycle = _walk(edges, edges)
    if cycle is not None:
        raise ValueError(_cycle_message(cycle))
    length: dict[str, float] = {}
    via: dict[str, str | None] = {}
    for tid in order:
        best = min(edges[tid], key=lambda d: (-length[d], keys[d]), default=None)
        via[tid] = best
        length[tid] = _weight(by_id[tid]) + (length[best] if best is not None else 0.0)
    end = min(order, key=lambda tid: (-length[tid], keys[tid]), default=None)
    hours = length[end] if end is not None else 0.0
    chain: list[str] = []
    while end is not None:
        chain.append(end)
        end = via[end]
    return chain[::-1], hours


def wip_exceeded(tasks: list[Task], limits: dict[str, int], status: str) -> bool:
    """Whether moving one more task into `status` would exceed `limits[status]` (if any)."""
    limit = limits.get(status)
    return limit is not None and sum(task["status"] == status for task in tasks) >= limit


# --- graph walks -------------------------------------------------------------------------------


def _parents(tasks: list[Task]) -> set[str]:
    return {parent for task in tasks if (parent := task.get("parent"))}


def _through_parents(tasks: list[Task], parents: set[str]) -> list[Task]:
    """The tasks with each dependency on a queued parent replaced by its children, recursively."""
    queued = {t["id"] for t in tasks if t["id"] in parents and t["status"] == "queued"}
    if not queued:
        return tasks
    kids: dict[str, list[str]] = {}
    for task in tasks:
        if task.get("parent") in queued:
            kids.setdefault(task["parent"], []).append(task["id"])

    def expanded(deps: Iterable[str]) -> list[str]:
        found, stack, seen = [], list(deps)[::-1], set()
        while stack:
            dep = stack.pop()
            if dep not in seen:
                seen.add(dep)
                found += [] if dep in kids else [dep]
                stack.extend(reversed(kids.get(dep, [])))
        return found

    return [{**t, "depends_on": expanded(_deps(t))} if queued.intersection(_deps(t)) else t for t in tasks]


def _deps(task: Task) -> list[str]:
    return list(dict.fromkeys(task.get("depends_on") or ()))


def _index(tasks: list[Task]) -> dict[str, Task]:
    return {task["id"]: task for task in tasks}


def _keys(tasks: list[Task]) -> dict[str, OrderKey]:
    """Tie-breaks without the chain walk: priority, estimate, plan order."""
    return {task["id"]: priority_key(task, position) for position, task in enumerate(tasks)}


def _edges(by_id: dict[str, Task]) -> _Edges:
    """Each task's dependencies that are in `by_id`, without repeats."""
    return {tid: [d for d in _deps(task) if d in by_id] for tid, task in by_id.items()}


def _dependents(edges: _Edges) -> _Edges:
    users: _Edges = {tid: [] for tid in edges}
    for tid, deps in edges.items():
        for dep in deps:
            users[dep].append(tid)
    return users


def _walk(roots: Iterable[str], edges: _Edges) -> tuple[list[str], list[str] | None]:
    """Depth-first post-order (dependencies first) of what `roots` reach, or the first cycle."""
    done: set[str] = set()
    order: list[str] = []
    for root in roots:
        if root in done:
            continue
        path, on_path, stack = [root], {root: 0}, [iter(edges[root])]
        while stack:
            for dep in stack[-1]:
                if dep in on_path:
                    return order, path[on_path[dep] :] + [dep]
                if dep not in done:
                    on_path[dep] = len(path)
                    path.append(dep)
                    stack.append(iter(edges[dep]))
                    break
            else:
                stack.pop()
                node = path.pop()
                del on_path[node]
                done.add(node)
                order.append(node)
    return order, None


def _reach_masks(roots: list[str], edges: _Edges) -> tuple[dict[str, int] | None, dict[str, int]]:
    """A bit per root, and for each task reached the bits of the roots it depends on, even
    through other tasks. The masks are None if a cycle is reached."""
    bit = {root: 1 << k for k, root in enumerate(roots)}
    order, cycle = _walk(roots, edges)
    if cycle is not None:
        return None, bit
    below: dict[str, int] = {}
    for node in order:
        mask = 0
        for dep in edges[node]:
            mask |= below[dep] | bit.get(dep, 0)
        below[node] = mask
    return below, bit


def _weight(task: Task) -> float:
    estimate = task.get("estimate")
    return 1.0 if estimate is None else max(0.0, float(estimate))


def _cycle_message(cycle: list[str]) -> str:
    return "dependency cycle: " + " -> ".join(cycle)


# --- waves -------------------------------------------------------------------------------------


class _Wave:
    """The tasks picked for one wave: which tasks they depend on and which globs they claim."""

    def __init__(self, below: dict[str, int] | None, bit: dict[str, int], room: dict[str, int]) -> None:
        self.ids: list[str] = []
        self._room = dict(room)  # tasks each WIP-limited category may still add
        self.full = False
        self._below, self._bit = below, bit
        self._picked = self._reach = 0
        self._at: dict[tuple[str, ...], list[str]] = {}  # globs by their literal prefix
        self._under: dict[tuple[str, ...], list[str]] = {}  # globs by each part of that prefix

    def admits(self, task: Task) -> bool:
        files = task.get("files") or []
        if self._room and self._room.get(category_key(task.get("category")), 1) <= 0:
            return False
        if not self.ids:
            return True
        if self.full or not files or self._below is None:
            return False
        tid = task["id"]
        if self._below[tid] & self._picked or self._bit[tid] & self._reach:
            return False
        return not any(self._clashes(glob) for glob in files)

    def add(self, task: Task) -> None:
        tid, files = task["id"], task.get("files") or []
        self.ids.append(tid)
        category = category_key(task.get("category"))
        if category in self._room:
            self._room[category] -= 1
        self.full = not files or self._below is None
        if self._below is not None:
            self._picked |= self._bit[tid]
            self._reach |= self._below[tid]
        for glob in files:
            prefix = _literal_prefix(glob)
            self._at.setdefault(prefix, []).append(glob)
            for k in range(len(prefix) + 1):
                self._under.setdefault(prefix[:k], []).append(glob)

    def _clashes(self, glob: str) -> bool:
        """Two globs can only overlap if one's literal prefix starts the other's."""
        prefix = _literal_prefix(glob)
        near = [other for k in range(len(prefix)) for other in self._at.get(prefix[:k], ())]
        near += self._under.get(prefix, ())
        return any(globs_overlap(glob, other) for other in near)


def _fill(wave: _Wave, candidates: Lanes, limit: int | None) -> list[Task]:
    """Add the candidates (best first) that fit; return those popped and passed over. Takes no
    more than needed."""
    passed: list[Task] = []
    if limit is not None and limit <= 0:
        return passed
    while candidates:
        task = candidates.pop()
        if wave.admits(task):
            wave.add(task)
            candidates.take(task)
        else:
            passed.append(task)
        if wave.full or len(wave.ids) == limit or len(passed) >= _SCAN_LIMIT:
            break
    return passed


# --- glob intersection -------------------------------------------------------------------------


def _memo(function: Callable[..., _R]) -> Callable[..., _R]:
    """Remember results by their (string) arguments, forgetting all when there are too many."""
    results: dict[tuple[str, ...], _R] = {}

    def remembered(*args: str) -> _R:
        if args not in results:
            if len(results) >= _MEMO_SIZE:
                results.clear()
            results[args] = function(*args)
        return results[args]

    return remembered


def _is_magic(part: str) -> bool:
    return "*" in part or "?" in part or "[" in part


@_memo
def _segments(glob: str) -> tuple[str, ...] | None:
    """The glob's path segments in `globs.normalise` form; None when it cannot be reasoned about
    segment by segment."""
    parts = split(glob)
    if parts is None or _slash_in_brackets(glob):
        return None
    return tuple(parts)


def _slash_in_brackets(glob: str) -> bool:
    """Whether a `/` follows some `[` before any `]` does (a class that would span segments)."""
    start = glob.find("[")
    while start >= 0:
        close, slash = glob.find("]", start), glob.find("/", start)
        if slash >= 0 and (close < 0 or slash < close):
            return True
        start = glob.find("[", start + 1)
    return False


@_memo
def _literal_prefix(glob: str) -> tuple[str, ...]:
    segments = _segments(glob) or ()
    wild = next((k for k, part in enumerate(segments) if _is_magic(part)), len(segments))
    return segments[:wild]


@_memo
def _globs_meet(a: str, b: str) -> bool:
    segments_a, segments_b = _segments(a), _segments(b)
    if segments_a is None or segments_b is None:
        return True
    return _sequences_meet(segments_a, segments_b, "**", _parts_meet)


@_memo
def _parts_meet(a: str, b: str) -> bool:
    """Whether some path segment matches both segment patterns."""
    from fnmatch import fnmatchcase  # imports re: only once globs are really compared

    if not _is_magic(a):
        return fnmatchcase(a, b)
    if not _is_magic(b):
        return fnmatchcase(b, a)
    return _sequences_meet(_char_tokens(a), _char_tokens(b), "*", _chars_meet)


def _char_tokens(part: str) -> list[str]:
    """A segment pattern cut as fnmatch reads it: `*` (runs merged), `?`, `[...]` or a character."""
    tokens: list[str] = []
    i = 0
    while i < len(part):
        end = i + 1
        if part[i] == "[":
            j = i + 2 if part[i + 1 : i + 2] == "!" else i + 1
            if part[j : j + 1] == "]":
                j += 1
            close = part.find("]", j)
            end = close + 1 if close >= 0 else end
        if part[i:end] != "*" or tokens[-1:] != ["*"]:
            tokens.append(part[i:end])
        i = end
    return tokens


def _sequences_meet(
    xs: Sequence[str], ys: Sequence[str], star: str, meet: Callable[[str, str], bool]
) -> bool:
    """Whether one sequence of units matches both token sequences: `star` matches any number of
    units, every other token exactly one unit, and `meet` says if two tokens share a unit."""
    seen: set[tuple[int, int]] = set()
    todo = [(0, 0)]
    while todo:
        i, j = todo.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        x, y = xs[i] if i < len(xs) else None, ys[j] if j < len(ys) else None
        if x is None and y is None:
            return True
        if x == star:
            todo += [(i + 1, j)] + ([(i, j + 1)] if y is not None else [])
        if y == star:
            todo += [(i, j + 1)] + ([(i + 1, j)] if x is not None else [])
        if x is not None and y is not None and star not in (x, y) and meet(x, y):
            todo.append((i + 1, j + 1))
    return False


def _chars_meet(a: str, b: str) -> bool:
    """Whether one character matches both tokens (a character, `?` or a `[...]` class)."""
    (negated_a, ranges_a), (negated_b, ranges_b) = _char_set(a), _char_set(b)
    if negated_a and negated_b:
        return True
    if negated_a:
        ranges_a, ranges_b, negated_b = ranges_b, ranges_a, True
    if not negated_b:
        return any(lo <= hi2 and lo2 <= hi for lo, hi in ranges_a for lo2, hi2 in ranges_b)
    return any(_uncovered(lo, hi, ranges_b) for lo, hi in ranges_a)


@_memo
def _char_set(token: str) -> _CharSet:
    """(negated, ranges) of the characters a token matches; `?` is the negated empty set."""
    if token == "?":
        return True, ()
    if len(token) == 1:
        return False, ((token, token),)
    body = token[1:-1]
    negated = body.startswith("!")
    body = body[1:] if negated else body
    ranges: list[tuple[str, str]] = []
    k = 0
    while k < len(body):
        if k + 2 < len(body) and body[k + 1] == "-":
            ranges.append((body[k], body[k + 2]))
            k += 3
        else:
            ranges.append((body[k], body[k]))
            k += 1
    return negated, tuple(ranges)


def _uncovered(lo: str, hi: str, holes: tuple[tuple[str, str], ...]) -> bool:
    """Whether some character from lo to hi lies outside every hole."""
    firsts = [lo] + [chr(min(ord(end) + 1, 0x10FFFF)) for _, end in holes]
    return any(lo <= c <= hi and not any(a <= c <= b for a, b in holes) for c in firsts)
