"""Shared helpers for the e2e tests of orch: set orch up in a test repo, run its CLI, build
plans, and read what the fake API saw of orch's hooks.

The tests run the venv's ``orch`` (next to this interpreter) with ``cwd=repo``; the Claude
Code run gets the venv's ``bin`` first on ``PATH`` (:func:`claude_env_extra`) so a scripted
Bash ``orch start A`` resolves to the same CLI, exactly as a user's shell would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from claude import STRIPPED_PREFIXES, git
from fakeapi import FakeAPI, content_blocks, message_text

from orchestrator import install

VENV_BIN = Path(sys.executable).parent
ORCH = VENV_BIN / "orch"

STOP_FEEDBACK = "Stop hook feedback"


# --------------------------------------------------------------------------- the orch CLI


def orch_env() -> dict[str, str]:
    """The environment for running ``orch`` from a test: no inherited Claude Code session (the
    tests may themselves run inside Claude Code), the venv first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(STRIPPED_PREFIXES)}
    env.pop("ORCH_DISABLE", None)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def claude_env_extra() -> dict[str, str | None]:
    """``env=`` for ``claude_run``: the venv's ``orch`` on PATH for Bash tool calls."""
    return {"PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}", "ORCH_DISABLE": None}


def orch(repo: Path, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``orch ARGS`` in ``repo``; with ``check`` a non-zero exit fails the test with the output."""
    proc = subprocess.run(
        [str(ORCH), *args],
        cwd=repo,
        env=orch_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"orch {' '.join(args)} exited {proc.returncode}\n"
            f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
        )
    return proc


def orch_json(repo: Path, *args: str) -> Any:
    """``orch ARGS --json``, parsed."""
    return json.loads(orch(repo, *args, "--json").stdout)


def task_row(repo: Path, task_id: str) -> dict[str, Any]:
    """The task's row of ``orch status --json``."""
    rows = {t["id"]: t for t in orch_json(repo, "status")["tasks"]}
    assert task_id in rows, f"no task {task_id} in orch status: {sorted(rows)}"
    row: dict[str, Any] = rows[task_id]
    return row


def leases(repo: Path) -> dict[str, dict[str, Any]]:
    """``orch locks --json`` as ``{path: lease}``."""
    return {lease["path"]: lease for lease in orch_json(repo, "locks")["leases"]}


def make_repo(path: Path) -> Path:
    """A git repository on ``main`` with one commit, like the ``git_repo`` fixture."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    (path / "README.md").write_text("# e2e test repo\n")
    git(path, "add", "README.md")
    git(path, "commit", "-q", "-m", "initial commit")
    return path


# --------------------------------------------------------------------------- the plugin

# `--plugin-dir` installs are "inline": Claude Code gives them ${CLAUDE_PLUGIN_DATA} =
# ~/.claude/plugins/data/<name>-inline.
PLUGIN_DATA_NAME = "orch-inline"


def plugin_data_dir(home: Path) -> Path:
    return home / ".claude" / "plugins" / "data" / PLUGIN_DATA_NAME


def seed_plugin_venv(home: Path, plugin_root: Path) -> Path:
    """Make the plugin's own environment (``${CLAUDE_PLUGIN_DATA}/venv``) look built, backed by
    this test venv, so its SessionStart does not start a detached ``pip install`` per test
    (minutes of network and CPU that outlive the test and skew the timings of the others).
    The slash commands then run the CLI the way an installed plugin does, through
    ``hooks/orch`` and the plugin venv's interpreter."""
    from orchestrator import bootstrap

    data = plugin_data_dir(home)
    venv = data / bootstrap.VENV
    (venv / "bin").mkdir(parents=True)
    real = Path(sys.prefix)
    (venv / "bin" / "python").symlink_to(sys.executable)
    shutil.copy(real / "pyvenv.cfg", venv / "pyvenv.cfg")
    (venv / "lib").symlink_to(real / "lib")
    deps = bootstrap.pinned_dependencies(str(plugin_root / "pyproject.toml"))
    stamp = {"deps": bootstrap.deps_digest(deps), "python": sys.version.split()[0]}
    (venv / bootstrap.STAMP).write_text(json.dumps(stamp), encoding="utf-8")
    assert bootstrap.is_ready(str(data), str(plugin_root / "pyproject.toml")), "seeded plugin venv not ready"
    return data


def assert_no_plugin_build(home: Path) -> None:
    """The plugin's SessionStart found its environment ready and started no builder."""
    data = plugin_data_dir(home)
    found = sorted(p.name for p in data.iterdir()) if data.is_dir() else []
    assert "venv.building" not in found and "install.log" not in found, (
        f"the plugin started building its venv in {data}: {found}"
    )


# --------------------------------------------------------------------------- plans


@dataclass(frozen=True)
class Task:
    id: str
    title: str = ""
    depends_on: Sequence[str] = ()
    files: Sequence[str] = ()


@dataclass(frozen=True)
class Gate:
    name: str
    command: str
    kind: str = "plain"
    timeout: float = 30


@dataclass
class Plan:
    id: str
    tasks: Sequence[Task]
    gates: Sequence[Gate] = ()
    title: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def markdown(self) -> str:
        """The plan in orch's native format (YAML frontmatter; gates as JSON flow mappings)."""
        lines = ["---", f"id: {self.id}", f"title: {self.title or 'e2e plan ' + self.id}"]
        if self.gates:
            lines.append("gates:")
            for g in self.gates:
                gate = {"name": g.name, "command": g.command, "kind": g.kind, "timeout": g.timeout}
                lines.append(f"  - {json.dumps(gate)}")
        lines += ["---", f"# {self.title or self.id}", ""]
        for t in self.tasks:
            lines.append(f"## {t.id}: {t.title or 'Task ' + t.id}")
            if t.depends_on:
                lines.append(f"- depends_on: {', '.join(t.depends_on)}")
            if t.files:
                lines.append(f"- files: {', '.join(t.files)}")
            lines += ["", f"Do {t.id}.", ""]
        return "\n".join(lines)


def setup_orch(
    repo: Path,
    plan: Plan,
    *,
    hooks: bool = True,
    config: Mapping[str, object] | None = None,
) -> Path:
    """``orch init`` (``--no-hooks`` unless ``hooks``), ``orch config KEY VALUE`` for each
    entry of ``config`` (values JSON-encoded), then ``orch plan add`` of ``plan`` written beside
    the repo (so the work tree holds only what orch itself writes). Returns the plan file."""
    orch(repo, "init", *(() if hooks else ("--no-hooks",)))
    for key, value in (config or {}).items():
        orch(repo, "config", key, json.dumps(value))
    source = repo.parent / f"{plan.id}.md"
    source.write_text(plan.markdown(), encoding="utf-8")
    orch(repo, "plan", "add", str(source))
    settings = repo / ".claude" / "settings.json"
    registered = install.installed(repo)
    assert registered == hooks, (
        f"orch init {'did not register' if hooks else 'registered'} hooks in {settings}"
    )
    return source


# --------------------------------------------------------------------------- what the model saw


def stop_feedbacks(body: Mapping[str, Any]) -> list[str]:
    """Texts of the ``Stop hook feedback`` user messages in one request's conversation (the
    latest main request holds every one the session got)."""
    out: list[str] = []
    for m in body.get("messages", []):
        if isinstance(m, dict) and m.get("role") == "user":
            t = message_text(m)
            if t.startswith(STOP_FEEDBACK) or f"\n{STOP_FEEDBACK}" in t:
                out.append(t)
    return out


def main_stop_feedbacks(fakeapi: FakeAPI) -> list[str]:
    """Stop feedback the main thread got, from its last request."""
    reqs = fakeapi.message_requests("main")
    assert reqs, "the main thread made no request"
    return stop_feedbacks(reqs[-1].body or {})


def bash_results(fakeapi: FakeAPI, ids: Iterable[str]) -> list[str]:
    return [fakeapi.tool_result_text(i) for i in ids]


def parse_json_output(text: str) -> Any:
    """The JSON document in a Bash tool_result (the CLI may add nothing, but be lenient about
    leading/trailing noise)."""
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    assert start >= 0, f"no JSON in tool output: {text[:500]!r}"
    obj, _end = json.JSONDecoder().raw_decode(text[start:])
    return obj


def request_text(body: Mapping[str, Any]) -> str:
    """Every text of a request: system prompt and all messages (any role)."""
    parts: list[str] = []
    system = body.get("system")
    if isinstance(system, list):
        parts += [str(b.get("text", "")) for b in system if isinstance(b, dict)]
    elif isinstance(system, str):
        parts.append(system)
    for m in body.get("messages", []):
        if isinstance(m, dict):
            parts += ["\n".join(str(b.get("text", "")) for b in content_blocks(m) if b.get("type") == "text")]
            parts.append(message_text(m))
    return "\n".join(parts)
