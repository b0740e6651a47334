"""Specialists inferred from a task's title when its plan names none.

A rule is a role and its words: a word matches a whole word of the title, case-insensitively, and a
word ending in `*` matches every word it starts (`test*`: test, tests, testing). The title's first
word that some rule matches decides; where two rules match that word, the one listed first wins; a
title no rule matches gets the implementer. `specialists.rules` in the config replaces the rule of
each role it names (`[]` turns a role off) and adds new roles, ahead of the built-in ones;
`specialists.infer: false` turns inference off.
"""

from __future__ import annotations

import re
from typing import Any

Rules = dict[str, list[str]]

BUILT_IN: Rules = {
    "tester": ["test*", "qa", "e2e", "pytest", "coverage"],
    "documenter": ["doc", "docs", "document*", "readme", "changelog", "guide", "tutorial", "manual"],
    "reviewer": ["review*", "audit*"],
    "architect": ["design*", "architect*", "adr"],
}
FALLBACK = "implementer"
_WORD = re.compile(r"[a-z0-9]+")


def rules_of(config: dict[str, Any]) -> Rules | None:
    """The inference rules the repo's (merged) config asks for; None when inference is off."""
    table = config.get("specialists")
    table = table if isinstance(table, dict) else {}
    if table.get("infer") is False:
        return None
    own = table.get("rules")
    own = own if isinstance(own, dict) else {}
    mine = {_role(role): [str(word).lower() for word in words] for role, words in own.items()
            if isinstance(words, list)}
    return {**mine, **{role: words for role, words in BUILT_IN.items() if role not in mine}}


def infer(title: str, rules: Rules) -> str:
    """The role of the first word of `title` that a rule matches, else the implementer."""
    for word in _WORD.findall(title.lower()):
        for role, words in rules.items():
            if any(_matches(word, pattern) for pattern in words):
                return role
    return FALLBACK


def _matches(word: str, pattern: str) -> bool:
    return word.startswith(pattern[:-1]) if pattern.endswith("*") else word == pattern


def _role(text: str) -> str:
    return "-".join(str(text).lower().split())
