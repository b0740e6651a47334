"""`orch demo`: walk the bundled example plan in a temporary git repository, through the real
CLI and the real hook process, printing what happens."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from orchestrator.install import hook_command


class Echo:
    """Where the demo prints (called like `print`), and how it runs `orch ARGS` in this process:
    the CLI's own entry, handed in by the `orch demo` command, so this module never imports the
    CLI that imports it."""

    def __init__(self, write: Callable[[str], None], orch: Callable[[list[str]], int]) -> None:
        self.write, self.orch = write, orch

    def __call__(self, text: str) -> None:
        self.write(text)

DEMO_GATE = (
    '  - {name: tests, command: "python -m unittest discover -s tests -t .", kind: unittest, timeout: 120}'
)
GIT_ENV = {
    "GIT_AUTHOR_NAME": "orch demo",
    "GIT_AUTHOR_EMAIL": "demo@orch.invalid",
    "GIT_COMMITTER_NAME": "orch demo",
    "GIT_COMMITTER_EMAIL": "demo@orch.invalid",
}
FAILING_TEST = """import unittest


class TokenReplay(unittest.TestCase):
    def test_refresh_token_cannot_be_replayed(self):
        used = {"rt-1"}
        self.assertNotIn("rt-1", used, "a used refresh token was accepted again")
"""
FIXED_TEST = FAILING_TEST.replace('used = {"rt-1"}', "used = set()")
SERVICE_TEST = """import unittest
from pathlib import Path


class Service(unittest.TestCase):
    def test_the_service_is_described(self):
        self.assertIn("Demo service", Path("README.md").read_text())
"""


def run(orch: Callable[[list[str]], int], keep: bool = False, write: Callable[[str], None] = print) -> None:
    """The demo, printed through `write`; `orch` runs the CLI in process (`orchestrator.cli.main`)."""
    echo = Echo(write, orch)
    workdir = Path(tempfile.mkdtemp(prefix="orch-demo-"))
    previous = os.getcwd()
    saved_env = {k: os.environ.get(k) for k in (*GIT_ENV, "PATH", "CLAUDE_CODE_SESSION_ID")}
    try:
        repo = _make_repo(workdir, echo)
        os.chdir(repo)
        _walk(repo, echo)
    finally:
        os.chdir(previous)
        for key, value in saved_env.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
        if keep:
            echo(f"\nThe demo repository is kept at {workdir / 'repo'}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _make_repo(workdir: Path, echo: Echo) -> Path:
    repo = workdir / "repo"
    repo.mkdir()
    bindir = workdir / "bin"
    bindir.mkdir()
    (bindir / "python").symlink_to(sys.executable)
    os.environ.update(GIT_ENV)
    os.environ.pop("CLAUDE_CODE_SESSION_ID", None)
    os.environ["PATH"] = f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"
    _git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("# Demo service\n")
    (repo / "tests").mkdir()
    (repo / "tests" / "__init__.py").write_text("")
    (repo / "tests" / "test_service.py").write_text(SERVICE_TEST)  # the gate runs a real test
    plan = resources.files("orchestrator").joinpath("examples/auth.md").read_text(encoding="utf-8")
    lines = [DEMO_GATE if line.startswith("  - {name: tests,") else line for line in plan.splitlines()]
    (repo / "auth.md").write_text("\n".join(lines) + "\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "initial")
    _say(echo, f"A temporary git repository: {repo}")
    return repo


def _walk(repo: Path, echo: Echo) -> None:
    _orch(echo, "init")
    _orch(echo, "plan", "add", "auth.md")
    _orch(echo, "status")
    _orch(echo, "next", "--parallel", "3")
    _say(echo, "Out of order: `login-api` depends on `tokens`, which has not even started.")
    _orch(echo, "start", "login-api", "--agent", "agent-eager")
    _say(echo, "The hook refuses a write to a file of a task that is not ready, whoever asks:")
    _hook_write(repo, echo, "src/auth/api.py")
    _say(echo, "`orch start` binds the task and prints its specialist's guidance:")
    _do_task(repo, echo, "arch", "agent-architect", brief=False)
    _do_task(repo, echo, "schema", "agent-schema")
    _say(echo, "Two streams are now ready at once, with disjoint files: a parallel wave.")
    _orch(echo, "next", "--parallel", "2")
    _orch(echo, "start", "tokens", "--agent", "agent-backend", "--brief")
    _orch(echo, "start", "login-ui", "--agent", "agent-frontend", "--brief")
    _say(echo, "The frontend agent tries to edit a backend file that agent-backend holds:")
    _touch(repo, "src/auth/tokens.py", "agent-backend")
    _hook_write(repo, echo, "src/auth/tokens.py", agent="agent-frontend")
    _finish(repo, echo, "tokens", "agent-backend")
    _finish(repo, echo, "login-ui", "agent-frontend")
    _do_task(repo, echo, "login-api", "agent-backend")
    _phantom(repo, echo)
    _andon(repo, echo)
    _do_task(repo, echo, "review", "agent-reviewer")
    _orch(echo, "status")
    _orch(echo, "verify")
    _say(echo, "Milestone tags (annotated, each holding the receipt chain head):")
    echo(_git(repo, "tag", "-n1", "--list"))
    _orch(echo, "report")
    _orch(echo, "synthesize")
    _say(echo, "Reports written:")
    for path in sorted((repo / "docs" / "reports").glob("*.md")):
        echo(f"  {path.relative_to(repo)}")


def _andon(repo: Path, echo: Echo) -> None:
    _say(echo, "`security-tests` is test first (`test_first: true` in the plan): `orch done` completes "
               "it only after its test gate has failed since it started. The tester writes the test first.")
    _orch(echo, "start", "security-tests", "--agent", "agent-tester", "--brief")
    _write(repo, "tests/security/__init__.py", "")
    _write(repo, "tests/security/test_replay.py", FAILING_TEST)
    _say(echo, "The security tests find a replayable refresh token: the gate fails and the andon is pulled.")
    _orch(echo, "done", "security-tests", "--agent", "agent-tester")
    _say(echo, "The tester fixes the code path; `orch done` runs the gates again and completes the task: "
               "red, then green, both in its report.")
    _write(repo, "tests/security/test_replay.py", FIXED_TEST)
    _orch(echo, "done", "security-tests", "--agent", "agent-tester")


def _phantom(repo: Path, echo: Echo) -> None:
    _say(echo, "A phantom completion: the docs agent says it is done without writing its declared files.")
    _orch(echo, "start", "docs", "--agent", "agent-docs", "--brief")
    _orch(echo, "done", "docs", "--agent", "agent-docs")
    _say(echo, "`orch done` refused it: nothing the task changed matches its `files`. The agent writes "
               "them, and `orch done` completes the task and commits its own files.")
    _finish(repo, echo, "docs", "agent-docs")


def _do_task(repo: Path, echo: Echo, task_id: str, agent: str, brief: bool = True) -> None:
    _orch(echo, "start", task_id, "--agent", agent, *(["--brief"] if brief else []))
    _finish(repo, echo, task_id, agent)


def _finish(repo: Path, echo: Echo, task_id: str, agent: str) -> None:
    from orchestrator.store import Store

    for glob in Store(repo).task(task_id).get("files", []):
        _write(repo, _concrete(glob), f"# {task_id}: written by {agent}\n")
    _orch(echo, "done", task_id, "--agent", agent)


def _touch(repo: Path, rel: str, agent: str) -> None:
    _write(repo, rel, f"# written by {agent}\n")


def _concrete(glob: str) -> str:
    """A file name a glob matches: `web/src/login/**` -> `web/src/login/index.txt`."""
    parts = [p for p in glob.split("/") if p != "**"]
    name = parts[-1].replace("*", "demo") if parts and "*" in parts[-1] else None
    if name is None and parts and "." in parts[-1]:
        return "/".join(parts)
    return "/".join([*parts[:-1], name] if name else [*parts, "index.txt"])


def _write(repo: Path, rel: str, text: str) -> None:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _hook_write(repo: Path, echo: Echo, rel: str, agent: str | None = None) -> None:
    payload = {
        "hook_event_name": "PreToolUse",
        "session_id": "demo-session",
        "cwd": str(repo),
        "tool_name": "Write",
        "tool_input": {"file_path": str(repo / rel), "content": "x"},
    }
    if agent:
        payload["agent_id"] = agent
    who = f"subagent {agent}" if agent else "the main session"
    echo(f"\n$ (Claude Code, {who}) Write {rel}  -> PreToolUse hook")
    done = subprocess.run(
        [*shlex.split(hook_command("PreToolUse"))],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=30,
    )
    answer = json.loads(done.stdout or "{}").get("hookSpecificOutput", {})
    echo(f"  {answer.get('permissionDecision', 'allow')}: {answer.get('permissionDecisionReason', '')}")


def _orch(echo: Echo, *args: str) -> int:
    echo(f"\n$ orch {' '.join(args)}")
    code = echo.orch(list(args))
    if code:
        echo(f"  (exit {code})")
    return code


def _say(echo: Echo, text: str) -> None:
    echo(f"\n# {text}")


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout.rstrip()
