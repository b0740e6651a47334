"""`orch sync` with real git: four clones each complete a task and converge; a push the remote
rejects is retried after another fetch and merge; a merge that would conflict is aborted and
leaves nothing behind."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from orchestrator.store import Store
from orchestrator.teams import sync as sync_mod
from tests.conftest import git
from tests.unit.teamrepos import dirty, orch, status_of, team


def _complete(clone: Path, task_id: str, who: str) -> None:
    orch(clone, "start", task_id, "--agent", who)
    (clone / f"{task_id.lower()}.txt").write_text(f"{task_id} by {who}\n")
    orch(clone, "done", task_id, "--agent", who)


def test_four_clones_complete_a_task_each_sync_and_converge(tmp_path: Path) -> None:
    _remote, clones = team(tmp_path, 4)
    for clone, task_id in zip(clones, "ABCD", strict=True):
        _complete(clone, task_id, f"dev-{clone.name}")
    for clone in clones:
        orch(clone, "sync")
    for clone in clones:  # the first ones to sync have not seen the later ones yet
        orch(clone, "sync")
    heads = {git(clone, "rev-parse", "HEAD") for clone in clones}
    assert len(heads) == 1
    for clone in clones:
        assert [status_of(clone, t) for t in "ABCD"] == ["completed"] * 4
        verified = json.loads(orch(clone, "verify", "--json").stdout)
        assert verified["ok"], verified
        assert dirty(clone) == ""
        assert not _conflict_markers(clone)
        assert sorted(p.name for p in clone.glob("?.txt")) == ["a.txt", "b.txt", "c.txt", "d.txt"]


def _conflict_markers(clone: Path) -> list[str]:
    return [str(path) for path in (clone / ".orch").rglob("*")
            if path.is_file() and any(line.startswith((b"<<<<<<<", b">>>>>>>", b"=======\n"))
                                      for line in path.read_bytes().splitlines(keepends=True))]


def test_a_rejected_push_is_retried_after_fetching_and_merging(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    remote, (first, second) = team(tmp_path, 2)
    _complete(first, "A", "alice")
    _complete(second, "B", "bob")
    real_push = sync_mod._push
    calls: list[bool] = []

    def push_after_another_clone(store: Store, remote_name: str, branch: str) -> bool:
        if not calls:
            orch(second, "sync")  # bob pushes between alice's fetch and her push
        calls.append(real_push(store, remote_name, branch))
        return calls[-1]

    monkeypatch.setattr(sync_mod, "_push", push_after_another_clone)
    monkeypatch.setenv("ORCH_MACHINE", "m0")
    report = sync_mod.sync(Store(first))
    assert calls == [False, True] and report["attempts"] == 2 and report["merged"]
    assert git(remote, "rev-parse", "main") == git(first, "rev-parse", "HEAD")
    assert [status_of(first, t) for t in "AB"] == ["completed", "completed"]
    assert json.loads(orch(first, "verify", "--json").stdout)["ok"]
    assert dirty(first) == ""


def test_a_merge_that_would_conflict_is_aborted_and_leaves_nothing(tmp_path: Path) -> None:
    _remote, (first, second) = team(tmp_path, 2)
    for clone, text in ((first, "alice's line\n"), (second, "bob's line\n")):
        (clone / "plan.md").write_text(text)
        git(clone, "commit", "-q", "-am", f"edit by {clone.name}")
    orch(first, "sync")
    orch(second, "block", "A", "--reason", "waiting on design")
    failed = orch(second, "sync", check=False)
    assert failed.returncode == 1
    assert "cannot merge origin/main here (these files conflict: plan.md)" in failed.stderr
    assert git(second, "status", "--porcelain") == ""  # the state change was committed, the merge undone
    assert not (Path(git(second, "rev-parse", "--absolute-git-dir")) / "MERGE_HEAD").exists()
    assert status_of(second, "A") == "blocked"


def test_sync_publishes_a_first_branch_and_needs_a_branch(tmp_path: Path) -> None:
    remote, (clone,) = team(tmp_path, 1)
    git(clone, "switch", "-q", "-c", "feature")
    orch(clone, "block", "A", "--reason", "later")
    orch(clone, "sync")
    assert git(remote, "rev-parse", "feature") == git(clone, "rev-parse", "HEAD")
    git(clone, "switch", "-q", "--detach")
    refused = orch(clone, "sync", check=False)
    assert refused.returncode == 1 and "detached HEAD" in refused.stderr


def test_a_worktree_shares_bindings_and_its_branch_merges_back_without_conflict(tmp_path: Path) -> None:
    _remote, (main,) = team(tmp_path, 1)
    tree = tmp_path / "subagent-tree"
    git(main, "worktree", "add", "-q", "-b", "subagent", str(tree))
    _complete(tree, "B", "subagent-1")
    refused = orch(main, "start", "B", "--agent", "other", check=False)
    assert refused.returncode == 1 and "B was completed by subagent-1" in refused.stderr
    orch(main, "start", "A", "--agent", "lead")
    rows = json.loads(orch(tree, "status", "--json").stdout)["tasks"]
    assert {row["id"]: row["bound_to"] for row in rows}["A"] == "lead"  # one runtime folder: shared bindings
    (main / "a.txt").write_text("A\n")
    orch(main, "done", "A", "--agent", "lead")
    git(main, "merge", "-q", "--no-edit", "subagent")
    assert [status_of(main, t) for t in "AB"] == ["completed", "completed"]
    assert json.loads(orch(main, "verify", "--json").stdout)["ok"]
    assert not _conflict_markers(main) and "subagent" in git(main, "log", "-1", "--format=%s")


def test_a_task_and_a_lease_of_one_clone_hold_on_the_others_after_their_syncs(tmp_path: Path) -> None:
    from tests.hooks.conftest import payload, run_hook

    _remote, (first, second) = team(tmp_path, 2)
    orch(first, "start", "A", "--agent", "alice")
    orch(first, "lock", "notes.md", "--task", "A", "--agent", "alice")
    orch(first, "sync")
    report = json.loads(orch(second, "sync", "--json").stdout)
    assert report["leases"]["adopted"] == 1
    leases = json.loads(orch(second, "locks", "--json").stdout)["leases"]
    assert [(row["path"], row["task"], row["holder"]) for row in leases] == [("notes.md", "A", "alice")]
    write = payload("PreToolUse.Write", cwd=str(second), session_id="sess-bob",
                    tool_input={"file_path": str(second / "notes.md"), "content": "x"})
    denied = run_hook("PreToolUse", write, env={**os.environ, "ORCH_MACHINE": "m1"}).denied
    assert denied is not None and "leased by task A (held by alice" in denied
    declared = payload("PreToolUse.Write", cwd=str(second), session_id="sess-bob",
                       tool_input={"file_path": str(second / "a.txt"), "content": "x"})
    denied = run_hook("PreToolUse", declared, env={**os.environ, "ORCH_MACHINE": "m1"}).denied
    assert denied is not None and "a.txt belongs to task A" in denied  # its synced task file says so
    orch(first, "unlock", "notes.md")
    orch(first, "sync")
    orch(second, "sync")
    assert json.loads(orch(second, "locks", "--json").stdout)["leases"] == []


def test_config_changed_on_two_clones_merges_and_still_verifies(tmp_path: Path) -> None:
    _remote, (first, second) = team(tmp_path, 2)
    orch(first, "config", "policy.require_acceptance", "true")
    orch(second, "config", "policy.strict", "true")
    orch(first, "sync")
    report = json.loads(orch(second, "sync", "--json").stdout)
    notes = report["reconciled"]
    assert any(note.startswith("config: the merged gates and policy anchored") for note in notes)
    orch(first, "sync")
    for clone in (first, second):
        config = json.loads(orch(clone, "config", "policy").stdout)
        assert config["strict"] is True and config["require_acceptance"] is True
        assert json.loads(orch(clone, "verify", "--json").stdout)["ok"]
