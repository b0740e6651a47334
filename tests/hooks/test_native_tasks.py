"""TaskCompleted: completing one of Claude Code's own tasks that names an orch task is refused
while that task's gates fail, with the gate's output; other native tasks are not governed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Orch
from tests.hooks.conftest import payload, run_hook

GATE = [{"name": "design", "command": "test -f docs/design.md", "kind": "plain", "timeout": 30}]


@pytest.fixture
def gated(planned: Path, orch: Orch) -> Path:
    assert orch("config", "gates", json.dumps(GATE))[0] == 0
    assert orch("start", "A", "--agent", "agent-a")[0] == 0
    return planned


def completed(repo: Path, subject: str, description: str = "") -> str | None:
    """The reason the hook blocks the completion with, or None."""
    data = payload("TaskCompleted", cwd=str(repo), task_subject=subject, task_description=description)
    run = run_hook("TaskCompleted", data)
    assert run.code == 0
    return run.json["reason"] if run.stdout.strip() else None


@pytest.mark.parametrize("subject", ["A: write the design", "[A] write the design", "#A design"])
def test_a_native_task_naming_an_orch_task_waits_for_its_gates(gated: Path, subject: str) -> None:
    reason = completed(gated, subject)
    assert reason is not None and "orch task A" in reason and "gate 'design'" in reason, reason
    (gated / "docs").mkdir(exist_ok=True)
    (gated / "docs" / "design.md").write_text("# design\n")
    assert completed(gated, subject) is None


def test_the_description_may_name_it(gated: Path) -> None:
    assert completed(gated, "Write the design", "This is orch task A.") is not None


def test_a_native_task_naming_no_orch_task_is_not_governed(gated: Path) -> None:
    assert completed(gated, "Refactor the helpers", "no orch task here") is None
    assert completed(gated, "../../etc/passwd: nope") is None


def test_a_finished_orch_task_is_not_checked_again(gated: Path, orch: Orch) -> None:
    assert orch("cancel", "A", "--agent", "agent-a")[0] == 0
    assert completed(gated, "A: write the design") is None
