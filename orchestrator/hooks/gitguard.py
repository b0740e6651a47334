"""What a git command that can rewind or discard the work tree would change, asked of git itself.

The Bash analyser records such subcommands (`reset --hard`, `checkout REV -- PATHS`, `stash`,
`clean`, `read-tree -u`, `apply`, `am`, `revert`, a forced switch) as a `GitOp`. Which files they
change depends on the repository's state, so this module runs read-only git plumbing (`diff
--name-only`, `clean -n`, `stash show`, `diff-tree`) with a deadline and returns those files; the
hook then checks them like any other write, so orch's state, the runtime folder and other tasks'
files are refused the same way. Commands that bring recorded history forward (pull, merge, rebase,
cherry-pick) never get here. Only PreToolUse on such a command starts git: every other call
never does.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from orchestrator.hooks.bash.programs.git import GitOp

    Result = tuple[list[str], str | None]  # absolute paths it would change, or a refusal

GIT_TIMEOUT = 5.0
_REWRITERS = "rewrites history, orch's receipts included"
_BISECT_OK = frozenset({"reset", "log", "visualize", "view", "terms", "help"})
_SPARSE_OK = frozenset({"list", "disable", "check-rules"})
_STASH_READ = frozenset({"list", "show", "drop", "clear", "create", "store"})


class GitFailed(Exception):
    """git could not answer (timed out, or could not start)."""


def resolve(op: GitOp) -> Result:
    """The files `op` would change (absolute), or why it is refused outright."""
    if op.dynamic:
        return [], (f"orch cannot tell what `git {op.name} …` would change: an argument or its folder "
                    "is a variable or a substitution. Write it out.")
    handler = _HANDLERS[op.name]
    try:
        return handler(op)
    except GitFailed as exc:
        return [], f"orch could not ask git what `git {op.name}` would change ({exc}); try again"


# -- the subcommands ---------------------------------------------------------------------------


def _reset(op: GitOp) -> Result:
    if not {"--hard", "--merge", "--keep"} & set(op.args):
        return [], None  # --soft and --mixed leave the work tree alone
    revs = [a for a in op.args if not a.startswith("-")]
    return _diff(op, revs[:1] or ["HEAD"], []), None


def _checkout(op: GitOp) -> Result:
    before, after = _split(op.args)
    options, operands = _options(before, "bB", ("--orphan", "--conflict"))
    forced = bool({"-f", "--force"} & set(options))
    if after is not None:
        return _diff(op, operands[:1], after), None
    if operands and os.path.lexists(os.path.join(op.cwd, operands[0])):
        return _diff(op, [], operands), None  # `checkout FILE…`: from the index
    if len(operands) > 1 and not {"-b", "-B", "--orphan"} & set(options):
        return _diff(op, operands[:1], operands[1:]), None
    return (_diff(op, ["HEAD"], []) if forced else []), None  # a branch switch: git keeps local changes


def _restore(op: GitOp) -> Result:
    options, operands = _options(op.args, "s", ("--source",))
    staged = bool({"-S", "--staged"} & set(options))
    worktree = bool({"-W", "--worktree"} & set(options))
    if staged and not worktree:
        return [], None
    source = _value(op.args, "-s", "--source") or ("HEAD" if staged else None)
    pathspecs = [] if "--pathspec-from-file" in " ".join(options) else operands
    return _diff(op, [source] if source else [], pathspecs), None


def _switch(op: GitOp) -> Result:
    forced = bool({"-f", "--force", "--discard-changes"} & set(op.args))
    return (_diff(op, ["HEAD"], []) if forced else []), None


def _stash(op: GitOp) -> Result:
    sub = op.args[0] if op.args and not op.args[0].startswith("-") else "push"
    rest = list(op.args[1:] if op.args and op.args[0] == sub else op.args)
    if sub in _STASH_READ:
        return [], None
    if sub in ("pop", "apply", "branch"):
        stash = [a for a in rest if not a.startswith("-")][-1:] or ["stash@{0}"]
        names = _lines(op, ["stash", "show", "--name-only", "-z", "--include-untracked", *stash], top=True)
        return names, None
    before, after = _split(rest)
    _options_, operands = _options(before, "m", ("--message", "--pathspec-from-file"))
    pathspecs = after if after is not None else ([] if sub == "save" else operands)
    files = _diff(op, ["HEAD"], pathspecs)
    untracked = {"-u", "--include-untracked", "-a", "--all"} & set(rest)
    if untracked:
        standard = [] if {"-a", "--all"} & set(rest) else ["--exclude-standard"]
        listing = ["ls-files", "--others", "--full-name", "-z", *standard, "--", *pathspecs]
        files += _lines(op, listing, top=True)
    return files, None


def _clean(op: GitOp) -> Result:
    if any(a in ("-n", "--dry-run") for a in op.args):
        return [], None
    kept = [a.replace("f", "") if a.startswith("-") and not a.startswith("--") else a
            for a in op.args if a not in ("--force", "-i", "--interactive", "-q", "--quiet")]
    out = _run(op, ["clean", "-n", *[a for a in kept if a != "-"]])
    prefix = "Would remove "
    return [os.path.join(op.cwd, line[len(prefix):].rstrip("/"))
            for line in out.splitlines() if line.startswith(prefix)], None


def _read_tree(op: GitOp) -> Result:
    if "-u" not in op.args:
        return [], None
    trees = [a for a in op.args if not a.startswith("-")]
    return [f for tree in trees for f in _diff(op, [tree], [])], None


def _checkout_index(op: GitOp) -> Result:
    options, operands = _options(op.args, "", ("--prefix", "--stage"))
    if {"-a", "--all"} & set(options):
        return _diff(op, [], []), None
    return [os.path.join(op.cwd, path) for path in operands], None


def _patch(op: GitOp) -> Result:
    """apply/am: the files the patches name (read from their files or a here-document)."""
    names = set(op.args)
    reports = {"--check", "--stat", "--numstat", "--summary"}
    if op.name == "apply" and names & reports and "--apply" not in names:
        return [], None
    if op.name == "apply" and "--cached" in names and "--index" not in names:
        return [], None
    if op.name == "am" and names & {"--continue", "--skip", "--abort", "--quit", "--show-current-patch"}:
        return [], None
    _opts, files = _options(op.args, "pC", ("--directory", "--exclude", "--include", "--whitespace"))
    texts = [_read(os.path.join(op.cwd, f)) for f in files]
    if not files:
        if op.stdin is None:
            return [], (f"orch cannot read the patch `git {op.name}` gets from its input; save it to a "
                        f"file and run `git {op.name} FILE`, so the files it changes can be checked")
        texts = [op.stdin]
    top = _top(op)
    return [os.path.join(base, name) for text in texts for name in _patched(text)
            for base in (top, op.cwd)], None


def _revert(op: GitOp) -> Result:
    if {"--continue", "--skip", "--abort", "--quit"} & set(op.args):
        return [], None
    _opts, revs = _options(op.args, "m", ("--mainline", "--strategy", "--strategy-option"))
    commits = [c for rev in revs for c in (_lines(op, ["rev-list", rev]) if ".." in rev else [rev])]
    files: list[str] = []
    for commit in commits:
        listing = ["diff-tree", "-r", "-m", "--root", "--no-commit-id", "--name-only", "-z", commit]
        files += _lines(op, listing, top=True)
    return files, None


def _bisect(op: GitOp) -> Result:
    if op.args and op.args[0] in _BISECT_OK:
        return [], None
    return [], ("`git bisect` checks out older revisions, which rewinds orch's state in .orch/; bisect "
                "in a separate work tree instead (`git worktree add ../bisect HEAD`, then bisect there)")


def _rewriter(op: GitOp) -> Result:
    return [], f"`git {op.name}` {_REWRITERS}; a human runs it, outside Claude Code"


def _sparse(op: GitOp) -> Result:
    if op.args and op.args[0] in _SPARSE_OK:
        return [], None
    return [], "`git sparse-checkout` can take .orch/ out of the work tree; a human runs it"


_HANDLERS: dict[str, Callable[[GitOp], Result]] = {
    "reset": _reset, "checkout": _checkout, "restore": _restore, "switch": _switch, "stash": _stash,
    "clean": _clean, "read-tree": _read_tree, "checkout-index": _checkout_index, "apply": _patch,
    "am": _patch, "revert": _revert, "bisect": _bisect, "filter-branch": _rewriter,
    "filter-repo": _rewriter, "sparse-checkout": _sparse,
}  # fmt: skip


# -- helpers -----------------------------------------------------------------------------------


def _diff(op: GitOp, revs: list[str], pathspecs: list[str]) -> list[str]:
    """Files whose work-tree copy differs from `revs[0]` (or the index), limited to `pathspecs`."""
    return _lines(op, ["diff", "--name-only", "-z", "--no-renames", *revs, "--", *pathspecs], top=True)


def _lines(op: GitOp, args: list[str], top: bool = False) -> list[str]:
    out = _run(op, args)
    names = [name for name in out.replace("\n", "\0").split("\0") if name]
    if not top:
        return names
    base = _top(op)
    return [os.path.join(base, name) for name in names]


def _run(op: GitOp, args: list[str]) -> str:
    import subprocess

    command = ["git", "--no-pager", "-c", "core.quotepath=off"]
    if op.tree:
        command += ["--work-tree", op.tree]
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        done = subprocess.run([*command, *args], cwd=op.cwd, capture_output=True, timeout=GIT_TIMEOUT,
                              env=env, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise GitFailed(f"no answer in {GIT_TIMEOUT:.0f}s") from None
    except OSError as exc:
        raise GitFailed(str(exc)) from None
    # A git that fails here fails the same way when the command runs: nothing changes then.
    return done.stdout.decode("utf-8", "surrogateescape") if done.returncode == 0 else ""


def _top(op: GitOp) -> str:
    """The top of the work tree the command runs in."""
    if op.tree:
        return os.path.join(op.cwd, op.tree)
    folder = op.cwd
    while not os.path.lexists(os.path.join(folder, ".git")):
        parent = os.path.dirname(folder)
        if parent == folder:
            return op.cwd
        folder = parent
    return folder


def _split(args: tuple[str, ...] | list[str]) -> tuple[list[str], list[str] | None]:
    items = list(args)
    if "--" in items:
        at = items.index("--")
        return items[:at], items[at + 1 :]
    return items, None


def _options(args: list[str] | tuple[str, ...], short_values: str,
             long_values: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(options, operands): short options in `short_values` and the long ones named take a value."""
    options: list[str] = []
    operands: list[str] = []
    items = list(args)
    index = 0
    while index < len(items):
        word = items[index]
        index += 1
        if word.startswith("--"):
            options.append(word)
            if word in long_values:
                index += 1
        elif word.startswith("-") and len(word) > 1:
            options.append(word)
            if word[-1] in short_values and len(word) == 2:
                index += 1
        else:
            operands.append(word)
    return options, operands


def _value(args: tuple[str, ...], short: str, long: str) -> str | None:
    for index, word in enumerate(args):
        if word in (short, long) and index + 1 < len(args):
            return args[index + 1]
        if word.startswith(long + "="):
            return word[len(long) + 1 :]
        if word.startswith(short) and len(word) > len(short) and not word.startswith("--"):
            return word[len(short) :]
    return None


def _read(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read(4 * 1024 * 1024).decode("utf-8", "replace")
    except OSError:
        return ""


def _patched(text: str) -> list[str]:
    """The files a unified or git patch names (`a/`/`b/` prefixes taken off)."""
    found: dict[str, None] = {}
    for line in text.splitlines():
        if line.startswith("diff --git "):
            for word in line[len("diff --git ") :].split():
                found[_strip_prefix(word)] = None
        elif line.startswith(("--- ", "+++ ")):
            word = line[4:].split("\t")[0].strip()
            if word != "/dev/null":
                found[_strip_prefix(word)] = None
    return [name for name in found if name]


def _strip_prefix(word: str) -> str:
    return word[2:] if word[:2] in ("a/", "b/") else word
