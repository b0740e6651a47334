"""Bash brace expansion: `a{b,c}`, `{1..3}`. `words` marks unquoted braces and commas (`LB`,
`COMMA`, `RB`) when it joins a word from its parts, so quoted ones stay literal."""

from __future__ import annotations

from orchestrator.hooks.bash.words import COMMA, LB, RB

_MAX_WORDS = 64  # words one brace expansion may produce


def brace_expand(text: str) -> list[str] | None:
    """Bash brace expansion over marked braces; None when it would make too many words."""
    if text.count(LB) > 16:
        return None
    out = _braces(text)
    return out if len(out) <= _MAX_WORDS else None


def _braces(text: str) -> list[str]:
    start = text.find(LB)
    while start >= 0:
        depth, end = 0, -1
        commas: list[int] = []
        for j in range(start, len(text)):
            c = text[j]
            if c == LB:
                depth += 1
            elif c == RB:
                depth -= 1
                if depth == 0:
                    end = j
                    break
            elif c == COMMA and depth == 1:
                commas.append(j)
        if end < 0:
            return [text]
        if commas:
            cuts = [start, *commas, end]
            options = [text[a + 1 : b] for a, b in zip(cuts, cuts[1:], strict=False)]
        else:
            options = _sequence(text[start + 1 : end])
        if options:
            out: list[str] = []
            for option in options:
                out.extend(_braces(text[:start] + option + text[end + 1 :]))
                if len(out) > _MAX_WORDS:
                    break
            return out
        start = text.find(LB, start + 1)
    return [text]


def _sequence(inner: str) -> list[str]:
    """`{1..5}`, `{a..e}`, `{0..10..2}`."""
    bounds = inner.split("..")
    if len(bounds) not in (2, 3) or not all(_is_int(b) or len(b) == 1 for b in bounds):
        return []
    step = abs(int(bounds[2])) if len(bounds) == 3 and _is_int(bounds[2]) else 1
    step = step or 1
    if _is_int(bounds[0]) and _is_int(bounds[1]):
        first, last = int(bounds[0]), int(bounds[1])
        numbers = range(first, last + 1, step) if first <= last else range(first, last - 1, -step)
        return [str(v) for v in numbers[: _MAX_WORDS + 1]]
    if bounds[0].isalpha() and bounds[1].isalpha() and len(bounds[0]) == len(bounds[1]) == 1:
        first, last = ord(bounds[0]), ord(bounds[1])
        codes = range(first, last + 1, step) if first <= last else range(first, last - 1, -step)
        return [chr(v) for v in codes[: _MAX_WORDS + 1]]
    return []


def _is_int(text: str) -> bool:
    digits = text.removeprefix("-")
    return digits.isascii() and digits.isdigit()
