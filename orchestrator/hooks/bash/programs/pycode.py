"""Python code that provably only reads (`python -c "print(open('.orch/x').read())"`), decided
with Python's own parser over an allowlist: a few read-only modules, builtins and methods, `open`
with a literal read mode. Anything else (an unknown call, `exec`, a dunder, a write mode, an
attribute assignment, a function definition) is not proven, and the caller keeps it opaque.

Loaded only when a command runs Python code, so `ast` never loads for ordinary commands."""

from __future__ import annotations

import ast

_MAX_CODE = 20_000

_MODULES = frozenset(
    "json sys os os.path pathlib pprint textwrap collections itertools functools operator re csv "
    "math statistics datetime time string fnmatch glob difflib hashlib base64 tomllib "
    "shlex".split()
)
_BUILTINS = frozenset(
    "print len sorted list dict set frozenset tuple str int float bool bytes repr min max sum any "
    "all enumerate zip range reversed map filter isinstance abs round format ord chr iter next "
    "divmod hex oct bin hash Exception KeyError ValueError OSError IOError IndexError "
    "TypeError FileNotFoundError StopIteration SystemExit exit".split()
)
# Attributes of the allowed modules and of the values they and the builtins return, that only
# read (or build new values in memory).
_ATTRIBUTES = frozenset(
    """
    read readline readlines load loads dumps keys values items get setdefault update append extend
    insert pop sort reverse add discard union intersection difference issubset issuperset count
    index find rfind join split rsplit splitlines strip lstrip rstrip startswith endswith lower
    upper title capitalize casefold isdigit isalpha isalnum isspace isupper islower zfill center
    ljust rjust partition rpartition encode decode format format_map
    path argv stdin stdout stderr buffer version version_info platform executable exit maxsize
    environ getcwd getenv listdir scandir walk stat lstat sep linesep curdir pardir
    basename dirname abspath realpath relpath normpath splitext exists lexists isfile isdir isabs
    islink getsize getmtime expanduser expandvars commonpath st_size st_mtime st_mode
    Path PurePath PurePosixPath cwd home read_text read_bytes is_file is_dir is_symlink glob rglob
    iterdir name stem suffix suffixes parent parents parts resolve absolute relative_to
    with_suffix with_name with_stem joinpath as_posix is_relative_to
    pprint pformat dedent indent fill wrap shorten
    Counter defaultdict OrderedDict namedtuple deque most_common elements
    chain groupby islice product permutations combinations accumulate zip_longest starmap tee
    reduce partial itemgetter
    compile search match fullmatch findall finditer sub subn escape group groups groupdict span
    start end IGNORECASE MULTILINE DOTALL
    reader DictReader fieldnames Sniffer sniff
    sqrt floor ceil log exp pi inf nan mean median mode stdev
    now today fromtimestamp fromisoformat isoformat strftime strptime timestamp date timezone utc
    datetime timedelta total_seconds days seconds year month day hour minute second
    time monotonic perf_counter ctime
    ascii_letters ascii_lowercase ascii_uppercase digits punctuation whitespace
    fnmatch fnmatchcase filter
    unified_diff ndiff context_diff SequenceMatcher ratio
    sha256 sha1 md5 hexdigest digest b64decode b64encode urlsafe_b64decode urlsafe_b64encode
    quote
    """.split()
)
# Methods that also exist as writers (`os.replace`, `Path.replace`, `list.remove`/`os.remove`,
# `dict.copy`/`Path.copy`, `sys.stdout.write`/`f.write`, `Path.open('w')`): checked per call.
_CHECKED = frozenset({"replace", "remove", "copy", "write", "flush", "open"})
# Classes whose unbound methods write (`Path.replace(p, target)`): used only when called or
# looked into, never passed around.
_CLASSES = frozenset({"Path", "PurePath", "PurePosixPath"})
_STATEMENTS = (
    ast.Module, ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For, ast.While, ast.If,
    ast.With, ast.Import, ast.ImportFrom, ast.Pass, ast.Break, ast.Continue, ast.Try, ast.Raise,
    ast.Assert, ast.ExceptHandler, ast.withitem, ast.alias,
)  # fmt: skip
_EXPRESSIONS = (
    ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.IfExp, ast.Dict, ast.Set, ast.List, ast.Tuple,
    ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.comprehension, ast.Compare,
    ast.Call, ast.Constant, ast.JoinedStr, ast.FormattedValue, ast.Attribute, ast.Subscript,
    ast.Slice, ast.Starred, ast.Name, ast.NamedExpr, ast.Lambda, ast.arguments, ast.arg,
    ast.keyword, ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop,
)  # fmt: skip


def reads_only(code: str) -> bool:
    """Whether `code` parses and uses only the allowlist (so it cannot write a file)."""
    if len(code) > _MAX_CODE:
        return False
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return _Check(tree).passes()


class _Check:
    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.nodes = list(ast.walk(tree))
        self.modules: set[str] = set()  # names bound to an imported module or its members
        self.bound: set[str] = set()  # names the code assigns
        self.called: set[int] = set()  # `open` and checked methods seen as a call's function
        self.anchored = {id(n.value) for n in self.nodes if isinstance(n, ast.Attribute)} | {
            id(n.func) for n in self.nodes if isinstance(n, ast.Call)
        }  # expressions that are a call's function or an attribute's owner

    def passes(self) -> bool:
        if not all(isinstance(node, _STATEMENTS + _EXPRESSIONS) for node in self.nodes):
            return False
        if not all(self._binds(node) for node in self.nodes):
            return False
        calls = [node for node in self.nodes if isinstance(node, ast.Call)]
        return all(self._call(node) for node in calls) and all(self._use(node) for node in self.nodes)

    def _binds(self, node: ast.AST) -> bool:
        """Imports of allowed modules, and assignments to plain names or subscripts only."""
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name not in _MODULES:
                    return False
                self.modules.add((alias.asname or alias.name).partition(".")[0])
        elif isinstance(node, ast.ImportFrom):
            if node.module not in _MODULES or node.level:
                return False
            for alias in node.names:
                if alias.name not in _ATTRIBUTES:
                    return False
                self.modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Load):
            return False
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            self.bound.add(node.id)
        elif isinstance(node, ast.arg):
            self.bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            self.bound.add(node.name)
        return True

    def _call(self, node: ast.Call) -> bool:
        func = node.func
        if isinstance(func, ast.Name) and func.id == "open":
            self.called.add(id(func))
            return _read_mode(node, position=1)
        if not isinstance(func, ast.Attribute) or func.attr not in _CHECKED:
            return True
        self.called.add(id(func))
        receiver = func.value
        if func.attr in ("write", "flush"):
            return _is_std_stream(receiver)
        if self._from_module(receiver):
            return False  # `os.replace`, `os.remove`, `Path.open(p, 'w')`, `pathlib.Path.replace`
        if func.attr == "open":
            return _read_mode(node, position=0)
        if func.attr == "replace":
            return len(node.args) >= 2  # `str.replace(old, new)`; `Path.replace(target)` renames
        if func.attr == "copy":
            return not node.args and not node.keywords  # `dict.copy()`; `Path.copy(target)` writes
        return True  # `list.remove(x)`: not a module's `remove`

    def _from_module(self, node: ast.expr) -> bool:
        while isinstance(node, ast.Attribute):
            node = node.value
        return isinstance(node, ast.Name) and node.id in self.modules

    def _use(self, node: ast.AST) -> bool:
        """Attributes on the allowlist; names bound here, builtins, and imports that are only
        called or looked into (`o = os; o.replace(a, b)` is refused)."""
        if isinstance(node, ast.Attribute):
            if node.attr in _CLASSES and id(node) not in self.anchored:
                return False
            return node.attr in _ATTRIBUTES or id(node) in self.called
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            name = node.id
            if name == "open":
                return id(node) in self.called
            if name in self.modules:
                return id(node) in self.anchored
            return name in self.bound or name in _BUILTINS
        return True


def _read_mode(call: ast.Call, position: int) -> bool:
    """`open(f)`, `open(f, 'rb')`: a literal mode without w, a, x or +, and no `opener` (nor
    arguments unpacked from a list, or passed by position as far as `opener`)."""
    if len(call.args) > 6 or any(isinstance(arg, ast.Starred) for arg in call.args):
        return False
    mode: ast.expr | None = call.args[position] if len(call.args) > position else None
    for keyword in call.keywords:
        if keyword.arg in (None, "opener"):
            return False
        if keyword.arg == "mode":
            mode = keyword.value
    if mode is None:
        return True
    if not isinstance(mode, ast.Constant) or not isinstance(mode.value, str):
        return False
    return not set(mode.value) & set("wax+")


def _is_std_stream(node: ast.expr) -> bool:
    """`sys.stdout`, `sys.stderr`, or their `.buffer`."""
    if isinstance(node, ast.Attribute) and node.attr == "buffer":
        node = node.value
    return (
        isinstance(node, ast.Attribute)
        and node.attr in ("stdout", "stderr")
        and isinstance(node.value, ast.Name)
        and node.value.id == "sys"
    )
