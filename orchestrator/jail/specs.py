"""What the write jail holds read-only for one Bash call, written where the launcher finds it.

The PreToolUse hook leaves one spec per allowed Bash call in `<runtime>/jail/<session>/`:
fields separated by NUL: the mode (`jail`, or `free` for a plain `orch …` command, which must
write orch's state), the command as Claude Code will run it, then the paths to hold read-only.
`<runtime>/jail/default` holds what every jailed command gets (orch's state and the runtime
folder). Standard library only: this runs on the hook's hot path.
"""

from __future__ import annotations

import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from orchestrator.hooks.context import Context

FOLDER = "jail"
STALE_SECONDS = 3600.0  # a spec whose command never ran (refused later, or a prompt left open)
GLOB_CHARS = frozenset("*?[")


def folder(runtime_dir: str) -> str:
    return os.path.join(runtime_dir, FOLDER)


def session_folder(runtime_dir: str, session: str) -> str:
    return os.path.join(folder(runtime_dir), session or "_")


def spec_path(runtime_dir: str, session: str, tool_use_id: str) -> str:
    return os.path.join(session_folder(runtime_dir, session), safe_name(tool_use_id) or "call")


def write(path: str, mode: str, command: str, read_only: list[str]) -> None:
    """Atomically (temp file + rename: the launcher may read at any moment)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temp = f"{path}.{os.getpid()}.tmp"
    with open(temp, "wb") as handle:
        handle.write(os.fsencode("\0".join([mode, command, *read_only])))
    os.replace(temp, path)


def write_default(ctx: Context, environ: Mapping[str, str]) -> None:
    write(os.path.join(folder(ctx.runtime.dir), "default"), "jail", "", held_always(ctx, environ))


def held_always(ctx: Context, environ: Mapping[str, str]) -> list[str]:
    """What every jailed command holds: orch's state and runtime folder; Claude Code's shell
    snapshots and the session's env file (which run before every command: changed, they could take
    the next command out of the jail); the plugin's own files, which orch's free calls run (unless
    they lie in the repo, as when orch is developed with orch)."""
    home = environ.get("CLAUDE_CONFIG_DIR") or os.path.join(os.path.expanduser("~"), ".claude")
    env_file = environ.get("CLAUDE_ENV_FILE")
    extra = [os.path.join(home, "shell-snapshots"), os.path.dirname(env_file) if env_file else "",
             environ.get("CLAUDE_PLUGIN_ROOT", ""), environ.get("CLAUDE_PLUGIN_DATA", "")]
    root = os.path.realpath(ctx.root)
    outside = [p for p in extra if p and not os.path.realpath(p).startswith(root + os.sep)]
    return [*ctx.protected_folders(), *outside]


def protected_for(ctx: Context, caller: str) -> list[str]:
    """Files of other callers' tasks in progress: their live leases and their declared files
    (a folder for `dir/**`, the files a glob matches now, a plain path as it is)."""
    mine = ctx.runtime.task_of(caller)
    found: set[str] = set()
    for rel, lease in ctx.runtime.live_leases().items():
        if lease.get("task") != mine:
            found.add(os.path.join(ctx.root, rel))
    for task_id, binding in ctx.runtime.bindings().items():
        if task_id == mine or binding.get("holder") == caller:
            continue
        task = ctx.task(task_id)
        for glob in (task or {}).get("files") or []:
            if isinstance(glob, str):
                found.update(_declared(ctx.root, glob))
    return sorted(p for p in found if os.path.lexists(p))


def _declared(root: str, glob: str) -> list[str]:
    if glob.endswith("/**") and not GLOB_CHARS & set(glob[:-3]):
        return [os.path.join(root, glob[:-3])]
    if not GLOB_CHARS & set(glob):
        return [os.path.join(root, glob)]
    import glob as globbing

    return globbing.glob(os.path.join(root, glob), recursive=True)


def prune(session_dir: str, now: float | None = None) -> None:
    """Drop specs older than STALE_SECONDS (their command never ran)."""
    moment = time.time() if now is None else now
    try:
        names = os.listdir(session_dir)
    except OSError:
        return
    for name in names:
        path = os.path.join(session_dir, name)
        try:
            if moment - os.stat(path).st_mtime > STALE_SECONDS:
                os.unlink(path)
        except OSError:
            continue


def safe_name(name: str) -> str:
    """`name` (a session or tool-use id) as a file name: letters, digits, `-`, `_`, `.`, no leading dot."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name).lstrip(".")

