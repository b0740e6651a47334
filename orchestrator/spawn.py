"""Start orch code in a background process of its own, which outlives its starter (a hook, or
`orch board --background`).

The process is `python -I -c <code> ROOT ARGS...` with ROOT, the folder holding the
`orchestrator` package, put first on `sys.path` by the code itself: `-I` ignores PYTHONPATH and
the user's site, and a plugin install runs orch from the plugin folder without installing it in
its venv (`bootstrap`), so `python -m orchestrator...` would not find it there. The process gets
a session of its own (no signal from the starter's terminal or process group reaches it), no
terminal input, and no descriptor of the starter's but its output `log` (or none): Claude Code
waits for a hook's output to close, so a child holding it would hold the hook.

Standard library only: the hooks use it (`subprocess` is imported when a process is started).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from subprocess import Popen
    from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_CODE = ("import sys; sys.path.insert(0, sys.argv.pop(1)); "
         "from {module} import {function} as main; raise SystemExit(main(sys.argv[1:]))")


def command(module: str, function: str, python: str | None = None) -> list[str]:
    """The command line that runs `module.function(sys.argv[1:])` with `python` (this one), orch
    imported from ROOT; arguments go after it."""
    return [python or sys.executable, "-I", "-c", _CODE.format(module=module, function=function), ROOT]


def detached(module: str, function: str, args: list[str], *, cwd: str | None = None,
             log: str | None = None, env: dict[str, str] | None = None) -> Popen[bytes]:
    """Run `module.function(args)` (its return value the exit status) in the background; `env`:
    variables added to this process's environment for it."""
    import subprocess

    argv = [*command(module, function), *args]
    environ = {**os.environ, **env} if env else None
    if log is None:
        return _start(argv, cwd, subprocess.DEVNULL, environ)
    with open(log, "ab") as out:  # the child has its own descriptor of it
        return _start(argv, cwd, out, environ)


def _start(argv: list[str], cwd: str | None, out: Any, env: dict[str, str] | None) -> Popen[bytes]:
    import subprocess

    return subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env,
                            close_fds=True, start_new_session=True)
