"""gitops against real repositories: state, commits with trailers, tags that never move."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from orchestrator import gitops
from orchestrator.errors import InvalidInput, OrchError
from tests.conftest import GIT_ENV


def git(cwd: Path, *args: str, check: bool = True) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=check, capture_output=True, text=True)
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    git(tmp_path, "init", "-q", "-b", "main", str(root))
    (root / "README.md").write_text("hello\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


def commit_file(root: Path, name: str, text: str) -> str:
    (root / name).write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", f"add {name}")
    return git(root, "rev-parse", "HEAD")


# -- state -------------------------------------------------------------------------------------


def test_repo_state_clean_and_dirty(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    assert gitops.repo_state(repo) == {"is_repo": True, "clean": True, "detached": False, "branch": "main",
                                       "head": head, "operation": None}
    (repo / "new.txt").write_text("x")
    assert gitops.repo_state(repo)["clean"] is False
    assert gitops.head_sha(repo) == head


def test_repo_state_outside_a_repo_and_in_an_empty_one(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    assert gitops.repo_state(plain)["is_repo"] is False
    assert gitops.orch_tags(plain) == []
    with pytest.raises(OrchError, match="not a git repository"):
        gitops.head_sha(plain)
    empty = tmp_path / "empty"
    git(tmp_path, "init", "-q", "-b", "main", str(empty))
    state = gitops.repo_state(empty)
    assert (state["is_repo"], state["head"], state["branch"], state["clean"]) == (True, None, "main", True)
    assert gitops.head_sha(empty) is None


def test_detached_head(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "--detach")
    state = gitops.repo_state(repo)
    assert (state["detached"], state["branch"], state["head"]) == (True, None, head)
    (repo / "x.txt").write_text("x")
    with pytest.raises(OrchError, match=r"HEAD is detached at [0-9a-f]{40}; switch to a branch"):
        gitops.commit_all(repo, "msg")
    assert git(repo, "status", "--porcelain") == "?? x.txt"  # nothing was staged


def test_merge_in_progress_is_reported(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    commit_file(repo, "f.txt", "main\n")
    git(repo, "checkout", "-q", "-b", "other", base)
    commit_file(repo, "f.txt", "other\n")
    git(repo, "merge", "-q", "main", check=False)
    state = gitops.repo_state(repo)
    assert state["operation"] == "merge" and state["clean"] is False
    with pytest.raises(OrchError, match="a merge is in progress; finish or abort it first"):
        gitops.commit_all(repo, "msg")
    assert "<<<<<<<" in (repo / "f.txt").read_text() and git(repo, "log", "-1", "--format=%s") == "add f.txt"


def test_inherited_git_environment_is_ignored(repo: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "other"
    git(tmp_path, "init", "-q", "-b", "main", str(other))
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    monkeypatch.setenv("GIT_INDEX_FILE", str(other / ".git" / "index"))
    (repo / "y.txt").write_text("y")
    sha = gitops.commit_all(repo, "in the right repo")
    assert gitops.repo_state(repo)["head"] == sha
    assert os.environ["GIT_DIR"] == str(other / ".git")  # put back as it was
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name)
    assert sha == git(repo, "rev-parse", "HEAD")
    assert git(repo, "log", "-1", "--format=%s") == "in the right repo"
    assert git(other, "rev-list", "--all") == ""


def test_changed_files(repo: Path) -> None:
    since = git(repo, "rev-parse", "HEAD")
    commit_file(repo, "committed.txt", "c")
    git(repo, "mv", "README.md", "RENAMED.md")
    (repo / "untracked.txt").write_text("u")
    (repo / "committed.txt").write_text("changed")
    assert gitops.changed_files(repo, since) == ["README.md", "RENAMED.md", "committed.txt", "untracked.txt"]
    assert gitops.changed_files(repo, None) == ["README.md", "RENAMED.md", "committed.txt", "untracked.txt"]
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "more")
    assert gitops.changed_files(repo, None) == []
    assert gitops.changed_files(repo, since) == ["README.md", "RENAMED.md", "committed.txt", "untracked.txt"]
    assert gitops.changed_files(repo, "HEAD") == []


# -- commits -----------------------------------------------------------------------------------


def test_commit_all_with_trailers(repo: Path) -> None:
    (repo / "work.py").write_text("print(1)\n")
    task = {"id": "T1", "title": "Build the\nlogin  form", "plan": "auth"}
    message = gitops.render_commit_message(gitops.DEFAULT_COMMIT_TEMPLATE, task, "ab" * 32)
    assert message == f"orch: complete T1 Build the login form\n\nOrch-Task: T1\nOrch-Receipt: {'ab' * 32}\n"
    sha = gitops.commit_all(repo, message)
    assert sha == git(repo, "rev-parse", "HEAD")
    assert git(repo, "log", "-1", "--format=%B") + "\n" == message
    assert git(repo, "log", "-1", "--format=%(trailers:key=Orch-Task,valueonly)") == "T1"
    assert git(repo, "log", "-1", "--format=%(trailers:key=Orch-Receipt,valueonly)") == "ab" * 32
    assert git(repo, "status", "--porcelain") == ""
    assert gitops.commit_all(repo, message) is None  # nothing left to commit


def test_commit_all_stages_deletions_and_first_commit(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    git(tmp_path, "init", "-q", "-b", "main", str(root))
    assert gitops.commit_all(root, "nothing") is None
    (root / "a.txt").write_text("a")
    first = gitops.commit_all(root, "first")
    assert first is not None and git(root, "rev-list", "--count", "HEAD") == "1"
    (root / "a.txt").unlink()
    gitops.commit_all(root, "delete")
    assert git(root, "ls-files") == ""


def test_render_commit_message_templates() -> None:
    task = {"id": "T2", "title": "Docs", "priority": "high", "depends_on": ["T1"]}
    message = gitops.render_commit_message("{id} [{priority}] {missing} {depends_on} {{id}}", task, "h")
    assert message.splitlines()[0] == "T2 [high] {missing} {depends_on} {T2}"
    assert message.endswith("\n\nOrch-Task: T2\nOrch-Receipt: h\n")
    assert gitops.render_commit_message("", task, "h").startswith("orch: complete T2 Docs\n\n")
    multi = gitops.render_commit_message("done {id}\n\nbody # not a comment", task, "h")
    assert multi == "done T2\n\nbody # not a comment\n\nOrch-Task: T2\nOrch-Receipt: h\n"


# -- tag names ---------------------------------------------------------------------------------


TAG_NAMES = [
    "v1", "auth-start", "auth/m1", "auth/m1/part", "a.b", "x.lock.y", "a@b", "a/@", "HEAD", "é-unicode",
    "foo-", "a/-b", "a_b", "1.2.3", "@", "-foo", "", "a b", "a~1", "a^", "a:b", "a?", "a*", "a[b", "a\\b",
    "a..b", "a@{b", "@{", ".a", "a/.b", "a.", "a/", "/a", "a//b", "a.lock", "a/b.lock/c", "a\tb",
    "a\x7fb", "a\x01b", "..", ".", "a/./b", "a.lock/b", "lock", ".lock", "a-.lock", "tab\nnewline", "ok/ok.",
]


def git_accepts_tag(repo: Path, name: str) -> bool:
    """Real git's verdict: `git check-ref-format refs/tags/<name>`, then `git tag` itself."""
    formatted = subprocess.run(["git", "check-ref-format", f"refs/tags/{name}"], cwd=repo,
                               capture_output=True).returncode == 0
    created = subprocess.run(["git", "tag", "--", name], cwd=repo, capture_output=True).returncode == 0
    if created:
        subprocess.run(["git", "tag", "-d", "--", name], cwd=repo, capture_output=True, check=True)
    assert formatted or not created, name
    return formatted and created


def test_tag_name_rules_match_git(repo: Path) -> None:
    assert len(TAG_NAMES) >= 30
    for name in TAG_NAMES:
        expected = git_accepts_tag(repo, name) and name != "@"  # `@` is HEAD to git: refused on purpose
        assert gitops.valid_tag_name(name) is expected, repr(name)
    assert git_accepts_tag(repo, "@")


# -- tags --------------------------------------------------------------------------------------


def test_create_tag_is_annotated_and_never_moves(repo: Path) -> None:
    first = git(repo, "rev-parse", "HEAD")
    assert gitops.create_tag(repo, "auth/m1", "Milestone\n\n# not a comment\nOrch-Receipt-Root: abc\n")
    assert git(repo, "cat-file", "-t", "auth/m1") == "tag"
    contents = git(repo, "tag", "-l", "--format=%(contents)", "auth/m1")
    assert contents.startswith("Milestone\n\n# not a comment")
    second = commit_file(repo, "later.txt", "later")
    assert gitops.create_tag(repo, "auth/m1", "again") is False
    assert gitops.create_tag(repo, "auth/m1", "again", ref=second) is False
    assert git(repo, "rev-list", "-n1", "auth/m1") == first
    assert gitops.tag_exists(repo, "auth/m1") and not gitops.tag_exists(repo, "auth/m2")
    assert gitops.tag_commit(repo, "auth/m1") == first


def test_create_tag_refusals(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="invalid tag name 'a..b'"):
        gitops.create_tag(repo, "a..b", "m")
    with pytest.raises(OrchError, match="git tag failed"):
        gitops.create_tag(repo, "v1", "m", ref="no-such-ref")
    empty = tmp_path / "empty"
    git(tmp_path, "init", "-q", "-b", "main", str(empty))
    with pytest.raises(OrchError, match="has no commit yet"):
        gitops.create_tag(empty, "v1", "m")


def test_orch_tags_lists_only_orch_annotated_tags(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    git(repo, "tag", "light")
    git(repo, "tag", "-a", "-m", "a plain release", "v1")
    message = "orch: plan p complete\n\nOrch-Receipt-Root: " + "0" * 64 + "\n"
    gitops.create_tag(repo, "p-complete", message)
    gitops.create_tag(repo, "p/m1", message)
    tags = gitops.orch_tags(repo)
    assert [t["name"] for t in tags] == ["p-complete", "p/m1"]
    assert tags[0]["commit"] == head and tags[0]["message"] == message
    assert tags[0]["tagger"] == GIT_ENV["GIT_AUTHOR_NAME"] and tags[0]["at"].endswith("Z")
