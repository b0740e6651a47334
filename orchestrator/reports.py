"""Markdown reports: one per task, a summary per plan, and a synthesis of every plan.

Each report is a Jinja2 template (`orchestrator/templates/`) rendered from a context built here
from orch's state alone, so the same state always gives the same bytes: no clock, and a sort
wherever the state gives no order. A file of the same name in `.orch/templates/` replaces the
packaged template. `docs/reports.md` lists the templates and the context each one receives.
"""

from __future__ import annotations

import hashlib
import re
import traceback
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator import acceptance, graph, lifecycle, mermaid, metrics, receipts
from orchestrator.artifacts import in_state
from orchestrator.errors import InvalidInput
from orchestrator.hierarchy import with_child_edges
from orchestrator.jsonfile import write_text

if TYPE_CHECKING:
    import jinja2

    from orchestrator.store import Store

REPORTS_DIR = Path("docs", "reports")
TEMPLATES_DIR = Path(__file__).parent / "templates"
TAIL_LIMIT = 60
ANDON_TAIL = 15  # the end of the failing gate's output, in the root-cause record
SLUG_LIMIT = 40
TASK_DEFAULTS: dict[str, Any] = {
    "priority": "medium", "specialist": None, "depends_on": [], "files": [], "milestone": None,
    "estimate": None, "steps": [], "acceptance": [], "description": "", "sections": {}, "plan": "",
    "history": [], "artifacts": [], "gate_results": [], "block_reason": None, "parent": None,
}  # fmt: skip
_HISTORY_KEYS = ("at", "actor", "from", "to", "note")
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x08\x0b-\x1f\x7f]")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def render_string(name: str, /, *, store: Store | None = None, **context: Any) -> str:
    """Render template `name` with `context`; the store's `.orch/templates/` is searched first.

    A template that does not parse or reads a variable it was not given raises InvalidInput
    naming the template's file and line."""
    import jinja2

    try:
        template = _environment(store).get_template(name)
    except jinja2.TemplateSyntaxError as exc:
        raise InvalidInput(f"{exc.filename or name}:{exc.lineno}: {exc.message}") from exc
    except jinja2.TemplateNotFound as exc:
        raise InvalidInput(f"no template {name!r} in {_folders(store)}") from exc
    try:
        return template.render(**context)
    except jinja2.TemplateError as exc:
        raise InvalidInput(f"{_where(exc, template.filename or name)}: {exc}") from exc


def render_source(source: str, origin: str, /, *, store: Store | None = None, **context: Any) -> str:
    """Render template text read from `origin` (a path, named in errors) like `render_string`."""
    import jinja2

    try:
        template = _environment(store).from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise InvalidInput(f"{origin}:{exc.lineno}: {exc.message}") from exc
    try:
        return template.render(**context)
    except jinja2.TemplateError as exc:
        raise InvalidInput(f"{_where(exc, origin)}: {exc}") from exc


def report_path(store: Store, task: dict[str, Any]) -> Path:
    """Where `write_task_report` writes: `docs/reports/<plan>_task_<id>_<slug>.md`."""
    return store.root / REPORTS_DIR / f"{task['plan']}_task_{task['id']}_{slug(task['title'])}.md"


def write_task_report(store: Store, task_id: str, *, artifacts: list[str] | None = None) -> Path:
    """Write the verification report of one task. Its artifacts are the files the task itself
    changed (`orchestrator.artifacts`); `artifacts` adds more (never `.orch/`)."""
    task = normalised(store.task(task_id))
    context = task_context(store, task, artifacts or [])
    return _write(report_path(store, task), render_string("task_report.md.j2", store=store, **context))


def write_plan_report(store: Store, plan_id: str) -> Path:
    """Write `docs/reports/<plan>_summary.md`: matrix, graph, critical path, what remains, metrics."""
    context = plan_context(store, plan_id)
    path = store.root / REPORTS_DIR / f"{plan_id}_summary.md"
    return _write(path, render_string("plan_summary.md.j2", store=store, **context))


def write_synthesis(store: Store) -> Path:
    """Write `docs/reports/synthesis.md`: what is done, artifacts, open items, next steps."""
    context = synthesis_context(store)
    path = store.root / REPORTS_DIR / "synthesis.md"
    return _write(path, render_string("synthesis.md.j2", store=store, **context))


def slug(title: str) -> str:
    """Lower-case words joined by `-`, cut at a word boundary to at most SLUG_LIMIT characters."""
    words = _NOT_SLUG.sub(" ", title.lower()).split()
    text = ""
    for word in words:
        candidate = f"{text}-{word}" if text else word
        if len(candidate) > SLUG_LIMIT:
            break
        text = candidate
    return text or (words[0][:SLUG_LIMIT] if words else "task")


def normalised(task: dict[str, Any]) -> dict[str, Any]:
    """The task with every field a template may read present (defaults for missing ones)."""
    return {**TASK_DEFAULTS, **{key: value for key, value in task.items() if value is not None}}


# -- contexts -----------------------------------------------------------------------------------


def task_context(store: Store, task: dict[str, Any], artifacts: list[str]) -> dict[str, Any]:
    runs = task["gate_results"]
    gates = [_gate_view(store.root, result) for result in (runs[-1] if runs else [])]
    records, skipped = read_receipts(store, task["id"])
    items = acceptance.checklist(task)
    return {
        "task": task,
        "plan": store.plan(task["plan"]) or {"id": task["plan"], "title": task["plan"]},
        "timing": _timing(task["history"]),
        "history": [{key: entry.get(key) for key in _HISTORY_KEYS} for entry in task["history"]],
        "gates": gates,
        "gate_runs": len(runs),
        "gates_duration": _seconds(sum(float(g.get("duration") or 0) for g in gates)),
        "artifacts": sorted(p for p in {*task["artifacts"], *artifacts} if not in_state(p)),
        "acceptance": items,
        "acceptance_ticked": sum(item["done"] for item in items),
        "andons": _andon_views(store, task),
        "steps": [_step(step) for step in task["steps"]],
        "receipts": [_receipt_view(record) for record in records],
        "receipts_skipped": skipped,
        **_test_runs(store, task),
    }


def _test_runs(store: Store, task: dict[str, Any]) -> dict[str, Any]:
    """The runs of the task's test gates, and whether test first held (`testruns`)."""
    from orchestrator import testruns

    config = store.config()
    gates = lifecycle.effective_gates(config, store.plan(task["plan"]), task)
    red = testruns.first_red(task)
    first = {"required": testruns.required(config, task), "red": red,
             "green": testruns.first_green_after(task, red),
             "has_test_gate": any(testruns.is_test_gate(gate) for gate in gates)}
    return {"test_runs": list(task.get("test_runs") or []), "test_first": first}


def plan_context(store: Store, plan_id: str) -> dict[str, Any]:
    plan = store.plan(plan_id)
    if plan is None:
        known = ", ".join(p["id"] for p in store.plans()) or "none yet"
        raise InvalidInput(f"no plan {plan_id!r} (plans: {known})")
    everything = [normalised(t) for t in store.tasks()]
    tasks = [t for t in everything if t["plan"] == plan_id]
    critical, hours = graph.critical_path(with_child_edges(tasks))
    by_id = {t["id"]: t for t in everything}
    done = sum(t["status"] == "completed" for t in tasks)
    flow = metrics.plan_metrics(tasks)
    return {
        "plan": plan,
        "tasks": tasks,
        "done": done,
        "total": len(tasks),
        "percent": _percent(done, len(tasks)),
        "matrix": _matrix(plan, tasks),
        "graph": mermaid.dependency_graph(tasks, critical),
        "critical": {"tasks": [by_id[tid] for tid in critical], "hours": hours_text(hours)},
        "remaining": _remaining(tasks, by_id),
        "blocked": _blocked(tasks),
        "parents": _parents(tasks, everything),
        "metrics": flow,
        "burn_up": mermaid.burn_up_chart(flow["burn_up"]),
    }


def synthesis_context(store: Store) -> dict[str, Any]:
    tasks = [normalised(t) for t in store.tasks()]
    by_id = {t["id"]: t for t in tasks}
    plans = [_plan_done(store, plan, [t for t in tasks if t["plan"] == plan["id"]]) for plan in store.plans()]
    return {
        "plans": plans,
        "done": sum(p["done"] for p in plans),
        "total": len(tasks),
        "artifacts": _artifact_owners(tasks),
        "remaining": _remaining(tasks, by_id),
        "blocked": _blocked(tasks),
        "failing": _failing(store.root, tasks),
        "next": graph.ready_tasks(tasks),
        "receipts": _receipt_heads(store),
    }


# -- receipts -----------------------------------------------------------------------------------


def read_receipts(store: Store, chain: str) -> tuple[list[dict[str, Any]], int]:
    """The records of one receipt chain in file order, and how many of its lines did not parse.

    A missing chain has no records; a broken line is counted, not fatal (`orch verify` judges)."""
    return receipts.readable_records(receipts.receipts_dir(store.dir) / f"{chain}{receipts.SUFFIX}")


def _receipt_view(record: dict[str, Any]) -> dict[str, Any]:
    return {"seq": record.get("seq"), "at": record.get("at"), "event": record.get("event"),
            "actor": record.get("actor"), "detail": receipts.summarise(record),
            "hash": str(record.get("hash") or "")[:12]}


def _receipt_heads(store: Store) -> dict[str, Any]:
    heads, records, skipped = [], 0, 0
    for chain in receipts.chain_files(store.dir):
        found, bad = read_receipts(store, chain)
        records, skipped = records + len(found), skipped + bad
        if found:
            heads.append({**_receipt_view(found[-1]), "chain": chain, "records": len(found)})
    return {"chains": len(heads), "records": records, "skipped": skipped, "heads": heads}


# -- pieces -------------------------------------------------------------------------------------


def _timing(history: list[dict[str, Any]]) -> dict[str, Any]:
    """Who started the task and when (first in_progress), who completed it (last completed)."""
    started = next((h for h in history if h.get("to") == "in_progress"), None)
    completed = next((h for h in reversed(history) if h.get("to") == "completed"), None)
    elapsed = None
    if started and completed:
        elapsed = _elapsed(str(started.get("at")), str(completed.get("at")))
    return {"started_at": started and started.get("at"), "started_by": started and started.get("actor"),
            "completed_at": completed and completed.get("at"),
            "completed_by": completed and completed.get("actor"), "elapsed": elapsed}


def _gate_view(root: Path | None, result: dict[str, Any]) -> dict[str, Any]:
    lines = _CONTROL.sub("", str(result.get("tail") or "")).splitlines()
    shown = lines[-TAIL_LIMIT:]
    full = _output_lines(root, result) if root is not None else None
    output = "\n".join(shown)
    return {
        **{key: None for key in ("exit_code", "error", "output_path", "started_at", "suggestion")},
        **result,
        "output_path": _shown_path(root, result.get("output_path")),
        "outcome": _outcome(result),
        "duration_text": _seconds(result.get("duration")),
        "output": output,
        "trimmed": len(lines) > len(shown) or (full is not None and full > len(shown)),
        "fence": _fence(output),
    }


def _outcome(result: dict[str, Any]) -> str:
    if result.get("passed"):
        return "passed"
    if result.get("timed_out"):
        return "timed out"
    return "did not start" if result.get("error") else "failed"


def _output_lines(root: Path, result: dict[str, Any]) -> int | None:
    """Lines in the gate's full output file, if that file still holds this run's output."""
    if not result.get("output_path") or not result.get("output_sha256"):
        return None
    try:
        data = (root / str(result["output_path"])).read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != result["output_sha256"]:
        return None
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def _shown_path(root: Path | None, path: object) -> str | None:
    """The output file's path, relative to the repo root when it lies inside it."""
    if not path:
        return None
    if root is not None and Path(str(path)).is_absolute() and Path(str(path)).is_relative_to(root):
        return Path(str(path)).relative_to(root).as_posix()
    return str(path)


def _andon_views(store: Store, task: dict[str, Any]) -> list[dict[str, Any]]:
    """The task's stoppages, oldest first: the resolved ones, then the open one."""
    records = [r for r in task.get("andons") or [] if isinstance(r, dict)]
    if isinstance(task.get("andon"), dict) and task["status"] == "blocked":
        records.append(task["andon"])
    return [_andon_view(store, record) for record in records]


def _andon_view(store: Store, record: dict[str, Any]) -> dict[str, Any]:
    output = "\n".join(_CONTROL.sub("", str(record.get("tail") or "")).splitlines()[-ANDON_TAIL:])
    fix = record.get("fix_task")
    other = store.task_or_none(str(fix)) if fix else None
    return {**{key: record.get(key) for key in ("gate", "command", "why", "suggestion", "at", "resolved_at")},
            "whys": [w for w in record.get("whys") or [] if isinstance(w, dict)],
            "fix_task": fix, "fix_status": other["status"] if other else ("missing" if fix else None),
            "output": output, "fence": _fence(output)}


def _step(step: dict[str, Any]) -> dict[str, Any]:
    return {"id": step.get("id"), "text": step.get("text", ""), "done": bool(step.get("done")),
            "notes": step.get("notes") or []}


def _matrix(plan: dict[str, Any], tasks: list[dict[str, Any]]) -> dict[str, Any]:
    """Task counts per milestone (declared order, then undeclared, then none) and status."""
    titles = {m["id"]: m.get("title") or m["id"] for m in plan.get("milestones") or [] if isinstance(m, dict)}
    named = sorted({t["milestone"] for t in tasks if t["milestone"]} - set(titles))
    keys: list[str | None] = [*titles, *named, None]
    rows = [_row(key, titles.get(key or "", key or "(no milestone)"),
                 [t for t in tasks if t["milestone"] == key]) for key in keys]
    return {"statuses": lifecycle.STATUSES, "rows": [r for r in rows if r["total"]],
            "total": _row(None, "Total", tasks)}


def _row(key: str | None, title: str, tasks: list[dict[str, Any]]) -> dict[str, Any]:
    counts = {status: sum(t["status"] == status for t in tasks) for status in lifecycle.STATUSES}
    done = counts["completed"]
    return {"milestone": key, "title": title, "counts": counts, "total": len(tasks), "done": done,
            "percent": _percent(done, len(tasks))}


def _remaining(tasks: list[dict[str, Any]], by_id: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Open tasks and what each waits on: unfinished dependencies and its block reason."""
    return [{"task": task, "block_reason": task["block_reason"],
             "waiting_on": [f"{dep} ({state})" for dep, state in graph.unfinished_dependencies(task, by_id)]}
            for task in tasks if task["status"] not in lifecycle.FINISHED]


def _parents(tasks: list[dict[str, Any]], everything: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each parent among `tasks` with its children (of any plan) rolled up: how many are done."""
    children: dict[str, list[dict[str, Any]]] = {}
    for task in everything:
        if task["parent"]:
            children.setdefault(task["parent"], []).append(task)
    found = []
    for task in (t for t in tasks if t["id"] in children):
        kids = children[task["id"]]
        done = sum(kid["status"] == "completed" for kid in kids)
        found.append({"task": task, "children": kids, "done": done, "total": len(kids),
                      "percent": _percent(done, len(kids)), "plans": sorted({kid["plan"] for kid in kids})})
    return found


def _blocked(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for task in (t for t in tasks if t["status"] == "blocked"):
        entry: dict[str, Any] = next((h for h in reversed(task["history"]) if h.get("to") == "blocked"), {})
        reason = task["block_reason"] or entry.get("note") or "no reason recorded"
        found.append({"task": task, "reason": reason, "since": entry.get("at"), "by": entry.get("actor")})
    return found


def _failing(root: Path, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each failing gate of the last gate run of every task not cancelled."""
    found = []
    for task in (t for t in tasks if t["gate_results"] and t["status"] != "cancelled"):
        gates = [_gate_view(root, result) for result in task["gate_results"][-1]]
        found += [{"task": task, "gate": gate} for gate in gates if gate["outcome"] != "passed"]
    return found


def _plan_done(store: Store, plan: dict[str, Any], tasks: list[dict[str, Any]]) -> dict[str, Any]:
    done = [t for t in tasks if t["status"] == "completed"]
    entries = []
    for task in done:
        last = task["gate_results"][-1] if task["gate_results"] else []
        report = report_path(store, task)
        entries.append({"task": task, "gates": [_gate_view(None, r) for r in last],
                        "completed_at": _timing(task["history"])["completed_at"],
                        "report": report.name if report.is_file() else None})
    return {"plan": plan, "done": len(done), "total": len(tasks), "percent": _percent(len(done), len(tasks)),
            "completed": entries}


def _artifact_owners(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    owners: dict[str, set[str]] = {}
    for task in tasks:
        for path in task["artifacts"]:
            owners.setdefault(path, set()).add(task["id"])
    return [{"path": path, "tasks": sorted(ids)} for path, ids in sorted(owners.items())]


# -- formatting ---------------------------------------------------------------------------------


def hours_text(hours: float | None) -> str:
    """`3h`, `1.5h`, or `-` when there is no estimate."""
    return "-" if hours is None else f"{float(hours):g}h"


def _seconds(value: object) -> str:
    if not isinstance(value, int | float):
        return "-"
    return f"{value:.2f}s" if value < 60 else _span(float(value))


def _span(seconds: float) -> str:
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def _elapsed(start: str, end: str) -> str | None:
    try:
        seconds = (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    except (ValueError, TypeError):
        return None
    return _span(seconds) if seconds >= 0 else None


def _percent(done: int, total: int) -> int:
    return 100 * done // total if total else 0


def _fence(text: str) -> str:
    """A backtick fence longer than any backtick run inside `text`."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _cell(value: object) -> str:
    """A Markdown table cell: one line, pipes escaped (also inside code spans), `-` for nothing."""
    if value is None or value == "":
        return "-"
    return " ".join(str(value).splitlines()).replace("|", "\\|")


def _code(value: object) -> str:
    """Inline code that survives backticks inside it."""
    text = str(value).replace("\n", " ")
    ticks = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _folders(store: Store | None) -> list[str]:
    """Where templates are looked up, first match wins: the repo's overrides, then orch's own."""
    return ([str(store.dir / "templates")] if store is not None else []) + [str(TEMPLATES_DIR)]


def _where(exc: BaseException, fallback: str) -> str:
    """`file:line` of the deepest template frame in the traceback (Jinja2 maps them to templates);
    a template made from a string is named `fallback`."""
    frames = [(frame.filename, frame.lineno) for frame in traceback.extract_tb(exc.__traceback__)
              if frame.filename.endswith(".j2") or frame.filename == "<template>"]
    if not frames:
        return fallback
    filename, line = frames[-1]
    return f"{fallback if filename == '<template>' else filename}:{line}"


def _environment(store: Store | None) -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(folder) for folder in _folders(store)]),
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters.update(cell=_cell, code=_code, hours=hours_text, seconds=_seconds,
                       duration=metrics.duration_text)
    return env


def _write(path: Path, text: str) -> Path:
    write_text(path, text)
    return path
