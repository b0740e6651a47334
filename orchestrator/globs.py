"""orch's file globs: one normalisation and one matcher, for the plans, the graph and the hooks.

A glob is repo-relative and `/`-separated. `*`, `?` and `[...]` match within one path segment, as
`fnmatch.fnmatchcase` does on each segment; a `**` segment matches any number of segments, none
included. Normalised form (`normalise`): no `.` or empty segments (`./docs/*.md` -> `docs/*.md`,
`tests//x.py` -> `tests/x.py`, `/src/x` -> `src/x`), no `**` twice in a row, and a trailing `/`
means everything below (`src/auth/` -> `src/auth/**`); a bare folder name (`src/auth`) names that
path only. A `..` segment is refused: globs never leave the repository.

Standard library only and hook-safe: no `re`, no `fnmatch` (both cost a hook milliseconds).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

WILDCARDS = frozenset("*?[")
ANY = "**"


def normalise(glob: str) -> str:
    """`glob` in normal form (see the module docstring); ValueError when it is empty or has `..`."""
    parts = split(glob)
    if parts is None:
        if ".." in glob.strip().split("/"):
            raise ValueError(f"bad glob {glob!r}: a '..' segment leaves the repository; "
                             "write globs relative to the repository root")
        raise ValueError(f"bad glob {glob!r}: it names no path")
    return "/".join(parts)


def split(glob: str) -> list[str] | None:
    """The segments of `glob` in normal form; None when it is empty or has a `..` segment."""
    text = glob.strip()
    written = text.split("/")
    if "" not in written and "." not in written and ".." not in written and "**/**" not in text:
        return written  # already normal: the common case, and every glob of the index
    parts: list[str] = []
    for part in written:
        if part == "..":
            return None
        if part not in ("", ".") and not (part == ANY and parts[-1:] == [ANY]):
            parts.append(part)
    if text.endswith("/") and parts[-1:] != [ANY]:
        parts.append(ANY)
    return parts or None


def matches(glob: str, rel_path: str) -> bool:
    """Whether `glob` matches `rel_path` (repo-relative, `/`-separated, normalised)."""
    return glob_matches(glob, rel_path.split("/"))


def glob_matches(glob: str, parts: Sequence[str]) -> bool:
    """`matches` for a path already split into its segments."""
    pattern = split(glob)
    return pattern is not None and _match(pattern, parts)


def may_match_below(glob: str, rel_folder: str) -> bool:
    """Whether `glob` matches the folder `rel_folder` itself or may match some path below it
    (`""` or `.` is the repository root, below which everything lies). Exact segment by segment
    down to the folder; past it, conservative: any rest of the pattern may match something."""
    pattern = split(glob)
    if pattern is None:
        return False
    if rel_folder in ("", "."):
        return True
    parts = rel_folder.strip("/").split("/")
    for k, part in enumerate(parts):
        if k >= len(pattern):
            return False
        if pattern[k] == ANY:
            return True
        if not segment_matches(pattern[k], part):
            return False
    return True


def _match(pattern: Sequence[str], parts: Sequence[str]) -> bool:
    if not pattern:
        return not parts
    head = pattern[0]
    if head == ANY:
        return any(_match(pattern[1:], parts[skip:]) for skip in range(len(parts) + 1))
    return bool(parts) and segment_matches(head, parts[0]) and _match(pattern[1:], parts[1:])


def segment_matches(pattern: str, name: str) -> bool:
    """`fnmatch.fnmatchcase` for one path segment (`*`, `?`, `[seq]`, `[!seq]`), without the
    regular expressions fnmatch compiles: `re` is a third of a hook's start-up."""
    p = n = 0
    star_p = star_n = -1
    while n < len(name):
        if p < len(pattern) and pattern[p] == "*":
            star_p, star_n, p = p, n, p + 1
            continue
        step = _one_char(pattern, p, name[n]) if p < len(pattern) else -1
        if step >= 0:
            p, n = step, n + 1
        elif star_p >= 0:
            star_n += 1
            p, n = star_p + 1, star_n
        else:
            return False
    return pattern[p:].strip("*") == ""


def _one_char(pattern: str, p: int, char: str) -> int:
    """The pattern index after matching `char` at `p`, or -1."""
    head = pattern[p]
    if head == "?":
        return p + 1
    if head == "[":
        end, hit = _bracket(pattern, p, char)
        if end >= 0:
            return end if hit else -1
    return p + 1 if head == char else -1


def _bracket(pattern: str, p: int, char: str) -> tuple[int, bool]:
    """A `[...]` class at `p`: (index after it, whether `char` is in it); (-1, False) when the
    bracket is not closed, so `[` is a literal."""
    i = p + 1
    negate = i < len(pattern) and pattern[i] == "!"
    i += negate
    start = i
    if i < len(pattern) and pattern[i] == "]":
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 1
    if i >= len(pattern):
        return -1, False
    body, hit, j = pattern[start:i], False, 0
    while j < len(body):
        if j + 2 < len(body) and body[j + 1] == "-":
            hit = hit or body[j] <= char <= body[j + 2]
            j += 3
        else:
            hit = hit or body[j] == char
            j += 1
    return i + 1, hit != negate
