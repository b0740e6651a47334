"""The plugin user's first hour, exactly as the README installs it: a fresh HOME, a fresh repo,
`claude plugin marketplace add <this checkout>` and `claude plugin install orch@orch-marketplace`,
then the first session after the install (one session, continued with `--continue`):

1. `/orch:plan plan.md`: its `!` line runs while the plugin's Python dependencies are still being
   built (a real `pip install`); the launcher waits for the build and the model gets orch's real
   answer, never "still installing"; the model's own orch calls then load the plan.
2. `/orch:next` shows the ready task.
3. A bare `orch start first` in the model's Bash works: SessionStart put the plugin's `orch` on
   the PATH of the session's Bash calls. A write to the dependent task's file is refused.
4. `/orch:status` shows the task in progress, bound to the session.

Asserts on what the model saw in its prompts and tool results and on what `.orch/` holds.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from claude import REPO_ROOT, ClaudeRun, Result, claude_env
from commandfix import Model, json_after, script_orch_calls
from fakeapi import FakeAPI, Script, last_user_text, text
from orchfix import Plan, Task, task_row

pytestmark = pytest.mark.both_versions  # on the pinned Claude Code and on the newest

PLAN = Plan("first-hour", [
    Task("first", "First", files=["src/first.py"]),
    Task("second", "Second", depends_on=["first"], files=["src/second.py"]),
])
DATA_NAME = "orch-orch-marketplace"  # ${CLAUDE_PLUGIN_DATA} of a marketplace install


def checkout_copy(dest: Path) -> Path:
    """This checkout's files as they are now (committed or not, ignored ones left out): what a
    user's clone of it would hold."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO_ROOT, check=True, capture_output=True).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO_ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def install_plugin(claude_bin: Path, home: Path, source: Path, api_url: str) -> float:
    """The README's two install commands, in a fresh HOME; returns when the install finished."""
    env = claude_env(api_url, home)
    for args in (["plugin", "marketplace", "add", str(source)],
                 ["plugin", "install", "orch@orch-marketplace"]):
        done = subprocess.run([str(claude_bin), *args], env=env, capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL, cwd=home)
        assert done.returncode == 0 and "Successfully" in done.stdout, (args, done.stdout, done.stderr)
    return time.monotonic()


def prompt_since(fakeapi: FakeAPI, seen: int) -> str:
    """The newest user message of the first request after ``seen``: a continued session's command."""
    return last_user_text(fakeapi.message_requests()[seen].body or {})


def continued(claude_run: ClaudeRun, prompt: str, first: bool = False, **kw: Any) -> Result:
    return claude_run(prompt, extra_args=[] if first else ["--continue"], timeout=240, **kw)


def test_first_session_after_a_marketplace_install(
    claude_run: ClaudeRun, claude_bin: Path, fakeapi: FakeAPI, git_repo: Path, e2e_home: Path, tmp_path: Path
) -> None:
    source = checkout_copy(tmp_path / "orch-clone")
    installed = install_plugin(claude_bin, e2e_home, source, fakeapi.url)
    data = e2e_home / ".claude" / "plugins" / "data" / DATA_NAME
    (git_repo / "plan.md").write_text(PLAN.markdown())
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "ORCH_DISABLE": None}  # no orch of ours on PATH

    # 1. /orch:plan, while the venv builds.
    model = Model()
    calls = [("init", "init", "--no-hooks"), ("add", "plan", "add", "plan.md"), ("next", "next")]
    fakeapi.script = script_orch_calls(model, *calls, final="Plan loaded.")
    plan_run = continued(claude_run, "/orch:plan plan.md", first=True, env=env)
    working = time.monotonic()
    expanded = model.first_prompt
    assert "waiting for its Python dependencies" in expanded, expanded[:3000]
    assert "orch is still installing" not in expanded and "retry in a minute" not in expanded
    assert "not set up" in expanded, expanded[:3000]  # orch's own answer, after the wait
    assert model.launcher == str(data / "orch")
    for key in ("init", "add", "next"):
        assert not fakeapi.tool_result_is_error(model.id(key)), fakeapi.tool_result_text(model.id(key))
    assert "first" in fakeapi.tool_result_text(model.id("next"))
    assert task_row(git_repo, "first")["status"] == "queued", plan_run.describe()
    print(f"[e2e] install -> working orch in the first session: {working - installed:.1f}s "
          f"(the /orch:plan run took {plan_run.duration:.1f}s)")

    # 2. /orch:next.
    seen = len(fakeapi.message_requests())
    fakeapi.script = Script().main([text("Next shown.")])
    continued(claude_run, "/orch:next", env=env)
    ready = json_after(prompt_since(fakeapi, seen), "Ready work:")
    assert [t["id"] for t in ready["ready"]] == ["first"], ready

    # 3. A bare `orch start` through Bash, then a refused write.
    second = str(git_repo / "src" / "second.py")
    write = model.call("write", "Write", {"file_path": second, "content": "x = 2\n"})
    fakeapi.script = Script().main(
        [model.call("start", "Bash", {"command": "orch start first && command -v orch"})], [write],
        [text("Started; the second task's file is refused.")])
    continued(claude_run, "Start the first task, then write the second task's file", env=env)
    started = fakeapi.tool_result_text(model.id("start"))
    assert "Started first, bound to" in started and str(data / "bin" / "orch") in started, started
    assert fakeapi.tool_result_is_error(model.id("write"))
    assert "belongs to task second" in fakeapi.tool_result_text(model.id("write"))
    assert not (git_repo / "src" / "second.py").exists()

    # 4. /orch:status.
    seen = len(fakeapi.message_requests())
    fakeapi.script = Script().main([text("Status shown.")])
    continued(claude_run, "/orch:status", env=env)
    status = json_after(prompt_since(fakeapi, seen), "orch status:")
    rows = {t["id"]: t for t in status["tasks"]}
    assert rows["first"]["status"] == "in_progress" and rows["first"]["bound_to"], rows
    assert rows["second"]["status"] == "queued"
    assert (git_repo / ".orch" / "plans" / "first-hour.json").is_file()


def test_a_failed_build_is_reported_not_hidden(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path, e2e_home: Path
) -> None:
    """The dependencies cannot be installed (no package index): `orch` fails with the reason, the
    log and how to retry, in a command's `!` line and in the model's Bash (non-zero exit); the
    next session's briefing says so too, and retries."""
    from orchestrator import bootstrap

    data = e2e_home / ".claude" / "plugins" / "data" / "orch-inline"
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "ORCH_DISABLE": None,
           "PIP_CONFIG_FILE": "/dev/null", "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": ""}
    model = Model()

    def status(body: dict[str, Any]) -> list[dict[str, Any]]:
        model.first_prompt, model.launcher = last_user_text(body), str(data / "orch")
        return [model.orch("status", "status", "--json")]

    fakeapi.script = Script().main(status, [text("orch is not available.")])
    claude_run("/orch:status", plugin_dir=REPO_ROOT, env=env)
    for shown in (model.first_prompt, fakeapi.tool_result_text(model.id("status"))):
        assert "installing its Python dependencies failed" in shown, shown[:3000]
        assert str(data / "install.log") in shown and "To retry by hand" in shown, shown[:3000]
    assert fakeapi.tool_result_is_error(model.id("status"))
    assert "orch is still installing" not in model.first_prompt

    seen = len(fakeapi.message_requests())
    fakeapi.script = Script().main([text("Hello.")])
    claude_run("hello", plugin_dir=REPO_ROOT, env=env)
    briefing = json.dumps(fakeapi.message_requests()[seen].body)
    assert "failed" in briefing and "retrying in the background now" in briefing, briefing[-3000:]
    deadline = time.monotonic() + 60
    while bootstrap.builder_running(str(data)) and time.monotonic() < deadline:
        time.sleep(0.2)  # leave no builder behind
