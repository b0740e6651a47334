"""One simple command as its program's rule sees it, and the names the rules share with the
analyser: a module of its own, so the rules need not import the analyser that loads them."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from orchestrator.hooks.bash.analyser import Arg
    from orchestrator.hooks.bash.printed import Feed

STDIN_FILES = frozenset({"/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"})
# Variables whose value a program runs as a shell command.
COMMAND_VARS = frozenset({
    "GIT_EXTERNAL_DIFF", "GIT_SSH_COMMAND", "GIT_SSH", "GIT_EDITOR", "GIT_PAGER", "GIT_ASKPASS",
    "GIT_SEQUENCE_EDITOR", "SSH_ASKPASS", "SUDO_ASKPASS", "PAGER", "MANPAGER", "EDITOR", "VISUAL",
    "PROMPT_COMMAND", "LESSOPEN", "LESSCLOSE", "RSYNC_RSH",
})  # fmt: skip
# Variables naming a script or library a program runs or loads (`BASH_ENV=x.sh bash -c …`).
SCRIPT_VARS = frozenset({"BASH_ENV", "ENV", "LD_PRELOAD", "LD_AUDIT"})


class Ctx:
    """One simple command as its program sees it: its name, its stdin, its environment prefix."""

    __slots__ = ("name", "stdin", "stdin_dyn", "piped_in", "feed", "infile", "env")

    def __init__(self, piped_in: bool, feed: Feed | None = None) -> None:
        self.name = ""
        self.stdin: str | None = None  # the text of a here-document or here-string
        self.stdin_dyn = False  # whether that text holds something unknown (`$X`, `$(…)`)
        self.piped_in = piped_in
        self.feed = feed if piped_in else None  # what the pipe carries, when the text says
        self.infile: Arg | None = None  # the file of a `< FILE` redirection
        self.env: dict[str, str | None] = {}
