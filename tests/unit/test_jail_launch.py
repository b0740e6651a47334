"""The jail launcher on its own: the kernel holds what it is told to, for root and for an ordinary
user; the spec a command gets; which commands are plain `orch` calls."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.jail import launch, plain_orch, sessions, specs

LAUNCHER = sessions.LAUNCHER
can_jail = pytest.mark.skipif(sessions.check() is not None,
                              reason="this kernel cannot jail")


def launch_run(
    paths: list[Path], script: str, cwd: Path, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    argv = [*prefix, sys.executable, "-I", "-S", LAUNCHER, "run", *map(str, paths), "--", "/bin/sh", "-c",
            script]
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=30)


@pytest.fixture
def tree(tmp_path: Path) -> Iterator[Path]:
    """A folder every user can reach (the ordinary-user test runs as nobody)."""
    top = Path(tempfile.mkdtemp(prefix="orch-jail-", dir="/tmp"))
    try:
        yield _filled(top)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _filled(tmp_path: Path) -> Path:
    (tmp_path / "held").mkdir()
    (tmp_path / "held" / "a.json").write_text("{}")
    (tmp_path / "leased.py").write_text("x = 1\n")
    tmp_path.chmod(0o777)
    for path in tmp_path.rglob("*"):
        path.chmod(0o777 if path.is_dir() else 0o666)
    return tmp_path


@can_jail
def test_held_paths_refuse_every_kind_of_change_and_the_rest_is_untouched(tree: Path) -> None:
    script = ("echo x > held/a.json; echo x > held/new; rm held/a.json; mv leased.py moved.py; "
              "rm leased.py; echo y >> leased.py; echo ok > beside.txt; mkdir -p d/e && echo ok > d/e/f; "
              "umount held; mount -o remount,rw held; echo done")
    done = launch_run([tree / "held", tree / "leased.py"], script, tree)
    assert done.returncode == 0 and done.stdout.strip() == "done"
    assert done.stderr.count("Read-only file system") >= 4 and "Device or resource busy" in done.stderr
    assert (tree / "held" / "a.json").read_text() == "{}" and not (tree / "held" / "new").exists()
    assert (tree / "leased.py").read_text() == "x = 1\n" and not (tree / "moved.py").exists()
    assert (tree / "beside.txt").read_text() == "ok\n" and (tree / "d" / "e" / "f").exists()
    assert str(tree) not in Path("/proc/self/mountinfo").read_text()  # nothing leaked out of the namespace


@can_jail
def test_an_ordinary_user_is_held_too_and_cannot_undo_it(tree: Path) -> None:
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root to become an ordinary user")
    home = Path(sys.executable).resolve().parents[1]
    if not os.access(home, os.X_OK) or any(not (p.stat().st_mode & 0o005) for p in (home, *home.parents)
                                           if str(p) != "/"):
        pytest.skip("this interpreter cannot be run by another user")
    nobody = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
    script = "echo x > held/a.json; unshare -Urm true; echo ok > beside.txt; id -u"
    done = launch_run([tree / "held"], script, tree, nobody)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "65534"  # the same user as outside, not root of a namespace
    assert "Read-only file system" in done.stderr
    assert (tree / "held" / "a.json").read_text() == "{}" and (tree / "beside.txt").exists()


@can_jail
def test_exit_codes_and_output_pass_through(tree: Path) -> None:
    done = launch_run([tree / "held"], "echo out; echo err >&2; exit 42", tree)
    assert (done.returncode, done.stdout, done.stderr) == (42, "out\n", "err\n")


def test_the_probe_answers() -> None:
    done = subprocess.run([sys.executable, "-I", "-S", LAUNCHER, "probe"], capture_output=True, text=True)
    assert done.returncode in (0, 1)
    assert (done.returncode == 0) == (sessions.check() is None)


def test_a_bad_invocation_is_a_usage_error() -> None:
    for args in ([], ["run", "x"], ["run", "--"], ["session", "only-one"]):
        done = subprocess.run([sys.executable, "-I", "-S", LAUNCHER, *args], capture_output=True, text=True)
        assert done.returncode == 2 and "usage" in done.stderr.lower()


# -- which spec a command gets ---------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", "s1")
    specs.write(str(tmp_path / "default"), "jail", "", ["/repo/.orch", "/repo/.git/orch"])
    return tmp_path


def cc_string(command: str) -> str:
    quoted = "'" + command.replace("'", "'\\''") + "'"
    return f"source snap || true && LINE\n: && eval {quoted} < /dev/null && pwd -P >| /tmp/cwd"


def test_the_matching_spec_is_used_once(folder: Path) -> None:
    specs.write(str(folder / "s1" / "t1"), "jail", "echo 'a b' > x", ["/repo/docs/design.md"])
    specs.write(str(folder / "s1" / "t2"), "free", "orch start B", [])
    assert launch.choose(str(folder), cc_string("echo 'a b' > x")) == (
        "jail", ["/repo/.orch", "/repo/.git/orch", "/repo/docs/design.md"])
    assert not (folder / "s1" / "t1").exists()
    held = ["/repo/.orch", "/repo/.git/orch"]
    assert launch.choose(str(folder), cc_string("orch start B")) == ("free", held)


def test_an_unmatched_command_gets_what_every_pending_spec_holds_and_is_never_free(folder: Path) -> None:
    specs.write(str(folder / "s1" / "t1"), "free", "orch start B", [])
    specs.write(str(folder / "s1" / "t2"), "jail", "make", ["/repo/a", "/repo/b"])
    specs.write(str(folder / "s1" / "t3"), "jail", "make -j2", ["/repo/b", "/repo/c"])
    mode, held = launch.choose(str(folder), cc_string("changed by claude code"))
    assert mode == "jail" and held == ["/repo/.orch", "/repo/.git/orch"]
    (folder / "s1" / "t1").unlink()
    assert launch.choose(str(folder), cc_string("other"))[1] == ["/repo/.orch", "/repo/.git/orch", "/repo/b"]


def test_no_spec_at_all_still_holds_orchs_state(folder: Path) -> None:
    assert launch.choose(str(folder), cc_string("anything")) == ("jail", ["/repo/.orch", "/repo/.git/orch"])


@pytest.mark.parametrize(
    ("command", "free"),
    [
        ("orch start T1", True),
        ("orch done 'T 1' 2>&1", True),
        ("orch status\n", True),
        ("orch start T1; rm x", False),
        ("orch status | tail", False),
        ("cd sub && orch start T1", False),
        ("orch start $T", False),
        ("orch start $(cat id)", False),
        ("FOO=1 orch start T1", False),
        ("orch status > out.txt", False),
        ("orch plan export web -o .orch/x", False),
        ("orch plan export web '--output=.orch/x'", False),
        ("'orch' start T1", False),
        ("./orch start T1", False),
        ("orch start 'unclosed", False),
    ],
)
def test_plain_orch_commands(command: str, free: bool) -> None:
    assert plain_orch(command) is free


def test_the_same_command_of_two_callers_holds_only_what_both_hold(folder: Path) -> None:
    specs.write(str(folder / "s1" / "t1"), "jail", "pytest -q", ["/repo/a.py", "/repo/c.py"])
    specs.write(str(folder / "s1" / "t2"), "jail", "pytest -q", ["/repo/b.py", "/repo/c.py"])
    mode, held = launch.choose(str(folder), cc_string("pytest -q"))
    assert (mode, held) == ("jail", ["/repo/.orch", "/repo/.git/orch", "/repo/c.py"])
    assert len(list((folder / "s1").iterdir())) == 1  # one consumed, the other left for its own call


@can_jail
def test_plain_ctypes_holds_too_where_the_fast_binding_is_missing(tree: Path) -> None:
    code = ("import sys\nfrom orchestrator.jail import launch\n"
            "def missing(self): raise ImportError('no _ctypes here')\n"
            "launch._Kernel._bind_fast = missing\n"
            "raise SystemExit(launch.main(sys.argv[1:]))\n")
    done = subprocess.run([sys.executable, "-c", code, "run", str(tree / "held"), "--", "/bin/sh", "-c",
                           "echo x > held/a.json"], cwd=tree, capture_output=True, text=True, timeout=30)
    assert done.returncode != 0 and "Read-only file system" in done.stderr
    assert (tree / "held" / "a.json").read_text() == "{}"
