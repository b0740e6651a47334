"""Guidance for the specialist a task names: the task itself, then how that role does its work.

Built-in roles are templates in `orchestrator/templates/specialists/` (overridable like every
template, from `.orch/templates/specialists/`). A repo adds a role, or replaces a built-in one, with
`.orch/specialists/<role>.md`: plain Markdown, or Jinja2 with the same context plus `builtin`, the
guidance orch would have given, so a file can extend it with `{{ builtin }}`. A role with no
guidance anywhere gets the implementer's, with a line naming the role.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.reports import normalised, render_source, render_string

if TYPE_CHECKING:
    from orchestrator.store import Store

BUILT_IN = ("architect", "implementer", "tester", "reviewer", "documenter")
FALLBACK = "implementer"
_ROLE = re.compile(r"[a-z0-9][a-z0-9_-]*")


def roles(store: Store) -> list[str]:
    """The built-in roles, then the repo's own (`.orch/specialists/*.md`) in name order."""
    folder = _user_folder(store)
    found = sorted(p.stem for p in folder.glob("*.md") if _ROLE.fullmatch(p.stem)) if folder.is_dir() else []
    return [*BUILT_IN, *(role for role in found if role not in BUILT_IN)]


def role_of(task: dict[str, Any]) -> str:
    """The task's role, lower-case with `-` for spaces; the implementer when it names none."""
    return re.sub(r"\s+", "-", str(task.get("specialist") or FALLBACK).strip().lower()) or FALLBACK


def guidance(store: Store, task: dict[str, Any]) -> str:
    """The task (what, acceptance, steps, files, dependencies), then its role's guidance."""
    task = normalised(task)
    context = _context(store, task, role_of(task))
    header = render_string("specialists/_task.md.j2", store=store, **context)
    return f"{header}\n{_role_guidance(store, context).rstrip()}\n"


def _role_guidance(store: Store, context: dict[str, Any]) -> str:
    """The repo's file for the role if there is one, else orch's (the implementer's if unknown)."""
    role = context["role"]
    template = f"specialists/{role if role in BUILT_IN else FALLBACK}.md.j2"
    builtin = render_string(template, store=store, **context)
    own = _user_file(store, role)
    if own is not None:
        source = own.read_text(encoding="utf-8")
        return render_source(source, str(own), store=store, builtin=builtin, **context)
    if role not in BUILT_IN:
        return f"orch has no guidance for the role {role!r}: follow the implementer's.\n\n{builtin}"
    return builtin


def _context(store: Store, task: dict[str, Any], role: str) -> dict[str, Any]:
    dependencies = []
    for dep in task["depends_on"]:
        other = store.task_or_none(dep)
        dependencies.append({"id": dep, "title": other["title"] if other else "(unknown task)",
                             "status": other["status"] if other else "missing",
                             "artifacts": sorted(other.get("artifacts") or []) if other else []})
    plan = store.plan(task["plan"]) or {"id": task["plan"], "title": task["plan"]}
    return {"task": task, "role": role, "plan": plan, "dependencies": dependencies}


def _user_folder(store: Store) -> Path:
    return store.dir / "specialists"


def _user_file(store: Store, role: str) -> Path | None:
    if not _ROLE.fullmatch(role):
        return None
    path = _user_folder(store) / f"{role}.md"
    return path if path.is_file() else None
