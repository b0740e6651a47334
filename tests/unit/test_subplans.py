"""Sub-plans through the real CLI in a git repo: `orch plan expand T FILE` makes T a parent whose
children inherit its dependencies and milestone; T is never ready nor started; it completes when
its last child completes and its own gates pass (else it gets the andon), and what depends on T
waits for all of it. Works across plans, with any format, and with the importers' hierarchies."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Orch

MAIN = {
    "id": "main", "title": "Main", "milestones": ["m1"],
    "tasks": [
        {"id": "setup", "title": "Set up"},
        {"id": "auth", "title": "Authentication", "dependencies": ["setup"], "milestone": "m1",
         "gates": [{"name": "marker", "command": "test -f auth-ok"}]},
        {"id": "deploy", "title": "Deploy", "dependencies": ["auth"]},
    ],
}  # fmt: skip
CHILDREN = {"id": "auth-work", "title": "Auth work", "tasks": [
    {"id": "login", "title": "Login"}, {"id": "logout", "title": "Logout", "dependencies": ["login"]}]}


def write(repo: Path, name: str, data: object) -> str:
    (repo / name).write_text(json.dumps(data))
    return name


def setup_repo(repo: Path, orch: Orch, children: object = CHILDREN) -> None:
    assert orch("init", "--no-hooks")[0] == 0
    code, _out, err = orch("plan", "add", write(repo, "main.json", MAIN))
    assert code == 0, err
    code, out, err = orch("plan", "expand", "auth", write(repo, "children.json", children))
    assert code == 0, err
    assert "Expanded auth into plan 'auth-work' (2 child tasks)" in out


def rows(orch: Orch) -> dict[str, dict]:
    return {row["id"]: row for row in json.loads(orch("status", "--json")[1])["tasks"]}


def ready(orch: Orch) -> list[str]:
    return [row["id"] for row in json.loads(orch("next", "--json")[1])["ready"]]


def finish(orch: Orch, task_id: str) -> tuple[int, str, str]:
    assert orch("start", task_id, "--agent", "ag")[0] == 0
    return orch("done", task_id, "--agent", "ag")


def test_children_inherit_dependencies_and_milestone(repo: Path, orch: Orch) -> None:
    setup_repo(repo, orch)
    found = rows(orch)
    assert found["login"]["parent"] == "auth" and found["logout"]["parent"] == "auth"
    assert found["login"]["depends_on"] == ["setup"] and found["logout"]["depends_on"] == ["setup", "login"]
    assert found["login"]["milestone"] == "m1" and found["login"]["plan"] == "auth-work"
    assert ready(orch) == ["setup"]
    finish(orch, "setup")
    assert ready(orch) == ["login"], "the parent is never ready: its children are the work"


def test_a_parent_is_not_started_nor_done_by_hand(repo: Path, orch: Orch) -> None:
    setup_repo(repo, orch)
    finish(orch, "setup")
    code, _out, err = orch("start", "auth", "--agent", "ag")
    assert code != 0 and "auth is a parent task: its 2 children are the work" in err
    code, _out, err = orch("done", "auth", "--agent", "ag")
    assert code != 0 and "it completes when its last child completes (open: login (queued)" in err


def test_the_last_child_completes_the_parent_and_its_dependents_follow(repo: Path, orch: Orch) -> None:
    setup_repo(repo, orch)
    (repo / "auth-ok").write_text("")
    finish(orch, "setup")
    finish(orch, "login")
    assert rows(orch)["auth"]["status"] == "queued" and "deploy" not in ready(orch)
    code, out, err = finish(orch, "logout")
    assert code == 0, err
    assert "auth completed: its last child is done and its gates pass." in out
    assert rows(orch)["auth"]["status"] == "completed" and ready(orch) == ["deploy"]
    assert list((repo / "docs" / "reports").glob("main_task_auth_*.md")), "the parent's report is written"
    history = json.loads((repo / ".orch" / "tasks" / "auth.json").read_text())["history"]
    assert [entry["to"] for entry in history[-2:]] == ["in_progress", "completed"]


def test_a_failing_parent_gate_pulls_its_andon(repo: Path, orch: Orch) -> None:
    setup_repo(repo, orch)
    finish(orch, "setup")
    finish(orch, "login")
    code, out, _err = finish(orch, "logout")
    assert code == 0, "the child itself is done"
    assert "auth (the parent) is blocked (andon): its gate 'marker' failed" in out
    assert rows(orch)["auth"]["status"] == "blocked" and "deploy" not in ready(orch)
    (repo / "auth-ok").write_text("")
    code, _out, err = orch("done", "auth", "--agent", "ag")
    assert code == 0, err
    assert rows(orch)["auth"]["status"] == "completed"


def test_status_shows_the_tree_and_the_report_rolls_up(repo: Path, orch: Orch) -> None:
    setup_repo(repo, orch)
    text = orch("status")[1]
    assert text.index("auth") < text.index("└ login") < text.index("└ logout") < text.index("deploy")
    assert "(0/2 children done)" in text
    assert orch("report", "--plan", "main")[0] == 0
    summary = next((repo / "docs" / "reports").glob("main_summary*.md")).read_text()
    assert "## Sub-plans" in summary and "| auth: Authentication | queued | 0/2 (0%) | auth-work |" in summary


def test_expand_refuses_a_started_task_a_cycle_and_keeps_ids_unique(repo: Path, orch: Orch) -> None:
    assert orch("init", "--no-hooks")[0] == 0
    assert orch("plan", "add", write(repo, "main.json", MAIN))[0] == 0
    assert orch("start", "setup", "--agent", "ag")[0] == 0
    code, _out, err = orch("plan", "expand", "setup", write(repo, "c.json", CHILDREN))
    assert code != 0 and "setup is in_progress: only a task not yet started is expanded" in err
    looping = {"id": "loop", "tasks": [{"id": "x", "title": "X", "dependencies": ["deploy"]}]}
    code, _out, err = orch("plan", "expand", "auth", write(repo, "loop.json", looping))
    assert code != 0 and "cycle" in err
    clashing = {"id": "sub", "tasks": [{"id": "setup", "title": "Set up auth"}, {"id": "z", "title": "Z"}]}
    code, _out, err = orch("plan", "expand", "auth", write(repo, "clash.json", clashing))
    assert code == 0, err
    assert {"auth-setup", "auth-z"} <= set(rows(orch)), "scoped under the parent when an id clashes"
    code, _out, err = orch("plan", "expand", "deploy", write(repo, "clash.json", clashing))
    assert code != 0 and "plan 'sub' already exists and is not deploy's sub-plan" in err


def test_a_taskmaster_file_expands_a_task_two_levels_deep(repo: Path, orch: Orch) -> None:
    assert orch("init", "--no-hooks")[0] == 0
    assert orch("plan", "add", write(repo, "main.json", {**MAIN, "tasks": MAIN["tasks"][:1]}))[0] == 0
    tm = {"tasks": [{"id": 1, "title": "Build", "details": "d", "status": "pending", "dependencies": [],
                     "subtasks": [{"id": 1, "title": "Part one", "status": "pending", "dependencies": []}]}]}
    code, _out, err = orch("plan", "expand", "setup", write(repo, "tasks.json", tm), "--id", "setup-plan")
    assert code == 0, err
    found = rows(orch)
    assert found["1"]["parent"] == "setup" and found["1.1"]["parent"] == "1"
    assert ready(orch) == ["1.1"]
    code, out, err = finish(orch, "1.1")
    assert code == 0, err
    assert "1 completed" in out and "setup completed" in out
    assert rows(orch)["setup"]["status"] == "completed"


def test_all_children_cancelled_leaves_the_parent_to_a_human(repo: Path, orch: Orch) -> None:
    setup_repo(repo, orch)
    (repo / "auth-ok").write_text("")
    code, _out, err = orch("dispatch", "auth", "--json")
    assert code != 0 and "it is a parent task" in err
    assert orch("cancel", "login")[0] == 0 and orch("cancel", "logout")[0] == 0
    assert rows(orch)["auth"]["status"] == "queued", "nothing was completed: not completed by itself"
    code, _out, err = orch("done", "auth")
    assert code == 0, err
    assert rows(orch)["auth"]["status"] == "completed"


def test_the_critical_path_runs_through_the_children(repo: Path, orch: Orch) -> None:
    setup_repo(repo, orch)
    shown = json.loads(orch("plan", "show", "--json")[1])
    assert shown["critical_path"]["tasks"] == ["setup", "login", "logout", "auth", "deploy"]


def test_a_broken_sub_plan_file_is_rebuilt_as_a_sub_plan(repo: Path, orch: Orch) -> None:
    setup_repo(repo, orch)
    (repo / ".orch" / "plans" / "auth-work.json").write_text("[")
    code, out, _err = orch("doctor", "--fix")
    assert "plan auth-work: rebuilt from its saved source" in out, out
    plan = json.loads((repo / ".orch" / "plans" / "auth-work.json").read_text())
    assert plan["parent"] == "auth" and rows(orch)["login"]["parent"] == "auth"


def test_a_broken_taskmaster_tag_plan_is_rebuilt_from_its_tag(repo: Path, orch: Orch) -> None:
    tagged = Path(__file__).parent / "fixtures" / "taskmaster" / "tasks.json"
    (repo / "tasks.json").write_text(tagged.read_text())
    assert orch("init", "--no-hooks")[0] == 0
    assert orch("plan", "add", "tasks.json")[0] == 0
    (repo / ".orch" / "plans" / "feature-billing.json").write_text("[")
    code, out, _err = orch("doctor", "--fix")
    assert "plan feature-billing: rebuilt from its saved source" in out, out
    plan = json.loads((repo / ".orch" / "plans" / "feature-billing.json").read_text())
    assert plan["tag"] == "feature-billing"


def test_waves_run_through_the_children(repo: Path, orch: Orch) -> None:
    setup_repo(repo, orch)
    shown = json.loads(orch("plan", "show", "--json")[1])
    assert shown["waves"] == [["setup"], ["login"], ["logout"], ["deploy"]]


def test_whether_a_task_is_a_parent_is_read_from_the_summaries_text_and_their_delta(
    repo: Path, orch: Orch
) -> None:
    """`orch start` asks "does any task name T as its parent?" by searching the summaries'
    text (and their delta of this session's writes) instead of parsing every task; when the
    snapshot is not current it says it does not know, and the whole check runs."""
    from orchestrator import snapshot
    from orchestrator.store import Store

    assert orch("init", "--no-hooks")[0] == 0
    assert orch("plan", "add", write(repo, "main.json", MAIN))[0] == 0
    store = Store(repo)
    store.summaries()  # current snapshots, which the expand below extends with a delta
    assert orch("plan", "expand", "auth", write(repo, "children.json", CHILDREN))[0] == 0
    state, runtime = str(store.dir), str(store.runtime)
    now = snapshot.fingerprint(state)

    def mention(task_id: str) -> bool | None:
        return snapshot.names_parent(state, runtime, task_id, now)

    assert snapshot._delta(state, runtime) is not None, "the children are in the delta"
    assert (mention("auth"), mention("setup"), mention("login")) == (True, False, False)
    assert snapshot.names_parent(state, runtime, "auth", "another stamp") is None
    with store.locked():
        assert store.may_be_parent("auth") and not store.may_be_parent("setup")
    assert store.may_be_parent("setup"), "outside a locked block it does not know"
    finish(orch, "setup")
    code, _out, err = orch("start", "auth", "--agent", "ag")
    assert code != 0 and "auth is a parent task" in err
