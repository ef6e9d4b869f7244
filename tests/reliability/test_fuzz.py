"""Property-based fuzzing of the importers and of the Qt/Python offset conversion.

The default run tries a few hundred cases per property; the ``slow`` suite runs
10,000 or more of each.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.core.assets import default_scheme_paths
from annotator.core.errors import AnnotatorError
from annotator.core.scheme import scheme_from_files
from annotator.core.text import Utf16Index
from annotator.formats.readers import read_csv, read_jsonl, read_text
from annotator.formats.records import Record, parse_record

SCHEME = scheme_from_files(*default_scheme_paths())

_json_scalars = st.none() | st.booleans() | st.integers(-5, 200) | st.floats(allow_nan=False) | st.text(max_size=20)
_json = st.recursive(_json_scalars, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.sampled_from(["text", "start", "end", "label", "target", "holder", "entities",
                                                        "stances", "spans", "label", "meta", "status", "answer", "x"]),
                                       inner, max_size=5), max_leaves=30)
_texts = st.lists(st.characters(codec="utf-8") | st.sampled_from(["\r\n", "\r", "😀", "🇺🇦", "\u0301", "\u200f"]),
                  min_size=1, max_size=40).map("".join)


@st.composite
def _records(draw):
    text = draw(_texts)
    n = len(text)
    ints = st.integers(-2, n + 2)
    ent = st.fixed_dictionaries({"start": ints, "end": ints, "label": st.sampled_from(["PERSON", "GPE", "BAD", 3])})
    stance = st.fixed_dictionaries({"start": ints, "end": ints, "label": st.sampled_from(["FAVOR", "AGAINST", "X"]),
                                    "target": st.sampled_from(["Sanctions on Russia", "Nope", None])})
    record = {"text": text, "entities": draw(st.lists(ent, max_size=3)), "stances": draw(st.lists(stance, max_size=2))}
    return draw(st.one_of(st.just(record), _json))


def _check_record_invariants(item):
    if isinstance(item, AnnotatorError):
        assert item.code.startswith("E2") and item.code != "E000"
        return
    assert isinstance(item, Record)
    assert "\r" not in item.text
    for span in item.spans:
        assert 0 <= span.start < span.end <= len(item.text)


def _fuzz_parse_record(obj):
    try:
        _check_record_invariants(parse_record(obj, path="fuzz.jsonl", line=1, scheme=SCHEME))
    except AnnotatorError as exc:
        _check_record_invariants(exc)


def _fuzz_files(tmp: Path, raw: bytes):
    for name, reader in (("f.jsonl", read_jsonl), ("f.txt", read_text), ("f.csv", read_csv)):
        path = tmp / name
        path.write_bytes(raw)
        try:
            for _line, item in reader(path, scheme=SCHEME):
                _check_record_invariants(item)
        except AnnotatorError as exc:
            _check_record_invariants(exc)


def _fuzz_utf16(text: str, data):
    index = Utf16Index(text)
    assert index.length_utf16 == len(text.encode("utf-16-le")) // 2
    cp = data.draw(st.integers(0, len(text)))
    u16 = index.to_utf16(cp)
    assert u16 == len(text[:cp].encode("utf-16-le")) // 2
    assert index.from_utf16(u16) == cp
    pos = data.draw(st.integers(0, index.length_utf16))
    back = index.from_utf16(pos)
    assert 0 <= back <= len(text)
    assert index.to_utf16(back) in (pos, pos - 1)  # inside a surrogate pair snaps to its start


FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SLOW = settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(obj=_records())
def test_parse_record_never_crashes(obj):
    _fuzz_parse_record(obj)


@FAST
@given(raw=st.binary(max_size=300) | st.builds(lambda o: json.dumps(o).encode(), _json))
def test_readers_never_crash(tmp_path, raw):
    _fuzz_files(tmp_path, raw)


@FAST
@given(text=st.text(min_size=0, max_size=80) | _texts, data=st.data())
def test_utf16_offsets_round_trip(text, data):
    _fuzz_utf16(text, data)


@pytest.mark.slow
@SLOW
@given(obj=_records())
def test_parse_record_never_crashes_long(obj):
    _fuzz_parse_record(obj)


@pytest.mark.slow
@SLOW
@given(raw=st.binary(max_size=300) | st.builds(lambda o: json.dumps(o).encode(), _json))
def test_readers_never_crash_long(tmp_path, raw):
    _fuzz_files(tmp_path, raw)


@pytest.mark.slow
@SLOW
@given(text=st.text(min_size=0, max_size=80) | _texts, data=st.data())
def test_utf16_offsets_round_trip_long(text, data):
    _fuzz_utf16(text, data)
