"""`/orch:run` with subagents in the background (the newest Claude Code's default for the Agent
tool; asked for explicitly here, on both versions): the Agent tool answers "Async agent
launched" at once, and the tasks of the wave are still `queued` and unbound when the main agent
looks again. Following commands/run.md, the main agent reserves the wave with `orch dispatch`
before launching it, so `orch next` lists those tasks under `dispatched` and offers nothing new;
it then ends its turn to wait, and goes on when the agents' notifications arrive.

The subagents of the first wave hold their `orch start` back (waiting in their own Bash call for
a marker file) until the main agent has run `orch next` again, so that check always happens
while the tasks are still unstarted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from claude import REPO_ROOT, ClaudeRun
from commandfix import (
    Model,
    PluginData,
    claude_env_extra,
    launcher_in,
    parse_json_output,
    setup_orch,
    start_actor,
    tasks_by_id,
    wait_for_file_command,
)
from fakeapi import Block, FakeAPI, Script, prompt_text, text
from test_orch_commands import PLAN, TASKS, session_id

pytestmark = pytest.mark.both_versions  # on the pinned Claude Code and on the newest

WAIT = "Waiting for the wave's subagents to finish."


class Main:
    """The main agent of /orch:run, one phase per request (notifications come as requests too)."""

    def __init__(self, model: Model, repo: Path, go: Path) -> None:
        self.model, self.repo, self.go = model, repo, go
        self.phase = "start"
        self.seen: dict[str, Any] = {}

    def __call__(self, body: dict[str, Any]) -> list[Block]:
        return getattr(self, self.phase.replace("-", "_"))(body)

    def _then(self, phase: str, blocks: list[Block]) -> list[Block]:
        self.phase = phase
        return blocks

    def _json(self, key: str) -> Any:
        return parse_json_output(self.model_result(key))

    def model_result(self, key: str) -> str:
        return str(self.seen["api"].tool_result_text(self.model.id(key)))

    def _agents(self, ids: list[str]) -> list[Block]:
        by_id = {t.id: t for t in TASKS}
        return [self.model.call(f"agent.{i}", "Agent", {
            "description": f"orch task {i}", "run_in_background": True,
            "subagent_type": f"orch:orch-{by_id[i].specialist}",
            "prompt": (f"SUBAGENT-{i}. You own orch task {i}: {by_id[i].title}. First run "
                       f'`"{self.model.launcher}" start {i}` yourself, then do the work and finish '
                       f'with `"{self.model.launcher}" done {i}`.'),
        }) for i in ids]

    def _done(self, *ids: str) -> bool:
        rows = tasks_by_id(self.repo)
        return all(rows[i]["status"] == "completed" for i in ids)

    def start(self, body: dict[str, Any]) -> list[Block]:
        self.model.read_command(body)
        return self._then("dispatch1", [self.model.orch("next1", "next", "--parallel", "2", "--json")])

    def dispatch1(self, body: dict[str, Any]) -> list[Block]:
        self.seen["wave1"] = self._json("next1")["wave"]
        return self._then("agents1", [self.model.orch("dispatch1", "dispatch", *self.seen["wave1"])])

    def agents1(self, body: dict[str, Any]) -> list[Block]:
        return self._then("recheck", self._agents(self.seen["wave1"]))

    def recheck(self, body: dict[str, Any]) -> list[Block]:
        return self._then("release", [self.model.orch("next2", "next", "--parallel", "2", "--json")])

    def release(self, body: dict[str, Any]) -> list[Block]:
        self.seen["next2"] = self._json("next2")
        self.go.touch()  # only now may the first wave's subagents start their tasks
        return self._then("wait1", [text(WAIT)])

    def wait1(self, body: dict[str, Any]) -> list[Block]:
        if not self._done("A", "B"):
            return [text(WAIT)]
        return self._then("dispatch3", [self.model.orch("next3", "next", "--parallel", "2", "--json")])

    def dispatch3(self, body: dict[str, Any]) -> list[Block]:
        self.seen["wave3"] = self._json("next3")["wave"]
        return self._then("agents3", [self.model.orch("dispatch3", "dispatch", *self.seen["wave3"])])

    def agents3(self, body: dict[str, Any]) -> list[Block]:
        return self._then("wait3_text", self._agents(self.seen["wave3"]))

    def wait3_text(self, body: dict[str, Any]) -> list[Block]:
        return self._then("wait3", [text(WAIT)])

    def wait3(self, body: dict[str, Any]) -> list[Block]:
        if not self._done("C"):
            return [text(WAIT)]
        return self._then("final", [self.model.orch("next4", "next", "--parallel", "2", "--json")])

    def final(self, body: dict[str, Any]) -> list[Block]:
        return self._then("over", [text("3 tasks completed.")])

    def over(self, body: dict[str, Any]) -> list[Block]:
        return [text("3 tasks completed.")]


TurnFn = Callable[[dict[str, Any]], list[Block]]


def subagent(model: Model, task_id: str, src: Path, go: Path | None) -> list[TurnFn]:
    """A subagent following its prompt: (wait for `go`,) start, write its file, done."""
    def orch_call(verb: str) -> TurnFn:
        def turn(body: dict[str, Any]) -> list[Block]:
            return [model.orch(f"{task_id}.{verb}", verb, task_id, launcher=launcher_in(prompt_text(body)))]
        return turn

    def wait(body: dict[str, Any]) -> list[Block]:
        return [model.call(f"{task_id}.wait", "Bash", {"command": wait_for_file_command(go, 60)})]

    def write(body: dict[str, Any]) -> list[Block]:
        target = str(src / f"{task_id.lower()}.py")
        return [model.call(f"{task_id}.write", "Write", {"file_path": target, "content": f"{task_id} = 1\n"})]

    def reply(body: dict[str, Any]) -> list[Block]:
        return [text(f"SUBAGENT-{task_id}: done.")]

    first: list[TurnFn] = [wait] if go is not None else []
    return [*first, orch_call("start"), write, orch_call("done"), reply]


def test_run_with_background_subagents_dispatches_each_task_once(
    plugin: PluginData, claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path, tmp_path: Path
) -> None:
    setup_orch(git_repo, PLAN, TASKS)
    go, src = tmp_path / "go", git_repo / "src"
    model = Model()
    main = Main(model, git_repo, go)
    main.seen["api"] = fakeapi
    script = Script().main(*[main] * 40)
    for task_id, marker in (("A", go), ("B", go), ("C", None)):
        script.subagent(f"SUBAGENT-{task_id}", subagent(model, task_id, src, marker))
    fakeapi.script = script

    result = claude_run("/orch:run 2", plugin_dir=REPO_ROOT, env=claude_env_extra(), timeout=180)

    assert main.phase == "over", (main.phase, result.describe())
    assert main.seen["wave1"] == ["A", "B"] and main.seen["wave3"] == ["C"]
    for task_id in ("A", "B"):
        assert "Async agent launched" in fakeapi.tool_result_text(model.id(f"agent.{task_id}"))
    # While A and B were dispatched but not started, `orch next` offered nothing again.
    again = main.seen["next2"]
    assert again["wave"] == [] and not {r["id"] for r in again["ready"]} & {"A", "B"}, again
    assert sorted(d["id"] for d in again["dispatched"]) == ["A", "B"], again
    rows = tasks_by_id(git_repo)
    assert {v["status"] for v in rows.values()} == {"completed"} and sorted(rows) == ["A", "B", "C"], rows
    session = session_id(result)
    for task_id in ("A", "B", "C"):
        started = fakeapi.tool_result_text(model.id(f"{task_id}.start"))
        assert f"Started {task_id}, bound to" in started, started
        assert start_actor(git_repo, task_id) != session
        assert sum(1 for u in result.tool_uses() if u.get("name") == "Agent"
                   and f"SUBAGENT-{task_id}." in str(u.get("input", {}).get("prompt"))) == 1
    assert parse_json_output(main.model_result("next4"))["wave"] == []
    assert result.result_text == "3 tasks completed.", result.describe()
