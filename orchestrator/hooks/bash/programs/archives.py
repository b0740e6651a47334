"""Archivers and compressors: tar, zip, gzip and the like."""

from __future__ import annotations

from orchestrator.hooks.bash.programs import getopt, has, values

TYPE_CHECKING = False
if TYPE_CHECKING:
    from orchestrator.hooks.bash.analyser import Analyser, Arg
    from orchestrator.hooks.bash.command import Ctx
    from orchestrator.hooks.bash.programs import Handler

_TAR_VALUE_LETTERS = "fCTXbLNgKVHIF"
_TAR_LONG = frozenset(
    "file directory files-from exclude-from exclude to-command use-compress-program info-script "
    "new-volume-script rsh-command checkpoint-action listed-incremental index-file transform "
    "xform owner group mode format label newer after-date strip-components suffix "
    "blocking-factor record-size tape-length volno-file starting-file warning".split()
)
_TAR_COMMANDS = frozenset(
    {"to-command", "use-compress-program", "I", "info-script", "new-volume-script", "F", "rsh-command"}
)
_TAR_CREATE = frozenset(
    {"c", "create", "r", "append", "u", "update", "A", "catenate", "concatenate", "delete"}
)


def _tar(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """tar: extraction writes into `-C DIR` (or, opaque, the working folder); creation writes the
    archive; options that run commands are analysed."""
    if args and not args[0][0].startswith("-"):
        args = _tar_bundle(args)
    opts, _ = getopt(args, _TAR_VALUE_LETTERS, _TAR_LONG)
    for name, value in opts:
        if value is None:
            continue
        if name in _TAR_COMMANDS:
            an.recurse(value[0], "tar")
        elif name == "checkpoint-action" and value[0].startswith("exec="):
            an.recurse(value[0][5:], "tar")
        elif name in ("g", "listed-incremental", "index-file"):
            an.write(value, "tar")
    names = {name for name, _ in opts}
    if names & _TAR_CREATE:
        for value in values(opts, "f", "file"):
            if value[0] != "-":
                an.write(value, "tar")
    elif names & {"x", "extract", "get"} and not names & {"O", "to-stdout", "to-command"}:
        folders = values(opts, "C", "directory")
        for folder in folders:
            an.write(folder, "tar")
        if not folders:
            an.whole_tree("tar", repo=False)


def _tar_bundle(args: list[Arg]) -> list[Arg]:
    """Old-style `tar xzf FILE` into `-x -z -f FILE`."""
    bundle, rest = args[0][0], list(args[1:])
    out: list[Arg] = []
    for letter in bundle:
        out.append(("-" + letter, False))
        if letter in _TAR_VALUE_LETTERS and rest:
            out.append(rest.pop(0))
    return out + rest


def _unzip(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    opts, _ = getopt(args, "dP")
    if has(opts, "l", "t", "v", "Z", "p", "c", "z"):
        return
    folders = values(opts, "d")
    for folder in folders:
        an.write(folder, "unzip")
    if not folders:
        an.whole_tree("unzip", repo=False)


def _zip(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    opts, operands = getopt(args, "bntPOZs", frozenset({"out", "temp-path", "password"}))
    outputs = values(opts, "O", "out") or operands[:1]
    for arg in outputs:
        an.write(arg, "zip")
    if has(opts, "m", "move"):
        for arg in operands[1:]:
            an.write(arg, "zip")


def _7z(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """7z x|e ARCHIVE [-oDIR]: extraction writes DIR (or the working folder); a|u|d write the
    archive."""
    command = args[0][0] if args else ""
    rest = args[1:]
    operands = [arg for arg in rest if not arg[0].startswith("-")]
    if command in ("x", "e"):
        folders = [(text[2:], dyn) for text, dyn in rest if text.startswith("-o")]
        for folder in folders:
            an.write(folder, ctx.name)
        if not folders:
            an.whole_tree(ctx.name, repo=False)
    elif command in ("a", "u", "d", "rn") and operands:
        an.write(operands[0], ctx.name)


def _cpio(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """cpio -i extracts into the working folder (or `-D DIR`); -o writes `-O`/`-F FILE`; -p DIR
    copies into DIR."""
    opts, operands = getopt(args, "DEFHIMOR", frozenset({"directory", "file", "format", "owner"}))
    saved = an.enter(values(opts, "D", "directory"))
    if has(opts, "t", "list"):
        pass
    elif has(opts, "i", "extract"):
        an.whole_tree("cpio", repo=False)
    elif has(opts, "o", "create"):
        for arg in values(opts, "O", "F", "file"):
            an.write(arg, "cpio")
    elif has(opts, "p", "pass-through"):
        for arg in operands[:1]:
            an.write(arg, "cpio")
    an.cwds = saved


def _unrar(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """unrar x|e ARCHIVE [FILES…] [DIR/]."""
    operands = [arg for arg in args[1:] if not arg[0].startswith("-")]
    if not args or args[0][0] not in ("x", "e"):
        return
    if len(operands) > 1 and operands[-1][0].endswith("/"):
        an.write(operands[-1], "unrar")
    else:
        an.whole_tree("unrar", repo=False)


_SUFFIXES = {
    "gzip": ".gz", "bzip2": ".bz2", "xz": ".xz", "lzma": ".lzma", "compress": ".Z", "zstd": ".zst",
    "lz4": ".lz4",
}  # fmt: skip
_UNPACKERS = {"gunzip": "gzip", "bunzip2": "bzip2", "unxz": "xz", "uncompress": "compress", "unzstd": "zstd"}


def _compressor(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """gzip/bzip2/xz FILE replace FILE with FILE.gz (or back), unless they write to stdout or
    only test or list."""
    opts, operands = getopt(args, "S", frozenset({"suffix"}))
    if has(opts, "c", "stdout", "to-stdout", "t", "test", "l", "list"):
        return
    program = _UNPACKERS.get(ctx.name, ctx.name)
    suffixes = [value[0] for value in values(opts, "S", "suffix")] or [_SUFFIXES[program]]
    unpack = ctx.name in _UNPACKERS or has(opts, "d", "decompress", "uncompress")
    for text, dyn in operands:
        if text == "-":
            continue
        an.write((text, dyn), ctx.name)
        if not unpack:
            an.write((text + suffixes[-1], dyn), ctx.name)
        elif text.endswith(suffixes[-1]):
            an.write((text.removesuffix(suffixes[-1]), dyn), ctx.name)


RULES: dict[str, Handler] = {
    "tar": _tar,
    "gtar": _tar,
    "bsdtar": _tar,
    "unzip": _unzip,
    "zip": _zip,
    "gzip": _compressor,
    "gunzip": _compressor,
    "bzip2": _compressor,
    "bunzip2": _compressor,
    "xz": _compressor,
    "unxz": _compressor,
    "lzma": _compressor,
    "compress": _compressor,
    "uncompress": _compressor,
    "zstd": _compressor,
    "unzstd": _compressor,
    "lz4": _compressor,
    "7z": _7z,
    "7za": _7z,
    "7zr": _7z,
    "cpio": _cpio,
    "unrar": _unrar,
}
