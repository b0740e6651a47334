"""Milestone tags: annotated git tags that anchor the receipt chains when a plan reaches a point.

`<plan>-start` when a task of the plan first goes in progress, `<plan>/<milestone>` when every
task of a milestone is completed with its last gate run passing, `<plan>-complete` when every task
is completed or cancelled (at least one completed). A tag is created once and never moved; its
message summarises the tasks and records `Orch-Receipt-Root:` and one `Orch-Chain:` line per chain,
which `orch verify` checks against the chains.

Each tag made gets a "tag" receipt in the chain of the task whose transition made it due, not in
the plan chain: two clones that each start their own task both make `<plan>-start`, and receipts
in the plan chain would then conflict when their work is merged (see docs/receipts.md).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, NamedTuple

from orchestrator import receipts
from orchestrator.errors import OrchError
from orchestrator.lifecycle import FINISHED
from orchestrator.store import Store
from orchestrator.tagmarks import CHAIN_MARKER, ROOT_MARKER

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def tag_message(plan: dict[str, Any], title_line: str, tasks: list[dict[str, Any]], state_dir: Path) -> str:
    """The summary of `tasks` (status, last gate run) and the receipt anchor: the root hash over
    the heads of the plan chain and of every chain of the plan's tasks."""
    lines = [_one_line(title_line), "", f"Plan: {plan['id']} - {_one_line(str(plan.get('title') or ''))}"]
    lines += [""]
    lines += ["Tasks:"] + [_task_line(task) for task in tasks] + [""]
    wanted = {receipts.plan_chain(plan["id"])}
    wanted |= {receipts.task_chain(tid) for tid in [*plan.get("task_ids", []), *(t["id"] for t in tasks)]}
    recorded = receipts.heads(state_dir, sorted(wanted))
    lines.append(f"{ROOT_MARKER} {receipts.root_of(recorded)}")
    lines += [f"{CHAIN_MARKER} {chain} {head}" for chain, head in recorded.items()]
    return "\n".join(lines) + "\n"


def _task_line(task: dict[str, Any]) -> str:
    line = f"- {task['id']} [{task['status']}] {_one_line(str(task.get('title') or ''))}"
    verdicts = [f"{r.get('name')} {'passed' if r.get('passed') is True else 'failed'}"
                for r in _last_run(task)]
    if verdicts:
        line += f" (gates: {', '.join(verdicts)})"
    return line


def _one_line(text: str) -> str:
    return " ".join(text.split())


def gates_passed(task: dict[str, Any]) -> bool:
    """Whether the task's last gate run passed (a task that never ran gates counts as passed)."""
    return all(result.get("passed") is True for result in _last_run(task))


def _last_run(task: dict[str, Any]) -> list[dict[str, Any]]:
    """The results of the task's last gate run ([] when it never ran gates)."""
    runs = task.get("gate_results")
    last = runs[-1] if isinstance(runs, list) and runs else []
    if not isinstance(last, list):
        return [{"name": "?", "passed": False}]  # not a run: never counts as passing
    return [r if isinstance(r, dict) else {"name": "?", "passed": False} for r in last]


def slug(text: str) -> str:
    """`text` made safe as one component of a tag name."""
    safe = re.sub(r"\.{2,}", ".", _UNSAFE.sub("-", text)).strip(".-")
    while safe.endswith(".lock"):
        safe = safe[: -len(".lock")].rstrip(".-")
    return safe or "x"


# -- which tags are due ----------------------------------------------------------------------


class Due(NamedTuple):
    """A tag the plan's state calls for: its name, kind, first line and the tasks it summarises."""

    name: str
    kind: str  # "start" | "milestone" | "complete"
    title: str
    tasks: list[dict[str, Any]]


def _milestone_due(plan: dict[str, Any], milestone: dict[str, Any], members: list[dict[str, Any]]) -> Due:
    title = f"orch: milestone {milestone['id']} of plan {plan['id']} reached: {milestone.get('title', '')}"
    return Due(f"{slug(plan['id'])}/{slug(milestone['id'])}", "milestone", title.rstrip(": "), members)


class _Plan:
    """The tags the plan's state calls for after a transition, found without reading every task
    file. Only a transition that finishes a task can complete a milestone or the plan, so only
    then (or while the start tag is missing) is the plan's state read at all: the summaries
    snapshot (one file) gives each task's status and milestone, one git call lists the plan's
    tags, and a tag that exists is never made again; whole task files are read only for the
    members of a completed milestone not yet tagged (their gate results), or for every task when
    a plan-wide tag is about to be made (once per plan). A milestone a merge completed is tagged
    at the next transition that finishes a task of the plan."""

    def __init__(self, store: Store, plan: dict[str, Any], task: dict[str, Any], existing: set[str]) -> None:
        self.store, self.plan, self.existing = store, plan, existing
        starts = task["status"] == "in_progress" and f"{slug(plan['id'])}-start" not in existing
        wanted = starts or task["status"] in FINISHED
        ids = plan.get("task_ids")
        members = set(ids) if isinstance(ids, list) else None
        self.rows = [t for t in (store.flushed_summaries() if wanted else [])
                     if (t["id"] in members if members is not None else t["plan"] == plan["id"])]

    def whole(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        found = (self.store.task_or_none(row["id"]) for row in rows)
        return [t for t in found if t is not None]

    def due(self, task: dict[str, Any]) -> list[Due]:
        """Every tag due after `task` moved that does not exist yet, in the order they are made."""
        pid, base, made, existing = self.plan["id"], slug(self.plan["id"]), [], self.existing
        if task["status"] == "in_progress" and f"{base}-start" not in existing:
            title = f"orch: plan {pid} started ({task['id']} in progress)"
            made.append(Due(f"{base}-start", "start", title, self.whole(self.rows)))
        for milestone in _milestones(self.plan, self.rows):
            name = f"{base}/{slug(milestone['id'])}"
            members = [r for r in self.rows if r.get("milestone") == milestone["id"]]
            if name in existing or not members or any(r["status"] != "completed" for r in members):
                continue
            whole = self.whole(members)
            if len(whole) == len(members) and all(t["status"] == "completed" and gates_passed(t)
                                                  for t in whole):
                made.append(_milestone_due(self.plan, milestone, whole))
        statuses = [r["status"] for r in self.rows]
        if (f"{base}-complete" not in existing and "completed" in statuses
                and all(status in FINISHED for status in statuses)):
            made.append(Due(f"{base}-complete", "complete", f"orch: plan {pid} complete",
                            self.whole(self.rows)))
        return made


def _milestones(plan: dict[str, Any], tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    declared = [m for m in plan.get("milestones") or [] if isinstance(m, dict) and m.get("id")]
    known = {m["id"] for m in declared}
    named = [t["milestone"] for t in tasks if t.get("milestone") and t["milestone"] not in known]
    return declared + [{"id": m, "title": m} for m in dict.fromkeys(named)]


# -- creating them ---------------------------------------------------------------------------


def after_transition(store: Store, task: dict[str, Any], actor: str,
                     waiting: list[str] | None = None) -> list[str]:
    """Create the tags that became due after `task`'s transition (state lock held by the caller).

    Returns the names created. Never fails the transition and never writes to stdout: no
    repository, no commit yet or a merge/rebase in progress mean no tag now (a later start catches
    up the start tag, a later transition that finishes a task of the plan the milestone and
    complete tags); a git error is one warning line on stderr. A milestone or complete tag whose
    work is not all committed waits (`uncommitted_work`): it is not made, and `waiting` (if
    given) says which and why."""
    try:
        from orchestrator import gitops

        plan = store.plan(task["plan"])
        state = gitops.repo_state(store.root)
        if plan is None or not state["is_repo"] or state["head"] is None or state["operation"]:
            return []
        due = _Plan(store, plan, task, gitops.tag_names(store.root, slug(plan["id"]))).due(task)
        # listing every uncommitted file is a git call and grows with the repo: only for a tag
        dirty = set(gitops.changed_files(store.root, None)) if due and not state["clean"] else set()
    except (ImportError, OSError, OrchError):  # no usable git or state: nothing to tag now
        return []
    made = []
    for tag in due:
        held = uncommitted_work(store, tag.tasks, dirty) if tag.kind != "start" else []
        if held:
            if waiting is not None:
                waiting.append(f"the tag {tag.name} waits for a commit holding its work "
                               f"(uncommitted: {_listed(held)})")
            continue
        message = _tag(store, plan, tag)
        if message is not None:
            _record_tag(store, plan, tag, message, actor, task["id"])
            made.append(tag.name)
    return made


def uncommitted_work(store: Store, tasks: list[dict[str, Any]], dirty: set[str]) -> list[str]:
    """The files of the completed `tasks` (their artifacts and task files) among `dirty` (the
    uncommitted changes): a tag on HEAD would not hold them."""
    found: set[str] = set()
    for task in (t for t in tasks if t.get("status") == "completed"):
        state = store.task_path(task["id"])
        own = [*(task.get("artifacts") or []),
               *([state.relative_to(store.root).as_posix()] if state.is_relative_to(store.root) else [])]
        found.update(path for path in own if path in dirty)
    return sorted(found)


def _listed(paths: list[str]) -> str:
    return ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")


def _tag(store: Store, plan: dict[str, Any], due: Due) -> str | None:
    """Create one tag unless it exists; its message when it was made now."""
    from orchestrator import gitops

    try:
        if not gitops.valid_tag_name(due.name) or gitops.tag_exists(store.root, due.name):
            return None
        message = tag_message(plan, due.title, due.tasks, store.dir)
        return message if gitops.create_tag(store.root, due.name, message) else None
    except (OrchError, OSError) as exc:
        print(f"orch: warning: milestone tag {due.name} not created: {exc}", file=sys.stderr)
        return None


def _record_tag(store: Store, plan: dict[str, Any], due: Due, message: str, actor: str, task_id: str) -> None:
    """The "tag" receipt, in the chain of the task that made the tag due. If it cannot be written,
    the tag stays (verify checks it from git) and a warning says so."""
    from orchestrator import gitops

    data = {"tag": due.name, "kind": due.kind, "tasks": [t["id"] for t in due.tasks]}
    try:
        evidence = {"commit": gitops.tag_commit(store.root, due.name),
                    "receipt_root": receipts.anchor_of(message)[0]}
        receipts.append(store.dir, receipts.task_chain(task_id), event="tag", actor=actor, task=task_id,
                        data={**data, "plan": plan["id"]}, evidence=evidence)
    except (OrchError, OSError) as exc:
        print(f"orch: warning: milestone tag {due.name} made, but its receipt was not recorded: {exc}",
              file=sys.stderr)
