"""Who is calling orch: the verbs that move a task or a lease, the task a call names, and the
key under which the PreToolUse hook hands the true caller of a Bash call to the `orch` command
that call runs (a grant).

Inside Claude Code the caller is who the hook sees (`agent_id` in a subagent, else
`session_id`), whatever the Bash environment says: the environment of a subagent's Bash call
carries only its parent's session, and any agent can change its own environment. So the hook,
which parses the command, checks the caller against the task's holder and leaves a grant that
the `orch` process claims. Standard library only: the hook imports this.
"""

from __future__ import annotations

import os

# Verbs that change a task or a lease: only the task's holder (or a human) may run them. Not
# `dispatch`: it moves no task (a reservation only keeps `orch next` from offering it again), and
# the main agent runs it for tasks it will never hold.
MOVING = frozenset({"start", "done", "gate", "block", "move", "cancel", "lock", "unlock", "check", "why"})
# Options that take a value (so the value is not taken for a task id).
VALUE_OPTIONS = frozenset({"--agent", "--reason", "--note", "--task", "--evidence", "--ttl"})
# Settings an agent may not change: they decide what is enforced (team mode: the claims). A human
# changes them.
GUARDED_SETTINGS = ("policy", "gates", "stop", "lease_ttl_seconds", "workflow", "andon", "sync")
GRANT_TTL = 900.0  # longer than Claude Code's longest Bash call (10 minutes)


def operands(args: list[str]) -> list[str]:
    """The operands of `orch VERB ARGS…` (options and their values left out)."""
    found: list[str] = []
    skip = False
    for word in args:
        if skip:
            skip = False
        elif word == "--":
            continue
        elif word in VALUE_OPTIONS:
            skip = True
        elif not word.startswith("-"):
            found.append(word)
    return found


def option(args: list[str], name: str) -> str | None:
    """The value of `--name VALUE` or `--name=VALUE` in `args`, if given."""
    for index, word in enumerate(args):
        if word == name and index + 1 < len(args):
            return args[index + 1]
        if word.startswith(name + "="):
            return word[len(name) + 1 :]
    return None


def grant_key(verb: str, args: list[str]) -> str:
    """`VERB FIRST-OPERAND` ("" when there is none): what the hook and the CLI both compute."""
    found = operands(args)
    return f"{verb} {found[0] if found else ''}"


def mcp_grant_key(tool_use_id: str) -> str:
    """The grant the PreToolUse hook leaves for an MCP tool call of orch's server: Claude Code
    sends the same `tool_use_id` to the server as `_meta["claudecode/toolUseId"]`."""
    return f"mcp {tool_use_id}"


def inside_claude_code() -> bool:
    """Whether this process runs under Claude Code: its variables, or (when a command took them
    away) a `claude` process among its ancestors."""
    if os.environ.get("CLAUDE_CODE_SESSION_ID") or os.environ.get("CLAUDECODE"):
        return True
    return any(name == "claude" for name in _ancestor_names())


def _ancestor_names(limit: int = 64) -> list[str]:
    """The command names of this process's ancestors (Linux /proc; empty elsewhere)."""
    names: list[str] = []
    pid = os.getppid()
    for _ in range(limit):
        if pid <= 1:
            break
        try:
            with open(f"/proc/{pid}/stat", "rb") as handle:
                stat = handle.read().decode("utf-8", "replace")
        except OSError:
            break
        name, _, rest = stat.partition("(")[2].rpartition(")")
        names.append(name)
        fields = rest.split()
        pid = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else 0
    return names
