"""The Stop hook's gates: a cache that cannot return a stale pass, gates that die with the hook,
a time budget within the hook's own timeout, and bounded output folders."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.hooks import stop
from tests.conftest import ROOT, Orch, hook_command
from tests.hooks.conftest import payload, run_hook


def _gates(orch: Orch, *commands: str, timeout: float = 10) -> None:
    gates = [
        {"name": f"check{n}", "command": command, "kind": "plain", "timeout": timeout}
        for n, command in enumerate(commands, start=1)
    ]
    orch("config", "gates", json.dumps(gates))


def _stop(planned: Path, active: bool = False) -> dict[str, object]:
    return payload("Stop.first", cwd=str(planned), session_id="sess-1", stop_hook_active=active)


def _runtime(planned: Path) -> Path:
    return planned / ".git" / "orch"


def test_a_changed_ignored_file_reruns_the_gates(planned: Path, orch: Orch) -> None:
    """A gate reading build output (git-ignored) must not pass from the cache once it changed."""
    (planned / ".gitignore").write_text("build/\n")
    (planned / "build").mkdir()
    (planned / "build" / "result").write_text("ok")
    _gates(orch, 'test "$(cat build/result)" = ok || { echo build says no; exit 1; }')
    orch("start", "A", "--agent", "sess-1")
    assert run_hook("Stop", _stop(planned)).stdout == ""
    (planned / "build" / "result").write_text("no")
    run = run_hook("Stop", _stop(planned))
    assert run.json["decision"] == "block" and "build says no" in run.json["reason"]


def test_an_edit_with_its_mtime_set_back_reruns_the_gates(planned: Path, orch: Orch) -> None:
    (planned / "flag").write_text("ok")
    _gates(orch, 'test "$(cat flag)" = ok || { echo flag says no; exit 1; }')
    orch("start", "A", "--agent", "sess-1")
    assert run_hook("Stop", _stop(planned)).stdout == ""
    stamp = (planned / "flag").stat()
    (planned / "flag").write_text("no")
    os.utime(planned / "flag", ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # touch -d back
    assert run_hook("Stop", _stop(planned)).json["decision"] == "block"


def test_the_gates_own_cache_writes_still_hit_the_cache(planned: Path, orch: Orch) -> None:
    counter = planned.parent / "runs.log"  # outside the tree
    _gates(orch, f"echo run >> {counter}; mkdir -p .pytest_cache; date +%s%N > .pytest_cache/x; false")
    orch("start", "A", "--agent", "sess-1")
    run_hook("Stop", _stop(planned))
    run_hook("Stop", _stop(planned, active=True))
    assert counter.read_text().count("run") == 1


def test_a_gate_that_writes_elsewhere_in_the_tree_is_rerun(planned: Path, orch: Orch) -> None:
    """Its writes cannot be told from an edit made while it ran: a rerun, never a stale answer."""
    counter = planned.parent / "runs.log"
    _gates(orch, f"echo run >> {counter}; date +%s%N > stamp.txt; false")
    orch("start", "A", "--agent", "sess-1")
    run_hook("Stop", _stop(planned))
    run_hook("Stop", _stop(planned, active=True))
    assert counter.read_text().count("run") == 2


def test_a_runtime_folder_inside_the_tree_is_not_a_change(
    planned: Path, orch: Orch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORCH_RUNTIME_DIR", str(planned / "runtime"))
    counter = planned.parent / "runs.log"
    _gates(orch, f"echo run >> {counter}; false")
    orch("start", "A", "--agent", "sess-1")
    run_hook("Stop", _stop(planned))
    run_hook("Stop", _stop(planned, active=True))
    assert counter.read_text().count("run") == 1
    assert (planned / "runtime" / "gate-output" / "A").is_dir(), "the runtime folder was used"


def test_stop_keeps_its_last_five_output_folders(planned: Path, orch: Orch) -> None:
    _gates(orch, "date +%s%N > stamp.txt; echo output; false")  # a change each run: no cache hit
    orch("start", "A", "--agent", "sess-1")
    for _ in range(7):
        run_hook("Stop", _stop(planned))
    runs = sorted((_runtime(planned) / "gate-output" / "A" / "stop").iterdir())
    assert len(runs) == 5
    assert (runs[-1] / "01-check1.log").read_text() == "output\n"


def test_the_budget_fits_in_the_registered_timeout() -> None:
    from orchestrator.install import EVENTS

    registered = {event: timeout for event, _matcher, timeout in EVENTS}
    plugin = json.loads((ROOT / "hooks" / "hooks.json").read_text())["hooks"]
    for event in ("Stop", "SubagentStop"):
        assert registered[event] == stop.HOOK_TIMEOUT
        assert plugin[event][0]["hooks"][0]["timeout"] == stop.HOOK_TIMEOUT
    assert 0 < stop.GATE_BUDGET < stop.HOOK_TIMEOUT


# --- a killed hook leaves no gate running ----------------------------------------------------


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return state != "Z"


def _pids(path: Path, count: int) -> list[int]:
    deadline = time.monotonic() + 20
    while len(lines := (path.read_text().split() if path.exists() else [])) < count:
        assert time.monotonic() < deadline, f"the gate never started: {lines}"
        time.sleep(0.05)
    return [int(line) for line in lines]


@pytest.fixture
def sleeping_gate(planned: Path, orch: Orch) -> Iterator[Path]:
    """A bound task whose gate is a shell with two `sleep 300` children; yields their pid file."""
    pids = planned.parent / "gate.pids"
    _gates(orch, f"echo $$ >> {pids}; sleep 300 & echo $! >> {pids}; sleep 300 & echo $! >> {pids}; wait",
           timeout=600)
    orch("start", "A", "--agent", "sess-1")
    yield pids
    for pid in _pids(pids, 3) if pids.exists() else []:  # leave nothing behind if the test failed
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP])
def test_a_killed_hook_takes_its_gate_with_it(planned: Path, sleeping_gate: Path, signum: int) -> None:
    hook = subprocess.Popen(
        [*hook_command(), "Stop"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert hook.stdin is not None
    hook.stdin.write(json.dumps(_stop(planned)).encode())
    hook.stdin.close()
    gate = _pids(sleeping_gate, 3)
    hook.send_signal(signum)
    expected = -signum if signum == signal.SIGKILL else 128 + signum  # SIGTERM, SIGHUP: it exits
    assert hook.wait(timeout=10) == expected
    deadline = time.monotonic() + 5
    while any(map(_alive, gate)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(_alive, gate)), f"still running after the hook died: {list(filter(_alive, gate))}"
