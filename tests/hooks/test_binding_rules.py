"""Only the holder moves its task; the runtime folder is as protected as `.orch/`; the hook hands
the true caller over to the `orch` command a Bash call runs, however the command is written."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Orch, git
from tests.hooks.conftest import payload, run_hook


def bash(planned: Path, command: str, *, caller: str, session: str = "sess-1",
         tool_use_id: str = "toolu_1") -> dict[str, Any]:
    """A PreToolUse Bash payload of `caller` (an agent id, or the session itself)."""
    data = payload("PreToolUse.Bash", cwd=str(planned), session_id=session, tool_use_id=tool_use_id,
                   tool_input={"command": command, "description": "test"})
    if caller != session:
        data["agent_id"] = caller
    else:
        data.pop("agent_id", None)
    return data


def grants(planned: Path) -> dict[str, Any]:
    path = planned / ".git" / "orch" / "grants.json"
    return json.loads(path.read_text()) if path.exists() else {}


def bound_to(orch: Orch, task_id: str) -> str | None:
    rows = {row["id"]: row for row in json.loads(orch("status", "--json")[1])["tasks"]}
    return rows[task_id]["bound_to"]


@pytest.fixture
def held(planned: Path, orch: Orch) -> Path:
    """Task A in progress, held by agent-a."""
    assert orch("start", "A", "--agent", "agent-a")[0] == 0
    return planned


# -- the hook refuses another caller's moves ---------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        "orch done A",
        "env -u CLAUDE_CODE_SESSION_ID orch done A",
        "CLAUDE_CODE_SESSION_ID=sess-1 orch done A",
        "orch block A --reason 'mine now'",
        "orch move A queued",
        "orch cancel A",
        "orch gate A",
        "orch check A 1 --evidence 'tests pass'",
        "orch why A 'the tests were never run'",
        "cd docs && orch done A; echo rc=$?",
        "true && (orch done A)",
        "/somewhere/.claude/plugins/data/orch/orch done A",
        "timeout 60 orch done A",
        "sh -c 'orch done A'",
    ],
)
def test_another_callers_move_of_a_held_task_is_refused(held: Path, command: str) -> None:
    run = run_hook("PreToolUse", bash(held, command, caller="agent-b"))
    assert run.denied is not None, command
    assert "held by agent-a" in run.denied and "only its holder" in run.denied
    assert grants(held) == {}


def test_acting_as_someone_else_is_refused(held: Path) -> None:
    run = run_hook("PreToolUse", bash(held, "orch done A --agent agent-a", caller="agent-b"))
    assert run.denied is not None and "--agent agent-a" in run.denied


def test_a_task_id_the_hook_cannot_read_is_refused(held: Path) -> None:
    run = run_hook("PreToolUse", bash(held, 'orch done "$1"', caller="agent-a"))
    assert run.denied is not None and "task id written out" in run.denied


@pytest.mark.parametrize(
    "command", ["orch config policy.require_task false", "orch config gates '[]'", "orch uninstall"]
)
def test_an_agent_cannot_switch_enforcement_off(held: Path, command: str) -> None:
    run = run_hook("PreToolUse", bash(held, command, caller="agent-a"))
    assert run.denied is not None and "the human's call" in run.denied


def test_unlocking_another_tasks_lease_is_refused(held: Path, orch: Orch) -> None:
    write = payload("PreToolUse.Write", cwd=str(held), session_id="sess-1", agent_id="agent-a",
                    tool_input={"file_path": str(held / "shared.txt"), "content": "x"})
    run_hook("PreToolUse", write)
    run = run_hook("PreToolUse", bash(held, "orch unlock shared.txt", caller="agent-b"))
    assert run.denied is not None and "held by agent-a" in run.denied


def test_the_holders_own_moves_are_allowed_and_granted(held: Path) -> None:
    run = run_hook("PreToolUse", bash(held, "orch gate A && orch done A", caller="agent-a"))
    assert run.stdout == ""
    offers = grants(held)
    assert set(offers) == {"gate A", "done A"}
    assert offers["done A"][0]["caller"] == "agent-a" and offers["done A"][0]["tool"] == "toolu_1"


# -- the CLI acts as the caller the hook saw ---------------------------------------------------


def test_the_cli_acts_as_the_granted_caller_whatever_its_environment_says(
    held: Path, orch: Orch, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_hook("PreToolUse", bash(held, "CLAUDE_CODE_SESSION_ID=forged orch block A --reason x",
                                caller="agent-a"))
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", "forged")
    assert orch("block", "A", "--reason", "x")[0] == 0
    record = json.loads((held / ".orch/receipts/A.jsonl").read_text().splitlines()[-1])
    assert record["actor"] == "agent-a" and record["data"]["to"] == "blocked"
    assert grants(held) == {}


def test_inside_claude_code_an_orch_call_the_hook_did_not_see_is_refused(
    held: Path, orch: Orch, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_hook("SessionStart", payload("SessionStart", cwd=str(held), session_id="sess-1"))
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", "sess-1")
    code, _out, err = orch("done", "A")
    assert code == 1 and "could not see who runs this `orch done`" in err
    assert json.loads(orch("show", "A", "--json")[1])["status"] == "in_progress"


def test_a_human_at_a_terminal_may_act_on_any_task(held: Path, orch: Orch) -> None:
    assert orch("block", "A", "--reason", "the human decides")[0] == 0
    record = json.loads((held / ".orch/receipts/A.jsonl").read_text().splitlines()[-1])
    assert record["actor"].startswith("user:")


def test_the_cli_refuses_a_non_holder_even_when_the_hook_was_not_there(
    held: Path, orch: Orch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", "other-session")  # hooks never ran for it
    code, _out, err = orch("done", "A")
    assert code == 1 and "held by agent-a" in err


@pytest.mark.parametrize(
    "command",
    [
        "orch start A; echo rc=$?",
        "orch start A && orch show A",
        "cd docs && orch start A",
        "(orch start A)",
        "/home/dev/.claude/plugins/data/orch-orch-marketplace/orch start A --brief",
        "orch start 'A'",
        "echo go | orch start A",
        "bash -c 'orch start A'",
    ],
)
def test_a_subagents_start_in_any_form_binds_the_subagent(
    planned: Path, orch: Orch, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    (planned / "docs").mkdir(exist_ok=True)
    run = run_hook("PreToolUse", bash(planned, command, caller="agent-7", session="sess-9"))
    assert run.stdout == ""
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", "sess-9")
    assert orch("start", "A")[0] == 0
    assert bound_to(orch, "A") == "agent-7"


def test_a_grant_the_command_never_claimed_is_withdrawn_when_the_call_ends(
    planned: Path, orch: Orch, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_hook("PreToolUse", bash(planned, "false && orch start A", caller="agent-7", session="sess-9",
                                tool_use_id="toolu_7"))
    assert grants(planned)
    failure = payload("PostToolUse.Bash", cwd=str(planned), session_id="sess-9", agent_id="agent-7",
                      tool_use_id="toolu_7", hook_event_name="PostToolUseFailure")
    run_hook("PostToolUseFailure", failure)
    assert grants(planned) == {}
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", "sess-9")
    assert orch("start", "A")[0] == 0
    assert bound_to(orch, "A") == "sess-9"


# -- taking over -------------------------------------------------------------------------------


def test_a_task_whose_holder_went_quiet_past_the_lease_ttl_can_be_taken_over(
    held: Path, orch: Orch, monkeypatch: pytest.MonkeyPatch
) -> None:
    bindings = held / ".git" / "orch" / "bindings.json"
    data = json.loads(bindings.read_text())
    data["bindings"]["A"]["seen"] = time.time() - 7200
    bindings.write_text(json.dumps(data))
    assert run_hook("PreToolUse", bash(held, "orch start A", caller="agent-b")).stdout == ""
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", "sess-1")
    assert orch("start", "A")[0] == 0
    assert bound_to(orch, "A") == "agent-b"
    record = json.loads((held / ".orch/receipts/A.jsonl").read_text().splitlines()[-1])
    assert record["event"] == "bound" and record["data"]["previous_holder"] == "agent-a"
    assert record["data"]["reason"] == "holder inactive past the lease TTL"


def test_a_live_holders_task_cannot_be_started_again(held: Path, orch: Orch,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    run = run_hook("PreToolUse", bash(held, "orch start A", caller="agent-b"))
    assert run.denied is not None and "held by agent-a" in run.denied


def test_a_finished_subagent_leaves_its_task_to_be_taken_over(held: Path, orch: Orch) -> None:
    stop = payload("SubagentStop", cwd=str(held), session_id="sess-1", agent_id="agent-a",
                   stop_hook_active=False)
    run_hook("SubagentStop", stop)
    binding = json.loads((held / ".git/orch/bindings.json").read_text())["bindings"]["A"]
    assert binding["ended"] is True
    assert run_hook("PreToolUse", bash(held, "orch done A", caller="sess-1")).denied is None


def test_a_task_started_in_another_worktree_is_not_started_twice(
    planned: Path, orch: Orch, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    git(planned, "add", "-A")
    git(planned, "commit", "-q", "-m", "plan")
    other = tmp_path / "other"
    git(planned, "worktree", "add", "-q", str(other), "-b", "other")
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", "sess-main")
    assert orch("start", "A")[0] == 0
    monkeypatch.chdir(other)
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", "sess-other")
    code, _out, err = orch("start", "A")
    assert code == 1 and "bound to sess-main" in err and str(planned) in err


# -- the runtime folder ------------------------------------------------------------------------


def _runtime_targets(planned: Path) -> list[str]:
    common = subprocess.run(["git", "rev-parse", "--git-common-dir"], cwd=planned, capture_output=True,
                            text=True, check=True).stdout.strip()
    runtime = os.path.join(planned, common, "orch")
    return [
        "rm .git/orch/leases.json",
        f"echo {{}} > {runtime}/bindings.json",
        "rm -rf .git/orch",
        "rm -rf .git",
        "mv .git/orch /tmp/x",
        "rm -rf .",
        f"rm -rf {planned}",
        f"mv {planned} /tmp/elsewhere",
        "find .git -name '*.json' -delete",
    ]


def test_the_runtime_folder_and_everything_above_it_are_protected(planned: Path) -> None:
    for command in _runtime_targets(planned):
        run = run_hook("PreToolUse", bash(planned, command, caller="sess-1"))
        assert run.denied is not None, command
        assert "orch's own state" in run.denied, command


def test_a_write_tool_into_the_runtime_folder_is_denied(planned: Path) -> None:
    write = payload("PreToolUse.Write", cwd=str(planned), session_id="sess-1",
                    tool_input={"file_path": str(planned / ".git/orch/leases.json"), "content": "{}"})
    run = run_hook("PreToolUse", write)
    assert run.denied is not None and ".git/orch/leases.json" in run.denied


def test_the_shared_runtime_folder_is_protected_from_a_worktree(planned: Path, tmp_path: Path) -> None:
    git(planned, "add", "-A")
    git(planned, "commit", "-q", "-m", "plan")
    other = tmp_path / "wt"
    git(planned, "worktree", "add", "-q", str(other), "-b", "wt")
    data = bash(planned, f"rm -rf {planned}/.git/orch/index", caller="sess-1")
    data["cwd"] = str(other)
    run = run_hook("PreToolUse", data)
    assert run.denied is not None


@pytest.mark.parametrize("command", ["ls .git/orch", "cat .git/orch/leases.json", "git status",
                                     "git diff .orch", "git add -A && git commit -qm x"])
def test_reading_the_runtime_folder_and_normal_git_are_allowed(planned: Path, command: str) -> None:
    assert run_hook("PreToolUse", bash(planned, command, caller="sess-1")).stdout == ""


# -- protection needs no configuration, and no nested .git hides it -----------------------


def write_to(planned: Path, target: Path, cwd: Path, content: str = "{}") -> dict[str, Any]:
    return payload("PreToolUse.Write", cwd=str(cwd), session_id="sess-1",
                   tool_input={"file_path": str(target), "content": content})


def test_a_nested_git_entry_does_not_hide_the_enclosing_orch_repo(planned: Path) -> None:
    fake = planned / "docs" / "fake"
    fake.mkdir(parents=True)
    (fake / ".git").write_text("gitdir: nowhere\n")
    run = run_hook("PreToolUse", write_to(planned, planned / ".orch/tasks/x.json", fake))
    assert run.denied is not None and "orch's own state" in run.denied
    data = bash(planned, "rm -rf ../../.orch", caller="sess-1")
    data["cwd"] = str(fake)
    assert run_hook("PreToolUse", data).denied is not None


def test_a_write_into_an_orch_repo_from_outside_it_is_checked(planned: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    run = run_hook("PreToolUse", write_to(planned, planned / ".orch/config.json", outside))
    assert run.denied is not None


@pytest.mark.parametrize("config", ["{\"policy\": {\"str", "", "[1, 2]", None])
def test_protection_holds_whatever_the_config_is(planned: Path, config: str | None) -> None:
    path = planned / ".orch" / "config.json"
    if config is None:
        path.unlink()
    else:
        path.write_text(config)
    run = run_hook("PreToolUse", write_to(planned, planned / ".orch/tasks/A.json", planned))
    assert run.denied is not None and "orch's own state" in run.denied
    assert run_hook("PreToolUse", bash(planned, "rm -rf .git/orch", caller="sess-1")).denied is not None



def test_a_corrupt_config_is_named_when_the_rest_cannot_be_decided(planned: Path) -> None:
    (planned / ".orch" / "config.json").write_text("{\"policy\": {\"str")
    run = run_hook("PreToolUse", write_to(planned, planned / "notes.txt", planned))
    assert run.denied is None
    assert ".orch/config.json" in run.json["systemMessage"]


def test_the_holders_writes_keep_its_binding_live(held: Path) -> None:
    bindings = held / ".git" / "orch" / "bindings.json"
    data = json.loads(bindings.read_text())
    data["bindings"]["A"]["seen"] = time.time() - 600
    bindings.write_text(json.dumps(data))
    write = payload("PreToolUse.Write", cwd=str(held), session_id="sess-1", agent_id="agent-a",
                    tool_input={"file_path": str(held / "docs/design.md"), "content": "x"})
    assert run_hook("PreToolUse", write).denied is None
    seen = json.loads(bindings.read_text())["bindings"]["A"]["seen"]
    assert time.time() - seen < 30


# -- orch dispatch moves no task: the main agent runs it without a grant -------------------------


@pytest.mark.parametrize(
    "command",
    ["orch dispatch A", "orch dispatch A B C --ttl 600 --json", "orch dispatch A --agent someone-else",
     'orch dispatch "$TASK"', "orch dispatch A && orch next --parallel 3 --json"],
)
def test_the_hook_lets_any_caller_dispatch_and_offers_no_grant(held: Path, command: str) -> None:
    run = run_hook("PreToolUse", bash(held, command, caller="agent-b"))
    assert run.denied is None and run.stdout == "", command
    assert grants(held) == {}


def test_inside_claude_code_dispatch_needs_no_grant_and_records_the_session(
    planned: Path, orch: Orch, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_hook("SessionStart", payload("SessionStart", cwd=str(planned), session_id="sess-1"))
    run_hook("PreToolUse", bash(planned, "orch dispatch A", caller="sess-1"))
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", "sess-1")
    code, out, err = orch("dispatch", "A", "--json")
    assert code == 0, err
    assert [(row["id"], row["by"]) for row in json.loads(out)["dispatched"]] == [("A", "sess-1")]
    assert json.loads(orch("next", "--json")[1])["ready"] == []


def test_starting_a_parent_task_is_refused_by_the_hook(planned: Path, orch: Orch) -> None:
    (planned / "children.json").write_text(json.dumps(
        {"id": "a-parts", "tasks": [{"id": "A1", "title": "Part one"}, {"id": "A2", "title": "Part two"}]}))
    assert orch("plan", "expand", "A", "children.json")[0] == 0
    assert orch("status")[0] == 0  # the summary snapshot the hook reads is current
    run = run_hook("PreToolUse", bash(planned, "orch start A", caller="agent-a"))
    assert run.denied is not None
    assert "task A is a parent task: its 2 children (A1, A2) are the work" in run.denied
    assert grants(planned) == {}
    run = run_hook("PreToolUse", bash(planned, "orch start A1", caller="agent-a"))
    assert run.denied is None and set(grants(planned)) == {"start A1"}
