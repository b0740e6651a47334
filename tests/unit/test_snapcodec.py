"""The snapshots' binary form (`orchestrator.snapcodec`): never served stale, never served when it
is another interpreter's or does not decode, and what `orch start` searches in it."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from orchestrator import paths, snapcodec, snapshot
from orchestrator.store import Store
from tests.conftest import Orch


def _where(repo: Path) -> tuple[str, str, Path]:
    state, runtime = str(repo / ".orch"), str(repo / ".git" / "orch")
    return state, runtime, Path(paths.worktree_dir(state, runtime))


def _titles(repo: Path) -> dict[str, str]:
    return {t["id"]: t["title"] for t in Store(repo).summaries()}


def test_a_task_file_edited_in_place_is_never_hidden_behind_the_binary_snapshots(planned: Path) -> None:
    state, runtime, folder = _where(planned)
    assert _titles(planned)["C"] != "Xrontend"
    assert (folder / snapshot.SUMMARY).read_bytes().startswith(snapcodec.MAGIC)
    assert snapshot.load(state, runtime, snapshot.SUMMARY) is not None
    path = planned / ".orch" / "tasks" / "C.json"
    task = json.loads(path.read_text())
    time.sleep(0.01)
    path.write_text(json.dumps(task | {"title": "X" + task["title"][1:]}))  # in place, the same size
    assert snapshot.load(state, runtime, snapshot.SUMMARY) is None, "a stale summary is not served"
    assert snapshot.load(state, runtime) is None, "nor stale whole tasks"
    assert _titles(planned)["C"].startswith("X")
    assert Store(planned).task("C")["title"].startswith("X")
    assert {t["id"]: t["title"] for t in Store(planned).tasks()}["C"].startswith("X")


def test_the_stamp_is_read_from_the_first_bytes_and_both_files_must_agree(planned: Path) -> None:
    state, runtime, folder = _where(planned)
    os.utime(planned / ".orch" / "tasks")  # a new stamp: the next read saves the snapshots again
    Store(planned).summaries()
    stamp = snapshot.fingerprint(state)
    assert snapshot.peek_stamp(state, runtime) == stamp
    whole = folder / snapshot.NAME
    whole.write_bytes(snapcodec.encode("another stamp", []))
    assert snapshot.peek_stamp(state, runtime) is None
    assert {t["id"] for t in Store(planned).tasks()} == {"A", "B", "C", "D"}  # made again, both
    assert snapshot.peek_stamp(state, runtime) == stamp


def test_a_snapshot_of_another_interpreter_or_that_does_not_decode_is_rebuilt(
    planned: Path, orch: Orch
) -> None:
    state, runtime, folder = _where(planned)
    Store(planned).summaries()
    summary = folder / snapshot.SUMMARY
    data = summary.read_bytes()
    other = data.replace(snapcodec.TAG.encode(), b"cpython-299-m9", 1)
    summary.write_bytes(other)
    assert snapcodec.decode(other) is None and snapshot.load(state, runtime, snapshot.SUMMARY) is None
    assert orch("doctor")[0] == 0, "another interpreter's snapshot is no broken file"
    assert set(_titles(planned)) == {"A", "B", "C", "D"}
    assert snapshot.load(state, runtime, snapshot.SUMMARY) is not None, "made again"
    data = summary.read_bytes()
    found = snapcodec.header(data)
    assert found is not None and snapcodec.decode_rows(data) is not None
    summary.write_bytes(data[:-40])  # the rows cut short: the status rows are encoded again
    assert snapcodec.decode_rows(data[:-40]) is None and snapshot.load(state, runtime, snapshot.SUMMARY)
    summary.write_bytes(data[:found[1] + found[2] + 1 + found[3] // 2])  # the tasks cut short
    assert snapshot.load(state, runtime, snapshot.SUMMARY) is None
    assert snapshot.unreadable(str(summary)) is not None
    assert set(_titles(planned)) == {"A", "B", "C", "D"}


def test_the_parents_named_are_searched_without_a_load() -> None:
    data = snapcodec.encode("s", [{"id": "a", "parent": None}, {"id": "b", "parent": "a"},
                                  {"id": "c", "parent": 'q"uote'}, {"id": "d"}])
    assert snapcodec.names(data, "a") and snapcodec.names(data, 'q"uote')
    assert not snapcodec.names(data, "b") and not snapcodec.names(data, "q")
    assert snapcodec.decode(data) == ("s", [{"id": "a", "parent": None}, {"id": "b", "parent": "a"},
                                            {"id": "c", "parent": 'q"uote'}, {"id": "d"}])
    assert snapcodec.stamp_in(data[:snapcodec.HEAD_BYTES]) == "s"
    assert snapcodec.stamp_in(b'{"stamp":"s","tasks":[]}') is None


def test_the_json_snapshots_of_earlier_versions_are_deleted_and_the_tasks_kept_in_plan_order(
    planned: Path,
) -> None:
    state, runtime, folder = _where(planned)
    for name in snapshot.LEGACY:
        (folder / name).write_text('{"stamp":"0","tasks":[]}')
    os.utime(planned / ".orch" / "tasks")  # a new stamp: the next read saves them again
    Store(planned).summaries()
    assert not any((folder / name).exists() for name in snapshot.LEGACY)
    found = snapshot.load_stamped(state, runtime, snapshot.SUMMARY)
    assert found is not None and [t["id"] for t in found[1]] == ["A", "B", "C", "D"]


def test_equal_strings_of_the_summaries_are_loaded_as_one() -> None:
    rows = snapcodec.shared([{"id": "a", "status": "queued", "depends_on": []},
                             {"id": "b", "status": "".join(["que", "ued"]), "depends_on": ["a"]}])
    found = snapcodec.decode(snapcodec.encode("s", rows))
    assert found is not None and found[1] == [{"id": "a", "status": "queued", "depends_on": []},
                                              {"id": "b", "status": "queued", "depends_on": ["a"]}]
    first, second = found[1]
    assert first["status"] is second["status"] and second["depends_on"][0] is first["id"]


def test_any_stamp_on_one_line_is_read_back_and_another_never_matches() -> None:
    for stamp in ("0", "1:2:3:4", "watch 7 of /repo/.orch/tasks", "é"):
        assert snapcodec.stamp_in(snapcodec.encode(stamp, [])[:snapcodec.HEAD_BYTES]) == stamp
    assert snapcodec.stamp_in(snapcodec.encode("two\nlines", [])) != "two\nlines"
