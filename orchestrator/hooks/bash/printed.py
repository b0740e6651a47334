"""What a simple command prints, when its text alone says so: `echo`/`printf` of literal words,
`pwd`, `git rev-parse --show-toplevel`, `cat` of a here-document or of one file. The analyser
folds such output into a `$(…)` that captures it, or analyses it as the code a pipe feeds a shell."""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    # ("text", what is printed), ("partial", text holding unknown values), or ("file", the file
    # `cat` prints)
    Feed = tuple[str, str]

PWD = "\ue003"  # stands for the working folder until a path is resolved
TOP = "\ue005"  # stands for the top of the enclosing repository until a path is resolved
HOLE = "\ue004"  # stands for the words xargs reads from its stdin
_PRINTF_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\"}


def printed(words: list[str], stdin: str | None, infile: tuple[str, bool] | None = None) -> Feed | None:
    """What the command `words` (all known) prints, or None when the text does not say; `stdin`
    is the text of its here-document, `infile` the file of its `< FILE`."""
    name, args = words[0], words[1:]
    if name == "echo":
        return _echo(args)
    if name == "printf":
        text = _printf(args)
        return None if text is None else ("text", text)
    if name == "pwd" and all(arg in ("-L", "-P") for arg in args):
        return ("text", PWD)
    if name == "git" and args == ["rev-parse", "--show-toplevel"]:
        return ("text", TOP)
    if name == "cat":
        if not args and stdin is not None:
            return ("text", stdin)
        if not args and infile is not None and not infile[1]:
            return ("file", infile[0])
        if len(args) == 1 and not args[0].startswith("-"):
            return ("file", args[0])
    return None


def _echo(args: list[str]) -> Feed | None:
    if args[:1] == ["-n"]:
        args = args[1:]
    if args[:1] and args[0].startswith("-"):
        return None  # `-e`, `-E`: escapes we do not decode
    if any("\\" in arg for arg in args):
        return None  # dash's and zsh's echo decode escapes (`\0143` is `c`)
    return ("text", " ".join(args))


def _printf(args: list[str]) -> str | None:
    """`printf FORMAT` without conversions, or `printf '%s' WORD…`; escapes `\\n \\t \\\\` only."""
    if not args or args[0].startswith("-"):
        return None
    form = _unescape(args[0])
    if form is None:
        return None
    if form.rstrip("\n") == "%s" and len(args) > 1:
        return "".join(args[1:]) + form[2:]
    return form if "%" not in form and len(args) == 1 else None


def _unescape(text: str) -> str | None:
    out: list[str] = []
    index = 0
    while index < len(text):
        c = text[index]
        if c == "\\":
            decoded = _PRINTF_ESCAPES.get(text[index + 1 : index + 2])
            if decoded is None:
                return None
            out.append(decoded)
            index += 2
            continue
        out.append(c)
        index += 1
    return "".join(out)


def here(text: str, cwd: str) -> str:
    """`text` with the working folder and the repository top put in for `cwd`."""
    if TOP in text:
        text = text.replace(TOP, repo_root(cwd))
    return text.replace(PWD, cwd)


def repo_root(folder: str) -> str:
    """The top of the git work tree holding `folder` (the folder itself when there is none)."""
    current = folder
    for _ in range(64):
        if os.path.lexists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    return folder
