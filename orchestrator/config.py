"""The repo's orch configuration (`.orch/config.json`): defaults and a typed view of it."""

from __future__ import annotations

import json
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEFAULTS: dict[str, Any] = {
    "schema": 1,
    "policy": {
        "require_task": False,
        "strict": False,
    },
    "wip": {},
    "lease_ttl_seconds": 1800,
    "stop": {"max_blocks": 3},
    "workflow": {"review": False, "testing": False},
    "gates": [],
    "fast_checks": [],
    "commit_on_done": False,
}


def merged(user: dict[str, Any] | None) -> dict[str, Any]:
    """DEFAULTS overlaid with the user's config, one level deep for nested tables."""
    result: dict[str, Any] = json.loads(json.dumps(DEFAULTS))
    for key, value in (user or {}).items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key].update(value)
        else:
            result[key] = value
    return result
