"""orch's slash commands and ``/orch:run``, end to end: the real Claude Code CLI loads this
checkout as a plugin (``--plugin-dir``), expands ``/orch:<verb>`` with live ``orch`` output, and
the scripted model runs the orch commands the prompt asks for, as a model would, through the
launcher path Claude Code substituted for ``${CLAUDE_PLUGIN_DATA}/orch``.

1. Each command expands with live ``orch ... --json`` output (its `!` lines ran before the first
   model request), and the orch calls its prompt asks for change orch's state as they should.
   The same commands also run in the CLI's *default* permission mode (a wrapper drops the
   harness's ``--dangerously-skip-permissions``), where only their ``allowed-tools`` let the `!`
   lines and the model's orch calls through.
2. ``/orch:run`` drives two subagents in parallel, then a third, to completion; each task is
   bound to the subagent that started it; a write to the other subagent's file is refused.
3. The plugin's hooks and the hooks ``orch init`` registers refuse the same out-of-order write.

The plugin's data folder is prepared so no pip build starts (see :mod:`commandfix`): by default
the launcher falls back to this repo's ``.venv/bin/orch`` on PATH; ``/orch:status`` also runs
with a seeded, ready plugin venv to cover the launcher's main branch.

Assertions are on orch's state, files, the fake API's requests and tool results, never on exit
codes.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from claude import REPO_ROOT, ClaudeRun, Result
from commandfix import (
    Model,
    PluginData,
    Task,
    claude_env_extra,
    json_after,
    launcher_in,
    leases,
    orch,
    orch_json,
    overlap,
    parse_json_output,
    plan_markdown,
    plugin_data_dir,
    script_orch_calls,
    setup_orch,
    start_actor,
    task_file,
    tasks_by_id,
    wait_for_file_command,
    without_bypass,
)
from fakeapi import (
    Block,
    FakeAPI,
    Script,
    TurnFn,
    block_text,
    find_tool_result,
    first_user_text,
    prompt_text,
    text,
    tool_use,
)

PLAN = "cmd"
TASKS = (
    Task("A", "Alpha", files=["src/a.py"], gate="test -f src/a.py"),
    Task("B", "Beta", files=["src/b.py"], gate="test -f src/b.py"),
    Task("C", "Gamma", files=["src/c.py"], depends_on=["A", "B"], gate="test -f src/c.py"),
)


# The session a test binds a task to before the run, so the run's own `orch done` is the holder's
# (only a task's holder moves it): `claude --session-id` makes the run that session.
SESSION = "00000000-0000-4000-8000-0000000000e2"


def run_plugin(claude_run: ClaudeRun, prompt: str, **kw: Any) -> Result:
    return claude_run(prompt, plugin_dir=REPO_ROOT, env=claude_env_extra(), **kw)


def as_holder(claude_run: ClaudeRun, prompt: str, **kw: Any) -> Result:
    """`run_plugin` as the session SESSION, which holds the tasks the test bound to it."""
    return run_plugin(claude_run, prompt, extra_args=["--session-id", SESSION], **kw)


def session_id(result: Result) -> str:
    ids = {str(e["session_id"]) for e in result.events if e.get("session_id")}
    assert len(ids) == 1, f"expected one session id in the stream, got {ids}\n{result.describe()}"
    return ids.pop()


def first_main_prompt(fakeapi: FakeAPI) -> str:
    """The expanded command: the first user message of the first request the model got."""
    reqs = fakeapi.message_requests()
    assert reqs, "the model got no request (did the command abort before calling it?)"
    assert reqs[0].lane == "main", fakeapi.lanes_seen()
    return first_user_text(reqs[0].body or {})


def assert_expanded(prompt: str, data: PluginData, *needles: str, launcher: bool = True) -> None:
    """The command was expanded: the launcher path substituted (``launcher``: the command's text
    names it, not only its `!` lines), its `!` lines ran, no placeholder is left."""
    if launcher:
        assert f'"{data.launcher}"' in prompt, f"launcher {data.launcher} not in:\n{prompt[:3000]}"
    assert data.launcher.exists(), f"the SessionStart hook wrote no launcher at {data.launcher}"
    assert "${CLAUDE_PLUGIN_DATA}" not in prompt and "$ARGUMENTS" not in prompt, prompt[:3000]
    assert "orch is still installing" not in prompt, prompt[:3000]
    for needle in needles:
        assert needle in prompt, f"{needle!r} not in the expanded command:\n{prompt[:3000]}"


# --------------------------------------------------------------------------- 1. each command


def test_status_expands_with_live_status_and_leases(
    claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path, e2e_home: Path
) -> None:
    setup_orch(git_repo, PLAN, TASKS)
    orch(git_repo, "start", "A", "--agent", "agent-e2e-a")
    orch(git_repo, "lock", "src/a.py", "--task", "A", "--agent", "agent-e2e-a")
    fakeapi.script = Script().main([text("Summary.")])

    with PluginData(e2e_home) as data:
        result = run_plugin(claude_run, "/orch:status")
    data.assert_no_builder()

    prompt = first_main_prompt(fakeapi)
    assert_expanded(prompt, data, "orch status:", "Live leases:", launcher=False)
    shown = json_after(prompt, "orch status:")
    expected = orch_json(git_repo, "status")
    assert [(t["id"], t["status"], t["bound_to"]) for t in shown["tasks"]] == [
        ("A", "in_progress", "agent-e2e-a"), ("B", "queued", None), ("C", "queued", None)
    ], prompt[:3000]
    assert shown["tasks"] == expected["tasks"] and shown["counts"] == expected["counts"]
    shown_leases = json_after(prompt, "Live leases:")["leases"]
    assert [(lease["path"], lease["task"], lease["holder"]) for lease in shown_leases] == [
        ("src/a.py", "A", "agent-e2e-a")
    ]
    # The venv is ready: the briefing says nothing of installing.
    assert not fakeapi.requests_containing("installing its Python dependencies"), fakeapi.lanes_seen()
    assert result.result_text == "Summary.", result.describe()


def test_next_expands_with_ready_tasks_and_wave(
    plugin: PluginData, claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path
) -> None:
    setup_orch(git_repo, PLAN, TASKS)
    fakeapi.script = Script().main([text("A and B are ready.")])

    run_plugin(claude_run, "/orch:next")

    prompt = first_main_prompt(fakeapi)
    assert_expanded(prompt, plugin, "Ready work:")
    shown = json_after(prompt, "Ready work:")
    assert [r["id"] for r in shown["ready"]] == ["A", "B"], shown
    assert shown["wave"] == ["A", "B"], shown
    assert shown == orch_json(git_repo, "next", "--parallel", "3")


@pytest.mark.parametrize("tampered", [False, True], ids=["intact", "tampered"])
def test_verify_expands_with_receipt_check(
    tampered: bool, plugin: PluginData, claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path
) -> None:
    setup_orch(git_repo, PLAN, TASKS)
    orch(git_repo, "start", "A", "--agent", "agent-e2e-a")
    if tampered:  # rewrite who started A, as a hand edit would
        chain = git_repo / ".orch" / "receipts" / "A.jsonl"
        chain.write_text(chain.read_text().replace("agent-e2e-a", "agent-e2e-x"))
    fakeapi.script = Script().main([text("Checked.")])

    run_plugin(claude_run, "/orch:verify")

    prompt = first_main_prompt(fakeapi)
    assert_expanded(prompt, plugin, launcher=False)
    shown = json_after(prompt, "</command-name>")
    expected = json.loads(orch(git_repo, "verify", "--json", check=False).stdout)
    assert shown["ok"] is (not tampered), shown
    assert shown["records"] == expected["records"] and shown["records"] >= 4, shown
    if tampered:
        assert shown["first_bad"] is not None and shown["first_bad"] == expected["first_bad"], shown
    else:
        assert shown["first_bad"] is None, shown


def test_report_runs_orch_report(
    plugin: PluginData, claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path
) -> None:
    setup_orch(git_repo, PLAN, TASKS)
    model = Model()
    fakeapi.script = script_orch_calls(model, ("report", "report"), final="Reports written.")

    run_plugin(claude_run, "/orch:report")

    prompt = first_main_prompt(fakeapi)
    assert_expanded(prompt, plugin, f'"{plugin.launcher}" report')
    summary = git_repo / "docs" / "reports" / f"{PLAN}_summary.md"
    out = fakeapi.tool_result_text(model.id("report"))
    assert not fakeapi.tool_result_is_error(model.id("report")), out
    assert str(summary) in out, out
    body = summary.read_text()
    assert "A" in body and "Gamma" in body and "mermaid" in body.lower(), body[:2000]


@pytest.mark.both_versions
def test_board_starts_a_live_board_and_gives_its_url(
    plugin: PluginData, claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path
) -> None:
    """`/orch:board`: the model runs `orch board --background` as a Bash command of its own (so
    outside the write jail, which holds the runtime folder the board records itself in); the board
    answers at the URL it printed with the live plan, until `orch board --stop`."""
    setup_orch(git_repo, PLAN, TASKS)
    model = Model()
    fakeapi.script = script_orch_calls(model, ("board", "board", "--background"), final="Board link given.")
    try:
        run_plugin(claude_run, "/orch:board")
        assert_expanded(first_main_prompt(fakeapi), plugin, "orch board --background")
        out = fakeapi.tool_result_text(model.id("board"))
        assert not fakeapi.tool_result_is_error(model.id("board")), out
        found = re.search(r"http://127\.0\.0\.1:\d+/", out)
        assert found, out
        orch(git_repo, "start", "A", "--agent", "agent-board-e2e")
        cards = _board_cards(found.group(0), lambda cards: cards["A"]["status"] == "in_progress")
        assert sorted(cards) == ["A", "B", "C"], cards
        assert (cards["A"]["status"], cards["A"]["holder"]) == ("in_progress", "agent-board-e2e"), cards["A"]
    finally:
        orch(git_repo, "board", "--stop", check=False)


def _board_cards(url: str, ready: Callable[[dict[str, Any]], bool], wait: float = 10) -> dict[str, Any]:
    """The board's cards by task id, from its JSON, once `ready` holds (or `wait` seconds passed)."""
    deadline = time.monotonic() + wait
    while True:
        with urllib.request.urlopen(url + "api/board", timeout=10) as answer:
            cards = {card["id"]: card for card in json.loads(answer.read())["tasks"]}
        if ready(cards) or time.monotonic() > deadline:
            return cards
        time.sleep(0.2)


def test_start_binds_the_task_to_the_session(
    plugin: PluginData, claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path
) -> None:
    setup_orch(git_repo, PLAN, TASKS)
    model = Model()
    target = git_repo / "src" / "a.py"

    def start(body: dict[str, Any]) -> list[Block]:
        model.read_command(body)
        return [model.orch("start", "start", "A")]

    fakeapi.script = Script().main(
        start,
        lambda body: [model.orch("show", "show", "A", "--json")],
        lambda body: [model.call("write", "Write", {"file_path": str(target), "content": "A = 1\n"})],
        lambda body: [model.orch("locks", "locks", "--json")],
        lambda body: [model.orch("gate", "gate", "A")],
        [text("A is started and its gate passes.")],
    )

    result = run_plugin(claude_run, "/orch:start A")

    prompt = first_main_prompt(fakeapi)
    assert_expanded(prompt, plugin, "orch start A", "orch show A --json")
    session = session_id(result)
    started = fakeapi.tool_result_text(model.id("start"))
    assert f"Started A, bound to {session}" in started, started
    shown = parse_json_output(fakeapi.tool_result_text(model.id("show")))
    assert shown["id"] == "A" and shown["files"] == ["src/a.py"], shown
    assert not fakeapi.tool_result_is_error(model.id("write")), fakeapi.tool_result_text(model.id("write"))
    assert target.read_text() == "A = 1\n"
    gate = fakeapi.tool_result_text(model.id("gate"))
    assert "pass" in gate and "test -f src/a.py" in gate, gate
    row = tasks_by_id(git_repo)["A"]
    assert (row["status"], row["bound_to"]) == ("in_progress", session), row
    assert start_actor(git_repo, "A") == session
    # The write took the lease for A, held by this session (SessionEnd released it since).
    held = parse_json_output(fakeapi.tool_result_text(model.id("locks")))["leases"]
    assert [(x["path"], x["task"], x["holder"]) for x in held] == [("src/a.py", "A", session)], held
    assert leases(git_repo) == {}


@pytest.mark.parametrize("gate_passes", [True, False], ids=["gate-passes", "gate-fails"])
def test_done_runs_the_gates_and_completes_or_blocks(
    gate_passes: bool, plugin: PluginData, claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path
) -> None:
    setup_orch(git_repo, PLAN, TASKS)
    if not gate_passes:  # the failing gate is what this case is about, not the missing output
        orch(git_repo, "config", "policy.require_outputs", "false")
    orch(git_repo, "start", "A", "--agent", SESSION)
    if gate_passes:
        (git_repo / "src").mkdir()
        (git_repo / "src" / "a.py").write_text("A = 1\n")
    model = Model()
    fakeapi.script = script_orch_calls(model, ("done", "done", "A"), final="Reported.")

    as_holder(claude_run, "/orch:done A")

    prompt = first_main_prompt(fakeapi)
    assert_expanded(prompt, plugin, f'"{plugin.launcher}" done A')
    out = fakeapi.tool_result_text(model.id("done"))
    status = tasks_by_id(git_repo)["A"]["status"]
    if gate_passes:
        assert "A completed." in out and "test -f src/a.py" in out, out
        assert status == "completed"
        assert (git_repo / "docs" / "reports" / f"{PLAN}_task_A_alpha.md").exists()
    else:
        assert fakeapi.tool_result_is_error(model.id("done")), out
        assert "andon" in out and "file" in out, out
        assert status == "blocked"
        assert task_file(git_repo, "A")["andon"]["gate"] == "file"


@pytest.mark.parametrize("initialised", [True, False], ids=["existing-orch", "fresh-repo"])
def test_plan_converts_and_loads_a_second_plan(
    initialised: bool, plugin: PluginData, claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path
) -> None:
    if initialised:
        setup_orch(git_repo, PLAN, TASKS)
    plan2 = plan_markdown("second", [Task("D", "Delta", files=["src/d.py"]),
                                     Task("E", "Epsilon", files=["src/e.py"], depends_on=["D"])])
    (git_repo / "plan2.md").write_text(plan2)
    model = Model()
    calls: list[tuple[str, ...]] = [] if initialised else [("init", "init", "--no-hooks")]
    calls += [("convert", "plan", "convert", "plan2.md"), ("add", "plan", "add", "plan2.md"),
              ("next", "next")]
    fakeapi.script = script_orch_calls(model, *calls, final="Loaded.")

    run_plugin(claude_run, "/orch:plan plan2.md")

    prompt = first_main_prompt(fakeapi)
    assert_expanded(prompt, plugin, "Plans loaded in this repo now:", "orch plan convert plan2.md",
                    "orch plan add plan2.md")
    if initialised:
        shown = json_after(prompt, "Plans loaded in this repo now:")
        assert [t["id"] for t in shown["tasks"]] == ["A", "B", "C"], shown
    else:
        assert "not set up" in prompt and "orch init" in prompt, prompt[:3000]
        assert not (git_repo / ".claude" / "settings.json").exists(), "init --no-hooks registered hooks"
    converted = parse_json_output(fakeapi.tool_result_text(model.id("convert")))
    assert converted["plan"]["id"] == "second" and [t["id"] for t in converted["tasks"]] == ["D", "E"]
    assert "second" in fakeapi.tool_result_text(model.id("add"))
    assert "D" in fakeapi.tool_result_text(model.id("next"))
    rows = tasks_by_id(git_repo)
    assert {k: v["status"] for k, v in rows.items()} == (
        {"A": "queued", "B": "queued", "C": "queued", "D": "queued", "E": "queued"} if initialised
        else {"D": "queued", "E": "queued"})
    assert rows["E"]["depends_on"] == ["D"]


# ------------------------------------------------------------- 1b. without bypassing permissions

# (command, orch calls the prompt asks for, a needle of the `!` output or None)
PERMISSION_CASES = [
    ("/orch:status", [], '"counts"'),
    ("/orch:next", [("next", "next", "--parallel", "2", "--json")], '"wave"'),
    ("/orch:verify", [], '"records"'),
    ("/orch:report", [("report", "report")], None),
    ("/orch:start A", [("start", "start", "A"), ("show", "show", "A", "--json"), ("gate", "gate", "A")],
     None),
    ("/orch:done B", [("done", "done", "B")], None),
    ("/orch:plan plan2.md", [("convert", "plan", "convert", "plan2.md"), ("add", "plan", "add", "plan2.md"),
                             ("next", "next")], '"tasks"'),
    ("/orch:run 2", [("next", "next", "--parallel", "2", "--json"), ("status", "status", "--json")],
     '"tasks"'),
]


@pytest.mark.parametrize(("command", "calls", "live"), PERMISSION_CASES,
                         ids=[c[0].split()[0].removeprefix("/orch:") for c in PERMISSION_CASES])
def test_commands_work_in_default_permission_mode(
    command: str, calls: list[tuple[str, ...]], live: str | None, plugin: PluginData,
    claude_run: ClaudeRun, claude_bin: Path, fakeapi: FakeAPI, git_repo: Path, tmp_path: Path,
) -> None:
    """Without ``--dangerously-skip-permissions`` the `!` lines must pass the command's
    ``allowed-tools`` (or the whole command aborts before the model is called), and so must the
    orch calls the prompt asks the model to make: ``Bash(${CLAUDE_PLUGIN_DATA}/orch VERB:*)``
    has to match the quoted ``"<data>/orch" VERB ...`` the commands write."""
    setup_orch(git_repo, PLAN, TASKS)
    orch(git_repo, "start", "B", "--agent", SESSION)
    (git_repo / "src").mkdir()
    for name in ("a.py", "b.py"):  # the gates of A (started here) and B (completed here) pass
        (git_repo / "src" / name).write_text("X = 1\n")
    (git_repo / "plan2.md").write_text(plan_markdown("second", [Task("D", "Delta", files=["src/d.py"])]))
    model = Model()
    if calls:
        fakeapi.script = script_orch_calls(model, *calls, final="Finished.")
    else:
        fakeapi.script = Script().main([text("Finished.")])

    result = as_holder(claude_run, command, binary=without_bypass(claude_bin, tmp_path))

    assert fakeapi.message_requests("main"), f"the command never reached the model:\n{result.describe()}"
    prompt = first_main_prompt(fakeapi)
    assert "permission" not in (result.result_text or "").lower(), result.describe()
    if live is not None:
        assert live in prompt, f"the `!` output is missing:\n{prompt[-3000:]}"
    for key, *_args in calls:
        # Refused by permissions: is_error, "This command requires approval". Ran (even if orch
        # itself exits non-zero, as `orch gate A` does here): orch's own output.
        out = fakeapi.tool_result_text(model.id(key))
        ran = not fakeapi.tool_result_is_error(model.id(key)) or out.startswith("Exit code")
        assert ran and "requires approval" not in out, f"{command}: `orch {key}` was not permitted:\n{out}"
    assert result.result_text == "Finished.", result.describe()


def test_default_permission_mode_refuses_verbs_a_command_does_not_preapprove(
    plugin: PluginData, claude_run: ClaudeRun, claude_bin: Path, fakeapi: FakeAPI, git_repo: Path,
    tmp_path: Path,
) -> None:
    """The control for the test above: the wrapper really leaves bypass mode, and a command
    pre-approves only its own verbs (/orch:next may not cancel a task)."""
    setup_orch(git_repo, PLAN, TASKS)
    model = Model()
    fakeapi.script = script_orch_calls(model, ("cancel", "cancel", "C"), final="Finished.")

    run_plugin(claude_run, "/orch:next", binary=without_bypass(claude_bin, tmp_path))

    out = fakeapi.tool_result_text(model.id("cancel"))
    assert fakeapi.tool_result_is_error(model.id("cancel")) and "requires approval" in out, out
    assert tasks_by_id(git_repo)["C"]["status"] == "queued"


# --------------------------------------------------------------------------- 2. /orch:run


def agent_call(model: Model, task: Task, key: str) -> Block:
    """The Agent call /orch:run asks for, with ``key`` in the prompt to route the subagent."""
    launcher = f'"{model.launcher}"'
    prompt = (f"{key}. You own orch task {task.id}: {task.title}. Orch is `{launcher}`. First run "
              f"`{launcher} start {task.id}` yourself, then `{launcher} show {task.id}` for the files, "
              f"steps and acceptance checklist. Do the work, writing only the task's files. Run "
              f"`{launcher} gate {task.id}` and fix what fails; finish with `{launcher} done {task.id}`. "
              "Reply with what you changed and the last lines `orch done` printed.")
    return model.call(f"agent.{task.id}", "Agent", {
        "description": f"orch task {task.id}", "prompt": prompt,
        "subagent_type": f"orch:orch-{task.specialist}", "run_in_background": False,
    })


def test_run_drives_parallel_subagents_to_completion(
    plugin: PluginData, claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path, tmp_path: Path
) -> None:
    """/orch:run on A, B (parallel, disjoint files) then C (after both): the main lane asks orch
    for each wave and launches one subagent per task in one message; each subagent starts its
    own task (so the binding is its agent id), writes its file and completes it. Subagent B also
    tries to write A's file while A is in progress: refused, naming task A.

    The two subagents of the first wave synchronise through marker files, waiting in their own
    Bash tool calls (never in the fake API): B steals only once A has started, and A completes
    only after B's steal was refused. So the first wave can only finish if A and B run at the
    same time."""
    setup_orch(git_repo, PLAN, TASKS)
    markers = tmp_path / "markers"
    markers.mkdir()
    a_started, b_refused = markers / "a-started", markers / "b-refused"
    src = git_repo / "src"
    model = Model()
    waves: list[list[str]] = []
    by_id = {t.id: t for t in TASKS}

    def wave_of(body: dict[str, Any], key: str) -> list[str]:
        found = find_tool_result(body, model.id(key))
        assert found is not None, f"no result for {key}"
        wave = [str(t) for t in parse_json_output(block_text(found))["wave"]]
        waves.append(wave)
        return wave

    def main_orch(key: str, *args: str) -> TurnFn:
        return lambda body: [model.orch(key, *args)]

    def main_first(body: dict[str, Any]) -> list[Block]:
        model.read_command(body)
        return [model.orch("next1", "next", "--parallel", "2", "--json")]

    def main_dispatch(key: str) -> TurnFn:
        """Launch the wave orch gave for call ``key``: one Agent per task, in one message."""
        def turn(body: dict[str, Any]) -> list[Block]:
            wave = wave_of(body, key)
            if not wave:
                return [text("3 tasks completed. Next: /orch:report and /orch:verify.")]
            return [agent_call(model, by_id[t], f"SUBAGENT-{t}") for t in wave]
        return turn

    fakeapi.script = Script().main(
        main_first, main_dispatch("next1"),
        main_orch("status1", "status", "--json"),
        main_orch("next2", "next", "--parallel", "2", "--json"), main_dispatch("next2"),
        main_orch("status2", "status", "--json"),
        main_orch("next3", "next", "--parallel", "2", "--json"),
        main_dispatch("next3"),  # an empty wave: the final answer
    )

    def sub(lane: str, make: Callable[[str], list[Block]]) -> TurnFn:
        """A subagent turn: note when the lane asked, and build the answer with the launcher
        path the subagent's prompt names."""
        def turn(body: dict[str, Any]) -> list[Block]:
            model.tick(lane)
            return make(launcher_in(prompt_text(body)))
        return turn

    def write(key: str, name: str, content: str) -> list[Block]:
        return [model.call(key, "Write", {"file_path": str(src / name), "content": content})]

    def wait_for(key: str, marker: Path) -> list[Block]:
        return [model.call(key, "Bash", {"command": wait_for_file_command(marker)})]

    def touch(marker: Path, blocks: list[Block]) -> list[Block]:
        marker.touch()
        return blocks

    def orch_call(key: str, verb: str, task_id: str) -> Callable[[str], list[Block]]:
        return lambda launcher: [model.orch(key, verb, task_id, launcher=launcher)]

    fakeapi.script.subagent("SUBAGENT-A", [
        sub("A", orch_call("A.start", "start", "A")),
        sub("A", lambda _: touch(a_started, write("A.write", "a.py", "A = 1\n"))),
        sub("A", lambda _: wait_for("A.wait", b_refused)),
        sub("A", orch_call("A.done", "done", "A")),
        sub("A", lambda _: [text("SUBAGENT-A: wrote src/a.py; A completed.")]),
    ])
    fakeapi.script.subagent("SUBAGENT-B", [
        sub("B", orch_call("B.start", "start", "B")),
        sub("B", lambda _: write("B.write", "b.py", "B = 1\n")),
        sub("B", lambda _: wait_for("B.wait", a_started)),
        sub("B", lambda _: write("B.steal", "a.py", "STOLEN = True\n")),
        sub("B", lambda launcher: touch(b_refused, orch_call("B.done", "done", "B")(launcher))),
        sub("B", lambda _: [text("SUBAGENT-B: wrote src/b.py; A's file was refused; B completed.")]),
    ])
    fakeapi.script.subagent("SUBAGENT-C", [
        sub("C", orch_call("C.start", "start", "C")),
        sub("C", lambda _: write("C.write", "c.py", "C = 1\n")),
        sub("C", orch_call("C.done", "done", "C")),
        sub("C", lambda _: [text("SUBAGENT-C: wrote src/c.py; C completed.")]),
    ])

    result = run_plugin(claude_run, "/orch:run 2", timeout=60)

    # The command expanded with live state, and the model read the launcher from it.
    prompt = first_main_prompt(fakeapi)
    assert_expanded(prompt, plugin, "orch next --parallel N --json")
    assert [t["status"] for t in json_after(prompt, "Current state:")["tasks"]] == ["queued"] * 3
    assert model.launcher == str(plugin.launcher)
    assert waves == [["A", "B"], ["C"], []], waves
    assert fakeapi.script.pending() == {"main": 0, "SUBAGENT-A": 0, "SUBAGENT-B": 0, "SUBAGENT-C": 0}, (
        fakeapi.script.pending(), result.describe())

    # Every task completed, each by its own subagent.
    session = session_id(result)
    rows = tasks_by_id(git_repo)
    assert {k: v["status"] for k, v in rows.items()} == {"A": "completed", "B": "completed", "C": "completed"}
    for task_id in ("A", "B", "C"):
        agent_ids = {r.agent_id for r in fakeapi.message_requests(f"SUBAGENT-{task_id}")}
        assert len(agent_ids) == 1 and None not in agent_ids, agent_ids
        agent_id = agent_ids.pop()
        started = fakeapi.tool_result_text(model.id(f"{task_id}.start"))
        assert f"Started {task_id}, bound to {agent_id}" in started, started
        assert start_actor(git_repo, task_id) == agent_id != session
        done = fakeapi.tool_result_text(model.id(f"{task_id}.done"))
        assert f"{task_id} completed." in done, done
    assert (src / "a.py").read_text() == "A = 1\n"
    assert (src / "b.py").read_text() == "B = 1\n"
    assert (src / "c.py").read_text() == "C = 1\n"

    # B's write to A's file was refused while A was in progress, naming A.
    assert fakeapi.tool_result_is_error(model.id("B.steal"))
    refusal = fakeapi.tool_result_text(model.id("B.steal"))
    assert "src/a.py" in refusal and "task A" in refusal, refusal
    assert not fakeapi.tool_result_is_error(model.id("A.wait")), fakeapi.tool_result_text(model.id("A.wait"))

    # The first wave ran in parallel; each Agent call returned its subagent's reply.
    assert overlap(model.times["A"], model.times["B"]), model.times
    assert max(model.times["A"] + model.times["B"]) < min(model.times["C"]), model.times
    for task_id in ("A", "B", "C"):
        reply = fakeapi.tool_result_text(model.id(f"agent.{task_id}"))
        assert f"SUBAGENT-{task_id}:" in reply, reply
    statuses = parse_json_output(fakeapi.tool_result_text(model.id("status1")))["tasks"]
    assert [(t["id"], t["status"]) for t in statuses] == [("A", "completed"), ("B", "completed"),
                                                          ("C", "queued")]
    assert leases(git_repo) == {}
    assert orch_json(git_repo, "verify")["ok"] is True
    assert "Tag: cmd-complete" in fakeapi.tool_result_text(model.id("C.done"))
    assert result.result_text == "3 tasks completed. Next: /orch:report and /orch:verify.", result.describe()


# --------------------------------------------------------------------------- 3. same rule, both installs


@pytest.mark.parametrize("install", ["plugin", "orch-init"])
def test_out_of_order_write_refused_by_plugin_and_by_orch_init(
    install: str, claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path, e2e_home: Path
) -> None:
    """B depends on A; the model writes B's file before A is done. The plugin's hooks
    (``--plugin-dir``, ``orch init --no-hooks``) and the hooks ``orch init`` registers in
    ``.claude/settings.json`` (no plugin) refuse it with the same reason."""
    tasks = (Task("A", "Alpha", files=["src/a.py"]),
             Task("B", "Beta", files=["src/b.py"], depends_on=["A"]))
    plugin = install == "plugin"
    setup_orch(git_repo, PLAN, tasks, hooks=not plugin)
    target = git_repo / "src" / "b.py"
    write = tool_use("Write", {"file_path": str(target), "content": "B = 1\n"})
    fakeapi.script = Script().main([write], [text("Refused.")])

    if plugin:
        with PluginData(e2e_home) as data:
            result = run_plugin(claude_run, "Implement B")
        data.assert_no_builder()
    else:
        result = claude_run("Implement B", env=claude_env_extra())
        assert not plugin_data_dir(e2e_home).exists()

    assert fakeapi.tool_result_is_error(write["id"]), fakeapi.tool_result_text(write["id"])
    reason = fakeapi.tool_result_text(write["id"])
    assert "src/b.py belongs to task B (Beta), which cannot start yet: it waits on A" in reason, reason
    assert not target.exists()
    assert {k: v["status"] for k, v in tasks_by_id(git_repo).items()} == {"A": "queued", "B": "queued"}
    assert result.result_text == "Refused.", result.describe()
