"""What the Stop hook's gate cache is keyed on: the identity of every file a gate could read.

A gate can read anything under the repository root: tracked, untracked and git-ignored files
(build output, `node_modules`, `.venv`), the files of submodules and nested repositories, and
whatever a symlink points to. So the fingerprint walks the whole tree and records, per path,
its type, mode, device, inode, size, mtime and ctime; for a symlink also its target and the
target's identity. ctime changes on every write and cannot be set back (`touch -d` and `utime`
set it to now), so an edit that keeps size and mtime still changes the fingerprint.

Left out: `.git` (anywhere: a repository's or a submodule's own store, which git rewrites on
its own) and `.orch` at the root (orch's state, which changes on every call), plus paths the
caller excludes. Not followed: a symlink to a directory (its target's identity is recorded,
not the files below it). Standard library only: the Stop hook imports this module.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Mapping

Entries = dict[str, str]

SKIPPED_EVERYWHERE = frozenset({".git"})
SKIPPED_AT_ROOT = (".orch",)
TOOL_CACHES = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis"})


def tree_entries(root: str | os.PathLike[str], *, exclude: Iterable[str] = ()) -> Entries:
    """`{relative path: identity}` for every file, folder and symlink under `root`."""
    top = os.fspath(root)
    skipped = {*SKIPPED_AT_ROOT, *(path.strip("/") for path in exclude)}
    entries: Entries = {}
    folders = [""]
    while folders:
        folder = folders.pop()
        for entry in _listing(os.path.join(top, folder), folder, entries):
            rel = f"{folder}/{entry.name}" if folder else entry.name
            if entry.name in SKIPPED_EVERYWHERE or rel in skipped:
                continue
            entries[rel] = _identity(entry)
            if entry.is_dir(follow_symlinks=False):
                folders.append(rel)
    return entries


def digest(entries: Mapping[str, str]) -> str:
    """One hex digest of `entries`, independent of the order they were found in."""
    hashed = hashlib.sha256()
    for rel in sorted(entries):
        hashed.update(f"{rel}\0{entries[rel]}\n".encode("utf-8", "surrogateescape"))
    return hashed.hexdigest()


def tree_fingerprint(root: str | os.PathLike[str], *, exclude: Iterable[str] = ()) -> str:
    """Digest of `tree_entries(root)`: equal fingerprints mean no file a gate reads has changed."""
    return digest(tree_entries(root, exclude=exclude))


def changed_paths(before: Mapping[str, str], after: Mapping[str, str]) -> set[str]:
    """Paths added, removed or changed between two `tree_entries` of the same tree."""
    return {rel for rel in before.keys() | after.keys() if before.get(rel) != after.get(rel)}


def after_run(before: Mapping[str, str], after: Mapping[str, str], outputs: Iterable[str] = ()) -> str:
    """The fingerprint to file a gate run's result under, from the trees before and after it.

    The tree after the run if the run changed nothing but tool caches (TOOL_CACHES, `.coverage`
    data) and `outputs` (the reports the gates declare): the gates' own writes must not make the
    next check miss. Otherwise the tree before it: a file changed while the gates ran (by another
    agent, say) may have been read before the change, so the next check reruns them."""
    declared = set(outputs)
    if all(_written_by_tools(rel, declared) for rel in changed_paths(before, after)):
        return digest(after)
    return digest(before)


def _written_by_tools(rel: str, declared: set[str]) -> bool:
    parts = rel.split("/")
    name = parts[-1]
    coverage_data = name == ".coverage" or name.startswith(".coverage.")
    folder_of_declared = any(path.startswith(f"{rel}/") for path in declared)
    return rel in declared or folder_of_declared or coverage_data or not TOOL_CACHES.isdisjoint(parts)


def _listing(path: str, rel: str, entries: Entries) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as found:
            return list(found)
    except OSError as exc:  # unreadable or gone while we looked: that is a state too
        entries[f"{rel}/"] = f"unlisted:{exc.errno}"
        return []


def _identity(entry: os.DirEntry[str]) -> str:
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError:
        return "gone"
    if stat.S_ISDIR(info.st_mode):
        return f"d{info.st_mode:o}"  # its children are entries of their own
    key = _stat_key(info)
    if stat.S_ISLNK(info.st_mode):
        key += f"->{_link_target(entry.path)}"
    return key


def _link_target(path: str) -> str:
    try:
        target = os.readlink(path)
        return f"{target}:{_stat_key(os.stat(path))}"
    except OSError:
        return "broken"


def _stat_key(info: os.stat_result) -> str:
    return (
        f"{info.st_mode:o}:{info.st_dev}:{info.st_ino}:{info.st_size}:"
        f"{info.st_mtime_ns}:{info.st_ctime_ns}"
    )
