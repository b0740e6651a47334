"""Install the real Claude Code CLI from npm and run it headless (``claude -p``).

``ensure_claude()`` installs ``@anthropic-ai/claude-code@PINNED`` once into
``<repo>/.e2e-cache/claude-<version>`` (gitignored) and returns the binary.
``run_claude()`` runs one ``claude -p`` with a scrubbed environment pointed at a fake API and
returns the parsed ``stream-json`` events.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PINNED = "2.1.330"
NEWEST_SEEN = "2.1.332"
PACKAGE = "@anthropic-ai/claude-code"
# The newest Claude Code the plugin, hook and binding tests also run on: what `.ci/run` found
# published at the time of the run (resolve_newest), else the newest seen when this was written.
NEWEST = os.environ.get("E2E_CLAUDE_NEWEST") or NEWEST_SEEN

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = REPO_ROOT / ".e2e-cache"

# Inherited variables with these prefixes are dropped: the tests may themselves run inside
# Claude Code, whose session, auth and API settings must not leak into the CLI under test.
STRIPPED_PREFIXES = ("CLAUDE", "ANTHROPIC")

# Commits made by the CLI's tools or by hooks need an identity; the fresh HOME has no gitconfig.
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "e2e",
    "GIT_AUTHOR_EMAIL": "e2e@example.invalid",
    "GIT_COMMITTER_NAME": "e2e",
    "GIT_COMMITTER_EMAIL": "e2e@example.invalid",
}


# Fixed dates too, so commit ids made by tests are reproducible.
GIT_ENV = {
    **GIT_IDENTITY,
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+00:00",
}


class NpmMissing(RuntimeError):
    """npm is not on PATH, so the CLI cannot be installed (e2e tests are skipped)."""


class InstallError(RuntimeError):
    """npm is there but installing or running the pinned CLI failed (e2e tests fail)."""


class ClaudeTimeout(AssertionError):
    """``claude -p`` did not finish in time; the process group was killed."""

    def __init__(self, message: str, stdout: str, stderr: str) -> None:
        super().__init__(message)
        self.stdout = stdout
        self.stderr = stderr


# --------------------------------------------------------------------------- install


def _version_ok(binary: Path, version: str) -> bool:
    try:
        with tempfile.TemporaryDirectory(prefix="claude-version-home-") as home:
            out = subprocess.run(
                [str(binary), "--version"],
                capture_output=True,
                text=True,
                timeout=60,
                stdin=subprocess.DEVNULL,
                env=_base_env(Path(home)),
            )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and out.stdout.strip().startswith(version)


def _candidates(prefix: Path) -> list[Path]:
    """Where an npm install puts the runnable CLI: the ``.bin`` link first; if the package's
    postinstall did not run (npm may refuse install scripts), the platform package's binary."""
    nm = prefix / "node_modules"
    found = [nm / ".bin" / "claude"]
    found += sorted(nm.glob("@anthropic-ai/claude-code-*/claude"))
    return found


def _find_binary(prefix: Path, version: str) -> Path | None:
    for cand in _candidates(prefix):
        if cand.exists() and _version_ok(cand, version):
            return cand
    return None


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """An exclusive file lock, so parallel test sessions don't install at the same time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def ensure_claude(version: str = PINNED) -> Path:
    """Path of a working ``claude`` binary of ``version``, installing it with npm if needed.

    Raises :class:`NpmMissing` if npm is not on PATH, :class:`InstallError` if the install
    fails or the installed binary does not report ``version``.
    """
    prefix = CACHE_DIR / f"claude-{version}"
    found = _find_binary(prefix, version)
    if found:
        return found
    npm = shutil.which("npm")
    if npm is None:
        raise NpmMissing("npm is not on PATH; cannot install the Claude Code CLI")
    with _lock(CACHE_DIR / f"claude-{version}.lock"):
        found = _find_binary(prefix, version)  # another session may have installed it
        if found:
            return found
        staging = Path(tempfile.mkdtemp(prefix=f"claude-{version}.", dir=CACHE_DIR))
        staging.chmod(0o755)
        try:
            cmd = [
                npm,
                "install",
                "--prefix",
                str(staging),
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                f"{PACKAGE}@{version}",
            ]
            try:
                proc = subprocess.run(
                    cmd, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL
                )
            except subprocess.TimeoutExpired as e:
                raise InstallError(f"{' '.join(cmd)} timed out") from e
            if proc.returncode != 0:
                raise InstallError(
                    f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
                )
            if _find_binary(staging, version) is None:
                raise InstallError(
                    f"npm installed {PACKAGE}@{version} but no binary reports that version; "
                    f"looked at {[str(c) for c in _candidates(staging)]}\n{proc.stderr}"
                )
            if prefix.exists():
                shutil.rmtree(prefix)
            staging.rename(prefix)  # .bin links are relative, so they survive the move
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    found = _find_binary(prefix, version)
    if found is None:
        raise InstallError(f"installed {PACKAGE}@{version} into {prefix} but it does not run")
    return found


def resolve_newest() -> str:
    """The newest published version that installs and runs here (`npm view`), else the newest
    seen if it does, else the pinned one (offline, or a broken release): the version `.ci/run`
    exports as E2E_CLAUDE_NEWEST. Says on stderr why it fell back."""
    published = _published_version()
    for version in dict.fromkeys(v for v in (published, NEWEST_SEEN) if v):
        try:
            ensure_claude(version)
            return version
        except (InstallError, NpmMissing) as exc:
            print(f"e2e: Claude Code {version} does not install here ({exc}); trying an older one",
                  file=sys.stderr)
    print(f"e2e: no newer Claude Code available; the newest is the pinned {PINNED}", file=sys.stderr)
    return PINNED


def _published_version() -> str | None:
    npm = shutil.which("npm")
    if npm is None:
        return None
    try:
        done = subprocess.run([npm, "view", PACKAGE, "version"], capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    version = done.stdout.strip()
    return version if done.returncode == 0 and version[:1].isdigit() else None


# --------------------------------------------------------------------------- run


@dataclass
class Result:
    """One ``claude -p`` run."""

    returncode: int
    events: list[dict[str, Any]]
    result_text: str | None
    stdout: str
    stderr: str
    duration: float = 0.0
    argv: list[str] = field(default_factory=list)

    @property
    def result_event(self) -> dict[str, Any] | None:
        """The final ``{"type": "result", ...}`` event, if any."""
        found: dict[str, Any] | None = None
        for ev in self.events:
            if ev.get("type") == "result":
                found = ev
        return found

    @property
    def is_error(self) -> bool:
        ev = self.result_event
        return ev is None or bool(ev.get("is_error"))

    def of_type(self, type_: str, subtype: str | None = None) -> list[dict[str, Any]]:
        return [
            e
            for e in self.events
            if e.get("type") == type_ and (subtype is None or e.get("subtype") == subtype)
        ]

    def assistant_texts(self) -> list[str]:
        """Text blocks of the assistant events, in order. Subagents' text is in the stream
        only with ``extra_args=["--forward-subagent-text"]`` (their tool calls always are,
        with ``parent_tool_use_id`` set)."""
        out: list[str] = []
        for ev in self.of_type("assistant"):
            for b in ev.get("message", {}).get("content", []):
                if isinstance(b, dict) and b.get("type") == "text":
                    out.append(str(b.get("text", "")))
        return out

    def tool_uses(self) -> list[dict[str, Any]]:
        """tool_use blocks of the assistant events (main thread and subagents), in order."""
        out: list[dict[str, Any]] = []
        for ev in self.of_type("assistant"):
            for b in ev.get("message", {}).get("content", []):
                if isinstance(b, dict) and b.get("type") == "tool_use":
                    out.append(b)
        return out

    def describe(self) -> str:
        """A short dump for assertion messages."""
        return (
            f"returncode={self.returncode} result={self.result_text!r} "
            f"duration={self.duration:.2f}s\nargv={self.argv}\n"
            f"--- stderr (tail)\n{self.stderr[-3000:]}\n--- stdout (tail)\n{self.stdout[-3000:]}"
        )


def _base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(STRIPPED_PREFIXES)}
    env["HOME"] = str(home)
    return env


def claude_env(
    api_url: str, home: Path | str, extra: Mapping[str, str | None] | None = None
) -> dict[str, str]:
    """The environment ``run_claude`` gives the CLI. ``extra`` overrides it; a ``None``
    value removes a variable."""
    env = _base_env(Path(home))
    for k, v in GIT_IDENTITY.items():
        env.setdefault(k, v)
    env.update(
        {
            "ANTHROPIC_BASE_URL": api_url,
            "ANTHROPIC_API_KEY": "test",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_AUTOUPDATER": "1",
            "IS_SANDBOX": "1",  # --dangerously-skip-permissions is refused as root without it
        }
    )
    for name, value in (extra or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def parse_stream_json(stdout: str) -> list[dict[str, Any]]:
    """One JSON object per line; lines that are not JSON objects are skipped."""
    events: list[dict[str, Any]] = []
    for line in stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict):
            events.append(obj)
    return events


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def run_claude(
    binary: Path | str,
    prompt: str,
    *,
    cwd: Path | str,
    api_url: str,
    home: Path | str,
    settings: Mapping[str, Any] | Path | str | None = None,
    plugin_dir: Path | str | None = None,
    extra_args: Sequence[str] = (),
    env: Mapping[str, str | None] | None = None,
    timeout: float = 120,
) -> Result:
    """Run ``claude -p PROMPT --output-format stream-json --verbose
    --dangerously-skip-permissions`` in ``cwd`` against the API at ``api_url``.

    ``settings``: a dict (written to a JSON file beside ``home``) or a path, passed as
    ``--settings``. ``plugin_dir``: passed as ``--plugin-dir``. ``env`` overrides the
    environment built by :func:`claude_env`. On timeout the whole process group is killed and
    :class:`ClaudeTimeout` is raised with the output so far.
    """
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    argv = [
        str(binary),
        "-p",
        prompt,
        "--output-format",
        "stream-json",
        "--verbose",
        "--dangerously-skip-permissions",
    ]
    if settings is not None:
        if isinstance(settings, Mapping):
            fd, name = tempfile.mkstemp(prefix="e2e-settings-", suffix=".json", dir=home.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(settings, f, indent=1)
            settings = name
        argv += ["--settings", str(settings)]
    if plugin_dir is not None:
        argv += ["--plugin-dir", str(plugin_dir)]
    argv += list(extra_args)

    # Output goes to files, not pipes: a stray grandchild holding a pipe open (a background
    # shell, a hook) would otherwise block us until the timeout after claude itself exited.
    with tempfile.TemporaryFile() as out_f, tempfile.TemporaryFile() as err_f:
        start = time.monotonic()
        proc = subprocess.Popen(
            argv,
            cwd=str(cwd),
            env=claude_env(api_url, home, env),
            stdin=subprocess.DEVNULL,
            stdout=out_f,
            stderr=err_f,
            start_new_session=True,
        )
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc.pid)
            proc.wait()
        duration = time.monotonic() - start
        _kill_group(proc.pid)  # leftovers: background tasks, hooks still running
        out_f.seek(0)
        err_f.seek(0)
        stdout = out_f.read().decode("utf-8", "replace")
        stderr = err_f.read().decode("utf-8", "replace")

    if timed_out:
        raise ClaudeTimeout(
            f"claude -p did not finish within {timeout}s (process group killed)\n"
            f"argv={argv}\n--- stderr (tail)\n{stderr[-3000:]}\n--- stdout (tail)\n"
            f"{stdout[-3000:]}",
            stdout,
            stderr,
        )
    events = parse_stream_json(stdout)
    result_text: str | None = None
    for ev in reversed(events):
        if ev.get("type") == "result":
            r = ev.get("result")
            result_text = r if isinstance(r, str) else None
            break
    return Result(
        returncode=proc.returncode,
        events=events,
        result_text=result_text,
        stdout=stdout,
        stderr=stderr,
        duration=duration,
        argv=argv,
    )


# The ``claude_run`` fixture: ``claude_run(prompt, **run_claude_kwargs) -> Result``.
ClaudeRun = Callable[..., Result]


def git(repo: Path | str, *args: str) -> str:
    """Run git in ``repo`` with a fixed identity and dates (:data:`GIT_ENV`); return stdout."""
    return subprocess.run(
        ["git", *args],
        cwd=repo,
        env={**os.environ, **GIT_ENV},
        check=True,
        capture_output=True,
        text=True,
    ).stdout


# --------------------------------------------------------------------------- settings helpers


def python_hook(path: Path | str, code: str) -> str:
    """Write ``code`` as a Python script at ``path`` and return a shell command running it
    with this interpreter (hook commands run under ``/bin/sh -c``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(code, encoding="utf-8")
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(path))}"


def hook_settings(*entries: tuple[str, str | None, str]) -> dict[str, Any]:
    """A settings dict with command hooks: ``(event, matcher or None, command)`` each."""
    hooks: dict[str, list[dict[str, Any]]] = {}
    for event, matcher, command in entries:
        group: dict[str, Any] = {"hooks": [{"type": "command", "command": command, "timeout": 30}]}
        if matcher is not None:
            group["matcher"] = matcher
        hooks.setdefault(event, []).append(group)
    return {"hooks": hooks}


def write_project_settings(repo: Path | str, settings: Mapping[str, Any]) -> Path:
    """Write ``<repo>/.claude/settings.json``."""
    path = Path(repo) / ".claude" / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(settings, indent=1), encoding="utf-8")
    return path
