"""git: the subcommands that write the work tree."""

from __future__ import annotations

from orchestrator.hooks.bash.programs import getopt, has, transfer, values

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from orchestrator.hooks.bash.analyser import Analyser, Arg, Ctx
    from orchestrator.hooks.bash.programs import Handler

    _GitHandler = Callable[[Analyser, list[Arg], Arg | None], None]

_GIT_VALUE_OPTS = frozenset(
    {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env", "--super-prefix"}
)
_GIT_TREE_COMMANDS = frozenset(
    {"merge", "rebase", "pull", "cherry-pick", "revert", "am", "bisect", "filter-branch",
     "filter-repo", "sparse-checkout"}
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
    if handler is not None:
        handler(an, rest, tree)
    elif name in _GIT_TREE_COMMANDS:
        an.whole_tree("git", True, tree)
    an.cwds = saved


def _git_config(an: Analyser, setting: str) -> None:
    key, _, value = setting.partition("=")
    if value and key.lower().startswith(_GIT_COMMAND_KEYS):
        an.recurse(value.removeprefix("!"), "git")


def _dashes(args: list[Arg]) -> tuple[list[Arg], list[Arg] | None]:
    for index, (text, _) in enumerate(args):
        if text == "--":
            return args[:index], args[index + 1 :]
    return args, None


def _git_checkout(an: Analyser, args: list[Arg], tree: Arg | None) -> None:
    """`checkout [TREE] -- PATHS` writes PATHS; switching branches rewrites the tree."""
    before, after = _dashes(args)
    opts, operands = getopt(before, "bB", frozenset({"orphan", "conflict"}))
    if after is not None:
        for arg in after:
            an.write(arg, "git")
    elif has(opts, "pathspec-from-file"):
        an.whole_tree("git", True, tree)
    elif has(opts, "b", "B", "orphan"):
        if operands:
            an.whole_tree("git", True, tree)
    elif operands and an.exists(operands[0]):
        for arg in operands:
            an.write(arg, "git")
    elif len(operands) > 1:
        for arg in operands[1:]:
            an.write(arg, "git")
    elif operands or has(opts, "f", "force"):
        an.whole_tree("git", True, tree)


def _git_restore(an: Analyser, args: list[Arg], tree: Arg | None) -> None:
    opts, operands = getopt(args, "s", frozenset({"source"}))
    if has(opts, "pathspec-from-file"):
        an.whole_tree("git", True, tree)
    elif has(opts, "W", "worktree") or not has(opts, "S", "staged"):
        for arg in operands:
            an.write(arg, "git")


def _git_rm(an: Analyser, args: list[Arg], tree: Arg | None) -> None:
    opts, operands = getopt(args)
    if not has(opts, "cached", "n", "dry-run"):
        for arg in operands:
            an.write(arg, "git")


def _git_mv(an: Analyser, args: list[Arg], tree: Arg | None) -> None:
    opts, operands = getopt(args)
    if not has(opts, "n", "dry-run"):
        transfer(an, opts, operands, "git", moves=True)


def _git_apply(an: Analyser, args: list[Arg], tree: Arg | None) -> None:
    names = {name for name, _ in getopt(args, "pC", frozenset({"directory"}))[0]}
    if names & {"check", "stat", "numstat", "summary"} and "apply" not in names:
        return
    if "cached" not in names or "index" in names:
        an.whole_tree("git", True, tree)


def _git_stash(an: Analyser, args: list[Arg], tree: Arg | None) -> None:
    sub = args[0][0] if args and not args[0][0].startswith("-") else "push"
    if sub not in ("list", "show", "create", "store", "drop", "clear"):
        an.whole_tree("git", True, tree)


def _git_reset(an: Analyser, args: list[Arg], tree: Arg | None) -> None:
    if any(text in ("--hard", "--merge", "--keep") for text, _ in args):
        an.whole_tree("git", True, tree)


def _git_clean(an: Analyser, args: list[Arg], tree: Arg | None) -> None:
    """`git clean` removes untracked files under the working folder (or the given paths)."""
    opts, operands = getopt(args, "e", frozenset({"exclude"}))
    if has(opts, "n", "dry-run"):
        return
    for arg in operands:
        an.write(arg, "git")
    if not operands:
        an.whole_tree("git", False, tree)


def _git_switch(an: Analyser, args: list[Arg], tree: Arg | None) -> None:
    opts, operands = getopt(args, "cC", frozenset({"create", "force-create", "orphan"}))
    if operands or not has(opts, "c", "C", "create", "force-create"):
        an.whole_tree("git", True, tree)


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


def _git_checkout_index(an: Analyser, args: list[Arg], tree: Arg | None) -> None:
    opts, operands = getopt(args)
    if has(opts, "a", "all"):
        an.whole_tree("git", True, tree)
    for arg in operands:
        an.write(arg, "git")


def _git_read_tree(an: Analyser, args: list[Arg], tree: Arg | None) -> None:
    if has(getopt(args)[0], "u"):
        an.whole_tree("git", True, tree)


_GIT_COMMANDS: dict[str, _GitHandler] = {
    "checkout": _git_checkout,
    "restore": _git_restore,
    "rm": _git_rm,
    "mv": _git_mv,
    "apply": _git_apply,
    "stash": _git_stash,
    "reset": _git_reset,
    "clean": _git_clean,
    "switch": _git_switch,
    "worktree": _git_worktree,
    "clone": _git_clone,
    "init": _git_init,
    "diff": _git_output,
    "log": _git_output,
    "show": _git_output,
    "archive": _git_output,
    "format-patch": _git_output,
    "checkout-index": _git_checkout_index,
    "read-tree": _git_read_tree,
}


RULES: dict[str, Handler] = {
    "git": _git,
}
