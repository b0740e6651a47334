"""The hooks `orch init` commits work on every clone: a launcher in `.orch/hook` runs this
machine's orch (recorded in the runtime folder), or says clearly that orch is missing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Orch, git
from tests.hooks.conftest import payload

DENY = '"permissionDecision":"deny"'


def registered(repo: Path, event: str) -> str:
    settings = json.loads((repo / ".claude" / "settings.json").read_text())
    command: str = settings["hooks"][event][0]["hooks"][0]["command"]
    return command


def run_registered(repo: Path, event: str, data: dict[str, object], path: str | None = None,
                   ) -> subprocess.CompletedProcess[str]:
    """The command exactly as Claude Code runs it: `/bin/sh -c`, cwd and CLAUDE_PROJECT_DIR = repo."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE")}
    env["CLAUDE_PROJECT_DIR"] = str(repo)
    if path is not None:
        env["PATH"] = path
    return subprocess.run(["/bin/sh", "-c", registered(repo, event)], input=json.dumps(data), cwd=repo,
                          env=env, capture_output=True, text=True, timeout=30)


def orch_write(repo: Path) -> dict[str, object]:
    return payload("PreToolUse.Write", cwd=str(repo), session_id="s",
                   tool_input={"file_path": str(repo / ".orch/config.json"), "content": "{}"})


def test_the_committed_command_names_no_machine_path(planned: Path) -> None:
    command = registered(planned, "PreToolUse")
    assert str(planned) not in command and sys.executable not in command
    assert '"$CLAUDE_PROJECT_DIR/.git/orch/hook-command"' in command
    assert command.endswith('exec sh "$CLAUDE_PROJECT_DIR/.orch/hook" PreToolUse')
    assert (planned / ".orch" / "hook").is_file()
    assert (planned / ".git" / "orch" / "hook-command").is_file()


def test_the_registered_command_enforces_here(planned: Path) -> None:
    done = run_registered(planned, "PreToolUse", orch_write(planned))
    assert done.returncode == 0 and DENY in done.stdout.replace(" ", "")


def test_a_clone_without_orch_gets_a_clear_message_not_a_silent_127(planned: Path, tmp_path: Path) -> None:
    git(planned, "add", "-A")
    git(planned, "commit", "-q", "-m", "orch")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(planned), str(clone)], check=True)
    bare_path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep)
                                if not shutil.which("orch", path=p))
    done = run_registered(clone, "PreToolUse", orch_write(clone), path=bare_path)
    assert done.returncode == 1
    assert done.stderr.startswith("orch: this repository's plan is enforced by orch, which is not installed")
    config = json.loads((clone / ".orch" / "config.json").read_text())
    config["policy"]["strict"] = True
    (clone / ".orch" / "config.json").write_text(json.dumps(config, indent=2))
    strict = run_registered(clone, "PreToolUse", orch_write(clone), path=bare_path)
    assert strict.returncode == 2 and "not installed" in strict.stderr
    assert run_registered(clone, "Stop", {}, path=bare_path).returncode == 1


def test_a_clone_with_orch_on_path_but_not_initialised_still_enforces(
    planned: Path, tmp_path: Path, orch: Orch
) -> None:
    git(planned, "add", "-A")
    git(planned, "commit", "-q", "-m", "orch")
    clone = tmp_path / "clone2"
    subprocess.run(["git", "clone", "-q", str(planned), str(clone)], check=True)
    venv_bin = str(Path(sys.executable).parent)
    assert (Path(venv_bin) / "orch").exists()
    search = f"{venv_bin}{os.pathsep}{os.environ['PATH']}"
    done = run_registered(clone, "PreToolUse", orch_write(clone), path=search)
    assert done.returncode == 0 and DENY in done.stdout.replace(" ", ""), done.stderr


def test_uninstall_removes_the_portable_entries(planned: Path, orch: Orch) -> None:
    assert orch("uninstall")[0] == 0
    settings = json.loads((planned / ".claude" / "settings.json").read_text())
    assert "hooks" not in settings


def test_doctor_runs_the_registered_command_and_fix_records_this_machine(
    planned: Path, orch: Orch, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _err = orch("doctor")
    assert code == 0 and "the registered command runs here" in out
    (planned / ".git" / "orch" / "hook-command").unlink()
    bare = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep)
                           if not shutil.which("orch", path=p))
    monkeypatch.setenv("PATH", bare)
    code, out, _err = orch("doctor")
    assert code == 1 and "the registered hook command fails here: exit 1: orch: this repository's plan" in out
    code, out, _err = orch("doctor", "--fix")
    assert "recorded this machine's orch" in out
    assert orch("doctor")[0] == 0


def test_doctor_lists_a_task_whose_holder_is_gone(planned: Path, orch: Orch) -> None:
    orch("start", "A", "--agent", "agent-a")
    bindings = planned / ".git" / "orch" / "bindings.json"
    data = json.loads(bindings.read_text())
    data["bindings"]["A"]["seen"] = 1_000_000_000.0
    bindings.write_text(json.dumps(data))
    code, out, _err = orch("doctor")
    assert code == 0
    assert "A is held by agent-a, but no activity since 2001-09-09T01:46:40Z" in out
    assert "`orch start A`" in out
