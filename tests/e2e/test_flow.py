"""Flow through the real Claude Code CLI (pinned and newest): `/orch:next` in the order of a
non-default scheduling strategy, and a sub-plan whose child a subagent starts (the parent itself
cannot be started)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from claude import REPO_ROOT, ClaudeRun
from commandfix import PluginData, json_after
from fakeapi import FakeAPI, Script, first_user_text, text, tool_use
from orchfix import claude_env_extra, orch, orch_json, task_row

pytestmark = pytest.mark.both_versions

SIZES = """---
id: sizes
title: Work of three sizes
---
## big: Rewrite the billing engine
- priority: high
- estimate: 8h

## mid: Add invoice export
- priority: medium
- estimate: 3h

## small: Fix the footer link
- priority: low
- estimate: 1h
"""

PARENT = """---
id: release
title: Release
---
## T: Ship the checkout
- files: docs/checkout/**

## U: Announce it
- depends_on: T
"""

CHILDREN = """---
id: checkout
title: Checkout, in steps
---
## c1: Cart page
- files: docs/checkout/cart.md

## c2: Payment page
- depends_on: c1
- files: docs/checkout/payment.md
"""


def test_orch_next_follows_the_configured_strategy(
    plugin: PluginData, claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path
) -> None:
    orch(git_repo, "init", "--no-hooks")
    (git_repo.parent / "sizes.md").write_text(SIZES, encoding="utf-8")
    orch(git_repo, "plan", "add", str(git_repo.parent / "sizes.md"))
    assert [r["id"] for r in orch_json(git_repo, "next")["ready"]] == ["big", "mid", "small"]
    orch(git_repo, "config", "schedule.strategy", "shortest")
    fakeapi.script = Script().main([text("The footer link first.")])

    claude_run("/orch:next", plugin_dir=REPO_ROOT, env=claude_env_extra())

    prompt = first_user_text(fakeapi.message_requests()[0].body or {})
    shown = json_after(prompt, "Ready work:")
    assert [r["id"] for r in shown["ready"]] == ["small", "mid", "big"], shown
    assert shown["wave"][0] == "small", shown


def test_a_subagent_starts_a_child_of_a_sub_plan_never_its_parent(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path
) -> None:
    orch(git_repo, "init")
    for name, body in (("release.md", PARENT), ("checkout.md", CHILDREN)):
        (git_repo.parent / name).write_text(body, encoding="utf-8")
    orch(git_repo, "plan", "add", str(git_repo.parent / "release.md"))
    orch(git_repo, "plan", "expand", "T", str(git_repo.parent / "checkout.md"))
    ready = [r["id"] for r in orch_json(git_repo, "next")["ready"]]
    assert ready == ["c1"], ready  # T is a parent now; U waits on it

    start_parent, start_child = bash("orch start T"), bash("orch start c1")
    cart = git_repo / "docs" / "checkout" / "cart.md"
    write = tool_use("Write", {"file_path": str(cart), "content": "cart\n"})
    agent = tool_use("Agent", {"description": "checkout", "prompt": "SUBAGENT-C: do the checkout work",
                               "subagent_type": "general-purpose", "run_in_background": False})
    script = Script().main([agent], [text("Done.")])
    script.subagent("SUBAGENT-C", [[start_parent], [start_child], [write], [text("c1 underway.")]])
    fakeapi.script = script

    result = claude_run("Do the checkout", env=claude_env_extra())

    assert script.pending() == {"main": 0, "SUBAGENT-C": 0}, result.describe()
    refused = fakeapi.tool_result_text(start_parent["id"])
    assert fakeapi.tool_result_is_error(start_parent["id"]) and "parent" in refused, refused
    sub = next(r.agent_id for r in fakeapi.message_requests("SUBAGENT-C"))
    started = fakeapi.tool_result_text(start_child["id"])
    assert f"Started c1, bound to {sub}." in started, started
    assert not fakeapi.tool_result_is_error(write["id"]), fakeapi.tool_result_text(write["id"])
    assert task_row(git_repo, "T")["status"] == "queued"
    assert (task_row(git_repo, "c1")["status"], task_row(git_repo, "c1")["bound_to"]) == ("in_progress", sub)
    assert task_row(git_repo, "c1")["parent"] == "T"


def bash(command: str) -> dict[str, Any]:
    return tool_use("Bash", {"command": command, "description": command[:40]})


def test_completing_a_native_task_that_names_an_orch_task_waits_for_its_gates(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path
) -> None:
    """Claude Code's own task list (on in headless runs with CLAUDE_CODE_ENABLE_TODO_TOOLS=1)."""
    orch(git_repo, "init")
    (git_repo.parent / "sizes.md").write_text(SIZES, encoding="utf-8")
    orch(git_repo, "plan", "add", str(git_repo.parent / "sizes.md"))
    orch(git_repo, "config", "gates", '[{"name": "notes", "command": "test -f notes.md", "timeout": 30}]')
    create = tool_use("TaskCreate", {"subject": "small: Fix the footer link", "description": "the link",
                                     "activeForm": "Fixing the footer link"})
    too_soon = tool_use("TaskUpdate", {"taskId": "1", "status": "completed"})
    write = tool_use("Write", {"file_path": str(git_repo / "notes.md"), "content": "fixed\n"})
    then = tool_use("TaskUpdate", {"taskId": "1", "status": "completed"})
    fakeapi.script = Script().main([bash("orch start small")], [create], [too_soon], [write], [then],
                                   [text("Done.")])

    env = {**claude_env_extra(), "CLAUDE_CODE_ENABLE_TODO_TOOLS": "1"}
    result = claude_run("Fix the footer", env=env)

    assert result.result_text == "Done.", result.describe()
    refused = fakeapi.tool_result_text(too_soon["id"])
    assert "TaskCompleted hook feedback" in refused and "orch task small" in refused, refused
    assert "gate 'notes'" in refused, refused
    assert "TaskCompleted hook feedback" not in fakeapi.tool_result_text(then["id"])
