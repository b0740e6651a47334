"""Containers: a folder bind-mounted writable into a container may be written as a whole
(`docker run -v "$PWD":/w img rm -rf /w/.orch`); `docker cp` writes its local destination."""

from __future__ import annotations

from orchestrator.hooks.bash.programs import getopt, values

TYPE_CHECKING = False
if TYPE_CHECKING:
    from orchestrator.hooks.bash.analyser import Analyser, Arg
    from orchestrator.hooks.bash.command import Ctx
    from orchestrator.hooks.bash.programs import Handler

_RUN_SHORT = "aceEhlmpuvwL"
_RUN_LONG = frozenset(
    "volume mount name network env env-file label workdir user entrypoint hostname publish "
    "memory cpus platform pull restart add-host device dns volumes-from tmpfs cap-add cap-drop "
    "security-opt ulimit log-driver log-opt gpus runtime shm-size stop-signal pid ipc "
    "userns cgroupns health-cmd".split()
)


_GLOBAL_LONG = frozenset(
    "host context config log-level tlscacert tlscert tlskey connection url identity root runroot "
    "storage-driver".split()
)


def _container(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """docker/podman run|create: writable bind mounts; cp SRC DEST: a local DEST."""
    args = getopt(args, "Hcl", _GLOBAL_LONG, stop=True)[1]  # `docker --context X run …`
    if args and args[0][0] == "container":
        args = args[1:]
    command = args[0][0] if args else ""
    if command == "cp":
        operands = [arg for arg in args[1:] if not arg[0].startswith("-")]
        if len(operands) == 2 and not _remote(operands[1][0]):
            an.write(operands[1], ctx.name)
    elif command in ("run", "create"):
        opts = getopt(args[1:], _RUN_SHORT, _RUN_LONG, stop=True)[0]
        for text, dyn in values(opts, "v", "volume"):
            _bind(an, text.removeprefix("=").split(":"), dyn, ctx.name)  # pflag reads `-v=X` as X
        for text, dyn in values(opts, "mount"):
            _mount(an, text, dyn, ctx.name)


def _remote(text: str) -> bool:
    """`container:/path` (a container's file), not a local path."""
    head = text.partition("/")[0]
    return ":" in head


def _named(source: str) -> bool:
    """A named volume (`data`, `my_vol.1`), not a path on this machine."""
    return source[:1].isalnum() and source.isascii() and all(c.isalnum() or c in "_.-" for c in source)


def _bind(an: Analyser, fields: list[str], dyn: bool, prog: str) -> None:
    """`-v SRC:DST[:OPTIONS]`: SRC, unless it is a named volume or mounted read-only."""
    source = fields[0]
    if len(fields) < 2 or (_named(source) and not dyn):
        return
    if len(fields) > 2 and "ro" in fields[2].split(","):
        return
    an.whole_tree(prog, repo=False, tree=(source, dyn))


def _mount(an: Analyser, text: str, dyn: bool, prog: str) -> None:
    """`--mount type=bind,source=SRC,target=DST[,readonly]`."""
    fields = dict(field.partition("=")[::2] for field in text.split(","))
    source = fields.get("source", fields.get("src", ""))
    if fields.get("type") != "bind" or not source:
        return
    if "readonly" in fields or "ro" in fields:
        return
    an.whole_tree(prog, repo=False, tree=(source, dyn))


RULES: dict[str, Handler] = {
    "docker": _container,
    "podman": _container,
    "nerdctl": _container,
}
