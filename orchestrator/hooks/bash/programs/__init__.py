"""One rule per program that writes files, in modules loaded the first time a command runs one
of their programs (most commands run none: `ls`, `pytest`, `grep`); and what the rules share:
option parsing, and SOURCE… DEST copies.

A rule reads the program's arguments and records on the analyser what the program writes.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from orchestrator.hooks.bash.analyser import Analyser, Arg
    from orchestrator.hooks.bash.command import Ctx

    Handler = Callable[[Analyser, list[Arg], Ctx], None]
    Opts = list[tuple[str, Arg | None]]  # each option's name, and its value if it takes one

# The programs each module of rules knows; its `RULES` maps the same names to their rules.
_MODULES = {
    "files": "rm rmdir unlink shred touch mkdir mkfifo truncate fallocate tee chmod chown chgrp cp mv ln "
    "install link dd rsync sqlite3 rimraf cmake mknod split csplit mount bindfs",
    "text": "sed gsed awk gawk mawk nawk patch sort uniq yq",
    "interpreters": "python perl ruby sh bash zsh dash ksh ash mksh fish at batch node nodejs bun deno php "
    "lua Rscript julia osascript pwsh powershell gdb expect guile racket sbcl elixir groovy ghci dc tclsh "
    "wish irb",
    "shell": "eval source . alias hash trap cd pushd popd export declare typeset local readonly read mapfile "
    "readarray printf unset",
    "wrappers": "sudo sudoedit doas env command builtin exec nohup setsid chronic unbuffer busybox nice "
    "stdbuf ionice timeout taskset time flock watch su uv poetry pdm hatch pipenv rye conda mamba micromamba "
    "runuser script chroot npx bunx pnpx strace ltrace fakeroot unshare nsenter setpriv firejail systemd-run "
    "ssh tmux screen crontab",
    "fanout": "xargs parallel find",
    "archives": "tar gtar bsdtar unzip zip gzip gunzip bzip2 bunzip2 xz unxz lzma compress uncompress "
    "7z 7za 7zr cpio unrar zstd unzstd lz4",
    "modules": "pip pip3 virtualenv",
    "containers": "docker podman nerdctl",
    "downloads": "curl wget",
    "editors": "ed ex vi vim nvim view nano emacs ruff black isort autopep8 yapf clang-format gofmt shfmt "
    "prettier rustfmt dos2unix unix2dos sponge eslint stylelint",
    "git": "git",
    "orch": "orch",
}
_HOMES = {program: module for module, programs in _MODULES.items() for program in programs.split()}
_LOADED: dict[str, Handler] = {}
NONE: frozenset[str] = frozenset()


def rule(program: str) -> Handler | None:
    """The rule for `program`, or None when it is not known to write files."""
    found = _LOADED.get(program)
    if found is None and program in _HOMES:
        # `__import__` rather than `importlib`, which the hook process has not loaded.
        module = __import__(f"{__name__}.{_HOMES[program]}", fromlist=["RULES"])
        rules: dict[str, Handler] = module.RULES
        _LOADED.update(rules)
        found = rules[program]
    return found


def getopt(
    args: list[Arg], short: str = "", long: frozenset[str] = NONE, stop: bool = False
) -> tuple[Opts, list[Arg]]:
    """GNU-style options: clusters (`-xzf F`), attached values (`-oF`, `--out=F`), `--`.
    `short`/`long` name the options that take a value; `stop` ends options at the first operand."""
    opts: Opts = []
    operands: list[Arg] = []
    index = 0
    while index < len(args):
        text, dyn = args[index]
        index += 1
        if text == "--":
            operands.extend(args[index:])
            break
        if text.startswith("--"):
            name, eq, value = text[2:].partition("=")
            if eq:
                opts.append((name, (value, dyn)))
            elif name in long and index < len(args):
                opts.append((name, args[index]))
                index += 1
            else:
                opts.append((name, None))
        elif text.startswith("-") and len(text) > 1:
            for k in range(1, len(text)):
                letter = text[k]
                if letter not in short:
                    opts.append((letter, None))
                    continue
                if k + 1 < len(text):
                    opts.append((letter, (text[k + 1 :], dyn)))
                elif index < len(args):
                    opts.append((letter, args[index]))
                    index += 1
                else:
                    opts.append((letter, None))
                break
        elif stop:
            operands.extend(args[index - 1 :])
            break
        else:
            operands.append((text, dyn))
    return opts, operands


def has(opts: Opts, *names: str) -> bool:
    return any(name in names for name, _ in opts)


def values(opts: Opts, *names: str) -> list[Arg]:
    return [value for name, value in opts if name in names and value is not None]


def transfer(an: Analyser, opts: Opts, operands: list[Arg], prog: str, moves: bool) -> None:
    """SOURCE… DEST: DEST, or DEST/<name> for each source when DEST is a folder."""
    folders = values(opts, "t", "target-directory")
    if folders:
        sources, dest, into = operands, folders[-1], True
    elif len(operands) >= 2:
        sources, dest = operands[:-1], operands[-1]
        into = not has(opts, "T", "no-target-directory") and (
            len(sources) > 1 or dest[0].endswith("/") or an.is_dir(dest)
        )
    elif prog == "ln" and operands:  # `ln -s TARGET`: a link named like TARGET, here
        sources, dest, into = operands, (".", False), True
    else:
        return
    if moves:
        for source in sources:
            an.write(source, prog)
    if not into:
        an.write(dest, prog)
    for source in sources if into else []:
        an.write_into(dest, source, prog)
