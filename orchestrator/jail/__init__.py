"""The write jail: orch's state, the runtime folder and other agents' files held read-only by the
kernel while an agent's Bash command runs, so programs no analysis can read are held too.

The one door for the hooks and the gate runner (standard library only):
- `session_started` (SessionStart): put the session's Bash calls through the launcher;
- `before_bash` (PreToolUse, a Bash call orch allows): leave the call's spec for the launcher, or
  refuse the call when `policy.jail` is `on` and the session cannot be jailed;
- `after_bash` (PostToolUse, PostToolUseFailure): explain a write the jail refused, and notice a
  call the launcher never saw;
- `wrapped` (gates, fast checks): a gate's argv run under the launcher.
`launch.py` is the launcher itself; `specs.py` what one call holds read-only; `sessions.py` how a
session gets there; `freeroute.py` which commands are orch's own and run outside.
"""

from __future__ import annotations

import os

from orchestrator.jail import freeroute, launch, sessions, specs

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from orchestrator.hooks.context import Context
    from orchestrator.hooks.decision import Decision
    from orchestrator.hooks.payload import Payload

REFUSED_MARKS = ("Read-only file system", "Device or resource busy")


def session_started(ctx: Context, session: str, environ: Mapping[str, str]) -> str:
    return sessions.start(ctx, session, environ)


def before_bash(payload: Payload, ctx: Context) -> Decision | None:
    state = sessions.state(ctx.runtime.dir, payload.session_id)
    if state == sessions.JAILED:
        free = _free(payload, ctx)
        read_only = [] if free else specs.protected_for(ctx, payload.caller)
        path = specs.spec_path(ctx.runtime.dir, payload.session_id, payload.tool_use_id)
        specs.write(path, "free" if free else "jail", payload.command(), read_only)
        return None
    if state and state != "off" and sessions.mode(ctx.config) == "on" and not _free(payload, ctx):
        from orchestrator.hooks.decision import Decision

        return Decision("deny", sessions.notice(state, "on") + " Ask the human to run this command, "
                        "or to set `orch config policy.jail auto`.")
    return None


def _free(payload: Payload, ctx: Context) -> bool:
    """orch's own call (`freeroute`): it runs outside the jail, since it must write orch's state."""
    return freeroute.is_free(payload.command(), freeroute.launchers(ctx.runtime.dir, os.environ))


def after_bash(payload: Payload, ctx: Context) -> str:
    """Context for the model after a jailed Bash call: why a write failed, or that the launcher
    did not see the call (then the session is marked as not jailed)."""
    if sessions.state(ctx.runtime.dir, payload.session_id) != sessions.JAILED:
        return ""
    path = specs.spec_path(ctx.runtime.dir, payload.session_id, payload.tool_use_id)
    if os.path.exists(path):
        return _unseen(ctx, payload, path)
    output = _output(payload)
    if launch.PREFIX + launch.UNJAILED in output:
        reason = "the kernel refused: " + output.split(launch.UNJAILED, 1)[1].split("\n", 1)[0].strip(" ()")
        sessions.mark(ctx.runtime.dir, payload.session_id, reason)
        return sessions.notice(reason, sessions.mode(ctx.config))
    if any(mark in output for mark in REFUSED_MARKS) and _names_held(ctx, payload, output):
        return refusal(ctx)
    return ""


def _names_held(ctx: Context, payload: Payload, output: str) -> bool:
    """The failed output names something the jail held (not some other read-only file system)."""
    held = [ctx.state_dir, ctx.runtime.dir, *specs.protected_for(ctx, payload.caller)]
    return any(os.path.relpath(path, ctx.root) in output for path in held)


def refusal(ctx: Context) -> str:
    return (
        "orch: the write jail refused a write. While a Bash command runs, orch's state "
        f"({_shown(ctx, ctx.state_dir)}), its runtime folder ({_shown(ctx, ctx.runtime.dir)}) and the "
        "files of other agents' tasks in progress are read-only (\"Read-only file system\"; moving or "
        "removing such a file: \"Device or resource busy\"). Change orch's state with a plain "
        "`orch …` command on its own (not inside a longer command), and keep to your own task's "
        "files (`orch locks` shows who holds what)."
    )


def _unseen(ctx: Context, payload: Payload, path: str) -> str:
    ran = os.path.join(specs.session_folder(ctx.runtime.dir, payload.session_id), ".ran")
    try:
        matched_late = os.stat(ran).st_mtime >= os.stat(path).st_mtime
        os.unlink(path)
    except OSError:
        matched_late = False
    if matched_late:
        return ("orch: the write jail could not match this Bash command to what orch allowed (Claude "
                "Code changed its text), so it held only orch's state and runtime folder read-only.")
    reason = "the launcher did not run for a Bash command"
    sessions.mark(ctx.runtime.dir, payload.session_id, reason)
    return sessions.notice(reason, sessions.mode(ctx.config))


def _output(payload: Payload) -> str:
    response = payload.raw.get("tool_response")
    parts = [str(payload.raw.get("error") or "")]
    if isinstance(response, dict):
        parts += [str(response.get("stdout") or ""), str(response.get("stderr") or "")]
    return "\n".join(parts)


def _shown(ctx: Context, path: str) -> str:
    return os.path.relpath(path, ctx.root) + "/" if path.startswith(ctx.root + os.sep) else path


def wrapped(argv: list[str], root: str) -> list[str]:
    """A gate's argv under the launcher with orch's state and runtime folder read-only, where
    the repo's policy and this machine allow; `argv` itself otherwise."""
    import sys

    from orchestrator import paths
    from orchestrator.config import merged
    from orchestrator.jsonfile import read_json_or

    state = paths.state_dir(root)
    if not os.path.isdir(state):
        return argv
    raw = read_json_or(os.path.join(state, "config.json"), {})
    if sessions.mode(merged(raw if isinstance(raw, dict) else {})) == "off":
        return argv
    try:
        runtime = paths.runtime_dir(root)
    except OSError:
        return argv
    if sessions.probe(runtime) is not None:
        return argv
    return [sys.executable, "-I", "-S", sessions.LAUNCHER, "run", state, runtime, "--", *argv]
