"""Milestone tags on real repositories: when they are made, where they point, what verify checks."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from orchestrator import gitops, milestones, receipts
from orchestrator.store import Store

PASSED = [{"name": "tests", "passed": True}, {"name": "lint", "passed": True}]
FAILED = [{"name": "tests", "passed": False}]


def git(cwd: Path, *args: str, check: bool = True) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=check, capture_output=True, text=True)
    return done.stdout.strip()


def new_task(task_id: str, position: int, milestone: str | None, plan: str = "p") -> dict[str, Any]:
    return {"schema": 1, "id": task_id, "title": f"Task {task_id}", "status": "queued", "plan": plan,
            "position": position, "depends_on": [], "files": [], "history": [], "milestone": milestone}


def make_project(root: Path, plan_id: str = "p",
                 layout: tuple[tuple[str, str | None], ...] = (("T1", "m1"), ("T2", "m1"), ("T3", "m2")),
                 *, initial_commit: bool = True) -> Store:
    git(root.parent, "init", "-q", "-b", "main", str(root))
    store = Store(root)
    store.create()
    declared = sorted({m for _t, m in layout if m})
    store.save_plan({"schema": 1, "id": plan_id, "title": "The plan", "task_ids": [t for t, _m in layout],
                     "milestones": [{"id": m, "title": f"Milestone {m}"} for m in declared]})
    for position, (task_id, milestone) in enumerate(layout):
        store.save_task(new_task(task_id, position, milestone, plan_id))
    if initial_commit:
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "initial")
    return store


Runs = list[list[dict[str, Any]]]


def move(store: Store, task_id: str, target: str, runs: Runs | None = None) -> dict[str, Any]:
    """What the workflow does: record gate runs, save the task, append its transition receipt."""
    task = store.task(task_id)
    task.setdefault("gate_results", []).extend(runs or [])
    frm, task["status"] = task["status"], target
    task["history"].append({"at": "2026-01-01T00:00:00Z", "actor": "tester", "from": frm, "to": target,
                            "note": None})
    store.save_task(task)
    receipts.append(store.dir, receipts.task_chain(task_id), event="transition", actor="tester",
                    task=task_id, data={"from": frm, "to": target, "note": None})
    return task


def step(store: Store, task_id: str, target: str, runs: Runs | None = None,
         *, commit: bool = True) -> tuple[list[str], str, str]:
    """A transition, the commit `commit_on_done` makes, then the milestone check.
    Returns (tags made, the commit they should be on, the receipt root just before tagging)."""
    task = move(store, task_id, target, runs)
    if commit:
        gitops.commit_all(store.root, f"{task_id} -> {target}")
    head = git(store.root, "rev-parse", "HEAD")
    root = receipts.root_hash(store.dir)
    return milestones.after_transition(store, task, "tester"), head, root


def tag_target(root: Path, name: str) -> str:
    return git(root, "rev-list", "-n1", name)


def test_three_task_plan_gets_its_tags_on_the_right_commits(tmp_path: Path) -> None:
    store = make_project(tmp_path / "proj")
    made, start_commit, start_root = step(store, "T1", "in_progress")
    assert made == ["p-start"] and tag_target(store.root, "p-start") == start_commit
    assert step(store, "T1", "completed", [PASSED])[0] == []
    assert step(store, "T2", "in_progress")[0] == []
    made, m1_commit, m1_root = step(store, "T2", "completed", [FAILED, PASSED])
    assert made == ["p/m1"] and tag_target(store.root, "p/m1") == m1_commit
    assert step(store, "T3", "in_progress")[0] == []
    made, last_commit, last_root = step(store, "T3", "completed", [PASSED])
    assert made == ["p/m2", "p-complete"]
    assert tag_target(store.root, "p/m2") == tag_target(store.root, "p-complete") == last_commit

    tags = {t["name"]: t for t in gitops.orch_tags(store.root)}
    assert set(tags) == {"p-start", "p/m1", "p/m2", "p-complete"}
    assert f"Orch-Receipt-Root: {start_root}\n" in tags["p-start"]["message"]
    assert f"Orch-Receipt-Root: {m1_root}\n" in tags["p/m1"]["message"]
    assert f"Orch-Receipt-Root: {last_root}\n" in tags["p/m2"]["message"]
    assert "- T2 [completed] Task T2 (gates: tests passed, lint passed)" in tags["p/m1"]["message"]
    assert "T3" not in tags["p/m1"]["message"].split("Orch-Receipt-Root")[0]

    chains = receipts.load_chains(store.dir)
    assert "@plan-p" not in chains  # tag receipts go to the task that made the tag due
    tag_receipts = [r for name in ("T1", "T2", "T3") for r in chains[name] if r["event"] == "tag"]
    assert [(r["chain"], r["data"]["tag"]) for r in tag_receipts] == [
        ("T1", "p-start"), ("T2", "p/m1"), ("T3", "p/m2"), ("T3", "p-complete")]
    assert tag_receipts[3]["data"] == {"tag": "p-complete", "kind": "complete", "plan": "p",
                                       "tasks": ["T1", "T2", "T3"]}
    commits = [r["evidence"]["commit"] for r in tag_receipts]
    assert commits == [start_commit, m1_commit, last_commit, last_commit]
    assert tag_receipts[1]["evidence"]["receipt_root"] == m1_root

    result = receipts.verify(store.dir, store.root)
    assert result["ok"] and [(t["name"], t["ok"]) for t in result["tags"]] == [
        ("p-complete", True), ("p-start", True), ("p/m1", True), ("p/m2", True)]
    timeline = receipts.timeline(store.dir, store.root)
    assert {r["name"] for r in timeline if r["kind"] == "tag"} == set(tags)
    assert [r["at"] for r in timeline] == sorted(r["at"] for r in timeline)
    assert {r["summary"] for r in timeline if r["kind"] == "tag"} >= {f"p-start at {start_commit[:12]}"}


def test_verify_reports_a_tag_whose_head_was_dropped(tmp_path: Path) -> None:
    store = make_project(tmp_path / "proj")
    for task_id in ("T1", "T2", "T3"):
        step(store, task_id, "in_progress")
        step(store, task_id, "completed", [PASSED])
    assert receipts.verify(store.dir, store.root)["ok"]
    chain = store.dir / "receipts" / "T1.jsonl"
    lines = chain.read_bytes().splitlines(keepends=True)
    chain.write_bytes(b"".join(lines[:-1]))  # drop T1's completion: a valid, shorter chain
    store.save_task({**store.task("T1"), "status": "in_progress"})  # and hide it from the task check
    result = receipts.verify(store.dir, store.root)
    assert result["first_bad"] is None and not result["ok"]
    verdicts = {t["name"]: t for t in result["tags"]}
    assert verdicts["p-start"]["ok"]
    for name in ("p/m1", "p/m2", "p-complete"):
        assert not verdicts[name]["ok"] and verdicts[name]["reason"].startswith("chain T1 no longer holds")


def test_verify_reports_an_edited_tag_anchor(tmp_path: Path) -> None:
    store = make_project(tmp_path / "proj", layout=(("T1", None),))
    step(store, "T1", "in_progress")
    message = git(store.root, "tag", "-l", "--format=%(contents)", "p-start")
    forged = message.replace("Orch-Chain: T1 ", "Orch-Chain: T1 0")
    git(store.root, "tag", "-a", "-m", forged, "forged")
    verdicts = {t["name"]: t for t in receipts.verify(store.dir, store.root)["tags"]}
    assert verdicts["p-start"]["ok"] and not verdicts["forged"]["ok"]
    assert "does not match" in verdicts["forged"]["reason"]


def test_no_tags_without_a_commit_or_a_repo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = make_project(tmp_path / "proj", initial_commit=False)
    task = move(store, "T1", "in_progress")
    assert milestones.after_transition(store, task, "tester") == []
    plain = tmp_path / "plain"
    plain.mkdir()
    other = Store(plain)
    other.create()
    other.save_plan({"schema": 1, "id": "p", "title": "P", "task_ids": ["T1"], "milestones": []})
    other.save_task(new_task("T1", 0, None))
    assert milestones.after_transition(other, move(other, "T1", "in_progress"), "tester") == []
    assert capsys.readouterr().out == ""


def test_no_tags_during_a_merge(tmp_path: Path) -> None:
    store = make_project(tmp_path / "proj", layout=(("T1", None),))
    root = store.root
    (root / "f.txt").write_text("base\n")
    gitops.commit_all(root, "base")
    git(root, "checkout", "-q", "-b", "side")
    (root / "f.txt").write_text("side\n")
    gitops.commit_all(root, "side")
    git(root, "checkout", "-q", "main")
    (root / "f.txt").write_text("main\n")
    gitops.commit_all(root, "main")
    git(root, "merge", "-q", "side", check=False)
    assert step(store, "T1", "in_progress", commit=False)[0] == []
    assert git(root, "tag", "-l") == ""


def test_a_tag_waits_until_its_work_is_committed(tmp_path: Path) -> None:
    """Issue #14: a milestone tag is made only on a commit holding its tasks' files and state."""
    store = make_project(tmp_path / "proj", layout=(("T1", "m1"), ("T2", None)))
    made, head, _root = step(store, "T1", "in_progress", commit=False)  # only .orch/ changed
    assert made == ["p-start"] and tag_target(store.root, "p-start") == head
    (store.root / "work.py").write_text("done = True\n")
    task = store.task("T1")
    task["artifacts"] = ["work.py"]
    store.save_task(task)
    (store.root / "unrelated.txt").write_text("someone else's\n")
    waiting: list[str] = []
    task = move(store, "T1", "completed")
    assert milestones.after_transition(store, task, "tester", waiting) == []
    assert waiting == ["the tag p/m1 waits for a commit holding its work "
                       "(uncommitted: .orch/tasks/T1.json, work.py)"]
    assert git(store.root, "tag", "-l", "p/m1") == ""
    gitops.commit_paths(store.root, ["work.py", ".orch"], "T1's work")
    waiting.clear()
    assert milestones.after_transition(store, store.task("T1"), "tester", waiting) == ["p/m1"]
    assert waiting == [] and tag_target(store.root, "p/m1") == git(store.root, "rev-parse", "HEAD")
    assert git(store.root, "show", "p/m1:work.py") == "done = True"
    assert (store.root / "unrelated.txt").exists()  # another change holds back no tag


def test_uncommitted_files_are_listed_only_when_a_tag_is_due(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Listing them is a git call over the whole work tree: a transition that makes no tag skips it."""
    store = make_project(tmp_path / "proj", layout=(("T1", "m1"), ("T2", None)))
    (store.root / "work.py").write_text("unfinished = True\n")
    listed: list[str | None] = []
    real = gitops.changed_files
    monkeypatch.setattr(gitops, "changed_files",
                        lambda root, since: listed.append(since) or real(root, since))
    assert step(store, "T1", "in_progress", commit=False)[0] == ["p-start"] and listed == [None]
    assert step(store, "T1", "blocked", commit=False)[0] == [] and listed == [None]
    assert step(store, "T2", "in_progress", commit=False)[0] == [] and listed == [None]


def test_existing_tag_is_left_alone(tmp_path: Path) -> None:
    store = make_project(tmp_path / "proj")
    first = git(store.root, "rev-parse", "HEAD")
    git(store.root, "tag", "-a", "-m", "mine", "p-start")
    (store.root / "more.txt").write_text("more")
    gitops.commit_all(store.root, "more")
    assert step(store, "T1", "in_progress")[0] == []
    assert tag_target(store.root, "p-start") == first
    events = [r["event"] for records in receipts.load_chains(store.dir).values() for r in records]
    assert "tag" not in events


def test_failing_last_gate_run_holds_the_milestone(tmp_path: Path) -> None:
    store = make_project(tmp_path / "proj", layout=(("T1", "m1"), ("T2", "m2")))
    step(store, "T1", "in_progress")
    assert step(store, "T1", "completed", [PASSED, FAILED])[0] == []
    assert step(store, "T2", "in_progress")[0] == []
    made = step(store, "T2", "completed")[0]
    assert made == ["p/m2", "p-complete"]  # T2 ran no gates: that counts as passed


def test_cancelled_tasks_and_the_complete_tag(tmp_path: Path) -> None:
    store = make_project(tmp_path / "proj", layout=(("T1", None), ("T2", None)))
    step(store, "T1", "cancelled")
    assert step(store, "T2", "cancelled")[0] == []  # nothing completed: not a completed plan
    store2 = make_project(tmp_path / "proj2", layout=(("T1", None), ("T2", None)))
    step(store2, "T1", "cancelled")
    step(store2, "T2", "in_progress")
    assert step(store2, "T2", "completed")[0] == ["p-complete"]


def test_unsafe_ids_are_slugged(tmp_path: Path) -> None:
    store = make_project(tmp_path / "proj", plan_id="x..y.lock", layout=(("T1", "v1..beta.lock"),))
    assert step(store, "T1", "in_progress")[0] == ["x.y-start"]
    assert step(store, "T1", "completed")[0] == ["x.y/v1.beta", "x.y-complete"]
    assert receipts.verify(store.dir, store.root)["ok"]


@pytest.mark.parametrize(("text", "expected"), [
    ("m1", "m1"), ("a..b", "a.b"), ("x.lock", "x"), ("x.lock.lock", "x"), (".hidden", "hidden"),
    ("a b/c", "a-b-c"), ("Phase 1: API", "Phase-1-API"), ("...", "x"), ("é", "x"), ("-lead", "lead"),
])
def test_slug(text: str, expected: str) -> None:
    assert milestones.slug(text) == expected
    assert gitops.valid_tag_name(f"p/{milestones.slug(text)}")


def test_tag_message_records_every_chain_of_the_plan(tmp_path: Path) -> None:
    store = make_project(tmp_path / "proj")
    move(store, "T1", "in_progress")
    move(store, "T3", "in_progress")
    receipts.append(store.dir, receipts.plan_chain("p"), event="plan_added", actor="t", task=None, data={})
    tasks = [store.task("T1")]
    message = milestones.tag_message(store.plan("p") or {}, "orch: title\nline", tasks, store.dir)
    heads = receipts.heads(store.dir)
    assert message.startswith("orch: title line\n\nPlan: p - The plan\n\n"
                              "Tasks:\n- T1 [in_progress] Task T1\n")
    assert [line for line in message.splitlines() if line.startswith("Orch-")] == [
        f"Orch-Receipt-Root: {receipts.root_of(heads)}",
        f"Orch-Chain: @plan-p {heads['@plan-p']}", f"Orch-Chain: T1 {heads['T1']}",
        f"Orch-Chain: T3 {heads['T3']}"]
    root, recorded = receipts.anchor_of(message)
    assert recorded == heads and root == receipts.root_hash(store.dir)


def test_two_clones_that_both_start_the_plan_still_merge(tmp_path: Path) -> None:
    """Each clone makes its own `p-start` tag and tag receipt; the merge has no conflict and
    verifies, with each clone's tag checked against the merged chains."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    seed = make_project(tmp_path / "seed", layout=(("T1", "m1"), ("T2", "m2")))
    git(seed.root, "remote", "add", "origin", str(remote))
    git(seed.root, "push", "-q", "origin", "main")
    clones = {}
    for name, task_id in (("a", "T1"), ("b", "T2")):
        git(tmp_path, "clone", "-q", str(remote), str(tmp_path / name))
        clones[name] = Store(tmp_path / name)
        assert step(clones[name], task_id, "in_progress")[0] == ["p-start"]
        assert step(clones[name], task_id, "completed", [PASSED])[0] == [f"p/m{task_id[1]}"]
        gitops.commit_all(clones[name].root, f"receipts of {name}")
    git(clones["a"].root, "push", "-q", "origin", "main")
    b = clones["b"].root
    git(b, "fetch", "-q", "origin")
    git(b, "merge", "-q", "--no-edit", "origin/main")
    result = receipts.verify(clones["b"].dir, b)
    assert result["ok"], result
    assert [t["name"] for t in result["tags"]] == ["p-start", "p/m2"]
    # the next transition in b catches up with what the merge made due (a's tags were not pushed)
    task = clones["b"].task("T2")
    assert milestones.after_transition(clones["b"], task, "tester") == ["p/m1", "p-complete"]
    assert receipts.verify(clones["b"].dir, b)["ok"]
