"""The `orch` command: thin click commands over the library, one error boundary in `main`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from orchestrator import __version__, render, workflow
from orchestrator.errors import OrchError
from orchestrator.store import Store


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
    return result if isinstance(result, int) else 0


def emit(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def json_option(func: Any) -> Any:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON (stable shape).")(func)


def plan_option(func: Any) -> Any:
    return click.option("--plan", "plan_id", help="Only this plan (default: every plan).")(func)


def agent_option(func: Any) -> Any:
    return click.option("--agent", help="Act as this agent id (default: the Claude Code session).")(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="orch")
def cli() -> None:
    """orch: make a plan of tasks binding on Claude Code."""


@cli.command()
def init() -> None:
    """Set up `.orch/` in this git repository."""
    store = Store.discover(initialised=False)
    created = store.create()
    click.echo(f"{'Initialised' if created else 'Already initialised:'} {store.dir}")
    if created:
        click.echo("Next: `orch plan add PLAN.md`, then `orch next`.")


# -- plan -------------------------------------------------------------------------------------


@cli.group()
def plan() -> None:
    """Convert, load and show plans."""


@plan.command("convert")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "plan_id", help="Plan id (default: from the file).")
def plan_convert(file: Path, plan_id: str | None) -> None:
    """Print FILE as orch's normalised plan JSON (writes nothing)."""
    from orchestrator.plans import load_plan

    emit(load_plan(file, plan_id=plan_id, external_ids=_known_ids()))


def _known_ids() -> frozenset[str]:
    try:
        store = Store.discover()
        return frozenset(t["id"] for t in store.tasks())
    except OrchError:
        return frozenset()


@plan.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "plan_id", help="Plan id (default: from the file).")
@click.option("--replace", is_flag=True, help="Replace an existing plan of the same id.")
def plan_add(file: Path, plan_id: str | None, replace: bool) -> None:
    """Validate FILE and load it into `.orch/`."""
    store = Store.discover()
    actor = workflow.actor_for(store)
    loaded = workflow.add_plan(store, file, replace=replace, plan_id=plan_id, actor=actor)
    count = len(loaded["tasks"])
    click.echo(f"Added plan {loaded['plan']['id']!r} ({count} tasks) from {file}. Next: `orch next`.")


@plan.command("show")
@plan_option
@click.option("--graph", type=click.Choice(["mermaid"]), help="Print the dependency graph.")
@json_option
def plan_show(plan_id: str | None, graph: str | None, as_json: bool) -> None:
    """Show the loaded plan(s): tasks, dependencies, critical path."""
    from orchestrator import graph as graph_mod
    from orchestrator import mermaid

    store = Store.discover()
    plans = workflow.select_plan(store, plan_id)
    wanted = {p["id"] for p in plans}
    tasks = [t for t in store.tasks() if t["plan"] in wanted]
    critical = graph_mod.critical_path(tasks)
    if graph == "mermaid":
        click.echo(mermaid.dependency_graph(tasks, critical[0]), nl=False)
    elif as_json:
        emit({"plans": plans, "tasks": tasks,
              "critical_path": {"tasks": critical[0], "hours": critical[1]},
              "waves": graph_mod.waves(tasks)})
    else:
        for one in plans:
            mine = [t for t in tasks if t["plan"] == one["id"]]
            click.echo(render.plan_text(one, mine, graph_mod.critical_path(mine)))


# -- read commands ----------------------------------------------------------------------------


@cli.command()
@plan_option
@json_option
def status(plan_id: str | None, as_json: bool) -> None:
    """The completion matrix and every task's status."""
    view = workflow.status_view(Store.discover(), plan_id)
    emit(view) if as_json else click.echo(render.status_text(view))


@cli.command("next")
@plan_option
@click.option("--parallel", type=click.IntRange(min=1), help="Also pick a wave of up to N independent tasks.")
@json_option
def next_(plan_id: str | None, parallel: int | None, as_json: bool) -> None:
    """What is ready to start, in order."""
    view = workflow.next_view(Store.discover(), plan_id, parallel)
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
@click.argument("task_id")
@agent_option
@json_option
def start(task_id: str, agent: str | None, as_json: bool) -> None:
    """Start TASK_ID and bind it to you, if its dependencies are completed."""
    store = Store.discover()
    holder = workflow.actor_for(store, agent, task_id)
    task = workflow.start(store, task_id, holder)
    if as_json:
        emit({"task": task, "bound_to": holder})
        return
    click.echo(f"Started {task_id}, bound to {holder}.\n")
    click.echo(render.task_text(task))


@cli.command()
@click.argument("task_id")
@click.argument("target", metavar="STATUS")
@click.option("--note", help="Why (kept in the task's history).")
@agent_option
def move(task_id: str, target: str, note: str | None, agent: str | None) -> None:
    """Move TASK_ID to STATUS (only legal transitions)."""
    store = Store.discover()
    task = workflow.move(store, task_id, target, workflow.actor_for(store, agent, task_id), note)
    click.echo(f"{task_id} is now {task['status']}.")


@cli.command()
@click.argument("task_id")
@click.option("--reason", required=True, help="What the task waits on.")
@agent_option
def block(task_id: str, reason: str, agent: str | None) -> None:
    """Mark TASK_ID blocked, with the reason."""
    store = Store.discover()
    workflow.block(store, task_id, reason, workflow.actor_for(store, agent))
    click.echo(f"{task_id} is now blocked: {reason}")


@cli.command()
@click.argument("task_id")
@click.option("--reason", help="Why it is cancelled.")
@agent_option
def cancel(task_id: str, reason: str | None, agent: str | None) -> None:
    """Cancel TASK_ID (tasks depending on it stay blocked until the plan is edited)."""
    store = Store.discover()
    workflow.cancel(store, task_id, workflow.actor_for(store, agent), reason)
    click.echo(f"{task_id} is now cancelled.")


# -- maintenance ------------------------------------------------------------------------------


@cli.command()
@click.option("--fix", is_flag=True, help="Repair what is safe to repair (stale runtime entries, temp files).")
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

    demo_mod.run(keep=keep, echo=click.echo)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
