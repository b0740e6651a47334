"""Shell builtins that change the shell's state or run shell code."""

from __future__ import annotations

import os

from orchestrator.hooks.bash.analyser import COMMAND_VARS, STDIN_FILES
from orchestrator.hooks.bash.programs import getopt, values

TYPE_CHECKING = False
if TYPE_CHECKING:
    from orchestrator.hooks.bash.analyser import Analyser, Arg, Ctx
    from orchestrator.hooks.bash.programs import Handler


def _alias(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """An alias body is analysed when defined, like a function body."""
    for text, _ in args:
        name, eq, body = text.partition("=")
        if eq and body:
            an.recurse(body, "alias")


def _source(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """`source FILE` is a script; `. /dev/stdin` runs what the pipe carries."""
    if args and args[0][0] in STDIN_FILES:
        from orchestrator.hooks.bash.programs.interpreters import stdin_code

        stdin_code(an, ctx, ctx.name, shell=True)
    elif args:
        an.run_script(args[0], ctx.name)


def _eval(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """eval: the words are analysed as shell code; a word nobody can read makes it unseen."""
    joined = (" ".join(text for text, _ in args), any(dyn for _, dyn in args))
    an.recurse(an.code(joined, "eval"), "eval", subshell=False)


def _trap(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    if args and args[0][0] == "--":
        args = args[1:]
    if len(args) >= 2 and args[0][0] and not args[0][0].startswith("-"):
        an.traps.append((args[0][0], an.cwds))


def _cd(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """cd, pushd, popd: move the working folder for the commands that follow."""
    operands = [arg for arg in args if not (arg[0].startswith("-") and len(arg[0]) > 1)]
    if ctx.name == "popd" or (ctx.name == "pushd" and not operands):
        if an.dirstack:
            top = an.dirstack.pop()
            if ctx.name == "pushd":
                an.dirstack.append(an.cwds)
            an.chdir(list(top))
        return
    before = an.cwds
    if not operands:
        home = os.path.expanduser("~")
        targets = an.resolve(home, home == "~")
    elif operands[0][0] == "-":
        targets = list(an.oldpwd) if an.oldpwd else an.resolve("$OLDPWD", True)
    elif operands[0][0].startswith("+"):
        targets = an.resolve(operands[0][0], True)
    else:
        targets = an.resolve(*operands[0])
    an.chdir(targets)
    if ctx.name == "pushd":
        an.dirstack.append(before)


def _declare(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """export/declare/local/readonly NAME=VALUE."""
    for text, dyn in args:
        if text.startswith(("-", "+")):
            continue
        name, eq, value = text.partition("=")
        if eq and name.isidentifier():
            an.set_var(name, None if dyn else value)
            if name in COMMAND_VARS and value:
                an.recurse(value, name)


def _read(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """read, mapfile, printf -v: the named variables now hold something unknown."""
    operands = getopt(args, "adinNptuvCcs")[1]
    if ctx.name == "printf":
        operands = values(getopt(args, "v")[0], "v")
    for text, _ in operands:
        an.vars[text] = None


def _unset(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    for text, _ in args:
        an.vars.pop(text, None)


RULES: dict[str, Handler] = {
    "eval": _eval,
    "source": _source,
    ".": _source,
    "alias": _alias,
    "trap": _trap,
    "cd": _cd,
    "pushd": _cd,
    "popd": _cd,
    "export": _declare,
    "declare": _declare,
    "typeset": _declare,
    "local": _declare,
    "readonly": _declare,
    "read": _read,
    "mapfile": _read,
    "readarray": _read,
    "printf": _read,
    "unset": _unset,
}
