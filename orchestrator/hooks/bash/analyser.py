"""The shell state a command runs in (working folder, variables, traps), and what it writes."""

from __future__ import annotations

import os

from orchestrator.hooks.bash.command import COMMAND_VARS, SCRIPT_VARS, STDIN_FILES, Ctx
from orchestrator.hooks.bash.lexer import HEREDOCS, MAX_NEST, Lexer, Part, Unparseable, Word, is_lit
from orchestrator.hooks.bash.printed import HOLE as _HOLE
from orchestrator.hooks.bash.printed import PWD as _PWD
from orchestrator.hooks.bash.printed import TOP as _TOP
from orchestrator.hooks.bash.printed import here, printed, repo_root
from orchestrator.hooks.bash.programs import rule
from orchestrator.hooks.bash.script import Script, union
from orchestrator.hooks.bash.words import Words

TYPE_CHECKING = False
if TYPE_CHECKING:
    from orchestrator.hooks.bash.lexer import Redir, Tok
    from orchestrator.hooks.bash.printed import Feed
    from orchestrator.hooks.bash.programs.git import GitOp
    from orchestrator.hooks.bash.programs.orch import OrchCall
    from orchestrator.hooks.bash.script import Dir

    Arg = tuple[str, bool]  # an expanded word: its text, and whether it depends on something unknown
    _State = tuple[
        tuple[Dir, ...],
        tuple[Dir, ...] | None,
        tuple[Dir, ...] | None,
        dict[str, str | None],
        list[tuple[Dir, ...]],
    ]

_CODE_CHARS = frozenset(" \t\n\r'\"`()[]{};,<>|&=:")
_SPLIT = str.maketrans({c: " " for c in _CODE_CHARS})
FD_FOLDERS = ("/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/")
_DEVICES = frozenset({"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/stdin", "/dev/tty"})
_WRITE_REDIRECTS = frozenset({">", ">>", ">|", "&>", "&>>", "<>", ">&"})


class Analyser:
    """Collects what a command writes while `Script` walks it, and holds the shell's state."""

    def __init__(self, cwd: str) -> None:
        self.paths: dict[str, None] = {}
        self.opaque: dict[str, None] = {}
        self.mentions: dict[str, None] = {}
        self.orch_calls: list[OrchCall] = []
        self.git_ops: list[GitOp] = []
        self.unseen: dict[str, None] = {}
        self.links: dict[str, str | None] = {}  # links this command makes: link -> target or None
        self.renamed: dict[str, list[Arg] | None] = {}  # aliases, `hash -p`: name -> words or None
        self.output: Feed | None = None  # what the last simple command printed, if known
        self.feed: Feed | None = None  # what the pipe into the next command carries
        self.stdin_pipe = False  # whether the commands being walked read a pipe
        self.piped_now = False  # whether the command being dispatched reads a pipe
        self.cwds: tuple[Dir, ...] = ((_norm("/" + cwd if cwd[:1] != "/" else cwd), False),)
        self.pending: tuple[Dir, ...] | None = None  # where we were before an unproven `cd`
        self.oldpwd: tuple[Dir, ...] | None = None
        self.vars: dict[str, str | None] = {}  # None: set, but to something unknown
        self.dirstack: list[tuple[Dir, ...]] = []
        self.traps: list[tuple[str, tuple[Dir, ...]]] = []
        self.nest = 0
        self.replaying = False
        self.words = Words(self)

    def child(self) -> Analyser:
        """A fresh result set over the same state (for `xargs CMD`)."""
        other = Analyser("/")
        other.cwds, other.vars, other.nest = self.cwds, dict(self.vars), self.nest
        other.orch_calls, other.git_ops = self.orch_calls, self.git_ops
        other.links, other.unseen = self.links, self.unseen
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
            self.cwds = union(self.cwds, self.pending)
            self.pending = None

    def chdir(self, targets: list[Dir]) -> None:
        """`cd`: proven when the folder exists now and nothing earlier in the command writes it.
        The shell sets `$PWD` and `$OLDPWD` again."""
        self.vars.pop("PWD", None)
        self.vars.pop("OLDPWD", None)
        proven = all(
            not unknown and os.path.isdir(path) and not self._written_above(path) for path, unknown in targets
        )
        if not proven:
            self.pending = self.cwds if self.pending is None else union(self.pending, self.cwds)
        self.oldpwd, self.cwds = self.cwds, tuple(targets)

    def _written_above(self, path: str) -> bool:
        return any(path == w or path.startswith(w.rstrip("/") + "/") for w in self.paths)

    def enter(self, folders: list[Arg]) -> tuple[Dir, ...]:
        """Move into `folders` one after the other (`git -C`, `env -C`); returns where we were."""
        saved = self.cwds
        for folder in folders:
            self.cwds = tuple(self.resolve(*folder))
        return saved

    def var(self, name: str) -> str | None:
        """A variable's value; the Bash tool's environment holds `CLAUDE_PROJECT_DIR` and `HOME`
        with the values this process has."""
        if name in self.vars:
            return self.vars[name]
        if name == "PWD":
            return _PWD
        if name == "OLDPWD":
            old = self.oldpwd or ()
            return old[0][0] if len(old) == 1 and not old[0][1] else None
        if name == "CLAUDE_PROJECT_DIR":
            return os.environ.get(name) or None
        if name == "HOME":
            home = os.path.expanduser("~")
            return None if home == "~" else home
        return None

    def set_var(self, name: str, value: str | None) -> None:
        """A variable given two different values is unknown (either branch may have run)."""
        if value is not None and len(self.cwds) == 1 and (_PWD in value or _TOP in value):
            value = here(value, self.cwds[0][0])  # `D=$(pwd)` keeps this folder after a `cd`
        if name in self.vars and self.vars[name] != value:
            value = None
        self.vars[name] = value

    # -- recursion ------------------------------------------------------------------------

    def run_tokens(
        self, toks: list[Tok], subshell: bool, params: dict[str, str | None] | None = None
    ) -> None:
        saved = self.save() if subshell else None
        if params:
            self.vars.update(params)
        Script(self, toks).run()
        if saved is not None:
            self.restore(saved)

    def run_fed(self, toks: list[Tok]) -> None:
        """`>(…)`: commands in a subshell whose stdin is a pipe nobody can read."""
        saved = self.stdin_pipe, self.feed
        self.stdin_pipe, self.feed = True, None
        self.run_tokens(toks, subshell=True)
        self.stdin_pipe, self.feed = saved

    def recurse(
        self,
        text: str,
        prog: str,
        subshell: bool = True,
        params: dict[str, str | None] | None = None,
    ) -> None:
        """Analyse `text` as shell source (`sh -c`, `eval`); opaque when it cannot be parsed."""
        try:
            if self.nest >= MAX_NEST:
                raise Unparseable("nested too deeply")
            toks = Lexer(text, self.nest).tokens()
        except Unparseable:
            self.inline_code(prog, text)
            return
        saved = self.stdin_pipe, self.feed  # `curl … | sh -c 'python3'`: its commands read the pipe
        self.stdin_pipe, self.feed = self.piped_now, None
        self.run_tokens(toks, subshell, params)
        self.stdin_pipe, self.feed = saved

    def run_traps(self) -> None:
        """A trap runs when the shell exits: in the last folder, or the one it was set in."""
        while self.traps:
            body, cwds = self.traps.pop(0)
            self.cwds = union(self.cwds, cwds)
            self.recurse(body, "trap")

    # -- words ----------------------------------------------------------------------------

    def expand(self, word: Word) -> list[Arg]:
        """A word as arguments: variables substituted, braces expanded, substitutions analysed."""
        return self.words.expand(word)

    def expand_value(self, word: Word) -> Arg:
        """A word as one string (assignment values, here-documents): no brace expansion."""
        return self.words.join(word.parts, braces=False)

    def expand_parts(self, parts: list[Part]) -> None:
        """Analyse the substitutions inside an arithmetic command."""
        self.words.join(parts, braces=False)

    # -- results --------------------------------------------------------------------------

    def resolve(self, text: str, dyn: bool) -> list[Dir]:
        """Absolute, normalised paths for `text` in each candidate working folder."""
        found: dict[str, bool] = {}
        placed = _PWD in text or _TOP in text
        for cwd, unknown in self.cwds:
            local = here(text, cwd) if placed else text
            if local.startswith("/"):
                path, flag = local, dyn or (unknown and placed)
            else:
                path, flag = cwd + "/" + local, dyn or unknown
            path = _proc(_norm(path), cwd)
            linked, blind = self._through_links(path)
            found[path] = found.get(path, False) or flag or blind
            for other in linked:
                found[other] = found.get(other, False) or flag
            if text.startswith("/"):
                break
        return list(found.items())

    def _through_links(self, path: str) -> tuple[list[str], bool]:
        """Where `path` leads through the links this command made (`ln -s .orch l`), and whether
        one of them leads somewhere unknown (`ln -s "$X" l`)."""
        out: list[str] = []
        for _ in range(8 if self.links else 0):
            link = next((k for k in self.links if path == k or path.startswith(k + "/")), None)
            if link is None:
                break
            target = self.links[link]
            if target is None:
                return out, True
            path = target + path[len(link) :]
            out.append(path)
        return out, False

    def link(self, target: Arg, link: Arg, from_cwd: bool) -> None:
        """`ln -s TARGET LINK`: paths through LINK lead to TARGET, relative to LINK's folder (or,
        for `ln -sr`, to the working folder)."""
        targets = self.resolve(*target) if from_cwd else []
        for path, unknown in self.resolve(*link):
            if unknown or path == "/":
                continue
            if target[1]:
                self.links[path] = None
            elif from_cwd:
                self.links[path] = targets[0][0]
            else:
                base = "" if target[0].startswith("/") else os.path.dirname(path) + "/"
                self.links[path] = _norm(base + target[0])

    def write(self, arg: Arg, prog: str) -> None:
        """`prog` writes the file `arg`; if its name is not known, `prog` is opaque."""
        text, dyn = arg
        if not text:
            return
        if dyn:
            self._mention_tail(text)
        for path, unknown in self.resolve(text, dyn):
            if path in _DEVICES:
                continue
            if path.startswith(FD_FOLDERS):
                if "/" in path.partition("/fd/")[2]:  # a descriptor open on a folder
                    self.mentions[path] = self.opaque[prog] = None
                continue
            self.mentions[path] = None
            if unknown:
                self.opaque[prog] = None
            else:
                folder, _, name = path.rpartition("/")
                whole = name in ("*", ".*")  # `rm -rf *`: the folder
                self.paths[(folder or "/") if whole else path] = None

    def _mention_tail(self, text: str) -> None:
        """`$DIR/.orch/a`: the part after the last unknown one, in each working folder and its
        repository's top, since DIR may be either."""
        parts = text.split("/")
        last = max((i for i, part in enumerate(parts) if "$" in part or "`" in part), default=-1)
        tail = "/".join(parts[last + 1 :]).strip("/")
        for cwd, _ in self.cwds if last >= 0 and tail else ():
            for folder in dict.fromkeys((cwd, repo_root(cwd))):
                self.mentions[_norm(folder + "/" + tail)] = None

    def write_into(self, folder: Arg, source: Arg, prog: str) -> None:
        """`prog` puts `source` into `folder` (`cp a b dir/`): `folder/<name of source>`."""
        name = source[0].rstrip("/").rpartition("/")[2]
        if source[1] or name in ("", ".", ".."):
            self.write(folder, prog)
        else:
            self.write((folder[0].rstrip("/") + "/" + name, folder[1]), prog)

    def whole_tree(self, prog: str, repo: bool, tree: Arg | None = None) -> None:
        """`prog` writes files we cannot name, somewhere under the repository (or the folder)."""
        self.opaque[prog] = None
        if tree is not None:
            self.write(tree, prog)
            return
        for cwd, unknown in self.cwds:
            if not unknown:
                root = repo_root(cwd) if repo else cwd
                self.paths[root] = self.mentions[root] = None

    def run_script(self, script: Arg, prog: str) -> None:
        """Running a script is normal work, unless this command wrote the script first; code read
        from a pipe or a process substitution is unseen."""
        for path, unknown in self.resolve(*script):
            if path.startswith(FD_FOLDERS) or path in STDIN_FILES:
                self.hidden(prog)
            elif path in self.paths or unknown:
                self.opaque[prog] = None

    def hidden(self, prog: str) -> None:
        """`prog` runs code nobody can read (`curl … | sh`)."""
        self.unseen[prog] = self.opaque[prog] = None

    def code(self, arg: Arg, prog: str) -> str:
        """The text of inline code; code that starts with something unknown (`sh -c "$X"`,
        `eval "$(curl …)"`) or comes from xargs's stdin is unseen."""
        text, dyn = arg
        if (dyn and text.lstrip().startswith(("$", "`"))) or _HOLE in text:
            self.hidden(prog)  # or code xargs reads from stdin (`curl … | xargs sh -c`)
        return text

    def environ(self, name: str, value: Arg) -> None:
        """A variable put in a program's environment: one holding a command is analysed, one
        naming a script is a script run."""
        if name in COMMAND_VARS and value[0]:
            self.recurse(value[0], name)
        elif name in SCRIPT_VARS and value[0]:
            self.run_script(value, name)

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

    def is_dir(self, arg: Arg) -> bool:
        return any(not unknown and os.path.isdir(p) for p, unknown in self.resolve(*arg))

    def exists(self, arg: Arg) -> bool:
        return any(not unknown and os.path.lexists(p) for p, unknown in self.resolve(*arg))

    # -- commands -------------------------------------------------------------------------

    def simple(self, words: list[Word], redirects: list[Redir], piped: bool) -> None:
        ctx = Ctx(piped, self.feed)
        self.output = None
        index = 0
        while index < len(words) and (assignment := _assignment(words[index])) is not None:
            name, value = assignment
            text, dyn = self.expand_value(value)
            self.mention(text)
            self.environ(name, (text, dyn))
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
        self.piped_now = ctx.piped_in
        self.dispatch(argv, ctx)
        if not any(dyn for _, dyn in argv):
            self.output = printed([text for text, _ in argv], ctx.stdin, ctx.infile)
            if self.output is not None and ctx.stdin_dyn and self.output[1] is ctx.stdin:
                self.output = ("partial", ctx.stdin)  # `cat <<EOF` holding `$X`: text, not all known

    def redirect(self, redirect: Redir, ctx: Ctx | None) -> None:
        op, target = redirect.op, redirect.target
        stdin = redirect.fd in (None, "0")
        if op in HEREDOCS or op == "<<<":
            word = target if op == "<<<" else redirect.body
            text, dyn = self.expand_value(word) if word is not None else ("", False)
            if ctx is not None and stdin:
                ctx.stdin, ctx.stdin_dyn, ctx.piped_in, ctx.infile = text, dyn, False, None
            return
        if target is None:
            return
        if op not in _WRITE_REDIRECTS:
            if op == "<":
                sources = self.expand(target)
                if ctx is not None and stdin and sources:
                    _read_from(ctx, sources[0])
                for text, _ in sources:
                    self.mention(text)
            return
        for text, dyn in self.expand(target):
            if op == ">&" and (text == "-" or text.isdigit()):
                continue  # descriptor duplication, not a file
            self.write((text, dyn), "redirect")

    def dispatch(self, argv: list[Arg], ctx: Ctx) -> None:
        if not argv:
            return
        text, dyn = argv[0]
        if not dyn and text in self.renamed:
            self._renamed(argv, ctx)
            return
        folder, _, name = text.rpartition("/")
        if dyn and not (folder and _plain_name(name)):
            self.opaque[text] = None  # `$CMD …`: the program itself is unknown
            if len(argv) == 1 and text.startswith(("$(", "`")):
                self.hidden(text)  # `$(curl …)`: the whole command is output nobody can read
            return
        handler = rule(name)
        if handler is None and _is_python(name):
            name, handler = "python", rule("python")
        if handler is None and folder:
            self.run_script(argv[0], name)
        if handler is not None:
            ctx.name = name
            handler(self, argv[1:], ctx)


    def _renamed(self, argv: list[Arg], ctx: Ctx) -> None:
        """An alias (`alias cat=rm`) or `hash -p /bin/rm cat`: the words it stands for; a body
        that is more than words is opaque. An alias is not expanded inside itself."""
        name = argv[0][0]
        words = self.renamed.pop(name)
        if words is None:
            self.opaque[name] = None
        else:
            self.dispatch([*words, *argv[1:]], ctx)
        self.renamed[name] = words


def _read_from(ctx: Ctx, source: Arg) -> None:
    """`< FILE` replaces stdin, except `< /dev/stdin`; `< <(…)` is a pipe nobody can read."""
    if source[0] in STDIN_FILES:
        return
    ctx.stdin, ctx.feed = None, None
    ctx.piped_in = source[0].startswith(FD_FOLDERS)
    ctx.infile = None if ctx.piped_in else source


def _plain_name(name: str) -> bool:
    return bool(name) and all(c.isalnum() or c in "._+-" for c in name)


def _assignment(word: Word) -> tuple[str, Word] | None:
    """`NAME=value` (also `NAME+=`, `NAME[i]=`): the name, and the value as a word."""
    if not word.parts or not is_lit(word.parts[0]):
        return None
    name, eq, rest = word.parts[0].text.partition("=")
    name = name.removesuffix("+").partition("[")[0]
    if not eq or not name.isidentifier() or not name.isascii():
        return None
    return name, Word([Part("lit", rest), *word.parts[1:]])


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


def _is_python(name: str) -> bool:
    for prefix in ("python", "pypy"):
        if name.startswith(prefix):
            return all(c.isdigit() or c == "." for c in name[len(prefix) :])
    return False
