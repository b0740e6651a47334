"""Editors and formatters, which rewrite the files they open."""

from __future__ import annotations

from orchestrator.hooks.bash.programs import NONE, getopt

TYPE_CHECKING = False
if TYPE_CHECKING:
    from orchestrator.hooks.bash.analyser import Analyser, Arg, Ctx
    from orchestrator.hooks.bash.programs import Handler


def _editor(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """ed, vim, nano…: the files they open may be saved."""
    for arg in getopt(args, "cSuUiTwWs")[1]:
        if not arg[0].startswith("+"):
            an.write(arg, ctx.name)


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
    "ex": _editor,
    "vi": _editor,
    "vim": _editor,
    "nvim": _editor,
    "nano": _editor,
    "emacs": _editor,
    "ruff": _ruff,
    **dict.fromkeys(_FORMATTERS, _formatter),
}
