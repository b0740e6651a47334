"""Register orch's hooks in a repo's `.claude/settings.json`, and remove exactly those again.

The merge keeps every setting and hook of the user's. orch's own entries are recognised by what
they run, so `orch init` is idempotent and `orch uninstall` removes only what orch added.

`.claude/settings.json` is committed and shared by a team, so the command written there must work
on every clone: it is `sh "$CLAUDE_PROJECT_DIR/.orch/hook" EVENT`, a launcher committed in `.orch/`
(which agents cannot write). The machine-specific part — the interpreter orch is installed in, by
absolute path (a `python3` found on PATH can be a shell shim that costs ten times the
interpreter's start-up), and its hook script — is written by `orch init` on each machine into the
runtime folder (`hook-command`), which is never committed. A clone where orch is not installed
gets a clear message from the launcher instead of a silent exit 127.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from orchestrator.errors import StateError
from orchestrator.jsonfile import write_json, write_text

MARK = "orchestrator.hooks"
SCRIPT_MARK = f"orchestrator{os.sep}hooks{os.sep}__main__.py"
LAUNCHER_MARK = "/.orch/hook"
WRITERS = "Write|Edit|NotebookEdit|MultiEdit|Bash"
# orch's own MCP tools (orch_*, orchestrator_*) under any server name: the hook hands the caller
# to the server (hooks/mcpcalls.py). A group of its own: in one matcher with WRITERS the whole
# would become an unanchored regex, and `Write` would match `TodoWrite`.
MCP_TOOLS = "^mcp__.+__orch(estrator)?_"
EVENTS: tuple[tuple[str, str | None, int], ...] = (
    ("PreToolUse", WRITERS, 10),
    ("PreToolUse", MCP_TOOLS, 10),
    ("PostToolUse", WRITERS, 60),
    ("PostToolUseFailure", "Bash", 10),  # a failed Bash call: withdraw its unclaimed grants
    ("Stop", None, 900),
    ("SubagentStop", None, 900),
    ("SessionStart", "startup|resume|clear|compact", 30),
    ("SessionEnd", None, 5),
    ("TaskCompleted", None, 900),  # Claude Code's own task list: a native task naming an orch task
)


def hook_command(event: str, python: str | None = None) -> str:
    """`'<python>' -I '<package>/hooks/__main__.py' EVENT`: a script path rather than `-m`, which
    would import runpy (about 3 ms on every tool call)."""
    import orchestrator.hooks

    script = Path(orchestrator.hooks.__file__).resolve().parent / "__main__.py"
    return f"{shlex.quote(python or sys.executable)} -I {shlex.quote(str(script))} {event}"


def portable_command(event: str) -> str:
    """The committed command, the same on every clone: Claude Code's `sh -c` reads this machine's
    recorded interpreter and hook script (`read` is a shell builtin: no process is started) and
    runs it; where there is none (another worktree, a clone without `orch init`) the committed
    launcher `.orch/hook` finds orch or says it is missing."""
    recorded = '"$CLAUDE_PROJECT_DIR/.git/orch/hook-command"'
    return (
        f"if [ -r {recorded} ]; then {{ IFS= read -r p; IFS= read -r s; }} < {recorded}; "
        f'[ -x "$p" ] && exec "$p" -I "$s" {event}; fi; '
        f'exec sh "$CLAUDE_PROJECT_DIR{LAUNCHER_MARK}" {event}'
    )


def write_launcher(root: Path, runtime: Path, python: str | None = None) -> None:
    """`.orch/hook` (committed) and this machine's `hook-command` (runtime folder)."""
    from importlib import resources

    import orchestrator.hooks

    text = resources.files("orchestrator").joinpath("templates/hook.sh").read_text(encoding="utf-8")
    write_text(root / ".orch" / "hook", text)
    script = Path(orchestrator.hooks.__file__).resolve().parent / "__main__.py"
    write_text(runtime / "hook-command", f"{python or sys.executable}\n{script}\n", durable=False)


def trial_run(root: Path) -> str | None:
    """Run the registered PreToolUse command as Claude Code does (`sh -c`, cwd and
    CLAUDE_PROJECT_DIR = the repo) on a harmless Read; None when it answers as a hook should,
    else what went wrong."""
    import subprocess

    command = _registered(root, "PreToolUse")
    if command is None:
        return "no PreToolUse command is registered"
    probe = {"hook_event_name": "PreToolUse", "session_id": "orch-doctor", "cwd": str(root),
             "tool_name": "Read", "tool_input": {"file_path": str(root / "README.md")}}
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE")}
    env["CLAUDE_PROJECT_DIR"] = str(root)
    try:
        done = subprocess.run(["/bin/sh", "-c", command], input=json.dumps(probe), cwd=root, env=env,
                              capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return "it did not answer within 30 s"
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["(no message)"])[0]
        return f"exit {done.returncode}: {first}"
    return None


def _registered(root: Path, event: str) -> str | None:
    for group in load_settings(settings_path(root)).get("hooks", {}).get(event, []):
        for handler in group.get("hooks", []):
            if _is_orch(handler):
                return str(handler.get("command", ""))
    return None


def settings_path(root: Path) -> Path:
    return root / ".claude" / "settings.json"


def install(root: Path, runtime: Path, python: str | None = None, *, sync_post: bool = False) -> Path:
    """Write the launcher and this machine's hook command, and add orch's hooks to the settings
    (replacing older orch entries); returns the settings file.

    PostToolUse runs asynchronously (off the tool call's critical path: it only records
    artifacts) unless `sync_post`, which fast checks need to block before the next tool.
    PostToolUseFailure runs in line: it tells the model why the write jail refused a write."""
    write_launcher(root, runtime, python)
    path = settings_path(root)
    settings = _strip(load_settings(path))
    hooks = settings.setdefault("hooks", {})
    for event, matcher, timeout in EVENTS:
        group: dict[str, Any] = {
            "hooks": [{"type": "command", "command": portable_command(event), "timeout": timeout}]
        }
        if event == "PostToolUse" and not sync_post:
            group["hooks"][0]["async"] = True
        if matcher:
            group = {"matcher": matcher, **group}
        hooks.setdefault(event, []).append(group)
    write_json(path, settings)
    return path


def uninstall(root: Path) -> bool:
    """Remove orch's hooks; returns False when there were none."""
    path = settings_path(root)
    if not path.exists():
        return False
    before = load_settings(path)
    after = _strip(json.loads(json.dumps(before)))
    if after == before:
        return False
    write_json(path, after)
    return True


def installed(root: Path) -> bool:
    settings = load_settings(settings_path(root))
    return any(
        _is_orch(h)
        for groups in settings.get("hooks", {}).values()
        for g in groups
        for h in g.get("hooks", [])
    )


def load_settings(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise StateError(f"{path}: not valid JSON ({exc}); fix it by hand, then rerun") from exc
    if not isinstance(data, dict):
        raise StateError(f"{path}: expected a JSON object")
    return data


def _is_orch(handler: dict[str, Any]) -> bool:
    text = f"{handler.get('command', '')} {' '.join(handler.get('args', []))}"
    return MARK in text or SCRIPT_MARK in text or LAUNCHER_MARK in text


def _strip(settings: dict[str, Any]) -> dict[str, Any]:
    """`settings` without orch's hook handlers (dropping groups and events left empty)."""
    hooks = settings.get("hooks")
    if not isinstance(hooks, dict):
        return settings
    for event in list(hooks):
        groups = []
        for group in hooks[event]:
            kept = [h for h in group.get("hooks", []) if not _is_orch(h)]
            if kept:
                groups.append({**group, "hooks": kept})
        if groups:
            hooks[event] = groups
        else:
            del hooks[event]
    if not hooks:
        del settings["hooks"]
    return settings
