"""`python -m orchestrator.hooks EVENT`: the hook entry point registered by `orch init`."""

import sys

from orchestrator.hooks.entry import main

raise SystemExit(main(sys.argv[1:]))
