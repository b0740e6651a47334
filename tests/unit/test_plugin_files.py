"""The Claude Code plugin's files: manifests, hooks.json, commands, agents, the launchers and the
background bootstrap of the plugin's Python environment."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestrator import bootstrap
from orchestrator.hooks.entry import EVENTS

ROOT = Path(__file__).resolve().parents[2]
PAYLOADS = ROOT / "tests" / "fixtures" / "payloads"
PINNED_CLAUDE = ROOT / ".e2e-cache" / "claude-2.1.330" / "node_modules" / ".bin" / "claude"
COMMANDS = {"plan", "status", "next", "start", "done", "check", "why", "report", "verify", "run", "board"}
ROLES = {"architect", "implementer", "tester", "reviewer", "documenter"}
RESERVED_MARKETPLACES = {"claude-code-plugins", "claude-plugins-official", "anthropic-plugins"}
SH = shutil.which("sh") or "/bin/sh"


def load_json(relative: str) -> Any:
    return json.loads((ROOT / relative).read_text(encoding="utf-8"))


def frontmatter(path: Path) -> tuple[dict[str, Any], str]:
    text = path.read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?)\n---\n(.*)", text, re.S)
    assert match, f"{path.name}: no YAML frontmatter"
    meta = yaml.safe_load(match.group(1))
    assert isinstance(meta, dict), f"{path.name}: frontmatter is not a mapping"
    return meta, match.group(2)


def pyproject() -> dict[str, Any]:
    with open(ROOT / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)


# -- manifests --------------------------------------------------------------------------------


def test_plugin_manifest_has_the_required_keys() -> None:
    manifest = load_json(".claude-plugin/plugin.json")
    assert manifest["name"] == "orch"
    assert manifest["version"] == pyproject()["project"]["version"]
    assert manifest["license"] == "MIT"
    assert manifest["author"]["name"]
    for key in ("description", "repository", "homepage"):
        assert isinstance(manifest[key], str) and manifest[key], key
    assert manifest["keywords"] and all(isinstance(k, str) for k in manifest["keywords"])
    assert "hooks" not in manifest, "hooks/hooks.json is auto-loaded; listing it runs every hook twice"
    assert (ROOT / manifest["icon"]).is_file()


def test_marketplace_lists_the_plugin_at_the_repo_root() -> None:
    market = load_json(".claude-plugin/marketplace.json")
    manifest = load_json(".claude-plugin/plugin.json")
    assert market["name"] not in RESERVED_MARKETPLACES and re.fullmatch(r"[a-z0-9-]+", market["name"])
    assert market["owner"]["name"]
    [entry] = market["plugins"]
    assert (entry["name"], entry["source"], entry["version"]) == ("orch", "./", manifest["version"])
    assert entry["description"]


def test_license_is_mit() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "2026 orch developers" in text


def test_icon_is_a_square_png_the_directory_accepts() -> None:
    data = (ROOT / "assets" / "icon.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width == height and 512 <= width <= 2048 and len(data) < 2_000_000


# -- hooks.json -------------------------------------------------------------------------------


def handlers() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    config = load_json("hooks/hooks.json")["hooks"]
    return [(event, group, hook)
            for event, groups in config.items() for group in groups for hook in group["hooks"]]


def test_hooks_cover_every_event_orch_handles() -> None:
    assert {event for event, _group, _hook in handlers()} == set(EVENTS)


def test_hooks_reference_only_existing_files() -> None:
    for event, _group, hook in handlers():
        assert hook["type"] == "command" and hook["command"] == "sh", event
        script, *rest = hook["args"]
        assert script == "${CLAUDE_PLUGIN_ROOT}/hooks/run" and rest == [event]
        assert (ROOT / "hooks" / "run").is_file()
    assert (ROOT / "hooks" / "orch_hook.py").is_file()


def test_hook_matchers_and_timeouts() -> None:
    by_event = {event: (group, hook) for event, group, hook in reversed(handlers())}  # the first group
    for event in ("PreToolUse", "PostToolUse"):
        matched = set(by_event[event][0]["matcher"].split("|"))
        assert matched == {"Write", "Edit", "NotebookEdit", "MultiEdit", "Bash"}
    assert by_event["SessionStart"][0]["matcher"] == "startup|resume|clear|compact"
    timeouts = {event: hook["timeout"] for event, (_group, hook) in by_event.items()}
    assert timeouts == {"PreToolUse": 10, "PostToolUse": 60, "PostToolUseFailure": 10, "Stop": 900,
                        "SubagentStop": 900, "SessionStart": 30, "SessionEnd": 5, "TaskCompleted": 900}
    assert by_event["PostToolUseFailure"][0]["matcher"] == "Bash"


def test_pretooluse_also_sees_orchs_mcp_tools_and_no_others() -> None:
    import re

    matchers = [group["matcher"] for event, group, _hook in handlers() if event == "PreToolUse"]
    assert matchers[1] == "^mcp__.+__orch(estrator)?_"
    seen = re.compile(matchers[1])
    for name in ("mcp__orch__orch_start", "mcp__plugin_orch_orch__orchestrator_plan_task"):
        assert seen.search(name), name
    for name in ("mcp__github__create_issue", "TodoWrite", "mcp__orchard__list"):
        assert not seen.search(name), name


# -- commands and agents ----------------------------------------------------------------------


def test_every_command_has_valid_frontmatter() -> None:
    files = {p.stem: p for p in (ROOT / "commands").glob("*.md")}
    assert set(files) == COMMANDS
    for name, path in files.items():
        meta, body = frontmatter(path)
        assert isinstance(meta.get("description"), str) and meta["description"], name
        assert isinstance(meta.get("allowed-tools"), str), name
        if re.search(r"\$(0|ARGUMENTS)", body):
            assert isinstance(meta.get("argument-hint"), str) and meta["argument-hint"], name


def test_command_context_lines_are_preapproved_and_cannot_abort() -> None:
    """A `!` line must pass permissions without a prompt and exit 0, or the command aborts."""
    for path in (ROOT / "commands").glob("*.md"):
        meta, body = frontmatter(path)
        allowed = set(re.findall(r"Bash\(\$\{CLAUDE_PLUGIN_DATA\}/orch (\w+):\*\)", meta["allowed-tools"]))
        for line in re.findall(r"!`([^`]*)`", body):
            verb = re.match(r'"\$\{CLAUDE_PLUGIN_DATA\}/orch" (\w+)', line)
            assert verb and verb.group(1) in allowed, f"{path.name}: {line}"
            assert line.endswith("|| true"), f"{path.name}: {line}"


def test_commands_use_zero_based_arguments() -> None:
    for path in (ROOT / "commands").glob("*.md"):
        assert not re.search(r"\$[1-9]", path.read_text(encoding="utf-8")), f"{path.name}: $N is 0-based"


def test_run_dispatches_to_every_specialist_agent() -> None:
    _meta, body = frontmatter(ROOT / "commands" / "run.md")
    for role in ROLES:
        assert f"orch:orch-{role}" in body
    assert "next --parallel N --json" in body


def test_every_role_has_an_agent_without_hooks() -> None:
    files = {p.stem: p for p in (ROOT / "agents").glob("*.md")}
    assert set(files) == {f"orch-{role}" for role in ROLES}
    for stem, path in files.items():
        meta, body = frontmatter(path)
        assert meta["name"] == stem
        assert meta["description"] and meta["tools"]
        assert "hooks" not in meta, "plugin-shipped agents may not declare hooks"
        for step in ("start ID", "gate ID", "done ID", ".orch/"):
            assert step in body, f"{stem}: {step}"


# -- launchers --------------------------------------------------------------------------------


def git_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, check=True)
    return path


def plugin_env(root: Path, data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "ORCH"))}
    env.update(CLAUDE_PLUGIN_ROOT=str(root), CLAUDE_PLUGIN_DATA=str(data), ORCH_FSMONITOR="0", **extra)
    return env


def write_payload(repo: Path) -> bytes:
    payload = json.loads((PAYLOADS / "PreToolUse.Write.json").read_text(encoding="utf-8"))
    payload["cwd"] = str(repo)
    payload["tool_input"]["file_path"] = str(repo / "written.txt")
    return json.dumps(payload).encode()


def run_hook(root: Path, data: Path, repo: Path, event: str = "PreToolUse",
             **extra: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([SH, str(root / "hooks" / "run"), event], input=write_payload(repo), cwd=repo,
                          env=plugin_env(root, data, **extra), capture_output=True, timeout=30)


def assert_quiet_answer(done: subprocess.CompletedProcess[bytes]) -> None:
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode().strip()
    assert out == "" or isinstance(json.loads(out), dict)
    assert b"Traceback" not in done.stdout + done.stderr


def test_launcher_runs_a_hook_end_to_end(tmp_path: Path) -> None:
    repo, data = git_repo(tmp_path / "repo"), tmp_path / "data"
    assert_quiet_answer(run_hook(ROOT, data, repo))
    cached = (data / "python-path").read_text().strip()
    assert os.path.isabs(cached) and os.access(cached, os.X_OK)
    assert_quiet_answer(run_hook(ROOT, data, repo))  # second run: from the cached interpreter


def test_launcher_replaces_a_stale_cached_interpreter(tmp_path: Path) -> None:
    repo, data = git_repo(tmp_path / "repo"), tmp_path / "data"
    data.mkdir()
    (data / "python-path").write_text(str(tmp_path / "gone" / "python3") + "\n")
    assert_quiet_answer(run_hook(ROOT, data, repo))
    assert "gone" not in (data / "python-path").read_text()


def test_launcher_prefers_the_plugin_venv(tmp_path: Path) -> None:
    repo, data = git_repo(tmp_path / "repo"), tmp_path / "data"
    marker = tmp_path / "used"
    fake = data / "venv" / "bin" / "python"
    fake.parent.mkdir(parents=True)
    fake.write_text(f'#!/bin/sh\necho "$@" > "{marker}"\nexec "{sys.executable}" "$@"\n')
    fake.chmod(0o755)
    assert_quiet_answer(run_hook(ROOT, data, repo))
    assert marker.read_text().split()[:2] == ["-I", str(ROOT / "hooks" / "orch_hook.py")]


def test_hook_entry_does_not_depend_on_the_folder_name(tmp_path: Path) -> None:
    """hookify's bug: an import that assumed the plugin's folder name did nothing once installed."""
    root = tmp_path / "cache" / "orch-marketplace" / "orch 0.1.0"
    shutil.copytree(ROOT / "hooks", root / "hooks")
    shutil.copytree(ROOT / "orchestrator", root / "orchestrator",
                    ignore=shutil.ignore_patterns("__pycache__"))
    entry = root / "orchestrator" / "hooks" / "entry.py"
    entry.write_text(entry.read_text() + '\nsys.stderr.write("COPIED-ENTRY\\n")\n')
    repo = git_repo(tmp_path / "repo")
    done = run_hook(root, tmp_path / "data", repo, "SessionStart")
    assert_quiet_answer(done)
    assert b"COPIED-ENTRY" in done.stderr  # the copied package answered, not the checkout's


# -- bootstrap --------------------------------------------------------------------------------


def ready_venv(data: Path, digest: str) -> None:
    python = Path(bootstrap.venv_python(str(data / bootstrap.VENV)))
    python.parent.mkdir(parents=True)
    python.symlink_to(sys.executable)
    (data / bootstrap.VENV / bootstrap.STAMP).write_text(json.dumps({"deps": digest}))


def test_bootstrap_does_nothing_outside_a_plugin_install() -> None:
    assert bootstrap.ensure_started({}) is None


def test_bootstrap_starts_a_builder_when_the_venv_is_missing(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[tuple[str, ...]] = []
    monkeypatch.setattr(bootstrap, "start_builder", lambda *args: started.append(args))
    data = tmp_path / "data"
    notice = bootstrap.ensure_started({"CLAUDE_PLUGIN_DATA": str(data)})
    assert notice is not None and notice.startswith("orch: installing its Python dependencies")
    assert str(data / "install.log") in notice
    assert started == [(str(ROOT), str(data), str(data / "install.log"))]
    launcher = data / "orch"
    assert os.access(launcher, os.X_OK) and f"CLAUDE_PLUGIN_ROOT='{ROOT}'" in launcher.read_text()


def test_bootstrap_is_quiet_once_the_venv_matches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bootstrap, "start_builder", lambda *args: pytest.fail("must not build"))
    data = tmp_path / "data"
    ready_venv(data, bootstrap.deps_digest(pyproject()["project"]["dependencies"]))
    assert bootstrap.ensure_started({"CLAUDE_PLUGIN_DATA": str(data)}) is None
    stamp = json.loads((data / "venv" / bootstrap.STAMP).read_text())
    assert stamp["checked"][0] == str(ROOT / "pyproject.toml")  # the next check is a stat
    assert bootstrap.ensure_started({"CLAUDE_PLUGIN_DATA": str(data)}) is None


def test_bootstrap_rebuilds_when_the_dependencies_change(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[object] = []
    monkeypatch.setattr(bootstrap, "start_builder", lambda *args: started.append(args))
    data = tmp_path / "data"
    ready_venv(data, bootstrap.deps_digest(["click==0.1"]))
    assert bootstrap.ensure_started({"CLAUDE_PLUGIN_DATA": str(data)}) is not None
    assert started


def test_only_one_builder_runs_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import fcntl
    import subprocess as subprocess_module

    spawned: list[list[str]] = []
    monkeypatch.setattr(subprocess_module, "Popen", lambda argv, **kw: spawned.append(argv))
    data = tmp_path / "data"
    data.mkdir()
    with open(data / bootstrap.LOCK, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        bootstrap.start_builder(str(ROOT), str(data), str(data / "install.log"))
        assert spawned == []
    bootstrap.start_builder(str(ROOT), str(data), str(data / "install.log"))
    [argv] = spawned
    assert argv[1:6] == ["-E", "-s", "-m", "orchestrator.bootstrap", "build"] and argv[6] == str(data)


# -- the real CLI's validator -----------------------------------------------------------------


@pytest.mark.skipif(not PINNED_CLAUDE.exists(), reason="Claude Code 2.1.330 is not installed in .e2e-cache "
                    "(the e2e suite installs it; or: npm install --prefix .e2e-cache/claude-2.1.330 "
                    "@anthropic-ai/claude-code@2.1.330)")
@pytest.mark.parametrize("target", [".claude-plugin/plugin.json", "."])
def test_claude_plugin_validate_strict_passes(tmp_path: Path, target: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "ANTHROPIC"))}
    env.update(HOME=str(tmp_path), DISABLE_AUTOUPDATER="1", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1")
    done = subprocess.run([str(PINNED_CLAUDE), "plugin", "validate", "--strict", str(ROOT / target)],
                          env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Validation passed" in done.stdout


def test_the_plugin_registers_its_mcp_server_through_its_launcher() -> None:
    servers = load_json(".mcp.json")["mcpServers"]
    assert list(servers) == ["orch"]
    server = servers["orch"]
    assert (server["type"], server["command"]) == ("stdio", "sh")
    assert server["args"] == ["${CLAUDE_PLUGIN_ROOT}/hooks/orch", "mcp"]  # the plugin's venv, as the CLI
    assert (ROOT / "hooks" / "orch").is_file()
    # Claude Code exports CLAUDE_PLUGIN_ROOT and CLAUDE_PLUGIN_DATA to the server itself, and
    # passes an `env` value such as "${CLAUDE_PLUGIN_ROOT}" on unexpanded (seen on 2.1.330)
    assert "env" not in server
