"""Programs that write the files they are given."""

from __future__ import annotations

from orchestrator.hooks.bash.programs import getopt, has, transfer, values

TYPE_CHECKING = False
if TYPE_CHECKING:
    from orchestrator.hooks.bash.analyser import Analyser, Arg
    from orchestrator.hooks.bash.command import Ctx
    from orchestrator.hooks.bash.programs import Handler, Opts


def _operands(short: str = "", long: str = "") -> Handler:
    """A program that writes each of its operands (`rm`, `touch`, `mkdir`, `tee`…)."""
    names = frozenset(long.split())

    def handler(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
        for arg in getopt(args, short, names)[1]:
            an.write(arg, ctx.name)

    return handler


def _mkdir(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """mkdir: a folder that exists already is left as it is (`-p`) or refused by mkdir itself,
    so only new folders are written (an existing one would stand for everything below it)."""
    for arg in getopt(args, "m", frozenset({"mode", "context"}))[1]:
        if not an.is_dir(arg):
            an.write(arg, ctx.name)


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
    symbolic = has(opts, "s", "symbolic", "symbolic-link")
    if ctx.name == "ln" or (ctx.name == "cp" and (symbolic or has(opts, "l", "link"))):
        _links(an, opts, operands, from_cwd=not symbolic or has(opts, "r", "relative"))


def _links(an: Analyser, opts: Opts, operands: list[Arg], from_cwd: bool) -> None:
    """`ln [-s] TARGET… LINK|DIR`, `cp -s`/`cp -l`: remember each link, so later paths through it
    lead to TARGET (a hard link is the same file: writing it writes TARGET)."""
    folders = values(opts, "t", "target-directory")
    if folders:
        targets, dest, into = operands, folders[-1], True
    elif len(operands) >= 2:
        targets, dest = operands[:-1], operands[-1]
        no_follow = has(opts, "n", "no-dereference", "T", "no-target-directory")
        into = len(targets) > 1 or dest[0].endswith("/") or (not no_follow and an.is_dir(dest))
    elif operands:
        targets, dest, into = operands, (".", False), True
    else:
        return
    for target in targets:
        name = target[0].rstrip("/").rpartition("/")[2]
        an.link(target, (dest[0].rstrip("/") + "/" + name, dest[1]) if into else dest, from_cwd)


def _link(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    operands = getopt(args)[1]
    if len(operands) >= 2:
        an.write(operands[1], "link")
        an.link(operands[0], operands[1], from_cwd=True)


def _dd(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    for text, dyn in args:
        if text.startswith("of="):
            an.write((text[3:], dyn), "dd")


_RSYNC_LONG = frozenset(
    "exclude include exclude-from include-from filter rsh rsync-path temp-dir partial-dir "
    "compare-dest copy-dest link-dest backup-dir suffix chmod chown files-from log-file "
    "password-file port timeout bwlimit max-size min-size out-format info debug usermap "
    "groupmap only-write-batch write-batch read-batch".split()
)


def _rsync(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """rsync SRC… DEST: DEST (unless remote); `--remove-source-files` writes the sources too."""
    opts, operands = getopt(args, "efTB", _RSYNC_LONG)
    for text, _ in values(opts, "e", "rsh"):
        an.recurse(text, "rsync")
    for arg in values(opts, "log-file", "only-write-batch", "write-batch"):
        an.write(arg, "rsync")
    if has(opts, "n", "dry-run") or len(operands) < 2:
        return
    for arg in values(opts, "backup-dir", "partial-dir", "temp-dir"):
        an.write(arg, "rsync")
    local = [arg for arg in operands if ":" not in arg[0].partition("/")[0]]
    if operands[-1] in local:
        an.write(operands[-1], "rsync")
    if has(opts, "remove-source-files"):
        for arg in local[:-1]:
            an.write(arg, "rsync")


_SQLITE_VALUES = frozenset(
    "-cmd -init -separator -newline -nullvalue -vfs -mmap -pagecache -lookaside -heap -maxsize "
    "-zip -A -archive".split()
)
# Dot-commands and SQL that write files other than the database, run commands or read more.
_SQLITE_WRITERS = (
    ".output", ".once", ".save", ".backup", ".shell", ".system", ".excel", ".log", ".import",
    ".clone", ".open", ".read", "attach", "vacuum", "load_extension", "writefile",
)  # fmt: skip


def _sqlite3(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """sqlite3 [OPTIONS] DB [SQL…]: DB is written unless `-readonly`; SQL or dot-commands that
    write other files (`.output F`, `ATTACH`, `VACUUM INTO`, `.shell`) make it opaque, and so
    do commands nobody can read (`-init FILE`, `< FILE`, a pipe, an unknown value)."""
    readonly, code, rest, unknown = _sqlite_words(args)
    if rest and rest[0][0] != ":memory:" and not readonly:
        an.write(rest[0], "sqlite3")
    code.extend(text for text, _ in rest[1:])
    if ctx.stdin is not None:
        code.append(ctx.stdin)
    elif ctx.feed is not None and ctx.feed[0] == "text":
        code.append(ctx.feed[1])
    else:
        unknown = unknown or ctx.infile is not None or ctx.piped_in
    joined = "\n".join(code)
    if any(word in joined.lower() for word in _SQLITE_WRITERS):
        an.inline_code("sqlite3", joined)
    elif unknown or any(dyn for _, dyn in rest[1:]):
        an.opaque["sqlite3"] = None


def _sqlite_words(args: list[Arg]) -> tuple[bool, list[str], list[Arg], bool]:
    """Whether `-readonly`, the `-cmd` commands, the DB and SQL operands, and whether `-init`
    names a file of commands."""
    readonly = unknown = False
    code: list[str] = []
    index = 0
    while index < len(args) and args[index][0].startswith("-"):
        text = "-" + args[index][0].lstrip("-")
        index += 1
        readonly = readonly or text == "-readonly"
        if text in _SQLITE_VALUES and index < len(args):
            if text == "-cmd":
                code.append(args[index][0])
            unknown = unknown or text == "-init"
            index += 1
    return readonly, code, args[index:], unknown


_CMAKE_OPERANDS = frozenset("rm remove remove_directory make_directory touch touch_nocreate".split())
_CMAKE_DESTINATIONS = frozenset(
    "copy copy_if_different copy_directory copy_directory_if_different create_symlink "
    "create_hardlink".split()
)


def _cmake(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """`cmake -E rm|remove|touch|make_directory PATH…`, `-E copy… SRC… DEST`, `-E rename A B`,
    `-E tar`, `-E chdir DIR COMMAND…`, `-E env … COMMAND`."""
    if len(args) < 2 or args[0][0] != "-E":
        return
    command, rest = args[1][0], args[2:]
    operands = [arg for arg in rest if not arg[0].startswith("-")]
    if command in _CMAKE_OPERANDS or command == "rename":
        for arg in operands if command != "rename" else operands[:2]:
            an.write(arg, "cmake")
    elif command in _CMAKE_DESTINATIONS and operands:
        an.write(operands[-1], "cmake")
    elif command in ("tar", "chdir", "env", "time"):
        argv = {"tar": [("tar", False), *rest], "chdir": [("env", False), ("-C", False), *rest]}
        an.dispatch(argv.get(command, [("env", False), *rest]), ctx)


def _mount(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """`mount --bind SRC DEST` (`-B`, `--rbind`, `-o bind`), `bindfs SRC DEST`: paths through DEST
    lead to SRC, as through a link."""
    opts, operands = getopt(args, "otTLUNO", frozenset({"options", "types", "target", "source"}))
    options = ",".join(text for text, _ in values(opts, "o", "options")).split(",")
    bind = ctx.name == "bindfs" or has(opts, "B", "bind", "R", "rbind") or "bind" in options
    if bind and len(operands) >= 2:
        an.link(operands[0], operands[1], from_cwd=True)


def _mknod(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    for arg in getopt(args, "mZ", frozenset({"mode", "context"}))[1][:1]:
        an.write(arg, "mknod")


_SPLIT_LONG = frozenset(
    "suffix-length bytes line-bytes lines number separator additional-suffix filter".split()
)


def _split(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """split [FILE [PREFIX]], csplit -f PREFIX FILE PATTERN…: files named PREFIX…
    (`x…`, `xx…` by default)."""
    if ctx.name == "split":
        opts, operands = getopt(args, "abClnt", _SPLIT_LONG)
        prefix = operands[1] if len(operands) > 1 else ("x", False)
    else:
        opts, operands = getopt(args, "bfn", frozenset({"suffix-format", "prefix", "digits"}))
        prefix = (values(opts, "f", "prefix") or [("xx", False)])[-1]
    an.write((prefix[0] + "*", prefix[1]), ctx.name)


RULES: dict[str, Handler] = {
    "rm": _operands(),
    "mknod": _mknod,
    "mount": _mount,
    "bindfs": _mount,
    "split": _split,
    "csplit": _split,
    "rimraf": _operands(),
    "cmake": _cmake,
    "rmdir": _operands(),
    "unlink": _operands(),
    "shred": _operands("ns", "iterations size random-source"),
    "touch": _operands("dtr", "date reference time"),
    "mkdir": _mkdir,
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
    "sqlite3": _sqlite3,
}
