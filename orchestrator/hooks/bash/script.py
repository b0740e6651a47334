"""Lists, pipelines, subshells, `{ }` groups, `if`/`while`/`for`/`case`, function bodies."""

from __future__ import annotations

from orchestrator.hooks.bash.lexer import MAX_NEST, Op, Redir, Unparseable, Word

TYPE_CHECKING = False
if TYPE_CHECKING:
    from orchestrator.hooks.bash.analyser import Analyser, Arg
    from orchestrator.hooks.bash.lexer import Tok

    Dir = tuple[str, bool]  # a candidate working folder, and whether it is unknown

_NONE: frozenset[str] = frozenset()
_SEPARATORS = frozenset({";", "\n", "&", "&&", "||", "|", "|&", ";;", ";&", ";;&"})
_PREFIX_WORDS = frozenset({"then", "else", "elif", "do", "!", "time", "coproc"})
_CLOSE_PAREN = frozenset({")"})
_DONE = frozenset({"done"})
_ESAC = frozenset({"esac"})
_CASE_ENDS = frozenset({";;", ";&", ";;&"})
_COMPOUND = _PREFIX_WORDS | {"{", "if", "while", "until", "for", "select", "case", "[[", "function"}


class Script:
    """Walks one list of tokens the way Bash runs it, handing simple commands to the analyser."""

    def __init__(self, an: Analyser, toks: list[Tok]) -> None:
        self.an, self.toks, self.pos = an, toks, 0

    def _peek(self, ahead: int = 0) -> Tok | None:
        index = self.pos + ahead
        return self.toks[index] if index < len(self.toks) else None

    def _peek_word(self, ahead: int = 0) -> str | None:
        tok = self._peek(ahead)
        return tok.literal() if isinstance(tok, Word) else None

    def _at_op(self, op: str, ahead: int = 0) -> bool:
        tok = self._peek(ahead)
        return isinstance(tok, Op) and tok.op == op

    def run(self, closers: frozenset[str] = _NONE, stops: frozenset[str] = _NONE) -> str:
        """Run commands up to a closing word (`fi`, `done`, `}`) or operator; return which."""
        an = self.an
        an.nest += 1
        if an.nest > MAX_NEST:
            raise Unparseable("nested too deeply")
        list_start = pipe_start = an.save()
        piped, ended = False, ""
        fed = an.stdin_pipe  # a group or loop whose input is a pipe: its commands read it
        while (tok := self._peek()) is not None:
            word = tok.literal() if isinstance(tok, Word) else None
            if isinstance(tok, Op) and tok.op in stops:
                ended = tok.op
            elif word is not None and word in closers:
                ended = word
            if ended:
                self.pos += 1
                break
            if not isinstance(tok, Op) or tok.op not in _SEPARATORS:
                self._command(piped or fed)
                continue
            self.pos += 1
            if tok.op in ("|", "|&"):  # each element of a pipeline runs in a subshell
                an.restore(pipe_start)
                an.feed = an.output
                piped = True
                continue
            if piped:
                an.restore(pipe_start)
                piped = False
            if tok.op == "&":
                an.restore(list_start)
            an.feed = None  # a new pipeline: its first command reads no earlier output
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
        """One command; `piped`: its stdin is a pipe. What a compound command prints is unknown."""
        tok = self.toks[self.pos]
        word = tok.literal() if isinstance(tok, Word) else None
        if isinstance(tok, Redir) or (isinstance(tok, Word) and not self._compound(word)):
            self._simple(piped)
            return
        an = self.an
        outer = an.stdin_pipe, an.feed
        an.stdin_pipe, an.feed = piped, None  # which of its commands reads what is unknown
        self._compound_command(tok, word)
        (an.stdin_pipe, an.feed), an.output = outer, None

    def _compound(self, word: str | None) -> bool:
        return word in _COMPOUND or (word is not None and self._at_op("(", 1) and self._at_op(")", 2))

    def _compound_command(self, tok: Tok, word: str | None) -> None:
        if isinstance(tok, Op):
            self.pos += 1
            self.an.expand_parts(tok.parts)
            if tok.op == "(":
                saved = self.an.save()
                self.run(stops=_CLOSE_PAREN)
                self.an.restore(saved)
                self._trailing(saved[0])
            return
        if word in _PREFIX_WORDS:
            self.pos += 1
            if word == "time" and self._peek_word() == "-p":
                self.pos += 1
            if word == "coproc" and (self._peek_word(1) == "{" or self._at_op("(", 1)):
                self.pos += 1  # `coproc NAME { …; }`: the name
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
        elif word is not None:
            self._function(named=False)

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
            an.cwds = union(start, an.cwds)
            an.replaying, self.pos = True, mark
            self.run(closers=_DONE)
            an.replaying, self.pos = False, end
        self._trailing(start)

    def _for_head(self) -> None:
        """`for NAME in WORDS;` (or `for ((…));`): analyse the words, bind a single value."""
        if isinstance(tok := self._peek(), Op) and tok.op == "((":
            self.pos += 1
            self.an.expand_parts(tok.parts)
            self._skip(";", "\n")
            return
        name = self._peek_word()
        self.pos += 1
        self._skip("\n")
        values: list[Arg] = []
        if self._peek_word() == "in":
            self.pos += 1
            while isinstance(tok := self._peek(), Word):
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
        if isinstance(tok := self._peek(), Word):
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
            if isinstance(tok, Op):
                if tok.op == ")":
                    return True
                if tok.op != "|":
                    return False
            elif isinstance(tok, Word):
                self.an.expand(tok)
        return False

    def _test(self) -> None:
        """`[[ … ]]`: no command runs and `<`/`>` compare; only substitutions matter."""
        self.pos += 1
        while (tok := self._peek()) is not None:
            self.pos += 1
            if isinstance(tok, Word):
                if tok.literal() == "]]":
                    return
                self.an.expand(tok)
            elif isinstance(tok, Redir) and tok.target is not None:
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
        self.an.cwds = union(start, self.an.cwds)

    def _trailing(self, start: tuple[Dir, ...]) -> None:
        """Redirections after a compound command, opened in the folder it started in."""
        while isinstance(tok := self._peek(), Redir):
            self.pos += 1
            current, self.an.cwds = self.an.cwds, start
            self.an.redirect(tok, None)
            self.an.cwds = current

    def _simple(self, piped: bool) -> None:
        words: list[Word] = []
        redirects: list[Redir] = []
        while (tok := self._peek()) is not None and not isinstance(tok, Op):
            if isinstance(tok, Word):
                words.append(tok)
            else:
                redirects.append(tok)
            self.pos += 1
        self.an.simple(words, redirects, piped)

    def _skip(self, *ops: str) -> None:
        while isinstance(tok := self._peek(), Op) and tok.op in ops:
            self.pos += 1


def union(first: tuple[Dir, ...], second: tuple[Dir, ...]) -> tuple[Dir, ...]:
    """Candidate working folders of two branches, in order."""
    return tuple(dict.fromkeys(first + second))
