"""Shared fixtures: every test runs with a private HOME, a fixed git identity and no Claude Code
session in its environment; `repo` is a real git repository in tmp_path."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.gitops import LOCAL_ENV_VARS

ROOT = Path(__file__).resolve().parent.parent
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.invalid",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    for key in ("CLAUDE_CODE_SESSION_ID", "ORCH_DISABLE", "ORCH_RUNTIME_DIR", "NO_COLOR", *LOCAL_ENV_VARS):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    # no tasks-folder monitor by default: one per test repo would outlive the test (and use up the
    # kernel's inotify instances); tests/unit/test_fsmonitor*.py turn it on and stop it
    monkeypatch.setenv("ORCH_FSMONITOR", "0")
    yield
    assert not any(home.iterdir()) or _only_git_config(home), f"a test wrote to $HOME: {list(home.iterdir())}"


def _only_git_config(home: Path) -> bool:
    return all(p.name in {".gitconfig", ".config", ".cache"} for p in home.iterdir())


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def write_output(repo: Path, rel: str, text: str = "written by the task\n") -> None:
    """Write a task's declared output, so `orch done` (policy.require_outputs) accepts the task."""
    (repo / rel).parent.mkdir(parents=True, exist_ok=True)
    (repo / rel).write_text(text)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "README.md").write_text("# test repo\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


class Orch:
    """Run the real `orch` CLI in-process with cwd = the repo; returns (exit code, stdout, stderr)."""

    def __init__(
        self, repo: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self.repo, self.capfd = repo, capfd
        monkeypatch.chdir(repo)

    def __call__(self, *args: str) -> tuple[int, str, str]:
        from orchestrator.console import main

        self.capfd.readouterr()
        code = main(list(args))
        out, err = self.capfd.readouterr()
        return code, out, err


@pytest.fixture
def orch(repo: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Orch:
    return Orch(repo, capfd, monkeypatch)


PLAN = """---
id: web
title: Web feature
---
## A: Design
- priority: high
- files: docs/design.md

## B: Backend
- depends_on: A
- files: src/api/*.py

## C: Frontend
- depends_on: A
- files: web/**

## D: Release
- depends_on: B, C
- files: CHANGELOG.md
"""


@pytest.fixture
def planned(repo: Path, orch: Orch) -> Path:
    """`repo` with orch initialised (hooks registered) and the four-task PLAN loaded."""
    (repo / "plan.md").write_text(PLAN)
    assert orch("init")[0] == 0
    code, _out, err = orch("plan", "add", "plan.md")
    assert code == 0, err
    return repo


def hook_command() -> list[str]:
    """The hook command exactly as `orch init` registers it, without the event."""
    import shlex

    from orchestrator.install import hook_command as installed

    return shlex.split(installed("EVENT"))[:-1]


def env_without_session() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE")}
