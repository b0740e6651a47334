"""The forgiving way a JSON subtask names the subtasks it depends on, resolved in time linear in the plan.

A reference resolves, in this order, to the subtask whose id it is or whose id or title it equals
once both are reduced to lower-case words (case, `_`, `-` and spaces do not matter); else to the one
other subtask (never the referring one) whose id or title starts with it; else to the one whose id
and title words include all of its words. Two matches at a stage are an error naming both.

The indexes are built once per plan, so a dependency costs a few dictionary probes rather than a
scan of every subtask (10,000 subtasks naming each other by title took minutes that way).
`work` counts normalisations and index entries looked at, which a test holds to linear growth.
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass

_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Candidate:
    """A subtask a dependency may name."""

    id: str
    title: str

    def __str__(self) -> str:
        return f"{self.title!r} ({self.id})"


def words(text: str) -> str:
    """Lower-case words joined by single spaces: "Database_Schema-design" -> "database schema design"."""
    return " ".join(_WORD.findall(text.lower()))


class Matcher:
    """Resolves references among `candidates` (in plan order), or to one of the `external` ids."""

    def __init__(self, candidates: list[Candidate], external: frozenset[str]) -> None:
        self.candidates, self.external, self.work = candidates, external, 0
        self._by_id = {candidate.id: n for n, candidate in enumerate(candidates)}
        self._by_name: dict[str, list[int]] = {}
        self._by_word: dict[str, set[int]] = {}
        names: list[tuple[str, int]] = []
        for n, candidate in enumerate(candidates):
            for name in dict.fromkeys((self._words(candidate.id), self._words(candidate.title))):
                self._by_name.setdefault(name, []).append(n)
                names.append((name, n))
                for word in name.split():
                    self._by_word.setdefault(word, set()).add(n)
        names.sort()
        self._names = names

    def resolve(self, ref: str, me: str) -> str:
        """The id `ref` names for subtask `me`, or a ValueError naming the candidates or the near misses."""
        key = self._words(ref)
        found = self._pick(ref, self._exact(ref, key))
        if found or ref in self.external:
            return found or ref
        if key:
            mine = self._by_id.get(me)
            for stage in (self._prefixed, self._word_subset):
                found = self._pick(ref, [n for n in stage(key) if n != mine])
                if found:
                    return found
        raise ValueError(self._unknown(ref))

    def _words(self, text: str) -> str:
        self.work += 1
        return words(text)

    def _exact(self, ref: str, key: str) -> list[int]:
        self.work += 1
        exact = self._by_name.get(key, [])
        by_id = self._by_id.get(ref)
        return exact if by_id is None or by_id in exact else sorted([by_id, *exact])

    def _prefixed(self, key: str) -> list[int]:
        """Subtasks with a name starting with `key` (the run of sorted names from `key` on). Three
        are enough to know the match is ambiguous, but the message then names every one."""
        found: list[int] = []
        for n in self._run(key):
            if n not in found:
                found.append(n)
            if len(found) > 2:
                return sorted(set(found).union(self._run(key)))
        return sorted(found)

    def _run(self, key: str) -> Iterator[int]:
        names = self._names
        for at in range(bisect.bisect_left(names, (key, -1)), len(names)):
            (name, n), self.work = names[at], self.work + 1
            if not name.startswith(key):
                return
            yield n

    def _word_subset(self, key: str) -> list[int]:
        """Subtasks whose words include all of `key`'s: intersect the word sets, rarest first."""
        sets = sorted((self._by_word.get(word, set()) for word in set(key.split())), key=len)
        self.work += len(sets[0])
        return sorted(sets[0].intersection(*sets[1:]))

    def _pick(self, ref: str, found: list[int]) -> str | None:
        if len(found) > 1:
            names = ", ".join(str(self.candidates[n]) for n in found)
            raise ValueError(f"ambiguous dependency {ref!r}: it matches {names}")
        return self.candidates[found[0]].id if found else None

    def _unknown(self, ref: str) -> str:
        candidates = self.candidates
        by_name = {name: c for c in candidates for name in (c.id, c.title)}
        close = difflib.get_close_matches(ref, list(by_name), n=3, cutoff=0.5)
        if close:
            hint = ", ".join(dict.fromkeys(str(by_name[name]) for name in close))
            return f"unknown dependency {ref!r}: did you mean {hint}?"
        known = ", ".join(str(candidate) for candidate in candidates[:8])
        more = ", ..." if len(candidates) > 8 else ""
        return f"unknown dependency {ref!r}: no subtask has that id or title (subtasks: {known}{more})"

