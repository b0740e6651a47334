"""The git merge driver for `.orch/`: `orch merge-driver %O %A %B %P`, registered by `orch init` in
team mode (and by `orch sync`, since a clone does not carry `.git/config`).

- a receipt chain (`*.jsonl`): the union of both sides' records, re-linked (`chainmerge`);
- a task file: its history interleaved by the receipts' order, the status of the last transition,
  and with it the fields that go with a status (block reason, andon, unfinished steps) from the
  side that made that transition; artifacts united; acceptance ticks by item, the newer one;
- any other JSON file (plans, config): a three-way merge by key, the local side winning where
  both changed the same value.

So a merge of two clones' `.orch/` never stops on a conflict, and `orch verify` passes after it.
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from typing import Any

from orchestrator import gitops
from orchestrator.errors import OrchError
from orchestrator.jsonfile import write_text
from orchestrator.teams import chainmerge

NAME = "orch"
ATTRIBUTES = ("# orch: merge its state by the receipts' order (docs/teams.md)\n"
              "*.json merge=orch\n*.jsonl merge=orch\n")
_WITH_STATUS = ("status", "block_reason", "andon", "unfinished")
_ABSENT = object()


# -- the driver ---------------------------------------------------------------------------------


def run(base: str, ours: str, theirs: str, path: str) -> None:
    """Merge the three versions git hands over, writing the result to `ours` (git's %A)."""
    merged = merged_bytes(_read(base), Path(ours).read_bytes(), Path(theirs).read_bytes(), path)
    write_text(ours, merged.decode("utf-8"))


def merged_bytes(base: bytes | None, ours: bytes, theirs: bytes, path: str) -> bytes:
    """The merge of one `.orch/` file (ValueError when a side does not parse)."""
    if path.endswith(".jsonl"):
        return chainmerge.merge_lines(ours, theirs)
    old = json.loads(base) if base and base.strip() else {}
    mine, other = json.loads(ours), json.loads(theirs)
    if "/tasks/" in f"/{path}" and all(isinstance(x, dict) for x in (old, mine, other)):
        result = merge_task(old, mine, other)
    else:
        result = merge_json(old, mine, other, prefer_ours=True)
    return (json.dumps(result, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _read(path: str) -> bytes | None:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        return None


# -- task files ---------------------------------------------------------------------------------


def merge_task(base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    mine, other = _list(ours, "history"), _list(theirs, "history")
    history = merge_history(_list(base, "history"), mine, other)
    ours_last = not history or history[-1] in mine
    result: dict[str, Any] = merge_json(base, ours, theirs, prefer_ours=ours_last)
    if history not in (mine, other):  # both sides moved it: the later move's side has the say
        later = ours if ours_last else theirs
        for key in _WITH_STATUS:
            _put(result, key, later.get(key, _ABSENT))
    result["history"] = history
    if history and isinstance(history[-1], dict) and history[-1].get("to"):
        result["status"] = history[-1]["to"]
    if "artifacts" in ours or "artifacts" in theirs:
        result["artifacts"] = sorted({*_list(ours, "artifacts"), *_list(theirs, "artifacts")}, key=str)
    if "checks" in ours or "checks" in theirs:
        result["checks"] = _merge_ticks(_list(ours, "checks"), _list(theirs, "checks"))
    return result


def merge_history(base: list[Any], ours: list[Any], theirs: list[Any]) -> list[Any]:
    """The entries both sides share, then each side's own, interleaved by time and status."""
    common = 0
    while common < min(len(ours), len(theirs)) and ours[common] == theirs[common]:
        common += 1
    mine = ours[common:]
    other = [entry for entry in theirs[common:] if entry not in mine]
    return ours[:common] + chainmerge.interleave(mine, other, _entry_key)


def _entry_key(entry: Any) -> tuple[str, int, str]:
    if not isinstance(entry, dict):
        return "", -1, json.dumps(entry, sort_keys=True)
    return str(entry.get("at") or ""), chainmerge.rank(entry.get("to")), json.dumps(entry, sort_keys=True)


def _merge_ticks(ours: list[Any], theirs: list[Any]) -> list[Any]:
    """One tick per acceptance item: the newer (`at`) where both sides ticked it."""
    by_item: dict[Any, Any] = {}
    for tick in [*ours, *theirs]:
        if isinstance(tick, dict):
            held = by_item.get(tick.get("item"))
            if held is None or str(tick.get("at") or "") > str(held.get("at") or ""):
                by_item[tick.get("item")] = tick
    return sorted(by_item.values(), key=lambda tick: int(tick.get("item") or 0))


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    return value if isinstance(value, list) else []


# -- any JSON -----------------------------------------------------------------------------------


def merge_json(base: Any, ours: Any, theirs: Any, *, prefer_ours: bool) -> Any:
    """Three-way by key, into nested objects: a value only one side changed takes that side's; a
    value both changed differently takes the preferred side's."""
    if ours == theirs:
        return ours
    if base == ours:
        return theirs
    if base == theirs:
        return ours
    if all(isinstance(x, dict) for x in (ours, theirs)):
        old = base if isinstance(base, dict) else {}
        result: dict[str, Any] = {}
        for key in [*ours, *(k for k in theirs if k not in ours)]:
            value = merge_json(old.get(key, _ABSENT), ours.get(key, _ABSENT), theirs.get(key, _ABSENT),
                               prefer_ours=prefer_ours)
            _put(result, key, value)
        return result
    return ours if prefer_ours else theirs


def _put(data: dict[str, Any], key: str, value: Any) -> None:
    if value is _ABSENT:
        data.pop(key, None)
    else:
        data[key] = value


# -- registration -------------------------------------------------------------------------------


def driver_command(python: str | None = None) -> str:
    """This machine's command for git: orch's interpreter, by absolute path, running the CLI from
    orch's own folder (`spawn.command`: a plugin install has orch outside its venv, where
    `python -m orchestrator.console` finds nothing)."""
    from orchestrator import spawn

    words = spawn.command("orchestrator.console", "main", python)
    return " ".join(shlex.quote(word) for word in [*words, "merge-driver"]) + " %O %A %B %P"


def register(root: str | os.PathLike[str]) -> list[str]:
    """Write `.orch/.gitattributes` and set `merge.orch.*` in the repo's git config (shared by its
    worktrees); idempotent. Says what it changed."""
    changed = []
    attributes = Path(root) / ".orch" / ".gitattributes"
    if not attributes.exists() or attributes.read_text(encoding="utf-8") != ATTRIBUTES:
        write_text(attributes, ATTRIBUTES)
        changed.append(str(attributes))
    for key, value in (("name", "orch: .orch/ merged by the receipts' order"), ("driver", driver_command())):
        if _config(root, f"merge.{NAME}.{key}") != value:
            _set_config(root, f"merge.{NAME}.{key}", value)
            changed.append(f"git config merge.{NAME}.{key}")
    return changed


def registered(root: str | os.PathLike[str]) -> bool:
    return bool(_config(root, f"merge.{NAME}.driver")) and (Path(root) / ".orch" / ".gitattributes").exists()


def _config(root: str | os.PathLike[str], key: str) -> str | None:
    status, out, _err = gitops.run(root, "config", "--local", "--get", key)
    return out.strip() if status == 0 else None


def _set_config(root: str | os.PathLike[str], key: str, value: str) -> None:
    status, _out, err = gitops.run(root, "config", "--local", key, value)
    if status != 0:
        raise OrchError(f"cannot set {key} in the git config of {root}: {err.strip()}")

