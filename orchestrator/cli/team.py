"""Beyond one clone and one terminal: `sync`, `claims`, the hidden `merge-driver`, and `board`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from orchestrator.cli.base import cli, emit, json_option
from orchestrator.errors import InvalidInput
from orchestrator.store import Store


@cli.command("sync")
@json_option
def sync_(as_json: bool) -> None:
    """Team mode: merge `.orch/` with the remote (sync.remote) and publish this clone's changes."""
    from orchestrator.teams import sync as sync_mod

    report = sync_mod.sync(Store.discover())
    emit(report) if as_json else click.echo(_team_view().sync_text(report))


@cli.command()
@json_option
def claims(as_json: bool) -> None:
    """Team mode: the tasks claimed on the remote, by whom, on which machine, since when."""
    from orchestrator.teams import claimrefs

    rows = [claim.row() for claim in claimrefs.fetch_all(Store.discover())]
    emit({"claims": rows}) if as_json else click.echo(_team_view().claims_text(rows))


def _team_view() -> Any:
    from orchestrator.teams import view

    return view


@cli.command("merge-driver", hidden=True)
@click.argument("base")
@click.argument("ours")
@click.argument("theirs")
@click.argument("path")
def merge_driver(base: str, ours: str, theirs: str, path: str) -> int:
    """git's merge driver for `.orch/` (registered by `orch init` in team mode): %O %A %B %P."""
    from orchestrator.teams import mergedriver

    try:
        mergedriver.run(base, ours, theirs, path)
    except (ValueError, OSError) as exc:
        click.echo(f"orch merge-driver: {path}: {exc}; left for git to mark as a conflict", err=True)
        return 1
    return 0


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback needs --token.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port (default: a free one).")
@click.option("--token", help="Secret every request must carry (the printed URL holds it).")
@click.option("--no-open", is_flag=True, help="Do not open a browser (none is opened off a terminal).")
@click.option("--allow-actions", is_flag=True,
              help="Let the page start, move, block and cancel tasks (as user:<login>, with receipts).")
@click.option("--export", "export_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write the page and its data as static files into this folder, and exit.")
@click.option("--background", is_flag=True,
              help="Run it detached (one per work tree) and print its URL; the one running is reused.")
@click.option("--stop", is_flag=True, help="Stop this work tree's background board.")
def board(host: str, port: int, token: str | None, no_open: bool, allow_actions: bool,
          export_dir: Path | None, background: bool, stop: bool) -> None:
    """Serve a live web board of the plan (kanban, graph, milestones, receipts) until Ctrl-C."""
    from orchestrator.board import background as detached
    from orchestrator.board import export, serve

    store = Store.discover()
    if export_dir is not None:
        written = export.export(store, export_dir)
        click.echo(f"Wrote the board to {export_dir}/ ({len(written)} files): open {written[0].name}.")
        return
    if stop:
        click.echo("Stopped the board." if detached.stop(store) else "No board was running here.")
        return
    if background:
        if allow_actions:
            raise InvalidInput("--allow-actions is for a board in your terminal, not --background: its "
                               "URL, token included, would be kept where agents can read it")
        serve.check_options(host, token, allow_actions)
        url, started = detached.start(store, host, port, token, allow_actions)
        click.echo(f"orch board: {url} ({'started' if started else 'already running'}; "
                   "`orch board --stop` ends it)")
        return
    announce = lambda url: click.echo(f"orch board: {url} (Ctrl-C stops it)")  # noqa: E731
    serve.serve(store.root, host, port, token, allow_actions, announce, False if no_open else None)
