"""git: the subcommands that write the work tree.

Subcommands that bring recorded history forward (pull, merge, rebase, cherry-pick, a branch
switch that git itself refuses when it would lose local changes) are normal work. Those that can
rewind or discard the work tree (reset, checkout/restore of paths or from a revision, stash,
clean, read-tree -u, apply/am, revert, a forced switch, bisect, history rewriters) are recorded as
a `GitOp`: which files they would change depends on the repository's state, so the hook asks git
(`orchestrator/hooks/gitguard.py`) and checks those files like any other write."""

from __future__ import annotations

from orchestrator.hooks.bash.programs import getopt, has, transfer, values

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from orchestrator.hooks.bash.analyser import Analyser, Arg
    from orchestrator.hooks.bash.command import Ctx
    from orchestrator.hooks.bash.programs import Handler

    _GitHandler = Callable[[Analyser, list[Arg], Arg | None], None]

_GIT_VALUE_OPTS = frozenset(
    {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env", "--super-prefix"}
)
# Resolved by the hook with git: what they change depends on the repository's state.
_GIT_STATEFUL = frozenset(
    {"reset", "checkout", "restore", "switch", "stash", "clean", "read-tree", "apply", "am", "revert",
     "checkout-index", "bisect", "filter-branch", "filter-repo", "sparse-checkout"}
)  # fmt: skip
# Configuration keys whose value git runs as a command.
_GIT_COMMAND_KEYS = (
    "alias.", "core.pager", "core.editor", "core.sshcommand", "core.fsmonitor", "core.askpass",
    "pager.", "sequence.editor", "diff.", "merge.", "filter.", "credential.", "gpg.",
    "interactive.", "uploadpack.", "remote.", "difftool.", "mergetool.", "sendemail.",
)  # fmt: skip


def _git(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """git [-C DIR] [-c KEY=VALUE] SUBCOMMAND: the subcommands that write the work tree."""
    index, tree = 0, None
    folders: list[Arg] = []
    while index < len(args):
        text, dyn = args[index]
        if text in _GIT_VALUE_OPTS and index + 1 < len(args):
            value = args[index + 1]
            if text == "-C":
                folders.append(value)
            elif text == "-c":
                _git_config(an, value[0])
            elif text == "--work-tree":
                tree = value
            index += 2
            continue
        if text.startswith("--work-tree="):
            tree = (text.partition("=")[2], dyn)
        elif not text.startswith("-"):
            break
        index += 1
    if index >= len(args):
        return
    saved = an.enter(folders)
    name, rest = args[index][0], args[index + 1 :]
    handler = _GIT_COMMANDS.get(name)
    if name in _GIT_STATEFUL:
        _stateful(an, name, rest, tree, ctx)
    elif handler is not None:
        handler(an, rest, tree)
    an.cwds = saved


def _stateful(an: Analyser, name: str, args: list[Arg], tree: Arg | None, ctx: Ctx) -> None:
    """Record the subcommand for the hook to resolve with git, once per candidate folder."""
    dynamic = any(dyn for _, dyn in args) or (tree is not None and tree[1])
    for cwd, unknown in an.cwds:
        an.git_ops.append(GitOp(name, tuple(text for text, _ in args), cwd, tree[0] if tree else None,
                                ctx.stdin, ctx.piped_in, dynamic or unknown))


class GitOp:
    """`git NAME ARGS…` run in `cwd` (with `--work-tree` `tree`), whose effect on the work tree
    git itself must tell; `stdin` is a here-document's text, `piped` a pipe feeding it, `dynamic`
    an argument or folder that is not known before the command runs."""

    __slots__ = ("name", "args", "cwd", "tree", "stdin", "piped", "dynamic")

    def __init__(self, name: str, args: tuple[str, ...], cwd: str, tree: str | None, stdin: str | None,
                 piped: bool, dynamic: bool) -> None:
        self.name, self.args, self.cwd, self.tree = name, args, cwd, tree
        self.stdin, self.piped, self.dynamic = stdin, piped, dynamic

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GitOp) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[object, ...]:
        return (self.name, self.args, self.cwd, self.tree, self.stdin, self.piped, self.dynamic)

    def __repr__(self) -> str:
        return f"GitOp({self.name!r}, {self.args!r}, cwd={self.cwd!r})"


def _git_config(an: Analyser, setting: str) -> None:
    key, _, value = setting.partition("=")
    if value and key.lower().startswith(_GIT_COMMAND_KEYS):
        an.recurse(value.removeprefix("!"), "git")


def _git_rm(an: Analyser, args: list[Arg], tree: Arg | None) -> None:
    opts, operands = getopt(args)
    if not has(opts, "cached", "n", "dry-run"):
        for arg in operands:
            an.write(arg, "git")


def _git_mv(an: Analyser, args: list[Arg], tree: Arg | None) -> None:
    opts, operands = getopt(args)
    if not has(opts, "n", "dry-run"):
        transfer(an, opts, operands, "git", moves=True)


def _git_worktree(an: Analyser, args: list[Arg], tree: Arg | None) -> None:
    if args and args[0][0] in ("add", "remove", "move"):
        operands = getopt(args[1:], "bB", frozenset({"reason"}))[1]
        for arg in operands[: 2 if args[0][0] == "move" else 1]:
            an.write(arg, "git")


def _git_clone(an: Analyser, args: list[Arg], tree: Arg | None) -> None:
    long = frozenset("branch origin depth reference config template separate-git-dir jobs filter".split())
    operands = getopt(args, "bocju", long)[1]
    if len(operands) >= 2:
        an.write(operands[1], "git")
    elif operands:
        name = operands[0][0].rstrip("/").rpartition("/")[2].rpartition(":")[2]
        an.write((name.removesuffix(".git"), operands[0][1]), "git")


def _git_init(an: Analyser, args: list[Arg], tree: Arg | None) -> None:
    long = frozenset({"template", "separate-git-dir", "initial-branch", "object-format"})
    operands = getopt(args, "b", long)[1]
    folder = operands[0] if operands else (".", False)
    an.write((folder[0].rstrip("/") + "/.git", folder[1]), "git")


def _git_output(an: Analyser, args: list[Arg], tree: Arg | None) -> None:
    """diff/log/show/archive/format-patch `--output=FILE` (`-o` for archive and format-patch)."""
    opts = getopt(args, "o", frozenset({"output", "output-directory"}))[0]
    for value in values(opts, "o", "output", "output-directory"):
        an.write(value, "git")


_GIT_COMMANDS: dict[str, _GitHandler] = {
    "rm": _git_rm,
    "mv": _git_mv,
    "worktree": _git_worktree,
    "clone": _git_clone,
    "init": _git_init,
    "diff": _git_output,
    "log": _git_output,
    "show": _git_output,
    "archive": _git_output,
    "format-patch": _git_output,
}


RULES: dict[str, Handler] = {
    "git": _git,
}
