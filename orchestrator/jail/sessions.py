"""Which sessions run their Bash commands in the write jail, and how they get there.

Claude Code inlines the file named by `CLAUDE_ENV_FILE` into the command string of every Bash
call of the session (main thread and subagents), before the `eval` of the command itself: `source
SNAPSHOT && <env file> … eval 'CMD' < /dev/null && pwd -P >| CWDFILE`. At SessionStart orch adds
one line there that re-execs that whole string through the launcher (`launch.py session`), so the
command runs jailed with Claude Code's aliases, functions, working-directory tracking, exit code
and permission checks all exactly as without the jail. The hooks record per session whether that
line is in place (`jailed`) or why not, and say so once.
"""

from __future__ import annotations

import os
import sys

from orchestrator.jail import specs

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from orchestrator.hooks.context import Context

LAUNCHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "launch.py")
MODES = ("auto", "on", "off")
JAILED = "jailed"
GUARD = "ORCH_JAIL_PASS"  # set by the launcher for the string it re-runs, so it runs once


def mode(config: Mapping[str, object]) -> str:
    """`policy.jail`: auto (default), on or off; anything else reads as auto."""
    policy = config.get("policy")
    value = policy.get("jail") if isinstance(policy, dict) else None
    return value if isinstance(value, str) and value in MODES else "auto"


def state(runtime_dir: str, session: str) -> str:
    """`jailed`, `off`, a reason the session is not jailed, or "" (no SessionStart seen)."""
    try:
        with open(_mark(runtime_dir, session), encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def mark(runtime_dir: str, session: str, value: str) -> None:
    path = _mark(runtime_dir, session)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")


def _mark(runtime_dir: str, session: str) -> str:
    return os.path.join(specs.folder(runtime_dir), "sessions", specs.safe_name(session) or "_")


def start(ctx: Context, session: str, environ: Mapping[str, str]) -> str:
    """Put the session in the jail; a notice for the model when it cannot be (empty when it is)."""
    wanted = mode(ctx.config)
    if wanted == "off":
        mark(ctx.runtime.dir, session, "off")
        return ""
    reason = unavailable(ctx.runtime.dir, environ)
    if reason is None:
        specs.write_default(ctx, environ)
        _required(ctx.runtime.dir, wanted == "on")
        _add_line(environ["CLAUDE_ENV_FILE"], ctx.runtime.dir)
        specs.prune(specs.session_folder(ctx.runtime.dir, session))
        mark(ctx.runtime.dir, session, JAILED)
        return ""
    mark(ctx.runtime.dir, session, reason)
    return notice(reason, wanted)


def notice(reason: str, wanted: str) -> str:
    then = ("policy.jail is `on`, so Bash commands are refused in this session (plain `orch …` "
            "commands excepted)" if wanted == "on" else "Bash commands are checked by analysis only")
    return f"orch: the write jail is not available here ({reason}): {then}."


def unavailable(runtime_dir: str, environ: Mapping[str, str]) -> str | None:
    """Why this session's Bash cannot be jailed, or None."""
    if not sys.platform.startswith("linux"):
        return f"no kernel jail on {sys.platform} yet"
    if not environ.get("CLAUDE_ENV_FILE"):
        return "this Claude Code gives hooks no CLAUDE_ENV_FILE"
    shell = environ.get("CLAUDE_CODE_SHELL") or environ.get("SHELL") or "bash"
    if os.path.basename(shell) not in ("bash", "sh", "zsh"):
        return f"the session's shell is {os.path.basename(shell)}; the jail works with bash and zsh"
    return probe(runtime_dir)


def probe(runtime_dir: str, *, fresh: bool = False) -> str | None:
    """Can the kernel jail (user and mount namespaces, Landlock)? Cached per kernel release."""
    cache = os.path.join(specs.folder(runtime_dir), "probe")
    release = os.uname().release
    if fresh and os.path.exists(cache):
        os.unlink(cache)
    try:
        with open(cache, encoding="utf-8") as handle:
            seen, _, cached = handle.read().partition("\n")
        if seen == release:
            return None if cached == "ok" else cached
    except OSError:
        pass
    reason = check()
    os.makedirs(os.path.dirname(cache), exist_ok=True)
    with open(cache, "w", encoding="utf-8") as handle:
        handle.write(f"{release}\n{reason or 'ok'}")
    return reason


def check() -> str | None:
    """Why this machine cannot jail (the launcher tries in a child), or None; not cached."""
    import subprocess

    try:
        done = subprocess.run([sys.executable, "-I", "-S", LAUNCHER, "probe"], capture_output=True,
                              text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"the probe could not run: {exc}"
    if done.returncode == 0:
        return None
    why = done.stderr.strip().splitlines()
    return f"the kernel refused: {why[-1] if why else 'exit ' + str(done.returncode)}"


def _required(runtime_dir: str, on: bool) -> None:
    path = os.path.join(specs.folder(runtime_dir), "required")
    if on:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("policy.jail on\n")
    elif os.path.exists(path):
        os.unlink(path)


def line(runtime_dir: str) -> str:
    """The env-file line: re-run the whole command string (bash's `$BASH_EXECUTION_STRING`, zsh's
    `$ZSH_EXECUTION_STRING`) through the launcher with the same shell, once."""
    from orchestrator.bootstrap import sh_quote

    launch = " ".join(sh_quote(w) for w in (sys.executable, "-I", "-S", LAUNCHER, "session",
                                            specs.folder(runtime_dir)))
    string = "${BASH_EXECUTION_STRING:-${ZSH_EXECUTION_STRING:-}}"
    return (f'if [ -z "${{{GUARD}:-}}" ] && [ -n "{string}" ]; then '
            f'export {GUARD}=1; exec {launch} "${{BASH:-$ZSH_ARGZERO}}" "{string}"; fi\n')


def _add_line(env_file: str, runtime_dir: str) -> None:
    """Put the line first in the env file (lines before it would run twice), once."""
    text = line(runtime_dir)
    try:
        with open(env_file, encoding="utf-8") as handle:
            current = handle.read()
    except OSError:
        current = ""
    if text in current:
        return
    with open(env_file, "w", encoding="utf-8") as handle:
        handle.write(text + current)
