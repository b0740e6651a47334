"""The snapshots brought up to date from the task files that changed behind orch's back
(`orchestrator.snapfiles`): only those files are read, through the CLI's own loader."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from orchestrator import snapshot
from orchestrator.store import Store
from tests.conftest import Orch


@pytest.fixture
def reads(planned: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The task files the store reads from now on, by name (the snapshots made current first,
    past snapfiles.RACY_NS: files written just before a refresh are read again at every one)."""
    time.sleep(0.03)
    os.utime(planned / ".orch" / "tasks")  # a new stamp: the next read refreshes
    Store(planned).tasks()
    seen: list[str] = []
    real = Store._load_task_file

    def counting(self: Store, path: Path) -> dict[str, object]:
        seen.append(path.name)
        return real(self, path)

    monkeypatch.setattr(Store, "_load_task_file", counting)
    return seen


def _replace(repo: Path, task_id: str, **changes: object) -> None:
    """As `git checkout` does: unlink, then create."""
    path = repo / ".orch" / "tasks" / f"{task_id}.json"
    task = json.loads(path.read_text()) | changes
    path.unlink()
    path.write_text(json.dumps(task, indent=2))


def _titles(repo: Path) -> dict[str, str]:
    return {t["id"]: t["title"] for t in Store(repo).summaries()}


def test_after_an_outside_change_only_the_changed_file_is_read(planned: Path, reads: list[str]) -> None:
    _replace(planned, "B", title="Backend, from a pull")
    assert _titles(planned)["B"] == "Backend, from a pull"
    assert reads == ["B.json"]
    reads.clear()
    assert _titles(planned)["B"] == "Backend, from a pull" and reads == []  # current again


def test_a_new_and_a_deleted_task_file_are_seen(planned: Path, reads: list[str]) -> None:
    extra = json.loads((planned / ".orch" / "tasks" / "D.json").read_text()) | {"id": "E", "title": "New"}
    (planned / ".orch" / "tasks" / "E.json").write_text(json.dumps(extra))
    (planned / ".orch" / "tasks" / "C.json").unlink()
    titles = _titles(planned)
    assert "E" in titles and "C" not in titles and reads == ["E.json"]


def test_files_orch_wrote_since_are_read_again_and_a_fold_keeps_the_record(
    planned: Path, orch: Orch, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert orch("start", "A", "--agent", "ag")[0] == 0  # into the snapshots' delta
    monkeypatch.setattr(snapshot, "DELTA_LIMIT", 0)
    assert orch("block", "A", "--reason", "r", "--agent", "ag")[0] == 0  # folded: a new stamp
    state, runtime = str(planned / ".orch"), str(planned / ".git" / "orch")
    record = snapshot.load_record(state, runtime)
    assert record is not None and record[0] == snapshot.peek_stamp(state, runtime) and "A" not in record[1]
    reads.clear()
    _replace(planned, "B", title="Pulled")
    assert {t["id"]: t["status"] for t in Store(planned).summaries()}["A"] == "blocked"
    assert sorted(reads) == ["A.json", "B.json"] and _titles(planned)["B"] == "Pulled"


def test_an_edit_in_place_is_read(planned: Path, reads: list[str]) -> None:
    path = planned / ".orch" / "tasks" / "C.json"
    text = path.read_text()
    path.write_text(text.replace('"title": "', '"title": "X', 1))  # same inode, one byte more
    assert _titles(planned)["C"].startswith("X") and reads == ["C.json"]


def test_a_record_of_other_snapshots_means_every_file_is_read(planned: Path, reads: list[str]) -> None:
    state, runtime = str(planned / ".orch"), str(planned / ".git" / "orch")
    record = snapshot.load_record(state, runtime)
    assert record is not None
    snapshot._write_record(state, runtime, "another stamp", record[1])
    _replace(planned, "B", title="Pulled")
    assert _titles(planned)["B"] == "Pulled" and sorted(reads) == ["A.json", "B.json", "C.json", "D.json"]
    assert snapshot.load_record(state, runtime) is not None  # the whole rebuild records again


def test_a_file_written_in_the_last_clock_ticks_is_read_at_every_refresh(
    planned: Path, reads: list[str]
) -> None:
    _replace(planned, "B", title="Racy")
    state, runtime = str(planned / ".orch"), str(planned / ".git" / "orch")
    assert _titles(planned)["B"] == "Racy"
    record = snapshot.load_record(state, runtime)
    assert record is not None and record[1]["B"][0] == -1
    os.utime(planned / ".orch" / "tasks", ns=(1, 1))  # the stamp moves; B looks unchanged otherwise
    reads.clear()
    assert _titles(planned)["B"] == "Racy" and reads == ["B.json"]


def test_a_corrupt_changed_file_is_reported_as_before(planned: Path, orch: Orch, reads: list[str]) -> None:
    path = planned / ".orch" / "tasks" / "B.json"
    path.unlink()
    path.write_text("{not json")
    code, _out, err = orch("status")
    assert code != 0 and "B.json" in err and "Traceback" not in err


def test_a_read_goes_on_when_the_snapshots_cannot_be_written(
    planned: Path, orch: Orch, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside the write jail (a `!` line of a slash command) the runtime folder is read-only: a
    read that finds the snapshots stale still answers, from the files."""
    import errno

    from orchestrator import jsonfile

    _replace(planned, "B", title="Pulled")
    real = jsonfile.write_text

    def read_only(path: object, *args: object, **kwargs: object) -> None:
        if "/.git/orch/" in str(path):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jsonfile, "write_text", read_only)
    monkeypatch.setattr(snapshot, "write_text", read_only)
    code, out, err = orch("status", "--json")
    assert code == 0, err
    assert {t["id"]: t["title"] for t in json.loads(out)["tasks"]}["B"] == "Pulled"
