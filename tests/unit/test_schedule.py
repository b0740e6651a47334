"""Scheduling strategies, the leveling mix and WIP limits by category, on designed plans (the order
is asserted exactly), then through `orch next`, `orch plan show` and `orch config`."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from orchestrator.graph import parallel_wave, ready_tasks, topological_order, waves
from orchestrator.schedule import STRATEGIES, Schedule
from tests.conftest import Orch

Task = dict[str, Any]


def task(tid: str, priority: str = "medium", estimate: float | None = None, due: str | None = None,
         category: str | None = None, depends_on: list[str] | None = None, status: str = "queued") -> Task:
    return {"id": tid, "status": status, "priority": priority, "depends_on": depends_on or [],
            "files": [f"src/{tid}.py"], "estimate": estimate, "due": due, "category": category}


def ids(tasks: list[Task]) -> list[str]:
    return [t["id"] for t in tasks]


# a (medium, 5h, due March), b (high, 2h), c (medium, 1h, due February), d (medium, no estimate, due
# mid-January), e (medium, 3h) which x (8h) and then y (8h) wait for, f (low, 0.5h)
PLAN = [
    task("a", estimate=5, due="2026-03-01"),
    task("b", priority="high", estimate=2),
    task("c", estimate=1, due="2026-02-01"),
    task("d", due="2026-01-15"),
    task("e", estimate=3),
    task("x", estimate=8, depends_on=["e"]),
    task("y", estimate=8, depends_on=["x"]),
    task("f", priority="low", estimate=0.5),
]


@pytest.mark.parametrize(
    ("strategy", "order"),
    [
        # priority; among the medium ones e unblocks a chain of two, then the smaller estimate
        ("priority", ["b", "e", "c", "a", "d", "f"]),
        ("fifo", ["a", "b", "c", "d", "e", "f"]),
        ("shortest", ["f", "c", "b", "e", "a", "d"]),
        ("deadline", ["d", "c", "a", "b", "e", "f"]),
        # e heads 19 h of work, a 5 h, b 2 h, c and d 1 h each (then priority, then plan order)
        ("critical-path", ["e", "a", "b", "c", "d", "f"]),
    ],
)
def test_each_strategy_orders_the_ready_work(strategy: str, order: list[str]) -> None:
    assert ids(ready_tasks(PLAN, Schedule(strategy))) == order


def test_the_default_is_priority_and_the_estimate_now_matters() -> None:
    assert ids(ready_tasks(PLAN)) == ["b", "e", "c", "a", "d", "f"]
    assert Schedule("bogus").strategy == "priority"


def test_the_remaining_chain_counts_open_dependants_only() -> None:
    plan = [task("p"), task("q"), task("r", depends_on=["q"]),
            task("s", depends_on=["p"], status="completed")]
    assert ids(ready_tasks(plan)) == ["q", "p"]  # s is done: p unblocks nothing more


def test_topological_order_breaks_ties_by_the_strategy() -> None:
    assert topological_order(PLAN, Schedule("fifo")) == ["a", "b", "c", "d", "e", "x", "y", "f"]
    assert topological_order(PLAN, Schedule("shortest")) == ["f", "c", "b", "e", "a", "x", "y", "d"]


MIXED = [
    task("f1", category="feature"), task("f2", category="Feature"), task("f3", category="feature"),
    task("f4", category="feature"), task("b1", category="bug"), task("b2", category="bug"),
    task("d1", category="docs"),
]


def test_the_mix_alternates_categories_in_proportion() -> None:
    levelled = Schedule("fifo", {"feature": 2, "bug": 1, "*": 0})
    assert ids(ready_tasks(MIXED, levelled)) == ["f1", "f2", "b1", "f3", "f4", "b2", "d1"]


def test_unnamed_categories_share_a_lane_of_weight_one() -> None:
    levelled = Schedule("fifo", {"feature": 2, "bug": 1})
    assert ids(ready_tasks(MIXED, levelled)) == ["f1", "f2", "b1", "d1", "f3", "f4", "b2"]


def test_the_mix_keeps_the_strategy_order_within_a_category() -> None:
    plan = [task("f1", category="feature", priority="low"), task("f2", category="feature", priority="high"),
            task("b1", category="bug", priority="low"), task("b2", category="bug", priority="critical")]
    assert ids(ready_tasks(plan, Schedule(mix={"bug": 1, "feature": 1}))) == ["b2", "f2", "b1", "f1"]


def test_a_wave_is_shaped_by_the_mix() -> None:
    assert parallel_wave(MIXED, limit=3, schedule=Schedule("fifo", {"feature": 1, "bug": 2})) == [
        "b1", "f1", "b2"]
    assert parallel_wave(MIXED, limit=3, schedule=Schedule("fifo")) == ["f1", "f2", "f3"]


def test_a_category_wip_limit_caps_the_wave_counting_active_tasks() -> None:
    plan = [*MIXED, task("f0", category="feature", status="in_progress")]
    capped = Schedule("fifo", wip={"feature": 2})
    assert parallel_wave(plan, limit=4, schedule=capped) == ["f1", "b1", "b2", "d1"]


def test_waves_carry_the_mix_and_cap_each_wave() -> None:
    schedule = Schedule("fifo", {"feature": 2, "bug": 1, "*": 0}, wip={"feature": 2})
    assert waves(MIXED, schedule) == [["f1", "f2", "b1", "b2", "d1"], ["f3", "f4"]]
    assert waves(MIXED, Schedule("fifo", wip={"docs": 0})) == [["f1", "f2", "f3", "f4", "b1", "b2"]]


def test_the_config_table_is_read_leniently() -> None:
    table = {"strategy": "deadline", "mix": {"Bug": 2, "x": -1, "y": True}, "wip": "3"}
    schedule = Schedule.from_config({"schedule": table})
    assert (schedule.strategy, schedule.mix, schedule.wip) == ("deadline", {"bug": 2}, {})
    assert Schedule.from_config({"schedule": "fifo"}).strategy == "priority"


def test_keys_are_linear_at_ten_thousand_tasks() -> None:
    """A walk per task (quadratic) would take minutes here; the bound leaves room for a busy machine."""
    plan = [task(f"t{k}", estimate=k % 5, depends_on=[f"t{k - 1}"] if k % 10 else []) for k in range(10_000)]
    for strategy in STRATEGIES:
        started = time.perf_counter()
        ready = ready_tasks(plan, Schedule(strategy, {"feature": 1}))
        assert len(ready) == 1000 and time.perf_counter() - started < 5.0, strategy


# --- through the CLI ------------------------------------------------------------------------------

CLI_PLAN = """---
id: shop
title: Shop
---
## a: Add the cart
- estimate: 5h
- due: 2026-03-01
- category: feature
- files: src/cart.py

## b: Fix the price rounding
- priority: high
- estimate: 2h
- category: bug
- files: src/price.py

## c: Add coupons
- estimate: 1h
- due: 2026-02-01
- category: feature
- files: src/coupon.py

## d: Fix the login timeout
- due: 2026-01-15
- category: bug
- files: src/login.py
"""


@pytest.fixture
def shop(repo: Path, orch: Orch) -> Path:
    (repo / "plan.md").write_text(CLI_PLAN)
    assert orch("init", "--no-hooks")[0] == 0
    code, _out, err = orch("plan", "add", "plan.md")
    assert code == 0, err
    return repo


def next_ids(orch: Orch, *args: str) -> Any:
    code, out, err = orch("next", "--json", *args)
    assert code == 0, err
    view = json.loads(out)
    return [row["id"] for row in view["ready"]], view.get("wave")


def test_orch_next_follows_the_configured_strategy(shop: Path, orch: Orch) -> None:
    assert next_ids(orch)[0] == ["b", "c", "a", "d"]
    for strategy, order in [("fifo", ["a", "b", "c", "d"]), ("shortest", ["c", "b", "a", "d"]),
                            ("deadline", ["d", "c", "a", "b"]), ("critical-path", ["a", "b", "c", "d"])]:
        assert orch("config", "schedule.strategy", strategy)[0] == 0
        assert next_ids(orch)[0] == order, strategy
    row = json.loads(orch("next", "--json")[1])["ready"][0]
    assert (row["id"], row["category"], row["due"]) == ("a", "feature", "2026-03-01")


def test_orch_next_levels_the_wave_by_the_mix(shop: Path, orch: Orch) -> None:
    assert orch("config", "schedule.strategy", "fifo")[0] == 0
    assert orch("config", "schedule.mix", '{"feature": 1, "bug": 1}')[0] == 0
    assert next_ids(orch, "--parallel", "3") == (["a", "b", "c", "d"], ["a", "b", "c"])
    assert orch("config", "schedule.mix", '{"bug": 2, "feature": 1}')[0] == 0
    assert next_ids(orch, "--parallel", "3") == (["b", "d", "a", "c"], ["b", "d", "a"])


def test_plan_show_waves_follow_the_schedule(shop: Path, orch: Orch) -> None:
    assert orch("config", "schedule.wip", '{"bug": 1}')[0] == 0
    waves = json.loads(orch("plan", "show", "--json")[1])["waves"]
    assert waves == [["b", "c", "a"], ["d"]]
    assert orch("plan", "show")[1].endswith("  1. b, c, a\n  2. d\n")


def test_a_category_wip_limit_refuses_orch_start(shop: Path, orch: Orch) -> None:
    assert orch("config", "schedule.wip", '{"bug": 1}')[0] == 0
    assert orch("start", "b", "--agent", "ag-1")[0] == 0
    code, _out, err = orch("start", "d", "--agent", "ag-2")
    assert code == 1 and "at most 1 'bug' task(s) may be active" in err
    assert orch("start", "a", "--agent", "ag-2")[0] == 0
    assert next_ids(orch, "--parallel", "2")[1] == ["c"]


def test_a_category_wip_limit_counts_the_active_tasks_of_every_plan(shop: Path, orch: Orch) -> None:
    ops = "---\nid: ops\n---\n## o1: Fix the backup job\n- category: bug\n- files: ops/x\n"
    (shop / "ops.md").write_text(ops)
    assert orch("plan", "add", "ops.md")[0] == 0
    assert orch("config", "schedule.wip", '{"bug": 1}')[0] == 0
    assert orch("start", "o1", "--agent", "ag-1")[0] == 0
    assert next_ids(orch, "--plan", "shop", "--parallel", "4")[1] == ["c", "a"]


def test_an_unknown_strategy_is_a_usage_error_listing_the_names(shop: Path, orch: Orch) -> None:
    before = (shop / ".orch" / "config.json").read_bytes()
    code, out, err = orch("config", "schedule.strategy", "bogus")
    assert (code, out) == (2, "")
    assert "schedule.strategy" in err and all(f"'{name}'" in err for name in STRATEGIES), err
    assert (shop / ".orch" / "config.json").read_bytes() == before
    assert orch("config", "schedule.mix", '{"bug": -1}')[0] == 2
    assert orch("config", "schedule.wip", '{"bug": "1"}')[0] == 2


def test_the_schema_names_every_strategy() -> None:
    from orchestrator.configschema import Schedule as ScheduleTable

    assert ScheduleTable.model_fields["strategy"].annotation.__args__ == STRATEGIES  # type: ignore[union-attr]
