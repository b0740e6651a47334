"""Plans: `orch plan convert|add|expand|export|show`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from orchestrator import render, views, workflow
from orchestrator.cli.base import cli, emit, json_option, plan_option
from orchestrator.errors import OrchError
from orchestrator.schedule import Schedule
from orchestrator.store import Store

# -- plan -------------------------------------------------------------------------------------


@cli.group()
def plan() -> None:
    """Convert, load and show plans."""


def strict_option(func: Any) -> Any:
    help_text = "Refuse the file on the first warning (a task without an id, an unknown reference, …)."
    return click.option("--strict", is_flag=True, help=help_text)(func)


def _warn(loaded: dict[str, Any]) -> None:
    """The parser's warnings, one `file:line: field: message` line each, on stderr."""
    for warning in loaded.get("warnings", []):
        click.echo(f"orch: warning: {warning['text']}", err=True)


def tag_option(func: Any) -> Any:
    help_text = "Only this tag of a tagged Taskmaster tasks.json (default: a plan per tag)."
    return click.option("--tag", help=help_text)(func)


@plan.command("convert")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "plan_id", help="Plan id (default: from the file).")
@tag_option
@strict_option
def plan_convert(file: Path, plan_id: str | None, tag: str | None, strict: bool) -> None:
    """Print FILE as orch's normalised plan JSON (writes nothing); warnings also go to stderr, and a
    note naming the specialists inferred from task titles (`specialist_inferred` in the JSON). A
    tagged Taskmaster file with several tags prints a list, a plan per tag."""
    from orchestrator import tagged

    tasks, rules = _repo_context()
    loaded = tagged.load_plans(tasks, file, tag=tag, plan_id=plan_id, strict=strict, rules=rules)
    for each in loaded:
        _warn(each)
        _note_inferred(each)
    emit(loaded[0] if len(loaded) == 1 else loaded)


def _note_inferred(loaded: dict[str, Any], shown: int = 12) -> None:
    """One stderr line: the inferred roles other than the default, then how many got the default
    (a real Taskmaster file of 54 tasks otherwise prints a line of 54 names)."""
    inferred = [t for t in loaded["tasks"] if t.get("specialist_inferred")]
    named = [f"{t['id']} {t['specialist']}" for t in inferred if t["specialist"] != "implementer"]
    parts = named[:shown] + ([f"{len(named) - shown} more"] if len(named) > shown else [])
    plain = len(inferred) - len(named)
    parts += [f"{plain} task(s) implementer"] if plain else []
    if parts:
        click.echo(f"orch: note: specialist inferred from the title (the plan names none): "
                   f"{', '.join(parts)}", err=True)


def _repo_context() -> tuple[list[dict[str, Any]], dict[str, list[str]] | None]:
    """The repo's tasks and specialist rules; none and the built-in rules outside a repo."""
    from orchestrator import roles

    try:
        store = Store.discover()
        return store.summaries(), roles.rules_of(store.config())
    except OrchError:
        return [], roles.BUILT_IN


@plan.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "plan_id", help="Plan id (default: from the file).")
@click.option("--replace", is_flag=True, help="Replace the plan of the same id; kept tasks keep their state.")
@tag_option
@strict_option
@json_option
def plan_add(file: Path, plan_id: str | None, replace: bool, tag: str | None, strict: bool,
             as_json: bool) -> None:
    """Validate FILE and load it into `.orch/` (a tagged Taskmaster file: a plan per tag)."""
    from orchestrator import tagged

    store = Store.discover()
    actor = workflow.actor_for(store)
    added = tagged.add_plans(store, file, tag=tag, plan_id=plan_id, replace=replace, actor=actor,
                             strict=strict)
    _added(added, file, as_json)


def _added(added: list[dict[str, Any]], file: Path, as_json: bool) -> None:
    for loaded in added:
        _warn(loaded)
    rows = [{"plan": loaded["plan"]["id"], "tasks": len(loaded["tasks"]), "warnings": loaded["warnings"]}
            for loaded in added]
    if as_json:
        emit(rows[0] if len(rows) == 1 else rows)
        return
    for row in rows:
        click.echo(f"Added plan {row['plan']!r} ({row['tasks']} tasks) from {file}. Next: `orch next`.")


@plan.command("expand")
@click.argument("task_id", metavar="TASK")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "plan_id", help="Id of the sub-plan (default: from the file).")
@click.option("--replace", is_flag=True, help="Replace TASK's sub-plan; kept tasks keep their state.")
@tag_option
@strict_option
@json_option
def plan_expand(task_id: str, file: Path, plan_id: str | None, replace: bool, tag: str | None, strict: bool,
                as_json: bool) -> None:
    """Make TASK a parent whose children are the tasks of FILE (any plan format): they inherit its
    dependencies and milestone, and TASK completes when its last child does and its gates pass."""
    from orchestrator import subplans

    store = Store.discover()
    loaded = subplans.expand(store, task_id, file, plan_id=plan_id, replace=replace,
                             actor=workflow.actor_for(store), strict=strict, tag=tag)
    _warn(loaded)
    if as_json:
        emit({"plan": loaded["plan"]["id"], "parent": task_id, "tasks": len(loaded["tasks"]),
              "warnings": loaded["warnings"]})
        return
    click.echo(f"Expanded {task_id} into plan {loaded['plan']['id']!r} ({len(loaded['tasks'])} child tasks) "
               f"from {file}. Next: `orch next`.")


@plan.command("export")
@click.argument("plan_id", metavar="PLAN")
@click.option("--format", "fmt", type=click.Choice(["speckit"]), default="speckit", show_default=True,
              help="The format to write.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (default: stdout).")
def plan_export(plan_id: str, fmt: str, output: Path | None) -> None:
    """Write PLAN back as a spec-kit task list, completed tasks ticked `[x]`."""
    from orchestrator.plans import speckitexport

    store = Store.discover()
    plan = views.select_plan(store, plan_id)[0]
    tasks = sorted((t for t in store.tasks() if t["plan"] == plan["id"]), key=lambda t: t.get("position", 0))
    sources = store.plan_sources(plan["id"])
    source = sources[0].read_text(encoding="utf-8") if sources else None
    text = speckitexport.export(plan, tasks, source)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote plan {plan['id']!r} to {output} ({fmt}).")


@plan.command("show")
@plan_option
@click.option("--graph", type=click.Choice(["mermaid"]), help="Print the dependency graph.")
@json_option
def plan_show(plan_id: str | None, graph: str | None, as_json: bool) -> None:
    """Show the loaded plan(s): tasks, dependencies, critical path."""
    from orchestrator import graph as graph_mod
    from orchestrator import mermaid
    from orchestrator.hierarchy import with_child_edges

    store = Store.discover()
    plans = views.select_plan(store, plan_id)
    wanted = {p["id"] for p in plans}
    tasks = [t for t in store.tasks() if t["plan"] in wanted]
    critical = graph_mod.critical_path(with_child_edges(tasks))
    order = Schedule.from_config(store.config())
    if graph == "mermaid":
        click.echo(mermaid.dependency_graph(tasks, critical[0]), nl=False)
    elif as_json:
        emit(
            {
                "plans": plans,
                "tasks": tasks,
                "critical_path": {"tasks": critical[0], "hours": critical[1]},
                "waves": graph_mod.waves(tasks, order),
            }
        )
    else:
        for one in plans:
            mine = [t for t in tasks if t["plan"] == one["id"]]
            waves = graph_mod.waves(mine, order)
            click.echo(render.plan_text(one, mine, graph_mod.critical_path(with_child_edges(mine)), waves))
