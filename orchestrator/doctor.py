"""`orch doctor`: find broken or inconsistent state and say how to get back from each problem."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from orchestrator import graph, lifecycle, paths, recovery
from orchestrator.errors import OrchError
from orchestrator.fsmonitor import client as fsmonitor
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


def _by_hand(path: Path, root: Path) -> str:
    rel = path.relative_to(root)
    return f"`git checkout -- {rel}` (history: `git log -p -- {rel}`), then `orch doctor --fix`"


def examine(store: Store, fix: bool = False) -> dict[str, Any]:
    report: dict[str, Any] = {"ok": True, "problems": [], "fixed": [], "info": []}
    _check_plugin(report)
    if not store.is_initialised():
        _problem(report, str(store.config_path), "orch is not set up here", "run `orch init`")
        return report
    from orchestrator import receipts

    if fix:
        for chain in receipts.chain_files(store.dir):
            mended = receipts.mend_torn_tail(store.dir, chain)
            if mended:
                _fixed(report, mended)
    chains = receipts.trusted_chains(store.dir)
    _check_config(store, report, fix)
    _check_tasks(store, report, fix)
    if _check_interrupted_plans(store, report, fix):
        chains = receipts.trusted_chains(store.dir)
    tasks = _check_tasks(store, report, False, quiet=True)
    _check_against_receipts(store, tasks, chains, report, fix)
    _check_plans(store, tasks, report, fix)
    _check_graph(tasks, report)
    elsewhere = _check_team(store, report, fix)
    _check_runtime(store, tasks, chains, report, fix, elsewhere)
    _check_unfinished(store, tasks, report, fix)
    _check_temp_files(store, report, fix)
    _check_receipts(store, report)
    _check_hooks(store, report, fix)
    _check_jail(store, report)
    worktree = paths.worktree_dir(str(store.dir), str(store.runtime))
    report["info"].append(fsmonitor.describe(str(store.tasks_dir), worktree))
    return report


def _problem(report: dict[str, Any], file: str, problem: str, fix: str) -> None:
    report["ok"] = False
    report["problems"].append({"file": file, "problem": problem, "fix": fix})


def _fixed(report: dict[str, Any], what: str) -> None:
    report["fixed"].append(what)


def _check_config(store: Store, report: dict[str, Any], fix: bool) -> None:
    try:
        if not isinstance(read_json(store.config_path), dict):
            raise OrchError("expected a JSON object")
    except OrchError as exc:
        if fix:
            _fixed(report, recovery.restore_config(store))
            return
        _problem(report, str(store.config_path), _first_line(exc),
                 "`orch doctor --fix` restores it from git (HEAD), else writes the defaults")


def _check_tasks(
    store: Store, report: dict[str, Any], fix: bool, quiet: bool = False
) -> dict[str, dict[str, Any]]:
    """The readable task files; the broken ones are reported (or, with `fix`, restored)."""
    tasks: dict[str, dict[str, Any]] = {}
    for path in sorted(store.tasks_dir.glob("*.json")):
        try:
            data = read_json(path)
            record = TaskRecord.model_validate(data)
        except (OrchError, ValidationError) as exc:
            if not quiet:
                _broken_task(store, path, _first_line(exc), report, fix)
            continue
        if record.id != path.stem:
            if not quiet:
                _problem(report, str(path), f"holds task {record.id!r}", f"rename it to {record.id}.json")
        elif record.status not in lifecycle.STATUSES:
            if not quiet:
                _broken_task(store, path, f"unknown status {record.status!r}", report, fix)
        else:
            tasks[record.id] = data
    return tasks


def _broken_task(store: Store, path: Path, why: str, report: dict[str, Any], fix: bool) -> None:
    done = recovery.restore_task(store, path.stem) if fix else None
    if done:
        _fixed(report, done)
    elif fix:
        _problem(report, str(path), why, "neither git's HEAD nor its plan's saved source holds it: delete "
                 "it and reload its plan with `orch plan add --replace PLAN` (the task starts again, queued)")
    else:
        hand = _by_hand(path, store.root)
        _problem(report, str(path), why, "`orch doctor --fix` restores it from git (HEAD), else rebuilds it "
                 f"from its plan's saved source, then replays its receipts; by hand: {hand}")


def _check_interrupted_plans(store: Store, report: dict[str, Any], fix: bool) -> bool:
    """Plans an interrupted `orch plan add` left marked incomplete; True when one was finished."""
    from orchestrator import planload

    finished = False
    for plan in recovery.readable_plans(store):
        if not plan.get("incomplete"):
            continue
        if not fix:
            _problem(report, str(store.plans_dir / f"{plan['id']}.json"), "`orch plan add` was interrupted",
                     "`orch doctor --fix` completes it from the plan's saved source")
            continue
        try:
            _fixed(report, planload.complete_plan(store, plan["id"], "orch doctor"))
            finished = True
        except OrchError as exc:
            _problem(report, str(store.plans_dir / f"{plan['id']}.json"),
                     f"`orch plan add` was interrupted and cannot be completed: {_first_line(exc)}",
                     "fix what the message names, then `orch plan add --replace PLAN`")
    return finished


def _check_against_receipts(
    store: Store, tasks: dict[str, dict[str, Any]], chains: dict[str, list[dict[str, Any]]],
    report: dict[str, Any], fix: bool,
) -> None:
    """Task files whose status or history differ from their receipt chain (the truth)."""
    from orchestrator import receipts

    present = receipts.chain_files(store.dir)
    for task_id, task in tasks.items():
        if task_id in present and task_id not in chains:
            continue  # a broken chain: `_check_receipts` reports it, nothing is rolled back to it
        if task_id not in present and task["status"] == "queued":
            continue
        if task_id not in present:
            _problem(report, f"task {task_id}", f"status {task['status']!r} but no receipts at all",
                     "restore .orch/receipts from git, or move the task again with orch")
            continue
        change = recovery.reconcile(dict(task), chains[task_id])
        if change is None:
            continue
        if fix:
            _fixed(report, f"rolled task {recovery.roll_task(store, task_id) or change}")
            tasks[task_id] = read_json(store.task_path(task_id))
        else:
            _problem(report, str(store.task_path(task_id)), f"differs from its receipts ({change})",
                     "`orch doctor --fix` rolls the task file to what its receipts record (the truth)")


def _check_plans(store: Store, tasks: dict[str, dict[str, Any]], report: dict[str, Any], fix: bool) -> None:
    plan_ids = set()
    for path in sorted(store.plans_dir.glob("*.json")):
        if path.name.endswith(".source.json"):
            continue
        try:
            plan = read_json(path)
            plan_ids.add(plan["id"])
        except (OrchError, KeyError, TypeError) as exc:
            _broken_plan(store, path, f"not a readable plan: {_first_line(exc)}", report, fix)
            plan_ids.add(path.stem)
            continue
        missing = [t for t in plan.get("task_ids", []) if t not in tasks and not store.task_path(t).exists()]
        for task_id in missing:
            done = recovery.restore_task(store, task_id) if fix else None
            if done:
                _fixed(report, done)
            else:
                _problem(report, str(store.task_path(task_id)), f"missing, though plan {plan['id']} lists it",
                         "`orch doctor --fix` restores it from git (HEAD), else rebuilds it from the plan's "
                         "saved source, then replays its receipts")
    orphans = sorted(t for t, task in tasks.items() if task["plan"] not in plan_ids)
    if orphans:
        _problem(
            report,
            str(store.tasks_dir),
            f"tasks of no known plan: {', '.join(orphans)}",
            "restore the plan file from git, or re-add the plan with `orch plan add`",
        )


def _broken_plan(store: Store, path: Path, why: str, report: dict[str, Any], fix: bool) -> None:
    if fix:
        try:
            _fixed(report, recovery.restore_plan(store, path.stem, "orch doctor"))
            return
        except OrchError as exc:
            why = f"{why}; rebuilding it failed: {_first_line(exc)}"
    _problem(report, str(path), why, "`orch doctor --fix` rebuilds it from its saved source (task "
             f"progress is kept); by hand: {_by_hand(path, store.root)}")


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


def _check_team(store: Store, report: dict[str, Any], fix: bool) -> set[str]:
    """Team mode's part (`teams.health`); the active tasks other clones hold, as last fetched."""
    from orchestrator import teams

    try:
        if teams.remote_of(store.config()) is None:
            return set()
    except OrchError:  # a corrupt config is reported (and fixed) by its own check
        return set()
    from orchestrator.teams import health

    found = health.examine(store, fix)
    report["info"] += found["info"]
    report["fixed"] += found["fixed"]
    for file, problem, how in found["problems"]:
        _problem(report, file, problem, how)
    return set(found["elsewhere"])


def _check_runtime(store: Store, tasks: dict[str, dict[str, Any]], chains: dict[str, list[dict[str, Any]]],
                   report: dict[str, Any], fix: bool, elsewhere: set[str] | None = None) -> None:
    runtime = Runtime(store.runtime)
    report["info"].append(f"runtime folder: {runtime.dir}")
    broken = recovery.broken_runtime_files(store)
    for name, why in broken.items():
        if fix:
            _fixed(report, recovery.repair_runtime_file(store, name, chains))
        else:
            where = why.partition(":")[0] if name != "index" else recovery.runtime_path(store, "index")
            _problem(report, where, why,
                     f"`orch doctor --fix`: {recovery.RUNTIME_FIXES[name]}")
    if not fix and {"bindings.json", "leases.json"} & set(broken):
        return
    bindings = runtime.bindings()
    for task_id, binding in bindings.items():
        task = tasks.get(task_id)
        if task is None and (store.tasks_dir / f"{task_id}.json").exists():
            continue  # a broken task file, reported above: its binding is not stale
        if task is None or task["status"] in ("completed", "cancelled", "queued"):
            _stale(
                report,
                fix,
                f"binding of {task_id} to {binding.get('holder')}",
                lambda t=task_id: runtime.unbind(t),
            )
    here = {task_id: task for task_id, task in tasks.items() if task_id not in (elsewhere or set())}
    _check_unbound(runtime, here, bindings, chains, report, fix)
    _check_quiet_holders(store, tasks, bindings, report)
    now = time.time()
    for path, lease in runtime.leases().items():
        if lease.get("clone"):
            continue  # another clone's, adopted by `orch sync`, which replaces them (teams.sharedleases)
        task = tasks.get(lease.get("task", ""))
        if lease.get("expires_at", 0) <= now or task is None or task["status"] != "in_progress":
            _stale(
                report, fix, f"lease on {path} ({lease.get('task')})", lambda p=path: runtime.release(path=p)
            )


def _check_unbound(runtime: Runtime, tasks: dict[str, dict[str, Any]], bindings: dict[str, Any],
                   chains: dict[str, list[dict[str, Any]]], report: dict[str, Any], fix: bool) -> None:
    """An active task with no binding (a kill inside `orch start`): bind it to its holder again."""
    for task_id, task in tasks.items():
        holder = recovery.holder_of(chains.get(task_id, []))
        if task["status"] not in lifecycle.ACTIVE or task_id in bindings or not holder:
            continue
        if fix:
            runtime.bind(task_id, holder)
            _fixed(report, f"bound {task_id} to {holder} again, as its receipts record")
        else:
            report["info"].append(f"{task_id} is {task['status']} but bound to nobody (an interrupted "
                                  f"`orch start`?); `--fix` binds it to {holder} again")


def _check_unfinished(
    store: Store, tasks: dict[str, dict[str, Any]], report: dict[str, Any], fix: bool
) -> None:
    """Completed tasks whose report, commit or tags failed: `orch done` (or --fix) runs them."""
    for task_id, task in tasks.items():
        left = task.get("unfinished")
        if task["status"] != "completed" or not left:
            continue
        if not fix:
            report["info"].append(f"{task_id} is completed but its {', '.join(left)} did not run: "
                                  f"`orch done {task_id}` (or `orch doctor --fix`) runs them")
            continue
        from orchestrator import completion

        outcome = completion.done(store, task_id, "user:orch-doctor")
        if outcome.get("unfinished"):
            _problem(report, f"task {task_id}", str(outcome.get("error")),
                     f"fix the cause, then `orch done {task_id}`")
        else:
            _fixed(report, f"finished {task_id}: {', '.join(left)}")


def _check_quiet_holders(store: Store, tasks: dict[str, dict[str, Any]], bindings: dict[str, Any],
                         report: dict[str, Any]) -> None:
    """Active tasks whose holder is gone (its session ended, or no activity for longer than the
    lease TTL: a crashed or closed session): another caller may take them over."""
    from orchestrator.runtime import is_live, seen
    from orchestrator.workflow import lease_ttl

    ttl = lease_ttl(store)
    for task_id, binding in bindings.items():
        task = tasks.get(task_id)
        if task is None or task["status"] not in lifecycle.ACTIVE or is_live(binding, ttl):
            continue
        why = "its session ended" if binding.get("ended") else (
            f"no activity since {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(seen(binding)))}")
        report["info"].append(f"{task_id} is held by {binding.get('holder')}, but {why}: another caller "
                              f"may take it over with `orch start {task_id}`")


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
    bad = result.get("first_bad") or {}
    if bad.get("file") and any(str(p["file"]).endswith(bad["file"]) for p in report["problems"]):
        return  # a task or plan file, reported above with its fix
    if bad.get("file"):
        _problem(report, bad["file"], bad.get("reason", ""),
                 "`orch doctor --fix` rolls the file to what its receipts record (the truth)")
    elif bad.get("chain") and _torn(store, str(bad["chain"])):
        _problem(report, f"receipts {bad.get('chain', '')}", f"line {bad.get('line')}: {bad.get('reason')}",
                 "`orch doctor --fix` ends the line, or cuts it off if a crash tore it (its write never "
                 "completed)")
    elif not result["ok"]:
        chain = f".orch/receipts/{bad['chain']}.jsonl" if bad.get("chain") else ".orch/receipts"
        _problem(
            report,
            f"receipts {bad.get('chain', '')}",
            f"line {bad.get('line')}: {bad.get('reason')}",
            "receipts are append-only evidence: investigate who changed it (`git log -p -- "
            f"{chain}`), restore it from git (`git checkout -- {chain}`), then `orch doctor --fix` rolls "
            "the task file to what the chain then records",
        )
    else:
        report["info"].append(f"receipts: {result['records']} records verify")


def _torn(store: Store, chain: str) -> bool:
    from orchestrator import receipts

    path = receipts.chain_files(store.dir).get(chain)
    return path is not None and not path.read_bytes().endswith(b"\n")


def _check_hooks(store: Store, report: dict[str, Any], fix: bool) -> None:
    """Registered hooks must run here: run the registered command as Claude Code would, on a
    harmless call, and report what happened."""
    from orchestrator import install

    try:
        hooked = install.installed(store.root)
    except OrchError as exc:
        _problem(
            report, str(install.settings_path(store.root)), str(exc), "fix the JSON by hand, then `orch init`"
        )
        return
    if not hooked:
        report["info"].append(
            "hooks not registered in .claude/settings.json (fine when orch runs as a plugin)"
        )
        return
    if fix and not (store.runtime / "hook-command").exists():
        install.write_launcher(store.root, store.runtime)
        _fixed(report, "recorded this machine's orch for the hook launcher (runtime hook-command)")
    outcome = install.trial_run(store.root)
    if outcome is None:
        report["info"].append("hooks registered in .claude/settings.json; the registered command runs here")
    else:
        _problem(report, str(install.settings_path(store.root)),
                 f"the registered hook command fails here: {outcome}",
                 "run `orch init` in this clone (it records this machine's orch), then `orch doctor` again")


def _check_jail(store: Store, report: dict[str, Any]) -> None:
    """Can this machine run Bash commands in the write jail (probed afresh)?"""
    from orchestrator.jail import sessions

    try:
        wanted = sessions.mode(store.config())
    except OrchError:  # a corrupt config is reported (and fixed) by its own check; hooks then read auto
        wanted = "auto"
    if wanted == "off":
        report["info"].append("write jail: off (policy.jail); Bash commands are checked by analysis only")
        return
    reason = sessions.probe(str(store.runtime), fresh=True)
    if reason is None:
        report["info"].append("write jail: available here (mount namespace + Landlock seal)")
    elif wanted == "on":
        _problem(report, "policy.jail", f"the write jail is required but unavailable here: {reason}",
                 "run on a Linux kernel with user namespaces and Landlock, or `orch config policy.jail auto`")
    else:
        report["info"].append(f"write jail: unavailable here ({reason}); Bash is checked by analysis only")


def _check_plugin(report: dict[str, Any]) -> None:
    """A plugin install (the launcher exports CLAUDE_PLUGIN_DATA): its venv build and `orch` on PATH."""
    import os
    import shutil

    from orchestrator import bootstrap

    data = os.environ.get("CLAUDE_PLUGIN_DATA")
    if not data:
        return
    if os.path.exists(os.path.join(data, bootstrap.FAILED)):
        why = bootstrap.failure_message(bootstrap.plugin_root(), data)
        _problem(report, os.path.join(data, bootstrap.LOG), why, "read the log, then retry as it says")
        return
    found = shutil.which("orch")
    where = f"`orch` on PATH is {found}" if found else "no `orch` on this PATH (new sessions add it)"
    venv = os.path.join(data, bootstrap.VENV)
    report["info"].append(f"plugin install: dependencies ready in {venv}; {where}")


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
