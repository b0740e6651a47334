"""Run a command and make its whole process group die with the process that started it.

    python -I -S watchdog.py PARENT_PID PROGRAM [ARG...]

`gates` starts this script in a new session, so it leads the process group every process of the
gate runs in. It starts the command, waits for it, and exits with its status (the exit code, or
the same signal re-raised). If PARENT_PID stops being its parent, whatever killed the parent
(SIGKILL, a hook timeout, a crash), it kills the whole group with SIGKILL, itself included. On
Linux `prctl(PR_SET_PDEATHSIG)` tells it at once; elsewhere a `getppid()` poll notices within
POLL seconds. SIGTERM, SIGINT and SIGHUP are left to the command: the runner signals the whole
group, so this process outlives a graceful stop and reports how the command ended.

A script, imported by nothing, standard library only (`-S`: no site-packages to load).
"""

from __future__ import annotations

import os
import signal
import sys
import time

POLL = 0.1
PR_SET_PDEATHSIG = 1
PARENT_DIED = signal.SIGUSR1
GRACEFUL = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
PYTHON_IGNORES = (signal.SIGPIPE, signal.SIGXFSZ)  # as subprocess's restore_signals does


def main(argv: list[str]) -> int:
    parent, command = int(argv[0]), argv[1:]
    for signum in GRACEFUL:
        signal.signal(signum, _ignore)  # caught, not ignored: the command gets the defaults back
    signal.signal(PARENT_DIED, lambda _signum, _frame: _orphaned(parent))
    _ask_for_parent_death_signal()
    try:
        defaults = (*GRACEFUL, PARENT_DIED, *PYTHON_IGNORES)
        child = os.posix_spawn(command[0], command, os.environ, setsigdef=defaults)
    except OSError as exc:
        sys.stderr.write(f"orch watchdog: cannot run {command[0]}: {exc}\n")
        return 127
    return _exit_code(_wait(child, parent))


def _wait(child: int, parent: int) -> int:
    """The child's wait status; kills the group instead if the parent goes away first."""
    pause = 0.001  # quick commands are noticed quickly; long ones cost a wake-up per POLL
    while True:
        _orphaned(parent)
        pid, status = os.waitpid(child, os.WNOHANG)
        if pid:
            return status
        time.sleep(pause)
        pause = min(pause * 2, POLL)


def _orphaned(parent: int) -> None:
    if os.getppid() != parent:
        os.killpg(0, signal.SIGKILL)


def _ask_for_parent_death_signal() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(PARENT_DIED), 0, 0, 0)
    except (OSError, AttributeError):
        pass  # no prctl here: the getppid() poll still notices


def _exit_code(status: int) -> int:
    """The command's exit code; a signal that killed it is re-raised here, so the runner sees it."""
    code = os.waitstatus_to_exitcode(status)
    if code >= 0:
        return code
    if -code not in (signal.SIGKILL, signal.SIGSTOP):  # those two have no handler to reset
        signal.signal(-code, signal.SIG_DFL)
    os.kill(os.getpid(), -code)
    return 128 - code  # a signal whose default is not to terminate


def _ignore(_signum: int, _frame: object) -> None:
    """The runner sends graceful stops to the whole group; the command decides what they do."""


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
