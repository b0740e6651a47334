"""Task ids of a spec-kit or Kiro list made unique across the repo's plans.

Every spec-kit feature numbers its tasks from T001 (and every Kiro list from 1), but orch's task ids
are unique across all the plans of a repo. So when a list's ids clash with another plan's, all of
its tasks are loaded under the feature's number: `specs/002-browse/tasks.md` gives `002-T001`,
`002-T002`, … (the plan id where it has no number), with one warning naming the rule. The ids stay
the file's own where nothing clashes, so a repo with one feature says `orch start T001`.
"""

from __future__ import annotations

import re

from orchestrator.plans.drafts import ParsedPlan

SCOPED_FORMATS = ("speckit", "kiro", "taskmaster")


def scope_ids(parsed: ParsedPlan, plan_id: str, external_ids: frozenset[str], file: str,
              prefix: str | None = None) -> None:
    """Prefix every task id (and every dependency on one) of `parsed` when any of them is taken.
    A given `prefix` (a sub-plan's parent task) scopes a plan of any format, with that prefix."""
    local = [draft.task["id"] for draft in parsed.drafts]
    taken = sorted(set(local) & external_ids)
    if (prefix is None and parsed.format not in SCOPED_FORMATS) or not taken:
        return
    prefix = prefix or id_prefix(plan_id)
    renamed = {task_id: f"{prefix}-{task_id}" for task_id in local}
    for draft in parsed.drafts:
        draft.task["id"] = renamed[draft.task["id"]]
        draft.task["depends_on"] = [renamed.get(d, d) for d in draft.task["depends_on"]]
        if draft.task.get("parent"):
            draft.task["parent"] = renamed.get(draft.task["parent"], draft.task["parent"])
    parsed.extra["id_prefix"] = prefix
    shown = ", ".join(taken[:3]) + (" …" if len(taken) > 3 else "")
    parsed.warn(file, None, "id", f"task ids {shown} are taken by another plan: this plan's tasks are "
                                  f"loaded as {prefix}-<id> ({renamed[local[0]]}, …)")


def id_prefix(plan_id: str) -> str:
    """`002-browse-by-date` -> `002`; a plan id without a leading number is the prefix itself."""
    found = re.match(r"\d+", plan_id)
    return found.group(0) if found else plan_id
