"""How `orch` becomes a command that works in every Bash call of a Claude Code session.

Two parts, standard library only:

- `on_path` (SessionStart): Claude Code sources the file named by `CLAUDE_ENV_FILE` before each
  later Bash command of the session, in the main thread and in subagents (verified on 2.1.330 and
  2.1.332). orch appends one `export PATH=...` line there naming a folder that holds only an
  `orch` launcher: `${CLAUDE_PLUGIN_DATA}/bin` for a plugin install, `<runtime>/bin` (a link to
  the console script beside the hooks' interpreter) for a pip install. So the `orch start ID`
  that every briefing, denial and subagent prompt names is the orch whose hooks are running.
- `ready_python` (the plugin's `hooks/orch_cli.py`): the first session after an install builds
  the plugin's venv in the background (orchestrator/bootstrap.py). A CLI call made meanwhile
  waits for that build, with a line of progress, up to a bounded time, and fails with a clear
  message and a non-zero exit when the build failed or the wait ran out; never a silent exit 0.
"""

from __future__ import annotations

import os
import sys
import time

from orchestrator import bootstrap

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

BIN = "bin"
WAIT = 100.0  # seconds; under the Bash tool's default timeout of 120 s
WAIT_VARIABLE = "ORCH_INSTALL_WAIT"
POLL = 0.25
PROGRESS_EVERY = 10.0
EXIT_FAILED = 69  # EX_UNAVAILABLE: the build failed
EXIT_TIMEOUT = 75  # EX_TEMPFAIL: still building when the wait ran out
REEXEC = "ORCH_CLI_REEXEC"


class Unavailable(Exception):
    """The CLI cannot run yet: `code` is the exit status, the message says why and what to do."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


# -- the session's PATH ------------------------------------------------------------------------


def on_path(folder: str, environ: Mapping[str, str] | None = None) -> bool:
    """Append `export PATH='<folder>':"$PATH"` to the session's env file, once. False when there
    is no env file (a Claude Code without the feature, or a hook not run by SessionStart)."""
    env_file = (os.environ if environ is None else environ).get("CLAUDE_ENV_FILE")
    if not env_file:
        return False
    line = f"export PATH={bootstrap.sh_quote(folder)}:\"$PATH\"\n"
    try:
        with open(env_file, encoding="utf-8") as handle:
            if line in handle.read():
                return True
    except OSError:
        pass
    with open(env_file, "a", encoding="utf-8") as handle:
        handle.write(line)
    return True


def plugin_bin(root: str, data: str) -> str:
    """`${CLAUDE_PLUGIN_DATA}/bin`, holding the plugin's launcher as `orch`."""
    folder = os.path.join(data, BIN)
    bootstrap.write_launcher(root, data, os.path.join(folder, "orch"))
    return folder


def pip_bin(runtime: str) -> str | None:
    """`<runtime>/bin/orch` -> the `orch` console script beside the hooks' interpreter (a pip
    install); None when there is none. A folder of its own, so the venv's `python` and `pip` do
    not shadow the user's."""
    script = os.path.join(os.path.dirname(sys.executable), "orch")
    if not os.access(script, os.X_OK):
        return None
    folder = os.path.join(runtime, BIN)
    link = os.path.join(folder, "orch")
    if os.path.islink(link) and os.readlink(link) == script:
        return folder
    os.makedirs(folder, exist_ok=True)
    tmp = f"{link}.{os.getpid()}.tmp"
    os.symlink(script, tmp)
    os.replace(tmp, link)
    return folder


# -- waiting for the plugin's venv -------------------------------------------------------------


def ready_python(environ: Mapping[str, str] | None = None) -> str | None:
    """The interpreter the CLI must run under: None to run in this process (not a plugin install,
    or already in the ready venv), else the venv's python to re-exec. Waits for a build in
    progress, starting one if none runs; raises Unavailable when it cannot be had."""
    env = os.environ if environ is None else environ
    data = env.get("CLAUDE_PLUGIN_DATA")
    if not data:
        return None
    root = bootstrap.plugin_root()
    venv = os.path.join(data, bootstrap.VENV)
    if not bootstrap.is_ready(data, os.path.join(root, "pyproject.toml")):
        wait_for_build(root, data, _wait_limit(env))
        return bootstrap.venv_python(venv)  # a venv built just now, even where an old one ran us
    if os.path.realpath(sys.prefix) == os.path.realpath(venv):
        return None
    return bootstrap.venv_python(venv)


def wait_for_build(root: str, data: str, limit: float) -> None:
    pyproject = os.path.join(root, "pyproject.toml")
    log = os.path.join(data, bootstrap.LOG)
    started = time.monotonic()
    said = -PROGRESS_EVERY
    kicked = False
    while not bootstrap.is_ready(data, pyproject):
        waited = time.monotonic() - started
        if not bootstrap.builder_running(data):
            if kicked or os.path.exists(os.path.join(data, bootstrap.FAILED)):
                raise Unavailable(bootstrap.failure_message(root, data), EXIT_FAILED)
            bootstrap.start_builder(root, data, log)
            kicked = True
        if waited > limit:
            raise Unavailable(f"orch: its Python dependencies are still installing after {waited:.0f} s "
                              f"(log: {log}); run the command again in a minute.", EXIT_TIMEOUT)
        if waited - said >= PROGRESS_EVERY:
            _progress(waited, log)
            said = waited
        time.sleep(POLL)
    if said >= 0:
        _progress_done(time.monotonic() - started)


def _wait_limit(env: Mapping[str, str]) -> float:
    try:
        return max(0.0, float(env.get(WAIT_VARIABLE, WAIT)))
    except ValueError:
        return WAIT


def _progress(waited: float, log: str) -> None:
    if waited < 1:
        line = f"orch: waiting for its Python dependencies to finish installing (first use; log: {log})"
    else:
        line = f"orch: still installing its Python dependencies ({waited:.0f} s)"
    print(line, file=sys.stderr, flush=True)


def _progress_done(waited: float) -> None:
    print(f"orch: dependencies ready after {waited:.0f} s", file=sys.stderr, flush=True)
