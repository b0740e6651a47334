"""Start orch code in a background process of its own, which outlives its starter (a hook).

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
    from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_CODE = ("import sys; sys.path.insert(0, sys.argv.pop(1)); "
         "from {module} import {function} as main; raise SystemExit(main(sys.argv[1:]))")


def detached(module: str, function: str, args: list[str], *, cwd: str | None = None,
             log: str | None = None) -> None:
    """Run `module.function(args)` (its return value the exit status) in the background."""
    import subprocess

    argv = [sys.executable, "-I", "-c", _CODE.format(module=module, function=function), ROOT, *args]
    if log is None:
        _start(argv, cwd, subprocess.DEVNULL)
        return
    with open(log, "ab") as out:  # the child has its own descriptor of it
        _start(argv, cwd, out)


def _start(argv: list[str], cwd: str | None, out: Any) -> None:
    import subprocess

    subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=out, close_fds=True,
                     start_new_session=True)
