"""The hook path's stand-ins for `json` and `fnmatch` agree with the real ones."""

from __future__ import annotations

import fnmatch
import json

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


@given(st.text(alphabet="ab*?[]!.^\\", max_size=10), st.text(alphabet="ab-.[]!^\\", max_size=7))
def test_segment_matches_agrees_with_fnmatchcase(pattern: str, name: str) -> None:
    assert segment_matches(pattern, name) == fnmatch.fnmatchcase(name, pattern)


@given(st.text(alphabet="ac*?[]!-", max_size=10), st.text(alphabet="abc-", max_size=7))
def test_segment_matches_agrees_on_ranges(pattern: str, name: str) -> None:
    """Ranges, including reversed ones (which match nothing). fnmatch's merging of a reversed
    range into its neighbours (`[?-.!]`) is a quirk of its regex translation, not followed here."""
    assert segment_matches(pattern, name) == fnmatch.fnmatchcase(name, pattern)
