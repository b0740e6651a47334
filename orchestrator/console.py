"""The `orch` console script. `orch hook EVENT` and `orch statusline` run on Claude Code's hot
path, so they skip click and the rest of the CLI entirely."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["hook"]:
        from orchestrator.hooks.entry import main as hook_main

        return hook_main(args[1:])
    if args[:1] == ["statusline"]:
        from orchestrator.hooks.statusline import main as statusline_main

        return statusline_main()
    from orchestrator.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    raise SystemExit(main())
