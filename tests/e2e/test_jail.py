"""The write jail through the real Claude Code CLI (pinned and newest): a scripted model writes a
program with the Write tool and runs it with Bash. No analysis can see what the program does; the
kernel still refuses its writes to `.orch/`, the runtime folder and another task's leased file,
and the model is told why. Its own work, a `cd`, `git commit` and a plain `orch` command work."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from claude import ClaudeRun
from fakeapi import FakeAPI, Script, text, tool_use
from orchfix import Plan, Task, claude_env_extra, orch, request_text, setup_orch, task_row

from orchestrator.jail import sessions

CANNOT_JAIL = sessions.check() is not None
pytestmark = [pytest.mark.both_versions, pytest.mark.skipif(CANNOT_JAIL, reason="this kernel cannot jail")]

PLAN = Plan("jail", [Task("A", "Task A", files=["src/a.py"]), Task("B", "Task B", files=["src/b.py"])])

PROGRAM = """import sys
for target in sys.argv[1:]:
    try:
        with open(target, "w") as handle:
            handle.write("pwned")
        print("WROTE", target)
    except OSError as exc:
        print("REFUSED", target, exc.strerror)
sys.exit(3)
"""


def bash(command: str) -> dict[str, Any]:
    return tool_use("Bash", {"command": command, "description": command[:40]})


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_program_the_model_wrote_cannot_touch_orch_or_another_tasks_file(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path
) -> None:
    setup_orch(git_repo, PLAN)
    orch(git_repo, "start", "A", "--agent", "someone-else")
    (git_repo / "src").mkdir()
    (git_repo / "src" / "a.py").write_text("a = 'theirs'\n")
    orch(git_repo, "lock", "src/a.py", "--task", "A", "--agent", "someone-else")
    state, runtime = git_repo / ".orch", git_repo / ".git" / "orch"
    before = snapshot(state)

    targets = [".orch/tasks/B.json", ".orch/new.json", ".git/orch/bindings.json", "src/a.py", "mine.txt"]
    write = tool_use("Write", {"file_path": str(git_repo / "tools" / "w.py"), "content": PROGRAM})
    run = bash("python3 tools/w.py " + " ".join(targets))
    move = bash("mkdir -p sub && cd sub")
    where = bash("pwd")
    commit = bash("cd .. && git add mine.txt tools && git commit -qm 'my work' && echo COMMITTED")
    start = bash("orch start B")
    fakeapi.script = Script().main([write], [run], [move], [where], [commit], [start], [text("Done.")])

    result = claude_run("Try it", env=claude_env_extra())

    assert result.result_text == "Done.", result.describe()
    got = fakeapi.tool_result_text(run["id"])
    for target in targets[:4]:
        assert f"REFUSED {target} Read-only file system" in got, got
    assert "WROTE mine.txt" in got
    after = snapshot(state)  # `orch start B` at the end changed B's files; nothing else did
    unchanged = {k: v for k, v in before.items() if "B." not in k}
    assert {k: v for k, v in after.items() if "B." not in k} == unchanged
    assert not any(b"pwned" in data for data in [*after.values(), *snapshot(runtime).values()])
    assert (git_repo / "src" / "a.py").read_text() == "a = 'theirs'\n"
    told = request_text(fakeapi.bodies[-1])
    assert "write jail refused a write" in told
    assert fakeapi.tool_result_text(where["id"]).strip() == str(git_repo / "sub")  # the cd persisted
    assert "COMMITTED" in fakeapi.tool_result_text(commit["id"])
    assert not fakeapi.tool_result_is_error(start["id"]), fakeapi.tool_result_text(start["id"])
    assert task_row(git_repo, "B")["status"] == "in_progress"
    assert json.loads((state / "tasks" / "B.json").read_text())["status"] == "in_progress"


def test_in_subagents_each_is_held_from_the_others_files_not_its_own(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path
) -> None:
    setup_orch(git_repo, PLAN)
    (git_repo / "src").mkdir()
    (git_repo / "tools").mkdir()
    (git_repo / "tools" / "w.py").write_text(PROGRAM)
    a_run = bash("python3 tools/w.py src/a.py .orch/tasks/B.json")
    b_run = bash("python3 tools/w.py src/a.py src/b.py")

    def agent(key: str) -> dict[str, Any]:
        return tool_use("Agent", {"description": f"work on {key}", "prompt": f"{key}: do your task",
                                  "subagent_type": "general-purpose", "run_in_background": False})

    script = Script().main([agent("SUBAGENT-A")], [agent("SUBAGENT-B")], [text("Both done.")])
    script.subagent("SUBAGENT-A", [[bash("orch start A")], [a_run], [text("A done.")]])
    script.subagent("SUBAGENT-B", [[bash("orch start B")], [b_run], [text("B done.")]])
    fakeapi.script = script

    result = claude_run("Run both", env=claude_env_extra())

    assert result.result_text == "Both done.", result.describe()
    got_a, got_b = fakeapi.tool_result_text(a_run["id"]), fakeapi.tool_result_text(b_run["id"])
    assert "WROTE src/a.py" in got_a and "REFUSED .orch/tasks/B.json Read-only file system" in got_a, got_a
    assert "REFUSED src/a.py Read-only file system" in got_b and "WROTE src/b.py" in got_b, got_b
    assert task_row(git_repo, "A")["status"] == task_row(git_repo, "B")["status"] == "in_progress"


def test_with_zsh_as_the_users_shell_the_jail_holds_too(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path
) -> None:
    import shutil

    zsh = shutil.which("zsh")
    if zsh is None:
        pytest.skip("no zsh here")
    setup_orch(git_repo, PLAN)
    write = tool_use("Write", {"file_path": str(git_repo / "tools" / "w.py"), "content": PROGRAM})
    run = bash("python3 tools/w.py .orch/tasks/B.json mine.txt")
    move, where = bash("mkdir -p sub && cd sub"), bash("pwd")
    start = bash("cd .. && orch start B; echo rc=$?")
    fakeapi.script = Script().main([write], [run], [move], [where], [start], [text("Done.")])

    result = claude_run("Try it", env={**claude_env_extra(), "SHELL": zsh})

    assert result.result_text == "Done.", result.describe()
    got = fakeapi.tool_result_text(run["id"])
    assert "REFUSED .orch/tasks/B.json Read-only file system" in got and "WROTE mine.txt" in got, got
    assert fakeapi.tool_result_text(where["id"]).strip() == str(git_repo / "sub")
    assert "rc=0" in fakeapi.tool_result_text(start["id"]), fakeapi.tool_result_text(start["id"])
    assert task_row(git_repo, "B")["status"] == "in_progress"
