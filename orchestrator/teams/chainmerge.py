"""Merge two versions of one receipt chain so the result still verifies.

Receipts are append-only, so a merge is a union: the records both sides share (their common
prefix) stay as they are, and the records only one side has follow in the receipts' order (time,
then the status a transition reaches, then identity). A record moved to a new place in the chain is
re-linked: new `seq` and `prev`, its hash recomputed, and `evidence.rechained_from` naming the
hash it was written with — its identity, so the same record reached through two merges is kept
once, and a milestone tag that recorded the old hash still finds it (`receipts._check_tags`).
Deterministic: both sides of a merge, and every later merge, order the same records the same way.
"""

from __future__ import annotations

import json
from typing import Any

from orchestrator import receipts
from orchestrator.lifecycle import STATUSES

REKEY = "rechained_from"
# At the same second, the transition that goes further wins: it sorts last.
_RANK = {status: n for n, status in enumerate(("queued", "blocked", "in_progress", "review", "testing",
                                                "cancelled", "completed"))}


def merge_lines(ours: bytes, theirs: bytes) -> bytes:
    """The merged chain file of `ours` and `theirs` (ValueError when either does not parse)."""
    merged = merge(_records(ours), _records(theirs))
    return b"".join(receipts.canonical(record) + b"\n" for record in merged)


def merge(ours: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    common = _common_prefix(ours, theirs)
    kept = ours[:common]
    known = {identity(record) for record in kept}
    mine = _unique(ours[common:], known)
    other = _unique(theirs[common:], known | {identity(record) for record in mine})
    for record in interleave(mine, other, order_key):
        kept.append(relinked(record, len(kept), kept[-1]["hash"] if kept else None))
    return kept


def interleave(first: list[Any], second: list[Any], key: Any) -> list[Any]:
    """The two sequences merged by `key` of their heads, each keeping its own order (a record's
    order within its side, such as an andon's whys after its block, is never changed)."""
    result, i, j = [], 0, 0
    while i < len(first) and j < len(second):
        if key(second[j]) < key(first[i]):
            result.append(second[j])
            j += 1
        else:
            result.append(first[i])
            i += 1
    return result + first[i:] + second[j:]


def _unique(records: list[dict[str, Any]], known: set[str]) -> list[dict[str, Any]]:
    found, seen = [], set(known)
    for record in records:
        if identity(record) not in seen:
            seen.add(identity(record))
            found.append(record)
    return found


def identity(record: dict[str, Any]) -> str:
    """The hash a record was first written with, wherever merges have moved it since."""
    evidence = record.get("evidence")
    first = evidence.get(REKEY) if isinstance(evidence, dict) else None
    return str(first or record.get("hash"))


def order_key(record: dict[str, Any]) -> tuple[str, int, str]:
    """Time (seconds), then a transition's target status, then identity."""
    data = record.get("data")
    target = data.get("to") if isinstance(data, dict) and record.get("event") == "transition" else None
    return str(record.get("at") or ""), rank(target), identity(record)


def rank(status: Any) -> int:
    """Where a transition into `status` sorts among others of the same second (-1: no transition)."""
    return _RANK.get(status, len(STATUSES)) if isinstance(status, str) else -1


def relinked(record: dict[str, Any], seq: int, prev: str | None) -> dict[str, Any]:
    """`record` at position `seq` after `prev`: itself when it is there already, else re-linked."""
    if record.get("seq") == seq and record.get("prev") == prev:
        return record
    evidence = dict(record.get("evidence") or {})
    evidence.setdefault(REKEY, record["hash"])
    moved = {**record, "seq": seq, "prev": prev, "evidence": evidence}
    moved["hash"] = receipts.record_hash(moved)
    return moved


def _common_prefix(ours: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> int:
    count = 0
    for mine, other in zip(ours, theirs, strict=False):
        if mine.get("hash") != other.get("hash"):
            break
        count += 1
    return count


def _records(content: bytes) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in content.splitlines() if line.strip()]
    if not all(isinstance(record, dict) and "hash" in record for record in records):
        raise ValueError("a line is not a receipt")
    return records
