"""orch's merge driver: the same task changed in two clones merges with plain `git merge`, no
conflict, receipt chains valid; chain merges are deterministic and keep each record once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orchestrator import receipts
from orchestrator.teams import chainmerge, mergedriver
from tests.conftest import git
from tests.unit.teamrepos import orch, status_of, team


def _chain(clone: Path, task_id: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (clone / f".orch/receipts/{task_id}.jsonl").read_text().splitlines()]


def test_the_same_task_changed_in_two_clones_merges_and_verifies(tmp_path: Path) -> None:
    _remote, (first, second) = team(tmp_path, 2)
    orch(second, "start", "A", "--agent", "bob")
    orch(second, "check", "A", "1", "--evidence", "bob's test", "--agent", "bob", check=False)
    orch(second, "sync")
    orch(first, "block", "A", "--reason", "the design is not agreed")  # a human, not synced yet
    git(first, "add", "-A", ".orch")
    git(first, "commit", "-q", "-m", "block A")
    git(first, "fetch", "-q", "origin")
    git(first, "merge", "-q", "--no-edit", "origin/main")  # orch's driver, registered in this clone
    chain = _chain(first, "A")
    assert [r["seq"] for r in chain] == list(range(len(chain)))
    moves = [(r["data"]["from"], r["data"]["to"]) for r in chain if r["event"] == "transition"]
    assert ("queued", "blocked") in moves and ("queued", "in_progress") in moves
    assert status_of(first, "A") == moves[-1][1]
    task = json.loads((first / ".orch/tasks/A.json").read_text())
    assert [(h["from"], h["to"]) for h in task["history"]] == moves
    verified = json.loads(orch(first, "verify", "--json").stdout)
    assert verified["ok"], verified
    orch(first, "sync")
    orch(second, "sync")
    assert git(first, "rev-parse", "HEAD") == git(second, "rev-parse", "HEAD")
    assert json.loads(orch(second, "verify", "--json").stdout)["ok"]


def _record(chain: str, seq: int, prev: str | None, at: str, to: str | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {"seq": seq, "prev": prev, "at": at, "chain": chain, "task": chain, "actor": "x",
                              "event": "transition" if to else "gate", "data": {"to": to} if to else {},
                              "evidence": {}}
    record["hash"] = receipts.record_hash(record)
    return record


def _linked(chain: str, *steps: tuple[str, str | None], base: list[dict[str, Any]] | None = None) -> list[
        dict[str, Any]]:
    records = list(base or [])
    for at, to in steps:
        records.append(_record(chain, len(records), records[-1]["hash"] if records else None, at, to))
    return records


def test_a_chain_merge_is_the_same_whichever_side_merges_and_keeps_each_record_once() -> None:
    base = _linked("T", ("2026-01-01T00:00:00Z", "queued"))
    ours = _linked("T", ("2026-01-01T00:00:05Z", "in_progress"), ("2026-01-01T00:00:09Z", None), base=base)
    theirs = _linked("T", ("2026-01-01T00:00:05Z", "blocked"), base=base)
    merged = chainmerge.merge(ours, theirs)
    assert chainmerge.merge(theirs, ours) == merged
    assert [r["data"].get("to") for r in merged] == ["queued", "blocked", "in_progress", None]
    assert [r["seq"] for r in merged] == [0, 1, 2, 3]
    assert all(r["prev"] == p["hash"] for p, r in zip(merged, merged[1:], strict=False))
    assert all(r["hash"] == receipts.record_hash(r) for r in merged)
    moved = [r for r in merged if r["evidence"].get(chainmerge.REKEY)]
    assert {r["evidence"][chainmerge.REKEY] for r in moved} == {ours[1]["hash"], ours[2]["hash"]}
    again = chainmerge.merge(merged, ours)  # the other clone merges the merge: nothing is doubled
    assert again == merged
    later = _linked("T", ("2026-01-01T00:01:00Z", "completed"), base=merged)
    assert chainmerge.merge(later, theirs) == later


def test_the_driver_writes_the_merge_into_ours(tmp_path: Path) -> None:
    base = {"id": "T", "status": "queued", "title": "t", "history": [{"at": "1", "to": "queued"}],
            "artifacts": []}
    ours = {**base, "status": "in_progress", "artifacts": ["a.py"],
            "history": [*base["history"], {"at": "3", "from": "queued", "to": "in_progress"}]}
    theirs = {**base, "status": "blocked", "block_reason": "why", "title": "t2", "artifacts": ["b.py"],
              "history": [*base["history"], {"at": "2", "from": "queued", "to": "blocked"}]}
    files = {}
    for name, data in (("O", base), ("A", ours), ("B", theirs)):
        files[name] = tmp_path / name
        files[name].write_text(json.dumps(data))
    mergedriver.run(str(files["O"]), str(files["A"]), str(files["B"]), ".orch/tasks/T.json")
    merged = json.loads(files["A"].read_text())
    assert merged["status"] == "in_progress" and "block_reason" not in merged
    assert [h["to"] for h in merged["history"]] == ["queued", "blocked", "in_progress"]
    assert merged["artifacts"] == ["a.py", "b.py"] and merged["title"] == "t2"


def test_a_tag_made_before_a_merge_still_verifies_after_its_head_was_relinked() -> None:
    base = _linked("T", ("2026-01-01T00:00:00Z", "queued"))
    ours = _linked("T", ("2026-01-01T00:00:09Z", "completed"), base=base)
    theirs = _linked("T", ("2026-01-01T00:00:01Z", "blocked"), base=base)
    merged = chainmerge.merge(ours, theirs)
    assert merged[-1]["hash"] != ours[-1]["hash"]
    head = ours[-1]["hash"]
    tag = f"Orch-Receipt-Root: {receipts.root_of({'T': head})}\nOrch-Chain: T {head}\n"
    hashes = {h for r in merged for h in receipts._hashes_of(r)}
    assert receipts._tag_problem(tag, {"T": hashes}) is None


def test_init_in_team_mode_registers_the_driver_in_a_fresh_clone(tmp_path: Path) -> None:
    remote, _clones = team(tmp_path, 1)
    fresh = tmp_path / "fresh"
    git(tmp_path, "clone", "-q", str(remote), str(fresh))
    assert (fresh / ".orch/.gitattributes").read_text() == mergedriver.ATTRIBUTES  # committed
    assert "merge.orch.driver" not in git(fresh, "config", "--local", "--list")  # .git/config is not
    assert "merge driver is registered" in orch(fresh, "init", "--no-hooks").stdout
    assert git(fresh, "config", "--local", "merge.orch.driver").endswith("merge-driver %O %A %B %P")
    assert git(fresh, "check-attr", "merge", ".orch/tasks/A.json").endswith("merge: orch")


def test_doctor_registers_the_driver_and_leaves_other_clones_tasks_unbound(tmp_path: Path) -> None:
    _remote, (first, second) = team(tmp_path, 2)
    orch(first, "start", "A", "--agent", "alice")
    orch(first, "lock", "notes.md", "--task", "A", "--agent", "alice")
    orch(first, "sync")
    git(second, "pull", "-q", "--ff-only")  # a plain pull: no driver registered here yet
    report = json.loads(orch(second, "doctor", "--json", check=False).stdout)
    assert [p["file"] for p in report["problems"]] == [".git/config"]
    orch(second, "sync")
    fixed = json.loads(orch(second, "doctor", "--fix", "--json").stdout)
    assert fixed["ok"] and not any("A" in line and "bound" in line for line in fixed["fixed"])
    assert "team mode: on, through the remote 'origin' (docs/teams.md)" in fixed["info"]
    assert json.loads(orch(second, "status", "--json").stdout)["tasks"][0]["bound_to"] is None
    leases = json.loads(orch(second, "locks", "--json").stdout)["leases"]
    assert [row["path"] for row in leases] == ["notes.md"]  # another clone's lease is kept
