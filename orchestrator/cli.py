"""The `orch` command: thin click commands over the library, one error boundary in `main`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from orchestrator import __version__, render, workflow
from orchestrator.errors import InvalidInput, OrchError
from orchestrator.jsonfile import readable
from orchestrator.schedule import Schedule
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


def emit(data: Any) -> None:
    """JSON on stdout: indented for a person at a terminal, compact (and much faster to write at
    10,000 tasks: the C encoder cannot indent) for a program reading a pipe."""
    indent = 2 if sys.stdout.isatty() else None
    click.echo(json.dumps(data, indent=indent, ensure_ascii=False))


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
    import os

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
    plan = workflow.select_plan(store, plan_id)[0]
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
    plans = workflow.select_plan(store, plan_id)
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
    for one in workflow.select_plan(store, plan_id):
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
@click.option("--keep", is_flag=True, help="Keep the temporary repository and print its path.")
def demo(keep: bool) -> None:
    """Walk the bundled example plan in a temporary git repository."""
    from orchestrator import demo as demo_mod

    demo_mod.run(main, keep=keep, write=click.echo)


@cli.command("mcp")
@click.option("--repo", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The repository to serve (default: the current directory's).")
def mcp_(repo: Path | None) -> None:
    """Serve orch's tools to an MCP client over stdin/stdout, until stdin closes (see docs/mcp.md)."""
    from orchestrator.mcp.server import serve

    serve((repo or Path.cwd()).resolve())


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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
