"""The CLI verbs end to end in a real git repository: plans in, statuses, binding, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Orch, write_output


def test_status_json_has_the_contract_shape(planned: Path, orch: Orch) -> None:
    code, out, _ = orch("status", "--json")
    view = json.loads(out)
    assert code == 0
    assert view["plan"]["id"] == "web" and view["plan"]["title"] == "Web feature"
    assert view["counts"]["queued"] == 4
    assert [t["id"] for t in view["tasks"]] == ["A", "B", "C", "D"]
    assert set(view["tasks"][1]) >= {"id", "title", "status", "priority", "depends_on", "bound_to"}
    assert view["tasks"][1]["depends_on"] == ["A"]


def test_next_lists_only_ready_tasks_and_a_wave(planned: Path, orch: Orch) -> None:
    assert json.loads(orch("next", "--json")[1]) == {
        "ready": [
            {
                "id": "A",
                "title": "Design",
                "priority": "high",
                "plan": "web",
                "specialist": "architect",  # inferred from the title "Design"
                "estimate": None,
                "category": None,
                "due": None,
            }
        ],
        "dispatched": [],
    }
    orch("start", "A", "--agent", "ag-1")
    orch("config", "gates", "[]")
    write_output(planned, "docs/design.md")
    assert orch("move", "A", "completed", "--agent", "ag-1")[0] == 0
    view = json.loads(orch("next", "--parallel", "2", "--json")[1])
    assert [t["id"] for t in view["ready"]] == ["B", "C"]
    assert view["wave"] == ["B", "C"]


def test_out_of_order_start_is_refused_naming_each_dependency(planned: Path, orch: Orch) -> None:
    code, _out, err = orch("start", "D", "--agent", "ag-1")
    assert code == 1
    assert "B (queued)" in err and "C (queued)" in err and "orch next" in err


def test_start_binds_to_the_session_from_the_environment(
    planned: Path, orch: Orch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", "sess-42")
    assert orch("start", "A")[0] == 0
    rows = json.loads(orch("status", "--json")[1])["tasks"]
    assert rows[0]["bound_to"] == "sess-42"
    history = json.loads((planned / ".orch/tasks/A.json").read_text())["history"]
    assert history[-1]["actor"] == "sess-42" and history[-1]["to"] == "in_progress"


def test_one_task_per_holder(planned: Path, orch: Orch) -> None:
    orch("start", "A", "--agent", "ag-1")
    write_output(planned, "docs/design.md")
    orch("move", "A", "completed", "--agent", "ag-1")
    assert orch("start", "B", "--agent", "ag-2")[0] == 0
    code, _out, err = orch("start", "C", "--agent", "ag-2")
    assert code == 1 and "already bound to B" in err


def test_illegal_transition_names_the_legal_ones(planned: Path, orch: Orch) -> None:
    code, _out, err = orch("move", "A", "testing")
    assert code == 1
    assert "from queued it can go to: in_progress, blocked, cancelled" in err


def test_unknown_status_is_a_usage_error(planned: Path, orch: Orch) -> None:
    code, _out, err = orch("move", "A", "finished")
    assert code == 2 and "statuses are" in err


def test_block_and_cancel_record_history(planned: Path, orch: Orch) -> None:
    assert orch("block", "A", "--reason", "waiting on legal")[0] == 0
    task = json.loads((planned / ".orch/tasks/A.json").read_text())
    assert task["status"] == "blocked" and task["block_reason"] == "waiting on legal"
    assert orch("cancel", "B")[0] == 0
    assert json.loads(orch("show", "B", "--json")[1])["status"] == "cancelled"


def test_wip_limit_refuses_one_more(planned: Path, orch: Orch) -> None:
    orch("config", "wip", '{"in_progress": 1}')
    orch("start", "A", "--agent", "ag-1")
    write_output(planned, "docs/design.md")
    orch("move", "A", "completed", "--agent", "ag-1")
    assert orch("start", "B", "--agent", "ag-1")[0] == 0
    code, _out, err = orch("start", "C", "--agent", "ag-2")
    assert code == 1 and "WIP limit" in err


def test_adding_an_existing_plan_needs_replace_and_keeps_progress(planned: Path, orch: Orch) -> None:
    code, _out, err = orch("plan", "add", "plan.md")
    assert code == 1 and "--replace" in err
    orch("start", "A", "--agent", "ag-1")
    assert orch("plan", "add", "plan.md", "--replace")[0] == 0
    assert json.loads(orch("show", "A", "--json")[1])["status"] == "in_progress"


def test_a_second_plan_may_depend_on_the_first(planned: Path, orch: Orch) -> None:
    (planned / "ops.md").write_text("---\nid: ops\ntitle: Ops\n---\n## O1: Deploy\n- depends_on: D\n")
    assert orch("plan", "add", "ops.md")[0] == 0
    view = json.loads(orch("status", "--json")[1])
    assert view["plan"]["id"] is None and len(view["plans"]) == 2
    assert json.loads(orch("status", "--plan", "ops", "--json")[1])["tasks"][0]["depends_on"] == ["D"]


def test_clashing_task_ids_across_plans_are_refused(planned: Path, orch: Orch) -> None:
    (planned / "dup.md").write_text("---\nid: dup\ntitle: Dup\n---\n## A: Again\n")
    code, _out, err = orch("plan", "add", "dup.md")
    assert code == 2 and "A (plan web)" in err
    assert not (planned / ".orch/plans/dup.json").exists()


def test_malformed_plan_writes_nothing(planned: Path, orch: Orch) -> None:
    before = sorted(p.name for p in (planned / ".orch/tasks").iterdir())
    (planned / "bad.md").write_text("---\nid: bad\ntitle: Bad\n---\n## X: One\n- depends_on: nowhere\n")
    code, _out, err = orch("plan", "add", "bad.md")
    assert code == 2 and "bad.md:" in err and "nowhere" in err
    assert sorted(p.name for p in (planned / ".orch/tasks").iterdir()) == before


def test_corrupt_task_file_is_named_and_doctor_explains(planned: Path, orch: Orch) -> None:
    (planned / ".orch/tasks/B.json").write_text('{"id": "B", "title": ')
    code, _out, err = orch("status")
    assert code == 2 and ".orch/tasks/B.json" in err and "orch doctor" in err
    code, out, _ = orch("doctor")
    assert code == 1 and "B.json" in out and "git checkout -- .orch/tasks/B.json" in out


def test_doctor_is_clean_on_fresh_state(planned: Path, orch: Orch) -> None:
    code, out, _ = orch("doctor")
    assert code == 0, out


def test_plan_show_mermaid_and_json(planned: Path, orch: Orch) -> None:
    code, out, _ = orch("plan", "show", "--graph", "mermaid")
    assert code == 0 and out.startswith("flowchart TD") and "t0 ==> t1" in out or "t0 --> t1" in out
    shown = json.loads(orch("plan", "show", "--json")[1])
    assert shown["critical_path"]["tasks"][0] == "A" and shown["critical_path"]["tasks"][-1] == "D"


def test_not_initialised_and_not_a_repo(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    from orchestrator.console import main

    monkeypatch.chdir(repo)
    assert main(["status"]) == 2
    assert "orch init" in capfd.readouterr().err
    outside = tmp_path / "nogit"
    outside.mkdir()
    monkeypatch.chdir(outside)
    assert main(["status"]) == 2
    assert "not inside a git repository" in capfd.readouterr().err


def test_plan_convert_prints_normalised_json(repo: Path, orch: Orch) -> None:
    (repo / "plan.md").write_text("---\nid: p\ntitle: P\n---\n## T1: One\n- priority: HIGH\n")
    code, out, _ = orch("plan", "convert", "plan.md")
    data = json.loads(out)
    assert code == 0 and data["schema"] == 1 and data["tasks"][0]["priority"] == "high"


def test_reads_use_a_snapshot_that_notices_any_change(planned: Path, orch: Orch) -> None:
    from orchestrator import snapshot

    orch("start", "A", "--agent", "ag-1")
    runtime = str(planned / ".git" / "orch")
    assert snapshot.load(str(planned / ".orch"), runtime) is not None, "writes keep the snapshot current"
    path = planned / ".orch" / "tasks" / "B.json"
    task = json.loads(path.read_text())
    task["title"] = "Backend, renamed by a merge"
    path.write_text(json.dumps(task))  # in place, as git or an editor may do
    assert snapshot.load(str(planned / ".orch"), runtime) is None
    titles = {row["id"]: row["title"] for row in json.loads(orch("status", "--json")[1])["tasks"]}
    assert titles["B"] == "Backend, renamed by a merge"


def test_a_write_extends_the_snapshot_with_a_delta_and_stamps_it_from_the_files_it_wrote(
    planned: Path, orch: Orch, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a write the snapshots are current without being rewritten: the new tasks are in the
    delta, and the stamp derived from the written files' stats equals a full fingerprint."""
    from orchestrator import snapshot
    from orchestrator.store import Store

    store = Store(planned)
    state, runtime = str(store.dir), str(store.runtime)
    store.tasks()  # a current snapshot to extend
    folder = Path(planned / ".git" / "orch")
    whole = {p: p.stat().st_mtime_ns for name in (snapshot.NAME, snapshot.SUMMARY)
             for p in folder.glob(f"worktrees/*/{name}")}
    assert len(whole) == 2
    assert orch("start", "A", "--agent", "ag-1")[0] == 0
    assert orch("block", "A", "--reason", "waiting", "--agent", "ag-1")[0] == 0
    assert {p: p.stat().st_mtime_ns for p in whole} == whole
    delta = snapshot._delta(state, runtime)
    assert delta is not None and delta[1] == snapshot.fingerprint(state) and "A" in delta[2]
    summaries = {t["id"]: t["status"] for t in snapshot.load(state, runtime, snapshot.SUMMARY) or []}
    assert summaries["A"] == "blocked" and len(summaries) == 4
    monkeypatch.setattr(snapshot, "DELTA_LIMIT", 0)  # the next write folds the delta in
    assert orch("move", "A", "queued", "--agent", "ag-1")[0] == 0
    found = snapshot.load(state, runtime)
    assert found is not None and {t["id"]: t["status"] for t in found}["A"] == "queued"
