"""Python modules run as programs (`python -m venv DIR`, `python -m zipfile -e A DIR`) and pip,
which write the files and folders their command lines name. Other modules are normal work."""

from __future__ import annotations

from orchestrator.hooks.bash.programs import getopt, has, values

TYPE_CHECKING = False
if TYPE_CHECKING:
    from orchestrator.hooks.bash.analyser import Analyser, Arg
    from orchestrator.hooks.bash.command import Ctx
    from orchestrator.hooks.bash.programs import Handler


def _json_tool(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """`json.tool [INFILE] [OUTFILE]`."""
    operands = getopt(args, "", frozenset({"indent"}))[1]
    for arg in operands[1:2]:
        an.write(arg, "python")


def _archive(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """zipfile/tarfile: `-e ARCHIVE [DIR]` writes DIR (tarfile: the working folder by default);
    `-c NAME FILE…` writes NAME."""
    opts, operands = getopt(args, "", frozenset({"filter", "metadata-encoding"}))
    if has(opts, "c", "create") and operands:
        an.write(operands[0], "python")
    elif has(opts, "e", "extract"):
        folders = operands[1:] or [(".", False)]
        for folder in folders:
            an.write(folder, "python")


def _venv(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    for arg in getopt(args, "p", frozenset({"prompt", "python", "index-url", "extra-index-url"}))[1]:
        an.write(arg, "python")


def _gzip(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """`gzip FILE` writes FILE.gz (and keeps FILE); `-d FILE.gz` writes FILE."""
    opts, operands = getopt(args)
    for text, dyn in operands:
        if has(opts, "d", "decompress"):
            an.write((text.removesuffix(".gz"), dyn), "python")
        else:
            an.write((text + ".gz", dyn), "python")


def _zipapp(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    opts, operands = getopt(args, "opm", frozenset({"output", "python", "main"}))
    outputs = values(opts, "o", "output")
    for arg in outputs:
        an.write(arg, "python")
    if not outputs and operands and not has(opts, "info"):
        an.write((operands[0][0].rstrip("/") + ".pyz", operands[0][1]), "python")


_PIP_LONG = frozenset(
    "target t prefix root src dest d wheel-dir w requirement r constraint c index-url i "
    "extra-index-url find-links f log cache-dir python platform python-version implementation "
    "abi progress-bar upgrade-strategy config-settings global-option report".split()
)
_PIP_FOLDERS = ("t", "target", "prefix", "root", "src", "d", "dest", "w", "wheel-dir", "log", "report")


def _pip(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """pip: `install --target DIR`, `--prefix`, `--root`, `download -d DIR`, `wheel -w DIR`."""
    opts = getopt(args, "tdwrcife", _PIP_LONG)[0]
    for arg in values(opts, *_PIP_FOLDERS):
        if arg[0] != "-":
            an.write(arg, ctx.name or "pip")


_MODULES: dict[str, Handler] = {
    "json.tool": _json_tool,
    "zipfile": _archive,
    "tarfile": _archive,
    "venv": _venv,
    "virtualenv": _venv,
    "gzip": _gzip,
    "zipapp": _zipapp,
    "pip": _pip,
}


def run_module(an: Analyser, module: str, args: list[Arg], ctx: Ctx) -> None:
    """`python -m MODULE ARGS`: what the module's command line names; other modules: nothing."""
    handler = _MODULES.get(module)
    if handler is not None:
        handler(an, args, ctx)


RULES: dict[str, Handler] = {"pip": _pip, "pip3": _pip, "virtualenv": _venv}
