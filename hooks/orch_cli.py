"""The plugin's `orch` CLI: `python -I hooks/orch_cli.py ARGS` (started by hooks/orch).

Runs under the plugin's venv, which holds only the dependencies; the code comes from the
plugin root, found from this file's own location. Same entry as the `orch` console script.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from orchestrator.console import main  # noqa: E402

raise SystemExit(main(sys.argv[1:]))
