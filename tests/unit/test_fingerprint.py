"""The Stop hook's cache key: any change a gate could read changes it; orch's own state does not."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from orchestrator.fingerprint import after_run, changed_paths, digest, tree_entries, tree_fingerprint
from tests.conftest import git


@pytest.fixture
def tree(repo: Path) -> Path:
    """`repo` with an ignored build folder, orch state and a commit of both files."""
    (repo / "app.py").write_text("print('hi')\n")
    (repo / ".gitignore").write_text("build/\nnode_modules/\n")
    (repo / ".orch").mkdir()
    (repo / ".orch" / "x").write_text("state 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "app")
    return repo


def bump(path: Path, text: str) -> None:
    """Write `text` and move the mtime forward, as a later edit would."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text)
    os.utime(path, ns=(before + 10**9, before + 10**9))


def test_follows_tracked_and_untracked_files(tree: Path) -> None:
    first = tree_fingerprint(tree)
    assert tree_fingerprint(tree) == first
    bump(tree / "app.py", "print('bye')\n")
    second = tree_fingerprint(tree)
    assert second != first
    (tree / "new.py").write_text("")
    third = tree_fingerprint(tree)
    assert third != second
    (tree / "new.py").unlink()
    (tree / "app.py").unlink()
    assert tree_fingerprint(tree) not in {first, second, third}


def test_ignores_orch_state_and_git_internals(tree: Path) -> None:
    first = tree_fingerprint(tree)
    bump(tree / ".orch" / "x", "state 2, longer\n")
    (tree / ".orch" / "y.json").write_text("{}")
    (tree / ".git" / "orch").mkdir()
    (tree / ".git" / "orch" / "gatecache.json").write_text("{}")
    assert tree_fingerprint(tree) == first
    (tree / "coverage.json").write_text("{}")
    assert tree_fingerprint(tree, exclude=("coverage.json",)) == first


def test_sees_git_ignored_files(tree: Path) -> None:
    """Build output and dependencies are what many gates read."""
    (tree / "build").mkdir()
    (tree / "build" / "out.js").write_text("ok")
    first = tree_fingerprint(tree)
    bump(tree / "build" / "out.js", "no")
    second = tree_fingerprint(tree)
    assert second != first
    (tree / "node_modules" / "dep").mkdir(parents=True)
    (tree / "node_modules" / "dep" / "index.js").write_text("")
    assert tree_fingerprint(tree) != second


def test_sees_an_edit_that_keeps_size_and_mtime(tree: Path) -> None:
    """`touch -d` can set mtime back, not ctime."""
    target = tree / "app.py"
    before = target.stat()
    first = tree_fingerprint(tree)
    target.write_text("print('ho')\n")  # same size
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert target.stat().st_size == before.st_size and target.stat().st_mtime_ns == before.st_mtime_ns
    assert tree_fingerprint(tree) != first


def test_sees_a_file_replaced_by_a_copy(tree: Path) -> None:
    first = tree_fingerprint(tree)
    copy = tree / "copy.tmp"
    copy.write_text((tree / "app.py").read_text())
    os.utime(copy, ns=((tree / "app.py").stat().st_atime_ns, (tree / "app.py").stat().st_mtime_ns))
    os.replace(copy, tree / "app.py")
    assert tree_fingerprint(tree) != first


def test_sees_symlink_targets_outside_the_tree(tree: Path, tmp_path: Path) -> None:
    outside = tmp_path / "shared-config.toml"
    outside.write_text("strict = true\n")
    (tree / "config.toml").symlink_to(outside)
    first = tree_fingerprint(tree)
    bump(outside, "strict = no!\n")
    second = tree_fingerprint(tree)
    assert second != first
    outside.unlink()
    assert tree_fingerprint(tree) not in {first, second}, "a link that broke is a change"


def test_follows_into_submodules_but_not_their_git_folder(tree: Path, tmp_path: Path) -> None:
    library = tmp_path / "library"
    library.mkdir()
    git(library, "init", "-q", "-b", "main")
    (library / "lib.py").write_text("VALUE = 1\n")
    git(library, "add", "-A")
    git(library, "commit", "-q", "-m", "lib")
    git(tree, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(library), "vendor/lib")
    git(tree, "commit", "-q", "-m", "submodule")
    first = tree_fingerprint(tree)
    subprocess.run(["git", "gc", "-q"], cwd=tree / "vendor" / "lib", check=True)  # its store changes
    (tree / ".git" / "modules" / "vendor" / "lib" / "extra").write_text("x")
    assert tree_fingerprint(tree) == first
    bump(tree / "vendor" / "lib" / "lib.py", "VALUE = 2\n")
    assert tree_fingerprint(tree) != first


def test_nested_git_folders_are_skipped_anywhere(tmp_path: Path) -> None:
    (tmp_path / "pkg" / ".git").mkdir(parents=True)
    (tmp_path / "pkg" / "a.py").write_text("")
    first = tree_fingerprint(tmp_path)
    (tmp_path / "pkg" / ".git" / "HEAD").write_text("ref: refs/heads/x\n")
    assert tree_fingerprint(tmp_path) == first
    assert set(tree_entries(tmp_path)) == {"pkg", "pkg/a.py"}


def test_without_git_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-git-here"))
    (tmp_path / "a.txt").write_text("a")
    first = tree_fingerprint(tmp_path)
    bump(tmp_path / "a.txt", "bb")
    assert tree_fingerprint(tmp_path) != first


def test_after_run_keeps_the_gates_own_writes(tree: Path) -> None:
    """A run that only filled tool caches and its declared report is filed under the tree after
    it; anything else it changed (or someone changed meanwhile) files it under the tree before."""
    (tree / "tests").mkdir()
    before = tree_entries(tree)
    (tree / "tests" / "__pycache__").mkdir()
    (tree / "tests" / "__pycache__" / "t.pyc").write_bytes(b"\0")
    (tree / ".pytest_cache" / "v").mkdir(parents=True)
    (tree / ".pytest_cache" / "v" / "nodeids").write_text("[]")
    (tree / ".coverage").write_text("")
    (tree / "reports").mkdir()
    (tree / "reports" / "junit.xml").write_text("<testsuite/>")
    after = tree_entries(tree)
    assert changed_paths(before, after) >= {"tests/__pycache__/t.pyc", ".coverage"}
    assert after_run(before, after, ["reports/junit.xml"]) == digest(after) == tree_fingerprint(tree)
    bump(tree / "app.py", "print('edited meanwhile')\n")
    assert after_run(before, tree_entries(tree), ["reports/junit.xml"]) == digest(before)
    assert after_run(before, after, []) == digest(before), "an undeclared report is not a cache"
