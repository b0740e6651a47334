"""Issue #14: declared outputs (no phantom completion), artifacts that are the task's own, and
the commit `orch done` makes, in real git repositories through the CLI."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from orchestrator.errors import PlanError
from orchestrator.plans import load_plan
from tests.conftest import Orch, git


def show(orch: Orch, task_id: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(orch("show", task_id, "--json")[1])
    return data


def write(repo: Path, rel: str, text: str = "x\n") -> None:
    (repo / rel).parent.mkdir(parents=True, exist_ok=True)
    (repo / rel).write_text(text)


# -- optional globs in every plan format ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("native.md", "---\nid: p\ntitle: P\n---\n## T: Code\n- files: src/a.py, ?docs/a.md\n"),
        ("flow.md", "---\nid: p\ntitle: P\n---\n## T: Code\n- files: [src/a.py, ?docs/a.md]\n"),
        ("bullets.md", "---\nid: p\ntitle: P\n---\n## T: Code\n- files:\n  - src/a.py\n  - ?docs/a.md\n"),
        ("taskdoc.md", "# P\n### Task 1: Code\n**Files**: `src/a.py`, `?docs/a.md`\n"),
        ("subtasks.json", json.dumps([{"title": "Code", "files": ["src/a.py", "?./docs/a.md"]}])),
    ],
)
def test_a_leading_question_mark_marks_an_optional_output(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text)
    (task,) = load_plan(tmp_path / name)["tasks"]
    assert task["files"] == ["src/a.py", "docs/a.md"] and task["optional_files"] == ["docs/a.md"]


def test_a_task_without_optional_globs_has_no_such_key(tmp_path: Path) -> None:
    (tmp_path / "p.md").write_text("---\nid: p\ntitle: P\n---\n## T: Code\n- files: src/a.py\n")
    assert "optional_files" not in load_plan(tmp_path / "p.md")["tasks"][0]


@pytest.mark.parametrize("glob", ["?", "??docs/a.md", "? "])
def test_a_bare_or_doubled_mark_is_an_error_naming_file_line_and_field(tmp_path: Path, glob: str) -> None:
    (tmp_path / "p.md").write_text(f"---\nid: p\ntitle: P\n---\n## T: Code\n\n- files: src/a.py, {glob}\n")
    with pytest.raises(PlanError) as caught:
        load_plan(tmp_path / "p.md")
    assert (caught.value.line, caught.value.field) == (7, "files")
    assert "a leading '?' marks an optional output" in str(caught.value)


# -- declared outputs ----------------------------------------------------------------------------


def test_done_is_refused_while_no_declared_file_was_written(planned: Path, orch: Orch) -> None:
    assert orch("start", "A", "--agent", "ag")[0] == 0
    write(planned, "notes.txt")  # a change, but not a declared output
    code, _out, err = orch("done", "A", "--agent", "ag")
    assert code == 1
    assert "A changed no file matching its declared output docs/design.md" in err
    assert "Orch-Task: A" in err and "?docs/notes.md" in err
    assert show(orch, "A")["status"] == "in_progress"


def test_done_succeeds_once_the_declared_file_exists(planned: Path, orch: Orch) -> None:
    assert orch("start", "A", "--agent", "ag")[0] == 0
    assert orch("done", "A", "--agent", "ag")[0] == 1
    write(planned, "docs/design.md")
    code, out, err = orch("done", "A", "--agent", "ag")
    assert code == 0, err
    assert "A completed." in out
    assert show(orch, "A")["artifacts"] == ["docs/design.md"]


def test_a_task_without_files_is_not_affected(repo: Path, orch: Orch) -> None:
    (repo / "plan.md").write_text("---\nid: p\ntitle: P\n---\n## T: Think\n- priority: low\n")
    assert orch("init")[0] == 0 and orch("plan", "add", "plan.md")[0] == 0
    assert orch("start", "T", "--agent", "ag")[0] == 0
    assert orch("done", "T", "--agent", "ag")[0] == 0


def test_an_optional_glob_is_not_required(repo: Path, orch: Orch) -> None:
    (repo / "plan.md").write_text("---\nid: p\ntitle: P\n---\n## T: Code\n- files: src/a.py, ?docs/a.md\n")
    assert orch("init")[0] == 0 and orch("plan", "add", "plan.md")[0] == 0
    code, out, _err = orch("start", "T", "--agent", "ag")  # the guidance names what is required
    assert code == 0 and "- `src/a.py`\n- `docs/a.md` (optional)\n" in out
    code, _out, err = orch("done", "T", "--agent", "ag")
    assert code == 1 and "declared output src/a.py " in err and "docs/a.md" not in err.split("(")[0]
    write(repo, "src/a.py")
    assert orch("done", "T", "--agent", "ag")[0] == 0


def test_every_required_glob_must_match(planned: Path, orch: Orch) -> None:
    (planned / "plan2.md").write_text("---\nid: q\ntitle: Q\n---\n## Q1: Two\n- files: a.txt, b/*.txt\n")
    assert orch("plan", "add", "plan2.md")[0] == 0
    assert orch("start", "Q1", "--agent", "ag")[0] == 0
    write(planned, "a.txt")
    code, _out, err = orch("done", "Q1", "--agent", "ag")
    assert code == 1 and "declared output b/*.txt (it changed a.txt)" in err
    write(planned, "b/one.txt")
    assert orch("done", "Q1", "--agent", "ag")[0] == 0


def test_the_policy_can_be_switched_off(planned: Path, orch: Orch) -> None:
    assert orch("config", "policy.require_outputs", "false")[0] == 0
    assert orch("start", "A", "--agent", "ag")[0] == 0
    assert orch("done", "A", "--agent", "ag")[0] == 0


def test_move_to_completed_is_refused_too(planned: Path, orch: Orch) -> None:
    assert orch("start", "A", "--agent", "ag")[0] == 0
    code, _out, err = orch("move", "A", "completed", "--agent", "ag")
    assert code == 1 and "declared output docs/design.md" in err


def test_a_deleted_file_is_no_output(planned: Path, orch: Orch) -> None:
    write(planned, "docs/design.md")
    git(planned, "add", "docs/design.md")
    git(planned, "commit", "-q", "-m", "design")
    assert orch("start", "A", "--agent", "ag")[0] == 0
    (planned / "docs/design.md").unlink()
    assert orch("done", "A", "--agent", "ag")[0] == 1


def test_a_commit_with_the_trailer_counts(planned: Path, orch: Orch) -> None:
    assert orch("start", "A", "--agent", "ag")[0] == 0
    write(planned, "docs/design.md")
    git(planned, "add", "docs/design.md")
    git(planned, "commit", "-q", "-m", "design\n\nOrch-Task: A")
    assert orch("done", "A", "--agent", "ag")[0] == 0
    assert show(orch, "A")["artifacts"] == ["docs/design.md"]


# -- artifacts are the task's own ---------------------------------------------------------------


def test_files_that_predate_the_task_or_belong_to_others_are_not_its_artifacts(
    planned: Path, orch: Orch
) -> None:
    write(planned, "scratch.txt")  # uncommitted before A starts, untouched since
    assert orch("start", "A", "--agent", "ag")[0] == 0
    write(planned, "docs/design.md")
    write(planned, "README.md", "# changed by A\n")
    assert orch("done", "A", "--agent", "ag")[0] == 0
    assert orch("start", "B", "--agent", "b")[0] == 0
    assert orch("start", "C", "--agent", "c")[0] == 0
    write(planned, "web/index.html")  # C's declared file, written while both run
    write(planned, "src/api/users.py")
    assert orch("done", "B", "--agent", "b")[0] == 0
    a, b = show(orch, "A"), show(orch, "B")
    assert a["artifacts"] == ["README.md", "docs/design.md"]
    assert b["artifacts"] == ["src/api/users.py"]
    report = next((planned / "docs" / "reports").glob("web_task_B_*.md")).read_text()
    listed = report.split("## Artifacts", 1)[1].split("\n## ", 1)[0]
    assert listed.strip() == "- `src/api/users.py`"


def test_the_note_of_files_uncommitted_at_start_goes_once_the_task_is_unbound(
    planned: Path, orch: Orch
) -> None:
    notes = planned / ".git" / "orch" / "baselines"
    write(planned, "scratch.txt")
    assert orch("start", "A", "--agent", "ag")[0] == 0
    assert (notes / "A.json").exists()  # a task no hook watches: the files git shows are noted
    assert orch("move", "A", "queued", "--agent", "ag")[0] == 0
    assert not (notes / "A.json").exists()
    assert orch("start", "A", "--agent", "ag")[0] == 0
    write(planned, "docs/design.md")
    assert orch("done", "A", "--agent", "ag")[0] == 0
    assert show(orch, "A")["artifacts"] == ["docs/design.md"] and not (notes / "A.json").exists()


# -- the commit orch done makes ------------------------------------------------------------------


def test_done_commits_the_tasks_own_files_report_and_state_only(planned: Path, orch: Orch) -> None:
    write(planned, "staged.txt")
    git(planned, "add", "staged.txt")
    assert orch("start", "A", "--agent", "ag")[0] == 0
    write(planned, "docs/design.md")
    assert orch("done", "A", "--agent", "ag")[0] == 0
    files = git(planned, "show", "--name-only", "--format=", "HEAD").splitlines()
    assert "docs/design.md" in files and any(f.startswith("docs/reports/web_task_A_") for f in files)
    assert ".orch/tasks/A.json" in files
    assert "staged.txt" not in files and "plan.md" not in files
    message = git(planned, "log", "-1", "--format=%B")
    assert "Orch-Task: A" in message and "Orch-Receipt: " in message
    assert git(planned, "diff", "--cached", "--name-only") == "staged.txt"  # left as it was


def test_milestone_and_complete_tags_hold_the_work(repo: Path, orch: Orch) -> None:
    (repo / "plan.md").write_text("---\nid: p\ntitle: P\nmilestones:\n  - {id: m1, title: One}\n---\n"
                                  "## T1: One\n- milestone: m1\n- files: one.txt\n\n"
                                  "## T2: Two\n- milestone: m1\n- files: two.txt\n")
    assert orch("init")[0] == 0 and orch("plan", "add", "plan.md")[0] == 0
    for task_id, name in (("T1", "one.txt"), ("T2", "two.txt")):
        assert orch("start", task_id, "--agent", "ag")[0] == 0
        write(repo, name, f"{task_id}\n")
        assert orch("done", task_id, "--agent", "ag")[0] == 0
    for tag in ("p/m1", "p-complete"):
        assert git(repo, "show", f"{tag}:one.txt") == "T1" and git(repo, "show", f"{tag}:two.txt") == "T2"
        state = json.loads(git(repo, "show", f"{tag}:.orch/tasks/T2.json"))
        assert state["status"] == "completed" and state["artifacts"] == ["two.txt"]


def test_without_commit_on_done_the_tag_waits_for_the_users_commit(repo: Path, orch: Orch) -> None:
    (repo / "plan.md").write_text("---\nid: p\ntitle: P\n---\n"
                                  "## T1: One\n- milestone: m1\n- files: one.txt\n")
    assert orch("init")[0] == 0 and orch("plan", "add", "plan.md")[0] == 0
    assert orch("config", "commit_on_done", "false")[0] == 0
    assert orch("start", "T1", "--agent", "ag")[0] == 0
    write(repo, "one.txt")
    code, out, _err = orch("done", "T1", "--agent", "ag")
    assert code == 1 and "A completed." not in out
    assert "the tag p/m1 waits for a commit holding its work" in out and "one.txt" in out
    assert git(repo, "tag", "-l", "p/m1") == ""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the work")
    assert orch("done", "T1", "--agent", "ag")[0] == 0
    assert git(repo, "show", "p/m1:one.txt") == "x"


def test_a_task_started_before_the_first_commit_counts_the_commits_since(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "fresh"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "plan.md").write_text("---\nid: p\ntitle: P\n---\n## T: Code\n- files: src/a.py\n")
    run = Orch(repo, capfd, monkeypatch)
    assert run("init")[0] == 0 and run("plan", "add", "plan.md")[0] == 0
    assert run("start", "T", "--agent", "ag")[0] == 0
    write(repo, "src/a.py")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "everything, without a trailer")
    code, _out, err = run("done", "T", "--agent", "ag")
    assert code == 0, err
    assert show(run, "T")["artifacts"] == ["src/a.py"]  # plan.md and .claude/ predate the task


def test_a_file_an_earlier_task_changed_is_this_tasks_when_it_changes_it_again(
    planned: Path, orch: Orch
) -> None:
    assert orch("start", "A", "--agent", "ag")[0] == 0
    write(planned, "docs/design.md")
    write(planned, "README.md", "# A's readme\n")
    assert orch("done", "A", "--agent", "ag")[0] == 0
    assert orch("start", "B", "--agent", "b")[0] == 0
    write(planned, "src/api/users.py")
    write(planned, "README.md", "# B's readme\n")
    assert orch("done", "B", "--agent", "b")[0] == 0
    assert show(orch, "B")["artifacts"] == ["README.md", "src/api/users.py"]


def test_a_task_that_finished_while_this_one_ran_keeps_its_files(planned: Path, orch: Orch) -> None:
    """C ran and finished while B ran: not active when B is done, found by its file's time."""
    assert orch("start", "A", "--agent", "ag")[0] == 0
    write(planned, "docs/design.md")
    assert orch("done", "A", "--agent", "ag")[0] == 0
    assert orch("start", "B", "--agent", "b")[0] == 0
    time.sleep(1.1)  # history has whole seconds: a move in the second B started counts as before
    assert orch("start", "C", "--agent", "c")[0] == 0
    write(planned, "web/index.html")
    assert orch("done", "C", "--agent", "c")[0] == 0
    write(planned, "src/api/users.py")
    assert orch("done", "B", "--agent", "b")[0] == 0
    assert show(orch, "C")["artifacts"] == ["web/index.html"]
    assert show(orch, "B")["artifacts"] == ["src/api/users.py"]
