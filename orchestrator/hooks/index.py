"""The hooks' precomputed index: which unfinished task declares which file globs.

PreToolUse must answer "does this path belong to a task that may not be worked on yet?" in
well under a millisecond at 10,000 tasks. The index is split into small bucket files keyed by
a glob's literal leading folders (`src/auth/*.py` -> bucket `src/auth`), so a lookup reads only
the buckets of the path's own folders. A generation stamp (the tasks folder's mtime) tells a
reader when the index is stale; then it is rebuilt from the task files.

Layout in the runtime folder: `index/current` holds the generation name; `index/<gen>/<bucket>.json`
holds `[[glob, task_id, status, holder_hint, waits_on], ...]`.
"""

from __future__ import annotations

import os
import time

from orchestrator import fastjson
from orchestrator.jsonfile import read_json_or, write_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

FINISHED = ("completed", "cancelled")
WILDCARDS = frozenset("*?[")


def stamp(state_dir: str) -> str:
    """The generation of the task files: the tasks folder's mtime (atomic replaces bump it)."""
    try:
        return str(os.stat(os.path.join(state_dir, "tasks")).st_mtime_ns)
    except FileNotFoundError:
        return "0"


def bucket_of(glob: str) -> str:
    """A glob's literal leading folders: `src/auth/*.py` -> `src/auth`, `**/x` -> ``."""
    parts = glob.strip("/").split("/")
    literal = []
    for part in parts[:-1]:
        if WILDCARDS & set(part):
            break
        literal.append(part)
    return "/".join(literal)


def _bucket_file(folder: str, bucket: str) -> str:
    return os.path.join(folder, (bucket.replace("%", "%25").replace("/", "%2F") or "%root") + ".json")


def rebuild(state_dir: str, runtime_dir: str, tasks: list[dict[str, Any]] | None = None,
            generation: str | None = None) -> str:
    """Rebuild the index from the task files (or from `tasks`, current as of `generation`);
    returns the new generation."""
    if tasks is None or generation is None:
        generation = stamp(state_dir)
        tasks = load_tasks(os.path.join(state_dir, "tasks"))
    status = {t["id"]: t.get("status", "queued") for t in tasks}
    buckets: dict[str, list[list[Any]]] = {}
    for task in tasks:
        if task.get("status") in FINISHED:
            continue
        waits = [
            f"{d} ({status.get(d, 'missing')})"
            for d in task.get("depends_on", [])
            if status.get(d) != "completed"
        ]
        for glob in task.get("files", []):
            entry = [glob, task["id"], task.get("status"), task.get("title", ""), waits]
            buckets.setdefault(bucket_of(glob), []).append(entry)
    root = os.path.join(runtime_dir, "index")
    folder = os.path.join(root, f"{generation}.{os.getpid()}.{time.monotonic_ns()}")
    os.makedirs(folder, exist_ok=True)
    for bucket, entries in buckets.items():
        # a fresh generation folder is invisible until `current` names it: no temp file needed
        with open(_bucket_file(folder, bucket), "w", encoding="utf-8") as handle:
            handle.write(fastjson.dumps(entries))
    write_text(
        os.path.join(root, "current"), fastjson.dumps([generation, os.path.basename(folder)]), durable=False
    )
    _prune(root, keep=os.path.basename(folder))
    return generation


def keep_current(state_dir: str, runtime_dir: str, before: str) -> None:
    """After a write that changed no status, dependency or files (a task's artifacts), move a
    current index on to the new generation instead of letting the next hook rebuild it.
    The caller holds the state lock, so no other task file changed in between."""
    path = os.path.join(runtime_dir, "index", "current")
    current = read_json_or(path, None)
    if current and current[0] == before:
        write_text(path, fastjson.dumps([stamp(state_dir), current[1]]), durable=False)


def load_tasks(folder: str) -> list[dict[str, Any]]:
    tasks = []
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return []
    for entry in entries:
        if entry.name.endswith(".json") and not entry.name.startswith("."):
            data = read_json_or(entry.path, None)
            if isinstance(data, dict) and "id" in data:
                tasks.append(data)
    return tasks


def _prune(root: str, keep: str) -> None:
    """Drop generations older than the previous one (a reader may still hold the previous).
    A generation is a flat folder of bucket files; no shutil (it would import `re`)."""
    generations = sorted((e for e in os.scandir(root) if e.is_dir()), key=lambda e: e.stat().st_mtime_ns)
    for entry in generations[:-2]:
        if entry.name == keep:
            continue
        try:
            for bucket in os.scandir(entry.path):
                os.unlink(bucket.path)
            os.rmdir(entry.path)
        except OSError:
            continue  # another process pruned it first


def owners(rel_path: str, state_dir: str, runtime_dir: str) -> list[list[Any]]:
    """Index entries whose glob matches `rel_path` (a path relative to the repo root)."""
    folder = _current_folder(state_dir, runtime_dir)
    found = []
    parts = rel_path.split("/")
    for depth in range(len(parts)):
        bucket = "/".join(parts[:depth])
        for entry in read_json_or(_bucket_file(folder, bucket), []):
            if glob_matches(entry[0], parts):
                found.append(entry)
    return found


def _current_folder(state_dir: str, runtime_dir: str) -> str:
    root = os.path.join(runtime_dir, "index")
    current = read_json_or(os.path.join(root, "current"), None)
    if not current or current[0] != stamp(state_dir) or not os.path.isdir(os.path.join(root, current[1])):
        rebuild(state_dir, runtime_dir)
        current = read_json_or(os.path.join(root, "current"), None)
    return os.path.join(root, current[1])


def glob_matches(glob: str, parts: list[str]) -> bool:
    """orch's glob semantics: `*`, `?`, `[..]` within one path segment, `**` any number of them."""
    return _match(glob.strip("/").split("/"), parts)


def _match(pattern: list[str], parts: list[str]) -> bool:
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_match(rest, parts[skip:]) for skip in range(len(parts) + 1))
    return bool(parts) and segment_matches(head, parts[0]) and _match(rest, parts[1:])


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
