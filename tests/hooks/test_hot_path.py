"""The hook hot path imports the standard library only: a heavy import here is a product bug."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Orch, hook_command
from tests.hooks.conftest import payload

BANNED = ("pydantic", "click", "jinja2", "git", "filelock", "yaml", "frontmatter", "mcp", "mcp_types",
          "anyio")


def _imported(event: str, data: dict[str, object]) -> set[str]:
    done = subprocess.run(
        [*hook_command()[:2], "-X", "importtime", *hook_command()[2:], event],
        input=json.dumps(data),
        capture_output=True,
        text=True,
        timeout=30,
    )
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    assert names, done.stderr
    return names


@pytest.mark.parametrize("case", ["write-allowed", "write-denied", "bash", "stop-idle", "session-start",
                                  "mcp-call"])
def test_no_heavy_module_on_the_hook_path(planned: Path, orch: Orch, case: str) -> None:
    orch("start", "A", "--agent", "agent-a")
    cases = {
        "write-allowed": (
            "PreToolUse",
            payload(
                "PreToolUse.Write",
                cwd=str(planned),
                agent_id="agent-a",
                tool_input={"file_path": str(planned / "docs/design.md"), "content": "x"},
            ),
        ),
        "write-denied": (
            "PreToolUse",
            payload(
                "PreToolUse.Write",
                cwd=str(planned),
                tool_input={"file_path": str(planned / "src/api/x.py"), "content": "x"},
            ),
        ),
        "bash": ("PreToolUse", payload("PreToolUse.Bash", cwd=str(planned))),
        "stop-idle": ("Stop", payload("Stop.first", cwd=str(planned))),
        "session-start": ("SessionStart", payload("SessionStart", cwd=str(planned))),
        "mcp-call": ("PreToolUse", payload("PreToolUse.Bash", cwd=str(planned), agent_id="agent-a",
                                           tool_name="mcp__plugin_orch_orch__orchestrator_execute_subtask",
                                           tool_input={"task_id": "B"})),
    }
    event, data = cases[case]
    heavy = {name for name in _imported(event, data) if name.split(".")[0] in BANNED}
    assert heavy == set(), f"{case} imported {sorted(heavy)}"


def test_pretooluse_avoids_even_json_re_pathlib_and_typing(planned: Path) -> None:
    data = payload(
        "PreToolUse.Write",
        cwd=str(planned),
        tool_input={"file_path": str(planned / "src/api/x.py"), "content": "x"},
    )
    names = _imported("PreToolUse", data)
    assert not names & {"json", "re", "pathlib", "typing", "dataclasses", "inspect", "datetime",
                        "runpy", "shutil"}, sorted(names)


def test_a_current_index_never_loads_the_monitor_client(planned: Path) -> None:
    data = payload("PreToolUse.Write", cwd=str(planned),
                   tool_input={"file_path": str(planned / "src/api/x.py"), "content": "x"})
    _imported("PreToolUse", data)  # the first call may refresh the index
    names = _imported("PreToolUse", data)
    assert not {n for n in names if n.startswith("orchestrator.fsmonitor") or n == "_socket"}, sorted(names)
