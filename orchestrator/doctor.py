"""`orch doctor`: find broken or inconsistent state and say how to get back from each problem."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from orchestrator import graph, lifecycle
from orchestrator.errors import OrchError
from orchestrator.jsonfile import read_json
from orchestrator.runtime import Runtime
from orchestrator.store import Store


class TaskRecord(BaseModel):
    """The shape every task file must have (extra keys are allowed: newer fields, user notes)."""

    model_config = ConfigDict(extra="allow")
    id: str
    title: str
    status: str
    plan: str
    position: int
    depends_on: list[str]
    files: list[str] = []
    history: list[dict[str, Any]] = []


def _restore_hint(path: Path, root: Path) -> str:
    rel = path.relative_to(root)
    return (
        f"restore the last committed version with `git checkout -- {rel}` (history: "
        f"`git log -p -- {rel}`); if it was never committed, reload its plan with "
        "`orch plan add --replace PLAN`"
    )


def examine(store: Store, fix: bool = False) -> dict[str, Any]:
    report: dict[str, Any] = {"ok": True, "problems": [], "fixed": [], "info": []}
    if not store.is_initialised():
        _problem(report, str(store.config_path), "orch is not set up here", "run `orch init`")
        return report
    _check_config(store, report)
    tasks = _check_tasks(store, report)
    _check_plans(store, tasks, report)
    _check_graph(tasks, report)
    _check_runtime(store, tasks, report, fix)
    _check_temp_files(store, report, fix)
    _check_receipts(store, report)
    _check_hooks(store, report)
    return report


def _problem(report: dict[str, Any], file: str, problem: str, fix: str) -> None:
    report["ok"] = False
    report["problems"].append({"file": file, "problem": problem, "fix": fix})


def _check_config(store: Store, report: dict[str, Any]) -> None:
    try:
        if not isinstance(read_json(store.config_path), dict):
            raise OrchError("expected a JSON object")
    except OrchError as exc:
        _problem(report, str(store.config_path), str(exc), _restore_hint(store.config_path, store.root))


def _check_tasks(store: Store, report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    tasks: dict[str, dict[str, Any]] = {}
    for path in sorted(store.tasks_dir.glob("*.json")):
        try:
            data = read_json(path)
            record = TaskRecord.model_validate(data)
        except (OrchError, ValidationError) as exc:
            _problem(report, str(path), _first_line(exc), _restore_hint(path, store.root))
            continue
        if record.id != path.stem:
            _problem(report, str(path), f"holds task {record.id!r}", f"rename it to {record.id}.json")
        elif record.status not in lifecycle.STATUSES:
            _problem(report, str(path), f"unknown status {record.status!r}", _restore_hint(path, store.root))
        else:
            tasks[record.id] = data
    return tasks


def _check_plans(store: Store, tasks: dict[str, dict[str, Any]], report: dict[str, Any]) -> None:
    plan_ids = set()
    for path in sorted(store.plans_dir.glob("*.json")):
        if path.name.endswith(".source.json"):
            continue
        try:
            plan = read_json(path)
            plan_ids.add(plan["id"])
        except (OrchError, KeyError, TypeError) as exc:
            _problem(
                report, str(path), f"not a readable plan: {_first_line(exc)}", _restore_hint(path, store.root)
            )
            continue
        missing = [t for t in plan.get("task_ids", []) if t not in tasks]
        if missing:
            _problem(
                report,
                str(path),
                f"task files missing or broken: {', '.join(missing)}",
                f"restore them with `git checkout -- {store.tasks_dir.relative_to(store.root)}`",
            )
    orphans = sorted(t for t, task in tasks.items() if task["plan"] not in plan_ids)
    if orphans:
        _problem(
            report,
            str(store.tasks_dir),
            f"tasks of no known plan: {', '.join(orphans)}",
            "restore the plan file from git, or re-add the plan with `orch plan add`",
        )


def _check_graph(tasks: dict[str, dict[str, Any]], report: dict[str, Any]) -> None:
    for task in tasks.values():
        unknown = [d for d in task["depends_on"] if d not in tasks]
        if unknown:
            _problem(
                report,
                f"task {task['id']}",
                f"depends on unknown tasks: {', '.join(unknown)}",
                "fix the plan and reload it with `orch plan add --replace PLAN`",
            )
    cycle = graph.find_cycle(list(tasks.values()))
    if cycle:
        _problem(
            report,
            "tasks",
            f"dependency cycle: {' -> '.join(cycle)}",
            "fix the plan and reload it with `orch plan add --replace PLAN`",
        )


def _check_runtime(store: Store, tasks: dict[str, dict[str, Any]], report: dict[str, Any], fix: bool) -> None:
    runtime = Runtime(store.runtime)
    report["info"].append(f"runtime folder: {runtime.dir}")
    for task_id, binding in runtime.bindings().items():
        task = tasks.get(task_id)
        if task is None or task["status"] in ("completed", "cancelled", "queued"):
            _stale(
                report,
                fix,
                f"binding of {task_id} to {binding.get('holder')}",
                lambda t=task_id: runtime.unbind(t),
            )
    now = time.time()
    for path, lease in runtime.leases().items():
        task = tasks.get(lease.get("task", ""))
        if lease.get("expires_at", 0) <= now or task is None or task["status"] != "in_progress":
            _stale(
                report, fix, f"lease on {path} ({lease.get('task')})", lambda p=path: runtime.release(path=p)
            )


def _stale(report: dict[str, Any], fix: bool, what: str, repair: Any) -> None:
    if fix:
        repair()
        report["fixed"].append(f"dropped stale {what}")
    else:
        report["info"].append(f"stale {what} (harmless; `orch doctor --fix` drops it)")


def _check_temp_files(store: Store, report: dict[str, Any], fix: bool) -> None:
    for tmp in store.dir.rglob("*.tmp"):
        if fix:
            tmp.unlink(missing_ok=True)
            report["fixed"].append(f"removed leftover temp file {tmp}")
        else:
            report["info"].append(f"leftover temp file {tmp} (from an interrupted write; `--fix` removes it)")


def _check_receipts(store: Store, report: dict[str, Any]) -> None:
    from orchestrator import receipts

    result = receipts.verify(store.dir, store.root)
    if not result["ok"]:
        bad = result.get("first_bad") or {}
        _problem(
            report,
            f"receipts {bad.get('chain', '')}",
            f"line {bad.get('line')}: {bad.get('reason')}",
            "receipts are append-only evidence: restore the file from git "
            "(`git checkout -- .orch/receipts`) or investigate who changed it (`git log -p`)",
        )
    else:
        report["info"].append(f"receipts: {result['records']} records verify")


def _check_hooks(store: Store, report: dict[str, Any]) -> None:
    from orchestrator import install

    try:
        hooked = install.installed(store.root)
    except OrchError as exc:
        _problem(
            report, str(install.settings_path(store.root)), str(exc), "fix the JSON by hand, then `orch init`"
        )
        return
    report["info"].append(
        "hooks registered in .claude/settings.json"
        if hooked
        else "hooks not registered in .claude/settings.json (fine when orch runs as a plugin)"
    )


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def render(report: dict[str, Any]) -> str:
    lines = [
        "orch doctor: "
        + ("everything checks out" if report["ok"] else f"{len(report['problems'])} problem(s)")
    ]
    for problem in report["problems"]:
        lines.append(f"  ✗ {problem['file']}: {problem['problem']}\n      fix: {problem['fix']}")
    lines.extend(f"  ✓ {item}" for item in report["fixed"])
    lines.extend(f"  · {item}" for item in report["info"])
    return "\n".join(lines)
