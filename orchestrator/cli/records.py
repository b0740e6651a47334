"""Leases and evidence: `lock`, `unlock`, `locks`, `report`, `synthesize`, `verify`, `log`."""

from __future__ import annotations

import click

from orchestrator import render, views, workflow
from orchestrator.cli.base import agent_option, cli, emit, json_option, plan_option
from orchestrator.store import Store

# -- leases -----------------------------------------------------------------------------------


@cli.command()
@click.argument("path")
@click.option("--task", "task_id", help="The task to lease it for (default: your bound task).")
@agent_option
def lock(path: str, task_id: str | None, agent: str | None) -> None:
    """Lease PATH for a task in progress."""
    from orchestrator import leases

    store = Store.discover()
    lease = leases.lock(store, path, task_id, workflow.actor_for(store, agent, "lock", path))
    click.echo(f"Leased {lease['path']} for {lease['task']} until {lease['expires']}.")


@cli.command()
@click.argument("path", required=False)
@click.option("--task", "task_id", help="Release every lease of this task.")
def unlock(path: str | None, task_id: str | None) -> None:
    """Release the lease on PATH (or every lease of --task)."""
    from orchestrator import leases

    store = Store.discover()
    actor = workflow.actor_for(store, None, "unlock", path)
    released = leases.unlock(store, path, task_id, actor)
    click.echo(f"Released: {', '.join(released)}" if released else "No matching lease.")


@cli.command()
@json_option
def locks(as_json: bool) -> None:
    """The live leases."""
    from orchestrator import leases

    view = leases.view(Store.discover())
    emit(view) if as_json else click.echo(render.leases_text(view))


# -- evidence ---------------------------------------------------------------------------------


@cli.command()
@click.argument("task_id", required=False)
@plan_option
def report(task_id: str | None, plan_id: str | None) -> None:
    """Write the verification report of TASK_ID, or the plan summaries."""
    from orchestrator import reports

    store = Store.discover()
    if task_id:
        click.echo(f"Wrote {reports.write_task_report(store, task_id)}")
        return
    for one in views.select_plan(store, plan_id):
        click.echo(f"Wrote {reports.write_plan_report(store, one['id'])}")


@cli.command()
def synthesize() -> None:
    """Write the final synthesis: everything done, artifacts, open items, next steps."""
    from orchestrator import reports

    click.echo(f"Wrote {reports.write_synthesis(Store.discover())}")


@cli.command()
@json_option
def verify(as_json: bool) -> int:
    """Check the receipt chains and the milestone tags; name the first bad record."""
    from orchestrator import receipts

    store = Store.discover()
    result = receipts.verify(store.dir, store.root)
    emit(result) if as_json else click.echo(render.verify_text(result))
    return 0 if result["ok"] else 1


@cli.command()
@click.option("--task", "task_id", help="Only this task's receipts (its ticks, andon whys, fix task, …).")
@json_option
def log(task_id: str | None, as_json: bool) -> None:
    """The timeline: transitions, gates, acceptance ticks, andon whys, commits and tags."""
    from orchestrator import receipts

    store = Store.discover()
    rows = receipts.timeline(store.dir, store.root)
    if task_id:
        store.task(task_id)  # an unknown task is an error, not an empty log
        rows = [row for row in rows if row.get("task") == task_id]
    emit({"events": rows}) if as_json else click.echo(render.log_text(rows))
