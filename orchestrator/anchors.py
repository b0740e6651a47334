"""What decides enforcement, anchored in the receipts: each task's dependencies, declared files
and gates, each plan's default gates (recorded in the `plan_added` receipt of its plan chain),
and the repository's gates and policy (recorded in the `@config` chain by `orch config`).

`orch verify` reports a state file whose enforcing fields differ from what was recorded (a hand
edit that drops a dependency, widens `files` to `**` or removes a gate), and `orch start` refuses
such a task. Files written before anchors existed have none, and are not judged.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from orchestrator import receipts

CONFIG_CHAIN = "@config"
ENFORCED = ("depends_on", "files", "gates")
ANCHORING = ("plan_added", "plan_amended")


def digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def task_digest(task: dict[str, Any]) -> str:
    """The digest of the enforcing fields; `optional_files` only when a task has some, so the
    digests recorded before optional outputs existed still match."""
    fields = {key: task.get(key) or [] for key in ENFORCED}
    if task.get("optional_files"):
        fields["optional_files"] = task["optional_files"]
    return digest(fields)


def plan_digest(plan: dict[str, Any]) -> str:
    return digest(plan.get("gates") or [])


def config_digest(config: dict[str, Any]) -> str:
    return digest({"gates": config.get("gates") or [], "policy": config.get("policy") or {}})


def plan_record(tasks: list[dict[str, Any]], plan: dict[str, Any]) -> dict[str, Any]:
    """What a `plan_added` receipt anchors: each task's digest and the plan's gates."""
    return {"enforce": {t["id"]: task_digest(t) for t in tasks}, "plan_gates": plan_digest(plan)}


def recorded(chain: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The anchor data of the last `plan_added` (or `plan_amended`: a fix task joined the plan)
    receipt of a plan chain that has one."""
    for record in reversed(chain):
        data = record.get("data")
        if record.get("event") in ANCHORING and isinstance(data, dict) and "enforce" in data:
            return data
    return None


def task_drift(state_dir: Path, task: dict[str, Any]) -> str | None:
    """Why `task`'s enforcing fields differ from its plan's anchor, or None."""
    chain = receipts.trusted_chain(Path(state_dir), receipts.plan_chain(str(task.get("plan"))))
    anchor = recorded(chain or [])
    expected = (anchor or {}).get("enforce", {}).get(task["id"])
    if expected is None or expected == task_digest(task):
        return None
    return (f"task {task['id']}'s dependencies, files or gates differ from what its plan recorded when it "
            "was added: the task file was edited outside orch")


def drifts(state_dir: Path, chains: dict[str, list[dict[str, Any]]], tasks: list[dict[str, Any]],
           plans: list[dict[str, Any]], config: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(chain, reason) for every state file whose enforcing fields differ from their anchor."""
    found: list[tuple[str, str]] = []
    anchors = {name: recorded(records) for name, records in chains.items()}
    for plan in plans:
        anchor = anchors.get(receipts.plan_chain(plan["id"]))
        if anchor is not None and anchor.get("plan_gates") not in (None, plan_digest(plan)):
            found.append((receipts.plan_chain(plan["id"]),
                          f"plan {plan['id']}'s gates differ from what was recorded when it was added"))
    for task in tasks:
        anchor = anchors.get(receipts.plan_chain(str(task.get("plan")))) or {}
        expected = anchor.get("enforce", {}).get(task["id"])
        if expected is not None and expected != task_digest(task):
            found.append((task["id"], f"task {task['id']}'s dependencies, files or gates differ from what "
                                      "its plan recorded when it was added: edited outside orch"))
    config_chain = chains.get(CONFIG_CHAIN) or []
    if config is not None and config_chain:
        data = config_chain[-1].get("data") or {}
        if data.get("enforce") not in (None, config_digest(config)):
            found.append((CONFIG_CHAIN, ".orch/config.json's gates or policy differ from what `orch config` "
                                        "recorded: edited outside orch"))
    return found
