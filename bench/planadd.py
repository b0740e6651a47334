"""`orch plan add` at 1,000 and 10,000 tasks: the write path at scale (issue #11).

    python bench/run.py --plan-add [--quick] [--rounds N] [--out docs/benchmarks.md]

Two plans of the same generated tasks as `run.py` makes (each depends on 0-3 of the 40 before it):
the native plan `run.py` loads, and a JSON subtask list whose dependencies name their targets by
exact title, as MCP task orchestrators write them (the forgiving matcher's common case). Each round
times all four adds in a shuffled order, each into a fresh repository (`git init`, `orch init`,
untimed); the table gives medians and the ratio of 10,000 to 1,000 tasks side by side from the same
rounds. The goal: at most 11 times the time for 10 times the tasks (linear, plus a little). The
results replace the part of `--out` between the `bench:plan-add` markers.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time

import run

BEGIN, END = "<!-- bench:plan-add:begin -->", "<!-- bench:plan-add:end -->"
GOAL = 11.0
FORMATS = {"native": "plan.md", "subtasks": "plan.json"}


def subtasks_text(tasks: list[run.Task]) -> str:
    """The tasks as a JSON subtask list: no ids (they are the titles' slugs), dependencies by title."""
    titles = {task.id: f"Implement part {n} of the generated system" for n, task in enumerate(tasks)}
    items = [{"title": titles[task.id], "description": f"Write {', '.join(task.files)}.",
              "dependencies": [titles[dep] for dep in task.deps], "files": task.files,
              "priority": task.priority, "estimated_effort": task.estimate,
              "acceptance_criteria": [f"part {n} has unit tests"]} for n, task in enumerate(tasks)]
    return json.dumps({"title": f"Benchmark subtasks of {len(tasks)} tasks", "subtasks": items}, indent=2)


def plan_files(count: int) -> dict[str, str]:
    tasks = run.make_tasks(count)
    return {"native": run.plan_text(tasks), "subtasks": subtasks_text(tasks)}


def fresh_repo(runner: run.Runner, root: str, plan_file: str, text: str) -> str:
    """A git repository at `root` with `plan_file` committed and orch set up: nothing timed."""
    os.makedirs(root)
    runner.run(["git", "init", "-q", "-b", "main"], root)
    with open(os.path.join(root, plan_file), "w", encoding="utf-8") as handle:
        handle.write(text)
    runner.run(["git", "add", "-A"], root)
    runner.run(["git", "commit", "-q", "-m", "plan"], root)
    runner.run(runner.orch_cmd("init", "--no-hooks"), root)
    return root


def measure(runner: run.Runner, workdir: str, sizes: tuple[int, int], rounds: int) -> dict[str, list[float]]:
    """Seconds per `orch plan add`, keyed "<format> <tasks>", from `rounds` shuffled rounds."""
    texts = {count: plan_files(count) for count in sizes}
    cases = [(fmt, count) for fmt in FORMATS for count in sizes]
    samples: dict[str, list[float]] = {f"{fmt} {count}": [] for fmt, count in cases}
    rng = random.Random(11)
    for round_no in range(rounds):
        rng.shuffle(cases)
        for fmt, count in cases:
            root = fresh_repo(runner, os.path.join(workdir, f"{fmt}-{count}-{round_no}"), FORMATS[fmt],
                              texts[count][fmt])
            start = time.perf_counter()
            runner.run(runner.orch_cmd("plan", "add", FORMATS[fmt]), root)
            samples[f"{fmt} {count}"].append(time.perf_counter() - start)
            run.log(f"  plan add, {fmt}, {count:,} tasks: {samples[f'{fmt} {count}'][-1]:.2f} s")
            shutil.rmtree(root, ignore_errors=True)
    return samples


def table(samples: dict[str, list[float]], sizes: tuple[int, int]) -> list[str]:
    small, large = sizes
    lines = [f"| plan | {small:,} tasks, s | {large:,} tasks, s | **{large:,} ÷ {small:,}** "
             f"| goal ≤ {GOAL:.0f} |", "|---|---:|---:|---:|---|"]
    for fmt, label in (("native", "native Markdown plan"),
                       ("subtasks", "JSON subtask list, dependencies by title")):
        lo, hi = run.med(samples[f"{fmt} {small}"]), run.med(samples[f"{fmt} {large}"])
        verdict = "met" if hi / lo <= GOAL else "**missed**"
        lines.append(f"| {label} | {lo:.2f} | {hi:.2f} | **{hi / lo:.2f}** | {verdict} |")
    return lines


def section(samples: dict[str, list[float]], sizes: tuple[int, int], rounds: int, runner: run.Runner,
            load: tuple[float, float], elapsed: float) -> str:
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return "\n".join([
        BEGIN,
        f"### `orch plan add`: results of {date}",
        "",
        f"- {os.cpu_count()} CPUs, Python {runner.python_version()}; 1-minute load average "
        f"{load[0]:.2f} at the start, {load[1]:.2f} at the end; {rounds} round(s), median of each; "
        f"whole run {elapsed:.0f} s.",
        "",
        *table(samples, sizes),
        END,
    ]) + "\n"


def main(python: str, out: str, quick: bool, rounds: int | None, keep: bool) -> int:
    sizes, rounds = ((100, 1000), rounds or 1) if quick else ((1000, 10000), rounds or 3)
    started, load0 = time.monotonic(), os.getloadavg()[0]
    with run.scratch("orch-bench-plan-add-", python, keep) as (workdir, runner):
        samples = measure(runner, workdir, sizes, rounds)
        load = (load0, os.getloadavg()[0])
        text = section(samples, sizes, rounds, runner, load, time.monotonic() - started)
    return run.publish(out, text, BEGIN, END)
