"""xargs, parallel and find: a command run on file names nobody can see."""

from __future__ import annotations

from orchestrator.hooks.bash.command import Ctx
from orchestrator.hooks.bash.printed import HOLE as _HOLE
from orchestrator.hooks.bash.programs import getopt, values

TYPE_CHECKING = False
if TYPE_CHECKING:
    from orchestrator.hooks.bash.analyser import Analyser, Arg
    from orchestrator.hooks.bash.programs import Handler

_PARALLEL_INPUTS = frozenset({":::", "::::", ":::+", "::::+"})
_PARALLEL_LONG = frozenset(
    "joblog results tmpdir colsep delay timeout sshlogin tagstring header env memfree load jobs "
    "arg-file max-args workdir wd basefile return transfer-file halt retries".split()
)


def _parallel(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """GNU parallel CMD ::: ARGS: CMD with each argument in `{}` (or appended); without CMD the
    arguments are commands; without `:::` the arguments come from stdin, as for xargs."""
    split = next((i for i, (t, _) in enumerate(args) if t in _PARALLEL_INPUTS), len(args))
    opts, command = getopt(args[:split], "jSPaNdEInL", _PARALLEL_LONG, stop=True)
    for value in values(opts, "joblog", "results"):
        an.write(value, "parallel")
    inputs = [arg for arg in args[split:] if arg[0] not in _PARALLEL_INPUTS]
    if split == len(args) and not command:
        an.hidden("parallel")  # each line of stdin is a command
        return
    if split == len(args):
        hole = "{}" if any("{}" in t for t, _ in command) else None
        _with_hole(an, command or [("echo", False)], hole, "parallel")
    for text, dyn in inputs:
        if not command:
            an.recurse(text, "parallel")
        elif any("{}" in t for t, _ in command):
            an.dispatch([(t.replace("{}", text), d or dyn) for t, d in command], Ctx(False))
        else:
            an.dispatch([*command, (text, dyn)], Ctx(False))


_XARGS_LONG = frozenset(
    "arg-file eof delimiter max-lines max-args max-procs max-chars process-slot-var".split()
)


def _xargs(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """xargs CMD: CMD gets the words `echo`/`printf` fed it, or file names we cannot see (if it
    writes them, CMD and xargs are opaque, and the folder they are in is written)."""
    index = 0
    replace: str | None = None
    split = True
    while index < len(args):
        text = args[index][0]
        if text == "--":
            index += 1
            break
        if not text.startswith("-") or text == "-":
            break
        index += 1
        if text.startswith("--"):
            name, eq, value = text[2:].partition("=")
            if name == "replace":
                replace = value if eq else "{}"
            elif name in _XARGS_LONG and not eq:
                index += 1
        elif text[1] == "I":
            replace = text[2:] or (args[index][0] if index < len(args) else "{}")
            index += 0 if text[2:] else 1
        elif text[1] == "i":
            replace = text[2:] or "{}"
        elif text[1] in "aEdLnPs" and len(text) == 2:
            index += 1
        # words not read from stdin, or not split at blanks
        split = split and text[1:2] not in "0ad" and not text.startswith(("--null", "--delim", "--arg-file"))
    command = args[index:] or [("echo", False)]
    feed = ctx.feed[1] if ctx.feed is not None and ctx.feed[0] == "text" else None
    if feed is None or not split or set("'\"\\") & set(feed):  # xargs unquotes: not followed
        _with_hole(an, command, replace, "xargs")
    elif replace is None:
        an.dispatch([*command, *((word, False) for word in feed.split())], Ctx(False))
    else:
        for line in filter(None, (line.strip() for line in feed.split("\n"))):
            an.dispatch([(text.replace(replace, line), dyn) for text, dyn in command], Ctx(False))


def _with_hole(an: Analyser, command: list[Arg], replace: str | None, runner: str) -> None:
    """Run COMMAND with file names we cannot see: in place of `replace`, or appended."""
    if replace:
        argv = [(text.replace(replace, _HOLE), dyn) for text, dyn in command]
    else:
        argv = [*command, (_HOLE, False)]
    child = an.child()
    child.dispatch(argv, Ctx(False))
    _absorb(an, child, command[0][0].rpartition("/")[2], runner)


def _absorb(an: Analyser, child: Analyser, prog: str, runner: str) -> None:
    """Take a child's results: a path inside the hole means `prog` writes unknown files (and
    `runner` is opaque); when the hole is the last name under a known folder (the working one for
    `ls | xargs rm`), that folder is written."""
    for path in child.paths:
        if _HOLE not in path:
            an.paths[path] = None
            continue
        an.opaque[prog] = an.opaque[runner] = None
        folder, _, name = path.rpartition("/")
        if name == _HOLE and _HOLE not in folder:
            an.paths[folder or "/"] = None
    an.opaque.update(child.opaque)
    for path in child.mentions:
        an.mentions[path.replace(_HOLE, "*")] = None


_FIND_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})
_FIND_FILES = frozenset({"-fprint", "-fprint0", "-fls", "-fprintf"})


def _find(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """find: `-delete` and `-exec CMD {}` write under the search roots; `-fprint F` writes F."""
    index = 0
    while index < len(args) and (args[index][0] in ("-H", "-L", "-P", "-D") or args[index][0][:2] == "-O"):
        index += 2 if args[index][0] == "-D" else 1
    roots: list[Arg] = []
    while index < len(args) and not _find_expression(args[index][0]):
        roots.append(args[index])
        index += 1
    roots = roots or [(".", False)]
    while index < len(args):
        text = args[index][0]
        index += 1
        if text == "-delete":
            for root in roots:
                an.write(root, "find")
        elif text in _FIND_EXEC:
            end = index
            while end < len(args) and args[end][0] not in (";", "+"):
                end += 1
            _find_exec(an, args[index:end], roots, text.endswith("dir"))
            index = end + 1
        elif text in _FIND_FILES and index < len(args):
            an.write(args[index], "find")
            index += 2 if text == "-fprintf" else 1


def _find_expression(text: str) -> bool:
    return (text.startswith("-") and text != "-") or text in ("(", "!", ")", ",")


def _find_exec(an: Analyser, command: list[Arg], roots: list[Arg], in_dir: bool) -> None:
    """`-exec CMD {}` with each search root standing for the files found beneath it."""
    for root in roots:
        saved = an.enter([root] if in_dir else [])
        hole = (".", False) if in_dir else root
        argv = [(text.replace("{}", hole[0]), dyn or ("{}" in text and hole[1])) for text, dyn in command]
        an.dispatch(argv, Ctx(False))
        an.cwds = saved


RULES: dict[str, Handler] = {
    "xargs": _xargs,
    "parallel": _parallel,
    "find": _find,
}
