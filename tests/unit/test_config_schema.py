"""`orch config KEY VALUE` checks the whole result against the schema and writes nothing when it
fails (exit 2, the message naming the setting and what it should be)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator import configschema, gatekinds
from orchestrator.config import DEFAULTS
from tests.conftest import Orch

GATE = {"name": "tests", "command": "pytest -q", "kind": "pytest"}
COVERAGE = {**GATE, "kind": "coverage", "threshold": 85, "report": "cov.json", "cwd": "src", "timeout": 9}
FAST_CHECK = {"glob": "**/*.py", "command": "ruff check {path}", "timeout": 30}


@pytest.fixture
def initialised(repo: Path, orch: Orch) -> Path:
    assert orch("init")[0] == 0
    return repo / ".orch" / "config.json"


@pytest.mark.parametrize(
    ("key", "value", "named", "expected"),
    [
        ("lease_ttl_seconds", "abc", "lease_ttl_seconds", "should be a valid number"),
        ("lease_ttl_seconds", "0", "lease_ttl_seconds", "greater than 0"),
        ("lease_ttl_seconds", "NaN", "lease_ttl_seconds", "finite number"),
        ("dispatch.ttl", "0", "dispatch.ttl", "greater than 0"),
        ("dispatch.ttl", "soon", "dispatch.ttl", "should be a valid number"),
        ("dispatch.ttl", "true", "dispatch.ttl", "should be a valid number"),
        ("dispatch.ttl", "Infinity", "dispatch.ttl", "finite number"),
        ("dispatch.ttle", "60", "'dispatch.ttle'", "known in dispatch: ttl"),
        ("stop.max_blocks", "x", "stop.max_blocks", "should be a valid integer"),
        ("stop.max_blocks", "1.5", "stop.max_blocks", "integer"),
        ("policy.require_task", "yes", "policy.require_task", "should be true or false"),
        ("policy.strict", "1", "policy.strict", "should be true or false"),
        ("policy", "5", "policy", "should be a JSON object"),
        ("gates", '"make test"', "gates", "should be a JSON list"),
        ("gates", '[{"name":"t","command":"x","kind":"nope"}]', "gates[0].kind",
         f"one of {', '.join(gatekinds.KINDS)}"),
        ("gates", '[{"name":"t","command":""}]', "gates[0].command", "at least 1 character"),
        ("gates", '[{"name":"t","command":"x","timeout":"5"}]', "gates[0].timeout", "number"),
        ("gates", '[{"name":"t","command":"x","threshold":101}]', "gates[0].threshold", "100"),
        ("gates", '[{"name":"t","command":"x","shell":"zsh"}]', "gates[0].shell", "known in gates[0]: name"),
        ("fast_checks", '[{"glob":"*.py"}]', "fast_checks[0].command", "required"),
        ("fast_checks", '[{glob: "*.py"}]', "fast_checks", "not valid JSON, so it was read as a string"),
        ("wip", '{"doing": 2}', "wip", "'doing' is not a status"),
        ("wip", '{"in_progress": -1}', "wip", "0 or more"),
        ("wip.in_progress", "-1", "wip", "0 or more"),  # a negative VALUE is a value, not an option
        ("lease_ttl_seconds", "-5", "lease_ttl_seconds", "greater than 0"),
        ("wip.in_progress", "true", "wip", "integer"),
        ("workflow.review", '"no"', "workflow.review", "true or false"),
        ("commit_on_done", "null", "commit_on_done", "true or false"),
        ("commit_template", "[]", "commit_template", "string"),
        ("schema", "2", "schema", "should be 1"),
        ("no.such.key", "1", "'no'", "known: schema, policy"),
        ("policy.nope", "true", "'policy.nope'", "known in policy: require_task, strict"),
        ("gates.x", "1", "gates", "not a table"),
    ],
)
def test_an_invalid_value_is_refused_and_nothing_written(
    initialised: Path, orch: Orch, key: str, value: str, named: str, expected: str
) -> None:
    before = initialised.read_bytes()
    code, out, err = orch("config", key, value)
    assert (code, out) == (2, "")
    assert err.startswith(f"orch: cannot set {key}: ") and named in err and expected in err, err
    assert "nothing was written" in err
    assert initialised.read_bytes() == before


@pytest.mark.parametrize(
    ("key", "value", "stored"),
    [
        ("policy.require_task", "true", True),
        ("policy.strict", "false", False),
        ("lease_ttl_seconds", "60", 60),
        ("lease_ttl_seconds", "90.5", 90.5),
        ("stop.max_blocks", "0", 0),
        ("dispatch.ttl", "60", 60),
        ("dispatch.ttl", "0.5", 0.5),
        ("workflow", '{"review": true, "testing": false}', {"review": True, "testing": False}),
        ("wip", '{"in_progress": 2}', {"in_progress": 2}),
        ("wip.review", "1", 1),
        ("gates", json.dumps([GATE]), [GATE]),
        ("gates", json.dumps([{"command": "make lint"}]), [{"command": "make lint"}]),
        ("gates", json.dumps([COVERAGE]), [COVERAGE]),
        ("fast_checks", json.dumps([FAST_CHECK]), [FAST_CHECK]),
        ("fast_checks", "[]", []),
        ("commit_on_done", "true", True),
        ("commit_template", "orch: {id} done", "orch: {id} done"),
    ],
)
def test_a_valid_value_is_stored(initialised: Path, orch: Orch, key: str, value: str, stored: object) -> None:
    code, out, err = orch("config", key, value)
    assert code == 0, err
    assert out.startswith(f"{key} = ")
    node = json.loads(initialised.read_text())
    for part in key.split("."):
        node = node[part]
    assert node == stored
    assert orch("config", key.split(".")[0])[0] == 0


def test_show_and_show_one_are_unchanged(initialised: Path, orch: Orch) -> None:
    code, out, _err = orch("config")
    assert code == 0 and json.loads(out)["lease_ttl_seconds"] == 1800
    assert orch("config", "stop.max_blocks")[1].strip() == "3"
    assert orch("config", "dispatch.ttl")[1].strip() == "300"
    assert orch("config", "no.such.key")[0] == 2


def test_a_broken_setting_already_on_disk_is_named_when_another_is_set(initialised: Path, orch: Orch) -> None:
    data = json.loads(initialised.read_text())
    initialised.write_text(json.dumps({**data, "lease_ttl_seconds": "soon"}))
    code, _out, err = orch("config", "policy.strict", "true")
    assert code == 2 and "lease_ttl_seconds: should be a valid number" in err
    assert orch("config", "lease_ttl_seconds", "1800")[0] == 0
    assert orch("config", "policy.strict", "true")[0] == 0


def test_the_defaults_and_every_documented_key_pass_the_schema() -> None:
    configschema.validate(dict(DEFAULTS), "schema")
    docs = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
    for name, field in configschema.Config.model_fields.items():
        assert f"`{field.alias or name}" in docs, name


def test_the_hooks_never_import_the_schema() -> None:
    """pydantic on every tool call would cost more than the rest of the hook (test_hot_path)."""
    hooks = Path(configschema.__file__).parent / "hooks"
    assert not [module for module in hooks.rglob("*.py") if "configschema" in module.read_text()]


@pytest.mark.parametrize(("table", "expected"), [({"ttl": 42}, 42.0), ({"ttl": 0}, 300.0),
                                                 ({"ttl": "5"}, 300.0), ({"ttl": True}, 300.0),
                                                 ("soon", 300.0), (None, 300.0)])
def test_dispatch_ttl_reads_a_hand_broken_value_as_its_default(table: object, expected: float) -> None:
    from orchestrator.config import dispatch_ttl

    assert dispatch_ttl({} if table is None else {"dispatch": table}) == expected
