"""Completion with evidence: run a task's gates, complete it when they all pass, pull the andon
(block it, recording the failing gate) when one fails."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from orchestrator import acceptance, andon, lifecycle, testruns, workflow
from orchestrator.errors import OrchError, Refused
from orchestrator.runtime import Runtime
from orchestrator.store import Store

KEPT_RUNS = 5


def run_task_gates(
    store: Store, task: dict[str, Any], on_line: Callable[[str], None] | None = None
) -> list[dict[str, Any]]:
    """Run every effective gate of `task` (no state lock held: gates can take minutes)."""
    from orchestrator.gates import new_run_folder, run_gates

    gates = [{**gate, "task": task["id"]} for gate in workflow.effective_gates(store, task)]
    output_dir = new_run_folder(Path(store.runtime) / "gate-output" / task["id"])
    return run_gates(gates, store.root, output_dir=output_dir, on_line=on_line)


def gate(
    store: Store, task_id: str, actor: str, on_line: Callable[[str], None] | None = None
) -> list[dict[str, Any]]:
    """`orch gate`: run the gates and record a receipt per result, and the runs of test gates on
    the task (`testruns`); its status is not changed."""
    workflow.check_holder(store, task_id, actor, "gate")
    results = run_task_gates(store, store.task(task_id), on_line)
    with store.locked():
        _gate_receipts(store, task_id, actor, results)
        _record_test_runs(store, store.task(task_id), results, "orch gate")
    return results


def done(
    store: Store, task_id: str, actor: str, on_line: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """`orch done`: complete the task if every gate passes, else pull the andon. On a completed task
    whose report, commit or tags failed (`unfinished`), run the steps still missing."""
    task = store.task(task_id)
    if task["status"] == "completed" and task.get("unfinished"):
        with store.locked():
            task = store.task(task_id)
            outcome = _finish(store, task, actor)
        return {"task": task, "results": [], "completed": True, "resumed": True, **outcome}
    _check_completable(store, task)
    workflow.check_holder(store, task_id, actor, "done")
    changed = _checked_outputs(store, task)
    andon.check_fix_done(store, task)
    acceptance.require_ticked(store, task)
    results = run_task_gates(store, task, on_line)
    passed = all(r["passed"] for r in results)
    if passed:
        _check_test_first(store, task_id, actor, results)
    with store.locked():
        task = store.task(task_id)
        _check_completable(store, task)
        task["artifacts"] = _merged(task, changed)
        task.setdefault("gate_results", []).append(results)
        task["gate_results"] = task["gate_results"][-KEPT_RUNS:]
        _gate_receipts(store, task_id, actor, results)
        testruns.add(task, testruns.entries(results, "orch done"))
        entries = _complete(store, task, actor) if passed else andon.pull(task, actor, results)
        if passed:
            task["unfinished"] = list(_FINISH_STEPS)  # saved with the completion: resumable
        workflow.save_transitions(store, task, entries)
        workflow.sync_runtime(Runtime(store.runtime), task)
        outcome = _finish(store, task, actor) if passed else _stopped(store, task, actor)
    workflow.release_claim(store, task)
    if passed and task.get("parent"):
        from orchestrator import rollup

        outcome["parent"] = rollup.complete_parent(store, task, actor, on_line)
    return {"task": task, "results": results, "completed": passed, **outcome}


def _checked_outputs(store: Store, task: dict[str, Any]) -> list[str]:
    """What the task changed (`artifacts.own_changes`), once its declared outputs are among it."""
    from orchestrator import artifacts, outputs

    if task["status"] == "queued":  # a parent its children completed: their files are theirs
        return []
    changed = artifacts.own_changes(store, task)
    outputs.check(store.config(), task, changed, store.root)
    return changed


def _merged(task: dict[str, Any], changed: list[str]) -> list[str]:
    """The task's artifacts as recorded now (a hook may have added some) and `changed`, sorted."""
    from orchestrator.artifacts import in_state

    return sorted(path for path in {*task.get("artifacts", []), *changed} if not in_state(path))


def _check_test_first(store: Store, task_id: str, actor: str, results: list[dict[str, Any]]) -> None:
    """Under test first, refuse a passing run that no red run of a test gate came before (the
    passing run is still recorded: its receipts and its test runs)."""
    with store.locked():
        task = store.task(task_id)
        refusal = testruns.refusal(store.config(), task, workflow.effective_gates(store, task))
        if refusal is not None:
            _gate_receipts(store, task_id, actor, results)
            _record_test_runs(store, task, results, "orch done")
    if refusal is not None:
        raise Refused(refusal)


def _record_test_runs(store: Store, task: dict[str, Any], results: list[dict[str, Any]], source: str) -> None:
    if testruns.add(task, testruns.entries(results, source)):
        store.save_task(task)


def _check_completable(store: Store, task: dict[str, Any]) -> None:
    if task["status"] in lifecycle.ACTIVE or (task["status"] == "blocked" and task.get("andon")):
        return
    if task["status"] == "queued" and _parent_due(store, task):
        return
    hint = f"start it first (`orch start {task['id']}`)" if task["status"] == "queued" else "nothing to do"
    raise Refused(f"{task['id']} is {task['status']}, not in progress: {hint}")


def _parent_due(store: Store, task: dict[str, Any]) -> bool:
    """A queued parent is completed by `orch done` once its children are; before, it is refused."""
    from orchestrator import hierarchy

    children = hierarchy.children_of(store.summaries(), task["id"])
    if not children:
        return False
    if hierarchy.children_finished(children):
        return True
    waiting = ", ".join(hierarchy.open_children(children)[:5])
    raise Refused(f"{task['id']} is a parent task: it completes when its last child completes "
                  f"(open: {waiting})")


def _complete(store: Store, task: dict[str, Any], actor: str) -> list[dict[str, Any]]:
    steps = []
    if task["status"] == "blocked":
        steps.append(workflow.transition(task, "in_progress", actor, "andon cleared: gates pass"))
    elif task["status"] == "queued":
        steps.append(workflow.transition(task, "in_progress", actor, "its children are complete"))
    flow = store.config().get("workflow", {})
    for stage in ("review", "testing"):
        if flow.get(stage) and stage in lifecycle.TRANSITIONS[task["status"]]:
            steps.append(workflow.transition(task, stage, actor, "gates pass"))
    steps.append(workflow.transition(task, "completed", actor, "every gate passed"))
    andon.resolve(task)
    return steps


def _stopped(store: Store, task: dict[str, Any], actor: str) -> dict[str, Any]:
    """After the andon: the fix task `andon.fix_task` asks for, if it has none yet."""
    from orchestrator import fixtask

    fix = fixtask.open_for(store, task, actor)
    return {"fix_task": fix} if fix else {}


def _gate_receipts(store: Store, task_id: str, actor: str, results: list[dict[str, Any]]) -> None:
    from orchestrator import receipts

    for result in results:
        receipts.append(
            store.dir,
            receipts.task_chain(task_id),
            event="gate",
            actor=actor,
            task=task_id,
            data={
                "name": result["name"],
                "command": result["command"],
                "passed": result["passed"],
                "exit_code": result["exit_code"],
                "timed_out": result["timed_out"],
                "duration": result["duration"],
            },
            evidence={"output_sha256": result["output_sha256"]},
        )


_FINISH_STEPS = ("report", "commit", "tags")


def _finish(store: Store, task: dict[str, Any], actor: str) -> dict[str, Any]:
    """After a completion: the report, the optional commit, then the milestone tags on it. Each
    step that succeeds leaves `task["unfinished"]`; the first that fails stops the rest (tags go on
    the commit), and `orch done` (or `orch doctor --fix`) runs what is left."""
    outcome: dict[str, Any] = {"report": None, "commit": None, "tags": []}
    steps = {"report": _report_step, "commit": _commit_step, "tags": _tags_step}
    left = [step for step in task.get("unfinished", []) if step in steps]
    while left:
        try:
            steps[left[0]](store, task, actor, outcome)
        except (OrchError, OSError, UnicodeError) as exc:
            why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            outcome["error"] = f"the {left[0]} step failed: {why}"
            break
        left.pop(0)
    if left:
        task["unfinished"] = left
    else:
        task.pop("unfinished", None)
    store.save_task(task)
    outcome["unfinished"] = left
    return outcome


def _report_step(store: Store, task: dict[str, Any], actor: str, outcome: dict[str, Any]) -> None:
    from orchestrator import reports

    outcome["report"] = str(reports.write_task_report(store, task["id"]))


def _commit_step(store: Store, task: dict[str, Any], actor: str, outcome: dict[str, Any]) -> None:
    """Commit the task's own files, its report and orch's state (`.orch/`), nothing else."""
    from orchestrator import gitops, receipts, reports

    config = store.config()
    if not config.get("commit_on_done"):
        return
    chain = receipts.task_chain(task["id"])
    head = receipts.heads(store.dir, [chain]).get(chain, "")
    template = config.get("commit_template") or "orch: complete {id} {title}"
    own = [*task.get("artifacts", []), _relative(store, reports.report_path(store, task)),
           _relative(store, store.dir)]
    message = gitops.render_commit_message(template, task, head)
    commit = gitops.commit_paths(store.root, [path for path in own if path], message)
    outcome["commit"] = commit
    if commit:
        receipts.append(store.dir, chain, event="commit", actor=actor, task=task["id"],
                        data={"sha": commit}, evidence={"commit": commit})


def _relative(store: Store, path: Path) -> str | None:
    return path.relative_to(store.root).as_posix() if path.is_relative_to(store.root) else None


def _tags_step(store: Store, task: dict[str, Any], actor: str, outcome: dict[str, Any]) -> None:
    """The tags that became due; one that waits for its work to be committed fails the step, so
    `orch done` makes it once that commit exists."""
    waiting: list[str] = []
    outcome["tags"] = workflow.after_transitions(store, task, actor, waiting)
    if waiting:
        raise OrchError(f"{'; '.join(waiting)}. Commit that work, then run `orch done {task['id']}` again")
