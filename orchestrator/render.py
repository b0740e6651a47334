"""Human renderings of the read views (the `--json` forms are the views themselves)."""

from __future__ import annotations

from typing import Any

from orchestrator import acceptance, andon, terminal
from orchestrator.hierarchy import tree_order
from orchestrator.lifecycle import STATUSES

MATRIX_STATUSES = ("queued", "in_progress", "review", "testing", "blocked", "completed", "cancelled")


def status_text(view: dict[str, Any]) -> str:
    tasks = view["tasks"]
    done = view["counts"].get("completed", 0)
    title = view["plan"].get("title") or "plan"
    bar = terminal.progress_bar(done, len(tasks))
    head = f"{terminal.paint(title, 'bold')}  {bar}  {done}/{len(tasks)} completed"
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
        tints.append(
            ["", *[terminal.STATUS_COLOURS[s] if counts[s] else "dim" for s in MATRIX_STATUSES], "bold"]
        )
    return terminal.table(header, rows, tints)


def task_table(tasks: list[dict[str, Any]]) -> str:
    """A row per task; a parent's children are listed under it, indented, and its title says how
    many of them are done."""
    header = ["ID", "STATUS", "PRIORITY", "SPECIALIST", "DEPENDS ON", "BOUND TO", "TITLE"]
    rows, tints = [], []
    rollup = _children_done(tasks)
    for task, depth in tree_order(tasks):
        title = f"[{task['story']}] {task['title']}" if task.get("story") else task["title"]
        rows.append(
            [
                f"{'  ' * (depth - 1)}└ {task['id']}" if depth else task["id"],
                task["status"],
                task["priority"],
                task.get("specialist") or "-",
                ", ".join(task["depends_on"]) or "-",
                _short(task["bound_to"]),
                f"{title} ({rollup[task['id']]})" if task["id"] in rollup else title,
            ]
        )
        tints.append(
            [
                "bold",
                terminal.STATUS_COLOURS.get(task["status"], ""),
                terminal.PRIORITY_COLOURS.get(task["priority"], ""),
                "",
                "dim",
                "",
                "",
            ]
        )
    return terminal.table(header, rows, tints)


def _children_done(tasks: list[dict[str, Any]]) -> dict[str, str]:
    """Parent id -> "n/m children done", over the listed tasks."""
    counts: dict[str, list[int]] = {}
    for task in tasks:
        if task.get("parent"):
            count = counts.setdefault(task["parent"], [0, 0])
            count[0] += task["status"] == "completed"
            count[1] += 1
    return {parent: f"{done}/{total} children done" for parent, (done, total) in counts.items()}


def next_text(view: dict[str, Any]) -> str:
    dispatched = view.get("dispatched") or []
    if not view["ready"] and not dispatched:
        return "Nothing is ready: every queued task waits on unfinished dependencies (see `orch status`)."
    parts = [_ready_table(view["ready"]) if view["ready"] else "Nothing else is ready."]
    if dispatched:
        parts.append(f"Dispatched, waiting for their subagent to start: {_reservations(dispatched)}")
    if "wave" in view:
        wave = ", ".join(view["wave"]) or "(none)"
        parts.append(f"Parallel wave (independent, disjoint files): {terminal.paint(wave, 'bold')}")
    return "\n\n".join(parts)


def _ready_table(ready: list[dict[str, Any]]) -> str:
    rows = [[t["id"], t["priority"], t.get("specialist") or "-", _hours(t.get("estimate")), t["title"]]
            for t in ready]
    header = ["ID", "PRIORITY", "SPECIALIST", "ESTIMATE", "TITLE"]
    return "Ready now, in order:\n" + terminal.table(header, rows)


def _reservations(rows: list[dict[str, Any]]) -> str:
    """`A, B (until 10:04:05), C (until 10:06:00)`: the ids, grouped by when they expire (local time)."""
    groups: dict[str, list[str]] = {}
    for row in rows:
        groups.setdefault(row["until"], []).append(row["id"])
    return ", ".join(f"{', '.join(ids)} (until {clock(until)})" for until, ids in groups.items())


def clock(iso: str) -> str:
    """The local time of day `HH:MM:SS` of a UTC time written `YYYY-MM-DDTHH:MM:SSZ`."""
    import time

    from orchestrator.runtime import epoch_of

    epoch = epoch_of(iso)
    return iso if epoch is None else time.strftime("%H:%M:%S", time.localtime(epoch))


def plan_text(plan: dict[str, Any], tasks: list[dict[str, Any]], critical: tuple[list[str], float],
              waves: list[list[str]] | None = None) -> str:
    lines = [f"{terminal.paint(plan['title'], 'bold')} (plan {plan['id']}, {len(tasks)} tasks)"]
    for task in tasks:
        deps = f" <- {', '.join(task['depends_on'])}" if task["depends_on"] else ""
        lines.append(f"  {task['id']:<12} {terminal.status(task['status']):<11} {task['title']}{deps}")
    path, hours = critical
    if path:
        lines.append(f"\nCritical path ({hours:g}h): {' -> '.join(path)}")
    if waves:
        lines.append("\nWaves of the queued work, in the order `orch next` gives:")
        lines.extend(f"  {number}. {', '.join(wave)}" for number, wave in enumerate(waves, start=1))
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
        lines.extend(_item_line(item) for item in acceptance.checklist(task))
    if task.get("andon"):
        lines.extend(_andon_lines(task))
    return "\n".join(lines)


def _item_line(item: dict[str, Any]) -> str:
    tick = f"    {item['n']}. [{'x' if item['done'] else ' '}] {item['text']}"
    return tick + (f"  (evidence: {item['evidence']})" if item["done"] else "")


def _andon_lines(task: dict[str, Any]) -> list[str]:
    record = task["andon"]
    lines = [f"  andon: gate '{record.get('gate')}' failed ({record.get('why')})"]
    lines.extend(f"    why {why.get('n')}: {why.get('text')}" for why in record.get("whys") or [])
    if record.get("fix_task"):
        lines.append(f"    fix task: {record['fix_task']}")
    return lines


def check_text(task_id: str, item: dict[str, Any]) -> str:
    return f"Ticked {task_id} acceptance item {item['n']}: {item['text']}\n  evidence: {item['evidence']}"


def why_text(added: dict[str, Any]) -> str:
    record, why = added["andon"], added["why"]
    left = andon.MAX_WHYS - len(record.get("whys") or [])
    more = f"{left} more allowed" if left else "that was the fifth: it should name the root cause"
    return (f"Why {why['n']} recorded for {added['task']}'s andon (gate '{record.get('gate')}'): "
            f"{why['text']}\n({more})")


def _short(holder: str | None) -> str:
    if not holder:
        return "-"
    return holder if len(holder) <= 14 else holder[:12] + "…"


def _hours(value: float | None) -> str:
    return f"{value:g}h" if value is not None else "-"


class GateProgress:
    """Live gate output: one updating line on a terminal, plain indented lines otherwise."""

    def __init__(self, quiet: bool = False) -> None:
        import sys

        self.quiet, self.tty, self.count = quiet, sys.stderr.isatty(), 0

    def __enter__(self) -> GateProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.tty and self.count and not self.quiet:
            import sys

            sys.stderr.write("\r\033[K")

    def line(self, text: str) -> None:
        import sys

        if self.quiet:
            return
        self.count += 1
        if self.tty:
            sys.stderr.write(f"\r\033[K{terminal.paint('…', 'cyan')} {text.rstrip()[:100]}")
        else:
            sys.stderr.write(f"  | {text.rstrip()}\n")
        sys.stderr.flush()


def gates_text(results: list[dict[str, Any]]) -> str:
    if not results:
        return "No gates configured for this task."
    rows, tints = [], []
    for r in results:
        verdict = "pass" if r["passed"] else "FAIL"
        why = r["error"] or (f"exit {r['exit_code']}" if r["exit_code"] is not None else "")
        rows.append([verdict, r["name"], f"{r['duration']:.1f}s", why, r["command"]])
        tints.append(["green" if r["passed"] else "red", "bold", "dim", "", "dim"])
    text = terminal.table(["", "GATE", "TIME", "RESULT", "COMMAND"], rows, tints)
    failed = [r for r in results if not r["passed"]]
    if failed:
        text += (
            f"\n\n{failed[0]['name']} output (tail):\n{failed[0]['tail']}\nNext: {failed[0]['suggestion']}"
        )
    return text


def done_text(outcome: dict[str, Any]) -> str:
    task = outcome["task"]
    parts = [gates_text(outcome["results"])]
    if outcome["completed"]:
        parts.append(terminal.paint(f"{task['id']} completed.", "green"))
        if outcome.get("report"):
            parts.append(f"Report: {outcome['report']}")
        if outcome.get("commit"):
            parts.append(f"Commit: {outcome['commit'][:12]}")
        for tag in outcome.get("tags", []):
            parts.append(f"Tag: {tag}")
        if outcome.get("unfinished"):
            parts.append(terminal.paint(
                f"Not finished: {outcome.get('error')}. The task stays completed; fix the cause and run "
                f"`orch done {task['id']}` again to run {', '.join(outcome['unfinished'])}.", "red"))
    else:
        parts.append(terminal.paint(f"{task['id']} is blocked (andon): {task.get('block_reason')}", "red"))
        parts.append(f"Record the root cause: `orch why {task['id']} \"why it failed\"` "
                     f"(up to {andon.MAX_WHYS}).")
        if outcome.get("fix_task"):
            parts.append(f"Fix task {outcome['fix_task']} opened; {task['id']} now depends on it and is "
                         f"released: `orch start {outcome['fix_task']}`, then `orch done {task['id']}`.")
    parts += parent_lines(outcome.get("parent"))
    return "\n".join(parts)


def parent_lines(parent: dict[str, Any] | None) -> list[str]:
    """What completing a task's last child did to its parent (and to that one's parent)."""
    lines = []
    while parent:
        if parent["completed"]:
            done = f"{parent['id']} completed: its last child is done and its gates pass."
            lines.append(terminal.paint(done, "green"))
        else:
            why = (parent.get("andon") or {}).get("gate", "?")
            lines.append(terminal.paint(f"{parent['id']} (the parent) is blocked (andon): its gate '{why}' "
                                        f"failed; fix it and run `orch done {parent['id']}`.", "red"))
        parent = parent.get("parent")
    return lines


def leases_text(view: dict[str, Any]) -> str:
    if not view["leases"]:
        return "No live leases."
    rows = [
        [lease["path"], lease["task"], _short(lease["holder"]), lease["since"], lease["expires"]]
        for lease in view["leases"]
    ]
    return terminal.table(["PATH", "TASK", "HOLDER", "SINCE", "EXPIRES"], rows)


def verify_text(result: dict[str, Any]) -> str:
    if result["ok"]:
        tags = len(result.get("tags", []))
        return terminal.paint(f"OK: {result['records']} receipts verify; {tags} tag(s) checked.", "green")
    bad = result["first_bad"] or {}
    lines = [terminal.paint(f"FAILED after checking {result['records']} receipts.", "red")]
    if bad:
        lines.append(
            f"First bad record: chain {bad.get('chain')} line {bad.get('line')} "
            f"(index {bad.get('index')}): {bad.get('reason')}"
        )
    for tag in result.get("tags", []):
        if not tag.get("ok"):
            lines.append(f"Tag {tag['name']}: {tag.get('reason')}")
    return "\n".join(lines)


def log_text(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "Nothing recorded yet."
    table_rows = [
        [
            r.get("at", ""),
            r.get("kind", ""),
            r.get("task") or "-",
            r.get("event", ""),
            _short(r.get("actor")),
            r.get("summary", ""),
        ]
        for r in rows
    ]
    return terminal.table(["AT", "KIND", "TASK", "EVENT", "ACTOR", "SUMMARY"], table_rows)
