"""What decides enforcement is anchored in the receipts: a hand edit of a task's dependencies,
files or gates, a plan's gates or the config's gates/policy is reported by `orch verify`, and
`orch start` refuses a task whose enforcing fields were edited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Orch


def edit(path: Path, **changes: object) -> None:
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data, indent=2))


@pytest.mark.parametrize("changes", [{"depends_on": []}, {"files": ["**"]}, {"files": []},
                                     {"gates": [{"name": "x", "command": "true"}]}])
def test_a_hand_edit_of_what_decides_enforcement_fails_verify_and_start(
    planned: Path, orch: Orch, changes: dict[str, object]
) -> None:
    assert orch("verify")[0] == 0
    edit(planned / ".orch/tasks/B.json", **changes)
    code, out, _err = orch("verify", "--json")
    assert code == 1
    assert "task B's dependencies, files or gates differ" in json.loads(out)["first_bad"]["reason"]
    orch("start", "A", "--agent", "ag")
    orch("move", "A", "completed", "--agent", "ag")
    code, _out, err = orch("start", "B", "--agent", "ag2")
    assert code == 1 and "edited outside orch" in err


def test_replacing_the_plan_is_the_way_to_change_them(planned: Path, orch: Orch) -> None:
    plan = planned / "plan.md"
    text = plan.read_text().replace("- depends_on: A\n- files: src/api/*.py", "- files: src/api/*.py")
    plan.write_text(text)
    assert orch("plan", "add", "--replace", "plan.md")[0] == 0
    assert orch("verify")[0] == 0
    assert orch("start", "B", "--agent", "ag")[0] == 0


def test_a_plans_gates_and_the_config_are_anchored_too(planned: Path, orch: Orch) -> None:
    edit(planned / ".orch/plans/web.json", gates=[{"name": "lint", "command": "true"}])
    code, out, _err = orch("verify", "--json")
    assert code == 1 and "plan web's gates differ" in json.loads(out)["first_bad"]["reason"]
    edit(planned / ".orch/plans/web.json", gates=[])
    assert orch("verify")[0] == 0
    assert orch("config", "policy.require_task", "true")[0] == 0
    assert orch("verify")[0] == 0
    config = planned / ".orch/config.json"
    data = json.loads(config.read_text())
    data["policy"]["require_task"] = False
    config.write_text(json.dumps(data))
    code, out, _err = orch("verify", "--json")
    assert code == 1 and "config.json's gates or policy differ" in json.loads(out)["first_bad"]["reason"]
