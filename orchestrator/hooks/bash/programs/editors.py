"""Editors and formatters, which rewrite the files they open."""

from __future__ import annotations

from orchestrator.hooks.bash.programs import NONE, getopt

TYPE_CHECKING = False
if TYPE_CHECKING:
    from orchestrator.hooks.bash.analyser import Analyser, Arg
    from orchestrator.hooks.bash.command import Ctx
    from orchestrator.hooks.bash.programs import Handler


def _editor(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """ed, nano…: the files they open may be saved; commands read from stdin (ed, ex) may write
    any file or run a shell, so they are opaque (a pipe's producer is analysed on its own)."""
    for arg in getopt(args, "p" if ctx.name == "ed" else "oYTJrQsXCf")[1]:
        if not arg[0].startswith("+"):
            an.write(arg, ctx.name)
    if ctx.stdin is not None:
        an.inline_code(ctx.name, ctx.stdin)
    elif ctx.piped_in or ctx.infile is not None:
        an.opaque[ctx.name] = None


_VIM_VALUES = frozenset({"-c", "--cmd", "-S", "-u", "-U", "-i", "-T", "-w", "-W", "-s", "-t", "-q", "-r"})


def _vim(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """vi, vim, ex, nvim: the file operands may be saved; `-c CMD`, `+CMD`, `--cmd CMD` and Ex
    commands on stdin may write other files or run a shell (opaque, with their mentions);
    `-R` (read-only) and `view` save nothing."""
    texts = [text for text, _ in args]
    ex_mode = ctx.name == "ex" or any(t[:1] == "-" and t[1:2] != "-" and "e" in t for t in texts)
    commands, files = _vim_words(an, args, ex_mode, ctx.name)
    if ctx.stdin is not None:
        commands.append(ctx.stdin)
    if commands:
        an.inline_code(ctx.name, "\n".join(commands))
    elif ctx.piped_in or (ctx.infile is not None and ex_mode):
        an.opaque[ctx.name] = None
    if "-R" not in texts and ctx.name != "view":
        for arg in files:
            an.write(arg, ctx.name)


def _vim_words(an: Analyser, args: list[Arg], ex_mode: bool, prog: str) -> tuple[list[str], list[Arg]]:
    """The Ex commands and the files of a vim command line; `-w`/`-W FILE` record keystrokes."""
    commands: list[str] = []
    files: list[Arg] = []
    index = 0
    while index < len(args):
        text = args[index][0]
        index += 1
        if text[:1] == "-" and text[1:2] not in ("-", "") and text[-1] in "cSuUiTwW":
            text = "-" + text[-1]  # a cluster ending in an option that takes a value: `-sc CMD`
        if text in _VIM_VALUES and not (text == "-s" and ex_mode) and index < len(args):
            if text in ("-c", "--cmd"):
                commands.append(an.code(args[index], prog))
            elif text in ("-w", "-W"):
                an.write(args[index], prog)
            index += 1
        elif text.startswith("+"):
            commands.append(text[1:])
        elif not text.startswith("-"):
            files.append(args[index - 1])
    return commands, files


_EMACS_VALUES = frozenset(
    "-l --load -f --funcall --eval -eval --script -L --directory --insert -t --terminal -d "
    "--display".split()
)
_EMACS_CODE = frozenset({"--eval", "-eval", "-f", "--funcall"})


def _emacs(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """emacs: visited files may be saved; `--eval`, `-f` may do anything (opaque, with their
    mentions); `-l`/`--script FILE` run a Lisp script."""
    code: list[str] = []
    for option, value in _emacs_options(args):
        if not option:
            an.write(value, "emacs")
        elif option in _EMACS_CODE:
            code.append(an.code(value, "emacs"))
        elif option in ("-l", "--load", "--script"):
            an.run_script(value, "emacs")
    if code:
        an.inline_code("emacs", "\n".join(code))


def _emacs_options(args: list[Arg]) -> list[tuple[str, Arg]]:
    """Each option that takes a value, with it (`--eval X`, `--eval=X`); each file, with ''."""
    found: list[tuple[str, Arg]] = []
    index = 0
    while index < len(args):
        text, dyn = args[index]
        index += 1
        name, eq, value = text.partition("=")
        if eq and name in _EMACS_VALUES:
            found.append((name, (value, dyn)))
        elif text in _EMACS_VALUES and index < len(args):
            found.append((text, args[index]))
            index += 1
        elif not text.startswith(("-", "+")):
            found.append(("", (text, dyn)))
    return found


# name: (flags of which one is needed to write, or None; flags that stop it writing)
_FORMATTERS: dict[str, tuple[frozenset[str] | None, frozenset[str]]] = {
    "black": (None, frozenset({"--check", "--diff", "-c", "--code"})),
    "isort": (None, frozenset({"--check", "--check-only", "-c", "--diff"})),
    "autopep8": (frozenset({"-i", "--in-place"}), NONE),
    "yapf": (frozenset({"-i", "--in-place"}), NONE),
    "clang-format": (frozenset({"-i"}), NONE),
    "gofmt": (frozenset({"-w"}), NONE),
    "shfmt": (frozenset({"-w", "--write"}), NONE),
    "prettier": (frozenset({"-w", "--write"}), NONE),
    "rustfmt": (None, frozenset({"--check"})),
    "dos2unix": (None, NONE),
    "unix2dos": (None, NONE),
    "sponge": (None, NONE),
    "eslint": (frozenset({"--fix"}), frozenset({"--fix-dry-run"})),
    "stylelint": (frozenset({"--fix"}), NONE),
}


def _formatter(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """Formatters that rewrite their operands in place; a numeric operand is an option's value."""
    needs, stops = _FORMATTERS[ctx.name]
    texts = {text for text, _ in args}
    if texts & stops or (needs is not None and not texts & needs):
        return
    for arg in args:
        if not arg[0].startswith("-") and not arg[0].isdigit():
            an.write(arg, ctx.name)


def _ruff(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """`ruff format` (unless --check/--diff) and `ruff check --fix` rewrite files."""
    texts = {text for text, _ in args}
    if texts & {"--check", "--diff"}:
        return
    if (args and args[0][0] == "format") or "--fix" in texts:
        operands = [arg for arg in args[1:] if not arg[0].startswith("-")] or [(".", False)]
        for arg in operands:
            an.write(arg, "ruff")


RULES: dict[str, Handler] = {
    "ed": _editor,
    "ex": _vim,
    "vi": _vim,
    "vim": _vim,
    "nvim": _vim,
    "view": _vim,
    "nano": _editor,
    "emacs": _emacs,
    "ruff": _ruff,
    **dict.fromkeys(_FORMATTERS, _formatter),
}
