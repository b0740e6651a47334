"""The newest receipts, for the board's timeline, without reading every chain: a chain file's
mtime is the time of its last append, so the newest LIMIT records lie in the newest LIMIT files."""

from __future__ import annotations

import os
from typing import Any

from orchestrator import receipts
from orchestrator.store import Store

LIMIT = 100


def recent(store: Store, tags: list[dict[str, Any]], limit: int = LIMIT) -> list[dict[str, Any]]:
    """The `limit` newest receipts of every chain and orch's `tags` (`orch_tags`), newest first.
    Receipts of the same second are ordered by their chain's last append, then within a chain."""
    rows: list[tuple[tuple[str, int, int], dict[str, Any]]] = []
    for mtime, name, path in _newest_chains(receipts.receipts_dir(store.dir), limit):
        rows.extend(((str(r.get("at")), mtime, _seq(r)), _row(name, r)) for r in _records(path))
    rows.extend(((tag["at"], 0, 0), _tag_row(tag)) for tag in tags)
    rows.sort(key=lambda pair: pair[0], reverse=True)
    return [row for _key, row in rows[:limit]]


def orch_tags(store: Store) -> list[dict[str, Any]]:
    """orch's tags in the repository (milestones, plan start and completion); one git call."""
    from orchestrator import gitops

    return gitops.orch_tags(store.root)


def _newest_chains(folder: os.PathLike[str], limit: int) -> list[tuple[int, str, str]]:
    try:
        with os.scandir(folder) as entries:
            found = [(e.stat().st_mtime_ns, e.name[: -len(receipts.SUFFIX)], e.path) for e in entries
                     if e.name.endswith(receipts.SUFFIX) and not e.name.startswith(".") and e.is_file()]
    except FileNotFoundError:
        return []
    found.sort(reverse=True)
    return found[:limit]


def _seq(record: dict[str, Any]) -> int:
    seq = record.get("seq")
    return seq if isinstance(seq, int) else 0


def _records(path: str) -> list[dict[str, Any]]:
    """The chain's records that parse (a torn or broken line is `orch verify`'s to report)."""
    try:
        return receipts.readable_records(path)[0]
    except OSError:
        return []


def _row(chain: str, record: dict[str, Any]) -> dict[str, Any]:
    return {"at": record.get("at"), "kind": "receipt", "task": record.get("task"), "chain": chain,
            "event": record.get("event"), "actor": record.get("actor"), "summary": receipts.summarise(record)}


def _tag_row(tag: dict[str, Any]) -> dict[str, Any]:
    return {"at": tag["at"], "kind": "tag", "task": None, "chain": None, "event": "tag",
            "actor": tag["tagger"], "summary": f"{tag['name']} at {tag['commit'][:12]}"}
