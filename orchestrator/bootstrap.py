"""Build the plugin's own Python environment in the background: Claude Code installs no Python
dependencies for plugins.

The hooks need only the standard library. The `orch` CLI behind the slash commands needs the
pinned dependencies of `pyproject.toml`. On SessionStart of a plugin install (the hook's
environment has `CLAUDE_PLUGIN_DATA`), `ensure_started` looks at `${CLAUDE_PLUGIN_DATA}/venv`
(a stat or two and one small read when it is ready) and otherwise starts one detached builder:
`python -m venv` into a staging folder, `pip install` the pinned dependencies, a stamp, then a
swap into place, so a reader sees the old environment or the new one, never half of one.

Only the dependencies are installed: the code runs from the plugin root (`hooks/orch_cli.py`
puts it first on `sys.path`), so a plugin update that keeps its dependencies needs no rebuild.
Standard library only; the builder runs as `python -m orchestrator.bootstrap build DATA`.
"""

from __future__ import annotations

import json
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

VENV = "venv"
STAMP = "orch-ready"
LOG = "install.log"
LOCK = "install.lock"
FAILED = "install-failed"
LOG_CAP = 256 * 1024
PIP_TIMEOUT = 900
LAUNCHER = "orch"
LAUNCHER_TEXT = """#!/bin/sh
# Written by orch's SessionStart hook: the orch CLI for this plugin install (see hooks/orch).
CLAUDE_PLUGIN_ROOT={root}
CLAUDE_PLUGIN_DATA={data}
export CLAUDE_PLUGIN_ROOT CLAUDE_PLUGIN_DATA
exec sh "$CLAUDE_PLUGIN_ROOT/hooks/orch" "$@"
"""


def ensure_started(environ: Mapping[str, str] | None = None) -> str | None:
    """None when there is nothing to do (not a plugin install, or the venv is ready); otherwise
    make sure a builder is running and return the one-line notice for the session briefing.
    Also keeps `${CLAUDE_PLUGIN_DATA}/orch`, the CLI launcher of the commands, up to date."""
    data = (os.environ if environ is None else environ).get("CLAUDE_PLUGIN_DATA")
    root = plugin_root()
    pyproject = os.path.join(root, "pyproject.toml")
    log = os.path.join(data or "", LOG)
    try:
        if not data:
            return None
        write_launcher(root, data)
        if not os.path.isfile(pyproject) or is_ready(data, pyproject):
            return None
        start_builder(root, data, log)
    except (OSError, ValueError) as exc:
        return f"orch: cannot install its Python dependencies ({exc}); see {log}"
    if os.path.exists(os.path.join(data, FAILED)):
        return failure_message(root, data, retrying=True)
    return (f"orch: installing its Python dependencies in the background (about 10 s); `orch` "
            f"waits for them on first use (log: {log})")


def failure_message(root: str, data: str, retrying: bool = False) -> str:
    """What the briefing, the launcher and `orch doctor` say about a failed build."""
    why = _first_line(os.path.join(data, FAILED)) or "the builder stopped"
    then = "retrying in the background now" if retrying else "it is retried at the next session start"
    return (f"orch: installing its Python dependencies failed ({why}; log: {os.path.join(data, LOG)}); "
            f"{then}. To retry by hand: {retry_command(root, data)}")


def retry_command(root: str, data: str) -> str:
    return f"cd {sh_quote(root)} && python3 -m orchestrator.bootstrap build {sh_quote(data)}"


def _first_line(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.readline().strip()
    except OSError:
        return ""


def write_launcher(root: str, data: str, path: str | None = None) -> None:
    """`${CLAUDE_PLUGIN_DATA}/orch` (or `path`): how slash commands and subagents run the CLI.
    Their Bash environment has neither CLAUDE_PLUGIN_ROOT nor CLAUDE_PLUGIN_DATA (Claude Code
    substitutes both only into the command text), so this script carries them to `hooks/orch`.
    Rewritten only when its text changes (a plugin update moves the root)."""
    path = path or os.path.join(data, LAUNCHER)
    text = LAUNCHER_TEXT.format(root=sh_quote(root), data=sh_quote(data))
    try:
        with open(path, encoding="utf-8") as handle:
            if handle.read() == text:
                return
    except OSError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o755)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def sh_quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def plugin_root() -> str:
    """The folder holding the `orchestrator` package (never a hard-coded folder name)."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def venv_python(venv: str) -> str:
    if os.name == "nt":
        return os.path.join(venv, "Scripts", "python.exe")
    return os.path.join(venv, "bin", "python")


def is_ready(data: str, pyproject: str) -> bool:
    """The venv exists, its interpreter still runs, and it was built for these dependencies.

    Fast path: the stamp remembers which pyproject (path, mtime, size) it was last checked
    against; only a different one is parsed and its dependencies compared."""
    venv = os.path.join(data, VENV)
    stamp = _read_stamp(os.path.join(venv, STAMP))
    if stamp is None or not os.path.exists(venv_python(venv)):
        return False
    seen = _identity(pyproject)
    if stamp.get("checked") == seen:
        return True
    if stamp.get("deps") != deps_digest(pinned_dependencies(pyproject)):
        return False
    _write_stamp(venv, {**stamp, "checked": seen})
    return True


def pinned_dependencies(pyproject: str) -> list[str]:
    import tomllib

    with open(pyproject, "rb") as handle:
        project = tomllib.load(handle).get("project", {})
    deps = project.get("dependencies", [])
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise ValueError(f"{pyproject}: project.dependencies: expected a list of strings")
    return deps


def deps_digest(deps: list[str]) -> str:
    import hashlib

    return hashlib.sha256("\n".join(sorted(deps)).encode()).hexdigest()


def _identity(pyproject: str) -> list[object]:
    info = os.stat(pyproject)
    return [pyproject, info.st_mtime_ns, info.st_size]


def _read_stamp(path: str) -> dict[str, object] | None:
    try:
        with open(path, encoding="utf-8") as handle:
            stamp = json.load(handle)
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) else None


def _write_stamp(venv: str, stamp: dict[str, object]) -> None:
    from orchestrator.jsonfile import write_json

    write_json(os.path.join(venv, STAMP), stamp)


def builder_running(data: str) -> bool:
    """A builder holds the install lock (the lock is free again the moment it exits)."""
    import fcntl

    try:
        with open(os.path.join(data, LOCK), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False


def start_builder(root: str, data: str, log: str) -> None:
    """Start the builder detached (own session, no stdin, output to the log, never waited for)
    unless one holds the install lock. The child inherits the lock taken here, so a second
    SessionStart arriving before the child runs cannot start another."""
    import fcntl
    import subprocess

    os.makedirs(data, exist_ok=True)
    python = getattr(sys, "_base_executable", "") or sys.executable
    with open(os.path.join(data, LOCK), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return
        mode = "w" if os.path.exists(log) and os.path.getsize(log) > LOG_CAP else "a"
        with open(log, mode, encoding="utf-8") as out:
            subprocess.Popen(
                [python, "-E", "-s", "-m", "orchestrator.bootstrap", "build", data, str(lock.fileno())],
                cwd=root, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, pass_fds=(lock.fileno(),),
            )


def build(root: str, data: str, lock_fd: int | None = None) -> int:
    """Build `data/venv` for the plugin at `root`. `lock_fd`: the install lock, already held
    (inherited from `start_builder`); without it, take the lock or leave it to its holder."""
    import fcntl

    if lock_fd is not None:
        return _build_locked(root, data)
    os.makedirs(data, exist_ok=True)
    with open(os.path.join(data, LOCK), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _say("another builder is running; leaving it to finish")
            return 0
        return _build_locked(root, data)


def _build_locked(root: str, data: str) -> int:
    import subprocess

    pyproject = os.path.join(root, "pyproject.toml")
    if is_ready(data, pyproject):
        _say("already up to date")
        return 0
    staging = os.path.join(data, f"{VENV}.building")
    _remove(staging)
    try:
        deps = pinned_dependencies(pyproject)
        _install(staging, deps)
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        _say(f"FAILED: {exc}")
        _remove(staging)
        _mark_failed(data, _why(exc))
        return 1
    _write_stamp(staging, {"deps": deps_digest(deps), "checked": _identity(pyproject),
                           "python": sys.version.split()[0]})
    _swap(staging, os.path.join(data, VENV))
    _unlink(os.path.join(data, FAILED))
    _say(f"ready: {os.path.join(data, VENV)}")
    return 0


def _install(staging: str, deps: list[str]) -> None:
    """The fastest way this machine offers, measured (docs/plugin.md): a venv without pip of its
    own (0.2 s instead of 6 s for ensurepip), filled by `uv` when it is on PATH (under a second),
    else by this Python's pip through `--python` (pip >= 22.3), else by the venv's own pip."""
    import shutil
    import subprocess

    python = venv_python(staging)
    _run([sys.executable, "-m", "venv", "--without-pip", staging])
    uv = shutil.which("uv")
    if uv:
        try:
            return _run([uv, "pip", "install", "--python", python, *deps])
        except (OSError, subprocess.SubprocessError) as exc:
            _say(f"uv failed ({exc}); installing with pip instead")
    pip = [sys.executable, "-m", "pip", "--python", python]
    if not _pip_takes_python():
        _run([python, "-m", "ensurepip", "--default-pip"])
        pip = [python, "-m", "pip"]
    _run([*pip, "install", "--disable-pip-version-check", "--no-input", "--prefer-binary", *deps])


def _why(exc: Exception) -> str:
    """One short line for the briefing and the launcher; the log has the whole story."""
    import subprocess

    if isinstance(exc, subprocess.CalledProcessError | subprocess.TimeoutExpired):
        argv = [str(a) for a in exc.cmd]
        step = next((s for s in ("ensurepip", "venv") if s in argv), "uv pip install" if "uv" in
                    os.path.basename(argv[0]) else "pip install")
        if isinstance(exc, subprocess.TimeoutExpired):
            return f"{step} took more than {exc.timeout:.0f} s"
        return f"{step} exited with status {exc.returncode}"
    return str(exc)


def _pip_takes_python() -> bool:
    """This Python has pip >= 22.3, which can install into another environment (`--python`)."""
    from importlib import metadata

    try:
        version = metadata.version("pip")
    except metadata.PackageNotFoundError:
        return False
    parts = [int(p) for p in version.split(".")[:2] if p.isdigit()]
    return parts >= [22, 3]


def _run(argv: list[str]) -> None:
    import subprocess

    _say("$ " + " ".join(argv))
    subprocess.run(argv, check=True, stdin=subprocess.DEVNULL, timeout=PIP_TIMEOUT)


def _swap(staging: str, target: str) -> None:
    old = f"{target}.old-{os.getpid()}"
    if os.path.lexists(target):
        os.rename(target, old)
    os.rename(staging, target)
    _remove(old)


def _mark_failed(data: str, why: str) -> None:
    from orchestrator.jsonfile import write_text

    write_text(os.path.join(data, FAILED), why + "\n")


def _remove(path: str) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _say(line: str) -> None:
    import time

    print(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "orch bootstrap:", line, flush=True)


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3) or argv[0] != "build" or not all(a.isdigit() for a in argv[2:]):
        print("usage: python -m orchestrator.bootstrap build PLUGIN_DATA [LOCK_FD]", file=sys.stderr)
        return 2
    return build(plugin_root(), argv[1], int(argv[2]) if len(argv) == 3 else None)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
