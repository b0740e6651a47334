"""The plugin's hook entry point: `python -I hooks/orch_hook.py EVENT` (started by hooks/run).

The plugin root is found from this file's own location, never from a folder name, so the
package imports the same from a checkout, a `--plugin-dir` or a versioned plugin cache.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from orchestrator.hooks.entry import main  # noqa: E402

raise SystemExit(main(sys.argv[1:]))
