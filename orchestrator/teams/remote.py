"""The network half of team mode: fetch and push through `gitops.run`, each bounded by
`sync.timeout`. A push reports each ref's fate (`git push --porcelain`), so a ref refused by its
lease or by a non-fast-forward is told apart from a remote that cannot be reached."""

from __future__ import annotations

import os
from typing import Any

from orchestrator import gitops, teams
from orchestrator.errors import OrchError

REJECTED = "rejected"
_AUTHOR = {"GIT_AUTHOR_NAME": "orch", "GIT_AUTHOR_EMAIL": "orch@teams.invalid",
           "GIT_COMMITTER_NAME": "orch", "GIT_COMMITTER_EMAIL": "orch@teams.invalid"}


def timeout_of(config: dict[str, Any]) -> float:
    return float(teams.setting(config, "timeout", teams.NETWORK_TIMEOUT))


def fetch(root: str | os.PathLike[str], remote: str, refspecs: list[str], timeout: float) -> None:
    """`git fetch --prune REMOTE REFSPECS`; OrchError naming the remote when it cannot be reached."""
    status, _out, err = gitops.run(root, "fetch", "--quiet", "--prune", remote, *refspecs, timeout=timeout)
    if status != 0:
        raise OrchError(unreachable(remote, err, status))


def push(root: str | os.PathLike[str], remote: str, refspecs: list[str], *, leases: tuple[str, ...] = (),
         timeout: float, follow_tags: bool = False) -> dict[str, str]:
    """Push `refspecs`, each ref checked against its lease (`REF:EXPECTED`, EXPECTED empty: the
    ref must not exist). Destination ref -> "ok" or "rejected"; OrchError when the remote could
    not be reached or refused the push as a whole."""
    flags = [f"--force-with-lease={lease}" for lease in leases] + (["--follow-tags"] if follow_tags else [])
    status, out, err = gitops.run(root, "push", "--porcelain", *flags, remote, *refspecs, timeout=timeout)
    fates = _fates(out)
    if status != 0 and not any(fate == REJECTED for fate in fates.values()):
        raise OrchError(unreachable(remote, err, status))
    return fates


def _fates(porcelain: str) -> dict[str, str]:
    """`git push --porcelain` lines `<flag>\\t<from>:<to>\\t<summary>`: "!" is a refusal."""
    fates = {}
    for line in porcelain.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and ":" in parts[1]:
            fates[parts[1].rsplit(":", 1)[1]] = REJECTED if parts[0] == "!" else "ok"
    return fates


def unreachable(remote: str, err: str, status: int) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    why = lines[-1].removeprefix("fatal: ").strip() if lines else f"git exited with {status}"
    return (f"cannot reach the remote {remote!r} ({why}). Team mode needs it to claim and publish "
            "tasks: check the network and `git remote -v`. To work alone meanwhile, a person at a terminal "
            "can turn team mode off (`orch config sync.remote null`; agents may not change sync.*)")


def note(root: str | os.PathLike[str], message: str) -> str:
    """A commit with the empty tree and `message` in the local object store (what a claim or a
    clone's published leases are), by orch as author: its sha."""
    tree = _git(root, "mktree", stdin="").strip()
    return _git(root, "commit-tree", tree, "-F", "-", stdin=message, env=_AUTHOR).strip()


def message_of(root: str | os.PathLike[str], ref: str) -> str:
    """The message of the commit `ref` names ("" when there is none)."""
    status, out, _err = gitops.run(root, "cat-file", "commit", ref)
    return out.partition("\n\n")[2] if status == 0 else ""


def _git(root: str | os.PathLike[str], *args: str, stdin: str | None = None,
         env: dict[str, str] | None = None) -> str:
    status, out, err = gitops.run(root, *args, stdin=stdin, env=env)
    if status != 0:
        raise OrchError(f"git {args[0]} failed in {root}: {err.strip()}")
    return out
