"""Tasks: the read views (`status`, `next`, `show`) and the transitions (`dispatch`, `start`,
`move`, `block`, `cancel`, `done`, `check`, `why`, `gate`)."""

from __future__ import annotations

import sys

import click

from orchestrator import render, statusjson, views, workflow
from orchestrator.cli.base import agent_option, cli, emit, json_option, plan_option
from orchestrator.errors import InvalidInput
from orchestrator.jsonfile import readable
from orchestrator.store import Store

# -- read commands ----------------------------------------------------------------------------


@cli.command()
@plan_option
@json_option
def status(plan_id: str | None, as_json: bool) -> None:
    """The completion matrix and every task's status."""
    if as_json and not sys.stdout.isatty():  # a program reads it: the rows' text from the snapshot
        click.echo(statusjson.text(Store.discover(), plan_id), color=True)
        return
    view = views.status_view(Store.discover(), plan_id)
    emit(view) if as_json else click.echo(render.status_text(view))


@cli.command("next")
@plan_option
@click.option("--parallel", type=click.IntRange(min=1), help="Also pick a wave of up to N independent tasks.")
@json_option
def next_(plan_id: str | None, parallel: int | None, as_json: bool) -> None:
    """What is ready to start, in order."""
    view = views.next_view(Store.discover(), plan_id, parallel)
    emit(view) if as_json else click.echo(render.next_text(view))


@cli.command()
@click.argument("task_id")
@json_option
def show(task_id: str, as_json: bool) -> None:
    """One task, whole."""
    task = Store.discover().task(task_id)
    emit(task) if as_json else click.echo(render.task_text(task))


# -- transitions ------------------------------------------------------------------------------


@cli.command()
@click.argument("task_ids", metavar="ID...", nargs=-1, required=True)
@click.option("--ttl", type=float, help="Keep them reserved this many seconds (default: dispatch.ttl).")
@agent_option
@json_option
def dispatch(task_ids: tuple[str, ...], ttl: float | None, agent: str | None, as_json: bool) -> None:
    """Reserve ready tasks for the subagents about to start them: `orch next` leaves them out
    until each is started (or moved, cancelled, or the reservation expires). All or none."""
    from orchestrator import dispatches

    store = Store.discover()
    made = dispatches.dispatch(store, list(task_ids), workflow.actor_for(store, agent, "dispatch"), ttl)
    if as_json:
        emit({"dispatched": made})
        return
    ids = ", ".join(row["id"] for row in made)
    click.echo(f"Dispatched {ids} (by {made[0]['by']}, until {render.clock(made[0]['until'])}): "
               "`orch next` leaves them out until their subagent runs `orch start ID`.")


@cli.command()
@click.argument("task_id")
@agent_option
@click.option("--brief", is_flag=True, help="One line instead of the task and its specialist guidance.")
@json_option
def start(task_id: str, agent: str | None, brief: bool, as_json: bool) -> None:
    """Start TASK_ID and bind it to you, if its dependencies are completed."""
    store = Store.discover()
    holder = workflow.actor_for(store, agent, "start", task_id)
    task = workflow.start(store, task_id, holder)
    if as_json:
        emit({"task": task, "bound_to": holder})
        return
    click.echo(f"Started {task_id}, bound to {holder}.")
    if not brief:
        from orchestrator import specialists

        click.echo("\n" + specialists.guidance(store, task))


@cli.command()
@click.argument("task_id")
@click.argument("target", metavar="STATUS")
@click.option("--note", help="Why (kept in the task's history).")
@agent_option
def move(task_id: str, target: str, note: str | None, agent: str | None) -> None:
    """Move TASK_ID to STATUS (only legal transitions)."""
    store = Store.discover()
    task = workflow.move(store, task_id, target, workflow.actor_for(store, agent, "move", task_id), note)
    click.echo(f"{task_id} is now {task['status']}.")


@cli.command()
@click.argument("task_id")
@click.option("--reason", required=True, help="What the task waits on.")
@agent_option
def block(task_id: str, reason: str, agent: str | None) -> None:
    """Mark TASK_ID blocked, with the reason."""
    store = Store.discover()
    workflow.block(store, task_id, reason, workflow.actor_for(store, agent, "block", task_id))
    click.echo(f"{task_id} is now blocked: {readable(reason)}")


@cli.command()
@click.argument("task_id")
@click.option("--reason", help="Why it is cancelled.")
@agent_option
def cancel(task_id: str, reason: str | None, agent: str | None) -> None:
    """Cancel TASK_ID (tasks depending on it stay blocked until the plan is edited)."""
    store = Store.discover()
    workflow.cancel(store, task_id, workflow.actor_for(store, agent, "cancel", task_id), reason)
    click.echo(f"{task_id} is now cancelled.")


@cli.command()
@click.argument("task_id")
@agent_option
@json_option
def done(task_id: str, agent: str | None, as_json: bool) -> int:
    """Run TASK_ID's gates; complete it if all pass, else block it (the andon)."""
    from orchestrator import completion

    store = Store.discover()
    actor = workflow.actor_for(store, agent, "done", task_id)
    with render.GateProgress(quiet=as_json) as progress:
        outcome = completion.done(store, task_id, actor, progress.line)
    if as_json:
        emit({k: v for k, v in outcome.items() if k != "task"} | {"status": outcome["task"]["status"]})
    else:
        click.echo(render.done_text(outcome))
    if outcome.get("unfinished"):
        return 1
    if not outcome["completed"]:
        andon = outcome["task"]["andon"]
        click.echo(
            f"orch: andon: {task_id} is blocked: gate '{andon['gate']}' failed ({andon['why']}). "
            f"Next: {andon['suggestion']}",
            err=True,
        )
        return 1
    return 0


@cli.command()
@click.argument("task_id")
@click.argument("item", type=click.IntRange(min=1), metavar="N")
@click.option("--evidence", required=True,
              help="What shows the item holds: a test, a command's output, a file.")
@agent_option
@json_option
def check(task_id: str, item: int, evidence: str, agent: str | None, as_json: bool) -> None:
    """Tick acceptance item N (from 1, as `orch show` lists them) of TASK_ID, with evidence."""
    from orchestrator import acceptance

    store = Store.discover()
    actor = workflow.actor_for(store, agent, "check", task_id)
    ticked = acceptance.check(store, task_id, item, evidence, actor)
    emit({"task": task_id, "item": ticked}) if as_json else click.echo(render.check_text(task_id, ticked))


@cli.command()
@click.argument("task_id")
@click.argument("text", nargs=-1, required=True)
@agent_option
@json_option
def why(task_id: str, text: tuple[str, ...], agent: str | None, as_json: bool) -> None:
    """Add a "why" to the root cause of TASK_ID's andon (five at most)."""
    from orchestrator import andon

    store = Store.discover()
    added = andon.why(store, task_id, " ".join(text), workflow.actor_for(store, agent, "why", task_id))
    emit(added) if as_json else click.echo(render.why_text(added))


@cli.command("gate")
@click.argument("task_id", required=False)
@agent_option
@json_option
def gate_(task_id: str | None, agent: str | None, as_json: bool) -> int:
    """Run the gates of TASK_ID (default: your bound task) without changing its status."""
    from orchestrator import completion
    from orchestrator.runtime import Runtime

    store = Store.discover()
    actor = workflow.actor_for(store, agent, "gate", task_id)
    task_id = task_id or Runtime(store.runtime).task_of(actor)
    if not task_id:
        raise InvalidInput("no task given and none is bound to you: `orch gate ID`")
    with render.GateProgress(quiet=as_json) as progress:
        results = completion.gate(store, task_id, actor, progress.line)
    if as_json:
        emit({"task": task_id, "results": results, "passed": all(r["passed"] for r in results)})
    else:
        click.echo(render.gates_text(results))
    return 0 if all(r["passed"] for r in results) else 1
