"""Which files a Bash command may write, worked out before it runs.

The PreToolUse hook calls `written_paths` on every Bash tool call to decide whether a command
touches orch's own state or a file leased by another task. Three layers:

1. `lexer` tokenises like a POSIX shell: quotes, escapes, `$'…'`, `$var`, `${…}`, `$(…)`,
   backticks, `<(…)`, here-documents, comments, operators and `N>` descriptor prefixes.
2. `script` walks the tokens the way Bash runs them: lists, pipelines, subshells, `{ }` groups,
   `if`/`while`/`for`/`case`, function bodies. `analyser` holds the shell state it follows (the
   working folder after `cd`, simple variables, links the command makes) and recurses into `$(…)`,
   `sh -c`, `eval`, `trap`; `words` expands a word with that state; `printed` says what
   `echo`/`printf`/`pwd`/`cat <<EOF` print, so `$(echo .orch)` folds and `echo 'rm x' | sh` is
   analysed as the code it feeds.
3. `programs` holds one rule per program that writes files (`cp`, `sed -i`, `git checkout`, …),
   in modules loaded only when a command runs one of their programs.

Hot path: imports `os` only; no regular expressions. The file-system calls are a few `stat`s: does
a `cd` target exist (if not, `cd` may fail and what follows may run in either folder), is a copy's
destination a folder, is a `git checkout` operand a path, where is the enclosing repository.
"""

from __future__ import annotations

from orchestrator.hooks.bash.analyser import Analyser
from orchestrator.hooks.bash.lexer import Lexer, Unparseable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from orchestrator.hooks.bash.programs.git import GitOp
    from orchestrator.hooks.bash.programs.orch import OrchCall


class BashWrites:
    """What a Bash command may write (immutable; built without `dataclasses` to keep imports tiny).

    `paths`: files and folders written, absolute, normalised lexically (`..` resolved, symlinks
    not followed, except links the command itself makes), deduplicated, in order of appearance. A
    folder means everything beneath it may be written (`rm -rf dir`, `tar -x -C dir`, the working
    folder of `ls | xargs rm`). Unquoted glob characters are kept (`/repo/src/*.py`): match with
    `fnmatch` too.
    `opaque`: programs that may write files nobody can name from the text: inline code
    (`python -c`, `perl -e`, `node -e`), `xargs rm`, a target built from an unknown variable
    (`redirect` for `> "$f"`), `unparseable` when the command cannot be tokenised.
    `mentions`: every path-like word (and path-like piece of inline code), absolute, so a caller
    can refuse an opaque writer that mentions a protected path.
    `unseen`: programs that run code orch cannot read at all (`curl … | sh`, `eval "$(…)"`,
    `source <(…)`, `base64 -d | python3`): nothing can be checked, so a caller should refuse them.
    Each is in `opaque` too.
    `orch`: every `orch …` the command runs (its expanded arguments), however it is reached
    (`;`, `&&`, subshells, `sh -c`, wrappers, an absolute path to the program).
    `git`: the git subcommands whose effect on the work tree only git can tell (reset, checkout,
    stash, clean, …): the hook resolves them with `orchestrator/hooks/gitguard.py`.
    """

    __slots__ = ("paths", "opaque", "mentions", "unseen", "orch", "git")
    paths: tuple[str, ...]
    opaque: tuple[str, ...]
    mentions: tuple[str, ...]
    unseen: tuple[str, ...]
    orch: tuple[OrchCall, ...]
    git: tuple[GitOp, ...]

    def __init__(
        self,
        paths: tuple[str, ...],
        opaque: tuple[str, ...],
        mentions: tuple[str, ...],
        unseen: tuple[str, ...] = (),
        orch: tuple[OrchCall, ...] = (),
        git: tuple[GitOp, ...] = (),
    ) -> None:
        object.__setattr__(self, "paths", paths)
        object.__setattr__(self, "opaque", opaque)
        object.__setattr__(self, "mentions", mentions)
        object.__setattr__(self, "unseen", unseen)
        object.__setattr__(self, "orch", orch)
        object.__setattr__(self, "git", git)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"BashWrites is immutable: cannot set {name}")

    def _key(self) -> tuple[tuple[object, ...], ...]:
        return (self.paths, self.opaque, self.mentions, self.unseen, self.orch, self.git)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BashWrites):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"BashWrites(paths={self.paths!r}, opaque={self.opaque!r}, mentions={self.mentions!r}, "
            f"unseen={self.unseen!r}, orch={self.orch!r}, git={self.git!r})"
        )


def written_paths(command: str, cwd: str) -> BashWrites:
    """Which files `command`, run by Bash in the absolute folder `cwd`, may write. Never raises
    on malformed input: a command that cannot be tokenised is reported as `unparseable`."""
    analyser = Analyser(cwd)
    try:
        analyser.run_tokens(Lexer(command).tokens(), subshell=False)
        analyser.run_traps()
    except Unparseable:
        return _unparseable(command, cwd)
    return _found(analyser)


def _unparseable(command: str, cwd: str) -> BashWrites:
    analyser = Analyser(cwd)
    analyser.opaque["unparseable"] = None
    for word in command.split():
        analyser.mention(word)
    return _found(analyser)


def _found(analyser: Analyser) -> BashWrites:
    return BashWrites(
        tuple(analyser.paths),
        tuple(analyser.opaque),
        tuple(analyser.mentions),
        tuple(analyser.unseen),
        tuple(analyser.orch_calls),
        tuple(analyser.git_ops),
    )
