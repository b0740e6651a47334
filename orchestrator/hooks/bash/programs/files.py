"""Programs that write the files they are given."""

from __future__ import annotations

from orchestrator.hooks.bash.programs import getopt, has, transfer, values

TYPE_CHECKING = False
if TYPE_CHECKING:
    from orchestrator.hooks.bash.analyser import Analyser, Arg, Ctx
    from orchestrator.hooks.bash.programs import Handler


def _operands(short: str = "", long: str = "") -> Handler:
    """A program that writes each of its operands (`rm`, `touch`, `mkdir`, `tee`…)."""
    names = frozenset(long.split())

    def handler(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
        for arg in getopt(args, short, names)[1]:
            an.write(arg, ctx.name)

    return handler


_MODE_LETTERS = frozenset("rwxXst")


def _chmod(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """chmod/chown/chgrp: the first operand is a mode or owner unless `--reference` gives it."""
    modes = [
        arg
        for arg in args
        if ctx.name == "chmod" and arg[0][:1] == "-" and _MODE_LETTERS.issuperset(arg[0][1:])
    ]
    rest = [arg for arg in args if arg not in modes]
    opts, operands = getopt(rest, "", frozenset({"reference", "from"}))
    if not modes and not has(opts, "reference"):
        operands = operands[1:]
    for arg in operands:
        an.write(arg, ctx.name)


_COPY_SHORT = {"cp": "tS", "mv": "tS", "ln": "tS", "install": "tSmog"}
_COPY_LONG = frozenset({"target-directory", "suffix", "mode", "owner", "group"})


def _copy(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """cp, mv, ln, install: the destination (and for mv the sources, which disappear)."""
    opts, operands = getopt(args, _COPY_SHORT[ctx.name], _COPY_LONG)
    if ctx.name == "install" and has(opts, "d", "directory"):
        for arg in operands:
            an.write(arg, ctx.name)
        return
    transfer(an, opts, operands, ctx.name, moves=ctx.name == "mv")


def _link(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    operands = getopt(args)[1]
    if len(operands) >= 2:
        an.write(operands[1], "link")


def _dd(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    for text, dyn in args:
        if text.startswith("of="):
            an.write((text[3:], dyn), "dd")


_RSYNC_LONG = frozenset(
    "exclude include exclude-from include-from filter rsh rsync-path temp-dir partial-dir "
    "compare-dest copy-dest link-dest backup-dir suffix chmod chown files-from log-file "
    "password-file port timeout bwlimit max-size min-size out-format info debug usermap "
    "groupmap".split()
)


def _rsync(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """rsync SRC… DEST: DEST (unless remote); `--remove-source-files` writes the sources too."""
    opts, operands = getopt(args, "efTB", _RSYNC_LONG)
    for text, _ in values(opts, "e", "rsh"):
        an.recurse(text, "rsync")
    if has(opts, "n", "dry-run") or len(operands) < 2:
        return
    local = [arg for arg in operands if ":" not in arg[0].partition("/")[0]]
    if operands[-1] in local:
        an.write(operands[-1], "rsync")
    if has(opts, "remove-source-files"):
        for arg in local[:-1]:
            an.write(arg, "rsync")


RULES: dict[str, Handler] = {
    "rm": _operands(),
    "rmdir": _operands(),
    "unlink": _operands(),
    "shred": _operands("ns", "iterations size random-source"),
    "touch": _operands("dtr", "date reference time"),
    "mkdir": _operands("m", "mode context"),
    "mkfifo": _operands("m", "mode"),
    "truncate": _operands("sr", "size reference"),
    "fallocate": _operands("lo", "length offset"),
    "tee": _operands(),
    "chmod": _chmod,
    "chown": _chmod,
    "chgrp": _chmod,
    "cp": _copy,
    "mv": _copy,
    "ln": _copy,
    "install": _copy,
    "link": _link,
    "dd": _dd,
    "rsync": _rsync,
}
