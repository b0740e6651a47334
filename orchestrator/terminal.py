"""Terminal output: aligned tables and colour, plain when NO_COLOR is set or stdout is no terminal."""

from __future__ import annotations

import os
import sys

_CODES = {"red": 31, "green": 32, "yellow": 33, "blue": 34, "magenta": 35, "cyan": 36, "dim": 2, "bold": 1}
STATUS_COLOURS = {
    "completed": "green",
    "in_progress": "yellow",
    "review": "cyan",
    "testing": "cyan",
    "blocked": "red",
    "cancelled": "dim",
    "queued": "blue",
}
PRIORITY_COLOURS = {"critical": "red", "high": "yellow", "medium": "", "low": "dim"}


def colour_enabled() -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stdout.isatty()


def paint(text: str, colour: str) -> str:
    code = _CODES.get(colour)
    if not code or not colour_enabled():
        return text
    return f"\033[{code}m{text}\033[0m"


def status(text: str) -> str:
    return paint(text, STATUS_COLOURS.get(text, ""))


def table(header: list[str], rows: list[list[str]], colours: list[list[str]] | None = None) -> str:
    """Columns aligned on the plain text; colour applied after padding so widths stay right."""
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = ["  ".join(paint(h.ljust(w), "bold") for h, w in zip(header, widths, strict=True)).rstrip()]
    for index, row in enumerate(rows):
        tints = colours[index] if colours else [""] * len(row)
        cells = [paint(cell.ljust(w), tint) for cell, w, tint in zip(row, widths, tints, strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def progress_bar(done: int, total: int, width: int = 24) -> str:
    filled = round(width * done / total) if total else 0
    return paint("█" * filled, "green") + paint("░" * (width - filled), "dim")
