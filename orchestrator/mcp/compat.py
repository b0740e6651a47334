"""mcp-task-orchestrator's six tools, argument-compatible, over orch's library: the same calls
as `orch plan add`, `orch start`, `orch done`, `orch block` and `orch synthesize`. The plan id
stands for their parent task id; a subtask is an orch task."""

from __future__ import annotations

from typing import Any

from orchestrator import completion, graph, lifecycle, reports, specialists, workflow
from orchestrator.errors import Refused
from orchestrator.mcp import artifacts, planning, progress
from orchestrator.mcp.caller import Caller
from orchestrator.mcp.tools import COMPLEXITY, NEXT_ACTIONS, Arguments, andon
from orchestrator.store import Store

ROLES = {
    "architect": "System design: structure, interfaces, the decisions others build on",
    "implementer": "Writing the code that meets the task's acceptance criteria",
    "tester": "Tests that prove the acceptance criteria, and the failures they find",
    "reviewer": "Reviewing the work against the plan, the criteria and the style",
    "documenter": "Documentation that stays true to the code",
}


def initialize_session(store: Store, caller: Caller, args: Arguments) -> dict[str, Any]:
    status = progress.status(store, include_completed=False)
    subtasks = [s for p in status["active_tasks"] for s in p["subtasks"]]
    in_progress = [s for s in subtasks if s["status"] in lifecycle.ACTIVE]
    ready = [t["id"] for t in graph.ready_tasks(store.summaries())]
    roles = {role: ROLES.get(role, "the repository's own specialist (.orch/specialists/)")
             for role in specialists.roles(store)}
    text = reports.render_string("mcp_session.md.j2", store=store, ready=ready[:10], in_progress=in_progress)
    return {
        "session_initialized": True,
        "orchestrator_context": {"role": "Task Orchestrator (orch: the plan is binding)",
                                 "specialist_roles": roles},
        "instructions": text,
        "plans": [{"parent_task_id": p["parent_task_id"], "description": p["description"],
                   "progress": p["progress"]} for p in status["active_tasks"]],
        "active_tasks": in_progress,
        "ready": ready,
        "caller": caller.shown(),
    }


def plan_task(store: Store, caller: Caller, args: Arguments) -> dict[str, Any]:
    description = args.text("description")
    complexity = args.choice("complexity_level", COMPLEXITY, "moderate")
    loaded = planning.add(store, description, args.text("subtasks_json"), args.text("context", ""), caller.id)
    pid = loaded["plan"]["id"]
    ready = [t["id"] for t in graph.ready_tasks(store.summaries()) if t["plan"] == pid]
    return {
        "task_created": True,
        "parent_task_id": pid,
        "description": description,
        "complexity": complexity,
        "subtasks": [planning.subtask_row(t) for t in loaded["tasks"]],
        "warnings": [w["text"] for w in loaded["warnings"]],
        "next_steps": f"Use orchestrator_execute_subtask on a ready subtask: {', '.join(ready) or 'none'}",
    }


def execute_subtask(store: Store, caller: Caller, args: Arguments) -> dict[str, Any]:
    task = workflow.start(store, args.text("task_id"), caller.id, caller.session)
    role = specialists.role_of(task)
    return {
        "task_id": task["id"],
        "status": task["status"],
        "bound_to": caller.shown(),
        "specialist_context": {
            "role": role,
            "task_details": {"task_id": task["id"], "title": task["title"],
                             "description": task.get("description", ""), "specialist_type": role,
                             "files": task.get("files", [])},
            "guidance": specialists.guidance(store, task),
        },
        "instructions": f"Complete this task as the {role}, then call orchestrator_complete_subtask "
                        f"with task_id {task['id']!r}.",
    }


def complete_subtask(store: Store, caller: Caller, args: Arguments) -> dict[str, Any]:
    task_id, action = args.text("task_id"), args.choice("next_action", NEXT_ACTIONS)
    summary, work = args.text("summary"), args.text("detailed_work")
    task = _own_active_task(store, task_id, caller)
    info = artifacts.store_work(store, task, caller.id, summary, work, args.texts("file_paths"),
                                args.text("artifact_type", "general"))
    result = {"task_id": task_id, "results_recorded": True, "artifact_created": True, "artifact_info": info}
    result.update(_apply_action(store, task, caller, action, summary))
    result["parent_task_progress"] = progress.of_plan(store, task["plan"])
    return result


def _own_active_task(store: Store, task_id: str, caller: Caller) -> dict[str, Any]:
    task = store.task(task_id)
    if task["status"] not in lifecycle.ACTIVE:
        raise Refused(f"{task_id} is {task['status']}, not in progress: start it first with "
                      f"orchestrator_execute_subtask (task_id {task_id!r})")
    workflow.check_holder(store, task_id, caller.id, "done")
    return task


def _apply_action(
    store: Store, task: dict[str, Any], caller: Caller, action: str, summary: str
) -> dict[str, Any]:
    """continue/complete: `orch done` (gates, andon, receipts); needs_revision: back to (or stay)
    in progress; blocked: `orch block` with the summary as the reason."""
    if action == "blocked":
        return {"status": workflow.block(store, task["id"], summary, caller.id)["status"]}
    if action == "needs_revision":
        if task["status"] != "in_progress":
            workflow.move(store, task["id"], "in_progress", caller.id, "needs revision")
        return {"status": "in_progress"}
    outcome = completion.done(store, task["id"], caller.id)
    gates = [{"gate": r.get("name"), "passed": r["passed"]} for r in outcome["results"]]
    if not outcome["completed"]:
        raise andon(task["id"], outcome, {"status": outcome["task"]["status"], "gates": gates})
    return {"status": "completed", "gates": gates, "report": outcome.get("report"),
            "commit": outcome.get("commit"), "tags": outcome.get("tags", [])}


def synthesize_results(store: Store, caller: Caller, args: Arguments) -> dict[str, Any]:
    plan = planning.parent_of(store, args.text("parent_task_id"))
    summary_path = reports.write_plan_report(store, plan["id"])
    synthesis_path = reports.write_synthesis(store)
    tasks = [t for t in store.tasks() if t["plan"] == plan["id"]]
    tally = progress.counts(tasks)
    return {
        "synthesis_complete": tally["completed"] == tally["total"],
        "parent_task_id": plan["id"],
        "task_description": plan.get("title") or plan["id"],
        "completed_subtasks": tally["completed"],
        "total_subtasks": tally["total"],
        "synthesis": synthesis_path.read_text(encoding="utf-8"),
        "written": [str(p.relative_to(store.root)) for p in (synthesis_path, summary_path)],
        "artifacts": sorted({a for t in tasks for a in t.get("artifacts") or []}),
    }


def get_status(store: Store, caller: Caller, args: Arguments) -> dict[str, Any]:
    return progress.status(store, args.flag("include_completed")) | {"caller": caller.shown()}


TOOLS = {
    "orchestrator_initialize_session": initialize_session,
    "orchestrator_plan_task": plan_task,
    "orchestrator_execute_subtask": execute_subtask,
    "orchestrator_complete_subtask": complete_subtask,
    "orchestrator_synthesize_results": synthesize_results,
    "orchestrator_get_status": get_status,
}
