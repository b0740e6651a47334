"""orch's one glob normalisation and matcher (`orchestrator.globs`)."""

from __future__ import annotations

import fnmatch

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestrator import globs
from orchestrator.graph import globs_overlap


@pytest.mark.parametrize(
    ("glob", "normal"),
    [
        ("src/auth/", "src/auth/**"),
        ("./docs/*.md", "docs/*.md"),
        ("tests//test_x.py", "tests/test_x.py"),
        ("/src/x.py", "src/x.py"),
        ("././a/./b", "a/b"),
        ("src/auth", "src/auth"),
        ("src/**/", "src/**"),
        ("**/**/x", "**/x"),
        ("./", "**"),
        ("  web/**  ", "web/**"),
    ],
)
def test_normalise(glob: str, normal: str) -> None:
    assert globs.normalise(glob) == normal
    assert globs.normalise(normal) == normal


@pytest.mark.parametrize("glob", ["../x", "src/../../etc/passwd", "a/.."])
def test_normalise_refuses_dot_dot(glob: str) -> None:
    with pytest.raises(ValueError, match=r"'\.\.' segment leaves the repository"):
        globs.normalise(glob)


@pytest.mark.parametrize("glob", ["/", "//", "./"])
def test_the_root_folder_with_a_trailing_slash_is_everything(glob: str) -> None:
    assert globs.normalise(glob) == "**"


@pytest.mark.parametrize("glob", ["", " ", "."])
def test_normalise_refuses_globs_naming_no_path(glob: str) -> None:
    with pytest.raises(ValueError, match="names no path"):
        globs.normalise(glob)


@pytest.mark.parametrize(
    ("glob", "path", "hit"),
    [
        ("src/auth/", "src/auth/login.py", True),
        ("src/auth/", "src/auth/deep/x.py", True),
        ("src/auth", "src/auth/login.py", False),
        ("src/auth", "src/auth", True),
        ("./docs/*.md", "docs/a.md", True),
        ("./docs/*.md", "docs/sub/a.md", False),
        ("tests//test_x.py", "tests/test_x.py", True),
        ("**/*.py", "a.py", True),
        ("**/*.py", "a/b/c.py", True),
        ("src/**/x.py", "src/x.py", True),
        ("src/*", "src", False),
        ("../x", "x", False),
    ],
)
def test_matches(glob: str, path: str, hit: bool) -> None:
    assert globs.matches(glob, path) is hit


@pytest.mark.parametrize(
    ("glob", "folder", "hit"),
    [
        ("src/**", "src/a", True),
        ("src/**", "src", True),
        ("**/*.py", "anything/at/all", True),
        ("web/src/login/**", "web/src", True),
        ("web/src/login/**", "web", True),
        ("web/src/login/**", "web/src/other", False),
        ("web/src/login/**", "", True),
        ("docs/*.md", "docs", True),
        ("docs/*.md", "docs/sub", False),
        ("docs/x.md", "docs/x.md", True),  # the folder itself
        ("src/auth", "src/auth/sub", False),  # a file glob names nothing below it
        ("src/a*/x", "src/abc", True),
        ("src/a*/x", "src/b", False),
        ("src/", "src/a/b/c", True),
        ("anything", ".", True),
    ],
)
def test_may_match_below(glob: str, folder: str, hit: bool) -> None:
    assert globs.may_match_below(glob, folder) is hit


SEGMENT = st.text(alphabet="ab*?[]!.", min_size=1, max_size=5).filter(lambda s: s not in (".", "..", "**"))
NAME = st.text(alphabet="ab.", min_size=1, max_size=4).filter(lambda s: s not in (".", "..", "**"))


@given(st.lists(SEGMENT, min_size=1, max_size=4), st.lists(NAME, min_size=1, max_size=4))
def test_without_double_stars_matching_is_fnmatchcase_segment_by_segment(
    pattern: list[str], path: list[str]
) -> None:
    expected = len(pattern) == len(path) and all(
        fnmatch.fnmatchcase(name, part) for part, name in zip(pattern, path, strict=False)
    )
    assert globs.matches("/".join(pattern), "/".join(path)) is expected


GLOB_SEGMENT = st.sampled_from(["a", "b", "*", "a*", "?", "[ab]", "**"])


@given(st.lists(GLOB_SEGMENT, min_size=1, max_size=4), st.lists(st.sampled_from(["a", "b", "ab"]),
                                                                 min_size=1, max_size=5))
def test_may_match_below_holds_for_every_folder_above_a_matched_path(
    pattern: list[str], path: list[str]
) -> None:
    glob = "/".join(pattern)
    if globs.matches(glob, "/".join(path)):
        for depth in range(len(path) + 1):
            assert globs.may_match_below(glob, "/".join(path[:depth])), (glob, path[:depth])


@given(st.lists(GLOB_SEGMENT, min_size=1, max_size=4), st.lists(st.sampled_from(["a", "b", "ab"]),
                                                                 min_size=1, max_size=4))
def test_normal_form_matches_what_the_written_form_matches(pattern: list[str], path: list[str]) -> None:
    written = "./" + "//".join(pattern)
    assert globs.matches(written, "/".join(path)) is globs.matches(globs.normalise(written), "/".join(path))


@pytest.mark.parametrize(("a", "b"), [("src/auth/", "src/auth/x.py"), ("./docs/*.md", "docs/a.md"),
                                      ("tests//t.py", "tests/t.py")])
def test_graph_overlap_uses_the_same_normalisation(a: str, b: str) -> None:
    assert globs_overlap(a, b)
    assert not globs_overlap(a, "elsewhere/x")
