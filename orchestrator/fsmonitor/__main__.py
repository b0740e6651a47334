"""`python -m orchestrator.fsmonitor TASKS_DIR WORKTREE_DIR`: the tasks-folder monitor (`daemon`)."""

import sys

from orchestrator.fsmonitor.daemon import main

if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m orchestrator.fsmonitor TASKS_DIR WORKTREE_DIR")
    sys.exit(main(sys.argv[1], sys.argv[2]))
