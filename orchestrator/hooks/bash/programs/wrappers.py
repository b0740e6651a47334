"""Programs that run another command."""

from __future__ import annotations

from orchestrator.hooks.bash.programs import getopt, has, values

TYPE_CHECKING = False
if TYPE_CHECKING:
    from orchestrator.hooks.bash.analyser import Analyser, Arg
    from orchestrator.hooks.bash.command import Ctx
    from orchestrator.hooks.bash.programs import Handler


def _wrapper(short: str = "", long: str = "", skip: int = 0, folder: str = "", log: str = "") -> Handler:
    """A program that runs the rest of its arguments as a command (`nohup`, `timeout 5`), in the
    folder its option `folder` names (`unshare -w DIR`); the option `log` names a file it writes
    (`strace -o FILE`)."""
    names = frozenset(long.split())

    def handler(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
        opts, operands = getopt(args, short, names, stop=True)
        for arg in values(opts, *log.split()):
            an.write(arg, ctx.name)
        saved = an.enter(values(opts, *folder.split()))
        an.dispatch(operands[skip:], ctx)
        an.cwds = saved

    return handler


_SUDO_LONG = frozenset(
    "user group chdir prompt role type close-from command-timeout other-user host chroot".split()
)


def _sudo(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """sudo/doas: the command after the options; `-e`/sudoedit edits files; `-s`/`-i` run a shell."""
    opts, operands = getopt(args, "CDgpRrtTuU", _SUDO_LONG, stop=True)
    if ctx.name == "sudoedit" or has(opts, "e", "edit"):
        for arg in operands:
            an.write(arg, ctx.name)
        return
    saved = an.enter(values(opts, "D", "chdir"))
    if operands and has(opts, "s", "shell", "i", "login"):
        an.recurse(" ".join(text for text, _ in operands), ctx.name)
    else:
        an.dispatch(operands, ctx)
    an.cwds = saved


def _env(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """env [-i] [-u NAME] [-C DIR] [-S STRING] [NAME=VALUE…] COMMAND."""
    index = 0
    folders: list[Arg] = []
    while index < len(args):
        text, dyn = args[index]
        index += 1
        value: Arg | None = None
        if text in ("-u", "--unset", "-C", "--chdir", "-S", "--split-string"):
            value = args[index] if index < len(args) else ("", False)
            index += 1
        elif text.startswith(("--chdir=", "--split-string=")):
            value = (text.partition("=")[2], dyn)
        elif text[:2] in ("-C", "-S") and len(text) > 2:
            value = (text[2:], dyn)
        if value is not None:
            if text.startswith(("-C", "--chdir")):
                folders.append(value)
            elif text.startswith(("-S", "--split-string")):
                an.recurse(" ".join([value[0], *(t for t, _ in args[index:])]), "env")
                return
            continue
        if text.startswith("-"):
            continue
        name, eq, assigned = text.partition("=")
        if not eq or not name.isidentifier():
            index -= 1
            break
        ctx.env[name] = None if dyn else assigned
        an.environ(name, (assigned, dyn))
    saved = an.enter(folders)
    an.dispatch(args[index:], ctx)
    an.cwds = saved


def _command_builtin(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    opts, operands = getopt(args, stop=True)
    if not has(opts, "v", "V"):  # `command -v rm` only looks the name up
        an.dispatch(operands, ctx)


def _time(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """GNU time: `-o FILE` writes FILE."""
    opts, operands = getopt(args, "fo", frozenset({"format", "output"}), stop=True)
    for value in values(opts, "o", "output"):
        an.write(value, "time")
    an.dispatch(operands, ctx)


def _flock(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """flock FILE COMMAND… / flock FILE -c STRING: creates the lock file, runs the command."""
    opts, operands = getopt(args, "wEc", frozenset({"timeout", "conflict-exit-code"}), stop=True)
    if operands and not operands[0][0].isdigit():
        an.write(operands[0], "flock")
    commands, rest = values(opts, "c", "command"), operands[1:]
    if len(rest) > 1 and rest[0][0] in ("-c", "--command"):
        commands, rest = [*commands, rest[1]], []
    for text, _ in commands:
        an.recurse(text, "flock")
    an.dispatch(rest, ctx)


def _watch(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    operands = getopt(args, "n", frozenset({"interval"}), stop=True)[1]
    an.recurse(" ".join(text for text, _ in operands), "watch")


def _su(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """su/runuser `-c STRING`; `runuser -u USER COMMAND…`."""
    long = frozenset({"command", "group", "shell", "user"})
    opts, operands = getopt(args, "cgGsuw", long, stop=True)
    if has(opts, "u", "user"):
        an.dispatch(operands, ctx)
        opts = getopt(args[: len(args) - len(operands)], "cgGsuw", long)[0]
    else:
        opts = getopt(args, "cgGsuw", long)[0]  # `su USER -c STRING`
    for text, _ in values(opts, "c", "command"):
        an.recurse(text, ctx.name)


def _script(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """script [-c COMMAND] [FILE]: runs COMMAND in a shell and records it to FILE (`typescript`)."""
    long = frozenset("command log-in log-out log-io log-timing timing echo logging-format".split())
    opts, operands = getopt(args, "cEIOBTm", long)
    for arg in [*values(opts, "I", "O", "B", "T", "log-in", "log-out", "log-io", "log-timing")]:
        an.write(arg, "script")
    an.write(operands[0] if operands else ("typescript", False), "script")
    for text, _ in values(opts, "c", "command"):
        an.recurse(text, "script")


def _chroot(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """chroot NEWROOT COMMAND: paths are inside NEWROOT, so NEWROOT may be written (opaque);
    `chroot /` is the command itself."""
    operands = getopt(args, "", frozenset({"userspec", "groups"}), stop=True)[1]
    if operands and operands[0][0].rstrip("/") == "" and not operands[0][1]:
        an.dispatch(operands[1:], ctx)
    elif operands:
        an.whole_tree("chroot", repo=False, tree=operands[0])


def _npx(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """npx/bunx/pnpx [-p PACKAGE] COMMAND…: the package's program; `-c STRING` is shell code."""
    opts, operands = getopt(args, "pc", frozenset({"package", "call"}), stop=True)
    for text, _ in values(opts, "c", "call"):
        an.recurse(text, ctx.name)
    an.dispatch(operands, ctx)


_RUNNER_SHORT = {"conda": "np", "mamba": "np", "micromamba": "np"}
_RUNNER_LONG = frozenset(
    "with with-editable with-requirements python package extra group env-file directory "
    "project index default-index index-url extra-index-url find-links config-file cache-dir "
    "name prefix cwd env environment".split()
)


def _runner(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """`uv run CMD`, `poetry run CMD`, `conda run -n ENV CMD`…; `uv pip …` and `uv venv DIR`
    write like pip and venv."""
    if ctx.name == "uv" and args and args[0][0] in ("pip", "venv"):
        an.dispatch(args if args[0][0] == "pip" else [("virtualenv", False), *args[1:]], ctx)
        return
    if not args or args[0][0] != "run":
        return
    opts, operands = getopt(args[1:], _RUNNER_SHORT.get(ctx.name, "p"), _RUNNER_LONG, stop=True)
    saved = an.enter(values(opts, "directory", "cwd"))
    an.dispatch(operands, ctx)
    an.cwds = saved


def _ssh(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """ssh HOST COMMAND: the command runs elsewhere (maybe here: opaque, with its mentions);
    `-o ProxyCommand=…`/`LocalCommand=…` run here."""
    opts, operands = getopt(args, "BbcDEeFIiJLlmOoPpQRSWw", stop=True)
    for text, _ in values(opts, "o"):
        key, _, value = text.replace("=", " ", 1).partition(" ")
        if key.lower() in ("proxycommand", "localcommand", "knownhostscommand"):
            an.recurse(value.strip(), "ssh")
    if len(operands) > 1:
        an.inline_code("ssh", " ".join(text for text, _ in operands[1:]))


def _session(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """tmux/screen run shell commands given anywhere on their command line (`tmux new -d CMD`,
    `tmux send-keys CMD Enter`, `screen -dm CMD`): opaque, with their mentions."""
    if args:
        an.inline_code(ctx.name, " ".join(text for text, _ in args))


def _crontab(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """crontab FILE|-: installs commands that run later; `-l`, `-r`, `-e` install nothing known."""
    opts, operands = getopt(args, "us", frozenset({"user"}))
    if not operands or any(name in ("l", "r", "e", "T") for name, _ in opts):
        return
    if operands[0][0] != "-":
        an.opaque["crontab"] = None
    elif ctx.stdin is not None:
        an.inline_code("crontab", ctx.stdin)
    elif ctx.feed is not None and ctx.feed[0] == "text":
        an.inline_code("crontab", ctx.feed[1])
    else:
        an.hidden("crontab")


RULES: dict[str, Handler] = {
    "ssh": _ssh,
    "tmux": _session,
    "screen": _session,
    "crontab": _crontab,
    "sudo": _sudo,
    "sudoedit": _sudo,
    "doas": _sudo,
    "env": _env,
    "command": _command_builtin,
    "builtin": _wrapper(),
    "exec": _wrapper("a"),
    "nohup": _wrapper(),
    "setsid": _wrapper(),
    "chronic": _wrapper(),
    "unbuffer": _wrapper(),
    "busybox": _wrapper(),
    "nice": _wrapper("n", "adjustment"),
    "stdbuf": _wrapper("ioe", "input output error"),
    "ionice": _wrapper("cnp", "class classdata pid"),
    "timeout": _wrapper("sk", "signal kill-after", skip=1),
    "taskset": _wrapper(skip=1),
    "time": _time,
    "flock": _flock,
    "watch": _watch,
    "su": _su,
    "runuser": _su,
    "script": _script,
    "chroot": _chroot,
    "npx": _npx,
    "bunx": _npx,
    "pnpx": _npx,
    "strace": _wrapper("oepsuEabIOPSX", "output trace signal user env", log="o output"),
    "ltrace": _wrapper("oepsuEaFnAlLS", "output", log="o output"),
    "fakeroot": _wrapper("lsib", "lib faked", log="s"),
    "unshare": _wrapper("SGRw", "setuid setgid root wd map-user map-group", folder="w wd"),
    "nsenter": _wrapper("tSG", "target setuid setgid"),
    "setpriv": _wrapper(
        "", "reuid regid groups inh-caps ambient-caps bounding-set securebits selinux-label "
        "apparmor-profile pdeathsig ruid euid rgid egid"
    ),
    "firejail": _wrapper(),
    "systemd-run": _wrapper(
        "pEuMH", "unit property description slice uid gid nice working-directory setenv machine host",
        folder="working-directory",
    ),
    "uv": _runner,
    "poetry": _runner,
    "pdm": _runner,
    "hatch": _runner,
    "pipenv": _runner,
    "rye": _runner,
    "conda": _runner,
    "mamba": _runner,
    "micromamba": _runner,
}
