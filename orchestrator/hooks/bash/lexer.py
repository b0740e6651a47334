"""Tokenises like a POSIX shell: quotes, escapes, `$'…'`, `$var`, `${…}`, `$(…)`, backticks,
`<(…)`, here-documents, comments, operators and `N>` descriptor prefixes. A word keeps its parts
and their quoting, for the expansions that come later."""

from __future__ import annotations

TYPE_CHECKING = False

MAX_NEST = 32  # nested $(…), sh -c, eval, groups: deeper is refused as unparseable
HEREDOCS = frozenset({"<<", "<<-"})

_BLANK = frozenset(" \t")
_META = frozenset(" \t\n;&|()<>")
_WORD_STOP = _META | frozenset("\\'\"$`")
_DQ_STOP = frozenset('\\$`"')
_OPERATORS = (
    "&>>", ";;&", "<<<", "<<-", "&&", "||", ";;", ";&", "|&", "&>", ">>", ">|", ">&", "<&",
    "<>", "<<", ";", "&", "|", "(", ")", "<", ">",
)  # fmt: skip
_OPERATORS_BY_CHAR = {c: tuple(o for o in _OPERATORS if o[0] == c) for c in ";&|()<>"}
_REDIRECTS = frozenset({"&>>", "<<<", "<<-", "&>", ">>", ">|", ">&", "<&", "<>", "<<", "<", ">"})
_ARITH_AFTER = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "for", "{"})
_HEX = frozenset("0123456789abcdefABCDEF")
_OCTAL = frozenset("01234567")
_C_ESCAPES = {
    "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
    "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?",
}  # fmt: skip


class Part:
    """A piece of a word. `kind`: `lit` (text, `quoted` or not), `var` (a variable name), `dyn`
    (an expansion whose value is unknown, `${…}` or `$((…))`; `parts` holds what is inside it),
    `sub` (`$(…)` or backticks: `toks`), `proc` (`<(…)`)."""

    __slots__ = ("kind", "text", "quoted", "toks", "parts")

    def __init__(
        self,
        kind: str,
        text: str,
        quoted: bool = False,
        toks: list[Tok] | None = None,
        parts: list[Part] | None = None,
    ) -> None:
        self.kind, self.text, self.quoted = kind, text, quoted
        self.toks: list[Tok] = toks or []
        self.parts: list[Part] = parts or []


class Word:
    __slots__ = ("parts",)

    def __init__(self, parts: list[Part]) -> None:
        self.parts = parts

    def literal(self) -> str | None:
        """The text of a plain unquoted word (reserved words, `{`, descriptor numbers)."""
        if len(self.parts) == 1 and is_lit(self.parts[0]):
            return self.parts[0].text
        return None


class Op:
    """An operator; for an arithmetic command `((…))`, `parts` holds its substitutions."""

    __slots__ = ("op", "parts")

    def __init__(self, op: str, parts: list[Part] | None = None) -> None:
        self.op = op
        self.parts: list[Part] = parts or []


class Redir:
    """A redirection. For a here-document, `target` is its delimiter and `body` its text."""

    __slots__ = ("op", "fd", "target", "body")

    def __init__(self, op: str, fd: str | None, target: Word | None) -> None:
        self.op, self.fd, self.target = op, fd, target
        self.body: Word | None = None


def is_lit(part: Part) -> bool:
    return part.kind == "lit" and not part.quoted


if TYPE_CHECKING:
    Tok = Word | Op | Redir


class Unparseable(Exception):
    """Unbalanced quotes, an unterminated `$(`, or nesting deeper than `MAX_NEST`."""


class Lexer:
    """Splits shell source into words, operators and redirections, keeping quoting information."""

    def __init__(self, source: str, nest: int = 0) -> None:
        self.s, self.i, self.nest = source, 0, nest

    def tokens(self, until_paren: bool = False) -> list[Tok]:
        """Tokens up to the end, or (inside `$(…)`) up to the unmatched `)`."""
        s, n = self.s, len(self.s)
        out: list[Tok] = []
        heredocs: list[tuple[Redir, Word]] = []
        depth = 0
        while self.i < n:
            c = s[self.i]
            if c in _BLANK:
                self.i += 1
            elif c == "\\" and s.startswith("\n", self.i + 1):
                self.i += 2
            elif c == "#":
                end = s.find("\n", self.i)
                self.i = n if end < 0 else end
            elif c == "\n":
                self.i += 1
                out.append(Op("\n"))
                for redirect, word in heredocs:
                    self._heredoc(redirect, word)
                heredocs.clear()
            elif c in "<>" and s.startswith("(", self.i + 1):
                out.append(self._word())
            elif c == "(" and s.startswith("((", self.i) and _at_start(out):
                arithmetic = self._arith()
                out.append(Op("((", arithmetic) if arithmetic is not None else Op(self._operator()))
            elif c in _META:
                if c == ")" and until_paren and depth == 0:
                    self.i += 1
                    return out
                op = self._operator()
                if op in _REDIRECTS:
                    out.append(self._redirect(op, None, heredocs))
                else:
                    depth += (op == "(") - (op == ")")
                    out.append(Op(op))
            else:
                out.append(self._word_or_redirect(heredocs))
        if until_paren:
            raise Unparseable("unterminated $(")
        return out

    def _operator(self) -> str:
        op = next(o for o in _OPERATORS_BY_CHAR[self.s[self.i]] if self.s.startswith(o, self.i))
        self.i += len(op)
        return op

    def _word_or_redirect(self, heredocs: list[tuple[Redir, Word]]) -> Tok:
        word = self._word()
        s = self.s
        if self.i < len(s) and s[self.i] in "<>" and not s.startswith("(", self.i + 1):
            fd = word.literal()
            if fd is not None and fd.isascii() and fd.isdigit():
                return self._redirect(self._operator(), fd, heredocs)
        return word

    def _redirect(self, op: str, fd: str | None, heredocs: list[tuple[Redir, Word]]) -> Redir:
        s, n = self.s, len(self.s)
        while self.i < n and s[self.i] in _BLANK:
            self.i += 1
        target = None
        if self.i < n and (s[self.i] not in _META or s.startswith(("<(", ">("), self.i)):
            target = self._word()
        redirect = Redir(op, fd, target)
        if op in HEREDOCS and target is not None:
            heredocs.append((redirect, target))
        return redirect

    def _heredoc(self, redirect: Redir, word: Word) -> None:
        """Read a here-document's body (the lines after the command, up to its delimiter)."""
        parts = word.parts
        delimiter = "".join(part.text for part in parts)
        s, n = self.s, len(self.s)
        lines: list[str] = []
        while self.i < n:
            end = s.find("\n", self.i)
            end = n if end < 0 else end
            line = s[self.i : end]
            self.i = min(end + 1, n)
            if redirect.op == "<<-":
                line = line.lstrip("\t")
            if line == delimiter:
                break
            lines.append(line)
        body = "\n".join(lines)
        if any(part.quoted or part.kind != "lit" for part in parts):
            redirect.body = Word([Part("lit", body, quoted=True)])
        else:  # an unquoted delimiter: the body is expanded like a double-quoted string
            redirect.body = Word(Lexer(body, self.nest).double_quoted(None))

    def _word(self) -> Word:
        s, n = self.s, len(self.s)
        parts: list[Part] = []
        start = self.i
        while self.i < n:
            c = s[self.i]
            if c in _META:
                if c in "<>" and self.i == start and s.startswith("(", self.i + 1):
                    parts.append(self._substitution(self.i + 2, "proc"))
                    continue
                if c == "(" and len(parts) == 1 and is_lit(parts[0]) and parts[0].text[-1:] == "=":
                    parts.append(self._substitution(self.i + 1, "sub"))  # name=(array …)
                    continue
                break
            if c not in _WORD_STOP:
                j = self.i + 1
                while j < n and s[j] not in _WORD_STOP:
                    j += 1
                parts.append(Part("lit", s[self.i : j]))
                self.i = j
            elif c == "\\":
                self._escape(parts)
            elif c == "'":
                end = s.find("'", self.i + 1)
                if end < 0:
                    raise Unparseable("unterminated single quote")
                parts.append(Part("lit", s[self.i + 1 : end], quoted=True))
                self.i = end + 1
            elif c == '"':
                self.i += 1
                parts.extend(self.double_quoted('"'))
            elif c == "$":
                parts.append(self._dollar(quoted=False))
            else:
                parts.append(self._backtick(quoted=False))
        return Word(parts)

    def _escape(self, parts: list[Part]) -> None:
        s = self.s
        if self.i + 1 >= len(s):
            parts.append(Part("lit", "\\"))
            self.i += 1
        elif s[self.i + 1] == "\n":
            self.i += 2
        else:
            parts.append(Part("lit", s[self.i + 1], quoted=True))
            self.i += 2

    def double_quoted(self, term: str | None) -> list[Part]:
        """The parts of a double-quoted string (or, with no terminator, a here-document body)."""
        s, n = self.s, len(self.s)
        parts: list[Part] = []
        while self.i < n:
            c = s[self.i]
            if c == term:
                self.i += 1
                return parts
            if c == "\\" and self.i + 1 < n and s[self.i + 1] in '$`"\\\n':
                if s[self.i + 1] != "\n":
                    parts.append(Part("lit", s[self.i + 1], quoted=True))
                self.i += 2
            elif c == "$":
                parts.append(self._dollar(quoted=True))
            elif c == "`":
                parts.append(self._backtick(quoted=True))
            else:
                j = self.i + 1
                while j < n and s[j] not in _DQ_STOP:
                    j += 1
                parts.append(Part("lit", s[self.i : j], quoted=True))
                self.i = j
        if term is not None:
            raise Unparseable("unterminated double quote")
        return parts

    def _dollar(self, quoted: bool) -> Part:
        s, i = self.s, self.i
        nxt = s[i + 1] if i + 1 < len(s) else ""
        if nxt == "(":
            if s.startswith("((", i + 1):
                end = _arith_end(s, i + 3)
                if end > 0:
                    self.i = end
                    return Part("dyn", s[i:end], quoted, parts=self._inner(s[i + 3 : end - 2]))
            return self._substitution(i + 2, "sub", quoted)
        if nxt == "{":
            return self._parameter(quoted)
        if nxt == "'" and not quoted:
            return self._ansi_c()
        if nxt == '"' and not quoted:  # $"…": a translated string, read as a plain one
            self.i += 1
            return Part("lit", "")
        if nxt == "_" or (nxt.isascii() and nxt.isalpha()):
            j = i + 2
            while j < len(s) and (s[j] == "_" or (s[j].isascii() and s[j].isalnum())):
                j += 1
            self.i = j
            return Part("var", s[i + 1 : j], quoted)
        if nxt.isascii() and nxt.isdigit():
            self.i = i + 2
            return Part("var", nxt, quoted)
        if nxt and nxt in "@*#?$!-":
            self.i = i + 2
            return Part("dyn", s[i : i + 2], quoted)
        self.i = i + 1
        return Part("lit", "$", quoted)

    def _substitution(self, body_start: int, kind: str, quoted: bool = False) -> Part:
        if self.nest >= MAX_NEST:
            raise Unparseable("nested too deeply")
        start = self.i
        inner = Lexer(self.s, self.nest + 1)
        inner.i = body_start
        toks = inner.tokens(until_paren=True)
        self.i = inner.i
        return Part(kind, self.s[start : self.i], quoted, toks=toks)

    def _backtick(self, quoted: bool) -> Part:
        s, n = self.s, len(self.s)
        j = self.i + 1
        body: list[str] = []
        while j < n and s[j] != "`":
            if s[j] == "\\" and j + 1 < n and (s[j + 1] in "`$\\" or (quoted and s[j + 1] == '"')):
                body.append(s[j + 1])
                j += 2
            else:
                body.append(s[j])
                j += 1
        if j >= n:
            raise Unparseable("unterminated backquote")
        if self.nest >= MAX_NEST:
            raise Unparseable("nested too deeply")
        raw = s[self.i : j + 1]
        self.i = j + 1
        return Part("sub", raw, quoted, toks=Lexer("".join(body), self.nest + 1).tokens())

    def _parameter(self, quoted: bool) -> Part:
        """`${…}`: a plain `${name}` is a variable; anything else is an unknown value."""
        s, n = self.s, len(self.s)
        j, depth = self.i + 2, 1
        while j < n:
            c = s[j]
            if c == "\\":
                j += 2
                continue
            if c == '"' or (c == "'" and not quoted):
                end = s.find(c, j + 1)
                if end < 0:
                    raise Unparseable("unterminated quote in ${…}")
                j = end + 1
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        else:
            raise Unparseable("unterminated ${")
        raw, inner = s[self.i : j + 1], s[self.i + 2 : j]
        self.i = j + 1
        if inner.isascii() and (inner.isdigit() or inner.isidentifier()):
            return Part("var", inner, quoted)
        return Part("dyn", raw, quoted, parts=self._inner(inner))

    def _ansi_c(self) -> Part:
        """`$'…'`, with C escapes decoded (`$'\\x2eorch'` is `.orch`)."""
        s, n = self.s, len(self.s)
        j = self.i + 2
        out: list[str] = []
        while j < n and s[j] != "'":
            if s[j] == "\\" and j + 1 < n:
                text, j = _c_escape(s, j + 1)
                out.append(text)
            else:
                out.append(s[j])
                j += 1
        if j >= n:
            raise Unparseable("unterminated $'")
        self.i = j + 1
        return Part("lit", "".join(out), quoted=True)

    def _arith(self) -> list[Part] | None:
        """A `(( … ))` arithmetic command: the substitutions inside it, or None if it is not one."""
        end = _arith_end(self.s, self.i + 2)
        if end < 0:
            return None
        inner = self.s[self.i + 2 : end - 2]
        self.i = end
        return self._inner(inner)

    def _inner(self, text: str) -> list[Part]:
        """The parts of text inside `${…}` or `$((…))`, for the substitutions it contains."""
        if self.nest >= MAX_NEST:
            raise Unparseable("nested too deeply")
        return Lexer(text, self.nest + 1).double_quoted(None)


def _at_start(out: list[Tok]) -> bool:
    """Whether the next token is in command position (for telling `((` from `( (`)."""
    if not out:
        return True
    last = out[-1]
    if isinstance(last, Word):
        return last.literal() in _ARITH_AFTER
    return isinstance(last, Op)


def _arith_end(s: str, j: int) -> int:
    """The index after the `))` closing an arithmetic expression that starts at `j`, or -1."""
    depth = 0
    while j < len(s):
        c = s[j]
        if c == "(":
            depth += 1
        elif c == ")":
            if depth == 0:
                return j + 2 if s.startswith(")", j + 1) else -1
            depth -= 1
        j += 1
    return -1


def _c_escape(s: str, j: int) -> tuple[str, int]:
    """Decode the escape whose letter is at `j` (just after the backslash)."""
    e = s[j]
    if e in _C_ESCAPES:
        return _C_ESCAPES[e], j + 1
    if e in "xuU":
        width = 2 if e == "x" else 4 if e == "u" else 8
        k = j + 1
        while k < len(s) and k - j <= width and s[k] in _HEX:
            k += 1
        if k == j + 1:
            return "\\" + e, j + 1
        return _chr(int(s[j + 1 : k], 16)), k
    if e in _OCTAL:
        k = j
        while k < len(s) and k - j < 3 and s[k] in _OCTAL:
            k += 1
        return _chr(int(s[j:k], 8)), k
    if e == "c" and j + 1 < len(s):
        return chr(ord(s[j + 1]) & 31), j + 2
    return "\\" + e, j + 1


def _chr(value: int) -> str:
    return chr(value) if value <= 0x10FFFF else ""
