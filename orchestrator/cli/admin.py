"""Setting orch up and keeping it well (`init`, `uninstall`, `config`, `doctor`), and the entry
points Claude Code and the demo run (`hook`, `statusline`, `demo`, `mcp`)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from orchestrator import workflow
from orchestrator.cli.base import cli, emit, json_option
from orchestrator.errors import InvalidInput
from orchestrator.store import Store


@cli.command()
@click.option(
    "--no-hooks",
    is_flag=True,
    help="Do not register orch's hooks in .claude/settings.json "
    "(the default when orch runs as a Claude Code plugin, whose hooks are already active).",
)
@click.option("--mcp", "with_mcp", is_flag=True,
              help="Also register `orch mcp` in the project's .mcp.json (your other servers are kept).")
def init(no_hooks: bool, with_mcp: bool) -> None:
    """Set up `.orch/` here and register orch's hooks with Claude Code (idempotent)."""

    from orchestrator import install, sandbox

    store = Store.discover(initialised=False)
    created = store.create()
    click.echo(f"{'Initialised' if created else 'Already initialised:'} {store.dir}")
    if os.environ.get("CLAUDE_PLUGIN_ROOT") and not no_hooks:
        click.echo("Running as the orch plugin: its hooks are active; none added to .claude/settings.json.")
    elif not no_hooks:
        path = install.install(store.root, store.runtime, sync_post=bool(store.config().get("fast_checks")))
        click.echo(f"Hooks registered in {path} (your own settings and hooks are kept).")
    sandbox.add(store.root, store.runtime)
    _register_team(store)
    if with_mcp:
        from orchestrator.mcp import register

        click.echo(f"MCP server `orch` registered in {register.add(store.root)} (see docs/mcp.md).")
    if created:
        click.echo("Next: `orch plan add PLAN.md`, then `orch next`.")


@cli.command()
def uninstall() -> None:
    """Remove exactly the hooks (and the MCP server) `orch init` added (`.orch/` is kept)."""
    from orchestrator import install, sandbox
    from orchestrator.mcp import register

    store = Store.discover(initialised=False)
    removed = install.uninstall(store.root)
    sandbox.remove(store.root, store.runtime)
    click.echo("Removed orch's hooks." if removed else "No orch hooks were registered.")
    if register.remove(store.root):
        click.echo(f"Removed the `orch` MCP server from {register.FILE}.")


@cli.command("config", context_settings={"ignore_unknown_options": True})  # VALUE may be -5
@click.argument("key", required=False)
@click.argument("value", required=False)
def config_(key: str | None, value: str | None) -> None:
    """Show the configuration, or set KEY (dotted, e.g. policy.require_task) to VALUE (JSON, else a
    string). The whole result is checked against the schema first; nothing is written if it fails."""
    store = Store.discover()
    if key is None:
        emit(store.config())
        return
    if value is None:
        emit(_dig(store.config(), key.split(".")))
        return
    from orchestrator import configschema

    note = ""
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value
        if value.lstrip()[:1] in ("[", "{"):
            note = " (VALUE is not valid JSON, so it was read as a string)"
    with store.locked():
        data = configschema.with_setting(store.raw_config(), key, parsed)
        configschema.validate(data, key, note)
        store.save_config(data)
        _anchor_config(store, key)
    click.echo(f"{key} = {json.dumps(parsed)}")
    _resync_hooks(store, key)
    if key.split(".")[0] == "sync":
        _register_team(store)


def _anchor_config(store: Store, key: str) -> None:
    """Record what the config now enforces (gates, policy), so `orch verify` sees hand edits."""
    from orchestrator import anchors, receipts

    enforce = anchors.config_digest(store.config())
    receipts.append(store.dir, anchors.CONFIG_CHAIN, event="config", actor=workflow.actor_for(store),
                    task=None, data={"key": key, "enforce": enforce})


def _register_team(store: Store) -> None:
    """In team mode, register the merge driver for `.orch/` in this clone (docs/teams.md)."""
    from orchestrator import teams

    if teams.remote_of(store.config()) is not None:
        from orchestrator.teams import mergedriver

        mergedriver.register(store.root)
        click.echo("Team mode: orch's merge driver is registered for .orch/ (.orch/.gitattributes, "
                   "git config).")


def _resync_hooks(store: Store, key: str) -> None:
    """Fast checks need a synchronous PostToolUse: re-register the hooks when they change."""
    from orchestrator import install

    if key.split(".")[0] == "fast_checks" and install.installed(store.root):
        install.install(store.root, store.runtime, sync_post=bool(store.config().get("fast_checks")))
        click.echo("Hooks re-registered: PostToolUse runs synchronously while fast checks are configured.")


def _dig(data: Any, parts: list[str]) -> Any:
    for part in parts:
        if not isinstance(data, dict) or part not in data:
            raise InvalidInput(f"no setting {'.'.join(parts)!r}")
        data = data[part]
    return data


# -- maintenance ------------------------------------------------------------------------------


@cli.command()
@click.option(
    "--fix",
    is_flag=True,
    help="Repair what it reports: task files rolled to their receipts, broken files restored from git "
    "or the plan's saved source, runtime files rebuilt, interrupted plan adds completed.",
)
@json_option
def doctor(fix: bool, as_json: bool) -> int:
    """Check orch's state and say how to recover from each problem."""
    from orchestrator import doctor as doctor_mod

    report = doctor_mod.examine(Store.discover(initialised=False), fix=fix)
    if as_json:
        emit(report)
    else:
        click.echo(doctor_mod.render(report))
    return 0 if report["ok"] else 1


@cli.command()
@click.option("--keep", is_flag=True, help="Keep the temporary repository and print its path.")
def demo(keep: bool) -> None:
    """Walk the bundled example plan in a temporary git repository."""
    from orchestrator import demo as demo_mod
    from orchestrator.cli import main

    demo_mod.run(main, keep=keep, write=click.echo)


@cli.command("mcp")
@click.option("--repo", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The repository to serve (default: the current directory's).")
def mcp_(repo: Path | None) -> None:
    """Serve orch's tools to an MCP client over stdin/stdout, until stdin closes (see docs/mcp.md)."""
    from orchestrator.mcp.server import serve

    serve((repo or Path.cwd()).resolve())


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("event")
def hook(event: str) -> int:
    """Run a Claude Code hook (EVENT: PreToolUse, PostToolUse, Stop, ...), reading its stdin."""
    from orchestrator.hooks.entry import main as hook_main

    return hook_main([event])


@cli.command()
def statusline() -> int:
    """One line for Claude Code's status line (reads its JSON on stdin)."""
    from orchestrator.hooks.statusline import main as statusline_main

    return statusline_main()

