"""orch loaded as a Claude Code plugin (``--plugin-dir <repo root>``) instead of hooks
registered by ``orch init``: the plugin's own hooks enforce the plan, and its slash commands
expand with live ``orch`` output before the model is called.

The repos here are set up with ``orch init --no-hooks``, so whatever is enforced comes from the
plugin. Skipped, naming what is missing, while the plugin's files are not there yet.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from claude import REPO_ROOT, ClaudeRun
from fakeapi import FakeAPI, Script, content_blocks, text, tool_use
from orchfix import (
    Plan,
    Task,
    assert_no_plugin_build,
    claude_env_extra,
    orch,
    parse_json_output,
    request_text,
    seed_plugin_venv,
    setup_orch,
    task_row,
)

PLUGIN_FILES = (".claude-plugin/plugin.json", "hooks/hooks.json")

PLAN = Plan(
    "plug",
    [
        Task("alpha-e2e", "Alpha", files=["src/alpha.py"]),
        Task("beta-e2e", "Beta", depends_on=["alpha-e2e"], files=["src/beta.py"]),
        Task("gamma-e2e", "Gamma", files=["src/gamma.py"]),
    ],
)

pytestmark = pytest.mark.both_versions  # on the pinned Claude Code and on the newest


def require_plugin(home: Path, *extra: str) -> None:
    """Skip unless the plugin's files are there; then make its own venv look built (see
    :func:`orchfix.seed_plugin_venv`)."""
    missing = [p for p in (*PLUGIN_FILES, *extra) if not (REPO_ROOT / p).is_file()]
    if missing:
        pytest.skip(f"orch plugin not complete yet: missing {', '.join(missing)} in {REPO_ROOT}")
    seed_plugin_venv(home, REPO_ROOT)


def test_plugin_hooks_refuse_out_of_order_write(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path, e2e_home: Path
) -> None:
    require_plugin(e2e_home)
    setup_orch(git_repo, PLAN, hooks=False)
    target = git_repo / "src" / "beta.py"
    write = tool_use("Write", {"file_path": str(target), "content": "BETA = 1\n"})
    fakeapi.script = Script().main([write], [text("Refused by the plugin.")])

    result = claude_run("Implement beta", plugin_dir=REPO_ROOT, env=claude_env_extra())
    assert_no_plugin_build(e2e_home)

    assert result.result_text == "Refused by the plugin.", result.describe()
    assert not target.exists()
    got = fakeapi.tool_result_text(write["id"])
    assert fakeapi.tool_result_is_error(write["id"]), got
    assert "orch: " in got and "belongs to task beta-e2e" in got and "alpha-e2e (queued)" in got, got
    # The plugin's SessionStart hook briefed the model too.
    assert "orch briefing" in request_text(fakeapi.bodies[0])


def expansion(fakeapi: FakeAPI, header: str) -> str:
    """The text block of the first request's prompt that starts with ``header``: the expanded
    slash command, with its ``!`...`` lines already replaced by their output."""
    assert fakeapi.bodies, "the CLI made no request"
    body = fakeapi.bodies[0]
    for m in body.get("messages", []):
        if isinstance(m, dict) and m.get("role") == "user":
            for block in content_blocks(m):
                t = str(block.get("text", ""))
                if block.get("type") == "text" and t.startswith(header):
                    return t
    raise AssertionError(f"no {header!r} block in the first request:\n{request_text(body)[-4000:]}")


def test_status_command_expands_live_state(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path, e2e_home: Path
) -> None:
    require_plugin(e2e_home, "commands/status.md")
    setup_orch(git_repo, PLAN, hooks=False)
    orch(git_repo, "start", "alpha-e2e", "--agent", "agent-live-e2e")
    orch(git_repo, "lock", "src/alpha.py", "--task", "alpha-e2e", "--agent", "agent-live-e2e")
    fakeapi.script = Script().main([text("Status shown.")])

    result = claude_run("/orch:status", plugin_dir=REPO_ROOT, env=claude_env_extra())
    assert_no_plugin_build(e2e_home)

    assert result.result_text == "Status shown.", result.describe()
    expanded = expansion(fakeapi, "orch status:")
    status = parse_json_output(expanded)
    rows = {t["id"]: t for t in status["tasks"]}
    assert sorted(rows) == ["alpha-e2e", "beta-e2e", "gamma-e2e"], expanded
    # Live, not canned: the binding and the lease made just before the run are there.
    assert rows["alpha-e2e"]["status"] == "in_progress" and rows["alpha-e2e"]["bound_to"] == "agent-live-e2e"
    assert rows["beta-e2e"]["status"] == "queued" and rows["beta-e2e"]["bound_to"] is None
    assert "Live leases:" in expanded, expanded
    locks = parse_json_output(expanded.split("Live leases:", 1)[1])
    assert [(x["path"], x["task"]) for x in locks["leases"]] == [("src/alpha.py", "alpha-e2e")], locks


def test_next_command_expands_ready_tasks(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path, e2e_home: Path
) -> None:
    require_plugin(e2e_home, "commands/next.md")
    setup_orch(git_repo, PLAN, hooks=False)
    fakeapi.script = Script().main([text("Next shown.")])

    result = claude_run("/orch:next", plugin_dir=REPO_ROOT, env=claude_env_extra())
    assert_no_plugin_build(e2e_home)

    assert result.result_text == "Next shown.", result.describe()
    expanded = expansion(fakeapi, "Ready work:")
    ready = parse_json_output(expanded)
    assert [t["id"] for t in ready["ready"]] == ["alpha-e2e", "gamma-e2e"], expanded
    assert sorted(ready.get("wave", [])) == ["alpha-e2e", "gamma-e2e"], expanded
    assert task_row(git_repo, "alpha-e2e")["status"] == "queued"  # /orch:next only reads
