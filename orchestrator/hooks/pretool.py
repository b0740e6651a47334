"""PreToolUse: refuse writes that break the plan; take the caller's lease otherwise (pure rules
over the payload and the repo's context)."""

from __future__ import annotations

import os

from orchestrator.hooks import index
from orchestrator.hooks.decision import NONE, Decision
from orchestrator.lifecycle import ACTIVE
from orchestrator.paths import case_insensitive

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from orchestrator.hooks.bash import BashWrites
    from orchestrator.hooks.bash.programs.orch import OrchCall
    from orchestrator.hooks.context import Context
    from orchestrator.hooks.payload import Payload

STATE = ".orch"


def decide(payload: Payload, ctx: Context) -> Decision:
    if payload.tool_name.startswith("mcp__"):  # writes nothing itself: only hand over the caller
        from orchestrator.hooks import mcpcalls

        mcpcalls.offer(payload, ctx)
        return NONE
    unusable = payload.unusable_path()
    if unusable is not None:
        return Decision("deny", f"{unusable}: what it would write cannot be known. Name the file plainly.")
    found = _analysed(payload)
    paths, opaque, mentions, calls = targets(payload, found)
    cwd = payload.cwd or ctx.root
    verdict = _protected(ctx, paths, opaque, mentions, cwd)
    if verdict is None and found is not None:
        verdict = _unseen(found) or _git_rules(found, ctx, paths)
    if verdict is None and calls:
        from orchestrator.hooks import orchcalls  # only a Bash call that runs orch needs it

        verdict = orchcalls.check(calls, payload, ctx)
    if verdict is None and paths:
        rels = [r for r in (ctx.relative(p, cwd) for p in paths) if r is not None]
        verdict = _binding_rules(payload, ctx, rels)
    if verdict is None and payload.tool_name == "Bash":
        from orchestrator import jail

        verdict = jail.before_bash(payload, ctx)
    if verdict is None and calls:
        from orchestrator.hooks import orchcalls

        orchcalls.offer(calls, payload, ctx)
    return verdict or NONE


def targets(
    payload: Payload, found: BashWrites | None = None
) -> tuple[list[str], tuple[str, ...], tuple[str, ...], tuple[OrchCall, ...]]:
    """(files and folders written, opaque writers, paths they mention, orch calls)."""
    written = payload.written_file()
    if written:
        return [written], (), (), ()
    found = found or _analysed(payload)
    if found is None:
        return [], (), (), ()
    return _expanded(found.paths), found.opaque, tuple(_expanded(found.mentions)), found.orch


def _analysed(payload: Payload) -> BashWrites | None:
    if payload.tool_name != "Bash" or not payload.command():
        return None
    from orchestrator.hooks.bash import written_paths

    return written_paths(payload.command(), payload.cwd or os.getcwd())


def _unseen(found: BashWrites) -> Decision | None:
    if not found.unseen:
        return None
    return Decision(
        "deny",
        f"this command runs code orch cannot read ({', '.join(found.unseen)} fed by a pipe, a "
        "substitution or a download), so nothing in it can be checked. Write the code to a file you "
        "can read, then run that file.",
    )


def _git_rules(found: BashWrites, ctx: Context, paths: list[str]) -> Decision | None:
    """git subcommands that can rewind or discard the work tree: ask git which files they would
    change, then check those files like any other write (orch's state first)."""
    if not found.git:
        return None
    from orchestrator.hooks import gitguard

    for op in found.git:
        files, refusal = gitguard.resolve(op)
        if refusal is not None:
            return Decision("deny", refusal)
        verdict = _protected(ctx, files, (), (), op.cwd)
        if verdict is not None:
            shown = _shown(ctx, _first_guarded(ctx, files), op.cwd)
            return Decision("deny", f"`git {op.name}` would change {shown}, orch's own state. {GIT_HINT}")
        paths.extend(files)
    return None


def _first_guarded(ctx: Context, files: list[str]) -> str:
    guarded = ctx.protected_folders()
    return next(f for f in files if _covers(guarded, os.path.realpath(f), folder=True))


GIT_HINT = (
    "git may bring recorded history forward (pull, merge, rebase, cherry-pick) but not rewind or "
    "discard orch's state: commit `.orch/` first (`git add .orch && git commit -m ...`), or leave it out "
    "of the command (`-- . ':!.orch'`)."
)


def _expanded(words: tuple[str, ...]) -> list[str]:
    """Unquoted globs as the shell will expand them (`rm .or*`, `cp x src/*.py`); a glob that
    matches nothing stays as written, as in bash."""
    result: list[str] = []
    for word in words:
        if "*" in word or "?" in word or "[" in word:
            import glob

            result.extend(sorted(glob.glob(word)) or [word])
        else:
            result.append(word)
    return result


def in_state(rel: str | None) -> bool:
    return rel is not None and (rel == STATE or rel.startswith(STATE + "/"))


def _protected(
    ctx: Context, paths: list[str], opaque: tuple[str, ...], mentions: tuple[str, ...], cwd: str
) -> Decision | None:
    """orch's state and the runtime folder: never writable by an agent, whatever the config or
    the rest of the state says. A folder written (removed, moved, extracted over) is a write to
    everything below it, so a path above a protected folder is refused too."""
    real = [(p, _real(p, cwd)) for p in paths]
    hit = next((p for p, r in real if _covers(ctx.guarded_for(r), r, folder=True)), None)
    if hit is None and opaque:
        guarded = ctx.protected_folders()
        hit = next((m for m in mentions if _covers(guarded, _real(m, cwd), folder=False)), None)
    if hit is None:
        return None
    return Decision(
        "deny",
        f"{_shown(ctx, hit, cwd)} is (or holds) orch's own state, written only by orch. Change it "
        "through the orch CLI (`orch start`, `orch move`, `orch block`, `orch done`, "
        "`orch plan add`), not by writing, moving or removing files.",
    )


def _real(path: str, cwd: str) -> str:
    return os.path.realpath(os.path.join(cwd, path))


def _covers(guarded: tuple[str, ...], path: str, folder: bool) -> bool:
    """`path` lies in a guarded folder, or (a folder write) a guarded folder lies below it.
    Compared without case where the file system ignores it (`.ORCH` is `.orch` there)."""
    fold = any(case_insensitive(os.path.dirname(top)) for top in guarded)
    path = path.lower() if fold else path
    for top in guarded:
        top = top.lower() if fold else top
        if path == top or path.startswith(top + os.sep):
            return True
        if folder and top.startswith(path.rstrip(os.sep) + os.sep):
            return True
    return False


def _shown(ctx: Context, path: str, cwd: str) -> str:
    return ctx.relative(path, cwd) or os.path.realpath(os.path.join(cwd, path))


def _binding_rules(payload: Payload, ctx: Context, rels: list[str]) -> Decision | None:
    task = ctx.bound_task(payload.caller)
    if task is None and rels and ctx.policy("require_task"):
        return Decision(
            "deny",
            "no orch task is bound to you, and this repo requires one before "
            "writing files (policy require_task). Run /orch:next to see ready work, "
            "then `orch start ID`.",
        )
    if task is not None and task.get("status") in ACTIVE:
        bound = ctx.binding_of(payload.caller)
        ctx.runtime.touch(task["id"], payload.caller, bound[1] if bound else None)
        waits = ctx.unfinished_dependencies(task)
        if waits:
            return Decision(
                "deny",
                f"your task {task['id']} ({task.get('title', '')}) depends on "
                f"unfinished tasks: {', '.join(waits)}. Wait until they are completed "
                "(`orch status`), or take a ready task (/orch:next).",
            )
    for rel in rels:
        folder = rel == "." or os.path.isdir(os.path.join(ctx.root, rel))
        verdict = _ownership(rel, task, ctx, folder) or _lease(rel, task, payload, ctx, folder)
        if verdict is not None:
            return verdict
    return None


def _ownership(rel: str, task: dict[str, Any] | None, ctx: Context, folder: bool) -> Decision | None:
    """A file declared by a task that may not be worked on yet, or by another agent's task; for a
    folder (removed, moved, extracted over), any such file below it."""
    mine = task["id"] if task is not None else None
    if folder:
        owners = [e for e in index.owners_below(rel, ctx.state_dir, ctx.runtime.dir) if e[1] != mine]
    else:
        owners = index.owners(rel, ctx.state_dir, ctx.runtime.dir)
        if any(entry[1] == mine for entry in owners):
            return None
    what = f"{rel} holds files of" if folder else f"{rel} belongs to"
    for _glob, owner, status, title, waits in owners:
        if waits:
            return Decision(
                "deny",
                f"{what} task {owner} ({title}), which cannot start yet: "
                f"it waits on {', '.join(waits)}. Work on a ready task instead "
                "(/orch:next), or wait for those to complete.",
            )
        if status in ACTIVE:
            return Decision(
                "deny",
                f"{what} task {owner} ({title}), which another agent has "
                f"in progress. Keep to your own task's files, or wait until {owner} "
                "is completed.",
            )
    return None


def _lease(rel: str, task: dict[str, Any] | None, payload: Payload, ctx: Context,
           folder: bool) -> Decision | None:
    mine = task["id"] if task is not None else None
    where, path = rel, rel
    if folder:
        below = "" if rel == "." else rel + "/"
        leased = ctx.runtime.live_leases().items()
        path, conflict = next(((p, lease) for p, lease in leased
                               if p.startswith(below) and lease.get("task") != mine), (rel, None))
        where = f"{rel} holds {path}, which"
    elif task is not None and task.get("status") == "in_progress":
        ttl = ctx.lease_ttl()
        conflict = ctx.runtime.take_lease(rel, task["id"], payload.caller, payload.session_id, ttl)
    else:
        conflict = ctx.runtime.live_leases().get(rel)
    if conflict is None:
        return None
    return Decision(
        "deny",
        f"{where} is leased by task {conflict.get('task')} (held by "
        f"{conflict.get('holder')} since {conflict.get('since')}, until "
        f"{conflict.get('expires')}). Wait for {conflict.get('task')} to finish, "
        f"work on other files, or ask the human to run `orch unlock {path}`.",
    )
