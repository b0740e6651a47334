"""The `orch` command: thin click commands over the library, one error boundary in `main`.

The commands live by topic in this package's modules (`admin`, `plans`, `tasks`, `records`,
`team`); importing them registers them on the group in `base`."""

from __future__ import annotations

import os

import click

from orchestrator.cli import admin, plans, records, tasks, team  # noqa: F401 - they register the commands
from orchestrator.cli.base import cli
from orchestrator.errors import OrchError

__all__ = ["cli", "main"]


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; map orch's errors to a message on stderr and an exit code (1 refused, 2 invalid)."""
    try:
        result = cli.main(args=argv, prog_name="orch", standalone_mode=False)
    except OrchError as exc:
        click.echo(f"orch: {exc}", err=True)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("orch: aborted", err=True)
        return 1
    except OSError as exc:
        if not jailed_write(exc):
            raise
        click.echo(f"orch: {JAILED_HINT} ({exc.strerror}: {exc.filename})", err=True)
        return 1
    return result if isinstance(result, int) else 0


JAILED_HINT = (
    "this `orch` ran inside orch's write jail, where orch's own state is read-only, because it was "
    "part of a longer Bash command. Run it as a Bash command of its own (`orch start T1`, not "
    "`cd x && orch start T1` or `orch done T1 | tail`)"
)


def jailed_write(exc: OSError) -> bool:
    import errno

    return bool(os.environ.get("ORCH_JAILED")) and exc.errno in (errno.EROFS, errno.EBUSY)
