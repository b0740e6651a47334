"""The YAML parts of a plan (frontmatter, gate lists): loading and validating them.

Errors name the line of the YAML node at fault, so a pydantic error reads as `file:line: field`.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

import yaml  # type: ignore[import-untyped, unused-ignore]
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from pydantic import Field as PydanticField

from orchestrator import gatekinds
from orchestrator.errors import PlanError

_T = TypeVar("_T")


class GateModel(BaseModel):
    """A quality gate as a plan writes it."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    command: str = PydanticField(min_length=1)
    kind: Literal["plain", "pytest", "unittest", "coverage", "ruff", "mypy"] = "plain"
    timeout: float = PydanticField(default=600.0, gt=0, allow_inf_nan=False)
    cwd: str | None = None
    threshold: float | None = None
    report: str | None = None


GATES: TypeAdapter[list[GateModel]] = TypeAdapter(list[GateModel])


def gate_dicts(gates: list[GateModel]) -> list[dict[str, Any]]:
    """Gates as plain dicts; a gate without a kind gets the one its command shows (pytest,
    unittest: `gatekinds.infer_kind`), and one without a name is named after its kind or command."""
    found = [gate.model_dump() for gate in gates]
    for model, gate in zip(gates, found, strict=True):
        if "kind" not in model.model_fields_set:
            gate["kind"] = gatekinds.infer_kind(gate["command"])
        if not gate["name"]:
            gate["name"] = gate["kind"] if gate["kind"] != "plain" else gate["command"].split()[0]
    return found


def load_yaml(text: str, file: str, first: int, label: str) -> tuple[Any, Any]:
    """(data, node tree) of YAML `text` whose first line is line `first` of `file`."""
    try:
        return yaml.safe_load(text), yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first + mark.line if mark is not None else first
        raise PlanError(file, line, label, f"YAML syntax error: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise PlanError(file, first, label, f"YAML error: {exc}") from None


def validate(adapter: TypeAdapter[_T], data: Any, where: tuple[str, int, Any], prefix: str = "") -> _T:
    """`data` validated by `adapter`; an error names the line of the YAML node at fault.

    `where` is (file, line of the node tree's first line, node tree or None).
    """
    file, first, node = where
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(error["loc"])
        line = first + node_line(node, loc)
        label = _loc_label(prefix, loc)
        raise PlanError(file, line, label, _problem(error, label)) from None


def node_line(node: Any, loc: tuple[Any, ...]) -> int:
    """The 0-based line of the YAML node at `loc` in a node tree, or of its nearest parent."""
    line = node.start_mark.line if node is not None else 0
    for part in loc:
        child = _child(node, part)
        if child is None:
            break
        node, line = child, child.start_mark.line
    return int(line)


def _child(node: Any, part: Any) -> Any:
    if isinstance(node, yaml.MappingNode):
        return next((value for key, value in node.value if key.value == part), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]
    return None


def _loc_label(prefix: str, loc: tuple[Any, ...]) -> str:
    label = prefix
    for part in loc:
        label += f"[{part}]" if isinstance(part, int) else (f".{part}" if label else str(part))
    return label or "value"


def _problem(error: Any, label: str) -> str:
    key = error["loc"][-1] if error["loc"] else label.rsplit(".", 1)[-1]
    kind, value = error["type"], error["input"]
    if kind == "missing":
        return f"missing required key '{key}'"
    if kind == "extra_forbidden" and "gates" in label:
        return f"unknown key '{key}' (allowed: {', '.join(GateModel.model_fields)})"
    if kind == "extra_forbidden":
        return f"unknown key '{key}'"
    if kind == "literal_error":
        return f"bad {key} {value!r}: expected {error['ctx']['expected']}"
    message = str(error["msg"])
    return f"bad {key} {value!r}: {message[:1].lower()}{message[1:]}"
