"""orch itself: each `orch …` a command runs is recorded, so the hook can check that the caller
may run it and hand the caller over to it (`orchestrator/callers.py`)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from orchestrator.hooks.bash.analyser import Analyser, Arg
    from orchestrator.hooks.bash.command import Ctx
    from orchestrator.hooks.bash.programs import Handler


def _orch(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """Not a writer in its own right (orch writes only its own state, through its rules)."""
    an.orch_calls.append(OrchCall(tuple(text for text, _ in args), any(dyn for _, dyn in args)))


class OrchCall:
    """One `orch ARGS…` in a command: its arguments as the shell expands them, and whether any of
    them depends on something unknown (`orch done "$1"`)."""

    __slots__ = ("args", "dynamic")

    def __init__(self, args: tuple[str, ...], dynamic: bool) -> None:
        self.args, self.dynamic = args, dynamic

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OrchCall) and (self.args, self.dynamic) == (other.args, other.dynamic)

    def __hash__(self) -> int:
        return hash((self.args, self.dynamic))

    def __repr__(self) -> str:
        return f"OrchCall({self.args!r}, dynamic={self.dynamic})"


RULES: dict[str, Handler] = {"orch": _orch}
