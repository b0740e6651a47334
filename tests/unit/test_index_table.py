"""The index's file table read row by row (`orchestrator.hooks.indextable`), and the refresh after
an outside change that finds the changed task files by their stat signatures."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from orchestrator.hooks import index, indextable


def _row(task_id: str, status: str = "queued", deps: list[str] | None = None, title: str = "") -> list[Any]:
    return [1, 2, 3, task_id, status, title or task_id, [f"src/{task_id}/**"], deps or []]


def _rows(tmp_path: Path, table: dict[str, list[Any]]) -> indextable.Rows:
    indextable.save(str(tmp_path), table)
    rows = indextable.Rows.open(str(tmp_path))
    assert rows is not None
    return rows


def test_the_table_is_one_json_document_with_a_row_per_line(tmp_path: Path) -> None:
    table = {"a": _row("a"), "b": _row("b", deps=["a"])}
    indextable.save(str(tmp_path), table)
    text = (tmp_path / indextable.TASKS).read_text()
    assert json.loads(text) == table
    assert text.splitlines()[1].startswith('"a":[') and len(text.splitlines()) == 4


def test_rows_are_found_one_by_one_without_parsing_the_table(tmp_path: Path) -> None:
    rows = _rows(tmp_path, {"a": _row("a"), "b": _row("b", deps=["a"]), "c": _row("c", title='see "a"'),
                            "d": _row("d", deps=["c", "a"])})
    assert rows.get("b") == _row("b", deps=["a"]) and rows.get("zz") is None
    assert sorted(rows.dependents({"a"})) == ["b", "d"]  # not c: its title only quotes the id
    assert rows.status("c") == "queued"
    rows.put("e", _row("e", deps=["a"]))
    rows.put("b", None)
    assert sorted(rows.dependents({"a"})) == ["d", "e"] and rows.get("b") is None
    assert rows._whole is None
    assert rows.status("missing") is None  # no file of that name: looked for in every row
    assert rows._whole is not None


def test_a_table_written_on_one_line_is_read_whole(tmp_path: Path) -> None:
    (tmp_path / indextable.TASKS).write_text(json.dumps({"a": _row("a"), "b": _row("b", deps=["a"])}))
    rows = indextable.Rows.open(str(tmp_path))
    assert rows is not None and rows.get("b") == _row("b", deps=["a"])
    assert list(rows.dependents({"a"})) == ["b"]
    assert rows.stored_signatures() is None  # no %stats.txt: the rows are compared one by one


def test_many_lookups_parse_the_table_once(tmp_path: Path) -> None:
    rows = _rows(tmp_path, {f"t{i}": _row(f"t{i}") for i in range(indextable.MAX_FINDS + 10)})
    for i in range(indextable.MAX_FINDS + 10):
        assert rows.get(f"t{i}") is not None
    assert rows._whole is not None


def test_signatures_name_the_table_file_they_describe(tmp_path: Path) -> None:
    rows = _rows(tmp_path, {"a": _row("a")})
    assert rows.stored_signatures() == {indextable.signature("a", 1, 2, 3)}
    (tmp_path / indextable.TASKS).write_text((tmp_path / indextable.TASKS).read_text() + " ")
    assert rows.stored_signatures() is None


# -- the refresh after an outside change, through the index -------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> tuple[str, str]:
    state = tmp_path / "tree" / ".orch"
    (state / "tasks").mkdir(parents=True)
    for task in (_task("base", ["src/base/**"]), _task("user", ["src/user/**"], deps=["base"])):
        _write(str(state), task)
    _settle(str(state))
    return str(state), str(tmp_path / "runtime")


def _task(task_id: str, files: list[str], status: str = "queued",
          deps: list[str] | None = None) -> dict[str, Any]:
    return {"id": task_id, "title": task_id, "status": status, "depends_on": deps or [], "files": files}


def _write(state: str, task: dict[str, Any]) -> None:
    Path(state, "tasks", f"{task['id']}.json").write_text(json.dumps(task))


def _replace(state: str, task: dict[str, Any]) -> None:
    """As `git checkout` does: unlink, then create (ext4 gives the new file the same inode)."""
    os.unlink(Path(state, "tasks", f"{task['id']}.json"))
    _write(state, task)
    _settle(state)


def _settle(state: str) -> None:
    """Past index.RACY_NS: rows of files written just now are read again at every refresh."""
    time.sleep(0.03)


def _waits(state: str, runtime: str, path: str) -> list[Any]:
    return [entry[4] for entry in index.owners(path, state, runtime)]


def test_an_outside_change_is_found_without_reading_the_whole_table(
    repo: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state, runtime = repo
    assert _waits(state, runtime, "src/user/x.py") == [["base (queued)"]]

    def whole(self: indextable.Rows) -> None:
        raise AssertionError("the whole table was parsed")

    monkeypatch.setattr(indextable.Rows, "whole", whole)
    _replace(state, _task("base", ["src/base/**"], status="completed"))
    assert _waits(state, runtime, "src/user/x.py") == [[]]
    assert index.owners("src/base/x.py", state, runtime) == []
    _replace(state, _task("user", ["src/other/**"], deps=["base"]))
    assert index.owners("src/user/x.py", state, runtime) == []
    assert _waits(state, runtime, "src/other/x.py") == [[]]


def test_an_outside_change_is_found_when_the_signatures_describe_another_table(repo: tuple[str, str]) -> None:
    state, runtime = repo
    index.owners("x", state, runtime)
    folder = Path(index.index_dir(state, runtime)) / json.loads(
        (Path(index.index_dir(state, runtime)) / "current").read_text())[1]
    (folder / indextable.STATS).write_text("another table\n")
    _replace(state, _task("base", ["src/base/**"], status="completed"))
    assert _waits(state, runtime, "src/user/x.py") == [[]]


def test_a_folder_query_at_the_root_never_reads_the_file_table(repo: tuple[str, str]) -> None:
    state, runtime = repo
    _replace(state, _task("base", ["src/base/**"], status="in_progress"))  # a delta beside the table
    found = index.owners_below("", state, runtime)
    assert sorted(entry[1] for entry in found) == ["base", "user"]
    root = Path(index.index_dir(state, runtime))
    buckets = index._bucket_names(str(root / json.loads((root / "current").read_text())[1]))
    assert sorted(buckets or []) == ["src/base", "src/user"]
