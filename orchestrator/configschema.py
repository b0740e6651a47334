"""The schema of `.orch/config.json`, checked by `orch config KEY VALUE` before anything is written.

pydantic, at the CLI edge only: the hooks read the config through `config.merged` and never import
this module. Every table forbids unknown keys, and values are strict (`"yes"` is not a boolean,
`true` is not a number), so a typo fails when it is made instead of being ignored by a hook.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from orchestrator import fixtask, gatekinds
from orchestrator.errors import InvalidInput
from orchestrator.lifecycle import STATUSES

_PLAIN = {"model_type": "should be a JSON object", "dict_type": "should be a JSON object",
          "list_type": "should be a JSON list", "bool_type": "should be true or false"}


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Policy(_Table):
    require_task: bool = False
    strict: bool = False
    require_outputs: bool = True
    jail: Literal["auto", "on", "off"] = "auto"
    test_first: bool = False
    require_acceptance: bool = False


class Stop(_Table):
    max_blocks: int = Field(default=3, ge=0)


class Workflow(_Table):
    review: bool = False
    testing: bool = False


class Dispatch(_Table):
    """How long `orch dispatch` keeps a task from `orch next` while its subagent starts."""

    ttl: float = Field(default=300, gt=0, allow_inf_nan=False)


class Schedule(_Table):
    """How ready work is ordered (`orchestrator.schedule`)."""

    strategy: Literal["priority", "fifo", "shortest", "deadline", "critical-path"] = "priority"
    mix: dict[str, int] = {}
    wip: dict[str, int] = {}

    @field_validator("mix", "wip")
    @classmethod
    def _counts(cls, counts: dict[str, int]) -> dict[str, int]:
        for category, count in counts.items():
            if not category.strip():
                raise ValueError("a category name must not be empty")
            if count < 0:
                raise ValueError(f"the number for {category!r} must be 0 or more")
        return counts


class Specialists(_Table):
    """Specialists inferred from a task's text when it names none (`orchestrator.roles`)."""

    infer: bool = True
    rules: dict[str, list[str]] = {}

    @field_validator("rules")
    @classmethod
    def _rules(cls, rules: dict[str, list[str]]) -> dict[str, list[str]]:
        for role, words in rules.items():
            if not role.strip() or any(not word.strip("* ") for word in words):
                raise ValueError(f"the rule for {role!r} needs a role name and non-empty words")
        return rules


class Andon(_Table):
    """What a gate that pulls the andon adds: `fix_task` true (or a title template) opens a fix task."""

    fix_task: bool | str = False

    @field_validator("fix_task")
    @classmethod
    def _title_template(cls, value: bool | str) -> bool | str:
        if isinstance(value, str):
            if not value.strip():
                raise ValueError("a fix task title template must not be empty (or use true)")
            try:
                fixtask.title_for(value, {"id": "T1", "title": "Title"}, "tests")
            except InvalidInput as exc:
                raise ValueError(str(exc).partition(": ")[2]) from exc
        return value


class Sync(_Table):
    """Team mode (`orchestrator.teams`): the remote `.orch/` is shared through; None keeps it off."""

    remote: str | None = Field(default=None, min_length=1)
    branch: str | None = Field(default=None, min_length=1)
    claim_timeout: float = Field(default=14400, gt=0, allow_inf_nan=False)
    on_session: bool = False
    timeout: float = Field(default=60, gt=0, allow_inf_nan=False)


class Gate(_Table):
    """A repo-wide gate (see `orchestrator.gates`)."""

    name: str | None = None
    command: str = Field(min_length=1)
    kind: str = "plain"
    timeout: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    cwd: str | None = None
    threshold: float | None = Field(default=None, ge=0, le=100, allow_inf_nan=False)
    report: str | None = None
    task: str | None = None

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind not in gatekinds.KINDS:
            raise ValueError(f"a gate kind is one of {', '.join(gatekinds.KINDS)}")
        return kind


class FastCheck(_Table):
    """Run by PostToolUse on each written file matching `glob`; `{path}` is that file."""

    glob: str = Field(min_length=1)
    command: str = Field(min_length=1)
    kind: str | None = None
    timeout: float = Field(default=30.0, gt=0, allow_inf_nan=False)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str | None) -> str | None:
        return None if kind is None else Gate._known_kind(kind)


class Config(_Table):
    schema_: Literal[1] = Field(default=1, alias="schema")
    policy: Policy = Policy()
    wip: dict[str, int] = {}
    lease_ttl_seconds: float = Field(default=1800, gt=0, allow_inf_nan=False)
    dispatch: Dispatch = Dispatch()
    stop: Stop = Stop()
    workflow: Workflow = Workflow()
    gates: list[Gate] = []
    fast_checks: list[FastCheck] = []
    commit_on_done: bool = True
    commit_template: str = Field(default="orch: complete {id} {title}", min_length=1)
    schedule: Schedule = Schedule()
    specialists: Specialists = Specialists()
    andon: Andon = Andon()
    sync: Sync = Sync()

    @field_validator("wip")
    @classmethod
    def _wip_limits(cls, wip: dict[str, int]) -> dict[str, int]:
        for status, limit in wip.items():
            if status not in STATUSES:
                raise ValueError(f"{status!r} is not a status (statuses: {', '.join(STATUSES)})")
            if limit < 0:
                raise ValueError(f"the limit for {status} must be 0 or more")
        return wip


def with_setting(raw: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """A copy of the raw config with the dotted `key` set to `value` (tables made as needed)."""
    result = copy.deepcopy(raw)
    *parents, last = key.split(".")
    node = result
    for depth, part in enumerate(parents):
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            where = ".".join(parents[: depth + 1])
            raise InvalidInput(f"cannot set {key}: {where} is not a table; nothing was written")
    node[last] = value
    return result


def validate(data: dict[str, Any], key: str, note: str = "") -> None:
    """InvalidInput (exit 2) naming what breaks the schema in `data`, the setting `key` first."""
    try:
        Config.model_validate(data)
    except ValidationError as exc:
        errors = sorted(exc.errors(), key=lambda error: not _under(error["loc"], key))
        problem = _problem(errors[0]).removeprefix(f"{_label(key.split('.'))}: ")
        raise InvalidInput(f"cannot set {key}: {problem}{note}; nothing was written") from None


def _under(loc: tuple[Any, ...], key: str) -> bool:
    parts = key.split(".")
    return [str(part) for part in loc[: len(parts)]] == parts[: len(loc)]


def _problem(error: Any) -> str:
    loc = [str(part) for part in error["loc"]]
    label = _label(loc)
    if error["type"] == "extra_forbidden":
        parents = loc[:-1]
        where = f" in {_label(parents)}" if parents else ""
        return f"no such setting {label!r} (known{where}: {', '.join(_known(parents))})"
    if error["type"] == "missing":
        return f"{label}: required, and missing"
    message = _PLAIN.get(error["type"]) or str(error["msg"]).removeprefix("Value error, ")
    message = message.replace("Input should be", "should be")
    return f"{label or 'the configuration'}: {message} (got {_shown(error.get('input'))})"


def _label(loc: list[str]) -> str:
    """`gates[0].kind` for the loc ("gates", 0, "kind")."""
    return "".join(f"[{part}]" if part.isdigit() else f".{part}" for part in loc).lstrip(".")


def _known(parents: list[str]) -> list[str]:
    """The setting names allowed at `parents` (a loc without the unknown key)."""
    model: type[BaseModel] = Config
    for part in parents:
        if part.isdigit():
            continue
        annotation = model.model_fields[part].annotation if part in model.model_fields else None
        inner = getattr(annotation, "__args__", (annotation,))[0]
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            return []
        model = inner
    return [field.alias or name for name, field in model.model_fields.items()]


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."
