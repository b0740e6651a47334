"""How `orch` becomes a working command for a plugin user: the CLI launcher waits for the first
build of the plugin's venv (and fails loudly, never with a silent exit 0), the session's Bash
gets `orch` on its PATH through CLAUDE_ENV_FILE, and the build takes the fastest route."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator import bootstrap, launcher
from orchestrator.hooks.entry import main as hook_main
from tests.unit.test_plugin_files import plugin_env as files_plugin_env

ROOT = Path(__file__).resolve().parents[2]
SH = shutil.which("sh") or "/bin/sh"


def plugin_env(data: Path, **extra: str) -> dict[str, str]:
    return files_plugin_env(ROOT, data, **{"PATH": "/usr/bin:/bin", **extra})


def run_orch(data: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SH, str(ROOT / "hooks" / "orch"), *args], env=plugin_env(data, **extra),
                          capture_output=True, text=True, timeout=60, cwd=data.parent)


def ready_venv(data: Path) -> None:
    """This test run's interpreter, which has orch's dependencies, stands in for the built venv."""
    python = Path(bootstrap.venv_python(str(data / bootstrap.VENV)))
    python.parent.mkdir(parents=True, exist_ok=True)
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    deps = bootstrap.pinned_dependencies(str(ROOT / "pyproject.toml"))
    (data / bootstrap.VENV / bootstrap.STAMP).write_text(json.dumps({"deps": bootstrap.deps_digest(deps)}))


def failed_build(data: Path, why: str = "pip exited 1") -> None:
    data.mkdir(parents=True, exist_ok=True)
    (data / bootstrap.FAILED).write_text(why + "\n")


# -- the CLI launcher ----------------------------------------------------------------------------


def test_a_failed_build_is_a_clear_non_zero_exit(tmp_path: Path) -> None:
    data = tmp_path / "data"
    failed_build(data, "No matching distribution found for pydantic==2.14.3")
    done = run_orch(data, "init")
    assert done.returncode == launcher.EXIT_FAILED, done
    assert "No matching distribution found" in done.stderr and str(data / "install.log") in done.stderr
    assert "python3 -m orchestrator.bootstrap build" in done.stderr  # how to retry
    assert done.stdout == ""


def test_the_launcher_waits_for_a_build_in_progress(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with open(data / bootstrap.LOCK, "a") as held:  # a builder is running
        fcntl.flock(held, fcntl.LOCK_EX)
        waiting = subprocess.Popen([SH, str(ROOT / "hooks" / "orch"), "--version"], env=plugin_env(data),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
        with pytest.raises(subprocess.TimeoutExpired):
            waiting.wait(timeout=1.5)  # still waiting: nothing is ready yet
        ready_venv(data)
    out, err = waiting.communicate(timeout=30)
    assert waiting.returncode == 0, err
    assert "orch" in out.lower() and "waiting for its Python dependencies" in err, (out, err)
    assert "dependencies ready after" in err


def test_the_wait_is_bounded(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with open(data / bootstrap.LOCK, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        done = run_orch(data, "status", ORCH_INSTALL_WAIT="0.5")
    assert done.returncode == launcher.EXIT_TIMEOUT, done
    assert "still installing after" in done.stderr and str(data / "install.log") in done.stderr


def test_a_ready_venv_runs_the_cli_at_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ready_venv(data)
    done = run_orch(data, "--version")
    assert done.returncode == 0 and done.stderr == "", done
    assert done.stdout.startswith("orch")


def test_the_data_launcher_carries_the_plugin_paths(tmp_path: Path) -> None:
    """Commands run `${CLAUDE_PLUGIN_DATA}/orch`: their Bash has no CLAUDE_PLUGIN_* variables."""
    data = tmp_path / "it's data"
    failed_build(data)
    bootstrap.write_launcher(str(ROOT), str(data))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE")}
    env["PATH"] = "/usr/bin:/bin"
    done = subprocess.run([str(data / "orch"), "status"], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == launcher.EXIT_FAILED and str(data / "install.log") in done.stderr


def test_the_plugins_bin_orch_finds_its_data_folder(tmp_path: Path) -> None:
    """Claude Code appends the plugin's bin/ to the Bash PATH, without CLAUDE_PLUGIN_DATA: the
    fallback finds the data folder whose launcher names this plugin root."""
    home = tmp_path / "home"
    other, data = home / ".claude/plugins/data/other-x", home / ".claude/plugins/data/orch-market"
    bootstrap.write_launcher("/elsewhere/orch", str(other))
    bootstrap.write_launcher(str(ROOT), str(data))
    failed_build(data, "marker of the right install")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "ORCH"))}
    env.update(HOME=str(home), PATH="/usr/bin:/bin", ORCH_FSMONITOR="0")
    done = subprocess.run([str(ROOT / "bin" / "orch"), "next"], env=env, capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == launcher.EXIT_FAILED and "marker of the right install" in done.stderr, done


# -- PATH through CLAUDE_ENV_FILE ----------------------------------------------------------------


def test_on_path_appends_one_export_line(tmp_path: Path) -> None:
    env_file = tmp_path / "sessionstart-hook-0.sh"
    folder = tmp_path / "it's bin"
    assert launcher.on_path(str(folder), {"CLAUDE_ENV_FILE": str(env_file)})
    assert launcher.on_path(str(folder), {"CLAUDE_ENV_FILE": str(env_file)})  # resume: not twice
    [line] = env_file.read_text().splitlines()
    shown = subprocess.run(["bash", "-c", f'source {env_file} && printf %s "$PATH"'], capture_output=True,
                           text=True, env={"PATH": "/usr/bin:/bin"}, check=True).stdout
    assert shown == f"{folder}:/usr/bin:/bin", line
    assert not launcher.on_path(str(folder), {})


def session_start(tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                  capsys: pytest.CaptureFixture[str]) -> str:
    for name in [n for n in os.environ if n.startswith(("CLAUDE", "ORCH"))]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    payload = {"session_id": "s-1", "hook_event_name": "SessionStart", "source": "startup",
               "cwd": str(tmp_path)}
    monkeypatch.setattr(sys, "stdin", open(os.devnull))  # noqa: SIM115 - replaced below
    monkeypatch.setattr("orchestrator.hooks.entry.read_stdin", lambda deadline: (payload, ""))
    monkeypatch.chdir(tmp_path)
    assert hook_main(["SessionStart"]) == 0
    return capsys.readouterr().out


def test_plugin_session_start_puts_the_launcher_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    data, env_file = tmp_path / "data", tmp_path / "env.sh"
    ready_venv(data)
    session_start(tmp_path, {"CLAUDE_PLUGIN_DATA": str(data), "CLAUDE_ENV_FILE": str(env_file)},
                  monkeypatch, capsys)
    assert f"export PATH='{data / 'bin'}':" in env_file.read_text()
    launcher_text = (data / "bin" / "orch").read_text()
    assert f"CLAUDE_PLUGIN_DATA='{data}'" in launcher_text and os.access(data / "bin" / "orch", os.X_OK)


def test_pip_session_start_links_the_console_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from orchestrator import paths

    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".orch").mkdir()
    (repo / ".orch" / "config.json").write_text("{}")
    env_file = tmp_path / "env.sh"
    env = {"CLAUDE_ENV_FILE": str(env_file), "CLAUDE_PROJECT_DIR": str(repo)}
    session_start(repo, env, monkeypatch, capsys)
    script = Path(sys.executable).parent / "orch"
    folder = Path(paths.runtime_dir(repo)) / "bin"
    if not os.access(script, os.X_OK):
        pytest.skip(f"no orch console script beside {sys.executable}")
    assert os.readlink(folder / "orch") == str(script)
    assert f"export PATH='{folder}':" in env_file.read_text()


# -- the fastest build -----------------------------------------------------------------------------


def planned_commands(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, uv: str | None) -> list[list[str]]:
    ran: list[list[str]] = []
    monkeypatch.setattr(bootstrap, "_run", lambda argv: ran.append(argv))
    monkeypatch.setattr(shutil, "which", lambda name: uv if name == "uv" else None)
    bootstrap._install(str(tmp_path / "venv.building"), ["click==8.5.1"])
    return ran


def test_the_build_uses_uv_when_it_is_there(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    venv, install = planned_commands(monkeypatch, tmp_path, "/opt/uv")
    assert venv[-2:] == ["--without-pip", str(tmp_path / "venv.building")]
    assert install[:4] == ["/opt/uv", "pip", "install", "--python"] and install[-1] == "click==8.5.1"


def test_the_build_uses_this_pythons_pip_otherwise(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(bootstrap, "_pip_takes_python", lambda: True)
    venv, install = planned_commands(monkeypatch, tmp_path, None)
    assert "--without-pip" in venv
    target = bootstrap.venv_python(str(tmp_path / "venv.building"))
    assert install[:5] == [sys.executable, "-m", "pip", "--python", target]
    assert "--prefer-binary" in install


# -- orch doctor -----------------------------------------------------------------------------------


def test_doctor_reports_the_plugin_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestrator import doctor
    from orchestrator.store import Store

    data = tmp_path / "data"
    ready_venv(data)
    monkeypatch.setenv("CLAUDE_PLUGIN_DATA", str(data))
    store = Store(tmp_path)
    report = doctor.examine(store)
    assert any(f"dependencies ready in {data / 'venv'}" in line for line in report["info"]), report
    failed_build(data, "pip exited 1")
    report = doctor.examine(store)
    [problem] = [p for p in report["problems"] if "install.log" in p["file"]]
    assert "pip exited 1" in problem["problem"] and "To retry by hand" in problem["problem"]


def test_after_a_rebuild_the_cli_starts_afresh_under_the_new_venv(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """An old venv (other pins) may be what started us: its files are gone once the new one is
    swapped in, so the CLI re-executes under the new venv even though the path is the same."""
    data = tmp_path / "data"
    waited: list[float] = []
    monkeypatch.setattr(bootstrap, "is_ready", lambda *args: False)
    monkeypatch.setattr(launcher, "wait_for_build", lambda root, d, limit: waited.append(limit))
    monkeypatch.setattr(sys, "prefix", str(data / bootstrap.VENV))
    python = launcher.ready_python({"CLAUDE_PLUGIN_DATA": str(data), "ORCH_INSTALL_WAIT": "7"})
    assert python == bootstrap.venv_python(str(data / bootstrap.VENV)) and waited == [7.0]
