"""Teams: one plan shared by many clones through a git remote, with no server of orch's own.

Team mode is on when the config names a remote (`orch config sync.remote origin`). Then
`orch start` claims its task on the remote first (`claims`: one ref per task, moved only with a
lease, so git's atomic ref update decides a race), finishing or releasing a task frees its claim,
and `orch sync` (`sync`) merges and publishes `.orch/`, with the merge driver (`mergedriver`) that
merges task files and receipt chains by the receipts' order. See docs/teams.md.

This module is the one door and imports nothing: with team mode off, the workflow asks it one
question (`remote_of`) and loads none of the rest.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

CLAIM_TIMEOUT = 14400.0  # seconds a claim may go unrefreshed before another clone may take it over
NETWORK_TIMEOUT = 60.0  # seconds one git network call (fetch, push) may take


def remote_of(config: dict[str, Any]) -> str | None:
    """The remote team mode syncs with (`sync.remote`), or None when team mode is off."""
    table = config.get("sync")
    remote = table.get("remote") if isinstance(table, dict) else None
    return remote if isinstance(remote, str) and remote.strip() else None


def setting(config: dict[str, Any], key: str, default: Any) -> Any:
    """`sync.<key>`, or `default` when it is unset or of another type than `default` (a hand edit);
    a number must be positive."""
    table = config.get("sync")
    value = table.get(key) if isinstance(table, dict) else None
    if isinstance(default, bool):
        return value if isinstance(value, bool) else default
    if isinstance(default, float):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            return float(value)
        return default
    return value if isinstance(value, str) and value.strip() else default
