"""What a claim costs `orch start` in team mode (issue #12), side by side in one run.

    python bench/run.py --teams [--quick] [--rounds N] [--out docs/benchmarks.md]

Two clones of one repo holding a plan of 100 independent tasks: one alone (team mode off), one in
team mode with a bare repository on the same disk as its remote (`sync.remote origin`), so the
claim's push is a local round trip, the least it can cost; a network remote adds its latency.
Each round starts the next task in both (each as a holder of its own), with `python -c pass` of
the same interpreter as a baseline, interleaved; the ratio is team ÷ alone of the medians. The
results replace the part of `--out` between the `bench:teams` markers.
"""

from __future__ import annotations

import os
import time

import jail
import run

BEGIN, END = "<!-- bench:teams:begin -->", "<!-- bench:teams:end -->"
TASKS = 100


def plan_text(count: int) -> str:
    sections = [f"## T{n}: Task {n}\n- files: src/t{n}.py\n" for n in range(1, count + 1)]
    return "---\nid: bench\ntitle: Team bench\n---\n" + "\n".join(sections)


def make_clones(runner: run.Runner, workdir: str) -> tuple[str, str]:
    """(a clone alone, a clone in team mode), both of a bare remote holding the plan."""
    origin = os.path.join(workdir, "origin")
    os.makedirs(origin)
    runner.run(["git", "init", "-q", "-b", "main"], origin)
    with open(os.path.join(origin, "plan.md"), "w", encoding="utf-8") as handle:
        handle.write(plan_text(TASKS))
    runner.run(runner.orch_cmd("init", "--no-hooks"), origin)
    runner.run(runner.orch_cmd("plan", "add", "plan.md"), origin)
    runner.run(["git", "add", "-A"], origin)
    runner.run(["git", "commit", "-q", "-m", "plan"], origin)
    runner.run(["git", "clone", "-q", "--bare", origin, os.path.join(workdir, "remote.git")], workdir)
    clones = []
    for name in ("alone", "team"):
        runner.run(["git", "clone", "-q", os.path.join(workdir, "remote.git"), name], workdir)
        clones.append(os.path.join(workdir, name))
    runner.run(runner.orch_cmd("config", "sync.remote", "origin"), clones[1])
    runner.run(runner.orch_cmd("sync"), clones[1])
    return clones[0], clones[1]


def samples(runner: run.Runner, alone: str, team: str, rounds: int) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {name: [] for name in ("python -c pass", "orch start, alone",
                                                           "orch start, team mode")}
    for n in range(1, rounds + 1):
        task, agent = f"T{n}", f"bench-{n}"
        cases: dict[str, tuple[list[str], str, bytes, dict[str, str] | None]] = {
            "python -c pass": ([runner.python, "-c", "pass"], alone, b"", runner.env),
            "orch start, alone": (runner.orch_cmd("start", task, "--agent", agent, "--brief"), alone, b"",
                                  runner.env),
            "orch start, team mode": (runner.orch_cmd("start", task, "--agent", agent, "--brief"), team, b"",
                                      runner.env),
        }
        for name, values in jail.interleaved(1, cases).items():
            found[name] += values
        _check_started(runner, team, task)
    return found


def _check_started(runner: run.Runner, clone: str, task: str) -> None:
    done = runner.run(runner.orch_cmd("claims", "--json"), clone)
    if f'"task": "{task}"' not in done.stdout.decode():
        raise SystemExit(f"bench: {task} was not claimed in team mode: the times measure the wrong path")


def section(found: dict[str, list[float]], runner: run.Runner, seconds: float) -> str:
    ratio = run.med(found["orch start, team mode"]) / run.med(found["orch start, alone"])
    extra = run.med(found["orch start, team mode"]) - run.med(found["orch start, alone"])
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [BEGIN, f"### `orch start` in team mode: results of {date}", "",
             f"`python bench/run.py --teams`: Python {runner.python_version()}, {date}, {seconds:.0f} s, "
             f"load {os.getloadavg()[0]:.1f}. Medians of interleaved runs; {TASKS} tasks; the remote is a "
             "bare repository on the same disk.", "",
             "| command | median ms | ÷ `python -c pass` | runs |", "|---|---:|---:|---:|",
             *jail.rows(found, "python -c pass"), "",
             f"`orch start` in team mode ÷ alone: **{ratio:.2f}** (+{extra:.0f} ms: the claim's push and its "
             "commit; a network remote adds its round trip).", ""]
    return "\n".join([*lines, END]) + "\n"


def main(python: str, out: str, quick: bool, rounds: int | None, keep: bool) -> int:
    started = time.monotonic()
    with run.scratch("orch-bench-teams-", python, keep) as (workdir, runner):
        alone, team = make_clones(runner, workdir)
        found = samples(runner, alone, team, min(rounds or (5 if quick else 40), TASKS))
        text = section(found, runner, time.monotonic() - started)
    return run.publish(out, text, BEGIN, END)
