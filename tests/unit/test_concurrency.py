"""16 processes x 100 transitions through the library on one repo: no lost update, every file parses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import Orch

WORKER = """
import sys
from orchestrator import workflow
from orchestrator.store import Store

store, worker = Store(sys.argv[1]), sys.argv[2]
for i in range(int(sys.argv[3])):
    task_id = "ABCD"[i % 4]
    with store.locked():
        task = store.task(task_id)
        target = "blocked" if task["status"] == "queued" else "queued"
        entry = workflow.transition(task, target, f"{worker}", f"step {i}")
        workflow.save_transitions(store, task, [entry])
"""


def test_sixteen_writers_lose_no_update(planned: Path, orch: Orch) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(planned), f"w{n}", "100"], stderr=subprocess.PIPE, text=True
        )
        for n in range(16)
    ]
    errors = [p.communicate(timeout=600)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), errors
    moves = 0
    for task_id in "ABCD":
        task = json.loads((planned / f".orch/tasks/{task_id}.json").read_text())
        moves += len(task["history"]) - 1
        lines = (planned / f".orch/receipts/{task_id}.jsonl").read_text().splitlines()
        assert len(lines) == len(task["history"])
        assert all(json.loads(line) for line in lines)
    assert moves == 16 * 100
    code, out, _ = orch("verify", "--json")
    assert code == 0 and json.loads(out)["ok"], out
