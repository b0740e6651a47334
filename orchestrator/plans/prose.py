"""What a one-line task description says in passing: the files it names and the tasks it waits for.

spec-kit and Kiro write no `files:` or `depends_on:` fields; the facts are in the sentence
("Create User model in src/models/user.py (depends on T012, T013)"). The reading is deliberately
narrow, so a word such as "authentication/authorization" or "Node.js" never becomes a file.
"""

from __future__ import annotations

import re

from orchestrator.globs import normalise
from orchestrator.plans.markdown import Line

_BACKTICKED = re.compile(r"`([^`\s]+)`")
_PLACE_WORDS = frozenset({"in", "at", "under", "into", "to", "from", "inside"})
_EDGE = "\"'()[]{},;:!?"
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,7}$")
_ONE_ID = r"(?:T\d+[a-z]?|`[A-Za-z0-9][\w.-]*`)"
_REFERENCE = re.compile(
    r"\b(?:depends?\s+on|after|requires?|blocked\s+by|needs|waits?\s+for)\s*:?\s+(?:tasks?\s+)?"
    rf"(?P<ids>{_ONE_ID}(?:\s*(?:,|&|/|\band\b|,\s*and\b)\s*(?:tasks?\s+)?{_ONE_ID})*)",
    re.IGNORECASE,
)
_LIBRARY = re.compile(r"[A-Z][\w-]*\.js")  # "in Node.js", "to Vue.js": a library, not a file
_TASK_ID = re.compile(_ONE_ID, re.IGNORECASE)


def named_paths(text: str) -> list[str]:
    """Repo-relative globs the text names: any backticked path, a bare word that has a `/` and
    either a file extension or a trailing `/`, and any word with a `/` or an extension right after
    "in", "at", "under", "into", "to", "from" or "inside" ("in package.json"; not "Node.js").
    Unusable ones (`..`) are dropped: a sentence is no place to refuse a plan for."""
    found = [token for token in _BACKTICKED.findall(text) if _looks_like_path(token, backticked=True)]
    words = _BACKTICKED.sub(" ", text).split()
    for index, word in enumerate(words):
        token = word.strip(_EDGE).rstrip(".")
        after_place = index > 0 and words[index - 1].lower() in _PLACE_WORDS
        if _route(token):
            continue
        if "/" in token and (after_place or _looks_like_path(token, backticked=False)):
            found.append(token)
        elif after_place and _EXTENSION.search(token) and not _LIBRARY.fullmatch(token):
            found.append(token)
    return list(dict.fromkeys(glob for glob in (_normal(token) for token in found) if glob))


def _looks_like_path(token: str, *, backticked: bool) -> bool:
    if not token or "://" in token or token.startswith(("-", "$")) or token.count("/") > 12 or _route(token):
        return False
    if backticked:
        return "/" in token or bool(_EXTENSION.search(token))
    return token.endswith("/") or bool(_EXTENSION.search(token.rsplit("/", 1)[-1]))


def _route(token: str) -> bool:
    """`/user/home`, `/api/albums/`: an absolute path without a file extension is a URL route (or a
    folder outside the repo) in a task's sentence, never one of the repo's files."""
    return token.startswith("/") and not _EXTENSION.search(token.rsplit("/", 1)[-1])


def _normal(token: str) -> str | None:
    try:
        return normalise(token.lstrip("/"))
    except ValueError:
        return None


def referenced_ids(text: str) -> list[str]:
    """Task ids the text says this task waits for: "depends on T012, T013", "after T005",
    "requires T004 and T007", "blocked by T3", or any backticked id ("after `arch`"). A `T` id is
    upper-cased (`t012` -> `T012`)."""
    found: list[str] = []
    for match in _REFERENCE.finditer(text):
        found.extend(_id(token) for token in _TASK_ID.findall(match["ids"]))
    return list(dict.fromkeys(found))


def _id(token: str) -> str:
    return token.strip("`") if token.startswith("`") else token.upper()


def dedented(lines: list[Line]) -> list[Line]:
    """The lines indented under a task, moved left by their common indent, so they read as Markdown."""
    indent = min((line.indent for line in lines if line.text.strip()), default=0)
    return [Line(line.no, line.text[indent:] if line.text.strip() else "", line.fenced) for line in lines]
