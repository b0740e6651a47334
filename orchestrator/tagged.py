"""A tagged Taskmaster file is a plan per tag: `orch plan add` and `plan convert` of one.

Without `--tag` every tag of the file is loaded, each as its own plan (its id is the tag); with
it, only that tag. Any other file is one plan, as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestrator import planload
from orchestrator.errors import InvalidInput
from orchestrator.roles import BUILT_IN
from orchestrator.store import Store


def add_plans(store: Store, source: Path, *, tag: str | None = None, plan_id: str | None = None,
              replace: bool = False, actor: str = "orch", strict: bool = False) -> list[dict[str, Any]]:
    """`orch plan add`: the plan of each tag (see the module docstring), each added on its own."""
    return [planload.add_plan(store, source, replace=replace, plan_id=plan_id, actor=actor, strict=strict,
                              tag=each) for each in _tags(source, tag, plan_id)]


def load_plans(tasks: list[dict[str, Any]], source: Path, *, tag: str | None = None,
               plan_id: str | None = None, strict: bool = False,
               rules: dict[str, list[str]] | None = BUILT_IN) -> list[dict[str, Any]]:
    """`orch plan convert`: the normalised plan of each tag, checked against the repo's `tasks`,
    specialists inferred by `rules`."""
    chosen = _tags(source, tag, plan_id)
    return [planload.load_against(tasks, source, plan_id, strict, each, specialist_rules=rules)
            for each in chosen]


def _tags(source: Path, tag: str | None, plan_id: str | None) -> list[str | None]:
    from orchestrator.plans import plan_tags

    found = plan_tags(source) if tag is None else []
    if len(found) <= 1:
        return [tag]
    if plan_id is not None:
        raise InvalidInput(f"{source} has the tags {', '.join(found)}, a plan each: --id names one plan, so "
                           "pass --tag TAG with it")
    return list(found)
