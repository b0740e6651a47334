"""Receipts: hash chains per task and per plan, tamper detection byte by byte, merges across clones."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orchestrator import receipts
from orchestrator.errors import InvalidInput, StateError
from orchestrator.store import Store


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def new_task(task_id: str, status: str = "queued", position: int = 0) -> dict[str, Any]:
    return {"schema": 1, "id": task_id, "title": f"Task {task_id}", "status": status, "plan": "p",
            "position": position, "depends_on": [], "files": [], "history": []}


def move(store: Store, task_id: str, target: str, actor: str = "tester") -> dict[str, Any]:
    """What the workflow does: save the task, then append its transition receipt."""
    task = store.task(task_id)
    entry = {"at": "2026-01-01T00:00:00Z", "actor": actor, "from": task["status"], "to": target, "note": None}
    task["history"].append(entry)
    task["status"] = target
    store.save_task(task)
    return receipts.append(store.dir, receipts.task_chain(task_id), event="transition", actor=actor,
                           task=task_id, data={k: entry[k] for k in ("from", "to", "note")})


def setup_store(root: Path, task_ids: tuple[str, ...] = ("T1", "T2")) -> Store:
    store = Store(root)
    store.create()
    store.save_plan({"schema": 1, "id": "p", "title": "Plan", "milestones": [], "task_ids": list(task_ids)})
    for position, task_id in enumerate(task_ids):
        store.save_task(new_task(task_id, position=position))
    return store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A small state with three chains: @plan-p (1 record), T1 (3 records), T2 (2 records).
    Not a git repo, so verify checks the chains and task files only (fast)."""
    root = tmp_path / "proj"
    root.mkdir()
    store = setup_store(root)
    receipts.append(store.dir, receipts.plan_chain("p"), event="plan_added", actor="tester", task=None,
                    data={"tasks": ["T1", "T2"]})
    move(store, "T1", "in_progress")
    receipts.append(store.dir, "T1", event="gate", actor="tester", task="T1",
                    data={"name": "tests", "passed": True, "exit_code": 0, "note": "ünïcode ✓"},
                    evidence={"output_sha256": "0" * 64})
    move(store, "T1", "completed")
    move(store, "T2", "in_progress")
    move(store, "T2", "blocked")
    return store


def chain_file(store: Store, chain: str) -> Path:
    return store.dir / "receipts" / f"{chain}.jsonl"


# -- writing and reading -----------------------------------------------------------------------


def test_append_links_records(store: Store) -> None:
    chains = receipts.load_chains(store.dir)
    assert list(chains) == ["@plan-p", "T1", "T2"]
    t1 = chains["T1"]
    assert [r["seq"] for r in t1] == [0, 1, 2]
    assert t1[0]["prev"] is None
    assert [r["prev"] for r in t1[1:]] == [r["hash"] for r in t1[:-1]]
    assert all(r["hash"] == receipts.record_hash(r) and r["chain"] == "T1" for r in t1)
    assert set(t1[1]) == receipts.FIELDS and t1[1]["evidence"] == {"output_sha256": "0" * 64}


def test_lines_are_canonical_json(store: Store) -> None:
    for line in chain_file(store, "T1").read_bytes().splitlines():
        assert receipts.canonical(json.loads(line)) == line


def test_heads_and_root_hash(store: Store) -> None:
    heads = receipts.heads(store.dir)
    chains = receipts.load_chains(store.dir)
    assert heads == {name: records[-1]["hash"] for name, records in chains.items()}
    assert receipts.root_hash(store.dir) == receipts.root_of(heads)
    assert receipts.root_hash(store.dir, ["T2", "T1", "missing"]) == receipts.root_of(
        {"T1": heads["T1"], "T2": heads["T2"]})
    assert receipts.root_hash(store.dir, ["T1"]) != receipts.root_hash(store.dir, ["T2"])
    assert receipts.heads(store.dir, ["T1", "T1", "../T1", ".T1", "missing"]) == {"T1": heads["T1"]}
    expected = "".join(f"{name} {heads[name]}\n" for name in sorted(heads))
    assert receipts.root_hash(store.dir) == hashlib.sha256(expected.encode()).hexdigest()


def test_verify_ok(store: Store) -> None:
    result = receipts.verify(store.dir, store.root)
    assert result == {"ok": True, "records": 6, "first_bad": None, "tags": []}


def test_empty_state_verifies(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.create()
    assert receipts.verify(store.dir, tmp_path) == {"ok": True, "records": 0, "first_bad": None, "tags": []}
    assert receipts.heads(store.dir) == {} and receipts.load_chains(store.dir) == {}


def test_chain_names(store: Store) -> None:
    assert receipts.task_chain("T1") == "T1"
    assert receipts.plan_chain("auth") == "@plan-auth"
    for bad in ("", "@x", "../x", "a/b", ".hidden", "a b"):
        with pytest.raises(InvalidInput):
            receipts.task_chain(bad)
    with pytest.raises(InvalidInput):
        receipts.append(store.dir, "../escape", event="x", actor="a", task=None, data={})


def test_append_refuses_to_extend_a_torn_chain(store: Store) -> None:
    path = chain_file(store, "T2")
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(StateError, match="incomplete"):
        receipts.append(store.dir, "T2", event="gate", actor="a", task="T2", data={})


# -- tamper detection --------------------------------------------------------------------------


FLIPS: dict[str, Callable[[int], int]] = {
    "bit": lambda b: b ^ 0x01,
    "high bit": lambda b: b ^ 0x80,
    "space": lambda b: 0x20 if b != 0x20 else 0x21,
    "digit": lambda b: 0x30 if b != 0x30 else 0x31,
}


@pytest.mark.parametrize("chain", ["@plan-p", "T1", "T2"])
@pytest.mark.parametrize("flip", sorted(FLIPS))
def test_every_byte_flip_is_caught_and_located(store: Store, chain: str, flip: str) -> None:
    path = chain_file(store, chain)
    original = path.read_bytes()
    offset = {"@plan-p": 0, "T1": 1, "T2": 4}[chain]
    for position in range(len(original)):
        changed = bytearray(original)
        changed[position] = FLIPS[flip](changed[position])
        path.write_bytes(bytes(changed))
        result = receipts.verify(store.dir, store.root)
        line = original[:position].count(b"\n") + 1
        bad = result["first_bad"]
        where = f"byte {position} of {chain} ({flip})"
        assert not result["ok"], where
        assert (bad["chain"], bad["line"], bad["index"]) == (chain, line, offset + line - 1), where
        assert bad["reason"].startswith(("line does not parse", "hash mismatch")), (where, bad["reason"])
    path.write_bytes(original)
    assert receipts.verify(store.dir, store.root)["ok"]


def test_flipping_the_hash_field_is_a_mismatch(store: Store) -> None:
    path = chain_file(store, "T1")
    lines = path.read_bytes().splitlines(keepends=True)
    record = json.loads(lines[1])
    record["hash"] = record["hash"][:-1] + ("0" if record["hash"][-1] != "0" else "1")
    lines[1] = receipts.canonical(record) + b"\n"
    path.write_bytes(b"".join(lines))
    bad = receipts.verify(store.dir, store.root)["first_bad"]
    assert (bad["chain"], bad["line"]) == ("T1", 2) and bad["reason"].startswith("hash mismatch")


def test_rehashed_edit_breaks_the_link(store: Store) -> None:
    """Editing a record and recomputing its hash is caught by the next record's prev."""
    path = chain_file(store, "T1")
    lines = path.read_bytes().splitlines(keepends=True)
    record = json.loads(lines[1])
    record["data"]["passed"] = False
    record["hash"] = receipts.record_hash(record)
    lines[1] = receipts.canonical(record) + b"\n"
    path.write_bytes(b"".join(lines))
    bad = receipts.verify(store.dir, store.root)["first_bad"]
    assert (bad["chain"], bad["line"]) == ("T1", 3) and "prev" in bad["reason"]


@pytest.mark.parametrize(("edit", "line", "words"), [
    (lambda ls: ls[1:], 1, "seq is 1, expected 0"),
    (lambda ls: [ls[0], ls[2]], 2, "seq is 2, expected 1"),
    (lambda ls: [ls[1], ls[0], ls[2]], 1, "seq is 1, expected 0"),
    (lambda ls: [ls[0], ls[0], ls[1], ls[2]], 2, "seq is 0, expected 1"),
])
def test_deleted_reordered_or_repeated_lines_are_caught(store: Store, edit: Any, line: int,
                                                        words: str) -> None:
    path = chain_file(store, "T1")
    path.write_bytes(b"".join(edit(path.read_bytes().splitlines(keepends=True))))
    bad = receipts.verify(store.dir, store.root)["first_bad"]
    assert (bad["chain"], bad["line"], bad["index"]) == ("T1", line, line) and words in bad["reason"]


def test_deleting_the_last_transition_is_caught_by_the_task_file(store: Store) -> None:
    path = chain_file(store, "T1")
    path.write_bytes(b"".join(path.read_bytes().splitlines(keepends=True)[:-1]))
    result = receipts.verify(store.dir, store.root)
    bad = result["first_bad"]
    assert not result["ok"] and bad["chain"] == "T1" and bad["file"] == ".orch/tasks/T1.json"
    assert "status is 'completed'" in bad["reason"] and "'in_progress'" in bad["reason"]


@pytest.mark.parametrize("keep", [0, 1, 50, -1])
def test_truncation_is_caught(store: Store, keep: int) -> None:
    path = chain_file(store, "T1")
    content = path.read_bytes()
    path.write_bytes(content[:keep])
    result = receipts.verify(store.dir, store.root)
    assert not result["ok"]
    assert result["first_bad"]["chain"] == "T1"


def test_missing_newline_at_end_is_caught(store: Store) -> None:
    path = chain_file(store, "T2")
    path.write_bytes(path.read_bytes()[:-1])
    bad = receipts.verify(store.dir, store.root)["first_bad"]
    assert (bad["chain"], bad["line"]) == ("T2", 2) and "newline" in bad["reason"]


def test_deleted_chain_file_is_caught(store: Store) -> None:
    chain_file(store, "T2").unlink()
    bad = receipts.verify(store.dir, store.root)["first_bad"]
    assert bad["file"] == ".orch/tasks/T2.json" and "'queued'" in bad["reason"]


def test_chain_copied_under_another_name_is_caught(store: Store) -> None:
    chain_file(store, "T3").write_bytes(chain_file(store, "T2").read_bytes())
    bad = receipts.verify(store.dir, store.root)["first_bad"]
    assert (bad["chain"], bad["line"]) == ("T3", 1) and "chain name mismatch" in bad["reason"]


def test_task_status_edited_by_hand_is_caught(store: Store) -> None:
    path = store.task_path("T2")
    task = json.loads(path.read_text())
    task["status"] = "completed"
    path.write_text(json.dumps(task, indent=2))
    result = receipts.verify(store.dir, store.root)
    bad = result["first_bad"]
    assert not result["ok"] and bad["file"] == ".orch/tasks/T2.json"
    assert bad["reason"].startswith(".orch/tasks/T2.json: status is 'completed'")
    assert "'blocked'" in bad["reason"] and (bad["chain"], bad["line"], bad["index"]) == ("T2", 2, 5)


def test_new_task_without_receipts_must_be_queued(store: Store) -> None:
    store.save_task(new_task("T9"))
    assert receipts.verify(store.dir, store.root)["ok"]
    store.save_task(new_task("T9", status="completed"))
    bad = receipts.verify(store.dir, store.root)["first_bad"]
    assert bad["file"] == ".orch/tasks/T9.json" and bad["line"] is None and bad["index"] == 6


def test_timeline_lists_every_receipt_in_order(store: Store) -> None:
    rows = receipts.timeline(store.dir, store.root)
    assert len(rows) == 6 and all(r["kind"] == "receipt" for r in rows)
    assert [(r["at"], r["chain"]) for r in rows] == sorted((r["at"], r["chain"]) for r in rows)
    summaries = {r["summary"] for r in rows}
    assert "queued -> in_progress" in summaries and "gate tests passed (exit 0)" in summaries
    assert set(rows[0]) >= {"at", "kind", "task", "event", "actor", "summary"}


# -- two clones merge --------------------------------------------------------------------------


def test_two_clones_merge_without_conflict_and_verify(tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "-q", str(remote), str(seed))
    store = setup_store(seed)
    receipts.append(store.dir, receipts.plan_chain("p"), event="plan_added", actor="seed", task=None,
                    data={"tasks": ["T1", "T2"]})
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "plan")
    git(seed, "push", "-q", "origin", "main")
    clones = {}
    for name, task_id in (("a", "T1"), ("b", "T2")):
        clone = tmp_path / name
        git(tmp_path, "clone", "-q", str(remote), str(clone))
        clones[name] = Store(clone)
        move(clones[name], task_id, "in_progress", actor=name)
        move(clones[name], task_id, "completed", actor=name)
        assert receipts.verify(clones[name].dir, clone)["ok"]
    heads_a, heads_b = receipts.heads(clones["a"].dir), receipts.heads(clones["b"].dir)
    for name in clones:
        git(clones[name].root, "add", "-A")
        git(clones[name].root, "commit", "-q", "-m", f"work in {name}")
    git(clones["a"].root, "push", "-q", "origin", "main")
    git(clones["b"].root, "fetch", "-q", "origin")
    git(clones["b"].root, "merge", "--no-edit", "-q", "origin/main")  # raises on a conflict
    merged = clones["b"]
    assert git(merged.root, "status", "--porcelain") == ""
    assert len(git(merged.root, "rev-list", "--parents", "-n1", "HEAD").split()) == 3
    result = receipts.verify(merged.dir, merged.root)
    assert result == {"ok": True, "records": 5, "first_bad": None, "tags": []}
    union = {"@plan-p": heads_a["@plan-p"], "T1": heads_a["T1"], "T2": heads_b["T2"]}
    assert receipts.heads(merged.dir) == union
    assert receipts.root_hash(merged.dir) == receipts.root_of(union)
    git(merged.root, "push", "-q", "origin", "main")
    git(clones["a"].root, "pull", "-q", "--ff-only", "origin", "main")
    assert receipts.root_hash(clones["a"].dir) == receipts.root_hash(merged.dir)
    assert {t["id"]: t["status"] for t in merged.tasks()} == {"T1": "completed", "T2": "completed"}
