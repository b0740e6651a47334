"""Acceptance items ticked one by one with evidence (`orch check`, `policy.require_acceptance`) and
the andon's root cause (`orch why`, `andon.fix_task`), through the CLI in real git repositories:
each rule's refused and accepted side, the receipts, the report, `orch log` and recovery."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Orch

PLAN = """---
id: web
title: Web feature
---
## A: Design
- priority: high
- files: docs/design.md

### Acceptance
- [ ] The design names every endpoint
- [ ] The design has a sequence diagram

## B: Backend
- depends_on: A
- files: src/api/*.py
"""
ALICE = ("--agent", "alice")
GATE = json.dumps([{"name": "check", "command": "test -f ok.txt"}])


@pytest.fixture
def web(repo: Path, orch: Orch) -> Path:
    """`repo` with orch initialised, the plan above loaded and a gate that needs `ok.txt`."""
    (repo / "plan.md").write_text(PLAN)
    assert orch("init", "--no-hooks")[0] == 0
    assert orch("plan", "add", "plan.md")[0] == 0
    assert orch("config", "gates", GATE)[0] == 0
    assert orch("config", "policy.require_outputs", "false")[0] == 0  # about acceptance, not outputs
    return repo


def task(repo: Path, task_id: str) -> dict[str, Any]:
    return json.loads((repo / f".orch/tasks/{task_id}.json").read_text())


def chain(repo: Path, task_id: str) -> list[dict[str, Any]]:
    lines = (repo / f".orch/receipts/{task_id}.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def verified(orch: Orch) -> bool:
    code, out, _ = orch("verify", "--json")
    return code == 0 and json.loads(out)["ok"]


def report(orch: Orch, task_id: str) -> str:
    code, out, err = orch("report", task_id)
    assert code == 0, err
    return Path(out.split("Wrote ", 1)[1].strip()).read_text()


# -- orch check -------------------------------------------------------------------------------


def test_check_ticks_one_item_with_its_evidence_in_a_receipt(web: Path, orch: Orch) -> None:
    assert orch("start", "A", *ALICE)[0] == 0
    code, out, err = orch("check", "A", "2", "--evidence", "docs/design.md: Sequence", *ALICE, "--json")
    assert code == 0, err
    item = json.loads(out)["item"]
    assert (item["n"], item["done"], item["by"]) == (2, True, "alice")
    assert item["evidence"] == "docs/design.md: Sequence"
    record = chain(web, "A")[-1]
    assert record["event"] == "check" and record["actor"] == "alice"
    assert record["data"] == {"item": 2, "text": "The design has a sequence diagram",
                              "evidence": "docs/design.md: Sequence"}
    assert [row["item"] for row in task(web, "A")["checks"]] == [2]
    shown = orch("show", "A")[1]
    assert "1. [ ] The design names every endpoint" in shown
    assert "2. [x] The design has a sequence diagram  (evidence: docs/design.md: Sequence)" in shown
    assert verified(orch)


def test_checking_an_item_again_replaces_its_evidence_and_keeps_both_receipts(web: Path, orch: Orch) -> None:
    orch("start", "A", *ALICE)
    assert orch("check", "A", "1", "--evidence", "first", *ALICE)[0] == 0
    assert orch("check", "A", "1", "--evidence", "  second\n  look ", *ALICE)[0] == 0
    assert [(r["item"], r["evidence"]) for r in task(web, "A")["checks"]] == [(1, "second look")]
    evidence = [r["data"]["evidence"] for r in chain(web, "A") if r["event"] == "check"]
    assert evidence == ["first", "second look"]


@pytest.mark.parametrize(("args", "code", "message"), [
    (("A", "3", "--evidence", "x"), 2, "A has acceptance items 1 to 2, not 3"),
    (("A", "0", "--evidence", "x"), 2, "0 is not in the range x>=1"),
    (("A", "1", "--evidence", "   "), 2, "--evidence must say what shows the item holds"),
    (("A", "1"), 2, "Missing option '--evidence'"),
    (("B", "1", "--evidence", "x"), 1, "B is queued, not in progress: start it first"),
    (("Z", "1", "--evidence", "x"), 2, "no task 'Z'"),
])
def test_check_refuses_what_it_cannot_tick(web: Path, orch: Orch, args: tuple[str, ...], code: int,
                                           message: str) -> None:
    orch("start", "A", *ALICE)
    before = (web / ".orch/receipts/A.jsonl").read_text()
    got, _out, err = orch("check", *args, *ALICE)
    assert got == code and message in err, err
    assert (web / ".orch/receipts/A.jsonl").read_text() == before and "checks" not in task(web, "A")


def test_check_refuses_a_task_without_a_checklist_and_a_completed_task(web: Path, orch: Orch) -> None:
    orch("config", "gates", "[]")
    orch("start", "A", *ALICE)
    assert orch("done", "A", *ALICE)[0] == 0
    code, _out, err = orch("check", "A", "1", "--evidence", "late", *ALICE)
    assert code == 1 and "A is completed, not in progress: its checklist is closed" in err
    orch("start", "B", *ALICE)
    code, _out, err = orch("check", "B", "1", "--evidence", "x", *ALICE)
    assert code == 2 and "B has no acceptance checklist" in err


def test_only_the_holder_ticks_or_adds_a_why_while_it_is_live(web: Path, orch: Orch,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The library door an MCP tool will call refuses like the CLI (the hook refuses the Bash call:
    tests/hooks/test_binding_rules.py)."""
    from orchestrator import acceptance, andon
    from orchestrator.errors import Refused
    from orchestrator.store import Store

    orch("start", "A", *ALICE)
    orch("done", "A", *ALICE)  # the andon is pulled; alice still holds A
    monkeypatch.setattr("orchestrator.callers.inside_claude_code", lambda: True)  # no human at a terminal
    store = Store(web)
    with pytest.raises(Refused, match="A is held by alice"):
        acceptance.check(store, "A", 1, "x", "bob")
    with pytest.raises(Refused, match="A is held by alice"):
        andon.why(store, "A", "because", "bob")
    assert acceptance.check(store, "A", 1, "endpoints table", "alice")["done"]
    assert andon.why(store, "A", "because", "alice")["why"]["n"] == 1


# -- the report and policy.require_acceptance -------------------------------------------------


def test_a_completed_task_reports_only_the_items_ticked_with_evidence(web: Path, orch: Orch) -> None:
    orch("start", "A", *ALICE)
    orch("check", "A", "1", "--evidence", "docs/design.md lists GET /a and POST /b", *ALICE)
    (web / "ok.txt").write_text("ok")
    assert orch("done", "A", *ALICE)[0] == 0
    text = report(orch, "A")
    assert "1 of 2 item(s) ticked with evidence (`orch check`)" in text
    assert ("- [x] The design names every endpoint\n"
            "  - Evidence: docs/design.md lists GET /a and POST /b (alice, ") in text
    assert "- [ ] The design has a sequence diagram (open)" in text


def test_require_acceptance_refuses_done_until_every_item_is_ticked(web: Path, orch: Orch) -> None:
    assert orch("config", "policy.require_acceptance", "true")[0] == 0
    orch("start", "A", *ALICE)
    (web / "ok.txt").write_text("ok")
    orch("check", "A", "1", "--evidence", "endpoints table", *ALICE)
    code, _out, err = orch("done", "A", *ALICE)
    assert code == 1 and "1 acceptance item(s) not ticked (2. The design has a sequence diagram)" in err
    assert "`orch check A N --evidence" in err
    assert task(web, "A")["status"] == "in_progress"
    assert not any(r["event"] == "gate" for r in chain(web, "A")), "refused before any gate ran"
    orch("check", "A", "2", "--evidence", "diagram in docs/design.md", *ALICE)
    assert orch("done", "A", *ALICE)[0] == 0
    assert task(web, "A")["status"] == "completed"


def test_without_the_policy_done_completes_with_items_open(web: Path, orch: Orch) -> None:
    orch("start", "A", *ALICE)
    (web / "ok.txt").write_text("ok")
    assert orch("done", "A", *ALICE)[0] == 0


# -- orch why ---------------------------------------------------------------------------------


def test_why_needs_an_andon(web: Path, orch: Orch) -> None:
    orch("start", "A", *ALICE)
    code, _out, err = orch("why", "A", "no", "reason", *ALICE)
    assert code == 1 and "A has no andon pulled" in err


def test_the_andon_keeps_the_failing_gate_and_up_to_five_whys(web: Path, orch: Orch) -> None:
    orch("start", "A", *ALICE)
    code, out, _err = orch("done", "A", *ALICE)
    assert code == 1 and "Record the root cause: `orch why A" in out
    for n in range(1, 6):
        code, out, err = orch("why", "A", f"reason {n}", *ALICE)
        assert code == 0 and f"Why {n} recorded for A's andon (gate 'check'): reason {n}" in out, err
    assert "that was the fifth" in out
    code, _out, err = orch("why", "A", "a sixth", *ALICE)
    assert code == 2 and "already has 5 whys" in err
    andon = task(web, "A")["andon"]
    assert andon["gate"] == "check"
    assert [w["text"] for w in andon["whys"]] == [f"reason {n}" for n in range(1, 6)]
    assert [r["data"]["n"] for r in chain(web, "A") if r["event"] == "why"] == [1, 2, 3, 4, 5]
    code, _out, err = orch("done", "A", *ALICE)  # still failing: the same andon, its whys kept
    assert code == 1 and len(task(web, "A")["andon"]["whys"]) == 5
    assert verified(orch)


def test_the_report_and_log_show_the_chain_after_the_andon_clears(web: Path, orch: Orch) -> None:
    orch("start", "A", *ALICE)
    orch("done", "A", *ALICE)
    orch("why", "A", "ok.txt was never written", *ALICE)
    orch("why", "A", "the design step that writes it was skipped", *ALICE)
    text = report(orch, "A")
    assert "### 1. Gate check failed (exit code 1): open" in text
    assert "1. ok.txt was never written (alice, " in text and "- Fix task: none" in text
    (web / "ok.txt").write_text("ok")
    assert orch("done", "A", *ALICE)[0] == 0
    done = task(web, "A")
    assert "andon" not in done and [w["n"] for w in done["andons"][0]["whys"]] == [1, 2]
    text = report(orch, "A")
    assert "### 1. Gate check failed (exit code 1): resolved" in text
    assert "2. the design step that writes it was skipped (alice, " in text
    log = orch("log", "--task", "A")[1]
    assert "andon why 1 (gate check): ok.txt was never written" in log
    code, _out, err = orch("why", "A", "too late", *ALICE)
    assert code == 1 and "A has no andon pulled" in err
    events = json.loads(orch("log", "--task", "A", "--json")[1])["events"]
    assert {row["task"] for row in events} == {"A"}  # A's receipts only, no git tag rows
    whys = [row["summary"] for row in events if row["event"] == "why"]
    assert whys[1] == "andon why 2 (gate check): the design step that writes it was skipped"
    kinds = [row["event"] for row in events if row["event"] in ("why", "gate")]
    assert kinds == ["gate", "why", "why", "gate"]
    assert orch("log", "--task", "Z")[0] == 2


# -- andon.fix_task ---------------------------------------------------------------------------


def test_fix_task_is_added_to_the_plan_and_the_blocked_task_waits_for_it(web: Path, orch: Orch) -> None:
    assert orch("config", "andon.fix_task", "true")[0] == 0
    orch("start", "A", *ALICE)
    code, out, _err = orch("done", "A", *ALICE, "--json")
    assert code == 1 and json.loads(out)["fix_task"] == "A-fix"
    fix, blocked = task(web, "A-fix"), task(web, "A")
    assert fix["title"] == "Fix gate 'check' failing in A" and fix["status"] == "queued"
    assert (fix["plan"], fix["files"], fix["priority"]) == ("web", ["docs/design.md"], "high")
    assert fix["depends_on"] == [] and fix["fix_for"] == "A"
    assert "test -f ok.txt" in fix["description"]
    assert blocked["depends_on"] == ["A-fix"] and blocked["andon"]["fix_task"] == "A-fix"
    assert json.loads((web / ".orch/plans/web.json").read_text())["task_ids"] == ["A", "B", "A-fix"]
    assert [r["event"] for r in chain(web, "A")][-2:] == ["transition", "fix_task"]
    assert verified(orch), "the plan's anchor was recorded again"
    status = {t["id"]: t for t in json.loads(orch("status", "--json")[1])["tasks"]}
    assert status["A"]["bound_to"] is None, "released, so its holder can start the fix task"
    code, _out, err = orch("done", "A", *ALICE)
    assert code == 1 and "A waits on its fix task A-fix (queued)" in err
    assert orch("start", "A-fix", *ALICE)[0] == 0
    (web / "ok.txt").write_text("ok")
    assert orch("done", "A-fix", *ALICE)[0] == 0
    code, _out, err = orch("done", "A", *ALICE)
    assert code == 0, err
    assert task(web, "A")["status"] == "completed"
    assert "- Fix task: A-fix (completed)" in report(orch, "A")
    assert verified(orch)


def test_one_fix_task_per_andon_and_a_title_template(web: Path, orch: Orch) -> None:
    assert orch("config", "andon.fix_task", '"Repair {gate} for {id} ({title})"')[0] == 0
    orch("start", "A", *ALICE)
    orch("done", "A", *ALICE)
    orch("start", "A-fix", *ALICE)
    orch("move", "A-fix", "queued", *ALICE)
    code, _out, err = orch("done", "A", "--agent", "bob")
    assert code == 1 and "waits on its fix task" in err
    assert task(web, "A-fix")["title"] == "Repair check for A (Design)"
    assert not (web / ".orch/tasks/A-fix-2.json").exists()


@pytest.mark.parametrize(("value", "message"), [
    ('"Fix {nope}"', "only {id}, {title} and {gate} may be used"),
    ('""', "must not be empty"),
    ("3", "andon.fix_task"),
])
def test_a_bad_fix_task_setting_is_refused(web: Path, orch: Orch, value: str, message: str) -> None:
    code, _out, err = orch("config", "andon.fix_task", value)
    assert code == 2 and message in err, err
    assert json.loads(orch("config", "andon.fix_task")[1]) is False, "nothing was written"


# -- recovery ---------------------------------------------------------------------------------


def test_ticks_and_whys_survive_a_task_file_that_lost_them(web: Path, orch: Orch) -> None:
    orch("start", "A", *ALICE)
    orch("check", "A", "1", "--evidence", "endpoints table", *ALICE)
    orch("done", "A", *ALICE)
    before = (web / ".orch/tasks/A.json").read_text()
    orch("why", "A", "ok.txt is missing", *ALICE)
    lost = json.loads(before)
    lost.pop("checks")
    (web / ".orch/tasks/A.json").write_text(json.dumps(lost))  # a kill before the task file was written
    code, out, _err = orch("doctor")
    assert code == 1 and "1 acceptance tick(s) and 1 andon why(s) as its receipts record" in out, out
    code, out, _err = orch("doctor", "--fix")
    assert "rolled task A" in out, out
    fixed = task(web, "A")
    assert [r["evidence"] for r in fixed["checks"]] == ["endpoints table"]
    assert [w["text"] for w in fixed["andon"]["whys"]] == ["ok.txt is missing"]
    assert orch("doctor")[0] == 0 and verified(orch)


def test_a_lost_fix_task_dependency_comes_back_from_the_receipts(web: Path, orch: Orch) -> None:
    orch("config", "andon.fix_task", "true")
    orch("start", "A", *ALICE)
    orch("done", "A", *ALICE)
    broken = task(web, "A")
    broken["depends_on"] = []
    broken["andon"].pop("fix_task")
    (web / ".orch/tasks/A.json").write_text(json.dumps(broken))
    assert not verified(orch), "the dependency dropped is seen against the plan's new anchor"
    orch("doctor", "--fix")
    fixed = task(web, "A")
    assert fixed["depends_on"] == ["A-fix"] and fixed["andon"]["fix_task"] == "A-fix"
    assert verified(orch)


# -- the SessionStart briefing ----------------------------------------------------------------


def test_the_briefing_shows_which_items_are_ticked_and_the_andon(web: Path, orch: Orch) -> None:
    from tests.hooks.conftest import payload, run_hook

    orch("start", "A", "--agent", "sess-1")
    orch("check", "A", "2", "--evidence", "diagram in docs/design.md", "--agent", "sess-1")
    orch("done", "A", "--agent", "sess-1")
    orch("why", "A", "ok.txt is missing", "--agent", "sess-1")
    run = run_hook("SessionStart", payload("SessionStart", cwd=str(web), session_id="sess-1"))
    context = run.json["hookSpecificOutput"]["additionalContext"]
    assert "Acceptance (1/2 ticked; tick one with evidence: `orch check A N --evidence TEXT`):" in context
    assert "  1. [ ] The design names every endpoint" in context
    assert "  2. [x] The design has a sequence diagram" in context
    assert "Andon: gate 'check' failed; 1/5 whys recorded (`orch why A TEXT`)." in context


def test_a_broken_fix_task_file_is_rebuilt_from_the_receipt_that_added_it(web: Path, orch: Orch) -> None:
    orch("config", "andon.fix_task", "true")
    orch("start", "A", *ALICE)
    orch("done", "A", *ALICE)
    orch("start", "A-fix", *ALICE)
    before = task(web, "A-fix")
    (web / ".orch/tasks/A-fix.json").write_text('{"id": "A-fix", "title": ')  # no commit, not in the source
    code, out, _err = orch("doctor", "--fix")
    assert "A-fix: rebuilt from the receipt that added it" in out, out
    after = task(web, "A-fix")
    assert {k: after[k] for k in ("title", "files", "plan", "position", "status", "description")} == \
           {k: before[k] for k in ("title", "files", "plan", "position", "status", "description")}
    assert [h["to"] for h in after["history"]] == ["queued", "in_progress"]
    assert orch("doctor")[0] == 0 and verified(orch)


def test_inside_claude_code_check_and_why_act_as_the_caller_the_hook_saw(
    web: Path, orch: Orch, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.hooks.conftest import run_hook
    from tests.hooks.test_binding_rules import bash

    orch("start", "A", "--agent", "agent-a")
    orch("done", "A", "--agent", "agent-a")  # the andon; agent-a still holds A
    for command in ("orch check A 1 --evidence 'docs/design.md: Endpoints'", "orch why A ok.txt is missing"):
        assert run_hook("PreToolUse", bash(web, command, caller="agent-a")).stdout == "", command
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", "sess-1")
    assert orch("check", "A", "1", "--evidence", "docs/design.md: Endpoints")[0] == 0
    assert orch("why", "A", "ok.txt", "is", "missing")[0] == 0
    recorded = [(r["event"], r["actor"]) for r in chain(web, "A")[-2:]]
    assert recorded == [("check", "agent-a"), ("why", "agent-a")]


def test_verify_reports_a_tick_or_why_no_receipt_records(web: Path, orch: Orch) -> None:
    orch("start", "A", *ALICE)
    forged = task(web, "A")
    forged["checks"] = [{"item": 1, "text": "The design names every endpoint", "evidence": "trust me",
                         "actor": "alice", "at": "2026-01-01T00:00:00Z"}]
    (web / ".orch/tasks/A.json").write_text(json.dumps(forged))
    code, out, _err = orch("verify", "--json")
    reason = json.loads(out)["first_bad"]["reason"]
    assert code == 1
    assert ".orch/tasks/A.json: its acceptance ticks differ from what its receipts record" in reason
    orch("doctor", "--fix")
    assert task(web, "A")["checks"] == [] and verified(orch)
    orch("done", "A", *ALICE)
    forged = task(web, "A")
    forged["andon"]["whys"] = [{"n": 1, "text": "made up", "actor": "alice", "at": "2026-01-01T00:00:00Z"}]
    (web / ".orch/tasks/A.json").write_text(json.dumps(forged))
    code, out, _err = orch("verify", "--json")
    assert code == 1 and "its andon whys or fix task differ" in json.loads(out)["first_bad"]["reason"]
    orch("doctor", "--fix")
    assert task(web, "A")["andon"]["whys"] == [] and verified(orch)
