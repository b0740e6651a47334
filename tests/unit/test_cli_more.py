"""Install/uninstall, leases, gates, verify, log, doctor --fix and the status line, through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Orch


def test_init_merges_hooks_and_uninstall_removes_exactly_them(repo: Path, orch: Orch) -> None:
    settings = repo / ".claude" / "settings.json"
    settings.parent.mkdir()
    mine = {
        "model": "opus",
        "hooks": {
            "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "my-guard.sh"}]}]
        },
    }
    settings.write_text(json.dumps(mine))
    assert orch("init")[0] == 0
    assert orch("init")[0] == 0, "idempotent"
    merged = json.loads(settings.read_text())
    assert merged["model"] == "opus"
    pre = merged["hooks"]["PreToolUse"]
    assert pre[0] == mine["hooks"]["PreToolUse"][0] and len(pre) == 3
    assert pre[1]["matcher"] == "Write|Edit|NotebookEdit|MultiEdit|Bash"
    assert pre[2]["matcher"] == "^mcp__.+__orch(estrator)?_"  # orch's MCP tools: the caller handed over
    command = pre[1]["hooks"][0]["command"]
    assert "$CLAUDE_PROJECT_DIR" in command and sys.executable not in command  # the same on every clone
    recorded = (repo / ".git" / "orch" / "hook-command").read_text().splitlines()
    assert recorded[0] == sys.executable
    assert set(merged["hooks"]) == {
        "PreToolUse",
        "PostToolUse",
        "PostToolUseFailure",
        "Stop",
        "SubagentStop",
        "SessionStart",
        "SessionEnd",
        "TaskCompleted",
    }
    assert orch("uninstall")[0] == 0
    assert json.loads(settings.read_text()) == mine


def test_init_refuses_broken_settings_without_touching_them(repo: Path, orch: Orch) -> None:
    settings = repo / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text("{not json")
    code, _out, err = orch("init")
    assert code == 2 and "settings.json" in err
    assert settings.read_text() == "{not json"


def test_lock_unlock_locks(planned: Path, orch: Orch) -> None:
    orch("start", "A", "--agent", "ag-1")
    code, out, _ = orch("lock", "docs/../docs/design.md", "--agent", "ag-1")
    assert code == 0 and "docs/design.md" in out
    leases = json.loads(orch("locks", "--json")[1])["leases"]
    assert [(lease["path"], lease["task"], lease["holder"]) for lease in leases] == [
        ("docs/design.md", "A", "ag-1")
    ]
    assert set(leases[0]) == {"path", "task", "holder", "since", "expires"}
    code, _out, err = orch("lock", "docs/design.md", "--task", "B")
    assert code == 1 and "B is queued" in err
    assert orch("unlock", "docs/design.md")[0] == 0
    assert json.loads(orch("locks", "--json")[1])["leases"] == []


def test_gate_runs_without_changing_state_and_done_pulls_the_andon(planned: Path, orch: Orch) -> None:
    orch("config", "gates", json.dumps([{"name": "check", "command": "test -f ok.txt", "kind": "plain"}]))
    orch("start", "A", "--agent", "ag-1")
    (planned / "docs").mkdir()
    (planned / "docs" / "design.md").write_text("# design\n")  # A's declared output
    code, out, _ = orch("gate", "A", "--json")
    assert code == 1 and json.loads(out)["passed"] is False
    assert json.loads(orch("show", "A", "--json")[1])["status"] == "in_progress"
    code, _out, err = orch("done", "A", "--agent", "ag-1")
    assert code == 1 and "andon" in err and "gate 'check' failed" in err
    task = json.loads(orch("show", "A", "--json")[1])
    assert task["status"] == "blocked" and task["andon"]["gate"] == "check"
    (planned / "ok.txt").write_text("ok")
    code, out, _ = orch("done", "A", "--agent", "ag-1", "--json")
    assert code == 0 and json.loads(out)["status"] == "completed"
    assert orch("move", "B", "completed")[0] == 1, "a task with gates completes only through orch done"


def test_verify_names_the_tampered_record_and_log_shows_the_timeline(planned: Path, orch: Orch) -> None:
    orch("start", "A", "--agent", "ag-1")
    assert json.loads(orch("verify", "--json")[1])["ok"] is True
    chain = planned / ".orch" / "receipts" / "A.jsonl"
    lines = chain.read_text().splitlines()
    lines[1] = lines[1].replace('"ag-1"', '"ag-2"')
    chain.write_text("\n".join(lines) + "\n")
    code, out, _ = orch("verify", "--json")
    result = json.loads(out)
    assert code == 1 and result["first_bad"]["chain"] == "A" and result["first_bad"]["line"] == 2
    events = json.loads(orch("log", "--json")[1])["events"]
    assert any(e["task"] == "A" and e["event"] == "transition" for e in events)


def test_doctor_fix_drops_stale_runtime_entries(planned: Path, orch: Orch) -> None:
    orch("start", "A", "--agent", "ag-1")
    orch("lock", "README.md", "--agent", "ag-1")
    tasks = planned / ".orch" / "tasks" / "A.json"
    task = json.loads(tasks.read_text())
    (planned / ".git" / "orch" / "bindings.json").write_text(
        json.dumps({"schema": 1, "bindings": {"A": {"holder": "ag-1"}, "B": {"holder": "ghost"}}})
    )
    code, out, _ = orch("doctor", "--fix")
    assert code == 0 and "dropped stale binding of B to ghost" in out
    assert task["status"] == "in_progress"


@pytest.mark.parametrize("bound", [True, False])
def test_statusline(planned: Path, orch: Orch, bound: bool) -> None:
    if bound:
        orch("start", "A", "--agent", "sess-7")
    stdin = json.dumps(
        {"session_id": "sess-7", "cwd": str(planned), "workspace": {"current_dir": str(planned)}}
    )
    done = subprocess.run(
        [sys.executable, "-m", "orchestrator.console", "statusline"],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=20,
    )
    line = done.stdout.strip()
    assert done.returncode == 0 and "\n" not in line
    assert "orch 0/4 done" in line
    assert ("▶ A Design [in_progress]" in line) == bound


def test_post_tool_use_is_async_unless_fast_checks_need_it(planned: Path, orch: Orch) -> None:
    def post_hook() -> dict[str, object]:
        settings = json.loads((planned / ".claude" / "settings.json").read_text())
        hook: dict[str, object] = settings["hooks"]["PostToolUse"][0]["hooks"][0]
        return hook

    assert post_hook().get("async") is True
    orch("config", "fast_checks", json.dumps([{"glob": "**/*.py", "command": "true"}]))
    assert "async" not in post_hook()
    orch("config", "fast_checks", "[]")
    assert post_hook().get("async") is True


def test_dispatch_is_no_moving_verb_and_its_ttl_value_is_no_operand() -> None:
    from orchestrator import callers

    assert "dispatch" not in callers.MOVING
    assert callers.operands(["A", "B", "--ttl", "60", "--json", "C"]) == ["A", "B", "C"]
