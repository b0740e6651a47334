"""Where things live: the project root, orch's state folder and the machine-local runtime folder.

Standard library only and string-based (no pathlib): hooks import this on every tool call.
Nothing here starts git; the git common directory is found by reading `.git` as git does.
"""

from __future__ import annotations

import os

STATE_DIRNAME = ".orch"
PATH_MAX = 4096  # bytes, Linux's limit on a path given to a system call (macOS: 1024)


def find_root(start: str | os.PathLike[str]) -> str | None:
    """The nearest folder at or above `start` that holds a `.git` entry (a repo or a worktree)."""
    folder = os.path.abspath(start)
    while True:
        if os.path.lexists(os.path.join(folder, ".git")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def find_orch_root(start: str | os.PathLike[str]) -> str | None:
    """The nearest folder at or above `start` that is a git work tree holding `.orch/`. A `.git`
    entry without `.orch/` beside it (a submodule, a nested repository, a stray `.git` file) does
    not stop the search, so it never hides an enclosing orch repository."""
    folder = os.path.abspath(start)
    while True:
        here = os.path.join(folder, STATE_DIRNAME)
        if os.path.isdir(here) and os.path.lexists(os.path.join(folder, ".git")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def git_common_dir(root: str | os.PathLike[str]) -> str:
    """The git directory shared by every worktree of the repo at `root`."""
    dotgit = os.path.join(root, ".git")
    if os.path.isdir(dotgit):
        return dotgit
    with open(dotgit, encoding="utf-8") as handle:
        text = handle.read().strip()
    if not text.startswith("gitdir:"):
        raise OSError(f"{dotgit}: not a gitdir file")
    gitdir = os.path.join(root, text[len("gitdir:") :].strip())
    try:
        with open(os.path.join(gitdir, "commondir"), encoding="utf-8") as handle:
            common = handle.read().strip()
    except FileNotFoundError:
        return os.path.normpath(gitdir)
    return os.path.normpath(os.path.join(gitdir, common))


def state_dir(root: str | os.PathLike[str]) -> str:
    """orch's git-tracked state: `<root>/.orch`."""
    return os.path.join(root, STATE_DIRNAME)


def runtime_dir(root: str | os.PathLike[str]) -> str:
    """Machine-local runtime (bindings, leases, caches, logs), shared by all worktrees.

    `ORCH_RUNTIME_DIR` redirects it (tests); otherwise `<git common dir>/orch`.
    """
    return os.environ.get("ORCH_RUNTIME_DIR") or os.path.join(git_common_dir(root), "orch")


def worktree_dir(state_dir: str, runtime_dir: str) -> str:
    """This work tree's own folder in the shared runtime folder: `<runtime>/worktrees/<key>`.

    Every worktree of a repo shares the runtime folder but has its own task files (its branch's),
    so what is derived from them (the hooks' index, the snapshots) is kept per work tree. The key
    is a digest of the real path of the work tree root (the folder holding `state_dir`).
    """
    key = _WORKTREE_KEYS.get(state_dir)
    if key is None:
        root = os.path.realpath(os.path.dirname(os.path.abspath(state_dir)))
        key = _WORKTREE_KEYS[state_dir] = digest(root)
    return os.path.join(runtime_dir, "worktrees", key)


_WORKTREE_KEYS: dict[str, str] = {}


def digest(text: str) -> str:
    """A short, stable (across processes and versions), non-cryptographic digest of `text`:
    64-bit FNV-1a as 16 hex digits. Pure Python with nothing to import: a 100-character path
    takes microseconds, where importing zlib costs a hook about 0.5 ms and hashlib about 4 ms."""
    value = 0xCBF29CE484222325
    for byte in text.encode("utf-8", "surrogateescape"):
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}"


_CASE_RULES: dict[str, bool] = {}


def case_insensitive(root: str | os.PathLike[str]) -> bool:
    """Whether the file system under `root` ignores case (macOS's default): `.ORCH` is then the
    same folder as `.orch`. Found once per process and repository by one `stat`."""
    key = os.fspath(root)
    found = _CASE_RULES.get(key)
    if found is None:
        state, upper = os.path.join(key, STATE_DIRNAME), os.path.join(key, STATE_DIRNAME.upper())
        try:
            found = os.path.samestat(os.stat(state), os.stat(upper))
        except OSError:
            found = False
        _CASE_RULES[key] = found
    return found


def repo_relative(root: str | os.PathLike[str], path: str, cwd: str) -> str | None:
    """`path` (absolute, or relative to `cwd`) relative to the repo `root`, `..` and symlinks
    resolved, with `/` separators; None when it lies outside the repo. On a file system that
    ignores case the result is lower-cased, so `src/A.py` and `src/a.py` are one path (one lease,
    one match against the declared globs, which the index lower-cases there too)."""
    joined = os.path.join(cwd, path)
    # The kernel refuses a path over PATH_MAX, so nothing can be written there; resolving it
    # one component at a time would be quadratic in its length (minutes for a 1 MB path).
    full = os.path.normpath(joined) if len(joined) > PATH_MAX else os.path.realpath(joined)
    top = os.path.realpath(root)
    if full != top and not full.startswith(top + os.sep):
        return None
    rel = os.path.relpath(full, top).replace(os.sep, "/")
    return rel.lower() if case_insensitive(top) else rel
