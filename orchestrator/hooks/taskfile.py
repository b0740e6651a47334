"""A hook's change to one task file: read, change and write it under the state lock (`fcntl.flock`
on the same `.orch/.lock` that the CLI takes through filelock), keeping the hooks' index current.
Only for changes that move no status, dependency or files (artifacts, test runs)."""

from __future__ import annotations

import os

from orchestrator.hooks import index
from orchestrator.jsonfile import read_json_or, write_json
from orchestrator.runtime import FileLock

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from orchestrator.hooks.context import Context


def update(ctx: Context, task_id: str, change: Callable[[dict[str, Any]], bool]) -> None:
    """Apply `change` to the task; it returns whether it changed anything worth writing."""
    path = os.path.join(ctx.state_dir, "tasks", f"{task_id}.json")
    with FileLock(os.path.join(ctx.state_dir, ".lock")):
        task = read_json_or(path, None)
        if not isinstance(task, dict):
            return
        before = index.stamp(ctx.state_dir)
        if change(task):
            write_json(path, task)
            index.keep_current(ctx.state_dir, ctx.runtime.dir, before)
