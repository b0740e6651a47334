"""Issue #14: the hooks record what the bound task itself changed (Write/Edit, and Bash through
the analyser), and a task started inside Claude Code is judged on that record alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Orch
from tests.hooks.conftest import payload, run_hook


def post_write(repo: Path, rel: str, *, session: str = "sess-1") -> dict[str, object]:
    (repo / rel).parent.mkdir(parents=True, exist_ok=True)
    (repo / rel).write_text("x\n")
    return payload("PostToolUse.Write", cwd=str(repo), session_id=session,
                   tool_input={"file_path": str(repo / rel), "content": "x\n"})


def post_bash(repo: Path, command: str, *, session: str = "sess-1") -> dict[str, object]:
    return payload("PostToolUse.Bash", cwd=str(repo), session_id=session,
                   tool_input={"command": command, "description": "test"})


def artifacts(repo: Path, task_id: str) -> list[str]:
    data: list[str] = json.loads((repo / ".orch" / "tasks" / f"{task_id}.json").read_text())["artifacts"]
    return data


def test_posttooluse_records_the_bound_tasks_writes(planned: Path, orch: Orch) -> None:
    assert orch("start", "A", "--agent", "sess-1")[0] == 0
    run_hook("PostToolUse", post_write(planned, "docs/design.md"))
    (planned / "out.txt").write_text("made by bash\n")
    (planned / "made").mkdir()
    command = "echo hi > out.txt && mkdir -p made && rm -f gone.txt 'no*.x'"
    run_hook("PostToolUse", post_bash(planned, command))
    assert artifacts(planned, "A") == ["docs/design.md", "out.txt", "gone.txt"]


def test_another_callers_writes_are_not_the_tasks(planned: Path, orch: Orch) -> None:
    assert orch("start", "A", "--agent", "sess-1")[0] == 0
    run_hook("PostToolUse", post_write(planned, "other.txt", session="sess-2"))
    assert artifacts(planned, "A") == []


def _inside_claude_code(planned: Path, orch: Orch, monkeypatch: pytest.MonkeyPatch,
                        verb: str) -> tuple[int, str, str]:
    """Run `orch VERB A` as Claude Code does: the hook sees the Bash call and hands the caller over."""
    bash = payload("PreToolUse.Bash", cwd=str(planned), session_id="sess-1", tool_use_id=f"toolu_{verb}",
                   tool_input={"command": f"orch {verb} A", "description": "test"})
    bash.pop("agent_id", None)
    assert run_hook("PreToolUse", bash).denied is None
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", "sess-1")
    return orch(verb, "A")


def test_a_task_the_hooks_watch_counts_only_what_they_saw(
    planned: Path, orch: Orch, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_hook("SessionStart", payload("SessionStart", cwd=str(planned), session_id="sess-1"))
    assert _inside_claude_code(planned, orch, monkeypatch, "start")[0] == 0
    task = json.loads((planned / ".orch" / "tasks" / "A.json").read_text())
    assert task["seen_by"] == "hooks"
    (planned / "docs").mkdir()
    (planned / "docs" / "design.md").write_text("written behind orch's back\n")
    code, _out, err = _inside_claude_code(planned, orch, monkeypatch, "done")
    assert code == 1 and "orch saw it change no file" in err
    run_hook("PostToolUse", post_write(planned, "docs/design.md"))
    assert _inside_claude_code(planned, orch, monkeypatch, "done")[0] == 0
    assert artifacts(planned, "A") == ["docs/design.md"]


def test_the_briefing_states_the_rule_while_it_is_on(planned: Path, orch: Orch) -> None:
    start = payload("SessionStart", cwd=str(planned), session_id="sess-1")
    rule = "`orch done` refuses a task until it has written a file for each of its declared files"
    assert rule in run_hook("SessionStart", start).json["hookSpecificOutput"]["additionalContext"]
    assert orch("config", "policy.require_outputs", "false")[0] == 0
    assert rule not in run_hook("SessionStart", start).json["hookSpecificOutput"]["additionalContext"]
