"""Fixtures for the end-to-end tests that run the real Claude Code CLI against a fake API."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from claude import (  # noqa: E402
    NEWEST,
    PINNED,
    ClaudeRun,
    InstallError,
    NpmMissing,
    Result,
    ensure_claude,
    git,
    run_claude,
)
from commandfix import PluginData  # noqa: E402
from fakeapi import FakeAPI  # noqa: E402

E2E_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e with ``e2e`` (deselect with ``-m "not e2e"``)."""
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_versions: run on the pinned Claude Code and on the newest (E2E_CLAUDE_NEWEST)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``both_versions`` run once per CLI version, named in the test id, so a
    difference between the versions is a failure that says which one."""
    if "claude_version" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_versions"):
        versions = list(dict.fromkeys([PINNED, NEWEST]))
        metafunc.parametrize("claude_version", versions, ids=[f"claude-{v}" for v in versions])


@pytest.fixture
def claude_version() -> str:
    """The Claude Code version of this test: ``E2E_CLAUDE_VERSION`` or the pinned one (tests
    marked ``both_versions`` get each of the pinned and the newest instead)."""
    return os.environ.get("E2E_CLAUDE_VERSION") or PINNED


_BINARIES: dict[str, Path] = {}


@pytest.fixture
def claude_bin(claude_version: str) -> Path:
    """The Claude Code CLI of ``claude_version``, installed once into ``<repo>/.e2e-cache``.

    Skipped only when npm is missing; an npm that fails to install is a test failure.
    """
    if claude_version not in _BINARIES:
        try:
            _BINARIES[claude_version] = ensure_claude(claude_version)
        except NpmMissing as e:
            pytest.skip(f"e2e: {e}")
        except InstallError as e:
            pytest.fail(f"e2e: installing Claude Code {claude_version} failed: {e}", pytrace=False)
    return _BINARIES[claude_version]


@pytest.fixture
def fakeapi(tmp_path: Path) -> Iterator[FakeAPI]:
    """A fresh fake Messages API on 127.0.0.1; set ``fakeapi.script`` (or mutate it).

    On teardown every recorded request is written to ``<tmp_path>/fakeapi-requests.json``
    (and to ``$E2E_DUMP_DIR/<test>.json`` if that variable is set) for debugging.
    """
    api = FakeAPI().start()
    try:
        yield api
    finally:
        api.stop()
        api.dump(str(tmp_path / "fakeapi-requests.json"))
        dump_dir = os.environ.get("E2E_DUMP_DIR")
        if dump_dir:
            Path(dump_dir).mkdir(parents=True, exist_ok=True)
            api.dump(str(Path(dump_dir) / f"{tmp_path.name}.json"))


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    """A git repository on branch ``main`` with one commit (a README)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("# e2e test repo\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "-m", "initial commit")
    return repo


@pytest.fixture
def e2e_home(tmp_path: Path) -> Path:
    """A fresh, empty HOME for the CLI (no login, settings or plugins)."""
    home = tmp_path / "home"
    home.mkdir()
    return home


@pytest.fixture
def plugin(e2e_home: Path) -> Iterator[PluginData]:
    """The plugin's data folder (``--plugin-dir`` installs) with a ready venv, so no pip build
    starts; afterwards, that none did."""
    with PluginData(e2e_home) as data:
        yield data
    data.assert_no_builder()


# (test id, seconds) of every run made through the ``claude_run`` fixture.
TIMINGS: list[tuple[str, float]] = []


@pytest.fixture
def claude_run(
    request: pytest.FixtureRequest,
    claude_bin: Path,
    fakeapi: FakeAPI,
    git_repo: Path,
    e2e_home: Path,
) -> ClaudeRun:
    """``claude_run(prompt, **kw) -> Result``: :func:`run_claude` bound to this test's CLI,
    fake API, repository (cwd) and HOME; keyword arguments override any of them. Checks that
    no scripted callable raised, and records the run time for the summary."""

    def run(prompt: str, **kw: Any) -> Result:
        kw.setdefault("cwd", git_repo)
        kw.setdefault("api_url", fakeapi.url)
        kw.setdefault("home", e2e_home)
        binary = kw.pop("binary", claude_bin)
        result = run_claude(binary, prompt, **kw)
        TIMINGS.append((request.node.nodeid, result.duration))
        print(f"[e2e] claude -p took {result.duration:.2f}s ({request.node.name})")
        fakeapi.check()
        return result

    return run


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TIMINGS:
        return
    terminalreporter.section("e2e: claude -p run times")
    for nodeid, secs in TIMINGS:
        terminalreporter.write_line(f"{secs:6.2f}s  {nodeid}")
    total = sum(s for _, s in TIMINGS)
    terminalreporter.write_line(f"{len(TIMINGS)} runs, {total:.2f}s total, {total / len(TIMINGS):.2f}s mean")
