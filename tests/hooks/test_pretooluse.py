"""PreToolUse as a subprocess: dependency order, protected state, leases, hand-over, policy."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Orch, write_output
from tests.hooks.conftest import payload, run_hook

DENY_KEYS = {"hookEventName", "permissionDecision", "permissionDecisionReason"}


def test_write_to_a_file_of_a_task_that_is_not_ready_is_denied(planned: Path, write_payload: Any) -> None:
    run = run_hook("PreToolUse", write_payload("src/api/handlers.py"))
    assert run.code == 0
    assert set(run.json) == {"hookSpecificOutput"}
    assert set(run.json["hookSpecificOutput"]) == DENY_KEYS
    assert run.denied is not None
    assert run.denied.startswith("orch: src/api/handlers.py belongs to task B (Backend)")
    assert "A (queued)" in run.denied and "/orch:next" in run.denied


def test_write_to_an_unclaimed_file_is_allowed_silently(planned: Path, write_payload: Any) -> None:
    run = run_hook("PreToolUse", write_payload("notes/todo.txt"))
    assert (run.code, run.stdout, run.denied) == (0, "", None)


def test_the_bound_task_may_write_its_own_files_and_takes_a_lease(
    planned: Path, orch: Orch, write_payload: Any
) -> None:
    orch("start", "A", "--agent", "agent-a")
    assert run_hook("PreToolUse", write_payload("docs/design.md", agent="agent-a")).stdout == ""
    leases = json.loads(orch("locks", "--json")[1])["leases"]
    assert [(lease["path"], lease["task"], lease["holder"]) for lease in leases] == [
        ("docs/design.md", "A", "agent-a")
    ]


def test_another_agent_cannot_write_a_leased_file(planned: Path, orch: Orch, write_payload: Any) -> None:
    orch("start", "A", "--agent", "agent-a")
    run_hook("PreToolUse", write_payload("shared/util.py", agent="agent-a"))
    run = run_hook("PreToolUse", write_payload("shared/util.py", agent="agent-b"))
    assert run.denied is not None and "leased by task A (held by agent-a" in run.denied
    assert "orch unlock shared/util.py" in run.denied


def test_a_declared_file_of_another_agents_task_is_denied(
    planned: Path, orch: Orch, write_payload: Any
) -> None:
    orch("start", "A", "--agent", "agent-a")
    run = run_hook("PreToolUse", write_payload("docs/design.md", agent="agent-b"))
    assert run.denied is not None and "another agent has in progress" in run.denied


def test_lease_released_when_the_task_leaves_in_progress(
    planned: Path, orch: Orch, write_payload: Any
) -> None:
    orch("start", "A", "--agent", "agent-a")
    run_hook("PreToolUse", write_payload("shared/util.py", agent="agent-a"))
    orch("block", "A", "--reason", "waiting")
    assert json.loads(orch("locks", "--json")[1])["leases"] == []
    assert run_hook("PreToolUse", write_payload("shared/util.py", agent="agent-b")).denied is None


@pytest.mark.parametrize("target", [".orch/config.json", ".orch/tasks/A.json", "src/../.orch/plans/web.json"])
def test_writes_to_orch_state_are_denied(planned: Path, write_payload: Any, target: str) -> None:
    run = run_hook("PreToolUse", write_payload(target))
    assert run.denied is not None and "orch's own state" in run.denied


@pytest.mark.parametrize(
    "command",
    [
        "echo x > .orch/tasks/A.json",
        "cd .orch && sed -i s/queued/completed/ tasks/A.json",
        "python3 -c \"open('.orch/tasks/A.json','w').write('{}')\"",
        "rm -rf .orch",
        "rm -rf .or*",
        "cp x .orc?/config.json",
    ],
)
def test_bash_writes_to_orch_state_are_denied(planned: Path, write_payload: Any, command: str) -> None:
    run = run_hook("PreToolUse", write_payload(command, tool="Bash"))
    assert run.denied is not None and "orch's own state" in run.denied


def test_symlinked_state_is_still_protected(planned: Path, write_payload: Any) -> None:
    os.symlink(planned / ".orch", planned / "alias")
    run = run_hook("PreToolUse", write_payload("alias/config.json"))
    assert run.denied is not None and ".orch/config.json" in run.denied


@pytest.mark.parametrize(
    "command", ["cat .orch/tasks/A.json", "orch status --json", "ls -la .orch", "git diff -- .orch"]
)
def test_reads_are_never_blocked(planned: Path, write_payload: Any, command: str) -> None:
    assert run_hook("PreToolUse", write_payload(command, tool="Bash")).stdout == ""


def test_require_task_policy(planned: Path, orch: Orch, write_payload: Any) -> None:
    orch("config", "policy.require_task", "true")
    run = run_hook("PreToolUse", write_payload("notes/todo.txt"))
    assert run.denied is not None and "/orch:next" in run.denied


def test_subagent_hand_over_binds_orch_start_to_the_agent(
    planned: Path, orch: Orch, write_payload: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = run_hook(
        "PreToolUse", write_payload("orch start A", tool="Bash", agent="agent-7", session="sess-9")
    )
    assert run.stdout == ""
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", "sess-9")
    assert orch("start", "A")[0] == 0
    rows = json.loads(orch("status", "--json")[1])["tasks"]
    assert rows[0]["bound_to"] == "agent-7"


def test_read_and_other_tools_give_no_opinion(planned: Path) -> None:
    for name in ("PreToolUse.Read", "PreToolUse.Agent", "PreToolUse.in_subagent"):
        run = run_hook("PreToolUse", payload(name, cwd=str(planned)))
        assert (run.code, run.stdout) == (0, "")


def test_strict_mode_fails_closed_on_internal_error(planned: Path, orch: Orch, write_payload: Any) -> None:
    orch("config", "policy.strict", "true")
    orch("start", "A", "--agent", "agent-a")
    runtime = planned / ".git" / "orch" / "bindings.json"
    runtime.write_text("{broken")
    run = run_hook("PreToolUse", write_payload("docs/design.md", agent="agent-a"))
    assert run.denied is not None and "strict mode" in run.denied


def test_internal_error_fails_open_with_a_visible_warning(
    planned: Path, orch: Orch, write_payload: Any
) -> None:
    orch("start", "A", "--agent", "agent-a")
    (planned / ".git" / "orch" / "bindings.json").write_text("{broken")
    run = run_hook("PreToolUse", write_payload("docs/design.md", agent="agent-a"))
    assert run.denied is None and "hook error" in run.json["systemMessage"]
    assert "orch: hook error" in run.stderr


def test_subagent_hand_over_names_the_agent_in_done_receipts(
    planned: Path, orch: Orch, write_payload: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", "sess-9")
    for verb in ("start", "done"):
        if verb == "done":  # A's declared output, written by the subagent through Claude Code's Write
            written = write_payload("docs/design.md", agent="agent-7", session="sess-9")
            write_output(planned, "docs/design.md")
            run_hook("PostToolUse", {**written, "hook_event_name": "PostToolUse"})
        run_hook(
            "PreToolUse", write_payload(f"orch {verb} A", tool="Bash", agent="agent-7", session="sess-9")
        )
        assert orch(verb, "A")[0] == 0
    actors = [
        json.loads(line)["actor"] for line in (planned / ".orch/receipts/A.jsonl").read_text().splitlines()
    ]
    assert actors[1:] == ["agent-7"] * (len(actors) - 1)


def test_a_refused_subagent_start_leaves_no_offer_behind(
    planned: Path, orch: Orch, write_payload: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = run_hook(
        "PreToolUse",
        write_payload(
            "orch start B && echo x > src/api/x.py", tool="Bash", agent="agent-7", session="sess-9"
        ),
    )
    assert refused.denied is not None
    orch("start", "A", "--agent", "ag-1")
    write_output(planned, "docs/design.md")
    orch("move", "A", "completed", "--agent", "ag-1")
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", "sess-9")
    assert orch("start", "B")[0] == 0
    rows = {row["id"]: row for row in json.loads(orch("status", "--json")[1])["tasks"]}
    assert rows["B"]["bound_to"] == "sess-9"


def test_a_bash_glob_is_checked_file_by_file_as_the_shell_expands_it(planned: Path, orch: Orch,
                                                                     write_payload: Any) -> None:
    orch("start", "A", "--agent", "agent-a")
    (planned / "shared").mkdir()
    (planned / "shared" / "util.py").write_text("x = 1\n")
    run_hook("PreToolUse", write_payload("shared/util.py", agent="agent-a"))
    run = run_hook("PreToolUse", write_payload("rm shared/*.py", tool="Bash", agent="agent-b"))
    assert run.denied is not None and "shared/util.py is leased by task A" in run.denied
