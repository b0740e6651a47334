"""The write jail, end to end on this machine's kernel: the hooks as Claude Code runs them
(SessionStart with an env file, PreToolUse, PostToolUse) and each Bash command run the way Claude
Code runs it (`bash -c "source SNAPSHOT || true && <env file> … eval 'CMD' && pwd -P >| FILE"`).
Programs no analysis can read try to change orch's state, the runtime folder and another agent's
leased file: the kernel refuses; the same programs on the agent's own files work."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from orchestrator.hooks.statusline import line
from orchestrator.jail import sessions
from tests.conftest import Orch, git
from tests.hooks.conftest import payload, run_hook

pytestmark = pytest.mark.skipif(
    sessions.check() is not None, reason="this kernel cannot jail"
)

SESSION = "sess-jail"


class Claude:
    """Plays Claude Code's part for one session: hooks in, Bash commands through the env file."""

    def __init__(self, repo: Path, tmp: Path, shell: str = "/bin/bash") -> None:
        self.repo, self.tmp, self.shell_path = repo, tmp, shell
        self.env_file = tmp / "session-env" / "hook-0.sh"
        self.env_file.parent.mkdir(parents=True, exist_ok=True)
        self.env_file.write_text("")
        self.cwd = repo
        self.calls = 0
        self.wrapper: list[str] = []  # runs Claude Code's shell inside another sandbox

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "ORCH"))}
        env.update(CLAUDE_ENV_FILE=str(self.env_file), CLAUDE_CODE_SESSION_ID=SESSION, SHELL=self.shell_path,
                   ORCH_FSMONITOR="0")  # no monitor left behind (tests/conftest.py)
        return env

    def start_session(self) -> dict[str, Any]:
        data = payload("SessionStart", cwd=str(self.repo), session_id=SESSION)
        run = run_hook("SessionStart", data, env=self.env())
        return run.json if run.stdout.strip() else {}

    def bash(self, command: str, *, caller: str = SESSION) -> Run:
        self.calls += 1
        tool_use_id = f"toolu_{self.calls}"
        pre = payload("PreToolUse.Bash", cwd=str(self.cwd), session_id=SESSION, tool_use_id=tool_use_id,
                      tool_input={"command": command, "description": "test"})
        if caller != SESSION:
            pre["agent_id"] = caller
        denied = run_hook("PreToolUse", pre, env=self.env()).denied
        if denied:
            return Run(None, "", "", denied, "")
        done = self.shell(command)
        post = dict(pre, hook_event_name="PostToolUse" if done.returncode == 0 else "PostToolUseFailure")
        if done.returncode == 0:
            post["tool_response"] = {"stdout": done.stdout, "stderr": done.stderr, "interrupted": False}
        else:
            post["error"] = f"Exit code {done.returncode}\n{done.stderr}"
        hook = run_hook(post["hook_event_name"], post, env=self.env())
        context = hook.json.get("hookSpecificOutput", {}).get("additionalContext", "") if hook.stdout else ""
        return Run(done.returncode, done.stdout, done.stderr, None, context)

    def shell(self, command: str) -> subprocess.CompletedProcess[str]:
        cwd_file = self.tmp / f"cwd-{self.calls}"
        string = (f"source /dev/null 2>/dev/null || true && {self.env_file.read_text()}\n"
                  f": && eval {shlex.quote(command)} < /dev/null && pwd -P >| {cwd_file}")
        done = subprocess.run([*self.wrapper, self.shell_path, "-c", string], cwd=self.cwd, env=self.env(),
                              capture_output=True, text=True, timeout=60)
        if cwd_file.exists():
            self.cwd = Path(cwd_file.read_text().strip())
        return done


class Run:
    def __init__(self, code: int | None, out: str, err: str, denied: str | None, context: str) -> None:
        self.code, self.out, self.err, self.denied, self.context = code, out, err, denied, context


@pytest.fixture
def claude(planned: Path, orch: Orch, tmp_path: Path) -> Claude:
    """A jailed session in `planned`; task A in progress held by agent-a (file docs/design.md)."""
    assert orch("start", "A", "--agent", "agent-a")[0] == 0
    (planned / "docs").mkdir(exist_ok=True)
    (planned / "docs" / "design.md").write_text("agent-a's design\n")
    session = Claude(planned, tmp_path)
    session.start_session()
    assert sessions.state(str(planned / ".git" / "orch"), SESSION) == sessions.JAILED
    return session


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


WRITERS = {
    "script": "printf 'echo pwned > \"$1\"\\n' > w.sh && chmod +x w.sh",
    "python": "printf 'import sys\\nopen(sys.argv[1], \"w\").write(\"pwned\")\\n' > w.py",
}
RUNS = {"script": "./w.sh {target}", "python": "python3 w.py {target}"}


@pytest.mark.parametrize("kind", ["script", "python"])
@pytest.mark.parametrize("target", [".orch/tasks/B.json", ".orch/new.json", ".git/orch/bindings.json",
                                    "docs/design.md"])
def test_a_program_written_in_one_call_and_run_in_the_next_is_held(claude: Claude, kind: str,
                                                                   target: str) -> None:
    protected = {".orch": claude.repo / ".orch", "runtime": claude.repo / ".git" / "orch"}
    before = {name: snapshot(path) for name, path in protected.items()}
    design = (claude.repo / "docs" / "design.md").read_bytes()
    assert claude.bash(WRITERS[kind], caller="agent-b").code == 0
    run = claude.bash(RUNS[kind].format(target=target), caller="agent-b")
    assert run.code != 0
    assert "Read-only file system" in run.err
    assert "write jail refused a write" in run.context
    assert (claude.repo / "docs" / "design.md").read_bytes() == design
    assert snapshot(protected[".orch"]) == before[".orch"]


def test_the_same_programs_work_on_the_agents_own_files(claude: Claude) -> None:
    assert claude.bash(WRITERS["python"], caller="agent-b").code == 0
    run = claude.bash("mkdir -p src && python3 w.py src/mine.py && mkdir -p .pytest_cache && "
                      "python3 w.py new-at-root.txt", caller="agent-b")
    assert run.code == 0, run.err
    assert (claude.repo / "new-at-root.txt").read_text() == "pwned"
    # the holder of the leased file may write it
    assert claude.bash("python3 w.py docs/design.md", caller="agent-a").code == 0
    assert (claude.repo / "docs" / "design.md").read_text() == "pwned"


def test_compiled_programs_make_tar_and_git_are_held(claude: Claude) -> None:
    if not (shutil.which("cc") and shutil.which("make")):
        pytest.skip("no C compiler or make here")
    before = snapshot(claude.repo / ".orch")
    source = ('#include <stdio.h>\\nint main(int c, char **v) { FILE *f = fopen(v[1], \\"w\\"); '
              'if (!f) { perror(v[1]); return 1; } fputs(\\"pwned\\", f); return fclose(f); }\\n')
    assert claude.bash(f'printf "{source}" > w.c && cc -o w w.c', caller="agent-b").code == 0
    assert claude.bash("./w .orch/tasks/B.json", caller="agent-b").code != 0
    assert claude.bash("printf 'all:\\n\\techo pwned > .orch/tasks/B.json\\n' > Makefile && make",
                       caller="agent-b").code != 0
    assert claude.bash("mkdir -p t/.orch/tasks && echo pwned > t/.orch/tasks/B.json && tar -cf t.tar -C t . "
                       "&& tar -xf t.tar", caller="agent-b").code != 0
    assert claude.bash("printf 'git checkout HEAD~0 -- .orch 2>&1; git rm -rq --cached .orch; "
                       "rm -rf .orch\\n' > g.sh && sh g.sh", caller="agent-b").code != 0
    assert snapshot(claude.repo / ".orch") == before


def test_normal_work_is_unaffected_and_git_commit_works(claude: Claude) -> None:
    run = claude.bash("mkdir -p sub && cd sub && echo out && echo err >&2 && echo hi > f.txt")
    assert (run.code, run.out, run.err) == (0, "out\n", "err\n")
    assert claude.cwd == claude.repo / "sub"  # a cd in a jailed call persists
    assert claude.bash("pwd").out.strip() == str(claude.repo / "sub")
    assert claude.bash("cd .. && git add sub && git commit -qm sub && git log --oneline -1").code == 0
    assert "sub" in git(claude.repo, "log", "--oneline", "-1")
    assert claude.bash("exit 7").code == 7


def test_a_plain_orch_command_writes_state_and_a_longer_one_is_told_how(claude: Claude, orch: Orch) -> None:
    assert orch("done", "A", "--agent", "agent-a")[0] == 0  # B is ready now
    run = claude.bash("ls && orch start B", caller="agent-b")
    assert run.code != 0
    assert "ran inside orch's write jail" in run.err
    assert json.loads((claude.repo / ".orch" / "tasks" / "B.json").read_text())["status"] != "in_progress"
    run = claude.bash("orch start B", caller="agent-b")
    assert run.code == 0, run.err
    assert json.loads((claude.repo / ".orch" / "tasks" / "B.json").read_text())["status"] == "in_progress"


def test_the_orch_route_cannot_smuggle_another_command(claude: Claude) -> None:
    for command in ("orch status; echo pwned > .orch/x",
                    "orch status && python3 -c 'open(\".orch/x\",\"w\")'",
                    "orch status $(echo pwned > .orch/x)", "orch status > .orch/x"):
        claude.bash(command, caller="agent-b")
        assert not (claude.repo / ".orch" / "x").exists(), command


def test_reading_orch_inside_a_longer_command_works(claude: Claude) -> None:
    run = claude.bash("orch status --json | head -c 1", caller="agent-b")
    assert (run.code, run.out) == (0, "{")


def test_gates_run_in_the_jail(claude: Claude, orch: Orch) -> None:
    from orchestrator.gates import run_gate

    result = run_gate({"name": "g", "command": "echo pwned > .orch/tasks/B.json", "kind": "plain",
                       "timeout": 30}, claude.repo)
    assert not result["passed"] and "Read-only file system" in result["tail"]
    assert run_gate({"name": "g", "command": "echo ok > out.txt", "kind": "plain", "timeout": 30},
                    claude.repo)["passed"]


def test_a_call_the_launcher_never_saw_is_said_and_the_session_marked(claude: Claude) -> None:
    claude.env_file.write_text("")  # the line gone: nothing jails the command
    run = claude.bash("echo hi")
    assert run.code == 0
    assert "launcher did not run" in run.context
    assert sessions.state(str(claude.repo / ".git" / "orch"), SESSION) != sessions.JAILED


def test_policy_off_leaves_bash_alone(planned: Path, orch: Orch, tmp_path: Path) -> None:
    orch("config", "policy.jail", "off")
    session = Claude(planned, tmp_path)
    session.start_session()
    assert session.env_file.read_text() == "" or "launch.py" not in session.env_file.read_text()
    assert session.bash("printf 'echo hi > .orch/x' > w.sh").code == 0
    assert session.bash("sh w.sh").code == 0  # what analysis cannot see goes through
    assert (planned / ".orch" / "x").exists()


def test_policy_on_refuses_bash_where_the_session_cannot_be_jailed(planned: Path, orch: Orch,
                                                                    tmp_path: Path) -> None:
    orch("config", "policy.jail", "on")
    session = Claude(planned, tmp_path)
    env = session.env()
    del env["CLAUDE_ENV_FILE"]
    data = payload("SessionStart", cwd=str(planned), session_id=SESSION)
    briefing = run_hook("SessionStart", data, env=env).json
    assert "write jail is not available" in json.dumps(briefing)
    pre = payload("PreToolUse.Bash", cwd=str(planned), session_id=SESSION,
                  tool_input={"command": "make", "description": "t"})
    assert "policy.jail is `on`" in (run_hook("PreToolUse", pre, env=env).denied or "")
    pre["tool_input"] = {"command": "orch status", "description": "t"}
    assert run_hook("PreToolUse", pre, env=env).denied is None


def test_a_session_the_kernel_refuses_inside_is_said_once_and_marked(claude: Claude) -> None:
    """Claude Code's shell already inside another sandbox that forbids mounts (here: the launcher
    itself): the command still runs, unjailed, and the model hears why once."""
    import sys

    claude.wrapper = [sys.executable, "-I", "-S", sessions.LAUNCHER, "run", "--"]
    first = claude.bash("echo hi")
    assert (first.code, first.out) == (0, "hi\n")
    assert "running without the jail" in first.err
    assert "write jail is not available here (the kernel refused" in first.context
    assert sessions.state(str(claude.repo / ".git" / "orch"), SESSION).startswith("the kernel refused")
    second = claude.bash("echo again")
    assert (second.code, second.err, second.context) == (0, "", "")
    assert line({"session_id": SESSION, "cwd": str(claude.repo)}).endswith("jail: off")


def test_doctor_says_whether_this_machine_can_jail(claude: Claude, orch: Orch) -> None:
    assert "write jail: available here" in orch("doctor")[1]
    orch("config", "policy.jail", "off")
    assert "write jail: off" in orch("doctor")[1]
    assert "jail" not in line({"session_id": "another", "cwd": str(claude.repo)})


def test_a_read_only_file_system_elsewhere_is_not_blamed_on_the_jail(claude: Claude, tmp_path: Path) -> None:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root to make a read-only file system of its own")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    read_only = f'mount --bind {elsewhere} {elsewhere} && mount -o remount,ro,bind {elsewhere} && exec "$@"'
    claude.wrapper = ["unshare", "-m", "--propagation", "private", "sh", "-c", read_only, "--"]
    run = claude.bash(f"echo 1 > {elsewhere}/f")
    assert run.code != 0 and "Read-only file system" in run.err
    assert "write jail" not in run.context
    claude.bash("printf 'echo 1 > .orch/x' > w.sh")
    run = claude.bash("sh w.sh")
    assert "write jail refused a write" in run.context  # the jail itself still works in there


def test_a_zsh_session_is_jailed_the_same_way(planned: Path, orch: Orch, tmp_path: Path) -> None:
    """Claude Code runs `zsh -c STRING` when the user's shell is zsh (seen on 2.1.330)."""
    zsh = shutil.which("zsh")
    if zsh is None:
        pytest.skip("no zsh here")
    session = Claude(planned, tmp_path, shell=zsh)
    session.start_session()
    assert sessions.state(str(planned / ".git" / "orch"), SESSION) == sessions.JAILED
    assert session.bash("printf 'echo pwned > .orch/x' > w.sh").code == 0
    run = session.bash("sh w.sh")
    assert run.code != 0 and "Read-only file system" in run.err and "write jail refused" in run.context
    assert not (planned / ".orch" / "x").exists()
    assert session.bash("mkdir -p sub && cd sub").code == 0 and session.cwd == planned / "sub"
    assert session.bash("cd .. && orch start A; echo rc=$?").out.startswith("Started A")
