"""The board's JSON against `orch status --json` at 10,000 tasks (issue #16), side by side.

    python bench/run.py --board [--quick] [--rounds N] [--out docs/benchmarks.md]

The repository is `run.py`'s (a generated plan, three tasks completed, three bound). A real
`orch board` serves it; each round, interleaved:
1. `orch status --json`, a whole process (what a script or `/orch:status` pays);
2. `GET /api/board` after a task changed (`orch block` / `orch move … queued` of a waiting task,
   untimed, through the CLI as an agent's change arrives): the server builds the board again from
   `.orch/`, which is what an open page pays per task change;
3. `GET /api/board` after a lease renewal (the lease file touched): only holders and leases are
   taken again;
4. the same GET once the stamp has settled: the board every other open page gets.
Medians and each ÷ status; the JSON sizes too. The results replace the part of `--out` between
the `bench:board` markers.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import statistics
import subprocess
import time
from urllib.parse import urlsplit

import run

BEGIN, END = "<!-- bench:board:begin -->", "<!-- bench:board:end -->"


class Server:
    """`orch board --no-open --port 0` in the repo, until `close`."""

    def __init__(self, runner: run.Runner, root: str) -> None:
        self.process = subprocess.Popen(runner.orch_cmd("board", "--no-open", "--port", "0"), cwd=root,
                                        env=runner.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = self.process.stdout.readline().decode() if self.process.stdout else ""
        found = re.search(r"http://[^ ]+", line)
        if not found:
            self.close()
            raise SystemExit(f"bench: `orch board` did not print its URL: {line!r}")
        parts = urlsplit(found.group(0))
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80

    def get(self) -> tuple[float, bytes]:
        """(ms, body) of one GET /api/board on a new connection, as a page's fetch makes it."""
        start = time.perf_counter()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=run.TIMEOUT)
        conn.request("GET", "/api/board")
        answer = conn.getresponse()
        body = answer.read()
        conn.close()
        if answer.status != 200:
            raise SystemExit(f"bench: GET /api/board answered {answer.status}: {body[:300]!r}")
        return (time.perf_counter() - start) * 1000.0, body

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def change_a_task(runner: run.Runner, repo: run.BenchRepo, round_no: int) -> None:
    """Block the waiting task, or put it back in the queue: one task file changed by the CLI."""
    task = repo.waiting.id
    args = ("block", task, "--reason", "bench") if round_no % 2 == 0 else ("move", task, "queued")
    runner.run(runner.orch_cmd(*args), repo.root)
    time.sleep(0.06)  # past the racy window, as a page's fetch after the event would be


def touch_leases(root: str) -> None:
    path = os.path.join(root, ".git", "orch", "leases.json")
    if not os.path.exists(path):
        with open(path, "w", encoding="utf-8") as handle:
            json.dump({"schema": 1, "leases": {}}, handle)
    now = time.time_ns()
    os.utime(path, ns=(now, now))


Sizes = dict[str, int]


def measure(runner: run.Runner, repo: run.BenchRepo, rounds: int) -> tuple[dict[str, list[float]], Sizes]:
    samples: dict[str, list[float]] = {"status": [], "rebuilt": [], "leases": [], "cached": []}
    sizes: dict[str, int] = {}
    server = Server(runner, repo.root)
    try:
        server.get()  # warm: the first build reads the snapshot into the server's page cache
        for round_no in range(rounds + 1):
            ms, done = runner.timed(runner.orch_cmd("status", "--json"), repo.root)
            change_a_task(runner, repo, round_no)
            rebuilt, body = server.get()
            touch_leases(repo.root)
            leases, _body = server.get()
            time.sleep(0.1)  # past the racy window: the next GET may answer from the cache
            cached, _body = server.get()
            if round_no:  # round 0 warms the CLI's files too
                for key, value in zip(samples, (ms, rebuilt, leases, cached), strict=True):
                    samples[key].append(value)
            sizes = {"status": len(done.stdout), "board": len(body)}
            run.log(f"  status {ms:.0f} ms, board after a task change {rebuilt:.0f} ms, after a lease "
                    f"renewal {leases:.0f} ms, cached {cached:.0f} ms")
    finally:
        server.close()
    return samples, sizes


def table(samples: dict[str, list[float]], sizes: dict[str, int], count: int) -> list[str]:
    status = run.med(samples["status"])
    rows = [("`orch status --json` (whole process)", "status", sizes["status"]),
            ("`GET /api/board` after a task changed (rebuilt)", "rebuilt", sizes["board"]),
            ("`GET /api/board` after a lease renewal", "leases", sizes["board"]),
            ("`GET /api/board`, cached (same stamp)", "cached", sizes["board"])]
    lines = [f"| at {count:,} tasks | median ms | quartiles | JSON bytes | **÷ status** |",
             "|---|---:|---|---:|---:|"]
    for label, key, size in rows:
        mine = run.med(samples[key])
        lines.append(f"| {label} | {mine:.0f} | {_quartiles(samples[key])} | {size:,} "
                     f"| **{mine / status:.2f}** |")
    return lines


def _quartiles(values: list[float]) -> str:
    if len(values) < 4:
        return "–"
    q = statistics.quantiles(values, n=4)
    return f"{q[0]:.0f}–{q[2]:.0f}"


def main(python: str, out: str, quick: bool, rounds: int | None, keep: bool) -> int:
    rounds = rounds or (3 if quick else 15)
    count = 1000 if quick else 10000
    started, load0 = time.monotonic(), os.getloadavg()[0]
    with run.scratch("orch-bench-board-", python, keep) as (workdir, runner):
        run.log(f"building a repo with {count:,} tasks")
        repo = run.BenchRepo(runner, workdir, count)
        repo.build("bench-board-session")
        samples, sizes = measure(runner, repo, rounds)
        date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        text = "\n".join([
            BEGIN, f"### The board: results of {date}", "",
            run.machine_line(runner, load0, started, f"{rounds} rounds, interleaved, median of each"), "",
            *table(samples, sizes, count), END]) + "\n"
    return run.publish(out, text, BEGIN, END)
