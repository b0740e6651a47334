"""Shell builtins that change the shell's state or run shell code."""

from __future__ import annotations

import os

from orchestrator.hooks.bash.command import STDIN_FILES
from orchestrator.hooks.bash.printed import printed
from orchestrator.hooks.bash.programs import getopt, values

TYPE_CHECKING = False
if TYPE_CHECKING:
    from orchestrator.hooks.bash.analyser import Analyser, Arg
    from orchestrator.hooks.bash.command import Ctx
    from orchestrator.hooks.bash.programs import Handler
    from orchestrator.hooks.bash.script import Dir


_SHELL_CHARS = frozenset(";&|<>()$`'\"\\*?[]{}~#\n")


def _alias(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """An alias body is analysed when defined, like a function body, and stands for its words
    where the name is used later."""
    for text, dyn in args:
        name, eq, body = text.partition("=")
        if eq and body:
            an.recurse(body, "alias")
            plain = not dyn and _SHELL_CHARS.isdisjoint(body) and body.split()
            an.renamed[name] = [(word, False) for word in body.split()] if plain else None


def _hash(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """`hash -p PATH NAME`: NAME now runs PATH."""
    opts, operands = getopt(args, "pt")
    for path in values(opts, "p"):
        for name in operands:
            an.renamed[name[0]] = [path]


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
        targets = _cdpath(an, operands[0], ctx) + an.resolve(*operands[0])
    an.chdir(list(dict(targets).items()))
    if ctx.name == "pushd":
        an.dirstack.append(before)


def _cdpath(an: Analyser, target: Arg, ctx: Ctx) -> list[Dir]:
    """`cd NAME` looks in each folder of `$CDPATH` before the working one."""
    text, dyn = target
    if text.startswith(("/", "./", "../")) or text in (".", ".."):
        return []
    if "CDPATH" in ctx.env or "CDPATH" in an.vars:
        value = ctx.env["CDPATH"] if "CDPATH" in ctx.env else an.vars["CDPATH"]
    else:
        value = os.environ.get("CDPATH", "")
    if value is None:
        return an.resolve(text, True)
    found: list[Dir] = []
    for entry in filter(None, value.split(":")):
        found.extend(an.resolve(entry.rstrip("/") + "/" + text, dyn))
    return found


def _declare(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """export/declare/local/readonly NAME=VALUE."""
    for text, dyn in args:
        if text.startswith(("-", "+")):
            continue
        name, eq, value = text.partition("=")
        if eq and name.isidentifier():
            an.set_var(name, None if dyn else value)
            an.environ(name, (value, dyn))


def _read(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """read, mapfile: the named variables now hold something unknown, except `read NAME <<<
    WORD` (or fed by `echo WORD |`), which holds WORD's first line."""
    opts, operands = getopt(args, "adinNptuvCcs")
    source = _stdin_text(ctx)
    an.mention(ctx.stdin or source or "")
    line = source.partition("\n")[0].strip() if source is not None else None
    single = ctx.name == "read" and len(operands) == 1 and all(name == "r" for name, _ in opts)
    for text, _ in operands:
        an.set_var(text, line if single else None)


def _printf(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """printf -v NAME FORMAT ARGS…: NAME holds what printf would print, when that is known."""
    opts, rest = getopt(args, "v", stop=True)
    if not values(opts, "v"):
        return
    known = not any(dyn for _, dyn in rest) and rest
    found = printed(["printf", *(text for text, _ in rest)], None) if known else None
    for text, _ in values(opts, "v"):
        an.set_var(text, found[1] if found is not None else None)


def _stdin_text(ctx: Ctx) -> str | None:
    if ctx.stdin is not None:
        return None if ctx.stdin_dyn else ctx.stdin
    if ctx.piped_in and ctx.feed is not None and ctx.feed[0] == "text":
        return ctx.feed[1]
    return None


def _unset(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    for text, _ in args:
        an.vars.pop(text, None)


RULES: dict[str, Handler] = {
    "eval": _eval,
    "source": _source,
    ".": _source,
    "alias": _alias,
    "hash": _hash,
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
    "printf": _printf,
    "unset": _unset,
}
