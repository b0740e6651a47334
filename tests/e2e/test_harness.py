"""Smoke tests of the e2e harness itself: the real CLI driven by the scripted fake API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from claude import ClaudeRun, hook_settings, python_hook, write_project_settings
from fakeapi import FakeAPI, Script, last_user_text, text, tool_use

# A PreToolUse hook that appends its stdin (one JSON object per line) to the file in argv[1].
LOG_HOOK = """\
import json, sys
data = json.load(sys.stdin)
with open(sys.argv[1], "a", encoding="utf-8") as f:
    f.write(json.dumps(data) + "\\n")
"""

DENY_WRITE_HOOK = """\
import json, sys
data = json.load(sys.stdin)
if data.get("tool_name") == "Write":
    print(json.dumps({"hookSpecificOutput": {
        "hookEventName": "PreToolUse",
        "permissionDecision": "deny",
        "permissionDecisionReason": "DENIED-BY-TEST",
    }}))
"""

STOP_ONCE_HOOK = """\
import json, sys
data = json.load(sys.stdin)
if not data.get("stop_hook_active"):
    print(json.dumps({"decision": "block", "reason": "KEEP-GOING"}))
"""


def read_log(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_write_creates_file(claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path) -> None:
    target = git_repo / "hello.txt"
    write = tool_use("Write", {"file_path": str(target), "content": "hello from the fake model\n"})
    fakeapi.script = Script().main([text("Writing the file."), write], [text("Wrote hello.txt.")])

    result = claude_run("Create hello.txt")

    assert result.returncode == 0, result.describe()
    assert result.result_text == "Wrote hello.txt.", result.describe()
    assert target.read_text() == "hello from the fake model\n"
    assert fakeapi.tool_result_is_error(write["id"]) is False
    assert "hello.txt" in fakeapi.tool_result_text(write["id"])
    assert fakeapi.lanes_seen() == ["main", "main"]
    assert fakeapi.script.pending() == {"main": 0}


def test_pretooluse_deny_reaches_model(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path, tmp_path: Path
) -> None:
    cmd = python_hook(tmp_path / "deny_write.py", DENY_WRITE_HOOK)
    write_project_settings(git_repo, hook_settings(("PreToolUse", "Write", cmd)))
    target = git_repo / "hello.txt"
    write = tool_use("Write", {"file_path": str(target), "content": "nope\n"})
    fakeapi.script = Script().main([write], [text("The write was denied.")])

    result = claude_run("Create hello.txt")

    assert not target.exists()
    assert result.result_text == "The write was denied.", result.describe()
    # The request right after the tool call carries the denial as an error tool_result.
    after = fakeapi.bodies[1]
    assert last_user_text(after).count("DENIED-BY-TEST") == 1
    assert fakeapi.tool_result_is_error(write["id"]) is True
    assert "DENIED-BY-TEST" in fakeapi.tool_result_text(write["id"])


def test_stop_hook_block_is_fed_back(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path, tmp_path: Path
) -> None:
    cmd = python_hook(tmp_path / "stop_once.py", STOP_ONCE_HOOK)
    write_project_settings(git_repo, hook_settings(("Stop", None, cmd)))
    seen: list[str] = []

    def after_block(request: dict[str, Any]) -> list[dict[str, Any]]:
        seen.append(last_user_text(request))
        return [text("Continued after the stop hook.")]

    fakeapi.script = Script().main([text("I think I'm done.")], after_block)

    result = claude_run("Do a thing")

    assert fakeapi.user_messages_containing("KEEP-GOING"), result.describe()
    assert len(seen) == 1 and "KEEP-GOING" in seen[0]
    assert "Stop hook feedback" in seen[0]
    assert result.result_text == "Continued after the stop hook.", result.describe()
    # Second Stop had stop_hook_active=true, so the hook let it end: no third main request.
    assert fakeapi.lanes_seen() == ["main", "main"]


def test_subagent_lane_and_hook_agent_id(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path, tmp_path: Path
) -> None:
    log = tmp_path / "pretooluse.jsonl"
    cmd = python_hook(tmp_path / "log.py", LOG_HOOK) + f" {log}"
    write_project_settings(git_repo, hook_settings(("PreToolUse", None, cmd)))

    agent = tool_use(
        "Agent",
        {
            "description": "write sub.txt",
            "prompt": "SUBAGENT-A: write sub.txt with echo",
            "subagent_type": "general-purpose",
            "run_in_background": False,  # wait for it: the result comes back as tool_result
        },
    )
    bash = tool_use("Bash", {"command": "echo from-sub > sub.txt", "description": "write"})
    script = Script().main([agent], [text("Main thread done.")])
    script.subagent("SUBAGENT-A", [[bash], [text("Subagent finished.")]])
    fakeapi.script = script

    result = claude_run("Delegate to a subagent")

    assert (git_repo / "sub.txt").read_text() == "from-sub\n", result.describe()
    assert result.result_text == "Main thread done.", result.describe()
    assert script.pending() == {"main": 0, "SUBAGENT-A": 0}
    assert fakeapi.lanes_seen() == ["main", "SUBAGENT-A", "SUBAGENT-A", "main"]
    sub_reqs = fakeapi.message_requests("SUBAGENT-A")
    assert all(r.agent_id for r in sub_reqs)
    # The subagent's final text is handed back to the main thread as the Agent tool_result.
    assert "Subagent finished." in fakeapi.tool_result_text(agent["id"])

    entries = read_log(log)
    by_id = {e.get("tool_use_id"): e for e in entries}
    assert by_id[agent["id"]]["tool_name"] == "Agent"
    assert "agent_id" not in by_id[agent["id"]]  # main thread: no agent_id
    sub_call = by_id[bash["id"]]
    assert sub_call["tool_name"] == "Bash"
    assert sub_call["agent_id"] == sub_reqs[0].agent_id
    assert sub_call["agent_type"] == "general-purpose"


def test_concurrent_background_subagents(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path, tmp_path: Path
) -> None:
    """Two background subagents (the Agent default) run at once; each gets its own lane."""
    log = tmp_path / "pretooluse.jsonl"
    cmd = python_hook(tmp_path / "log.py", LOG_HOOK) + f" {log}"
    write_project_settings(git_repo, hook_settings(("PreToolUse", "Bash", cmd)))

    def agent(key: str) -> dict[str, Any]:
        return tool_use("Agent", {"description": f"job {key}", "prompt": f"{key}: do your job"})

    def sub(name: str) -> list[Any]:
        # sleep so that both subagents are alive at the same time
        return [
            [tool_use("Bash", {"command": f"sleep 0.5; echo {name} > {name}.txt"})],
            [text(f"{name} finished")],
        ]

    script = Script().main([agent("SUBAGENT-A"), agent("SUBAGENT-B")])
    script.subagent("SUBAGENT-A", sub("a"))
    script.subagent("SUBAGENT-B", sub("b"))
    fakeapi.script = script

    result = claude_run("Run two jobs")

    assert (git_repo / "a.txt").read_text() == "a\n", result.describe()
    assert (git_repo / "b.txt").read_text() == "b\n", result.describe()
    assert script.pending() == {"main": 0, "SUBAGENT-A": 0, "SUBAGENT-B": 0}
    ids_a = {r.agent_id for r in fakeapi.message_requests("SUBAGENT-A")}
    ids_b = {r.agent_id for r in fakeapi.message_requests("SUBAGENT-B")}
    assert len(ids_a) == 1 and len(ids_b) == 1 and ids_a != ids_b
    logged = {e["tool_input"]["command"].split()[-1]: e.get("agent_id") for e in read_log(log)}
    assert logged == {"a.txt": next(iter(ids_a)), "b.txt": next(iter(ids_b))}


def test_side_requests_do_not_consume_turns(claude_run: ClaudeRun, fakeapi: FakeAPI) -> None:
    """With tool-use summaries on, the CLI asks for a label after each tool batch (a request
    without tools). The fake answers it aside; the scripted turns still line up."""
    bash = tool_use("Bash", {"command": "echo hi", "description": "say hi"})
    fakeapi.script = Script().main([bash], [text("Scripted end.")])

    result = claude_run("Say hi", env={"CLAUDE_CODE_EMIT_TOOL_USE_SUMMARIES": "1"})

    assert result.result_text == "Scripted end.", result.describe()
    side = fakeapi.message_requests("side")
    assert side, f"no side request seen: {fakeapi.lanes_seen()}"
    assert all(not (r.body or {}).get("tools") for r in side)
    assert [r.lane for r in fakeapi.message_requests() if r.lane != "side"] == ["main", "main"]
    assert fakeapi.tool_result_text(bash["id"]) == "hi"


def test_plugin_dir_and_settings_flag(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path, tmp_path: Path
) -> None:
    """``plugin_dir=`` loads a plugin whose hooks fire; ``settings=`` (a dict) adds hooks."""
    plugin = tmp_path / "plugin"
    (plugin / ".claude-plugin").mkdir(parents=True)
    (plugin / ".claude-plugin" / "plugin.json").write_text(json.dumps({"name": "e2eplug"}))
    python_hook(plugin / "hooks" / "log.py", LOG_HOOK)
    plugin_log = tmp_path / "plugin.jsonl"
    plugin_cmd = f'python3 "${{CLAUDE_PLUGIN_ROOT}}/hooks/log.py" {plugin_log}'
    (plugin / "hooks" / "hooks.json").write_text(
        json.dumps(hook_settings(("PreToolUse", "Bash", plugin_cmd)))
    )
    settings_log = tmp_path / "settings.jsonl"
    settings_cmd = python_hook(tmp_path / "log.py", LOG_HOOK) + f" {settings_log}"

    bash = tool_use("Bash", {"command": "echo plugged", "description": "echo"})
    fakeapi.script = Script().main([bash], [text("ok")])

    result = claude_run(
        "Run it",
        plugin_dir=plugin,
        settings=hook_settings(("PostToolUse", "Bash", settings_cmd)),
    )

    assert result.result_text == "ok", result.describe()
    pre = read_log(plugin_log)
    post = read_log(settings_log)
    assert [e["tool_use_id"] for e in pre] == [bash["id"]], result.describe()
    assert [e["tool_use_id"] for e in post] == [bash["id"]], result.describe()
    assert post[0]["tool_response"]["stdout"] == "plugged"
