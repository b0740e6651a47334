"""`orch dispatch`: a task reserved for a subagent about to start it is left out of `orch next`
(ready and wave) until it is started, moved or cancelled, or the reservation expires; only queued,
ready, unbound tasks are reserved, all of them or none."""

from __future__ import annotations

import calendar
import json
import time
from pathlib import Path
from typing import Any

import pytest

from orchestrator.runtime import Runtime
from tests.conftest import Orch

PLAN = """---
id: run
title: Parallel run
---
## A: Docs
- files: docs/**

## B: Backend
- files: src/**

## C: Frontend
- files: web/**

## D: Release
- depends_on: A
- files: CHANGELOG.md
"""


@pytest.fixture
def loaded(repo: Path, orch: Orch) -> Path:
    (repo / "plan.md").write_text(PLAN)
    assert orch("init", "--no-hooks")[0] == 0
    assert orch("plan", "add", "plan.md")[0] == 0
    return repo


def next_view(orch: Orch, *args: str) -> dict[str, Any]:
    code, out, err = orch("next", "--json", *args)
    assert code == 0, err
    return dict(json.loads(out))


def reservations(repo: Path) -> dict[str, Any]:
    path = repo / ".git" / "orch" / "dispatched.json"
    return dict(json.loads(path.read_text())) if path.exists() else {}


def epoch(iso: str) -> float:
    return float(calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ")))


def test_next_always_says_what_is_dispatched(loaded: Path, orch: Orch) -> None:
    view = next_view(orch, "--parallel", "3")
    assert view["dispatched"] == [] and view["wave"] == ["A", "B", "C"]


def test_dispatched_tasks_leave_ready_and_the_wave_and_are_listed(loaded: Path, orch: Orch) -> None:
    code, out, err = orch("dispatch", "A", "B", "--json")
    assert code == 0, err
    made = json.loads(out)
    assert list(made) == ["dispatched"]
    assert [sorted(row) for row in made["dispatched"]] == [["by", "id", "until"]] * 2
    assert [row["id"] for row in made["dispatched"]] == ["A", "B"]
    assert {row["by"] for row in made["dispatched"]} == {made["dispatched"][0]["by"]}
    assert made["dispatched"][0]["by"].startswith("user:")
    view = next_view(orch, "--parallel", "3")
    assert [row["id"] for row in view["ready"]] == ["C"]
    assert view["wave"] == ["C"]
    assert view["dispatched"] == made["dispatched"]
    rows = {row["id"]: row for row in json.loads(orch("status", "--json")[1])["tasks"]}
    assert [rows[t]["dispatched"] for t in "ABCD"] == [True, True, False, False]


def test_the_reservation_file_records_who_when_and_until(loaded: Path, orch: Orch) -> None:
    before = time.time()
    assert orch("dispatch", "A", "--ttl", "60", "--agent", "lead")[0] == 0
    record = reservations(loaded)["A"]
    assert record["by"] == "lead"
    assert before + 59 <= record["until"] <= time.time() + 60
    assert abs(epoch(record["at"]) - before) < 5


def test_next_text_names_the_dispatched_tasks(loaded: Path, orch: Orch) -> None:
    assert orch("dispatch", "A", "B")[0] == 0
    code, out, _err = orch("next")
    assert code == 0
    assert "Dispatched, waiting for their subagent to start: A, B (until " in out
    assert "Ready now" in out and "Docs" not in out
    assert orch("dispatch", "C")[0] == 0
    assert "Nothing else is ready." in orch("next")[1]


def test_dispatch_text_says_what_was_reserved(loaded: Path, orch: Orch) -> None:
    code, out, _err = orch("dispatch", "B", "C")
    assert code == 0 and out.startswith("Dispatched B, C (by user:")


def test_an_expired_reservation_is_ignored_and_pruned(loaded: Path, orch: Orch) -> None:
    assert orch("dispatch", "A", "--ttl", "0.2")[0] == 0
    assert [row["id"] for row in next_view(orch)["dispatched"]] == ["A"]
    time.sleep(0.3)
    view = next_view(orch, "--parallel", "3")
    assert view["dispatched"] == [] and "A" in view["wave"]
    assert orch("dispatch", "B")[0] == 0
    assert set(reservations(loaded)) == {"B"}


def test_dispatching_again_renews(loaded: Path, orch: Orch) -> None:
    assert orch("dispatch", "A", "--ttl", "60")[0] == 0
    first = reservations(loaded)["A"]["until"]
    assert orch("dispatch", "A", "A", "--ttl", "600")[0] == 0
    assert reservations(loaded)["A"]["until"] > first + 500
    assert [row["id"] for row in next_view(orch)["dispatched"]] == ["A"]


def test_the_default_ttl_comes_from_the_config(loaded: Path, orch: Orch) -> None:
    assert orch("config", "dispatch.ttl", "120")[0] == 0
    made = json.loads(orch("dispatch", "A", "--json")[1])["dispatched"][0]
    assert abs(epoch(made["until"]) - (time.time() + 120)) < 5


@pytest.mark.parametrize(("verb", "args"), [("start", ["--brief"]), ("cancel", []), ("move", ["blocked"]),
                                            ("block", ["--reason", "waits on the API"])])
def test_start_cancel_and_move_clear_the_reservation(
    loaded: Path, orch: Orch, verb: str, args: list[str]
) -> None:
    assert orch("dispatch", "A", "B")[0] == 0
    code, _out, err = orch(verb, "A", *args)
    assert code == 0, err
    assert set(reservations(loaded)) == {"B"}
    assert [row["id"] for row in next_view(orch)["dispatched"]] == ["B"]


def test_a_refused_start_keeps_the_reservation(loaded: Path, orch: Orch) -> None:
    assert orch("config", "wip.in_progress", "0")[0] == 0
    assert orch("dispatch", "A")[0] == 0
    assert orch("start", "A")[0] == 1
    assert set(reservations(loaded)) == {"A"}


@pytest.mark.parametrize(
    ("ids", "named"),
    [
        (["D"], "D (it is not ready: it depends on unfinished A (queued))"),
        (["A", "Z"], "Z (no such task"),
        (["A", "../x"], "../x (no such task"),
        (["A", "D", "Z"], "D (it is not ready"),
    ],
)
def test_a_task_that_cannot_be_dispatched_is_named_and_nothing_is_reserved(
    loaded: Path, orch: Orch, ids: list[str], named: str
) -> None:
    code, out, err = orch("dispatch", *ids)
    assert (code, out) == (2, "")
    assert err.startswith("orch: cannot dispatch ") and named in err, err
    assert "nothing was reserved" in err
    assert reservations(loaded) == {}
    assert next_view(orch)["dispatched"] == []


def test_a_task_already_started_is_refused(loaded: Path, orch: Orch) -> None:
    assert orch("start", "A", "--brief")[0] == 0
    code, _out, err = orch("dispatch", "B", "A")
    assert code == 2 and "A (it is in_progress, not queued)" in err
    assert reservations(loaded) == {}


def test_a_queued_task_with_a_live_binding_is_refused(loaded: Path, orch: Orch) -> None:
    Runtime(loaded / ".git" / "orch").bind("B", "agent-9")
    code, _out, err = orch("dispatch", "B")
    assert code == 2 and "B (it is bound to agent-9 since" in err
    Runtime(loaded / ".git" / "orch").end_holder("agent-9")
    assert orch("dispatch", "B")[0] == 0


@pytest.mark.parametrize("ttl", ["0", "nan", "inf", "-1"])
def test_a_ttl_that_is_no_positive_number_is_refused(loaded: Path, orch: Orch, ttl: str) -> None:
    code, _out, err = orch("dispatch", "A", f"--ttl={ttl}")
    assert code == 2 and "--ttl" in err, err
    assert reservations(loaded) == {}


def test_dispatch_needs_a_task(loaded: Path, orch: Orch) -> None:
    code, _out, err = orch("dispatch")
    assert code == 2 and "ID..." in err


def test_a_corrupt_reservation_file_is_named_and_doctor_removes_it(loaded: Path, orch: Orch) -> None:
    path = loaded / ".git" / "orch" / "dispatched.json"
    path.write_text("{not json")
    code, _out, err = orch("next")
    assert code == 2 and "dispatched.json" in err and "orch doctor" in err
    assert orch("doctor", "--fix")[0] == 0
    assert not path.exists() and next_view(orch)["dispatched"] == []
