"""The repo's orch configuration (`.orch/config.json`): defaults and a typed view of it."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEFAULTS: dict[str, Any] = {
    "schema": 1,
    "policy": {
        "require_task": False,
        "strict": False,
        "require_outputs": True,
        "jail": "auto",
        "test_first": False,
        "require_acceptance": False,
    },
    "wip": {},
    "lease_ttl_seconds": 1800,
    "dispatch": {"ttl": 300},
    "stop": {"max_blocks": 3},
    "workflow": {"review": False, "testing": False},
    "gates": [],
    "fast_checks": [],
    "commit_on_done": True,
    "schedule": {"strategy": "priority", "mix": {}, "wip": {}},
    "specialists": {"infer": True, "rules": {}},
    "andon": {"fix_task": False},
    "sync": {"remote": None, "branch": None, "claim_timeout": 14400, "on_session": False, "timeout": 60},
}


def lease_ttl(config: dict[str, Any]) -> float:
    """`lease_ttl_seconds`, or its default when the config holds something else (a hand edit)."""
    return _positive(config.get("lease_ttl_seconds"), DEFAULTS["lease_ttl_seconds"])


def dispatch_ttl(config: dict[str, Any]) -> float:
    """`dispatch.ttl`, or its default when the config holds something else (a hand edit)."""
    table = config.get("dispatch")
    return _positive(table.get("ttl") if isinstance(table, dict) else None, DEFAULTS["dispatch"]["ttl"])


def _positive(value: Any, default: float) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    return float(default)


def merged(user: dict[str, Any] | None) -> dict[str, Any]:
    """DEFAULTS overlaid with the user's config, one level deep for nested tables."""
    result = {key: _copy(value) for key, value in DEFAULTS.items()}
    for key, value in (user or {}).items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key].update(value)
        else:
            result[key] = value
    return result


def _copy(value: Any) -> Any:
    """A deep copy of plain JSON data (without importing `copy` on the hook path)."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value
