"""The hooks' index (`orchestrator.hooks.index`): lookups, folder queries, long folder names,
and the rules that keep parallel rebuilds from serving a partial generation."""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from orchestrator import paths
from orchestrator.hooks import index


def _task(task_id: str, files: list[str], status: str = "queued") -> dict[str, Any]:
    return {"id": task_id, "title": task_id.title(), "status": status, "plan": "p", "position": 0,
            "depends_on": [], "files": files}


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[str, str]:
    state = tmp_path / "tree" / ".orch"
    (state / "tasks").mkdir(parents=True)
    runtime = tmp_path / "runtime"
    return str(state), str(runtime)


def _save(state: str, *tasks: dict[str, Any]) -> None:
    """Write task files, then date the tasks folder a second back: a stamp only just set is
    waited out (`index._settled_stamp`)."""
    for task in tasks:
        Path(state, "tasks", f"{task['id']}.json").write_text(json.dumps(task))
    settled = os.stat(Path(state, "tasks")).st_mtime_ns - 10**9
    os.utime(Path(state, "tasks"), ns=(settled, settled))


def _ids(entries: list[list[Any]]) -> list[tuple[str, str]]:
    return sorted((entry[1], entry[0]) for entry in entries)


LONG = "/".join(["f" * 100] * 6)  # 600 characters: its bucket name would pass 255 bytes


@pytest.fixture
def indexed(dirs: tuple[str, str]) -> tuple[str, str]:
    state, _runtime = dirs
    _save(
        state,
        _task("auth", ["src/auth/"]),
        _task("docs", ["./docs/*.md"]),
        _task("tests", ["tests//test_x.py"]),
        _task("py", ["**/*.py"]),
        _task("login", ["web/src/login/**"]),
        _task("long", [f"{LONG}/*.txt"]),
        _task("done", ["src/auth/old.py"], status="completed"),
        _task("bad", ["../outside/x"]),
    )
    return dirs


def test_owners_follow_the_normalised_globs(indexed: tuple[str, str]) -> None:
    state, runtime = indexed
    assert _ids(index.owners("src/auth/deep/login.js", state, runtime)) == [("auth", "src/auth/**")]
    assert _ids(index.owners("docs/intro.md", state, runtime)) == [("docs", "docs/*.md")]
    assert _ids(index.owners("tests/test_x.py", state, runtime)) == [("py", "**/*.py"),
                                                                     ("tests", "tests/test_x.py")]
    assert index.owners("elsewhere/notes.txt", state, runtime) == []


def test_a_600_character_folder_path_is_indexed_and_found(indexed: tuple[str, str]) -> None:
    state, runtime = indexed
    assert _ids(index.owners(f"{LONG}/a.txt", state, runtime)) == [("long", f"{LONG}/*.txt")]
    folder = Path(index.index_dir(state, runtime))
    names = [p.name for p in folder.rglob("*")]
    assert max(len(name.encode()) for name in names) <= index.MAX_NAME + len(".json")
    assert _ids(index.owners_below("/".join(["f" * 100] * 3), state, runtime)) == [("long", f"{LONG}/*.txt"),
                                                                   ("py", "**/*.py")]


def test_bucket_file_names_are_stable_and_short() -> None:
    assert index.bucket_file("src/auth") == "src%2Fauth.json"
    assert index.bucket_file("") == "%root.json"
    assert index.bucket_file("a%b") == "a%25b.json"
    assert index.bucket_file(LONG) == index.bucket_file(LONG)
    assert index.bucket_file(LONG).startswith("%h") and len(index.bucket_file(LONG)) < 40
    assert index.bucket_file("é" * 60) != index.bucket_file("é" * 61)


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("", ["auth", "docs", "login", "long", "py", "tests"]),
        (".", ["auth", "docs", "login", "long", "py", "tests"]),
        ("src", ["auth", "py"]),
        ("src/auth", ["auth", "py"]),
        ("src/auth/deep", ["auth", "py"]),
        ("web", ["login", "py"]),
        ("web/src", ["login", "py"]),
        ("web/src/other", ["py"]),
        ("docs", ["docs", "py"]),
        ("docs/sub", ["py"]),
        ("tests", ["py", "tests"]),
    ],
)
def test_owners_below(indexed: tuple[str, str], folder: str, expected: list[str]) -> None:
    state, runtime = indexed
    assert sorted({entry[1] for entry in index.owners_below(folder, state, runtime)}) == expected


def test_owners_below_sees_descendant_buckets_only_below_the_folder(dirs: tuple[str, str]) -> None:
    state, runtime = dirs
    _save(state, _task("a", ["lib/a/b/c/*.py"]), _task("b", ["lib/ab/x.py"]), _task("c", ["lib%2F/x"]))
    assert [e[1] for e in index.owners_below("lib/a", state, runtime)] == ["a"]
    assert sorted(e[1] for e in index.owners_below("lib", state, runtime)) == ["a", "b"]
    assert [e[1] for e in index.owners_below("lib%2F", state, runtime)] == ["c"]


def test_each_work_tree_has_its_own_index(tmp_path: Path) -> None:
    runtime = str(tmp_path / "runtime")
    one, two = tmp_path / "one" / ".orch", tmp_path / "two" / ".orch"
    for state, files in ((one, ["a/*"]), (two, ["b/*"])):
        (state / "tasks").mkdir(parents=True)
        _save(str(state), _task("t", files))
    assert paths.worktree_dir(str(one), runtime) != paths.worktree_dir(str(two), runtime)
    for _ in range(2):
        assert [e[0] for e in index.owners("a/x", str(one), runtime)] == ["a/*"]
        assert [e[0] for e in index.owners("b/x", str(two), runtime)] == ["b/*"]
    generations = [p for p in Path(runtime, "worktrees").glob("*/index/*") if p.is_dir()]
    assert len(generations) == 2, "one build per work tree, none after"


def test_a_stale_index_is_refreshed_in_place_from_the_files_that_changed(indexed: tuple[str, str]) -> None:
    state, runtime = indexed
    root = Path(index.index_dir(state, runtime))
    for k in range(4):
        _save(state, _task(f"new{k}", [f"new{k}/*"]))
        assert [e[1] for e in index.owners(f"new{k}/x", state, runtime)] == [f"new{k}"]
    assert len([p for p in root.iterdir() if p.is_dir()]) == 1
    _save(state, _task("auth", ["src/auth/"], status="completed"),
          _task("dep", ["dep/*"]) | {"depends_on": ["new0"]})
    assert index.owners("src/auth/x.js", state, runtime) == []
    assert [e[4] for e in index.owners("dep/x", state, runtime)] == [["new0 (queued)"]]
    _save(state, _task("new0", ["new0/*"], status="blocked"))  # the entries of its dependents too
    assert [e[4] for e in index.owners("dep/x", state, runtime)] == [["new0 (blocked)"]]
    Path(state, "tasks", "new1.json").unlink()
    _save(state)
    assert index.owners("new1/x", state, runtime) == []


def test_a_file_rewritten_with_the_same_size_in_the_same_tick_is_read_again(indexed: tuple[str, str]) -> None:
    """A file indexed within RACY_NS of its last write may change again in the same clock tick,
    keeping its size and mtime: it is recorded as racy and read again at the next refresh."""
    state, runtime = indexed
    _save(state, _task("docs", ["./docs/*.md"]))  # written just now: racy when indexed
    assert [e[3] for e in index.owners("docs/a.md", state, runtime)] == ["Docs"]
    path = Path(state, "tasks", "docs.json")
    info = os.stat(path)
    path.write_text(path.read_text().replace('"Docs"', '"Dacs"'))  # in place: same size and inode
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))  # and, in a coarse tick, the same mtime
    _save(state)
    assert [e[3] for e in index.owners("docs/a.md", state, runtime)] == ["Dacs"]


def test_many_changed_files_mean_a_whole_rebuild_pruned_to_two_generations(
    indexed: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestrator.hooks import indexfiles

    monkeypatch.setattr(indexfiles, "MIN_WHOLE", 0)
    monkeypatch.setattr(indexfiles, "MAX_SHARE", 10**9)
    state, runtime = indexed
    root = Path(index.index_dir(state, runtime))
    for k in range(4):
        _save(state, _task(f"new{k}", [f"new{k}/*"]))
        assert [e[1] for e in index.owners(f"new{k}/x", state, runtime)] == [f"new{k}"]
    assert len([p for p in root.iterdir() if p.is_dir()]) == 2
    assert all((p / index.COMPLETE).exists() for p in root.iterdir() if p.is_dir())


def test_an_incomplete_generation_is_never_served(indexed: tuple[str, str]) -> None:
    state, runtime = indexed
    index.owners("x", state, runtime)
    root = Path(index.index_dir(state, runtime))
    current = json.loads((root / "current").read_text())
    (root / current[1] / index.COMPLETE).unlink()
    (root / current[1] / "src%2Fauth.json").unlink()  # what a half-done build or prune leaves
    assert [e[1] for e in index.owners("src/auth/x.js", state, runtime)] == ["auth"]


def test_a_reader_whose_generation_is_pruned_under_it_starts_again(
    indexed: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state, runtime = indexed
    index.owners("x", state, runtime)
    real_view, calls = index._view, []

    def pruned_first(state_dir: str, runtime_dir: str) -> Any:
        folder = real_view(state_dir, runtime_dir)
        calls.append(folder)
        if len(calls) == 1:  # a pruner got there first: marker gone, then buckets
            os.unlink(os.path.join(str(folder), index.COMPLETE))
            os.unlink(os.path.join(str(folder), "src%2Fauth.json"))
        return folder

    monkeypatch.setattr(index, "_view", pruned_first)
    assert [e[1] for e in index.owners("src/auth/x.js", state, runtime)] == ["auth"]
    assert len(calls) == 2


def test_a_missing_bucket_of_a_complete_generation_is_empty(indexed: tuple[str, str]) -> None:
    state, runtime = indexed
    assert index.owners("nobody/owns/this.txt", state, runtime) == []


def test_a_busy_index_lock_means_a_private_build_and_nothing_published(
    indexed: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state, runtime = indexed
    monkeypatch.setattr(index, "LOCK_DEADLINE", 0.05)
    root = Path(index.index_dir(state, runtime))
    root.mkdir(parents=True)
    with open(root / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert [e[1] for e in index.owners("src/auth/x.js", state, runtime)] == ["auth"]
        assert sorted({e[1] for e in index.owners_below("web", state, runtime)}) == ["login", "py"]
    assert not (root / "current").exists()


def test_keep_current_moves_a_current_index_to_the_new_stamp(indexed: tuple[str, str]) -> None:
    state, runtime = indexed
    index.owners("x", state, runtime)
    root = Path(index.index_dir(state, runtime))
    before = json.loads((root / "current").read_text())
    os.utime(Path(state, "tasks"), ns=(10**18, 10**18))
    index.keep_current(state, runtime, before[0])
    assert json.loads((root / "current").read_text()) == [index.stamp(state), before[1]]


def test_a_stamp_set_just_now_is_waited_out_before_reading(dirs: tuple[str, str]) -> None:
    state, runtime = dirs
    Path(state, "tasks", "t.json").write_text(json.dumps(_task("t", ["a/*"])))
    assert [e[1] for e in index.owners("a/x", state, runtime)] == ["t"]
    current = json.loads(Path(index.index_dir(state, runtime), "current").read_text())
    assert current[0] == index.stamp(state)
    assert time.time_ns() - int(current[0]) >= index.RACY_NS


def test_an_index_that_cannot_be_written_is_built_in_memory(
    indexed: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state, runtime = indexed

    def full_disk(*_args: Any) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(index, "_publish", full_disk)
    assert [e[1] for e in index.owners("src/auth/x.js", state, runtime)] == ["auth"]
    index.rebuild(state, runtime)  # the CLI's rebuild gives up quietly too


def test_a_stamp_in_the_future_costs_no_more_than_the_racy_wait(indexed: tuple[str, str]) -> None:
    state, runtime = indexed
    future = time.time_ns() + 3600 * 10**9
    os.utime(Path(state, "tasks"), ns=(future, future))
    started = time.monotonic()
    assert [e[1] for e in index.owners("src/auth/x.js", state, runtime)] == ["auth"]
    assert time.monotonic() - started < 1.0


def test_each_work_tree_keeps_its_own_snapshots(tmp_path: Path) -> None:
    from orchestrator import snapshot

    runtime = str(tmp_path / "runtime")
    states = [str(tmp_path / name / ".orch") for name in ("one", "two")]
    for state in states:
        _save_tree(state, _task(f"t-{Path(state).parent.name}", []))
        snapshot.save(state, runtime, snapshot.fingerprint(state), index.load_tasks(f"{state}/tasks"))
    for state in states:
        found = snapshot.load(state, runtime)
        assert found is not None and [t["id"] for t in found] == [f"t-{Path(state).parent.name}"]
        assert snapshot.load(state, runtime, snapshot.SUMMARY) is not None


def _save_tree(state: str, *tasks: dict[str, Any]) -> None:
    Path(state, "tasks").mkdir(parents=True)
    _save(state, *tasks)


def test_a_damaged_file_table_means_a_whole_rebuild(indexed: tuple[str, str]) -> None:
    from orchestrator.hooks import indexfiles

    state, runtime = indexed
    index.owners("x", state, runtime)
    root = Path(index.index_dir(state, runtime))
    current = json.loads((root / "current").read_text())
    (root / current[1] / indexfiles.TASKS).write_text('{"auth.json": 7}')
    _save(state, _task("extra", ["extra/*"]))
    assert [e[1] for e in index.owners("extra/x", state, runtime)] == ["extra"]
    assert [e[1] for e in index.owners("src/auth/x.js", state, runtime)] == ["auth"]


def test_refreshed_rows_go_to_the_delta_which_is_folded_when_full(
    indexed: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refresh in place records the rows it changed in `%tasks.delta.json` and leaves the whole
    table alone until the delta holds DELTA_LIMIT rows; later refreshes read both."""
    from orchestrator.hooks import indexfiles

    state, runtime = indexed
    time.sleep(0.03)  # past index.RACY_NS: rows of files written just now are read at every refresh
    index.owners("x", state, runtime)
    root = Path(index.index_dir(state, runtime))
    folder = root / json.loads((root / "current").read_text())[1]
    table = (folder / indexfiles.TASKS).read_text()
    monkeypatch.setattr(indexfiles, "DELTA_LIMIT", 2)
    _save(state, _task("auth", ["src/auth/"], status="completed"))
    time.sleep(0.03)
    assert index.owners("src/auth/x.js", state, runtime) == []
    assert (folder / indexfiles.TASKS).read_text() == table
    delta = json.loads((folder / indexfiles.TASKS_DELTA).read_text())
    assert list(delta["rows"]) == ["auth"] and delta["rows"]["auth"][4] == "completed"
    Path(state, "tasks", "docs.json").unlink()
    _save(state)
    time.sleep(0.03)
    assert index.owners("docs/a.md", state, runtime) == []
    assert json.loads((folder / indexfiles.TASKS_DELTA).read_text())["rows"]["docs"] is None
    _save(state, _task("auth", ["src/auth/"]))  # its row again: still two rows
    time.sleep(0.03)
    assert [e[1] for e in index.owners("src/auth/x.js", state, runtime)] == ["auth"]
    _save(state, _task("extra", ["extra/*"]))  # a third: folded into the table
    time.sleep(0.03)
    assert [e[1] for e in index.owners("extra/x", state, runtime)] == ["extra"]
    assert not (folder / indexfiles.TASKS_DELTA).exists()
    rows = json.loads((folder / indexfiles.TASKS).read_text())
    assert "docs" not in rows and rows["auth"][4] == "queued" and "extra" in rows
    assert [e[1] for e in index.owners("src/auth/x.js", state, runtime)] == ["auth"]


def test_a_delta_of_another_table_file_is_ignored(indexed: tuple[str, str]) -> None:
    """A delta left over from a fold cut short (the table rewritten, the delta not yet removed)
    names another table file: its rows are not applied."""
    from orchestrator.hooks import indexfiles

    state, runtime = indexed
    time.sleep(0.03)  # past index.RACY_NS: rows of files written just now are read at every refresh
    index.owners("x", state, runtime)
    root = Path(index.index_dir(state, runtime))
    folder = root / json.loads((root / "current").read_text())[1]
    _save(state, _task("auth", ["src/auth/"], status="completed"))
    time.sleep(0.03)
    assert index.owners("src/auth/x.js", state, runtime) == []
    loaded = indexfiles.load_table(str(folder))
    assert loaded is not None and loaded[0]["auth"][4] == "completed"
    indexfiles.save_table(str(folder), json.loads((folder / indexfiles.TASKS).read_text()))
    loaded = indexfiles.load_table(str(folder))
    assert loaded is not None and loaded[0]["auth"][4] == "queued" and loaded[1] == {}
