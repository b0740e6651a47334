"""Through the real hook process: the Stop hook and PostToolUse fast checks record the runs of
test gates (a red one satisfies test first), and a Stop gate that ran no test blocks, saying so."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tests.conftest import Orch
from tests.hooks.conftest import payload, run_hook

TEST = (
    "from pathlib import Path\n\n\n"
    "def test_feature():\n    assert Path('feature.txt').read_text() == 'done'\n"
)
PYTEST = f"{sys.executable} -m pytest -q --tb=no -p no:cacheprovider"  # no traceback in a hook's answer


def runs(repo: Path) -> list[tuple[str, str]]:
    task: dict[str, Any] = json.loads((repo / ".orch" / "tasks" / "A.json").read_text())
    return [(run["source"], run["outcome"]) for run in task.get("test_runs", [])]


def setup_tests(repo: Path, orch: Orch, command: str = f"{PYTEST} tests") -> None:
    (repo / "tests").mkdir()
    (repo / "tests" / "__init__.py").write_text("")
    (repo / "tests" / "test_feature.py").write_text(TEST)
    (repo / "feature.txt").write_text("not yet")
    orch("config", "gates", json.dumps([{"name": "tests", "command": command, "timeout": 60}]))
    orch("config", "policy.test_first", "true")
    orch("config", "policy.require_outputs", "false")  # about test runs, not outputs
    orch("start", "A", "--agent", "sess-1")


def stop(repo: Path) -> dict[str, Any]:
    return payload("Stop.first", cwd=str(repo), session_id="sess-1")


def test_a_red_stop_check_counts_for_test_first(planned: Path, orch: Orch) -> None:
    setup_tests(planned, orch)
    blocked = run_hook("Stop", stop(planned), timeout=60)
    assert blocked.json["decision"] == "block" and "1 failed" in blocked.json["reason"]
    assert runs(planned) == [("Stop", "failed")]
    assert run_hook("Stop", stop(planned), timeout=60).json["decision"] == "block"
    assert runs(planned) == [("Stop", "failed")], "an unchanged tree answers from the cache"
    (planned / "feature.txt").write_text("done")
    assert run_hook("Stop", stop(planned), timeout=60).stdout == ""
    assert runs(planned) == [("Stop", "failed"), ("Stop", "passed")]
    code, out, err = orch("done", "A", "--agent", "sess-1")
    assert code == 0, out + err


def test_without_a_red_run_done_is_refused_after_a_green_stop(planned: Path, orch: Orch) -> None:
    setup_tests(planned, orch)
    (planned / "feature.txt").write_text("done")
    assert run_hook("Stop", stop(planned), timeout=60).stdout == ""
    code, _out, err = orch("done", "A", "--agent", "sess-1")
    assert code == 1 and "has not failed since the task started" in err


def test_a_red_fast_check_counts_for_test_first(planned: Path, orch: Orch) -> None:
    setup_tests(planned, orch)
    orch("config", "fast_checks", json.dumps([{"glob": "tests/*.py", "command": f"{PYTEST} {{path}}"}]))
    rel = "tests/test_feature.py"
    data = payload("PostToolUse.Write", cwd=str(planned), session_id="sess-1",
                   tool_input={"file_path": str(planned / rel), "content": TEST})
    run = run_hook("PostToolUse", data, timeout=60)
    assert run.json["decision"] == "block" and "fast check failed" in run.json["reason"]
    assert runs(planned) == [("fast check", "failed")]
    (planned / "feature.txt").write_text("done")
    code, out, err = orch("done", "A", "--agent", "sess-1")
    assert code == 0, out + err
    assert runs(planned) == [("fast check", "failed"), ("orch done", "passed")]


def test_a_stop_gate_that_ran_no_test_blocks_and_says_so(planned: Path, orch: Orch) -> None:
    setup_tests(planned, orch, command=f"{PYTEST} tests -k nothing")
    blocked = run_hook("Stop", stop(planned), timeout=60)
    assert blocked.json["decision"] == "block"
    assert "failed: it ran no test" in blocked.json["reason"]
    assert "the gate ran no test, so no test passed" in blocked.json["reason"]
    assert runs(planned) == [("Stop", "ran nothing")]
