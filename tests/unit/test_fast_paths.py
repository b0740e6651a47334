"""The hook path's stand-ins for `json` and `fnmatch` agree with the real ones."""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestrator import fastjson
from orchestrator.hooks.index import segment_matches

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_fastjson_round_trips_like_json(value: object) -> None:
    text = fastjson.dumps(value)
    assert text == json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    assert fastjson.loads(text) == json.loads(text)
    assert fastjson.loads(f" \n{text}\t ") == value


@pytest.mark.parametrize("bad", ["", "{", "[1] x", "nope", '{"a":}', "[1,]", "\x00"])
def test_fastjson_rejects_what_json_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        json.loads(bad)
    with pytest.raises(ValueError):
        fastjson.loads(bad)


_WITHOUT_JSON = """
import sys
from orchestrator import fastjson
assert "json" not in sys.modules
for text in sys.argv[1:]:
    data = text.encode("utf-8", "surrogateescape")
    try:
        fastjson.loads(data)
    except ValueError as exc:
        print("ValueError", str(exc).splitlines()[0][:60])
    else:
        print("parsed")
"""
_MALFORMED = ['{"a": 1', '{"a": [1, 2}', '"abc', '{"a": tru}', "[" * 10_000, '{"a":' * 10_000 + "1",
              "\udcff{}", '{"a": "\\x"}', '{"a": 1}}']


def test_fastjson_raises_value_error_for_malformed_input_even_without_json_imported() -> None:
    """The hook process never imports `json`; the bare scanner then cannot raise its own error
    (SystemError) and deep nesting raises RecursionError: both must come out as ValueError."""
    done = subprocess.run([sys.executable, "-c", _WITHOUT_JSON, *_MALFORMED], capture_output=True,
                          text=True, errors="replace", timeout=30)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == len(_MALFORMED) and all(line.startswith("ValueError") for line in lines), lines
    assert lines[4] == lines[5] == "ValueError JSON nested too deeply to parse"


def test_fastjson_skips_a_byte_order_mark_like_json() -> None:
    assert fastjson.loads(b'\xef\xbb\xbf{"a": 1}') == json.loads(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}


@given(st.text(alphabet="ab*?[]!.^\\", max_size=10), st.text(alphabet="ab-.[]!^\\", max_size=7))
def test_segment_matches_agrees_with_fnmatchcase(pattern: str, name: str) -> None:
    assert segment_matches(pattern, name) == fnmatch.fnmatchcase(name, pattern)


@given(st.text(alphabet="ac*?[]!-", max_size=10), st.text(alphabet="abc-", max_size=7))
def test_segment_matches_agrees_on_ranges(pattern: str, name: str) -> None:
    """Ranges, including reversed ones (which match nothing). fnmatch's merging of a reversed
    range into its neighbours (`[?-.!]`) is a quirk of its regex translation, not followed here."""
    assert segment_matches(pattern, name) == fnmatch.fnmatchcase(name, pattern)
