"""Claims in team mode: four clones race `orch start` on one task, 20 rounds, and exactly one wins
each; the losers are told who holds it; finishing, releasing and cancelling free the claim; a quiet
claim can be taken over (recorded in the receipts); team mode off never touches the network."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import git
from tests.unit.teamrepos import orch, status_of, team

ROUNDS = 20
CLAIM_REF = "refs/orch/claims/team/A"


def _racer(clone: str, n: int, barrier: Any, results: Any) -> None:
    """One machine: each round, start A at the barrier; the winner gives it back."""
    from orchestrator import workflow
    from orchestrator.errors import Refused
    from orchestrator.store import Store

    os.environ["ORCH_MACHINE"] = f"machine-{n}"
    store = Store(clone)
    for round_ in range(ROUNDS):
        barrier.wait(timeout=60)
        try:
            workflow.start(store, "A", f"user:dev{n}")
            outcome = "won"
        except Refused as exc:
            outcome = str(exc)
        results.put((round_, n, outcome))
        barrier.wait(timeout=60)
        if outcome == "won":
            workflow.move(store, "A", "queued", f"user:dev{n}")
        barrier.wait(timeout=60)


def test_four_clones_race_for_one_task_and_exactly_one_wins_each_round(tmp_path: Path) -> None:
    remote, clones = team(tmp_path, 4)
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(4), context.Queue()
    workers = [context.Process(target=_racer, args=(str(clone), n, barrier, results))
               for n, clone in enumerate(clones)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in range(4 * ROUNDS)]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    for round_ in range(ROUNDS):
        seen = {n: outcome for r, n, outcome in outcomes if r == round_}
        winners = [n for n, outcome in seen.items() if outcome == "won"]
        assert len(winners) == 1, seen
        for n, outcome in seen.items():
            if n != winners[0]:
                assert f"claimed by user:dev{winners[0]} on machine-{winners[0]} since " in outcome
    assert git(remote, "for-each-ref", "refs/orch/claims") == ""  # the last winner released it


def test_the_loser_is_refused_with_the_winner_and_nothing_is_written(tmp_path: Path) -> None:
    _remote, (first, second) = team(tmp_path, 2)
    orch(first, "start", "A", "--agent", "alice")
    refused = orch(second, "start", "A", "--agent", "bob", check=False)
    assert refused.returncode == 1
    assert "A is claimed by alice on m0 since 20" in refused.stderr
    assert status_of(second, "A") == "queued"
    assert git(second, "status", "--porcelain", "--", ".orch") == ""
    listed = json.loads(orch(second, "claims", "--json").stdout)["claims"]
    assert [(c["task"], c["holder"], c["machine"]) for c in listed] == [("A", "alice", "m0")]


def test_done_release_and_cancel_free_the_claim(tmp_path: Path) -> None:
    remote, (first, second) = team(tmp_path, 2)
    orch(first, "config", "commit_on_done", "false")
    for task, finish in (("A", ("move", "A", "queued")), ("B", ("cancel", "B")), ("C", ("done", "C"))):
        orch(first, "start", task, "--agent", "alice")
        (first / f"{task.lower()}.txt").write_text("work\n")
        assert [c["task"] for c in json.loads(orch(second, "claims", "--json").stdout)["claims"]] == [task]
        orch(first, *finish, "--agent", "alice")
        assert json.loads(orch(second, "claims", "--json").stdout)["claims"] == []
    assert git(remote, "for-each-ref", "--format=%(refname)", "refs/orch/claims") == (
        "refs/orch/claims/team/B\nrefs/orch/claims/team/C")  # the marks of finished tasks
    orch(second, "start", "A", "--agent", "bob")  # released: free for anyone
    refused = orch(second, "start", "C", "--agent", "carol", check=False)  # not synced: C looks queued here
    assert refused.returncode == 1 and "C was completed by alice on m0 at 20" in refused.stderr
    orch(first, "sync")
    orch(second, "sync")
    assert status_of(second, "C") == "completed"


def test_a_quiet_claim_is_taken_over_and_recorded(tmp_path: Path) -> None:
    _remote, (first, second) = team(tmp_path, 2)
    orch(first, "start", "A", "--agent", "alice")
    orch(first, "sync")
    orch(second, "sync")
    orch(second, "config", "sync.claim_timeout", "0.001")
    taken = orch(second, "start", "A", "--agent", "bob")
    assert "Started A, bound to bob" in taken.stdout
    records = [json.loads(line) for line in (second / ".orch/receipts/A.jsonl").read_text().splitlines()]
    taken_over = [r["data"]["taken_over_from"] for r in records if r["event"] == "claim"]
    assert [(c["holder"], c["machine"]) for c in taken_over] == [("alice", "m0")]
    assert orch(second, "verify").returncode == 0
    refused = orch(first, "start", "A", "--agent", "alice", check=False)
    assert refused.returncode == 1 and "claimed by bob on m1" in refused.stderr


def test_team_mode_off_never_touches_the_network(tmp_path: Path) -> None:
    _remote, (clone,) = team(tmp_path, 1)
    git(clone, "remote", "set-url", "origin", "ssh://nowhere.invalid/repo.git")
    orch(clone, "config", "sync.remote", "null")
    orch(clone, "start", "A", "--agent", "alice")
    (clone / "a.txt").write_text("work\n")
    orch(clone, "done", "A", "--agent", "alice")
    assert "Team mode is off" in orch(clone, "sync").stdout


def test_offline_start_is_refused_naming_the_remote(tmp_path: Path) -> None:
    _remote, (clone,) = team(tmp_path, 1)
    git(clone, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    refused = orch(clone, "start", "A", "--agent", "alice", check=False)
    assert refused.returncode == 1 and "cannot reach the remote 'origin'" in refused.stderr
    assert status_of(clone, "A") == "queued"


def test_an_agent_cannot_move_a_task_another_clone_holds(tmp_path: Path, monkeypatch: Any) -> None:
    from orchestrator import callers, workflow
    from orchestrator.errors import Refused
    from orchestrator.store import Store

    _remote, (first, second) = team(tmp_path, 2)
    orch(first, "start", "A", "--agent", "alice")
    orch(first, "sync")
    orch(second, "sync")
    monkeypatch.setattr(callers, "inside_claude_code", lambda: True)  # an agent, not a human
    with pytest.raises(Refused, match="A is in_progress on another clone \\(by alice since "):
        workflow.move(Store(second), "A", "queued", "agent-on-m1")
    assert status_of(second, "A") == "in_progress"
