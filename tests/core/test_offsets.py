"""Offset units: code points, UTF-16 code units and grapheme clusters, on the
characters that make them differ."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.core.offsets import OffsetError, OffsetIndex, convert_offsets, units_differ

# One piece of each kind that makes units differ, and the text after it.
FLAG = "\U0001F1FA\U0001F1E6"  # Ukraine's flag: two regional indicators, one cluster
FAMILY = "\U0001F468\u200d\U0001F469\u200d\U0001F467"  # ZWJ sequence: 5 code points, 8 UTF-16 units, 1 cluster
MUSCLE = "\U0001F4AA"  # one astral code point: 2 UTF-16 units
ZURICH = "Zu\u0308rich"  # decomposed ü: 7 code points, 6 clusters
ARABIC = "\u0627\u0644\u0633\u0644\u0627\u0645"  # RTL letters, one unit each in every count


def _where(text: str, needle: str, unit: str) -> tuple[int, int]:
    start = text.index(needle)
    return tuple(convert_offsets(text, [start, start + len(needle)], source="codepoints", target=unit))


@pytest.mark.parametrize(
    ("prefix", "utf16_shift", "grapheme_shift"),
    [
        (MUSCLE, 1, 0),
        (FLAG, 2, -1),
        (FAMILY, 3, -4),
        (ZURICH, 0, -1),
        (ARABIC, 0, 0),
        ("line one\r\n", 0, -1),  # CRLF is one grapheme cluster
        ("e\u0301\u0301", 0, -2),  # stacked combining accents
    ],
)
def test_each_unit_counts_the_prefix_its_own_way(prefix, utf16_shift, grapheme_shift):
    text = f"{prefix} Kaja Kallas spoke."
    start = text.index("Kaja Kallas")
    assert _where(text, "Kaja Kallas", "codepoints") == (start, start + 11)
    assert _where(text, "Kaja Kallas", "utf16") == (start + utf16_shift, start + 11 + utf16_shift)
    assert _where(text, "Kaja Kallas", "graphemes") == (start + grapheme_shift, start + 11 + grapheme_shift)
    for unit in ("utf16", "graphemes"):
        back = convert_offsets(text, _where(text, "Kaja Kallas", unit), source=unit, target="codepoints")
        assert text[back[0]:back[1]] == "Kaja Kallas"


def test_utf16_offset_inside_a_surrogate_pair_is_an_error():
    text = f"a{MUSCLE}b"
    index = OffsetIndex(text, "utf16")
    assert index.length == 4 and [index.to_codepoints(o) for o in (0, 1, 3, 4)] == [0, 1, 2, 3]
    with pytest.raises(OffsetError, match="between the two halves"):
        index.to_codepoints(2)
    with pytest.raises(OffsetError, match="outside"):
        index.to_codepoints(5)


def test_code_point_inside_a_grapheme_cluster_is_an_error():
    text = f"x{FAMILY}y"
    index = OffsetIndex(text, "graphemes")
    assert index.length == 3 and index.from_codepoints(6) == 2
    with pytest.raises(OffsetError, match="inside the grapheme cluster"):
        index.from_codepoints(2)


def test_plain_text_needs_no_table():
    assert not units_differ("Plain ASCII, no pairs.\n")
    assert units_differ(f"x{MUSCLE}") and units_differ(ZURICH) and units_differ("a\r\nb")
    assert OffsetIndex("abc", "graphemes").identity and not OffsetIndex(ZURICH, "graphemes").identity


_pieces = st.sampled_from(["Kyiv", " ", "\r\n", "\n", MUSCLE, FLAG, FAMILY, "e\u0301", ARABIC, "Ж", "."])


@settings(max_examples=80, deadline=None)
@given(parts=st.lists(_pieces, min_size=1, max_size=20), unit=st.sampled_from(["utf16", "graphemes"]))
def test_cluster_boundaries_survive_a_round_trip(parts, unit):
    text = "".join(parts)
    boundaries = [sum(len(p) for p in parts[:i]) for i in range(len(parts) + 1)]
    # Piece edges are cluster edges except where a piece merges with its neighbour
    # (CR+LF, a combining accent after a letter): keep only those the unit accepts.
    index = OffsetIndex(text, unit)
    for cp in boundaries:
        try:
            converted = index.from_codepoints(cp)
        except OffsetError:
            continue
        assert index.to_codepoints(converted) == cp
        assert convert_offsets(text, [converted], source=unit, target="codepoints") == [cp]
