"""The fresh-machine path: a clone, a new HOME, an empty virtual environment.

1. The README's first quick-start command, run exactly as written, installs orch and the demo
   walks the example plan to completion.
2. The plugin path works from that clone: loaded with `--plugin-dir`, its SessionStart builds
   the plugin's own virtual environment from the pinned requirements in the background (a real
   `pip install` from the package index), the hooks enforce the plan meanwhile with the standard
   library only, and once the environment is ready a slash command runs the CLI from it, with no
   `orch` on PATH at all.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from claude import REPO_ROOT, ClaudeRun
from fakeapi import FakeAPI, Script, text, tool_use
from orchfix import Plan, Task, plugin_data_dir, request_text

BUILD_DEADLINE = 600


def quick_start_commands() -> list[str]:
    """The shell lines of the README's quick start, in order."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = section.split("```sh\n")[1:]
    return [block.split("```", 1)[0].strip() for block in blocks]


def clean_env(home: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("CLAUDE", "ANTHROPIC", "VIRTUAL_ENV", "PYTHON", "ORCH"))}
    path = os.pathsep.join(p for p in keep.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    return {**keep, "HOME": str(home), "PATH": path, "ORCH_FSMONITOR": "0"}  # none left behind


def test_quick_start_and_plugin_from_a_fresh_clone(
    tmp_path: Path, claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path, e2e_home: Path
) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO_ROOT), str(clone)], check=True, timeout=120)
    demo_command = quick_start_commands()[0]
    assert "orch demo" in demo_command
    done = subprocess.run(["bash", "-c", demo_command], cwd=clone, env=clean_env(tmp_path / "home"),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "auth-complete" in done.stdout and "receipts verify" in done.stdout

    orch = clone / ".venv" / "bin" / "orch"
    (git_repo.parent / "plan.md").write_text(Plan("fresh", [
        Task("first", "First", files=["src/first.py"]),
        Task("second", "Second", depends_on=["first"], files=["src/second.py"]),
    ]).markdown())
    for args in (("init", "--no-hooks"), ("plan", "add", str(git_repo.parent / "plan.md"))):
        subprocess.run([str(orch), *args], cwd=git_repo, check=True, capture_output=True, timeout=60)
    env: dict[str, str | None] = {"PATH": clean_env(e2e_home)["PATH"], "ORCH_DISABLE": None,
                                  "VIRTUAL_ENV": None}

    write = tool_use("Write", {"file_path": str(git_repo / "src" / "second.py"), "content": "x = 2\n"})
    fakeapi.script = Script().main([write], [text("refused, as expected")])
    claude_run("Write the second task's file", plugin_dir=clone, env=env)
    assert not (git_repo / "src" / "second.py").exists()
    assert fakeapi.requests_containing("belongs to task second")

    _wait_for_plugin_venv(plugin_data_dir(e2e_home), clone)
    fakeapi.script = Script().main([text("status shown")])
    seen = len(fakeapi.message_requests())
    claude_run("/orch:status", plugin_dir=clone, env=env)
    expanded = request_text(fakeapi.message_requests()[seen].body)
    assert '"id": "first"' in expanded and '"status": "queued"' in expanded, expanded[-2000:]


def _wait_for_plugin_venv(data: Path, clone: Path) -> None:
    from orchestrator import bootstrap

    deadline = time.monotonic() + BUILD_DEADLINE
    while not bootstrap.is_ready(str(data), str(clone / "pyproject.toml")):
        failed = data / bootstrap.FAILED
        log = data / bootstrap.LOG
        assert not failed.exists(), log.read_text()[-3000:] if log.exists() else "install failed"
        assert time.monotonic() < deadline, f"the plugin venv was not ready after {BUILD_DEADLINE}s"
        time.sleep(1)
