"""The write jail's cost (issue #9), as ratios side by side in one run.

    python bench/run.py --jail [--quick] [--out docs/benchmarks.md]

1. The launcher confining itself and running `true` (`launch.py run .orch RUNTIME -- true`), and in
   session mode as Claude Code's shell reaches it (find and consume the call's spec, confine, exec
   `sh -c true`), each ÷ `python -c pass` of the same interpreter. Goal: run ≤ 1.3.
2. The PreToolUse hook on a Bash call in a jailed session (it writes the call's spec) ÷ the same
   call with `policy.jail off`, both as Claude Code runs them. Goal: ≤ 1.10 (within the hook's goal).
3. A headless Claude Code run (the pinned CLI against the tests' stand-in model API) of 10 Bash
   tool calls, with orch's hooks registered, jail on ÷ jail off, runs interleaved. Goal: ≤ 1.10.
   Skipped with --quick, or where the CLI cannot be installed.

All medians, interleaved (a, b, a, b, …). The results replace the part of `--out` between the
`bench:jail` markers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import run

BEGIN, END = "<!-- bench:jail:begin -->", "<!-- bench:jail:end -->"
SESSION = "bench-jail-session"
TEN_COMMANDS = [f"echo step {n} > out{n}.txt && cat out{n}.txt" for n in range(10)]


def launcher(python: str) -> str:
    done = subprocess.run([python, "-c", "from orchestrator.jail import sessions; print(sessions.LAUNCHER)"],
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def make_repo(runner: run.Runner, workdir: str, name: str, jail: str) -> str:
    root = os.path.join(workdir, name)
    os.makedirs(root)
    runner.run(["git", "init", "-q", "-b", "main"], root)
    with open(os.path.join(root, "plan.md"), "w", encoding="utf-8") as handle:
        handle.write(run.plan_text(run.make_tasks(100)))
    runner.run(["git", "add", "-A"], root)
    runner.run(["git", "commit", "-q", "-m", "initial"], root)
    runner.run(runner.orch_cmd("init"), root)
    runner.run(runner.orch_cmd("plan", "add", "plan.md"), root)
    runner.run(runner.orch_cmd("config", "policy.jail", jail), root)
    return root


def interleaved(rounds: int, cases: dict[str, tuple[list[str], str, bytes, dict[str, str] | None]],
                before: dict[str, object] | None = None) -> dict[str, list[float]]:
    """Each case's whole-process times in ms, the cases taking turns."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, (argv, cwd, stdin, env) in cases.items():
            prepare = (before or {}).get(name)
            if callable(prepare):
                prepare()
            start = time.perf_counter()
            subprocess.run(argv, input=stdin, cwd=cwd, env=env, capture_output=True)
            samples[name].append((time.perf_counter() - start) * 1000.0)
    return samples


def launcher_samples(runner: run.Runner, repo: str, rounds: int) -> dict[str, list[float]]:
    script = launcher(runner.python)
    state, runtime = os.path.join(repo, ".orch"), os.path.join(repo, ".git", "orch")
    folder = os.path.join(runtime, "jail")
    env = dict(runner.env, CLAUDE_CODE_SESSION_ID=SESSION)
    spec = os.path.join(folder, SESSION, "toolu_bench")

    def leave_spec() -> None:
        os.makedirs(os.path.dirname(spec), exist_ok=True)
        with open(spec, "wb") as handle:
            handle.write(b"jail\0true\0" + os.fsencode(os.path.join(repo, "plan.md")))

    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "default"), "wb") as handle:
        handle.write(os.fsencode("\0".join(["jail", "", state, runtime])))
    cases = {
        "python -c pass": ([runner.python, "-c", "pass"], repo, b"", env),
        "launcher run: true": (
            [runner.python, "-I", "-S", script, "run", state, runtime, "--", "true"], repo, b"", env),
        "launcher session: sh -c true": ([runner.python, "-I", "-S", script, "session", folder, "/bin/sh",
                                          "eval 'true'"], repo, b"", env),
    }
    return interleaved(rounds, cases, {"launcher session: sh -c true": leave_spec})


def hook_samples(runner: run.Runner, jailed: str, free: str, rounds: int) -> dict[str, list[float]]:
    cases: dict[str, tuple[list[str], str, bytes, dict[str, str] | None]] = {
        "python -c pass": ([runner.python, "-c", "pass"], jailed, b"", None)}
    for label, root in (("PreToolUse Bash, jail on", jailed), ("PreToolUse Bash, jail off", free)):
        state = "jailed" if root == jailed else "off"
        marks = os.path.join(root, ".git", "orch", "jail", "sessions")
        os.makedirs(marks, exist_ok=True)
        with open(os.path.join(marks, SESSION), "w", encoding="utf-8") as handle:
            handle.write(state + "\n")
        payload = {"hook_event_name": "PreToolUse", "session_id": SESSION, "cwd": root, "tool_name": "Bash",
                   "tool_use_id": "toolu_bench", "tool_input": {"command": "python -m pytest -q tests"}}
        env = dict(runner.env, CLAUDE_PROJECT_DIR=root)
        cases[label] = (runner.registered_cmd("PreToolUse", root), root, json.dumps(payload).encode(), env)
    return interleaved(rounds, cases)


def claude_samples(runner: run.Runner, workdir: str, rounds: int) -> dict[str, list[float]] | str:
    """10 Bash calls through the real CLI, jail on vs off: ms per run, or why it was skipped."""
    sys.path.insert(0, os.path.join(run.ROOT, "tests", "e2e"))
    try:
        from claude import ensure_claude, run_claude
        from fakeapi import FakeAPI, Script, text, tool_use

        binary = ensure_claude()
    except Exception as exc:  # no npm, offline: say so in the report rather than fail the bench
        return f"skipped: the Claude Code CLI is not available ({type(exc).__name__}: {exc})"
    repos = {"jail on": make_repo(runner, workdir, "claude-on", "auto"),
             "jail off": make_repo(runner, workdir, "claude-off", "off")}
    path = os.path.dirname(runner.orch[0]) + os.pathsep + os.environ.get("PATH", "")
    samples: dict[str, list[float]] = {name: [] for name in repos}
    for _ in range(rounds):
        for name, root in repos.items():
            turns = [[tool_use("Bash", {"command": c, "description": "step"})] for c in TEN_COMMANDS]
            script = Script().main(*turns, [text("done")])
            home = os.path.join(workdir, f"home-{name.replace(' ', '-')}-{len(samples[name])}")
            os.makedirs(home)
            with FakeAPI(script) as api:
                start = time.perf_counter()
                result = run_claude(binary, "go", cwd=root, api_url=api.url, home=home, env={"PATH": path},
                                    timeout=300)
                samples[name].append((time.perf_counter() - start) * 1000.0)
            if result.result_text != "done":
                raise SystemExit(f"bench: the {name} run did not finish: {result.describe()[-2000:]}")
    return samples


def rows(samples: dict[str, list[float]], base: str) -> list[str]:
    reference = run.med(samples[base])
    return [f"| {name} | {run.med(values):.1f} | {run.med(values) / reference:.2f} | {len(values)} |"
            for name, values in samples.items()]


def section(launch: dict[str, list[float]], hook: dict[str, list[float]],
            cli: dict[str, list[float]] | str, runner: run.Runner, seconds: float) -> str:
    on_off = run.med(hook["PreToolUse Bash, jail on"]) / run.med(hook["PreToolUse Bash, jail off"])
    lines = [BEGIN, "", "## The write jail (issue #9)", "",
             f"`python bench/run.py --jail`: Python {runner.python_version()}, "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {seconds:.0f} s, "
             f"load {os.getloadavg()[0]:.1f}. Medians of interleaved runs.", "",
             "| launcher | median ms | ÷ `python -c pass` | runs |", "|---|---:|---:|---:|",
             *rows(launch, "python -c pass"), "",
             "Goal: the launcher running `true` ≤ 1.3 × `python -c pass`. Session mode also finds and "
             "consumes the call's spec and execs a shell.", "",
             "| hook (as Claude Code runs it) | median ms | ÷ `python -c pass` | runs |",
             "|---|---:|---:|---:|",
             *rows(hook, "python -c pass"), "",
             f"PreToolUse on Bash with the jail on ÷ off: **{on_off:.2f}** (goal ≤ 1.10).", ""]
    if isinstance(cli, str):
        lines += [f"Headless Claude Code, 10 Bash calls: {cli}.", ""]
    else:
        ratio = run.med(cli["jail on"]) / run.med(cli["jail off"])
        lines += ["| headless Claude Code, 10 Bash calls | median ms | runs |", "|---|---:|---:|",
                  *[f"| {name} | {run.med(v):.0f} | {len(v)} |" for name, v in cli.items()], "",
                  f"Jail on ÷ off: **{ratio:.2f}** (goal ≤ 1.10).", ""]
    return "\n".join([*lines, END]) + "\n"


def main(python: str, out: str, quick: bool, keep: bool) -> int:
    started = time.monotonic()
    with run.scratch("orch-bench-jail-", python, keep) as (workdir, runner):
        jailed = make_repo(runner, workdir, "jailed", "auto")
        free = make_repo(runner, workdir, "free", "off")
        launch = launcher_samples(runner, jailed, 10 if quick else 60)
        hook = hook_samples(runner, jailed, free, 5 if quick else 40)
        cli = "skipped with --quick" if quick else claude_samples(runner, workdir, 10)
        text = section(launch, hook, cli, runner, time.monotonic() - started)
    return run.publish(out, text, BEGIN, END)
