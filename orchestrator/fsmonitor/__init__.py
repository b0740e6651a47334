"""The tasks-folder monitor: a small process per work tree that watches `.orch/tasks/` with
inotify and tells orch which task files changed since a token, so that neither a hook nor a read
needs a stat of every task file to find out (git's `core.fsmonitor` does the same for `git
status`). Linux only; where it does not run, or does not answer, everything works as before,
from a stat of every file.

- `client`: ask it (standard library only: the hooks use it), and start it;
- `daemon`: the process itself (`python -m orchestrator.fsmonitor TASKS_DIR`);
- `memo`: the snapshots' fingerprint remembered against a token, so a read that finds nothing
  changed takes no stat of every file.

docs/architecture.md ("The tasks-folder monitor") has the protocol and why it is safe.
"""
