"""`python -m orchestrator.fsmonitor TASKS_DIR WORKTREE_DIR`: the tasks-folder monitor (`daemon`)."""

import sys

from orchestrator.fsmonitor.daemon import run

if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
