"""Completion is resumable: a report, commit or tag that fails after the task completed runs on
the next `orch done`; text that is not UTF-8 never breaks a write."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Orch


def test_a_failed_report_runs_again_on_the_next_done(planned: Path, orch: Orch) -> None:
    orch("start", "A", "--agent", "ag")
    _write_design(planned)
    code, out, _err = orch("report", "A")
    report = Path(out.split("Wrote ", 1)[1].strip())
    report.unlink()
    report.mkdir()  # the report cannot be written now
    code, out, _err = orch("done", "A", "--agent", "ag")
    assert code == 1
    assert "A completed." in out and "Not finished: the report step failed" in out
    task = json.loads(orch("show", "A", "--json")[1])
    assert task["status"] == "completed" and task["unfinished"] == ["report", "commit", "tags"]
    report.rmdir()
    code, out, _err = orch("done", "A", "--agent", "ag")
    assert code == 0 and report.is_file()
    assert "unfinished" not in json.loads(orch("show", "A", "--json")[1])
    code, _out, err = orch("done", "A", "--agent", "ag")
    assert code == 1 and "nothing to do" in err
    assert orch("verify")[0] == 0


def test_text_that_is_not_utf8_is_kept_readable(planned: Path, orch: Orch) -> None:
    orch("start", "A", "--agent", "ag")
    _write_design(planned)
    reason = b"waiting on \xff".decode("utf-8", "surrogateescape")
    code, out, _err = orch("block", "A", "--reason", reason)
    assert code == 0 and "waiting on \ufffd" in out
    task = json.loads((planned / ".orch/tasks/A.json").read_text(encoding="utf-8"))
    assert task["block_reason"] == "waiting on \ufffd"
    assert orch("verify")[0] == 0


def test_a_file_name_that_is_not_utf8_does_not_stop_completion(planned: Path, orch: Orch) -> None:
    orch("start", "A", "--agent", "ag")
    _write_design(planned)
    odd = planned / "docs" / b"\xffname.md".decode("utf-8", "surrogateescape")
    odd.parent.mkdir(exist_ok=True)
    odd.write_text("x\n")
    code, out, _err = orch("done", "A", "--agent", "ag")
    assert code == 0 and "Report:" in out
    assert "\ufffdname.md" in Path(out.split("Report: ", 1)[1].splitlines()[0]).read_text(encoding="utf-8")


def test_doctor_fix_finishes_a_completion(planned: Path, orch: Orch) -> None:
    orch("start", "A", "--agent", "ag")
    _write_design(planned)
    report = Path(orch("report", "A")[1].split("Wrote ", 1)[1].strip())
    report.unlink()
    report.mkdir()
    assert orch("done", "A", "--agent", "ag")[0] == 1
    code, out, _err = orch("doctor")
    assert "A is completed but its report, commit, tags did not run" in out
    report.rmdir()
    code, out, _err = orch("doctor", "--fix")
    assert "finished A: report, commit, tags" in out and report.is_file()


def _write_design(repo: Path) -> None:
    """A's declared output (`policy.require_outputs`)."""
    (repo / "docs").mkdir(exist_ok=True)
    (repo / "docs" / "design.md").write_text("# design\n")
