"""Interpreters: inline code is opaque (shell code is analysed), a script is normal work."""

from __future__ import annotations

from orchestrator.hooks.bash.programs import getopt, values

TYPE_CHECKING = False
if TYPE_CHECKING:
    from orchestrator.hooks.bash.analyser import Analyser, Arg
    from orchestrator.hooks.bash.command import Ctx
    from orchestrator.hooks.bash.programs import Handler


def _inline(code: str, takes_next: str, glued: str) -> Handler:
    """perl, ruby: `-e CODE` is opaque; `-i[SUFFIX]` edits the file operands in place."""

    def handler(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
        inplace, index = False, 0
        program: list[str] = []
        while index < len(args):
            text = args[index][0]
            if text == "--":
                index += 1
                break
            if not text.startswith("-") or text == "-":
                break
            index += 1
            for k in range(1, len(text)):
                letter = text[k]
                if letter == "i":
                    inplace = True
                    break
                if letter in code or letter in takes_next or letter in glued:
                    value = (text[k + 1 :], args[index - 1][1])
                    if not value[0] and letter not in glued and index < len(args):
                        value, index = args[index], index + 1
                    if letter in code:
                        program.append(an.code(value, ctx.name))
                    break
        rest = args[index:]
        if program:
            an.inline_code(ctx.name, "\n".join(program))
        elif rest and rest[0][0] != "-":
            an.run_script(rest[0], ctx.name)
            rest = rest[1:]
        else:
            stdin_code(an, ctx, ctx.name)
            rest = rest[1:]
        if inplace:
            for arg in rest:
                an.write(arg, ctx.name)

    return handler


def _python(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """python: `-c CODE` and code on stdin are opaque unless they only read; a script is normal
    work; `-m MODULE` writes what the module's command line names (`-m venv DIR`)."""
    index = 0
    while index < len(args):
        text = args[index][0]
        index += 1
        if text == "-":
            break
        if text == "--" or not text.startswith("-"):
            script = args[index] if text == "--" and index < len(args) else args[index - 1]
            an.run_script(script, "python")
            return
        if text.startswith("--"):
            continue
        for k in range(1, len(text)):
            letter = text[k]
            if letter == "c":
                glued = text[k + 1 :]
                python_code(an, (glued, args[index - 1][1]) if glued else _next(args, index))
                return
            if letter == "m":
                glued = text[k + 1 :]
                module = glued or _next(args, index)[0]
                _run_module(an, module, args[index + (0 if glued else 1) :], ctx)
                return
            if letter in "XWQ":
                index += 0 if text[k + 1 :] else 1
                break
    stdin_code(an, ctx, "python")


def _run_module(an: Analyser, module: str, args: list[Arg], ctx: Ctx) -> None:
    from orchestrator.hooks.bash.programs.modules import run_module  # rare: loaded on first use

    run_module(an, module, args, ctx)


def _next(args: list[Arg], index: int) -> Arg:
    return args[index] if index < len(args) else ("", False)


def python_code(an: Analyser, code: Arg) -> None:
    """Python source: opaque, unless it provably only reads (then its mentions are kept); code
    holding an unknown value (`-c "print('$X')"`) is not proven, nor code run after this command
    wrote a `.py` file (`import json` may import it)."""
    from orchestrator.hooks.bash.programs.pycode import reads_only

    text = an.code(code, "python")
    written = any(path.endswith(".py") for path in an.paths)
    if not code[1] and not written and reads_only(text):
        an.mention(text)
    else:
        an.inline_code("python", text)


def stdin_code(an: Analyser, ctx: Ctx, prog: str, shell: bool = False) -> None:
    """A program reading its code from stdin: a here-document, or a pipe fed by `echo`/`printf`
    of literal text or `cat` of a here-document, is analysed (a shell) or opaque; `cat FILE |`
    and `< FILE` are a script like any other; any other pipe is unseen."""
    feed = ctx.feed if ctx.piped_in else None
    if ctx.stdin is not None:
        code = (ctx.stdin, ctx.stdin_dyn)
    elif feed is not None and feed[0] == "file":
        an.run_script((feed[1], False), prog)
        return
    elif feed is not None:
        code = (feed[1], feed[0] == "partial")
    else:
        if ctx.piped_in:
            an.hidden(prog)
        return
    if shell:
        an.recurse(an.code(code, prog), prog)
    elif prog == "python":
        python_code(an, code)
    else:
        an.inline_code(prog, an.code(code, prog))


_EVAL_FLAGS = {
    "node": frozenset({"-e", "--eval", "-p", "--print", "-pe"}),
    "bun": frozenset({"-e", "--eval", "-p", "--print"}),
    "deno": frozenset({"eval"}),
    "php": frozenset({"-r"}),
    "lua": frozenset({"-e"}),
    "Rscript": frozenset({"-e"}),
    "julia": frozenset({"-e", "-E", "--eval", "--print"}),
    "osascript": frozenset({"-e"}),
    "pwsh": frozenset({"-c", "-Command", "-command"}),
    "gdb": frozenset({"-ex", "--ex", "-eval-command", "--eval-command", "-iex", "--init-eval-command"}),
    "expect": frozenset({"-c"}),
    "guile": frozenset({"-c"}),
    "racket": frozenset({"-e"}),
    "sbcl": frozenset({"--eval"}),
    "elixir": frozenset({"-e"}),
    "groovy": frozenset({"-e"}),
    "ghci": frozenset({"-e"}),
    "dc": frozenset({"-e", "--expression"}),
    "tclsh": frozenset(),
    "wish": frozenset(),
    "irb": frozenset(),
}
_EVAL_FLAGS["nodejs"] = _EVAL_FLAGS["node"]
_EVAL_FLAGS["powershell"] = _EVAL_FLAGS["pwsh"]


def _evaluator(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """node -e, php -r, …: inline code is opaque; a script is normal work."""
    flags = _EVAL_FLAGS[ctx.name]
    for index, (text, dyn) in enumerate(args):
        flag, eq, value = text.partition("=")
        if text in flags or (eq and flag in flags and flag.startswith("--")):
            code = (value, dyn) if text not in flags else _next(args, index + 1)
            an.inline_code(ctx.name, an.code(code, ctx.name))
            return
    if all(text.startswith("-") for text, _ in args):
        stdin_code(an, ctx, ctx.name)


_SHELL_VALUE_OPTS = frozenset({"-o", "+o", "-O", "+O", "--rcfile", "--init-file"})


def _shell(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """sh/bash/zsh: `-c BODY [$0 $1…]` and a here-document on stdin are analysed as shell."""
    command = from_stdin = False
    index = 0
    while index < len(args):
        text = args[index][0]
        if text in _SHELL_VALUE_OPTS:
            index += 2
            continue
        if text in ("-", "--"):
            index += 1
            break
        if len(text) < 2 or text[0] not in "-+":
            break
        if text[0] == "-" and not text.startswith("--"):
            command = command or "c" in text
            from_stdin = from_stdin or "s" in text
        index += 2 if text[-1] in "oO" and not text.startswith("--") else 1
    rest = args[index:]
    if command and rest:
        params = dict(ctx.env)  # `D=x sh -c '… $D …'`, then `$0`, `$1`… from the operands
        params.update({str(k): None if dyn else text for k, (text, dyn) in enumerate(rest[1:])})
        an.recurse(an.code(rest[0], ctx.name), ctx.name, params=params)
    elif not rest or from_stdin:
        stdin_code(an, ctx, ctx.name, shell=True)
    else:
        an.run_script(rest[0], ctx.name)


def _at(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """at/batch run shell commands read from stdin (or the script `-f FILE`) later."""
    opts = getopt(args, "fqt")[0]
    for script in values(opts, "f"):
        an.run_script(script, ctx.name)
    if not values(opts, "f"):
        stdin_code(an, ctx, ctx.name, shell=True)


RULES: dict[str, Handler] = {
    "perl": _inline(code="eE", takes_next="I", glued="MmlCdDx0F"),
    "ruby": _inline(code="e", takes_next="rICE", glued="FxKTW0"),
    "python": _python,
    "sh": _shell,
    "bash": _shell,
    "zsh": _shell,
    "dash": _shell,
    "ksh": _shell,
    "ash": _shell,
    "mksh": _shell,
    "fish": _shell,
    "at": _at,
    "batch": _at,
    **dict.fromkeys(_EVAL_FLAGS, _evaluator),
}
