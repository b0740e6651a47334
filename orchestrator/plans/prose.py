"""What a one-line task description says in passing: the files it names and the tasks it waits for.

spec-kit and Kiro write no `files:` or `depends_on:` fields; the facts are in the sentence
("Create User model in src/models/user.py (depends on T012, T013)"). The reading is deliberately
narrow, so a word such as "authentication/authorization" or "Node.js" never becomes a file.
"""

from __future__ import annotations

import re

from orchestrator.globs import normalise

_BACKTICKED = re.compile(r"`([^`\s]+)`")
_PLACE_WORDS = frozenset({"in", "at", "under", "into", "to", "from", "inside"})
_EDGE = "\"'()[]{},;:!?"
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,7}$")
_REFERENCE = re.compile(
    r"\b(?:depends?\s+on|after|requires?|blocked\s+by|needs|waits?\s+for)\s*:?\s+"
    r"(?:tasks?\s+)?(?P<ids>T\d+[a-z]?(?:\s*(?:,|&|/|\band\b|,\s*and\b)\s*(?:tasks?\s+)?T\d+[a-z]?)*)",
    re.IGNORECASE,
)
_TASK_ID = re.compile(r"T\d+[a-z]?", re.IGNORECASE)


def named_paths(text: str) -> list[str]:
    """Repo-relative globs the text names: any backticked path, and a bare word that has a `/` and
    either a file extension, a trailing `/`, or "in"/"at"/"under"… before it. Unusable ones (`..`)
    are dropped: a sentence is no place to refuse a plan for."""
    found = [token for token in _BACKTICKED.findall(text) if _looks_like_path(token, backticked=True)]
    words = _BACKTICKED.sub(" ", text).split()
    for index, word in enumerate(words):
        token = word.strip(_EDGE).rstrip(".")
        after_place = index > 0 and words[index - 1].lower() in _PLACE_WORDS
        if "/" in token and (after_place or _looks_like_path(token, backticked=False)):
            found.append(token)
    return list(dict.fromkeys(glob for glob in (_normal(token) for token in found) if glob))


def _looks_like_path(token: str, *, backticked: bool) -> bool:
    if not token or "://" in token or token.startswith(("-", "$")) or token.count("/") > 12:
        return False
    if backticked:
        return "/" in token or bool(_EXTENSION.search(token))
    return token.endswith("/") or bool(_EXTENSION.search(token.rsplit("/", 1)[-1]))


def _normal(token: str) -> str | None:
    try:
        return normalise(token.lstrip("/"))
    except ValueError:
        return None


def referenced_ids(text: str) -> list[str]:
    """Task ids the text says this task waits for: "depends on T012, T013", "after T005",
    "requires T004 and T007", "blocked by T3". Ids are upper-cased (`t012` -> `T012`)."""
    found: list[str] = []
    for match in _REFERENCE.finditer(text):
        found.extend(token.upper() for token in _TASK_ID.findall(match["ids"]))
    return list(dict.fromkeys(found))
