"""Which files a Bash command may write, worked out before it runs.

The PreToolUse hook calls `written_paths` on every Bash tool call to decide whether a command
touches orch's own state or a file leased by another task. Three layers:

1. `_Lexer` tokenises like a POSIX shell: quotes, escapes, `$'…'`, `$var`, `${…}`, `$(…)`,
   backticks, `<(…)`, here-documents, comments, operators and `N>` descriptor prefixes.
2. `_Script` walks the tokens the way Bash runs them: lists, pipelines, subshells, `{ }` groups,
   `if`/`while`/`for`/`case`, function bodies. `_Analyser` holds the shell state it follows (the
   working folder after `cd`, simple variables) and recurses into `$(…)`, `sh -c`, `eval`, `trap`.
3. `_HANDLERS` holds one rule per program that writes files (`cp`, `sed -i`, `git checkout`, …).

Hot path: imports `os` only; no regular expressions. The file-system calls are a few `stat`s: does
a `cd` target exist (if not, `cd` may fail and what follows may run in either folder), is a copy's
destination a folder, is a `git checkout` operand a path, where is the enclosing repository.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


class BashWrites:
    """What a Bash command may write (immutable; built without `dataclasses` to keep imports tiny).

    `paths`: files and folders written (a folder: anything beneath it may be written), absolute,
    normalised lexically (`..` resolved, symlinks not followed), deduplicated, in order of
    appearance. Unquoted glob characters are kept (`/repo/src/*.py`): match with `fnmatch` too.
    `opaque`: programs that may write files nobody can name from the text: inline code
    (`python -c`, `perl -e`, `node -e`), `xargs rm`, a target built from an unknown variable
    (`redirect` for `> "$f"`), `unparseable` when the command cannot be tokenised.
    `mentions`: every path-like word (and path-like piece of inline code), absolute, so a caller
    can refuse an opaque writer that mentions a protected path.
    """

    __slots__ = ("paths", "opaque", "mentions")
    paths: tuple[str, ...]
    opaque: tuple[str, ...]
    mentions: tuple[str, ...]

    def __init__(self, paths: tuple[str, ...], opaque: tuple[str, ...], mentions: tuple[str, ...]) -> None:
        object.__setattr__(self, "paths", paths)
        object.__setattr__(self, "opaque", opaque)
        object.__setattr__(self, "mentions", mentions)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"BashWrites is immutable: cannot set {name}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BashWrites):
            return NotImplemented
        return (self.paths, self.opaque, self.mentions) == (
            other.paths,
            other.opaque,
            other.mentions,
        )

    def __hash__(self) -> int:
        return hash((self.paths, self.opaque, self.mentions))

    def __repr__(self) -> str:
        return f"BashWrites(paths={self.paths!r}, opaque={self.opaque!r}, mentions={self.mentions!r})"


def written_paths(command: str, cwd: str) -> BashWrites:
    """Which files `command`, run by Bash in the absolute folder `cwd`, may write. Never raises
    on malformed input: a command that cannot be tokenised is reported as `unparseable`."""
    analyser = _Analyser(cwd)
    try:
        analyser.run_tokens(_Lexer(command).tokens(), subshell=False)
        analyser.run_traps()
    except _Unparseable:
        return _unparseable(command, cwd)
    return analyser.result()


def _unparseable(command: str, cwd: str) -> BashWrites:
    analyser = _Analyser(cwd)
    analyser.opaque["unparseable"] = None
    for word in command.split():
        analyser.mention(word)
    return analyser.result()


class _Unparseable(Exception):
    """Unbalanced quotes, an unterminated `$(`, or nesting deeper than `_MAX_NEST`."""


# ---------------------------------------------------------------------------------------------
# Lexer

_MAX_NEST = 32  # nested $(…), sh -c, eval, groups: deeper is refused as unparseable
_MAX_WORDS = 64  # words one brace expansion may produce

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
_HEREDOCS = frozenset({"<<", "<<-"})
_WRITE_REDIRECTS = frozenset({">", ">>", ">|", "&>", "&>>", "<>", ">&"})
_ARITH_AFTER = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "for", "{"})
_HEX = frozenset("0123456789abcdefABCDEF")
_OCTAL = frozenset("01234567")
_C_ESCAPES = {
    "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
    "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?",
}  # fmt: skip


class _Part:
    """A piece of a word. `kind`: `lit` (text, `quoted` or not), `var` (a variable name), `dyn`
    (an expansion whose value is unknown, `${…}` or `$((…))`; `parts` holds what is inside it),
    `sub` (`$(…)` or backticks: `toks`), `proc` (`<(…)`)."""

    __slots__ = ("kind", "text", "quoted", "toks", "parts")

    def __init__(
        self,
        kind: str,
        text: str,
        quoted: bool = False,
        toks: list[_Tok] | None = None,
        parts: list[_Part] | None = None,
    ) -> None:
        self.kind, self.text, self.quoted = kind, text, quoted
        self.toks: list[_Tok] = toks or []
        self.parts: list[_Part] = parts or []


class _Word:
    __slots__ = ("parts",)

    def __init__(self, parts: list[_Part]) -> None:
        self.parts = parts

    def literal(self) -> str | None:
        """The text of a plain unquoted word (reserved words, `{`, descriptor numbers)."""
        if len(self.parts) == 1 and self.parts[0].kind == "lit" and not self.parts[0].quoted:
            return self.parts[0].text
        return None


class _Op:
    """An operator; for an arithmetic command `((…))`, `parts` holds its substitutions."""

    __slots__ = ("op", "parts")

    def __init__(self, op: str, parts: list[_Part] | None = None) -> None:
        self.op = op
        self.parts: list[_Part] = parts or []


class _Redir:
    """A redirection: operator, descriptor prefix, target word (a here-document's delimiter),
    and the here-document's body."""

    __slots__ = ("op", "fd", "target", "body")

    def __init__(self, op: str, fd: str | None, target: _Word | None) -> None:
        self.op, self.fd, self.target = op, fd, target
        self.body: _Word | None = None


_Tok = _Word | _Op | _Redir


class _Lexer:
    """Splits shell source into words, operators and redirections, keeping quoting information."""

    def __init__(self, source: str, nest: int = 0) -> None:
        self.s, self.i, self.nest = source, 0, nest

    def tokens(self, until_paren: bool = False) -> list[_Tok]:
        """Tokens up to the end, or (inside `$(…)`) up to the unmatched `)`."""
        s, n = self.s, len(self.s)
        out: list[_Tok] = []
        heredocs: list[_Redir] = []
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
                out.append(_Op("\n"))
                for redirect in heredocs:
                    self._heredoc(redirect)
                heredocs.clear()
            elif c in "<>" and s.startswith("(", self.i + 1):
                out.append(self._word())
            elif c == "(" and s.startswith("((", self.i) and _at_start(out):
                arithmetic = self._arith()
                out.append(_Op("((", arithmetic) if arithmetic is not None else self._operator_tok())
            elif c in _META:
                if c == ")" and until_paren and depth == 0:
                    self.i += 1
                    return out
                op = self._operator()
                if op in _REDIRECTS:
                    out.append(self._redirect(op, None, heredocs))
                else:
                    depth += (op == "(") - (op == ")")
                    out.append(_Op(op))
            else:
                out.append(self._word_or_redirect(heredocs))
        if until_paren:
            raise _Unparseable("unterminated $(")
        return out

    def _operator_tok(self) -> _Op:
        return _Op(self._operator())

    def _operator(self) -> str:
        op = next(o for o in _OPERATORS_BY_CHAR[self.s[self.i]] if self.s.startswith(o, self.i))
        self.i += len(op)
        return op

    def _word_or_redirect(self, heredocs: list[_Redir]) -> _Tok:
        word = self._word()
        s = self.s
        if self.i < len(s) and s[self.i] in "<>" and not s.startswith("(", self.i + 1):
            fd = word.literal()
            if fd is not None and fd.isascii() and fd.isdigit():
                return self._redirect(self._operator(), fd, heredocs)
        return word

    def _redirect(self, op: str, fd: str | None, heredocs: list[_Redir]) -> _Redir:
        s, n = self.s, len(self.s)
        while self.i < n and s[self.i] in _BLANK:
            self.i += 1
        target = None
        if self.i < n and (s[self.i] not in _META or s.startswith(("<(", ">("), self.i)):
            target = self._word()
        redirect = _Redir(op, fd, target)
        if op in _HEREDOCS and target is not None:
            heredocs.append(redirect)
        return redirect

    def _heredoc(self, redirect: _Redir) -> None:
        """Read a here-document's body (the lines after the command, up to its delimiter)."""
        if redirect.target is None:
            return
        parts = redirect.target.parts
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
            redirect.body = _Word([_Part("lit", body, quoted=True)])
        else:  # an unquoted delimiter: the body is expanded like a double-quoted string
            redirect.body = _Word(_Lexer(body, self.nest).double_quoted(None))

    def _word(self) -> _Word:
        s, n = self.s, len(self.s)
        parts: list[_Part] = []
        start = self.i
        while self.i < n:
            c = s[self.i]
            if c in _META:
                if c in "<>" and self.i == start and s.startswith("(", self.i + 1):
                    parts.append(self._substitution(self.i + 2, "proc"))
                    continue
                if c == "(" and len(parts) == 1 and _is_lit(parts[0]) and parts[0].text[-1:] == "=":
                    parts.append(self._substitution(self.i + 1, "sub"))  # name=(array …)
                    continue
                break
            if c not in _WORD_STOP:
                j = self.i + 1
                while j < n and s[j] not in _WORD_STOP:
                    j += 1
                parts.append(_Part("lit", s[self.i : j]))
                self.i = j
            elif c == "\\":
                self._escape(parts)
            elif c == "'":
                end = s.find("'", self.i + 1)
                if end < 0:
                    raise _Unparseable("unterminated single quote")
                parts.append(_Part("lit", s[self.i + 1 : end], quoted=True))
                self.i = end + 1
            elif c == '"':
                self.i += 1
                parts.extend(self.double_quoted('"'))
            elif c == "$":
                parts.append(self._dollar(quoted=False))
            else:
                parts.append(self._backtick(quoted=False))
        return _Word(parts)

    def _escape(self, parts: list[_Part]) -> None:
        s = self.s
        if self.i + 1 >= len(s):
            parts.append(_Part("lit", "\\"))
            self.i += 1
        elif s[self.i + 1] == "\n":
            self.i += 2
        else:
            parts.append(_Part("lit", s[self.i + 1], quoted=True))
            self.i += 2

    def double_quoted(self, term: str | None) -> list[_Part]:
        """The parts of a double-quoted string (or, with no terminator, a here-document body)."""
        s, n = self.s, len(self.s)
        parts: list[_Part] = []
        while self.i < n:
            c = s[self.i]
            if c == term:
                self.i += 1
                return parts
            if c == "\\" and self.i + 1 < n and s[self.i + 1] in '$`"\\\n':
                if s[self.i + 1] != "\n":
                    parts.append(_Part("lit", s[self.i + 1], quoted=True))
                self.i += 2
            elif c == "$":
                parts.append(self._dollar(quoted=True))
            elif c == "`":
                parts.append(self._backtick(quoted=True))
            else:
                j = self.i + 1
                while j < n and s[j] not in _DQ_STOP:
                    j += 1
                parts.append(_Part("lit", s[self.i : j], quoted=True))
                self.i = j
        if term is not None:
            raise _Unparseable("unterminated double quote")
        return parts

    def _dollar(self, quoted: bool) -> _Part:
        s, i = self.s, self.i
        nxt = s[i + 1] if i + 1 < len(s) else ""
        if nxt == "(":
            if s.startswith("((", i + 1):
                end = _arith_end(s, i + 3)
                if end > 0:
                    self.i = end
                    return _Part("dyn", s[i:end], quoted, parts=self._inner(s[i + 3 : end - 2]))
            return self._substitution(i + 2, "sub")
        if nxt == "{":
            return self._parameter(quoted)
        if nxt == "'" and not quoted:
            return self._ansi_c()
        if nxt == '"' and not quoted:  # $"…": a translated string, read as a plain one
            self.i += 1
            return _Part("lit", "")
        if nxt == "_" or (nxt.isascii() and nxt.isalpha()):
            j = i + 2
            while j < len(s) and (s[j] == "_" or (s[j].isascii() and s[j].isalnum())):
                j += 1
            self.i = j
            return _Part("var", s[i + 1 : j], quoted)
        if nxt.isascii() and nxt.isdigit():
            self.i = i + 2
            return _Part("var", nxt, quoted)
        if nxt and nxt in "@*#?$!-":
            self.i = i + 2
            return _Part("dyn", s[i : i + 2], quoted)
        self.i = i + 1
        return _Part("lit", "$", quoted)

    def _substitution(self, body_start: int, kind: str) -> _Part:
        if self.nest >= _MAX_NEST:
            raise _Unparseable("nested too deeply")
        start = self.i
        inner = _Lexer(self.s, self.nest + 1)
        inner.i = body_start
        toks = inner.tokens(until_paren=True)
        self.i = inner.i
        return _Part(kind, self.s[start : self.i], toks=toks)

    def _backtick(self, quoted: bool) -> _Part:
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
            raise _Unparseable("unterminated backquote")
        if self.nest >= _MAX_NEST:
            raise _Unparseable("nested too deeply")
        raw = s[self.i : j + 1]
        self.i = j + 1
        return _Part("sub", raw, toks=_Lexer("".join(body), self.nest + 1).tokens())

    def _parameter(self, quoted: bool) -> _Part:
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
                    raise _Unparseable("unterminated quote in ${…}")
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
            raise _Unparseable("unterminated ${")
        raw, inner = s[self.i : j + 1], s[self.i + 2 : j]
        self.i = j + 1
        if inner.isascii() and (inner.isdigit() or inner.isidentifier()):
            return _Part("var", inner, quoted)
        return _Part("dyn", raw, quoted, parts=self._inner(inner))

    def _ansi_c(self) -> _Part:
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
            raise _Unparseable("unterminated $'")
        self.i = j + 1
        return _Part("lit", "".join(out), quoted=True)

    def _arith(self) -> list[_Part] | None:
        """A `(( … ))` arithmetic command: the substitutions inside it, or None if it is not one."""
        end = _arith_end(self.s, self.i + 2)
        if end < 0:
            return None
        inner = self.s[self.i + 2 : end - 2]
        self.i = end
        return self._inner(inner)

    def _inner(self, text: str) -> list[_Part]:
        """The parts of text inside `${…}` or `$((…))`, for the substitutions it contains."""
        if self.nest >= _MAX_NEST:
            raise _Unparseable("nested too deeply")
        return _Lexer(text, self.nest + 1).double_quoted(None)


def _is_lit(part: _Part) -> bool:
    return part.kind == "lit" and not part.quoted


def _at_start(out: list[_Tok]) -> bool:
    """Whether the next token is in command position (for telling `((` from `( (`)."""
    if not out:
        return True
    last = out[-1]
    if isinstance(last, _Word):
        return last.literal() in _ARITH_AFTER
    return isinstance(last, _Op)


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


# ---------------------------------------------------------------------------------------------
# Analyser: shell state and results

_Arg = tuple[str, bool]  # an expanded word: its text, and whether it depends on something unknown
_Dir = tuple[str, bool]  # a candidate working folder, and whether it is unknown
_State = tuple[
    tuple[_Dir, ...],
    tuple[_Dir, ...] | None,
    tuple[_Dir, ...] | None,
    dict[str, str | None],
    list[tuple[_Dir, ...]],
]

_PWD = "\ue003"  # stands for the working folder until a path is resolved
_HOLE = "\ue004"  # stands for the file names xargs supplies
_LB, _COMMA, _RB = "\ue000", "\ue001", "\ue002"  # unquoted `{` `,` `}` (brace expansion)
_MARK = str.maketrans({"{": _LB, ",": _COMMA, "}": _RB})
_UNMARK = str.maketrans({_LB: "{", _COMMA: ",", _RB: "}"})
_CODE_CHARS = frozenset(" \t\n\r'\"`()[]{};,<>|&=:")
_SPLIT = str.maketrans({c: " " for c in _CODE_CHARS})
_FD_FOLDERS = ("/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/")
_DEVICES = frozenset({"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/stdin", "/dev/tty"})
# Variables whose value a program runs as a shell command.
_COMMAND_VARS = frozenset({
    "GIT_EXTERNAL_DIFF", "GIT_SSH_COMMAND", "GIT_SSH", "GIT_EDITOR", "GIT_PAGER", "GIT_ASKPASS",
    "GIT_SEQUENCE_EDITOR", "SSH_ASKPASS", "SUDO_ASKPASS", "PAGER", "MANPAGER", "EDITOR", "VISUAL",
    "PROMPT_COMMAND", "LESSOPEN", "LESSCLOSE", "RSYNC_RSH",
})  # fmt: skip


class _Ctx:
    """One simple command as its program sees it: its name, its stdin, its environment prefix."""

    __slots__ = ("name", "stdin", "piped_in", "env")

    def __init__(self, piped_in: bool) -> None:
        self.name = ""
        self.stdin: str | None = None  # the text of a here-document or here-string
        self.piped_in = piped_in
        self.env: dict[str, str | None] = {}


class _Analyser:
    """Collects what a command writes while `_Script` walks it, and holds the shell's state."""

    def __init__(self, cwd: str) -> None:
        self.paths: dict[str, None] = {}
        self.opaque: dict[str, None] = {}
        self.mentions: dict[str, None] = {}
        self.cwds: tuple[_Dir, ...] = ((_norm("/" + cwd if cwd[:1] != "/" else cwd), False),)
        self.pending: tuple[_Dir, ...] | None = None  # where we were before an unproven `cd`
        self.oldpwd: tuple[_Dir, ...] | None = None
        self.vars: dict[str, str | None] = {}  # None: set, but to something unknown
        self.dirstack: list[tuple[_Dir, ...]] = []
        self.traps: list[tuple[str, tuple[_Dir, ...]]] = []
        self.nest = 0
        self.replaying = False

    def result(self) -> BashWrites:
        return BashWrites(tuple(self.paths), tuple(self.opaque), tuple(self.mentions))

    def child(self) -> _Analyser:
        """A fresh result set over the same state (for `xargs CMD`)."""
        other = _Analyser("/")
        other.cwds, other.vars, other.nest = self.cwds, dict(self.vars), self.nest
        return other

    # -- state ----------------------------------------------------------------------------

    def save(self) -> _State:
        return (self.cwds, self.pending, self.oldpwd, dict(self.vars), list(self.dirstack))

    def restore(self, state: _State) -> None:
        self.cwds, self.pending, self.oldpwd, variables, stack = state
        self.vars, self.dirstack = dict(variables), list(stack)

    def settle(self) -> None:
        """After `;`, `||`, `&` an unproven `cd` may have failed: keep both folders."""
        if self.pending is not None:
            self.cwds = _union(self.cwds, self.pending)
            self.pending = None

    def chdir(self, targets: list[_Dir]) -> None:
        """`cd`: proven when the folder exists now and nothing earlier in the command writes it."""
        if not targets:
            return
        proven = all(
            not unknown and os.path.isdir(path) and not self._written_above(path) for path, unknown in targets
        )
        if not proven:
            self.pending = self.cwds if self.pending is None else _union(self.pending, self.cwds)
        self.oldpwd, self.cwds = self.cwds, tuple(targets)

    def _written_above(self, path: str) -> bool:
        return any(path == w or path.startswith(w.rstrip("/") + "/") for w in self.paths)

    def enter(self, folders: list[_Arg]) -> tuple[_Dir, ...]:
        """Move into `folders` one after the other (`git -C`, `env -C`); returns where we were."""
        saved = self.cwds
        for folder in folders:
            self.cwds = tuple(self.resolve(*folder))
        return saved

    def var(self, name: str) -> str | None:
        if name == "PWD":
            return _PWD
        if name == "HOME":
            home = os.path.expanduser("~")
            return None if home == "~" else home
        return self.vars.get(name)

    def set_var(self, name: str, value: str | None) -> None:
        """A variable given two different values is unknown (either branch may have run)."""
        if name in self.vars and self.vars[name] != value:
            value = None
        self.vars[name] = value

    # -- recursion ------------------------------------------------------------------------

    def run_tokens(
        self, toks: list[_Tok], subshell: bool, params: dict[str, str | None] | None = None
    ) -> None:
        saved = self.save() if subshell else None
        if params:
            self.vars.update(params)
        _Script(self, toks).run()
        if saved is not None:
            self.restore(saved)

    def recurse(
        self,
        text: str,
        prog: str,
        subshell: bool = True,
        params: dict[str, str | None] | None = None,
    ) -> None:
        """Analyse `text` as shell source (`sh -c`, `eval`); opaque when it cannot be parsed."""
        try:
            if self.nest >= _MAX_NEST:
                raise _Unparseable("nested too deeply")
            toks = _Lexer(text, self.nest).tokens()
        except _Unparseable:
            self.inline_code(prog, text)
            return
        self.run_tokens(toks, subshell, params)

    def run_traps(self) -> None:
        """A trap runs when the shell exits: in the last folder, or the one it was set in."""
        while self.traps:
            body, cwds = self.traps.pop(0)
            self.cwds = _union(self.cwds, cwds)
            self.recurse(body, "trap")

    # -- words ----------------------------------------------------------------------------

    def expand(self, word: _Word) -> list[_Arg]:
        """A word as arguments: variables substituted, braces expanded, substitutions analysed."""
        text, dyn = self._join(word.parts, braces=True)
        if _LB not in text:
            return [(text, dyn)]
        texts = _brace_expand(text)
        if texts is None:
            return [(text.translate(_UNMARK), True)]
        return [(t.translate(_UNMARK), dyn) for t in texts]

    def expand_value(self, word: _Word) -> _Arg:
        """A word as one string (assignment values, here-documents): no brace expansion."""
        return self._join(word.parts, braces=False)

    def expand_parts(self, parts: list[_Part]) -> None:
        """Analyse the substitutions inside an arithmetic command."""
        self._join(parts, braces=False)

    def _join(self, parts: list[_Part], braces: bool) -> _Arg:
        chunks: list[str] = []
        dyn = False
        for index, part in enumerate(parts):
            kind, text = part.kind, part.text
            if kind == "lit":
                if not part.quoted:
                    if index == 0 and text.startswith("~"):
                        text = _tilde(text, alone=len(parts) == 1)
                    if braces and "{" in text:
                        text = text.translate(_MARK)
                chunks.append(text)
            elif kind == "var":
                value = self.var(text)
                if value is None or (not part.quoted and any(c in value for c in " \t\n")):
                    dyn = True  # unknown, or split into several words
                    chunks.append("$" + text)
                else:
                    chunks.append(value)
            elif kind == "proc":
                self.run_tokens(part.toks, subshell=True)
                chunks.append("/dev/fd/63")
            else:
                if kind == "sub":
                    self.run_tokens(part.toks, subshell=True)
                else:
                    self._join(part.parts, braces=False)
                dyn = True
                chunks.append(text)
        return "".join(chunks), dyn

    # -- results --------------------------------------------------------------------------

    def resolve(self, text: str, dyn: bool) -> list[_Dir]:
        """Absolute, normalised paths for `text` in each candidate working folder."""
        found: dict[str, bool] = {}
        for cwd, unknown in self.cwds:
            here = text.replace(_PWD, cwd) if _PWD in text else text
            if here.startswith("/"):
                path, flag = here, dyn or (unknown and _PWD in text)
            else:
                path, flag = cwd + "/" + here, dyn or unknown
            path = _proc(_norm(path), cwd)
            found[path] = found.get(path, False) or flag
            if text.startswith("/"):
                break
        return list(found.items())

    def write(self, arg: _Arg, prog: str) -> None:
        """`prog` writes the file `arg`; if its name is not known, `prog` is opaque."""
        text, dyn = arg
        if not text:
            return
        for path, unknown in self.resolve(text, dyn):
            if path in _DEVICES:
                continue
            if path.startswith(_FD_FOLDERS):
                if "/" in path.partition("/fd/")[2]:  # a descriptor open on a folder
                    self.mentions[path] = self.opaque[prog] = None
                continue
            self.mentions[path] = None
            if unknown:
                self.opaque[prog] = None
            else:
                self.paths[path] = None

    def write_into(self, folder: _Arg, source: _Arg, prog: str) -> None:
        """`prog` puts `source` into `folder` (`cp a b dir/`): `folder/<name of source>`."""
        name = source[0].rstrip("/").rpartition("/")[2]
        if source[1] or name in ("", ".", ".."):
            self.write(folder, prog)
        else:
            self.write((folder[0].rstrip("/") + "/" + name, folder[1]), prog)

    def whole_tree(self, prog: str, repo: bool, tree: _Arg | None = None) -> None:
        """`prog` writes files we cannot name, somewhere under the repository (or the folder)."""
        self.opaque[prog] = None
        if tree is not None:
            self.write(tree, prog)
            return
        for cwd, unknown in self.cwds:
            if not unknown:
                root = _repo_root(cwd) if repo else cwd
                self.paths[root] = self.mentions[root] = None

    def run_script(self, script: _Arg, prog: str) -> None:
        """Running a script is normal work, unless this command wrote the script first."""
        if any(path in self.paths or unknown for path, unknown in self.resolve(*script)):
            self.opaque[prog] = None

    def inline_code(self, prog: str, code: str) -> None:
        self.opaque[prog] = None
        self.mention(code)

    def mention(self, text: str) -> None:
        """Record the path-like words of `text`: the whole word, or pieces of inline code."""
        if text.startswith("-"):
            text = text.partition("=")[2]
        if not text:
            return
        if _CODE_CHARS.isdisjoint(text):
            pieces = [text]
        else:
            pieces = [p for p in text.translate(_SPLIT).split() if "/" in p or "." in p]
        for piece in pieces:
            for path, _ in self.resolve(piece, False):
                self.mentions[path] = None

    def is_dir(self, arg: _Arg) -> bool:
        return any(not unknown and os.path.isdir(p) for p, unknown in self.resolve(*arg))

    def exists(self, arg: _Arg) -> bool:
        return any(not unknown and os.path.lexists(p) for p, unknown in self.resolve(*arg))

    # -- commands -------------------------------------------------------------------------

    def simple(self, words: list[_Word], redirects: list[_Redir], piped: bool) -> None:
        """A simple command: assignments, words, redirections."""
        ctx = _Ctx(piped)
        index = 0
        while index < len(words) and (assignment := _assignment(words[index])) is not None:
            name, value = assignment
            text, dyn = self.expand_value(value)
            self.mention(text)
            if name in _COMMAND_VARS and text:
                self.recurse(text, name)
            ctx.env[name] = None if dyn else text
            index += 1
        argv = [arg for word in words[index:] for arg in self.expand(word)]
        for redirect in redirects:
            self.redirect(redirect, ctx)
        if not argv:
            for name, assigned in ctx.env.items():
                self.set_var(name, assigned)
            return
        for position, (text, _) in enumerate(argv):
            if position or "/" in text:
                self.mention(text)
        self.dispatch(argv, ctx)

    def redirect(self, redirect: _Redir, ctx: _Ctx | None) -> None:
        op, target = redirect.op, redirect.target
        stdin = redirect.fd in (None, "0")
        if op in _HEREDOCS or op == "<<<":
            word = target if op == "<<<" else redirect.body
            text = self.expand_value(word)[0] if word is not None else ""
            if ctx is not None and stdin:
                ctx.stdin, ctx.piped_in = text, False
            return
        if target is None:
            return
        if op not in _WRITE_REDIRECTS:
            if op == "<":
                if ctx is not None and stdin:
                    ctx.stdin, ctx.piped_in = None, False
                for text, _ in self.expand(target):
                    self.mention(text)
            return
        for text, dyn in self.expand(target):
            if op == ">&" and (text == "-" or text.isdigit()):
                continue  # descriptor duplication, not a file
            self.write((text, dyn), "redirect")

    def dispatch(self, argv: list[_Arg], ctx: _Ctx) -> None:
        """Run the rule for the program named by `argv[0]`."""
        if not argv:
            return
        text, dyn = argv[0]
        folder, _, name = text.rpartition("/")
        if dyn and not (folder and _plain_name(name)):
            self.opaque[text] = None  # `$CMD …`: the program itself is unknown
            return
        handler = _HANDLERS.get(name)
        if handler is None and _is_python(name):
            name, handler = "python", _python
        if handler is None and folder:
            self.run_script(argv[0], name)
        if handler is not None:
            ctx.name = name
            handler(self, argv[1:], ctx)


def _plain_name(name: str) -> bool:
    return bool(name) and all(c.isalnum() or c in "._+-" for c in name)


def _assignment(word: _Word) -> tuple[str, _Word] | None:
    """`NAME=value` (also `NAME+=`, `NAME[i]=`): the name, and the value as a word."""
    if not word.parts or not _is_lit(word.parts[0]):
        return None
    name, eq, rest = word.parts[0].text.partition("=")
    name = name.removesuffix("+").partition("[")[0]
    if not eq or not name.isidentifier() or not name.isascii():
        return None
    return name, _Word([_Part("lit", rest), *word.parts[1:]])


def _tilde(text: str, alone: bool) -> str:
    head, slash, tail = text.partition("/")
    if not slash and not alone:
        return text
    home = os.path.expanduser(head)
    return text if home == head else home + slash + tail


def _norm(path: str) -> str:
    path = os.path.normpath(path)
    return "/" + path.lstrip("/") if path.startswith("//") else path


def _proc(path: str, cwd: str) -> str:
    """`/proc/self/cwd/x` is `cwd/x`; `/proc/self/root/x` is `/x`."""
    if not path.startswith("/proc/"):
        return path
    for link, target in (("/proc/self/cwd", cwd), ("/proc/thread-self/cwd", cwd)):
        if path == link or path.startswith(link + "/"):
            return _norm(target + path[len(link) :])
    for link in ("/proc/self/root", "/proc/thread-self/root", "/proc/1/root"):
        if path == link or path.startswith(link + "/"):
            return _norm("/" + path[len(link) :])
    return path


def _union(first: tuple[_Dir, ...], second: tuple[_Dir, ...]) -> tuple[_Dir, ...]:
    return tuple(dict.fromkeys(first + second))


def _repo_root(folder: str) -> str:
    """The top of the git work tree holding `folder` (the folder itself when there is none)."""
    current = folder
    for _ in range(64):
        if os.path.lexists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    return folder


def _is_python(name: str) -> bool:
    for prefix in ("python", "pypy"):
        if name.startswith(prefix):
            return all(c.isdigit() or c == "." for c in name[len(prefix) :])
    return False


def _brace_expand(text: str) -> list[str] | None:
    """Bash brace expansion over marked braces; None when it would make too many words."""
    if text.count(_LB) > 16:
        return None
    out = _braces(text)
    return out if len(out) <= _MAX_WORDS else None


def _braces(text: str) -> list[str]:
    start = text.find(_LB)
    while start >= 0:
        depth, end = 0, -1
        commas: list[int] = []
        for j in range(start, len(text)):
            c = text[j]
            if c == _LB:
                depth += 1
            elif c == _RB:
                depth -= 1
                if depth == 0:
                    end = j
                    break
            elif c == _COMMA and depth == 1:
                commas.append(j)
        if end < 0:
            return [text]
        if commas:
            cuts = [start, *commas, end]
            options = [text[a + 1 : b] for a, b in zip(cuts, cuts[1:], strict=False)]
        else:
            options = _sequence(text[start + 1 : end])
        if options:
            out: list[str] = []
            for option in options:
                out.extend(_braces(text[:start] + option + text[end + 1 :]))
                if len(out) > _MAX_WORDS:
                    break
            return out
        start = text.find(_LB, start + 1)
    return [text]


def _sequence(inner: str) -> list[str]:
    """`{1..5}`, `{a..e}`, `{0..10..2}`."""
    bounds = inner.split("..")
    if len(bounds) not in (2, 3) or not all(_is_int(b) or len(b) == 1 for b in bounds):
        return []
    step = abs(int(bounds[2])) if len(bounds) == 3 and _is_int(bounds[2]) else 1
    step = step or 1
    if _is_int(bounds[0]) and _is_int(bounds[1]):
        first, last = int(bounds[0]), int(bounds[1])
        numbers = range(first, last + 1, step) if first <= last else range(first, last - 1, -step)
        return [str(v) for v in numbers[: _MAX_WORDS + 1]]
    if bounds[0].isalpha() and bounds[1].isalpha() and len(bounds[0]) == len(bounds[1]) == 1:
        first, last = ord(bounds[0]), ord(bounds[1])
        codes = range(first, last + 1, step) if first <= last else range(first, last - 1, -step)
        return [chr(v) for v in codes[: _MAX_WORDS + 1]]
    return []


def _is_int(text: str) -> bool:
    digits = text.removeprefix("-")
    return digits.isascii() and digits.isdigit()


# ---------------------------------------------------------------------------------------------
# Script: lists, pipelines and compound commands

_NONE: frozenset[str] = frozenset()
_SEPARATORS = frozenset({";", "\n", "&", "&&", "||", "|", "|&", ";;", ";&", ";;&"})
_PREFIX_WORDS = frozenset({"then", "else", "elif", "do", "!", "time"})
_CLOSE_PAREN = frozenset({")"})
_DONE = frozenset({"done"})
_ESAC = frozenset({"esac"})
_CASE_ENDS = frozenset({";;", ";&", ";;&"})


class _Script:
    """Walks one list of tokens the way Bash runs it, handing simple commands to the analyser."""

    def __init__(self, an: _Analyser, toks: list[_Tok]) -> None:
        self.an, self.toks, self.pos = an, toks, 0

    def _peek(self, ahead: int = 0) -> _Tok | None:
        index = self.pos + ahead
        return self.toks[index] if index < len(self.toks) else None

    def _peek_word(self) -> str | None:
        tok = self._peek()
        return tok.literal() if isinstance(tok, _Word) else None

    def _at_op(self, op: str, ahead: int = 0) -> bool:
        tok = self._peek(ahead)
        return isinstance(tok, _Op) and tok.op == op

    def run(self, closers: frozenset[str] = _NONE, stops: frozenset[str] = _NONE) -> str:
        """Run commands up to a closing word (`fi`, `done`, `}`) or operator; return which."""
        an = self.an
        an.nest += 1
        if an.nest > _MAX_NEST:
            raise _Unparseable("nested too deeply")
        list_start = pipe_start = an.save()
        piped, ended = False, ""
        while (tok := self._peek()) is not None:
            word = tok.literal() if isinstance(tok, _Word) else None
            if isinstance(tok, _Op) and tok.op in stops:
                ended = tok.op
            elif word is not None and word in closers:
                ended = word
            if ended:
                self.pos += 1
                break
            if not isinstance(tok, _Op) or tok.op not in _SEPARATORS:
                self._command(piped)
                continue
            self.pos += 1
            if tok.op in ("|", "|&"):  # each element of a pipeline runs in a subshell
                an.restore(pipe_start)
                piped = True
                continue
            if piped:
                an.restore(pipe_start)
                piped = False
            if tok.op == "&":
                an.restore(list_start)
            if tok.op != "&&":
                an.settle()
            if tok.op not in ("&&", "||"):
                list_start = an.save()
            pipe_start = an.save()
        if piped:
            an.restore(pipe_start)
        an.settle()
        an.nest -= 1
        return ended

    def _command(self, piped: bool) -> None:
        tok = self.toks[self.pos]
        if isinstance(tok, _Op):
            self.pos += 1
            self.an.expand_parts(tok.parts)
            if tok.op == "(":
                saved = self.an.save()
                self.run(stops=_CLOSE_PAREN)
                self.an.restore(saved)
                self._trailing(saved[0])
            return
        word = tok.literal() if isinstance(tok, _Word) else None
        if word in _PREFIX_WORDS:
            self.pos += 1
            if word == "time" and self._peek_word() == "-p":
                self.pos += 1
        elif word == "{":
            self._group("}")
        elif word == "if":
            self._group("fi")
        elif word in ("while", "until", "for", "select"):
            self._loop(head=word in ("for", "select"))
        elif word == "case":
            self._case()
        elif word == "[[":
            self._test()
        elif word == "function":
            self._function(named=True)
        elif word is not None and self._at_op("(", 1) and self._at_op(")", 2):
            self._function(named=False)
        else:
            self._simple(piped)

    def _group(self, closer: str) -> None:
        self.pos += 1
        start = self.an.cwds
        self.run(closers=frozenset({closer}))
        self._trailing(start)

    def _loop(self, head: bool) -> None:
        """`while`/`until`/`for`: a `cd` in the body also applies to the next iteration."""
        an = self.an
        self.pos += 1
        if head:
            self._for_head()
        start, mark = an.cwds, self.pos
        self.run(closers=_DONE)
        if set(an.cwds) != set(start) and not an.replaying:
            end = self.pos
            an.cwds = _union(start, an.cwds)
            an.replaying, self.pos = True, mark
            self.run(closers=_DONE)
            an.replaying, self.pos = False, end
        self._trailing(start)

    def _for_head(self) -> None:
        """`for NAME in WORDS;` (or `for ((…));`): analyse the words, bind a single value."""
        if isinstance(tok := self._peek(), _Op) and tok.op == "((":
            self.pos += 1
            self.an.expand_parts(tok.parts)
            self._skip(";", "\n")
            return
        name = self._peek_word()
        self.pos += 1
        self._skip("\n")
        values: list[_Arg] = []
        if self._peek_word() == "in":
            self.pos += 1
            while isinstance(tok := self._peek(), _Word):
                values.extend(self.an.expand(tok))
                self.pos += 1
        for text, _ in values:
            self.an.mention(text)
        if name:
            single = len(values) == 1 and not values[0][1]
            self.an.set_var(name, values[0][0] if single else None)
        self._skip(";", "\n")

    def _case(self) -> None:
        self.pos += 1
        start = self.an.cwds
        if isinstance(tok := self._peek(), _Word):
            self.an.expand(tok)
            self.pos += 1
        self._skip("\n")
        if self._peek_word() == "in":
            self.pos += 1
        while True:
            self._skip(";", "\n")
            if self._peek() is None:
                return
            if self._peek_word() == "esac":
                self.pos += 1
                break
            if not self._pattern():
                return
            if self.run(closers=_ESAC, stops=_CASE_ENDS) in ("esac", ""):
                break
        self._trailing(start)

    def _pattern(self) -> bool:
        """Skip a `case` pattern list up to its `)`."""
        if self._at_op("("):
            self.pos += 1
        while (tok := self._peek()) is not None:
            self.pos += 1
            if isinstance(tok, _Op):
                if tok.op == ")":
                    return True
                if tok.op != "|":
                    return False
            elif isinstance(tok, _Word):
                self.an.expand(tok)
        return False

    def _test(self) -> None:
        """`[[ … ]]`: no command runs and `<`/`>` compare; only substitutions matter."""
        self.pos += 1
        while (tok := self._peek()) is not None:
            self.pos += 1
            if isinstance(tok, _Word):
                if tok.literal() == "]]":
                    return
                self.an.expand(tok)
            elif isinstance(tok, _Redir) and tok.target is not None:
                self.an.expand(tok.target)

    def _function(self, named: bool) -> None:
        """A function definition: its body is analysed now, as if it were called."""
        self.pos += 2 if named else 1
        if self._at_op("(") and self._at_op(")", 1):
            self.pos += 2
        self._skip("\n")
        if self._peek() is None:
            return
        start = self.an.cwds
        self._command(False)
        self.an.cwds = _union(start, self.an.cwds)

    def _trailing(self, start: tuple[_Dir, ...]) -> None:
        """Redirections after a compound command, opened in the folder it started in."""
        while isinstance(tok := self._peek(), _Redir):
            self.pos += 1
            current, self.an.cwds = self.an.cwds, start
            self.an.redirect(tok, None)
            self.an.cwds = current

    def _simple(self, piped: bool) -> None:
        words: list[_Word] = []
        redirects: list[_Redir] = []
        while (tok := self._peek()) is not None and not isinstance(tok, _Op):
            if isinstance(tok, _Word):
                words.append(tok)
            else:
                redirects.append(tok)
            self.pos += 1
        self.an.simple(words, redirects, piped)

    def _skip(self, *ops: str) -> None:
        while isinstance(tok := self._peek(), _Op) and tok.op in ops:
            self.pos += 1


# ---------------------------------------------------------------------------------------------
# Program rules

if TYPE_CHECKING:
    _Handler = Callable[[_Analyser, list[_Arg], _Ctx], None]
    _GitHandler = Callable[[_Analyser, list[_Arg], _Arg | None], None]
_Opts = list[tuple[str, _Arg | None]]


def _getopt(
    args: list[_Arg], short: str = "", long: frozenset[str] = _NONE, stop: bool = False
) -> tuple[_Opts, list[_Arg]]:
    """GNU-style options: clusters (`-xzf F`), attached values (`-oF`, `--out=F`), `--`.
    `short`/`long` name the options that take a value; `stop` ends options at the first operand."""
    opts: _Opts = []
    operands: list[_Arg] = []
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


def _has(opts: _Opts, *names: str) -> bool:
    return any(name in names for name, _ in opts)


def _values(opts: _Opts, *names: str) -> list[_Arg]:
    return [value for name, value in opts if name in names and value is not None]


def _operands(short: str = "", long: str = "") -> _Handler:
    """A program that writes each of its operands (`rm`, `touch`, `mkdir`, `tee`…)."""
    names = frozenset(long.split())

    def handler(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
        for arg in _getopt(args, short, names)[1]:
            an.write(arg, ctx.name)

    return handler


def _wrapper(short: str = "", long: str = "", skip: int = 0) -> _Handler:
    """A program that runs the rest of its arguments as a command (`nohup`, `timeout 5`)."""
    names = frozenset(long.split())

    def handler(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
        an.dispatch(_getopt(args, short, names, stop=True)[1][skip:], ctx)

    return handler


_MODE_LETTERS = frozenset("rwxXst")


def _chmod(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """chmod/chown/chgrp: the first operand is a mode or owner unless `--reference` gives it."""
    modes = [
        arg
        for arg in args
        if ctx.name == "chmod" and arg[0][:1] == "-" and _MODE_LETTERS.issuperset(arg[0][1:])
    ]
    rest = [arg for arg in args if arg not in modes]
    opts, operands = _getopt(rest, "", frozenset({"reference", "from"}))
    if not modes and not _has(opts, "reference"):
        operands = operands[1:]
    for arg in operands:
        an.write(arg, ctx.name)


_COPY_SHORT = {"cp": "tS", "mv": "tS", "ln": "tS", "install": "tSmog"}
_COPY_LONG = frozenset({"target-directory", "suffix", "mode", "owner", "group"})


def _copy(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """cp, mv, ln, install: the destination (and for mv the sources, which disappear)."""
    opts, operands = _getopt(args, _COPY_SHORT[ctx.name], _COPY_LONG)
    if ctx.name == "install" and _has(opts, "d", "directory"):
        for arg in operands:
            an.write(arg, ctx.name)
        return
    _transfer(an, opts, operands, ctx.name, moves=ctx.name == "mv")


def _transfer(an: _Analyser, opts: _Opts, operands: list[_Arg], prog: str, moves: bool) -> None:
    """SOURCE… DEST: DEST, or DEST/<name> for each source when DEST is a folder."""
    folders = _values(opts, "t", "target-directory")
    if folders:
        sources, dest, into = operands, folders[-1], True
    elif len(operands) >= 2:
        sources, dest = operands[:-1], operands[-1]
        into = not _has(opts, "T", "no-target-directory") and (
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


def _link(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    operands = _getopt(args)[1]
    if len(operands) >= 2:
        an.write(operands[1], "link")


def _dd(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    for text, dyn in args:
        if text.startswith("of="):
            an.write((text[3:], dyn), "dd")


def _sed(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """sed: `-i`/`--in-place` writes the file operands; `w FILE` in the script writes FILE."""
    inplace, index = False, 0
    scripts: list[str] = []
    operands: list[_Arg] = []
    while index < len(args):
        text, dyn = args[index]
        index += 1
        if text == "--":
            operands.extend(args[index:])
            break
        if text.startswith("--"):
            name, eq, value = text[2:].partition("=")
            inplace = inplace or name == "in-place"
            if name in ("expression", "file", "line-length"):
                if not eq and index < len(args):
                    value, index = args[index][0], index + 1
                if name != "line-length":  # a script file's commands are unknown: ""
                    scripts.append(value if name == "expression" else "")
        elif text.startswith("-") and len(text) > 1:
            for k in range(1, len(text)):
                letter = text[k]
                if letter == "i":  # the rest of the cluster is a backup suffix
                    inplace = True
                    if k == len(text) - 1 and index < len(args) and not args[index][0]:
                        index += 1  # BSD/macOS `sed -i '' SCRIPT FILE`: an empty suffix
                    break
                if letter in "efl":
                    value = text[k + 1 :]
                    if not value and index < len(args):
                        value, index = args[index][0], index + 1
                    if letter != "l":
                        scripts.append(value if letter == "e" else "")
                    break
        else:
            operands.append((text, dyn))
    if not scripts and operands:
        scripts.append(operands.pop(0)[0])
    for script in scripts:
        _sed_script(an, script)
    if inplace:
        for arg in operands:
            an.write(arg, "sed")


def _sed_script(an: _Analyser, script: str) -> None:
    """The `w FILE` commands (also `s///w FILE`) and `e` commands of a sed script."""
    i, n = 0, len(script)
    while i < n:
        c = script[i]
        i += 1
        if c in "/\\":  # a regular-expression address
            delimiter = c
            if c == "\\" and i < n:
                delimiter, i = script[i], i + 1
            i = _skip_delimited(script, i, delimiter)
        elif c in "sy" and i < n:
            delimiter = script[i]
            i = _skip_delimited(script, _skip_delimited(script, i + 1, delimiter), delimiter)
            while c == "s" and i < n and script[i] not in ";\n}":
                if script[i] == "w":
                    an.write((script[i + 1 : _eol(script, i)].strip(), False), "sed")
                    i = _eol(script, i)
                    break
                if script[i] == "e":
                    an.opaque["sed"] = None
                i += 1
        elif c in "wW":
            an.write((script[i : _eol(script, i)].strip(), False), "sed")
            i = _eol(script, i)
        elif c == "e":
            an.inline_code("sed", script[i : _eol(script, i)])
            i = _eol(script, i)
        elif c in "aicrR:#":  # text, a file to read, a label, a comment: to the end of the line
            i = _eol(script, i)
        elif c in "btT":
            while i < n and script[i] not in ";\n":
                i += 1


def _skip_delimited(text: str, i: int, delimiter: str) -> int:
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == delimiter:
            return i + 1
        else:
            i += 1
    return len(text)


def _eol(text: str, i: int) -> int:
    end = text.find("\n", i)
    return len(text) if end < 0 else end


_AWK_LONG = frozenset({"file", "assign", "field-separator", "include", "load", "source", "exec"})


def _awk(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """awk: opaque when the program redirects output, pipes, or calls `system`; gawk
    `-i inplace` writes the file operands."""
    opts, operands = _getopt(args, "fvFilEe", _AWK_LONG)
    inplace = any(value[0] == "inplace" for value in _values(opts, "i", "include"))
    programs = [value[0] for value in _values(opts, "e", "source")]
    if not programs and not _has(opts, "f", "file", "E", "exec") and operands:
        programs.append(operands.pop(0)[0])
    if any(_awk_writes(program) for program in programs):
        an.inline_code(ctx.name, "\n".join(programs))
    if inplace:
        for arg in operands:
            an.write(arg, ctx.name)


def _awk_writes(program: str) -> bool:
    """`print > "f"`, `print | "cmd"`, `"cmd" | getline`, `system(…)`."""
    i, n, printing, previous = 0, len(program), False, "("
    while i < n:
        c = program[i]
        if c == '"':
            i, previous = _skip_delimited(program, i + 1, '"'), "a"
            continue
        if c == "/" and previous in "(,~!{};&|=\n":  # a regular expression, not a division
            i, previous = _skip_delimited(program, i + 1, "/"), "a"
            continue
        if c == "#":
            i = _eol(program, i)
            continue
        if c.isalpha() or c == "_":
            j = i
            while j < n and (program[j].isalnum() or program[j] == "_"):
                j += 1
            word, i, previous = program[i:j], j, "a"
            if word == "system":
                return True
            if word in ("print", "printf"):
                printing, previous = True, "("
            continue
        if c == "|" and not program.startswith("||", i) and program[i - 1 : i] != "|":
            return True
        if c == ">" and printing:
            return True
        if c in ";\n{}":
            printing = False
        if c not in " \t":
            previous = c
        i += 1
    return False


def _inline(code: str, takes_next: str, glued: str) -> _Handler:
    """perl, ruby: `-e CODE` is opaque; `-i[SUFFIX]` edits the file operands in place."""

    def handler(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
        inplace, index = False, 0
        program: list[str] = []
        while index < len(args):
            text = args[index][0]
            if text == "--":
                index += 1
                break
            if not text.startswith("-") or text == "-":
                break
            index += 1
            for k in range(1, len(text)):
                letter = text[k]
                if letter == "i":
                    inplace = True
                    break
                if letter in code or letter in takes_next or letter in glued:
                    value = text[k + 1 :]
                    if not value and letter not in glued and index < len(args):
                        value, index = args[index][0], index + 1
                    if letter in code:
                        program.append(value)
                    break
        rest = args[index:]
        if program:
            an.inline_code(ctx.name, "\n".join(program))
        elif rest and rest[0][0] != "-":
            an.run_script(rest[0], ctx.name)
            rest = rest[1:]
        else:
            _stdin_code(an, ctx, ctx.name)
            rest = rest[1:]
        if inplace:
            for arg in rest:
                an.write(arg, ctx.name)

    return handler


def _python(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """python: `-c CODE` and code on stdin are opaque; a script or `-m module` is normal work."""
    index = 0
    while index < len(args):
        text = args[index][0]
        index += 1
        if text == "-":
            break
        if text == "--" or not text.startswith("-"):
            script = args[index] if text == "--" and index < len(args) else args[index - 1]
            an.run_script(script, "python")
            return
        if text.startswith("--"):
            continue
        for k in range(1, len(text)):
            letter = text[k]
            if letter == "c":
                code = text[k + 1 :] or (args[index][0] if index < len(args) else "")
                an.inline_code("python", code)
                return
            if letter == "m":
                return
            if letter in "XWQ":
                index += 0 if text[k + 1 :] else 1
                break
    _stdin_code(an, ctx, "python")


def _stdin_code(an: _Analyser, ctx: _Ctx, prog: str, shell: bool = False) -> None:
    """A program reading its code from stdin: a here-document is analysed (a shell) or opaque;
    a pipe is opaque; a file (`< script`) is a script like any other."""
    if ctx.stdin is not None:
        if shell:
            an.recurse(ctx.stdin, prog)
        else:
            an.inline_code(prog, ctx.stdin)
    elif ctx.piped_in:
        an.opaque[prog] = None


_EVAL_FLAGS = {
    "node": frozenset({"-e", "--eval", "-p", "--print", "-pe"}),
    "bun": frozenset({"-e", "--eval", "-p", "--print"}),
    "deno": frozenset({"eval"}),
    "php": frozenset({"-r"}),
    "lua": frozenset({"-e"}),
    "Rscript": frozenset({"-e"}),
    "julia": frozenset({"-e", "-E", "--eval", "--print"}),
    "osascript": frozenset({"-e"}),
    "pwsh": frozenset({"-c", "-Command", "-command"}),
}
_EVAL_FLAGS["nodejs"] = _EVAL_FLAGS["node"]
_EVAL_FLAGS["powershell"] = _EVAL_FLAGS["pwsh"]


def _evaluator(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """node -e, php -r, …: inline code is opaque; a script is normal work."""
    flags = _EVAL_FLAGS[ctx.name]
    for index, (text, _) in enumerate(args):
        flag, eq, value = text.partition("=")
        if text in flags or (eq and flag in flags and flag.startswith("--")):
            code = value if text not in flags else args[index + 1][0] if index + 1 < len(args) else ""
            an.inline_code(ctx.name, code)
            return
    if all(text.startswith("-") for text, _ in args):
        _stdin_code(an, ctx, ctx.name)


_SHELL_VALUE_OPTS = frozenset({"-o", "+o", "-O", "+O", "--rcfile", "--init-file"})


def _shell(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """sh/bash/zsh: `-c BODY [$0 $1…]` and a here-document on stdin are analysed as shell."""
    command = from_stdin = False
    index = 0
    while index < len(args):
        text = args[index][0]
        if text in _SHELL_VALUE_OPTS:
            index += 2
            continue
        if text in ("-", "--"):
            index += 1
            break
        if len(text) < 2 or text[0] not in "-+":
            break
        if text[0] == "-" and not text.startswith("--"):
            command = command or "c" in text
            from_stdin = from_stdin or "s" in text
        index += 2 if text[-1] in "oO" and not text.startswith("--") else 1
    rest = args[index:]
    if command and rest:
        params = dict(ctx.env)  # `D=x sh -c '… $D …'`, then `$0`, `$1`… from the operands
        params.update({str(k): None if dyn else text for k, (text, dyn) in enumerate(rest[1:])})
        an.recurse(rest[0][0], ctx.name, params=params)
    elif not rest or from_stdin:
        _stdin_code(an, ctx, ctx.name, shell=True)
    else:
        an.run_script(rest[0], ctx.name)


def _alias(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """An alias body is analysed when defined, like a function body."""
    for text, _ in args:
        name, eq, body = text.partition("=")
        if eq and body:
            an.recurse(body, "alias")


def _at(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """at/batch run shell commands read from stdin (or the script `-f FILE`) later."""
    opts = _getopt(args, "fqt")[0]
    for script in _values(opts, "f"):
        an.run_script(script, ctx.name)
    if not _values(opts, "f"):
        _stdin_code(an, ctx, ctx.name, shell=True)


_PARALLEL_INPUTS = frozenset({":::", "::::", ":::+", "::::+"})
_PARALLEL_LONG = frozenset(
    "joblog results tmpdir colsep delay timeout sshlogin tagstring header env memfree load jobs "
    "arg-file max-args workdir wd basefile return transfer-file halt retries".split()
)


def _parallel(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """GNU parallel CMD ::: ARGS: CMD with each argument in `{}` (or appended); without CMD the
    arguments are commands; without `:::` the arguments come from stdin, as for xargs."""
    split = next((i for i, (t, _) in enumerate(args) if t in _PARALLEL_INPUTS), len(args))
    opts, command = _getopt(args[:split], "jSPaNdEInL", _PARALLEL_LONG, stop=True)
    for value in _values(opts, "joblog", "results"):
        an.write(value, "parallel")
    inputs = [arg for arg in args[split:] if arg[0] not in _PARALLEL_INPUTS]
    if split == len(args):
        _with_hole(an, command or [("echo", False)], "{}" if any("{}" in t for t, _ in command) else None)
    for text, dyn in inputs:
        if not command:
            an.recurse(text, "parallel")
        elif any("{}" in t for t, _ in command):
            an.dispatch([(t.replace("{}", text), d or dyn) for t, d in command], _Ctx(False))
        else:
            an.dispatch([*command, (text, dyn)], _Ctx(False))


def _source(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    if args:
        an.run_script(args[0], ctx.name)


def _eval(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    an.recurse(" ".join(text for text, _ in args), "eval", subshell=False)


def _trap(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    if args and args[0][0] == "--":
        args = args[1:]
    if len(args) >= 2 and args[0][0] and not args[0][0].startswith("-"):
        an.traps.append((args[0][0], an.cwds))


def _cd(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """cd, pushd, popd: move the working folder for the commands that follow."""
    operands = [arg for arg in args if not (arg[0].startswith("-") and len(arg[0]) > 1)]
    if ctx.name == "popd" or (ctx.name == "pushd" and not operands):
        if an.dirstack:
            top = an.dirstack.pop()
            if ctx.name == "pushd":
                an.dirstack.append(an.cwds)
            an.chdir(list(top))
        return
    before = an.cwds
    if not operands:
        home = os.path.expanduser("~")
        targets = an.resolve(home, home == "~")
    elif operands[0][0] == "-":
        targets = list(an.oldpwd) if an.oldpwd else an.resolve("$OLDPWD", True)
    elif operands[0][0].startswith("+"):
        targets = an.resolve(operands[0][0], True)
    else:
        targets = an.resolve(*operands[0])
    an.chdir(targets)
    if ctx.name == "pushd":
        an.dirstack.append(before)


def _declare(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """export/declare/local/readonly NAME=VALUE."""
    for text, dyn in args:
        if text.startswith(("-", "+")):
            continue
        name, eq, value = text.partition("=")
        if eq and name.isidentifier():
            an.set_var(name, None if dyn else value)
            if name in _COMMAND_VARS and value:
                an.recurse(value, name)


def _read(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """read, mapfile, printf -v: the named variables now hold something unknown."""
    operands = _getopt(args, "adinNptuvCcs")[1]
    if ctx.name == "printf":
        operands = [value for value in _values(_getopt(args, "v")[0], "v")]
    for text, _ in operands:
        an.vars[text] = None


def _unset(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    for text, _ in args:
        an.vars.pop(text, None)


_SUDO_LONG = frozenset(
    "user group chdir prompt role type close-from command-timeout other-user host chroot".split()
)


def _sudo(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """sudo/doas: the command after the options; `-e`/sudoedit edits files; `-s`/`-i` run a shell."""
    opts, operands = _getopt(args, "CDgpRrtTuU", _SUDO_LONG, stop=True)
    if ctx.name == "sudoedit" or _has(opts, "e", "edit"):
        for arg in operands:
            an.write(arg, ctx.name)
        return
    saved = an.enter(_values(opts, "D", "chdir"))
    if operands and _has(opts, "s", "shell", "i", "login"):
        an.recurse(" ".join(text for text, _ in operands), ctx.name)
    else:
        an.dispatch(operands, ctx)
    an.cwds = saved


def _env(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """env [-i] [-u NAME] [-C DIR] [-S STRING] [NAME=VALUE…] COMMAND."""
    index = 0
    folders: list[_Arg] = []
    while index < len(args):
        text, dyn = args[index]
        index += 1
        value: _Arg | None = None
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
        if name in _COMMAND_VARS and assigned:
            an.recurse(assigned, name)
    saved = an.enter(folders)
    an.dispatch(args[index:], ctx)
    an.cwds = saved


def _command_builtin(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    opts, operands = _getopt(args, stop=True)
    if not _has(opts, "v", "V"):  # `command -v rm` only looks the name up
        an.dispatch(operands, ctx)


def _time(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """GNU time: `-o FILE` writes FILE."""
    opts, operands = _getopt(args, "fo", frozenset({"format", "output"}), stop=True)
    for value in _values(opts, "o", "output"):
        an.write(value, "time")
    an.dispatch(operands, ctx)


def _flock(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """flock FILE COMMAND… / flock FILE -c STRING: creates the lock file, runs the command."""
    opts, operands = _getopt(args, "wEc", frozenset({"timeout", "conflict-exit-code"}), stop=True)
    if operands and not operands[0][0].isdigit():
        an.write(operands[0], "flock")
    commands, rest = _values(opts, "c", "command"), operands[1:]
    if len(rest) > 1 and rest[0][0] in ("-c", "--command"):
        commands, rest = [*commands, rest[1]], []
    for text, _ in commands:
        an.recurse(text, "flock")
    an.dispatch(rest, ctx)


def _watch(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    operands = _getopt(args, "n", frozenset({"interval"}), stop=True)[1]
    an.recurse(" ".join(text for text, _ in operands), "watch")


def _su(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    opts = _getopt(args, "cgGsw", frozenset({"command", "group", "shell"}))[0]
    for text, _ in _values(opts, "c", "command"):
        an.recurse(text, ctx.name)


_RUNNER_SHORT = {"conda": "np", "mamba": "np", "micromamba": "np"}
_RUNNER_LONG = frozenset(
    "with with-editable with-requirements python package extra group env-file directory "
    "project index default-index index-url extra-index-url find-links config-file cache-dir "
    "name prefix cwd env environment".split()
)


def _runner(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """`uv run CMD`, `poetry run CMD`, `conda run -n ENV CMD`…"""
    if not args or args[0][0] != "run":
        return
    opts, operands = _getopt(args[1:], _RUNNER_SHORT.get(ctx.name, "p"), _RUNNER_LONG, stop=True)
    saved = an.enter(_values(opts, "directory", "cwd"))
    an.dispatch(operands, ctx)
    an.cwds = saved


_XARGS_LONG = frozenset(
    "arg-file eof delimiter max-lines max-args max-procs max-chars process-slot-var".split()
)


def _xargs(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """xargs CMD: CMD gets file names we cannot see; if it writes them, CMD is opaque."""
    index = 0
    replace: str | None = None
    while index < len(args):
        text = args[index][0]
        if text == "--":
            index += 1
            break
        if not text.startswith("-") or text == "-":
            break
        index += 1
        if text.startswith("--"):
            name, eq, value = text[2:].partition("=")
            if name == "replace":
                replace = value if eq else "{}"
            elif name in _XARGS_LONG and not eq:
                index += 1
        elif text[1] == "I":
            replace = text[2:] or (args[index][0] if index < len(args) else "{}")
            index += 0 if text[2:] else 1
        elif text[1] == "i":
            replace = text[2:] or "{}"
        elif text[1] in "aEdLnPs" and len(text) == 2:
            index += 1
    _with_hole(an, args[index:] or [("echo", False)], replace)


def _with_hole(an: _Analyser, command: list[_Arg], replace: str | None) -> None:
    """Run COMMAND with file names we cannot see: in place of `replace`, or appended."""
    if replace:
        argv = [(text.replace(replace, _HOLE), dyn) for text, dyn in command]
    else:
        argv = [*command, (_HOLE, False)]
    child = an.child()
    child.dispatch(argv, _Ctx(False))
    _absorb(an, child, command[0][0].rpartition("/")[2])


def _absorb(an: _Analyser, child: _Analyser, prog: str) -> None:
    """Take a child's results: a path inside the hole means `prog` writes unknown files; when the
    hole is the last name under a known folder other than the working one, that folder is written."""
    cwds = {cwd for cwd, _ in an.cwds}
    for path in child.paths:
        if _HOLE not in path:
            an.paths[path] = None
            continue
        an.opaque[prog] = None
        folder, _, name = path.rpartition("/")
        if name == _HOLE and _HOLE not in folder and folder not in cwds:
            an.paths[folder or "/"] = None
    an.opaque.update(child.opaque)
    for path in child.mentions:
        an.mentions[path.replace(_HOLE, "*")] = None


_FIND_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})
_FIND_FILES = frozenset({"-fprint", "-fprint0", "-fls", "-fprintf"})


def _find(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """find: `-delete` and `-exec CMD {}` write under the search roots; `-fprint F` writes F."""
    index = 0
    while index < len(args) and (args[index][0] in ("-H", "-L", "-P", "-D") or args[index][0][:2] == "-O"):
        index += 2 if args[index][0] == "-D" else 1
    roots: list[_Arg] = []
    while index < len(args) and not _find_expression(args[index][0]):
        roots.append(args[index])
        index += 1
    roots = roots or [(".", False)]
    while index < len(args):
        text = args[index][0]
        index += 1
        if text == "-delete":
            for root in roots:
                an.write(root, "find")
        elif text in _FIND_EXEC:
            end = index
            while end < len(args) and args[end][0] not in (";", "+"):
                end += 1
            _find_exec(an, args[index:end], roots, text.endswith("dir"))
            index = end + 1
        elif text in _FIND_FILES and index < len(args):
            an.write(args[index], "find")
            index += 2 if text == "-fprintf" else 1


def _find_expression(text: str) -> bool:
    return (text.startswith("-") and text != "-") or text in ("(", "!", ")", ",")


def _find_exec(an: _Analyser, command: list[_Arg], roots: list[_Arg], in_dir: bool) -> None:
    """`-exec CMD {}` with each search root standing for the files found beneath it."""
    for root in roots:
        saved = an.enter([root] if in_dir else [])
        hole = (".", False) if in_dir else root
        argv = [(text.replace("{}", hole[0]), dyn or ("{}" in text and hole[1])) for text, dyn in command]
        an.dispatch(argv, _Ctx(False))
        an.cwds = saved


_TAR_VALUE_LETTERS = "fCTXbLNgKVHIF"
_TAR_LONG = frozenset(
    "file directory files-from exclude-from exclude to-command use-compress-program info-script "
    "new-volume-script rsh-command checkpoint-action listed-incremental index-file transform "
    "xform owner group mode format label newer after-date strip-components suffix "
    "blocking-factor record-size tape-length volno-file starting-file warning".split()
)
_TAR_COMMANDS = frozenset(
    {"to-command", "use-compress-program", "I", "info-script", "new-volume-script", "F", "rsh-command"}
)
_TAR_CREATE = frozenset(
    {"c", "create", "r", "append", "u", "update", "A", "catenate", "concatenate", "delete"}
)


def _tar(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """tar: extraction writes into `-C DIR` (or, opaque, the working folder); creation writes the
    archive; options that run commands are analysed."""
    if args and not args[0][0].startswith("-"):
        args = _tar_bundle(args)
    opts, _ = _getopt(args, _TAR_VALUE_LETTERS, _TAR_LONG)
    for name, value in opts:
        if value is None:
            continue
        if name in _TAR_COMMANDS:
            an.recurse(value[0], "tar")
        elif name == "checkpoint-action" and value[0].startswith("exec="):
            an.recurse(value[0][5:], "tar")
        elif name in ("g", "listed-incremental", "index-file"):
            an.write(value, "tar")
    names = {name for name, _ in opts}
    if names & _TAR_CREATE:
        for value in _values(opts, "f", "file"):
            if value[0] != "-":
                an.write(value, "tar")
    elif names & {"x", "extract", "get"} and not names & {"O", "to-stdout", "to-command"}:
        folders = _values(opts, "C", "directory")
        for folder in folders:
            an.write(folder, "tar")
        if not folders:
            an.whole_tree("tar", repo=False)


def _tar_bundle(args: list[_Arg]) -> list[_Arg]:
    """Old-style `tar xzf FILE` into `-x -z -f FILE`."""
    bundle, rest = args[0][0], list(args[1:])
    out: list[_Arg] = []
    for letter in bundle:
        out.append(("-" + letter, False))
        if letter in _TAR_VALUE_LETTERS and rest:
            out.append(rest.pop(0))
    return out + rest


def _unzip(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    opts, _ = _getopt(args, "dP")
    if _has(opts, "l", "t", "v", "Z", "p", "c", "z"):
        return
    folders = _values(opts, "d")
    for folder in folders:
        an.write(folder, "unzip")
    if not folders:
        an.whole_tree("unzip", repo=False)


def _zip(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    opts, operands = _getopt(args, "bntPOZs", frozenset({"out", "temp-path", "password"}))
    outputs = _values(opts, "O", "out") or operands[:1]
    for arg in outputs:
        an.write(arg, "zip")
    if _has(opts, "m", "move"):
        for arg in operands[1:]:
            an.write(arg, "zip")


_SUFFIXES = {"gzip": ".gz", "bzip2": ".bz2", "xz": ".xz", "lzma": ".lzma", "compress": ".Z"}
_UNPACKERS = {"gunzip": "gzip", "bunzip2": "bzip2", "unxz": "xz", "uncompress": "compress"}


def _compressor(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """gzip/bzip2/xz FILE replace FILE with FILE.gz (or back), unless they write to stdout or
    only test or list."""
    opts, operands = _getopt(args, "S", frozenset({"suffix"}))
    if _has(opts, "c", "stdout", "to-stdout", "t", "test", "l", "list"):
        return
    program = _UNPACKERS.get(ctx.name, ctx.name)
    suffixes = [value[0] for value in _values(opts, "S", "suffix")] or [_SUFFIXES[program]]
    unpack = ctx.name in _UNPACKERS or _has(opts, "d", "decompress", "uncompress")
    for text, dyn in operands:
        if text == "-":
            continue
        an.write((text, dyn), ctx.name)
        if not unpack:
            an.write((text + suffixes[-1], dyn), ctx.name)
        elif text.endswith(suffixes[-1]):
            an.write((text.removesuffix(suffixes[-1]), dyn), ctx.name)


def _patch(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """patch [FILE]: FILE, `-o OUT`, `-r REJECTS`; without a file the patch names them: opaque.
    (`-i PATCHFILE` is the input, not a target.)"""
    opts, operands = _getopt(args, "BDdFgioprVYz", frozenset({"directory", "output", "input"}))
    if _has(opts, "dry-run"):
        return
    saved = an.enter(_values(opts, "d", "directory"))
    outputs = [arg for arg in _values(opts, "o", "output") if arg[0] != "-"]
    for arg in outputs + _values(opts, "r", "reject-file") + operands[:1]:
        an.write(arg, "patch")
    if not outputs and not operands:
        an.whole_tree("patch", repo=False)
    an.cwds = saved


_RSYNC_LONG = frozenset(
    "exclude include exclude-from include-from filter rsh rsync-path temp-dir partial-dir "
    "compare-dest copy-dest link-dest backup-dir suffix chmod chown files-from log-file "
    "password-file port timeout bwlimit max-size min-size out-format info debug usermap "
    "groupmap".split()
)


def _rsync(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """rsync SRC… DEST: DEST (unless remote); `--remove-source-files` writes the sources too."""
    opts, operands = _getopt(args, "efTB", _RSYNC_LONG)
    for text, _ in _values(opts, "e", "rsh"):
        an.recurse(text, "rsync")
    if _has(opts, "n", "dry-run") or len(operands) < 2:
        return
    local = [arg for arg in operands if ":" not in arg[0].partition("/")[0]]
    if operands[-1] in local:
        an.write(operands[-1], "rsync")
    if _has(opts, "remove-source-files"):
        for arg in local[:-1]:
            an.write(arg, "rsync")


_CURL_SHORT = "AbcCdDeEFHKmoPQrtTuUwxXyYz"
_CURL_LONG = frozenset(
    "output dump-header cookie-jar trace trace-ascii stderr etag-save etag-compare hsts alt-svc "
    "output-dir libcurl config data data-raw data-binary data-urlencode data-ascii header "
    "user-agent request user url form form-string referer cookie max-time connect-timeout retry "
    "retry-delay retry-max-time proxy upload-file write-out range cert key cacert capath resolve "
    "connect-to interface json variable netrc-file unix-socket continue-at proxy-user".split()
)
_CURL_WRITES = frozenset(
    "o output D dump-header c cookie-jar trace trace-ascii stderr etag-save hsts alt-svc libcurl".split()
)


def _curl(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """curl: `-o FILE`, `-O` (the URL's file name), `--dump-header FILE`, `--cookie-jar FILE`…"""
    opts, urls = _getopt(args, _CURL_SHORT, _CURL_LONG)
    saved = an.enter(_values(opts, "output-dir"))
    for name, value in opts:
        if name in _CURL_WRITES and value is not None and value[0] != "-":
            an.write(value, "curl")
    if _has(opts, "O", "remote-name", "remote-name-all"):
        if _has(opts, "J", "remote-header-name"):
            an.whole_tree("curl", repo=False)
        for text, dyn in urls + _values(opts, "url"):
            an.write((_url_name(text), dyn), "curl")
    an.cwds = saved


def _url_name(url: str) -> str:
    path = url.partition("://")[2] or url
    path = path.partition("?")[0].partition("#")[0]
    return path.partition("/")[2].rpartition("/")[2]


_WGET_LONG = frozenset(
    "output-document output-file append-output directory-prefix execute user-agent tries "
    "timeout wait accept reject input-file base domains level quota header user "
    "password".split()
)


def _wget(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """wget: `-O FILE`, `-o LOG`, otherwise the URL's file name (in `-P DIR`)."""
    opts, urls = _getopt(args, "OoaPeUtTwARiBDlQIX", _WGET_LONG)
    if _has(opts, "spider"):
        return
    for value in _values(opts, "o", "output-file", "a", "append-output"):
        an.write(value, "wget")
    if _values(opts, "e", "execute"):
        an.opaque["wget"] = None
    documents = [arg for arg in _values(opts, "O", "output-document") if arg[0] != "-"]
    for arg in documents:
        an.write(arg, "wget")
    if documents or _values(opts, "O", "output-document"):
        return
    saved = an.enter(_values(opts, "P", "directory-prefix")[-1:])
    if _has(opts, "r", "recursive", "m", "mirror", "p", "page-requisites"):
        an.whole_tree("wget", repo=False)
    else:
        for text, dyn in urls:
            an.write((_url_name(text) or "index.html", dyn), "wget")
    an.cwds = saved


_SORT_LONG = frozenset(
    "output key field-separator buffer-size temporary-directory files0-from parallel "
    "compress-program random-source batch-size sort".split()
)


def _sort(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    for value in _values(_getopt(args, "okStT", _SORT_LONG)[0], "o", "output"):
        an.write(value, "sort")


def _uniq(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    operands = _getopt(args, "fsw", frozenset({"skip-fields", "skip-chars", "check-chars"}))[1]
    if len(operands) >= 2:
        an.write(operands[1], "uniq")


def _editor(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """ed, vim, nano…: the files they open may be saved."""
    for arg in _getopt(args, "cSuUiTwWs")[1]:
        if not arg[0].startswith("+"):
            an.write(arg, ctx.name)


# name: (flags of which one is needed to write, or None; flags that stop it writing)
_FORMATTERS: dict[str, tuple[frozenset[str] | None, frozenset[str]]] = {
    "black": (None, frozenset({"--check", "--diff", "-c", "--code"})),
    "isort": (None, frozenset({"--check", "--check-only", "-c", "--diff"})),
    "autopep8": (frozenset({"-i", "--in-place"}), _NONE),
    "yapf": (frozenset({"-i", "--in-place"}), _NONE),
    "clang-format": (frozenset({"-i"}), _NONE),
    "gofmt": (frozenset({"-w"}), _NONE),
    "shfmt": (frozenset({"-w", "--write"}), _NONE),
    "prettier": (frozenset({"-w", "--write"}), _NONE),
    "rustfmt": (None, frozenset({"--check"})),
    "dos2unix": (None, _NONE),
    "unix2dos": (None, _NONE),
    "sponge": (None, _NONE),
}


def _formatter(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """Formatters that rewrite their operands in place; a numeric operand is an option's value."""
    needs, stops = _FORMATTERS[ctx.name]
    texts = {text for text, _ in args}
    if texts & stops or (needs is not None and not texts & needs):
        return
    for arg in args:
        if not arg[0].startswith("-") and not arg[0].isdigit():
            an.write(arg, ctx.name)


def _ruff(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """`ruff format` (unless --check/--diff) and `ruff check --fix` rewrite files."""
    texts = {text for text, _ in args}
    if texts & {"--check", "--diff"}:
        return
    if (args and args[0][0] == "format") or "--fix" in texts:
        operands = [arg for arg in args[1:] if not arg[0].startswith("-")] or [(".", False)]
        for arg in operands:
            an.write(arg, "ruff")


# -- git --------------------------------------------------------------------------------------

_GIT_VALUE_OPTS = frozenset(
    {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env", "--super-prefix"}
)
_GIT_TREE_COMMANDS = frozenset(
    {"merge", "rebase", "pull", "cherry-pick", "revert", "am", "bisect", "filter-branch",
     "filter-repo", "sparse-checkout"}
)  # fmt: skip
# Configuration keys whose value git runs as a command.
_GIT_COMMAND_KEYS = (
    "alias.", "core.pager", "core.editor", "core.sshcommand", "core.fsmonitor", "core.askpass",
    "pager.", "sequence.editor", "diff.", "merge.", "filter.", "credential.", "gpg.",
    "interactive.", "uploadpack.", "remote.", "difftool.", "mergetool.", "sendemail.",
)  # fmt: skip


def _git(an: _Analyser, args: list[_Arg], ctx: _Ctx) -> None:
    """git [-C DIR] [-c KEY=VALUE] SUBCOMMAND: the subcommands that write the work tree."""
    index, tree = 0, None
    folders: list[_Arg] = []
    while index < len(args):
        text, dyn = args[index]
        if text in _GIT_VALUE_OPTS and index + 1 < len(args):
            value = args[index + 1]
            if text == "-C":
                folders.append(value)
            elif text == "-c":
                _git_config(an, value[0])
            elif text == "--work-tree":
                tree = value
            index += 2
            continue
        if text.startswith("--work-tree="):
            tree = (text.partition("=")[2], dyn)
        elif not text.startswith("-"):
            break
        index += 1
    if index >= len(args):
        return
    saved = an.enter(folders)
    name, rest = args[index][0], args[index + 1 :]
    handler = _GIT_COMMANDS.get(name)
    if handler is not None:
        handler(an, rest, tree)
    elif name in _GIT_TREE_COMMANDS:
        an.whole_tree("git", True, tree)
    an.cwds = saved


def _git_config(an: _Analyser, setting: str) -> None:
    key, _, value = setting.partition("=")
    if value and key.lower().startswith(_GIT_COMMAND_KEYS):
        an.recurse(value.removeprefix("!"), "git")


def _dashes(args: list[_Arg]) -> tuple[list[_Arg], list[_Arg] | None]:
    for index, (text, _) in enumerate(args):
        if text == "--":
            return args[:index], args[index + 1 :]
    return args, None


def _git_checkout(an: _Analyser, args: list[_Arg], tree: _Arg | None) -> None:
    """`checkout [TREE] -- PATHS` writes PATHS; switching branches rewrites the tree."""
    before, after = _dashes(args)
    opts, operands = _getopt(before, "bB", frozenset({"orphan", "conflict"}))
    if after is not None:
        for arg in after:
            an.write(arg, "git")
    elif _has(opts, "pathspec-from-file"):
        an.whole_tree("git", True, tree)
    elif _has(opts, "b", "B", "orphan"):
        if operands:
            an.whole_tree("git", True, tree)
    elif operands and an.exists(operands[0]):
        for arg in operands:
            an.write(arg, "git")
    elif len(operands) > 1:
        for arg in operands[1:]:
            an.write(arg, "git")
    elif operands or _has(opts, "f", "force"):
        an.whole_tree("git", True, tree)


def _git_restore(an: _Analyser, args: list[_Arg], tree: _Arg | None) -> None:
    opts, operands = _getopt(args, "s", frozenset({"source"}))
    if _has(opts, "pathspec-from-file"):
        an.whole_tree("git", True, tree)
    elif _has(opts, "W", "worktree") or not _has(opts, "S", "staged"):
        for arg in operands:
            an.write(arg, "git")


def _git_rm(an: _Analyser, args: list[_Arg], tree: _Arg | None) -> None:
    opts, operands = _getopt(args)
    if not _has(opts, "cached", "n", "dry-run"):
        for arg in operands:
            an.write(arg, "git")


def _git_mv(an: _Analyser, args: list[_Arg], tree: _Arg | None) -> None:
    opts, operands = _getopt(args)
    if not _has(opts, "n", "dry-run"):
        _transfer(an, opts, operands, "git", moves=True)


def _git_apply(an: _Analyser, args: list[_Arg], tree: _Arg | None) -> None:
    names = {name for name, _ in _getopt(args, "pC", frozenset({"directory"}))[0]}
    if names & {"check", "stat", "numstat", "summary"} and "apply" not in names:
        return
    if "cached" not in names or "index" in names:
        an.whole_tree("git", True, tree)


def _git_stash(an: _Analyser, args: list[_Arg], tree: _Arg | None) -> None:
    sub = args[0][0] if args and not args[0][0].startswith("-") else "push"
    if sub not in ("list", "show", "create", "store", "drop", "clear"):
        an.whole_tree("git", True, tree)


def _git_reset(an: _Analyser, args: list[_Arg], tree: _Arg | None) -> None:
    if any(text in ("--hard", "--merge", "--keep") for text, _ in args):
        an.whole_tree("git", True, tree)


def _git_clean(an: _Analyser, args: list[_Arg], tree: _Arg | None) -> None:
    """`git clean` removes untracked files under the working folder (or the given paths)."""
    opts, operands = _getopt(args, "e", frozenset({"exclude"}))
    if _has(opts, "n", "dry-run"):
        return
    for arg in operands:
        an.write(arg, "git")
    if not operands:
        an.whole_tree("git", False, tree)


def _git_switch(an: _Analyser, args: list[_Arg], tree: _Arg | None) -> None:
    opts, operands = _getopt(args, "cC", frozenset({"create", "force-create", "orphan"}))
    if operands or not _has(opts, "c", "C", "create", "force-create"):
        an.whole_tree("git", True, tree)


def _git_worktree(an: _Analyser, args: list[_Arg], tree: _Arg | None) -> None:
    if args and args[0][0] in ("add", "remove", "move"):
        operands = _getopt(args[1:], "bB", frozenset({"reason"}))[1]
        for arg in operands[: 2 if args[0][0] == "move" else 1]:
            an.write(arg, "git")


def _git_clone(an: _Analyser, args: list[_Arg], tree: _Arg | None) -> None:
    long = frozenset("branch origin depth reference config template separate-git-dir jobs filter".split())
    operands = _getopt(args, "bocju", long)[1]
    if len(operands) >= 2:
        an.write(operands[1], "git")
    elif operands:
        name = operands[0][0].rstrip("/").rpartition("/")[2].rpartition(":")[2]
        an.write((name.removesuffix(".git"), operands[0][1]), "git")


def _git_init(an: _Analyser, args: list[_Arg], tree: _Arg | None) -> None:
    long = frozenset({"template", "separate-git-dir", "initial-branch", "object-format"})
    operands = _getopt(args, "b", long)[1]
    folder = operands[0] if operands else (".", False)
    an.write((folder[0].rstrip("/") + "/.git", folder[1]), "git")


def _git_output(an: _Analyser, args: list[_Arg], tree: _Arg | None) -> None:
    """diff/log/show/archive/format-patch `--output=FILE` (`-o` for archive and format-patch)."""
    opts = _getopt(args, "o", frozenset({"output", "output-directory"}))[0]
    for value in _values(opts, "o", "output", "output-directory"):
        an.write(value, "git")


def _git_checkout_index(an: _Analyser, args: list[_Arg], tree: _Arg | None) -> None:
    opts, operands = _getopt(args)
    if _has(opts, "a", "all"):
        an.whole_tree("git", True, tree)
    for arg in operands:
        an.write(arg, "git")


def _git_read_tree(an: _Analyser, args: list[_Arg], tree: _Arg | None) -> None:
    if _has(_getopt(args)[0], "u"):
        an.whole_tree("git", True, tree)


_GIT_COMMANDS: dict[str, _GitHandler] = {
    "checkout": _git_checkout,
    "restore": _git_restore,
    "rm": _git_rm,
    "mv": _git_mv,
    "apply": _git_apply,
    "stash": _git_stash,
    "reset": _git_reset,
    "clean": _git_clean,
    "switch": _git_switch,
    "worktree": _git_worktree,
    "clone": _git_clone,
    "init": _git_init,
    "diff": _git_output,
    "log": _git_output,
    "show": _git_output,
    "archive": _git_output,
    "format-patch": _git_output,
    "checkout-index": _git_checkout_index,
    "read-tree": _git_read_tree,
}

_PERL = _inline(code="eE", takes_next="I", glued="MmlCdDx0F")
_RUBY = _inline(code="e", takes_next="rICE", glued="FxKTW0")
_HANDLERS: dict[str, _Handler] = {
    "rm": _operands(),
    "rmdir": _operands(),
    "unlink": _operands(),
    "shred": _operands("ns", "iterations size random-source"),
    "touch": _operands("dtr", "date reference time"),
    "mkdir": _operands("m", "mode context"),
    "mkfifo": _operands("m", "mode"),
    "truncate": _operands("sr", "size reference"),
    "fallocate": _operands("lo", "length offset"),
    "tee": _operands(),
    "chmod": _chmod,
    "chown": _chmod,
    "chgrp": _chmod,
    "cp": _copy,
    "mv": _copy,
    "ln": _copy,
    "install": _copy,
    "link": _link,
    "dd": _dd,
    "sed": _sed,
    "gsed": _sed,
    "awk": _awk,
    "gawk": _awk,
    "mawk": _awk,
    "nawk": _awk,
    "perl": _PERL,
    "ruby": _RUBY,
    "patch": _patch,
    "rsync": _rsync,
    "tar": _tar,
    "gtar": _tar,
    "bsdtar": _tar,
    "unzip": _unzip,
    "zip": _zip,
    "gzip": _compressor,
    "gunzip": _compressor,
    "bzip2": _compressor,
    "bunzip2": _compressor,
    "xz": _compressor,
    "unxz": _compressor,
    "lzma": _compressor,
    "compress": _compressor,
    "uncompress": _compressor,
    "git": _git,
    "curl": _curl,
    "wget": _wget,
    "sort": _sort,
    "uniq": _uniq,
    "find": _find,
    "xargs": _xargs,
    "sh": _shell,
    "bash": _shell,
    "zsh": _shell,
    "dash": _shell,
    "ksh": _shell,
    "ash": _shell,
    "mksh": _shell,
    "fish": _shell,
    "eval": _eval,
    "source": _source,
    "alias": _alias,
    "at": _at,
    "batch": _at,
    "parallel": _parallel,
    ".": _source,
    "trap": _trap,
    "cd": _cd,
    "pushd": _cd,
    "popd": _cd,
    "export": _declare,
    "declare": _declare,
    "typeset": _declare,
    "local": _declare,
    "readonly": _declare,
    "read": _read,
    "mapfile": _read,
    "readarray": _read,
    "printf": _read,
    "unset": _unset,
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
    "uv": _runner,
    "poetry": _runner,
    "pdm": _runner,
    "hatch": _runner,
    "pipenv": _runner,
    "rye": _runner,
    "conda": _runner,
    "mamba": _runner,
    "micromamba": _runner,
    "ed": _editor,
    "ex": _editor,
    "vi": _editor,
    "vim": _editor,
    "nvim": _editor,
    "nano": _editor,
    "emacs": _editor,
    "ruff": _ruff,
    **dict.fromkeys(_FORMATTERS, _formatter),
    **dict.fromkeys(_EVAL_FLAGS, _evaluator),
}
