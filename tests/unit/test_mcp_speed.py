"""The server imports what it needs once: `orchestrator_get_status` at 1,000 tasks answers within
2x the time `orch status --json` takes as a process (measured side by side, medians)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import Orch
from tests.unit.mcp_client import Client, run

TASKS = 1000
ROUNDS = 5


def test_get_status_at_1000_tasks_within_twice_the_cli(repo: Path, orch: Orch) -> None:
    items = [{"id": f"T{i}", "title": f"Task {i}", "dependencies": [f"T{i - 1}"] if i % 10 else []}
             for i in range(TASKS)]
    (repo / "big.json").write_text(json.dumps({"id": "big", "title": "Big", "subtasks": items}))
    assert orch("init", "--no-hooks")[0] == 0
    assert orch("plan", "add", "big.json")[0] == 0

    async def body(client: Client) -> list[float]:
        await client.ok("orchestrator_get_status")  # the first call warms the snapshot
        spent = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            status = await client.ok("orchestrator_get_status", include_completed=True)
            spent.append(time.perf_counter() - started)
        assert len(status["active_tasks"][0]["subtasks"]) == TASKS
        return spent

    served = statistics.median(run(repo, body))
    command = [sys.executable, "-m", "orchestrator.console", "status", "--json"]
    cli = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        subprocess.run(command, cwd=repo, capture_output=True, check=True)
        cli.append(time.perf_counter() - started)
    assert served < 2 * statistics.median(cli), (served, cli)
