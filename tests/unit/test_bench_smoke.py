"""`bench/run.py --quick` still runs end to end: it builds its repos, every hook answers as the
bench expects, and the Markdown report is written. A hard 60-second limit keeps it a smoke test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SMOKE_LIMIT = 60


def test_quick_bench_writes_its_report(tmp_path: Path) -> None:
    out = tmp_path / "x.md"
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--out", str(out),
                           "--python", sys.executable],
                          capture_output=True, text=True, timeout=SMOKE_LIMIT)
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    assert "<!-- bench:begin -->" in text and "<!-- bench:end -->" in text
    assert "| 1,000 | (a) PreToolUse Write, own task | allow (" in text
    assert "| 1,000 | (b) PreToolUse Write, task not ready | deny (" in text
    assert "`orch next --json`" in text and "orchestrator.hooks.entry" in text


def test_quick_plan_add_bench_writes_its_section(tmp_path: Path) -> None:
    out = tmp_path / "x.md"
    out.write_text("# Benchmarks\n\n<!-- bench:begin -->\nkept\n<!-- bench:end -->\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--plan-add", "--quick",
                           "--out", str(out), "--python", sys.executable],
                          capture_output=True, text=True, timeout=SMOKE_LIMIT)
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    assert "<!-- bench:begin -->\nkept\n<!-- bench:end -->" in text
    assert "<!-- bench:plan-add:begin -->" in text and "<!-- bench:plan-add:end -->" in text
    assert "| JSON subtask list, dependencies by title | " in text


def test_quick_jail_bench_writes_its_section(tmp_path: Path) -> None:
    from orchestrator.jail import sessions

    if sessions.check() is not None:
        pytest.skip("this kernel cannot jail")
    out = tmp_path / "x.md"
    out.write_text("# Benchmarks\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--jail", "--quick",
                           "--out", str(out), "--python", sys.executable],
                          capture_output=True, text=True, timeout=SMOKE_LIMIT)
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    assert "<!-- bench:jail:begin -->" in text and "| launcher run: true |" in text
    assert "PreToolUse on Bash with the jail on ÷ off" in text


def test_quick_imports_bench_writes_its_section(tmp_path: Path) -> None:
    out = tmp_path / "x.md"
    out.write_text("# Benchmarks\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--imports", "--quick",
                           "--out", str(out), "--python", sys.executable],
                          capture_output=True, text=True, timeout=SMOKE_LIMIT)
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    assert "<!-- bench:imports:begin -->" in text and "<!-- bench:imports:end -->" in text
    assert "| beads `issues.jsonl` | 500 | " in text and "| taskmaster `tasks.json` | 100 | " in text


def test_quick_board_bench_writes_its_section(tmp_path: Path) -> None:
    out = tmp_path / "x.md"
    out.write_text("# Benchmarks\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--board", "--quick",
                           "--out", str(out), "--python", sys.executable],
                          capture_output=True, text=True, timeout=SMOKE_LIMIT)
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    assert "<!-- bench:board:begin -->" in text and "<!-- bench:board:end -->" in text
    assert "| `orch status --json` (whole process) | " in text and "after a lease renewal" in text


def test_quick_teams_bench_writes_its_section(tmp_path: Path) -> None:
    out = tmp_path / "x.md"
    out.write_text("# Benchmarks\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--teams", "--quick", "--rounds",
                           "2", "--out", str(out), "--python", sys.executable],
                          capture_output=True, text=True, timeout=SMOKE_LIMIT)
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    assert "<!-- bench:teams:begin -->" in text and "<!-- bench:teams:end -->" in text
    assert "| orch start, team mode | " in text and "`orch start` in team mode ÷ alone: **" in text
