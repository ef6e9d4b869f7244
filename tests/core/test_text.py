"""Offsets: code points vs UTF-16, newline normalisation, whitespace stripping."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from annotator.core.text import NewlineMap, Utf16Index, normalise_newlines, strip_span, text_hash


def test_utf16_index_counts_two_units_per_astral_character():
    text = "a😀b𝄞c"
    index = Utf16Index(text)
    assert index.length == 5 and index.length_utf16 == 7
    assert [index.to_utf16(i) for i in range(6)] == [0, 1, 3, 4, 6, 7]
    assert [index.from_utf16(u) for u in (0, 1, 3, 4, 6, 7)] == [0, 1, 2, 3, 4, 5]


def test_a_position_inside_a_surrogate_pair_maps_to_its_character():
    index = Utf16Index("x😀y")
    assert index.from_utf16(2) == 1


@given(st.text(alphabet=st.sampled_from(["a", " ", "é", "😀", "\n", "中", "𝄞"]), max_size=40))
def test_utf16_round_trip_agrees_with_python_encoding(text):
    index = Utf16Index(text)
    for i in range(len(text) + 1):
        units = len(text[:i].encode("utf-16-le")) // 2
        assert index.to_utf16(i) == units
        assert index.from_utf16(units) == i


def test_newline_map_follows_crlf_removal():
    original = "one\r\ntwo\r\nthree\rfour"
    normal = normalise_newlines(original)
    assert normal == "one\ntwo\nthree\nfour"
    m = NewlineMap(original)
    start = original.index("two")
    assert normal[m(start):m.end(start + 3)] == "two"
    # An end between "\r" and "\n" keeps the line break it cut.
    assert m.end(original.index("\r\n") + 1) == normal.index("\n") + 1


def test_strip_span_drops_outer_whitespace_only():
    text = "  two words \n"
    assert strip_span(text, 0, len(text)) == (2, 11)
    assert strip_span(text, 0, 2) == (2, 2)


def test_text_hash_is_stable_and_takes_lone_surrogates():
    assert text_hash("abc") == text_hash("abc") != text_hash("abd")
    assert len(text_hash("\ud800")) == 64
