"""Team mode's one network use from a hook: with `sync.on_session` on, SessionStart and SessionEnd
start `orch sync` in the background and return at once. The hook never waits for it; the sync is
bounded by `sync.timeout` per network call and a few push attempts, and writes its output to
`sync.log` in the runtime folder (cut when it grows past LOG_LIMIT). Standard library only."""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from orchestrator.hooks.context import Context

LOG_LIMIT = 64 * 1024


def wanted(config: dict[str, object]) -> bool:
    table = config.get("sync")
    return isinstance(table, dict) and table.get("on_session") is True and bool(table.get("remote"))


def start_background_sync(ctx: Context) -> None:
    """`orch sync` in a new session of its own (it outlives the hook), when the config asks."""
    if not wanted(ctx.config):
        return
    from orchestrator import spawn

    log = os.path.join(ctx.runtime.dir, "sync.log")
    os.makedirs(os.path.dirname(log), exist_ok=True)
    if os.path.exists(log) and os.path.getsize(log) > LOG_LIMIT:
        os.truncate(log, 0)
    spawn.detached("orchestrator.console", "main", ["sync"], cwd=ctx.root, log=log)
