"""`python -m orchestrator.cli ARGS`: the `orch` command."""

import sys

from orchestrator.cli import main

sys.exit(main())
