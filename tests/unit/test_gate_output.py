"""Gate output is bounded: a head and a tail in memory, a capped log, a fixed number of run folders."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from orchestrator import gates
from orchestrator.gates import new_run_folder, run_gate
from tests.conftest import ROOT, Orch

PYTHON = sys.executable
BIG = 200_000_000


def gate(command: str, **fields: Any) -> dict[str, Any]:
    return {"name": "g", "command": command, "kind": "plain", "timeout": 120.0, **fields}


def yes_digest(size: int) -> str:
    """sha256 of `yes | head -c size`, computed without holding it."""
    digest, chunk = hashlib.sha256(), b"y\n" * 32768
    for _ in range(size // len(chunk)):
        digest.update(chunk)
    digest.update(chunk[: size % len(chunk)])
    return digest.hexdigest()


MEASURE = """
import json, resource, sys
from pathlib import Path
from orchestrator.gates import run_gate

folder = Path(sys.argv[1])
gate = {"name": "big", "command": sys.argv[2], "kind": sys.argv[3], "timeout": 120}
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = run_gate(gate, folder, output_path=folder / "big.log")
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"growth_kib": after - before, "result": result}))
"""


def measure(tmp_path: Path, command: str, kind: str = "plain") -> tuple[int, dict[str, Any]]:
    """Run one gate in a fresh interpreter: (growth of its peak RSS in KiB, the result)."""
    done = subprocess.run(
        [PYTHON, "-c", MEASURE, str(tmp_path), command, kind],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=True,
    )
    shown = json.loads(done.stdout)
    return shown["growth_kib"], shown["result"]


def test_200_mb_of_output_costs_little_memory_and_a_capped_log(tmp_path: Path) -> None:
    growth_kib, result = measure(tmp_path, f"yes | head -c {BIG}")
    assert result["passed"] is True
    assert growth_kib < 16 * 1024, f"peak RSS grew by {growth_kib} KiB"
    assert result["output_bytes"] == BIG
    assert result["output_sha256"] == yes_digest(BIG), "the digest covers all of the output"
    log = (tmp_path / "big.log").read_bytes()
    assert len(log) <= gates.LOG_CAP
    omitted = BIG - (gates.LOG_CAP - gates.TAIL_BYTES - 256) - gates.TAIL_BYTES
    assert f"\n\u2026 {omitted} bytes omitted \u2026\n".encode() in log
    assert log.startswith(b"y\ny\n") and log.endswith(b"y\n" * 1000)
    assert result["tail"] == "\n".join(["y"] * gates.TAIL_LINES)


def test_parsers_read_the_summary_after_megabytes_of_output(tmp_path: Path) -> None:
    noise = "import sys\nfor i in range(200000): print('PASSED test_%d' % i)\n"
    summary = "print('=== 1 failed, 199999 passed in 12.50s ===')\n"
    script = tmp_path / "fake_pytest.py"
    script.write_text(noise + summary)
    _growth, result = measure(tmp_path, f"{PYTHON} {script}", "pytest")
    assert result["output_bytes"] > gates.HEAD_BYTES + gates.TAIL_BYTES
    assert (result["summary"]["failed"], result["summary"]["passed"]) == (1, 199999)
    assert result["tail"].endswith("=== 1 failed, 199999 passed in 12.50s ===")


def test_small_output_is_kept_whole(tmp_path: Path) -> None:
    result = run_gate(gate("printf 'a\\r\\n\\nb'", kind="plain"), tmp_path, output_path=tmp_path / "g.log")
    assert result["tail"] == "a\n\nb"
    assert (tmp_path / "g.log").read_bytes() == b"a\r\n\nb"


def test_a_line_with_no_end_reaches_on_line_in_pieces(tmp_path: Path) -> None:
    seen: list[int] = []
    size = 3 * gates.LINE_CAP + 10
    command = f"head -c {size} /dev/zero | tr '\\0' x"
    run_gate(gate(command), tmp_path, on_line=lambda line: seen.append(len(line)))
    assert seen == [gates.LINE_CAP] * 3 + [10]


def test_new_run_folder_keeps_the_newest_five(tmp_path: Path) -> None:
    parent = tmp_path / "gate-output" / "T1"
    (parent / "stop").mkdir(parents=True)  # not a run folder: left alone
    (parent / "20200101T000000").mkdir()  # a run folder from before, without the fraction
    made = [new_run_folder(parent) for _ in range(7)]
    assert len(set(made)) == 7
    assert sorted(p.name for p in parent.iterdir()) == sorted([p.name for p in made[-5:]] + ["stop"])


def test_orch_gate_keeps_five_run_folders(planned: Path, orch: Orch) -> None:
    orch("config", "gates", json.dumps([{"name": "check", "command": "echo checked", "kind": "plain"}]))
    for _ in range(7):
        assert orch("gate", "A")[0] == 0
    runs = sorted((planned / ".git" / "orch" / "gate-output" / "A").iterdir())
    assert len(runs) == 5
    assert (runs[-1] / "01-check.log").read_text() == "checked\n"
