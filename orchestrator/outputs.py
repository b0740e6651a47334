"""Declared outputs: a task's `files` are what it promises to write. With `policy.require_outputs`
(the default), `orch done` refuses a task when one of its globs matches no file the task changed
(see `artifacts`) that exists now: a completion with nothing to show for it is a phantom. A glob
written with a leading `?` in the plan (`optional_files`) is declared, and owned, but not required.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestrator.artifacts import TRAILER, covers
from orchestrator.errors import Refused


def required(task: dict[str, Any]) -> list[str]:
    """The globs of `task` it must have changed a file of."""
    optional = set(task.get("optional_files") or [])
    return [glob for glob in task.get("files") or [] if glob not in optional]


def missing(task: dict[str, Any], changed: list[str], root: Path) -> list[str]:
    """The required globs that match no file of `changed` present in the work tree."""
    present = [path for path in changed if (root / path).is_file()]
    return [glob for glob in required(task) if not any(covers(glob, path) for path in present)]


def enforced(config: dict[str, Any]) -> bool:
    """`policy.require_outputs` (on unless switched off)."""
    policy = config.get("policy")
    return not isinstance(policy, dict) or policy.get("require_outputs", True) is not False


def check(config: dict[str, Any], task: dict[str, Any], changed: list[str], root: Path) -> None:
    """Refuse the completion of `task` when the policy is on and a required glob is unmatched."""
    if not enforced(config):
        return
    unmatched = missing(task, changed, root)
    if unmatched:
        raise Refused(refusal(task, unmatched, changed))


def refusal(task: dict[str, Any], unmatched: list[str], changed: list[str]) -> str:
    tid = task["id"]
    seen = f"it changed {', '.join(changed[:5])}{' …' if len(changed) > 5 else ''}" if changed else (
        "orch saw it change no file")
    lines = [
        f"{tid} changed no file matching its declared output{'s' if len(unmatched) > 1 else ''} "
        f"{', '.join(unmatched)} ({seen}): a task is done when its outputs exist.",
        "Write them; a file made by a program orch's hooks cannot follow counts once committed with "
        f"the trailer `{TRAILER}: {tid}` (`git commit --trailer '{TRAILER}: {tid}' …`).",
        "If an output is not always needed, mark it optional in the plan with a leading `?` "
        "(`?docs/notes.md`); a human can switch the rule off with "
        "`orch config policy.require_outputs false`.",
    ]
    return "\n".join(lines)
