"""Which Bash commands run outside the write jail: orch's own calls, which must write orch's state.

A command is free when it is made only of `orch …` calls and shell builtins that write nothing
(`echo rc=$?`, `cd src`, `command -v orch`), joined by `;`, `&&`, `||`, `|`, newlines and
parentheses, with no redirection to a file and no substitution. `orch` is the word `orch` (found
through the PATH orch put first in the session) or the path of one of orch's own launchers. Nothing
else may run: any other program — a script, `cat`, `tail` — could be one the agent wrote, so a
command holding one runs jailed, its `orch` calls included (they then say how to run them).
Standard library only (PreToolUse).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Collection

    from orchestrator.hooks.bash.lexer import Part, Tok

BUILTINS = frozenset({"echo", "printf", "true", "false", ":", "cd", "pwd", "test", "[", "type", "exit"})
JOINS = frozenset({";", "&&", "||", "|", "|&", "\n", "(", ")"})
WRITE_OPTIONS = ("-o", "--output")


def is_free(command: str, launchers: Collection[str] = ()) -> bool:
    """Whether `command` is made only of orch calls and builtins that write nothing (at least one
    orch call); `launchers` are the real paths of orch's own launchers."""
    from orchestrator.hooks.bash.lexer import Lexer, Op, Unparseable

    try:
        toks = Lexer(command).tokens()
    except Unparseable:
        return False
    simple: list[list[Tok]] = [[]]
    for tok in toks:
        if isinstance(tok, Op):
            if tok.op not in JOINS:
                return False
            simple.append([])
        else:
            simple[-1].append(tok)
    kinds = [_kind(words, launchers) for words in simple if words]
    return "orch" in kinds and None not in kinds


def _kind(toks: list[Tok], launchers: Collection[str]) -> str | None:
    """`orch`, `builtin`, or None for anything that may write or run unknown code."""
    from orchestrator.hooks.bash.lexer import Redir, Word

    words = [t for t in toks if isinstance(t, Word)]
    if any(isinstance(t, Redir) and not _duplicated_descriptor(t) for t in toks):
        return None
    if not words:  # `2>&1` after a subshell's `)`
        return "builtin"
    if any(not _plain(part) for word in words for part in word.parts):
        return None
    texts = ["".join(part.text for part in word.parts) for word in words]
    if any(part.kind != "lit" for part in words[0].parts):
        return None
    if _is_orch(texts[0], launchers):
        literal = all(part.kind == "lit" for word in words for part in word.parts)
        writes = any(t in WRITE_OPTIONS or t.startswith("--output=") for t in texts[1:])
        return "orch" if literal and not writes else None
    if texts[0] == "command":
        return "builtin" if texts[1:2] in (["-v"], ["-V"]) else None
    return "builtin" if texts[0] in BUILTINS else None


def _plain(part: Part) -> bool:
    """Text, a variable, or a `$?`-like special parameter: nothing that runs code."""
    return part.kind in ("lit", "var") or (part.kind == "dyn" and not part.parts and len(part.text) == 2)


def _is_orch(word: str, launchers: Collection[str]) -> bool:
    return word == "orch" or (os.path.isabs(word) and os.path.realpath(word) in launchers)


def _duplicated_descriptor(tok: Tok) -> bool:
    """`2>&1`, `>&2`: a redirection that writes no file."""
    from orchestrator.hooks.bash.lexer import Redir

    if not isinstance(tok, Redir) or tok.op not in (">&", "<&") or tok.target is None:
        return False
    return (tok.target.literal() or "x") in ("0", "1", "2", "-")


def launchers(runtime_dir: str, environ: dict[str, str] | os._Environ[str]) -> frozenset[str]:
    """The real paths of orch's own launchers on this machine: the plugin's (in its data and root
    folders), `orch init`'s (`<runtime>/bin/orch`), and the console script beside this interpreter."""
    import sys

    found = [os.path.join(runtime_dir, "bin", "orch"), os.path.join(os.path.dirname(sys.executable), "orch")]
    data, root = environ.get("CLAUDE_PLUGIN_DATA"), environ.get("CLAUDE_PLUGIN_ROOT")
    if data:
        found += [os.path.join(data, "orch"), os.path.join(data, "bin", "orch")]
    if root:
        found += [os.path.join(root, "bin", "orch"), os.path.join(root, "hooks", "orch")]
    return frozenset(os.path.realpath(path) for path in found if os.path.exists(path))
