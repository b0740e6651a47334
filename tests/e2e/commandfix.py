"""Helpers for the e2e tests of orch's slash commands and ``/orch:run`` (test_orch_commands.py).

How the plugin's CLI is made available to ``claude -p`` without a real install
------------------------------------------------------------------------------
With ``--plugin-dir``, Claude Code sets ``CLAUDE_PLUGIN_DATA`` to
``$HOME/.claude/plugins/data/orch-inline`` (observed; HOME is a fresh tmp dir per test). The
SessionStart hook (``orchestrator.bootstrap.ensure_started``) then writes the launchers
``$CLAUDE_PLUGIN_DATA/orch`` and ``$CLAUDE_PLUGIN_DATA/bin/orch`` and, when
``$CLAUDE_PLUGIN_DATA/venv`` is not ready, starts a *detached* builder (a venv + ``pip install``
from the package index, in its own session, so it outlives ``claude -p``). A test must not leave
that behind, so :class:`PluginData` seeds a venv that *is* ready (``orchfix.seed_plugin_venv``,
backed by this repo's ``.venv``): ``hooks/orch`` then runs the CLI from it and ``hooks/run`` the
hooks with it. The first-session path, with a real build, is tested in test_marketplace.py.

:meth:`PluginData.assert_no_builder` checks afterwards that no build was started.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from claude import REPO_ROOT, STRIPPED_PREFIXES
from fakeapi import Block, Script, Turn, TurnFn, first_user_text, text, tool_use
from orchfix import assert_no_plugin_build, plugin_data_dir, seed_plugin_venv

VENV_BIN = Path(sys.executable).parent
ORCH = VENV_BIN / "orch"

# --------------------------------------------------------------------------- the orch CLI


def orch_env() -> dict[str, str]:
    """Environment for running ``orch`` from a test: no inherited Claude Code or plugin
    variables (the tests may run inside Claude Code), the venv first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(STRIPPED_PREFIXES)}
    for name in ("ORCH_DISABLE", "ORCH_PLUGIN_LAUNCHER"):
        env.pop(name, None)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def orch(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``orch ARGS`` in ``repo``; with ``check`` a non-zero exit fails with the output."""
    proc = subprocess.run(
        [str(ORCH), *args], cwd=repo, env=orch_env(), capture_output=True, text=True,
        timeout=60, stdin=subprocess.DEVNULL,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"orch {' '.join(args)} exited {proc.returncode}\n"
                             f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}")
    return proc


def orch_json(repo: Path, *args: str) -> Any:
    return json.loads(orch(repo, *args, "--json").stdout)


def tasks_by_id(repo: Path) -> dict[str, dict[str, Any]]:
    """The rows of ``orch status --json`` by task id."""
    return {t["id"]: t for t in orch_json(repo, "status")["tasks"]}


def task_file(repo: Path, task_id: str) -> dict[str, Any]:
    """The task's whole JSON file under ``.orch/tasks`` (history included)."""
    data: dict[str, Any] = json.loads((repo / ".orch" / "tasks" / f"{task_id}.json").read_text())
    return data


def receipts(repo: Path, task_id: str) -> list[dict[str, Any]]:
    """The task's receipt chain, ``.orch/receipts/<id>.jsonl``."""
    path = repo / ".orch" / "receipts" / f"{task_id}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def start_actor(repo: Path, task_id: str) -> str:
    """Who moved the task into in_progress, per its receipt chain (the last such move)."""
    moves = [r for r in receipts(repo, task_id)
             if r["event"] == "transition" and r["data"].get("to") == "in_progress"]
    assert moves, f"no start transition in the receipts of {task_id}: {receipts(repo, task_id)}"
    return str(moves[-1]["actor"])


def leases(repo: Path) -> dict[str, dict[str, Any]]:
    return {lease["path"]: lease for lease in orch_json(repo, "locks")["leases"]}


# --------------------------------------------------------------------------- plans


@dataclass(frozen=True)
class Task:
    id: str
    title: str
    files: Sequence[str] = ()
    depends_on: Sequence[str] = ()
    gate: str | None = None  # one plain gate command, e.g. "test -f src/a.py"
    specialist: str = "implementer"


def plan_markdown(plan_id: str, tasks: Sequence[Task], title: str = "") -> str:
    """A native orch plan: frontmatter, one ``## id: Title`` section per task, a ``### Gates``
    section (YAML) for tasks with a gate."""
    lines = ["---", f"id: {plan_id}", f"title: {title or 'Plan ' + plan_id}", "---",
             f"# {title or plan_id}", ""]
    for t in tasks:
        lines.append(f"## {t.id}: {t.title}")
        lines.append(f"- specialist: {t.specialist}")
        if t.depends_on:
            lines.append(f"- depends_on: {', '.join(t.depends_on)}")
        if t.files:
            lines.append(f"- files: {', '.join(t.files)}")
        lines += ["", f"Do {t.title}.", ""]
        if t.gate:
            gate = {"name": "file", "command": t.gate, "timeout": 30}
            lines += ["### Gates", f"- {json.dumps(gate)}", ""]
    return "\n".join(lines) + "\n"


def setup_orch(repo: Path, plan_id: str, tasks: Sequence[Task], *, hooks: bool = False) -> Path:
    """``orch init`` (``--no-hooks`` unless ``hooks``) and ``orch plan add`` of a plan written
    beside the repo (so the work tree holds only what orch writes). Returns the plan file."""
    orch(repo, "init", *(() if hooks else ("--no-hooks",)))
    source = repo.parent / f"{plan_id}.md"
    source.write_text(plan_markdown(plan_id, tasks), encoding="utf-8")
    orch(repo, "plan", "add", str(source))
    settings = repo / ".claude" / "settings.json"
    registered = settings.exists() and "PreToolUse" in json.loads(settings.read_text()).get("hooks", {})
    assert registered == hooks, f"orch init hooks={hooks}, but {settings} registered={registered}"
    return source


# --------------------------------------------------------------------------- the plugin's data folder


def claude_env_extra() -> dict[str, str | None]:
    """``env=`` for ``claude_run``: this venv's ``bin`` first on PATH (for hooks registered by
    ``orch init``); no inherited switch that turns orch off."""
    path = os.pathsep.join([str(VENV_BIN), *os.environ.get("PATH", "").split(os.pathsep)])
    return {"PATH": path, "ORCH_DISABLE": None, "ORCH_PLUGIN_LAUNCHER": None}


class PluginData:
    """Prepare ``$CLAUDE_PLUGIN_DATA`` with a ready venv, so the plugin's SessionStart starts no
    pip build (see the module docstring). Use as a context manager around the ``claude -p`` run."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.dir = plugin_data_dir(home)

    @property
    def launcher(self) -> Path:
        return self.dir / "orch"

    def __enter__(self) -> PluginData:
        seed_plugin_venv(self.home, REPO_ROOT)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        return None

    def assert_no_builder(self) -> None:
        """No pip build was started (no staging folder, no log)."""
        assert_no_plugin_build(self.home)


# --------------------------------------------------------------------------- scripting helpers

# `"${CLAUDE_PLUGIN_DATA}/orch"` after Claude Code substituted it into a command's or a
# subagent prompt's text.
LAUNCHER_RE = re.compile(r'"(/[^"\s]*/orch)"')


def launcher_in(text: str) -> str:
    """The launcher path quoted in a command's expanded text (the first one)."""
    found = LAUNCHER_RE.search(text)
    assert found, f"no quoted launcher path in the prompt:\n{text[:3000]}"
    return found.group(1)


@dataclass
class Model:
    """The fake model's side of a plugin run: the launcher path it read from the expanded
    command (as a real model would), the tool calls it made, and when each lane asked."""

    launcher: str = ""
    calls: dict[str, Block] = field(default_factory=dict)
    first_prompt: str = ""
    times: dict[str, list[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def read_command(self, body: Mapping[str, Any]) -> str:
        """Remember the expanded command (first user message) and its launcher path."""
        self.first_prompt = first_user_text(dict(body))
        self.launcher = launcher_in(self.first_prompt)
        return self.first_prompt

    def tick(self, lane: str) -> None:
        with self._lock:
            self.times.setdefault(lane, []).append(time.monotonic())

    def call(self, key: str, name: str, input: dict[str, Any]) -> Block:  # noqa: A002
        block = tool_use(name, input)
        self.calls[key] = block
        return block

    def orch(self, key: str, *args: str, launcher: str | None = None) -> Block:
        """A Bash call of the launcher, quoted as the commands write it."""
        command = f'"{launcher or self.launcher}" {" ".join(args)}'
        return self.call(key, "Bash", {"command": command, "description": f"orch {' '.join(args)}"})

    def id(self, key: str) -> str:
        assert key in self.calls, f"the script never made the call {key!r} (made: {sorted(self.calls)})"
        return str(self.calls[key]["id"])


def script_orch_calls(model: Model, *calls: tuple[str, ...], final: str = "Finished.") -> Script:
    """Main lane: read the launcher from the expanded command, then one Bash call of the
    launcher per turn (``(key, *args)``), then ``final``."""

    def first(body: dict[str, Any]) -> list[Block]:
        model.read_command(body)
        key, *args = calls[0]
        return [model.orch(key, *args)]

    def later(key: str, args: list[str]) -> TurnFn:
        return lambda body: [model.orch(key, *args)]

    turns: list[Turn] = [first]
    turns += [later(key, list(args)) for key, *args in calls[1:]]
    return Script().main(*turns, [text(final)])


def json_after(text: str, marker: str) -> Any:
    """The JSON document that follows ``marker`` in ``text`` (a `!` line's output)."""
    at = text.find(marker)
    assert at >= 0, f"{marker!r} not in:\n{text[:3000]}"
    rest = text[at + len(marker):]
    start = min(i for i in (rest.find("{"), rest.find("[")) if i >= 0)
    obj, _end = json.JSONDecoder().raw_decode(rest[start:])
    return obj


def parse_json_output(text: str) -> Any:
    """The JSON document in a Bash tool_result."""
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    assert start >= 0, f"no JSON in tool output: {text[:500]!r}"
    obj, _end = json.JSONDecoder().raw_decode(text[start:])
    return obj


def wait_for_file_command(path: Path, seconds: float = 15) -> str:
    """A read-only shell loop that waits (in the CLI's Bash tool, never in the fake API) until
    ``path`` exists, then lists it; it fails (``ls`` error) if it never appears."""
    rounds = int(seconds / 0.05)
    return (f"i=0; while [ ! -e '{path}' ] && [ $i -lt {rounds} ]; do sleep 0.05; i=$((i+1)); done; "
            f"ls '{path}'")


def overlap(a: Sequence[float], b: Sequence[float]) -> bool:
    """Whether two lanes' request times interleave (each began before the other ended)."""
    return bool(a and b) and a[0] < b[-1] and b[0] < a[-1]


def without_bypass(claude_bin: Path, folder: Path) -> Path:
    """A wrapper around ``claude_bin`` that drops ``--dangerously-skip-permissions`` (which
    ``run_claude`` always passes), so the CLI runs in its default permission mode: a command's
    `!` lines and the model's Bash calls then need the command's ``allowed-tools``. In ``-p``
    mode nothing can ask, so whatever is not pre-approved is refused."""
    wrapper = folder / "claude-default-permissions"
    wrapper.write_text(
        "#!/bin/sh\n"
        'for arg do shift; [ "$arg" = --dangerously-skip-permissions ] || set -- "$@" "$arg"; done\n'
        f'exec "{claude_bin}" "$@"\n'
    )
    wrapper.chmod(0o755)
    return wrapper
