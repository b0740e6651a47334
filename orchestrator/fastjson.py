"""JSON for the hook hot path, without importing the `json` package.

`import json` pulls in `re` (and with it enum, functools, collections): measured here at about
a third of a PreToolUse hook's whole-process time. The parsing and compact encoding are done by
CPython's own C accelerator `_json` in either case; this module only skips the Python wrapper
and its regular expressions. Where `_json` is missing (another interpreter) it falls back to
`json`. Indented output always goes through `json` (the C encoder cannot indent).

Only a document that parses stays on the fast path. The bare scanner cannot report a syntax
error itself (it raises `json.JSONDecodeError`, found in `sys.modules`, so without `json` imported
it fails with a SystemError), and deep nesting makes it raise RecursionError: on any failure the
document is parsed again by `json` for its error message, and every failure becomes a ValueError.
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
_BOM = b"\xef\xbb\xbf"
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
    """Parse one JSON document; ValueError (json.JSONDecodeError) when it is not one.

    Bytes are UTF-8, a leading byte-order mark skipped (as `json.loads` does)."""
    if isinstance(data, bytes):
        text = (data[3:] if data[:3] == _BOM else data).decode("utf-8")
    else:
        text = data
    if _scan is None:
        return _loads_slowly(text)
    start = len(text) - len(text.lstrip(_SPACE))
    try:
        value, end = _scan(text, start)
    except StopIteration as exc:
        raise ValueError(f"Expecting value: char {exc.value}") from None
    except Exception:  # SystemError, RecursionError, a JSONDecodeError: let `json` explain
        return _loads_slowly(text)
    if text[end:].strip(_SPACE):
        raise ValueError(f"Extra data: char {end}")
    return value


def _loads_slowly(text: str) -> Any:
    """`json.loads`, with nesting too deep for the interpreter's stack as a ValueError."""
    import json

    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply to parse") from None


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
