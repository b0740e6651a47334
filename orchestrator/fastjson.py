"""JSON for the hook hot path, without importing the `json` package.

`import json` pulls in `re` (and with it enum, functools, collections): measured here at about
a third of a PreToolUse hook's whole-process time. The parsing and compact encoding are done by
CPython's own C accelerator `_json` in either case; this module only skips the Python wrapper
and its regular expressions. Where `_json` is missing (another interpreter) it falls back to
`json`. Indented output always goes through `json` (the C encoder cannot indent).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

try:
    import _json
except ImportError:  # pragma: no cover - CPython always has it
    _json = None  # type: ignore[assignment]

_SPACE = " \t\n\r"
_CONSTANTS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


class _ScanContext:
    """The attributes `_json.make_scanner` reads from a `json.JSONDecoder`."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = staticmethod(_CONSTANTS.__getitem__)
    memo: dict[str, str] = {}


_scan = _json.make_scanner(_ScanContext()) if _json is not None else None  # type: ignore[arg-type]


def loads(data: str | bytes) -> Any:
    """Parse one JSON document; ValueError (json.JSONDecodeError) when it is not one."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    if _scan is None:
        import json

        return json.loads(text)
    start = len(text) - len(text.lstrip(_SPACE))
    try:
        value, end = _scan(text, start)
    except StopIteration as exc:
        raise ValueError(f"Expecting value: char {exc.value}") from None
    if text[end:].strip(_SPACE):
        raise ValueError(f"Extra data: char {end}")
    return value


def dumps(value: Any) -> str:
    """Compact JSON (`separators=(",", ":")`, UTF-8 kept as is)."""
    if _json is None:
        import json

        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    encode = _json.make_encoder(None, _unsupported, _json.encode_basestring, None, ":", ",",
                                False, False, True)
    return "".join(encode(value, 0))


def _unsupported(value: object) -> object:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
