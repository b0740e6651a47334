"""`orch doctor --fix` repairs what `orch doctor` reports, through the CLI: task files rolled to
their receipts (the truth), corrupt task and config files restored from git or rebuilt, corrupt
runtime files rebuilt or dropped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Orch, git


def _task(repo: Path, task_id: str) -> dict:
    return json.loads((repo / f".orch/tasks/{task_id}.json").read_text())


def _verified(orch: Orch) -> bool:
    code, out, _ = orch("verify", "--json")
    return code == 0 and json.loads(out)["ok"]


def _runtime(repo: Path) -> Path:
    return repo / ".git/orch"


def test_task_file_behind_its_receipts_is_rolled_forward_and_bound_again(planned: Path, orch: Orch) -> None:
    before = (planned / ".orch/tasks/A.json").read_text()
    assert orch("start", "A", "--agent", "alice")[0] == 0
    # what a kill between the receipt and the task file leaves: the old file, no binding
    (planned / ".orch/tasks/A.json").write_text(before)
    (_runtime(planned) / "bindings.json").write_text('{"schema": 1, "bindings": {}}')
    assert not _verified(orch)
    code, out, _ = orch("doctor")
    assert code == 1 and "differs from its receipts" in out and "queued -> in_progress" in out
    code, out, _ = orch("doctor", "--fix")
    assert "rolled task A: queued -> in_progress" in out and "bound A to alice again" in out, out
    assert _verified(orch)
    task = _task(planned, "A")
    assert task["status"] == "in_progress" and [h["to"] for h in task["history"]] == ["queued", "in_progress"]
    status = json.loads(orch("status", "--json")[1])
    assert {r["id"]: r["bound_to"] for r in status["tasks"]}["A"] == "alice"
    assert orch("doctor")[0] == 0


def test_task_file_ahead_of_its_receipts_is_rolled_back(planned: Path, orch: Orch) -> None:
    path = planned / ".orch/tasks/A.json"
    task = _task(planned, "A")
    task["status"] = "completed"
    task["history"].append({"at": "x", "actor": "mallory", "from": "queued", "to": "completed", "note": None})
    path.write_text(json.dumps(task))
    code, out, _ = orch("doctor", "--fix")
    assert "rolled task A: completed -> queued, 2 -> 1 history entries" in out, out
    assert _task(planned, "A")["status"] == "queued" and len(_task(planned, "A")["history"]) == 1
    assert _verified(orch)


def test_failed_gate_block_rolled_forward_keeps_its_andon(planned: Path, orch: Orch) -> None:
    assert orch("config", "gates", '[{"name": "check", "command": "false"}]')[0] == 0
    assert orch("start", "A", "--agent", "alice")[0] == 0
    (planned / "docs").mkdir()
    (planned / "docs" / "design.md").write_text("# design\n")  # A's declared output
    before = (planned / ".orch/tasks/A.json").read_text()
    assert orch("done", "A", "--agent", "alice")[0] == 1
    (planned / ".orch/tasks/A.json").write_text(before)
    orch("doctor", "--fix")
    task = _task(planned, "A")
    assert task["status"] == "blocked" and task["andon"]["gate"] == "check"
    assert task["block_reason"].startswith("andon: gate 'check' failed")
    assert _verified(orch)
    assert orch("config", "gates", "[]")[0] == 0
    assert orch("done", "A", "--agent", "alice")[0] == 0  # the andon clears once the gate passes


def test_corrupt_task_file_is_restored_from_git_then_from_its_receipts(planned: Path, orch: Orch) -> None:
    git(planned, "add", "-A")
    git(planned, "commit", "-qm", "plan")
    assert orch("start", "A", "--agent", "alice")[0] == 0
    (planned / ".orch/tasks/A.json").write_text('{"id": "A", "title": ')
    code, out, _ = orch("doctor")
    assert code == 1 and "A.json" in out and "doctor --fix` restores it from git" in out
    code, out, _ = orch("doctor", "--fix")
    assert "A: restored from git (HEAD); queued -> in_progress" in out, out
    assert _task(planned, "A")["status"] == "in_progress"
    assert _verified(orch) and orch("doctor")[0] == 0


def test_corrupt_task_file_never_committed_is_rebuilt_from_the_plan_source(planned: Path, orch: Orch) -> None:
    assert orch("start", "A", "--agent", "alice")[0] == 0
    (planned / ".orch/tasks/B.json").write_text('{"id": "B"}')  # missing keys
    (planned / ".orch/tasks/A.json").write_text("not json")
    code, out, _ = orch("doctor", "--fix")
    assert "A: rebuilt from its plan's saved source; queued -> in_progress" in out, out
    assert "B: rebuilt from its plan's saved source" in out
    a, b = _task(planned, "A"), _task(planned, "B")
    assert (a["title"], a["status"], a["position"]) == ("Design", "in_progress", 0)
    assert (b["depends_on"], b["files"], b["status"]) == (["A"], ["src/api/*.py"], "queued")
    assert _verified(orch) and orch("doctor")[0] == 0


def test_a_task_no_one_can_restore_stays_a_problem(planned: Path, orch: Orch) -> None:
    (planned / ".orch/plans/web.source.md").unlink()
    (planned / ".orch/tasks/A.json").write_text("{")
    code, out, _ = orch("doctor", "--fix")
    assert code == 1 and "neither git's HEAD nor its plan's saved source holds it" in out
    (planned / ".orch/tasks/A.json").unlink()  # what the message says to do
    assert orch("plan", "add", "--replace", "plan.md")[0] == 0
    assert _verified(orch) and orch("doctor")[0] == 0


@pytest.mark.parametrize("committed", [True, False])
def test_corrupt_config_is_restored_from_git_else_reset(planned: Path, orch: Orch, committed: bool) -> None:
    assert orch("config", "lease_ttl_seconds", "60")[0] == 0
    if committed:
        git(planned, "add", "-A")
        git(planned, "commit", "-qm", "config")
    (planned / ".orch/config.json").write_text("{oops")
    code, out, _ = orch("doctor")
    assert code == 1 and "config.json" in out
    assert "restores it from git (HEAD), else writes the defaults" in out
    code, out, _ = orch("doctor", "--fix")
    ttl = json.loads(orch("config", "lease_ttl_seconds")[1])
    if committed:
        assert "restored .orch/config.json from git (HEAD)" in out and ttl == 60
    else:
        assert "wrote the default .orch/config.json (git has no committed version)" in out and ttl == 1800
    assert orch("doctor")[0] == 0


def test_doctor_reports_a_corrupt_bindings_file_and_fix_rebuilds_it(planned: Path, orch: Orch) -> None:
    assert orch("start", "A", "--agent", "alice")[0] == 0
    assert orch("lock", "docs/design.md", "--agent", "alice")[0] == 0
    (_runtime(planned) / "bindings.json").write_text("{garbage")
    (_runtime(planned) / "leases.json").write_text("[1, 2")
    code, out, err = orch("doctor")
    assert code == 1 and not err, err
    assert "bindings.json" in out and "rebuilt from the task files and receipts" in out
    assert "leases.json" in out and "emptied" in out
    code, out, _ = orch("doctor", "--fix")
    assert "bindings.json: rebuilt" in out and "leases.json: emptied" in out, out
    status = json.loads(orch("status", "--json")[1])
    bound = {r["id"]: r["bound_to"] for r in status["tasks"]}
    assert bound == {"A": "alice", "B": None, "C": None, "D": None}
    assert json.loads(orch("locks", "--json")[1]) == {"leases": []}
    assert orch("doctor")[0] == 0
    assert orch("lock", "docs/design.md", "--agent", "alice")[0] == 0  # taken again


@pytest.mark.parametrize(
    "name", ["snapshot.bin", "summary.bin", "grants.json", "sessions.json", "index/current"]
)
def test_corrupt_caches_are_deleted(planned: Path, orch: Orch, name: str) -> None:
    assert orch("status")[0] == 0  # builds the snapshot and the index
    from orchestrator.recovery import runtime_path
    from orchestrator.store import Store

    path = Path(runtime_path(Store(planned), name.split("/")[0])) / "/".join(name.split("/")[1:])
    assert path.exists() or name in ("grants.json", "sessions.json"), path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json")
    code, out, _ = orch("doctor")
    assert code == 1 and name.split("/")[0] in out and "deleted" in out
    code, out, _ = orch("doctor", "--fix")
    assert not path.exists(), out
    assert orch("doctor")[0] == 0 and orch("status")[0] == 0


def test_interrupted_plan_add_is_reported_by_verify_and_finished_by_doctor(planned: Path, orch: Orch) -> None:
    plan = json.loads((planned / ".orch/plans/web.json").read_text())
    (planned / ".orch/plans/web.json").write_text(json.dumps({**plan, "incomplete": True}))
    code, out, _ = orch("verify")
    assert code == 1 and "`orch plan add` was interrupted" in out
    code, out, _ = orch("doctor", "--fix")
    assert "completed the interrupted add of plan web from web.source.md" in out, out
    assert "incomplete" not in json.loads((planned / ".orch/plans/web.json").read_text())
    assert json.loads((planned / ".orch/plans/web.json").read_text())["source"] == "plan.md"
    assert _verified(orch)


def test_a_broken_plan_file_is_rebuilt_from_its_source_keeping_progress(planned: Path, orch: Orch) -> None:
    assert orch("start", "A", "--agent", "alice")[0] == 0
    (planned / ".orch/plans/web.json").write_text("[")
    code, out, _ = orch("doctor")
    assert code == 1 and "not a readable plan" in out and "rebuilds it from its saved source" in out
    code, out, _ = orch("doctor", "--fix")
    assert "plan web: rebuilt from its saved source web.source.md" in out, out
    assert _task(planned, "A")["status"] == "in_progress"
    assert _verified(orch) and orch("doctor")[0] == 0


def test_a_missing_task_file_is_rebuilt_and_a_broken_ones_binding_is_kept(planned: Path, orch: Orch) -> None:
    assert orch("start", "A", "--agent", "alice")[0] == 0
    (planned / ".orch/tasks/B.json").unlink()
    (planned / ".orch/tasks/A.json").write_text("{")
    code, out, _ = orch("doctor")
    assert "B.json: missing, though plan web lists it" in out and "stale binding" not in out
    code, out, _ = orch("doctor", "--fix")
    assert "B: rebuilt from its plan's saved source" in out and "dropped" not in out, out
    assert _task(planned, "A")["status"] == "in_progress" and _task(planned, "B")["status"] == "queued"
    assert _verified(orch) and orch("doctor")[0] == 0


@pytest.mark.parametrize("torn", [True, False])
def test_a_receipt_line_cut_short_by_a_crash_is_mended(planned: Path, orch: Orch, torn: bool) -> None:
    chain = planned / ".orch/receipts/A.jsonl"
    assert orch("start", "A", "--agent", "alice")[0] == 0
    started = chain.read_bytes()
    before_last = started[: started.rindex(b"\n", 0, len(started) - 1) + 1]
    chain.write_bytes(started[: len(before_last) + 40] if torn else started[:-1])
    code, out, _ = orch("doctor")
    assert code == 1 and "cuts it off if a crash tore it" in out
    code, out, _ = orch("doctor", "--fix")
    if torn:
        assert "cut off a torn last line (40 bytes" in out and chain.read_bytes() == before_last, out
    else:
        assert "ended its last record with the missing newline" in out and chain.read_bytes() == started
    assert _verified(orch) and orch("doctor")[0] == 0


def test_plan_add_again_finishes_an_interrupted_add_without_replace(repo: Path, orch: Orch) -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import PLAN

    (repo / "plan.md").write_text(PLAN)
    assert orch("init", "--no-hooks")[0] == 0
    env = {**os.environ, "ORCH_CRASH_AFTER_WRITES": "6"}  # the plan, its source, some tasks
    killed = subprocess.run([sys.executable, "-m", "orchestrator.console", "plan", "add", "plan.md"],
                            cwd=repo, env=env, capture_output=True)
    assert killed.returncode == -9 and json.loads((repo / ".orch/plans/web.json").read_text())["incomplete"]
    assert not _verified(orch)
    code, _out, err = orch("plan", "add", "plan.md")
    assert code == 0, err
    assert _verified(orch) and sorted(p.stem for p in (repo / ".orch/tasks").glob("*.json")) == list("ABCD")
