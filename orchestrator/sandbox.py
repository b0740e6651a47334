"""The second layer: Claude Code's own sandbox told to keep orch's state read-only.

`orch init` adds `.orch/` and the runtime folder to `sandbox.filesystem.denyWrite` in
`.claude/settings.local.json` (this machine's settings, not committed: the paths are absolute),
so a user who turns Claude Code's sandbox on gets the same protection from it; `orch uninstall`
removes exactly those entries. The sandbox itself stays the user's choice (`sandbox.enabled` is
never touched). Paths are written `//` + the absolute path: verified with the real CLI, where a
relative path (`./.orch`, `../.orch`) did not protect the repo's folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestrator.errors import StateError
from orchestrator.jsonfile import write_json


def settings_path(root: Path) -> Path:
    return root / ".claude" / "settings.local.json"


def entries(root: Path, runtime: Path) -> list[str]:
    return ["/" + str(path.resolve()) for path in (root / ".orch", runtime)]


def add(root: Path, runtime: Path) -> Path:
    path = settings_path(root)
    settings = _load(path)
    deny = _denied(settings, path)
    deny.extend(entry for entry in entries(root, runtime) if entry not in deny)
    write_json(path, settings)
    return path


def remove(root: Path, runtime: Path) -> bool:
    path = settings_path(root)
    if not path.exists():
        return False
    settings = _load(path)
    deny = _denied(settings, path)
    kept = [entry for entry in deny if entry not in entries(root, runtime)]
    if kept == deny:
        _prune(settings, ("sandbox", "filesystem", "denyWrite"))
        return False
    deny[:] = kept
    _prune(settings, ("sandbox", "filesystem", "denyWrite"))
    write_json(path, settings)
    return True


def _denied(settings: dict[str, Any], path: Path) -> list[Any]:
    """`sandbox.filesystem.denyWrite`, made where missing; a clear error where it is not a list."""
    table: Any = settings
    for key, kind in (("sandbox", dict), ("filesystem", dict), ("denyWrite", list)):
        table = table.setdefault(key, kind())
        if not isinstance(table, kind):
            shape = "a table" if kind is dict else "a list"
            raise StateError(f"{path}: `{key}` should be {shape}; fix it by hand, then rerun")
    return table  # type: ignore[no-any-return]


def _prune(settings: dict[str, Any], keys: tuple[str, ...]) -> None:
    """Drop the tables orch created and left empty, innermost first."""
    for depth in range(len(keys), 0, -1):
        *parents, last = keys[:depth]
        table = settings
        for key in parents:
            table = table[key]
        if not table[last]:
            del table[last]


def _load(path: Path) -> dict[str, Any]:
    from orchestrator.install import load_settings

    return load_settings(path)
