"""What orch's hooks cost a real headless Claude Code run.

The same 10-tool run (5 Writes and 5 Bash ``echo >`` commands, all on files of the caller's
bound task) is made in a repo where ``orch init`` registered the hooks and in one set up with
``orch init --no-hooks``, interleaved, ``E2E_OVERHEAD_RUNS`` times each (default 5). The ratio of
the median wall times is printed and written to ``bench/e2e_overhead.json``. Only correctness is
asserted; the goal (ratio <= 1.15) is reported in ``docs/benchmarks.md``, not enforced here.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

from claude import PINNED, REPO_ROOT, ClaudeRun, Result
from fakeapi import FakeAPI, Script, text, tool_use
from orchfix import Plan, Task, claude_env_extra, make_repo, orch, orch_json, request_text, setup_orch

RUNS = max(1, int(os.environ.get("E2E_OVERHEAD_RUNS", "5")))
TOOLS_PER_KIND = 5
OUT = REPO_ROOT / "bench" / "e2e_overhead.json"
GOAL = 1.15


def overhead_plan(runs: int) -> Plan:
    """One task per run, each owning its own folder, so every run has a fresh task to bind."""
    return Plan("bench", [Task(f"T{i}", f"Run {i}", files=[f"w{i}/*"]) for i in range(runs)])


def one_run(
    claude_run: ClaudeRun, fakeapi: FakeAPI, repo: Path, i: int
) -> tuple[Result, list[dict[str, Any]]]:
    """Bind task T<i> to a fresh session id, then run the 10 tools in that session."""
    session = str(uuid.uuid4())
    orch(repo, "start", f"T{i}", "--agent", session)
    calls: list[dict[str, Any]] = []
    for k in range(TOOLS_PER_KIND):
        calls.append(tool_use("Write", {"file_path": str(repo / f"w{i}" / f"f{k}.txt"), "content": f"{k}\n"}))
        calls.append(tool_use("Bash", {"command": f"echo {k} > w{i}/e{k}.txt", "description": "echo"}))
    fakeapi.script = Script().main(*([c] for c in calls), [text(f"run {i} finished")])
    result = claude_run(
        "Write the files", cwd=repo, env=claude_env_extra(), extra_args=["--session-id", session]
    )
    return result, calls


def check_run(fakeapi: FakeAPI, repo: Path, i: int, result: Result, calls: list[dict[str, Any]]) -> None:
    assert result.result_text == f"run {i} finished", result.describe()
    assert fakeapi.script.pending() == {"main": 0}
    for call in calls:
        assert not fakeapi.tool_result_is_error(call["id"]), fakeapi.tool_result_text(call["id"])
    for k in range(TOOLS_PER_KIND):
        assert (repo / f"w{i}" / f"f{k}.txt").read_text() == f"{k}\n"
        assert (repo / f"w{i}" / f"e{k}.txt").read_text() == f"{k}\n"


def test_hook_overhead(claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path, tmp_path: Path) -> None:
    hooked = git_repo
    plain = make_repo(tmp_path / "plain")
    setup_orch(hooked, overhead_plan(RUNS))
    setup_orch(plain, overhead_plan(RUNS), hooks=False)

    times: dict[str, list[float]] = {"hooks": [], "plain": []}
    for i in range(RUNS):
        order = [("hooks", hooked), ("plain", plain)]
        if i % 2:
            order.reverse()  # alternate which goes first, so drift hits both alike
        for kind, repo in order:
            first = len(fakeapi.bodies)
            result, calls = one_run(claude_run, fakeapi, repo, i)
            check_run(fakeapi, repo, i, result, calls)
            briefed = "orch briefing" in request_text(fakeapi.bodies[first])
            assert briefed == (kind == "hooks"), (
                f"{kind} run: orch's hooks {'ran' if briefed else 'did not run'}"
            )
            times[kind].append(result.duration)

    # The hooked runs really went through orch: every written file is a recorded artifact.
    for i in range(RUNS):
        task = orch_json(hooked, "show", f"T{i}")
        artifacts = json.dumps(task.get("artifacts", []))
        missing = [f"w{i}/f{k}.txt" for k in range(TOOLS_PER_KIND) if f"w{i}/f{k}.txt" not in artifacts]
        assert not missing, f"T{i} artifacts lack {missing}: {artifacts}"

    with_hooks, without = statistics.median(times["hooks"]), statistics.median(times["plain"])
    ratio = with_hooks / without
    report = {
        "what": "wall time of a headless `claude -p` run of 10 tool calls (5 Write, 5 Bash echo) "
        "on the caller's bound task, with orch's hooks / without hooks; medians, interleaved",
        "claude_code": PINNED,
        "runs_each": RUNS,
        "tools_per_run": 2 * TOOLS_PER_KIND,
        "median_with_hooks_s": round(with_hooks, 4),
        "median_without_hooks_s": round(without, 4),
        "ratio": round(ratio, 4),
        "goal": GOAL,
        "with_hooks_s": [round(t, 4) for t in times["hooks"]],
        "without_hooks_s": [round(t, 4) for t in times["plain"]],
        "per_tool_overhead_ms": round((with_hooks - without) / (2 * TOOLS_PER_KIND) * 1000, 1),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.system()},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(
        f"\n[e2e overhead] median with hooks {with_hooks:.3f}s, without {without:.3f}s, "
        f"ratio {ratio:.3f} (goal <= {GOAL}); written to {OUT}"
    )
