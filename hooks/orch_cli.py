"""The plugin's `orch` CLI: `python -I hooks/orch_cli.py ARGS` (started by hooks/orch).

Runs under the plugin's venv, which holds only the dependencies; the code comes from the
plugin root, found from this file's own location. Same entry as the `orch` console script.
Started by another interpreter (the venv is not built yet, or was built for other pins), it
waits for the build (orchestrator/launcher.py) and re-executes itself under the venv.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from orchestrator import launcher  # noqa: E402

try:
    python = None if os.environ.pop(launcher.REEXEC, None) else launcher.ready_python()
except launcher.Unavailable as exc:
    print(exc, file=sys.stderr)
    raise SystemExit(exc.code) from None
if python is not None:
    os.environ[launcher.REEXEC] = "1"  # once: the venv's python runs the CLI, whatever its prefix
    os.execv(python, [python, "-I", os.path.abspath(__file__), *sys.argv[1:]])

try:
    from orchestrator.console import main
except ImportError as exc:  # no plugin data folder to build into, and no orch installed here
    print(f"orch: its Python dependencies are not installed for {sys.executable} ({exc}); start a "
          "new Claude Code session to build them, or pip install claude-orch", file=sys.stderr)
    raise SystemExit(launcher.EXIT_FAILED) from None

raise SystemExit(main(sys.argv[1:]))
