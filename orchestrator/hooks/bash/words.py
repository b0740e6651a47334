"""How Bash expands a word, from its parts: quoting kept, variables put in (`${NAME:-word}` too),
`~` and `~+`, braces marked for `braces`, `$(…)` analysed and folded into its output when the text
says what that is (`$(echo .orch)`, `$(cd DIR && pwd)`)."""

from __future__ import annotations

import os

from orchestrator.hooks.bash.lexer import Op, Word
from orchestrator.hooks.bash.printed import here, printed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from orchestrator.hooks.bash.analyser import Analyser, Arg
    from orchestrator.hooks.bash.lexer import Part, Tok

LB, COMMA, RB = "\ue000", "\ue001", "\ue002"  # unquoted `{` `,` `}`, for brace expansion
_MARK = str.maketrans({"{": LB, ",": COMMA, "}": RB})
_UNMARK = str.maketrans({LB: "{", COMMA: ",", RB: "}"})
_BLANKS = " \t\n"
_SPECIAL = frozenset("~{")  # what an unquoted literal may need expanded


class Words:
    """Expands words for one analyser: its variables, its working folders, its substitutions."""

    def __init__(self, an: Analyser) -> None:
        self.an = an
        self.seen: dict[int, Arg] = {}  # each `$(…)` as last expanded, by the part's id
        self.again = False  # expanding words already analysed: reuse what `$(…)` gave

    def expand(self, word: Word) -> list[Arg]:
        """A word as arguments: variables substituted, braces expanded, substitutions analysed."""
        text, dyn = self.join(word.parts, braces=True)
        if LB not in text:
            return [(text, dyn)]
        from orchestrator.hooks.bash.braces import brace_expand  # rare: loaded on first use

        texts = brace_expand(text)
        if texts is None:
            return [(text.translate(_UNMARK), True)]
        return [(t.translate(_UNMARK), dyn) for t in texts]

    def join(self, parts: list[Part], braces: bool) -> Arg:
        """The parts of a word as one string, and whether it depends on something unknown."""
        chunks: list[str] = []
        dyn = False
        for index, part in enumerate(parts):
            if part.kind == "lit" and (part.quoted or not _SPECIAL.intersection(part.text)):
                text, unknown = part.text, False  # the common case, kept fast
            elif part.kind == "lit":
                text, unknown = self._literal(part, index == 0, len(parts) == 1, braces)
            elif part.kind == "var":
                text, unknown = _value(part, part.text, self.an.var(part.text))
            elif part.kind == "proc":
                if not self.again and part.text.startswith(">"):
                    self.an.run_fed(part.toks)  # `tee >(sh)`: sh reads what tee writes
                elif not self.again:
                    self.an.run_tokens(part.toks, subshell=True)
                text, unknown = "/dev/fd/63", False
            else:
                text, unknown = self._expansion(part)
            chunks.append(text)
            dyn = dyn or unknown
        return "".join(chunks), dyn

    def _literal(self, part: Part, first: bool, alone: bool, braces: bool) -> Arg:
        text = part.text
        if part.quoted:
            return text, False
        if first and text[:2] in ("~+", "~-") and text[2:3] in ("", "/"):  # `~+` is $PWD
            value = self.an.var("PWD" if text[1] == "+" else "OLDPWD")
            return (text, True) if value is None else (value + text[2:], False)
        if first and text.startswith("~"):
            text = _tilde(text, alone)
        if braces and "{" in text:
            text = text.translate(_MARK)
        return text, False

    def _expansion(self, part: Part) -> Arg:
        """`$(…)` (folded when its output is known); `${NAME:-word}` is NAME's value when it is
        known, else maybe `word` (unknown, but named by it so that its mentions are checked);
        another `${…}`/`$((…))` is unknown, its substitutions analysed."""
        if part.kind == "sub":
            if self.again and id(part) in self.seen:
                return self.seen[id(part)]  # not analysed twice: nested, that is exponential
            self.an.run_tokens(part.toks, subshell=True)
            folded = self._fold(part)
            found = (part.text, True) if folded is None else (folded, False)
            self.seen[id(part)] = found
            return found
        self.join(part.parts, braces=False)
        name, op, word = _defaulted(part.text)
        value = self.an.var(name) if name else None
        plain = "$" not in word and "`" not in word
        if value is not None and (op in "-=" or plain):
            chosen = (word if value else "") if op == "+" else value or word
            return _value(part, name, chosen) if value or plain else (part.text, True)
        if name and plain:
            return word or part.text, True
        return part.text, True

    def _fold(self, part: Part) -> str | None:
        """The output of `$(echo .orch)`, `$(pwd)`, `$(cd DIR && pwd)`…, when the text says what
        it is (and, unquoted, it is a single word)."""
        segments = _segments(part.toks) or []
        commands = [argv for argv in map(self._known, segments) if argv]
        if not commands or len(commands) != len(segments):
            return None
        found = printed(commands[-1], None)
        if found is None or found[0] != "text":
            return None
        text: str | None = found[1].rstrip("\n")
        if text is not None and len(commands) > 1:
            text = self._after_cds(commands[:-1], text)
        if text is None or (not part.quoted and any(c in text for c in _BLANKS)):
            return None
        return text

    def _known(self, words: list[Word]) -> list[str] | None:
        """The words of a command already analysed, when all are known."""
        again, self.again = self.again, True
        try:
            args = [arg for word in words for arg in self.expand(word)]
        finally:
            self.again = again
        return None if any(dyn for _, dyn in args) else [text for text, _ in args]

    def _after_cds(self, cds: list[list[str]], text: str) -> str | None:
        """`text` printed after `cd A && cd B && …`: the folder put in for `$PWD`."""
        if any(len(argv) != 2 or argv[0] != "cd" or argv[1].startswith("-") for argv in cds):
            return None
        an = self.an
        saved = an.cwds
        for argv in cds:
            an.cwds = tuple(an.resolve(argv[1], False))
        folders, an.cwds = an.cwds, saved
        if len(folders) != 1 or folders[0][1]:
            return None
        return here(text, folders[0][0])


def _value(part: Part, name: str, value: str | None) -> Arg:
    if value is None or (not part.quoted and any(c in value for c in _BLANKS)):
        return "$" + name, True  # unknown, or split into several words
    return value, False


def _segments(toks: list[Tok]) -> list[list[Word]] | None:
    """The simple commands of `A && B && C` (words only), or None for anything else."""
    segments: list[list[Word]] = [[]]
    for tok in toks:
        if isinstance(tok, Word):
            segments[-1].append(tok)
        elif isinstance(tok, Op) and tok.op == "&&" and segments[-1]:
            segments.append([])
        else:
            return None
    return segments if segments[-1] else None


def _defaulted(text: str) -> tuple[str, str, str]:
    """NAME, the operator and the word of `${NAME:-word}` (also `-`, `=`, `+`, with or without
    `:`), else empty strings."""
    inner = text[2:-1] if text.startswith("${") else ""
    end = 0
    while end < len(inner) and (inner[end] == "_" or (inner[end].isascii() and inner[end].isalnum())):
        end += 1
    rest = inner[end:].removeprefix(":")
    if not end or rest[:1] not in ("-", "=", "+"):
        return "", "", ""
    return inner[:end], rest[0], rest[1:].strip("'\"")


def _tilde(text: str, alone: bool) -> str:
    head, slash, tail = text.partition("/")
    if not slash and not alone:
        return text
    home = os.path.expanduser(head)
    return text if home == head else home + slash + tail
