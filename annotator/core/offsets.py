"""Offset units: code points (Python, spaCy, Prodigy, our JSONL), UTF-16 code units
(the browsers behind doccano and Label Studio) and grapheme clusters (doccano's
grapheme mode).

Everything stored in annotator counts code points. Files written or read for
another tool may count in another unit; :class:`OffsetIndex` converts one text's
offsets between code points and that unit, and :func:`convert_offsets` is the
one-call form. Both are pure: no files, no spaCy, no Qt.

A grapheme cluster is what a reader sees as one character: an emoji with its
skin-tone modifier or a whole ZWJ family, a flag (two regional indicators), a
letter with its combining accents, ``\\r\\n``. Clusters follow Unicode's extended
grapheme cluster rules (UAX #29) as the ``regex`` module's ``\\X`` implements them.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from annotator.core.text import Utf16Index

CODEPOINTS = "codepoints"
UTF16 = "utf16"
GRAPHEMES = "graphemes"
UNITS: tuple[str, ...] = (CODEPOINTS, UTF16, GRAPHEMES)

#: How each unit is named to a person.
UNIT_NAMES = {CODEPOINTS: "code points", UTF16: "UTF-16 code units", GRAPHEMES: "grapheme clusters"}


class OffsetError(ValueError):
    """An offset that is out of range in its unit, or falls inside one code point
    (between the two halves of a surrogate pair) or inside a grapheme cluster."""


def _cluster_starts(text: str) -> list[int]:
    import regex

    return [m.start() for m in regex.finditer(r"\X", text)]


def _simple(text: str) -> bool:
    """True when every unit counts this text the same way (ASCII without CR/LF pairs
    or other multi-code-point clusters)."""
    return text.isascii() and "\r\n" not in text


class OffsetIndex:
    """Converts offsets of one text between code points and ``unit``.

    Tables are built once per text, and only when the text holds characters that
    make the units differ; each conversion is then a binary search.
    """

    __slots__ = ("_clusters", "_utf16", "length", "text", "unit")

    def __init__(self, text: str, unit: str) -> None:
        if unit not in UNITS:
            raise ValueError(f"unknown offset unit {unit!r}; known: {', '.join(UNITS)}")
        self.text = text
        self.unit = unit
        self._utf16 = Utf16Index(text) if unit == UTF16 else None
        self._clusters: list[int] | None = None
        if unit == GRAPHEMES and not _simple(text):
            self._clusters = _cluster_starts(text)
        if unit == UTF16:
            self.length = self._utf16.length_utf16
        elif self._clusters is not None:
            self.length = len(self._clusters)
        else:
            self.length = len(text)

    @property
    def identity(self) -> bool:
        """True when offsets in ``unit`` equal code-point offsets for this text."""
        if self.unit == UTF16:
            return self._utf16.length_utf16 == self._utf16.length
        if self.unit == GRAPHEMES:
            return self._clusters is None or len(self._clusters) == len(self.text)
        return True

    def to_codepoints(self, offset: int) -> int:
        """The code-point offset of ``offset`` (counted in ``unit``)."""
        if not 0 <= offset <= self.length:
            raise OffsetError(f"offset {offset} is outside the text (0..{self.length} {UNIT_NAMES[self.unit]})")
        if self.unit == UTF16:
            astral = self._utf16._astral_utf16
            if not astral:
                return offset
            k = bisect.bisect_right(astral, offset - 1)
            if k and astral[k - 1] == offset - 1:
                raise OffsetError(f"UTF-16 offset {offset} falls between the two halves of "
                                  f"{self.text[offset - k]!r}")
            return offset - k
        if self._clusters is not None:
            return len(self.text) if offset == len(self._clusters) else self._clusters[offset]
        return offset

    def from_codepoints(self, offset: int) -> int:
        """``offset`` (code points) counted in ``unit``; inside a grapheme cluster is an error."""
        if not 0 <= offset <= len(self.text):
            raise OffsetError(f"offset {offset} is outside the text (0..{len(self.text)} code points)")
        if self.unit == UTF16:
            return self._utf16.to_utf16(offset)
        if self._clusters is not None:
            if offset == len(self.text):
                return len(self._clusters)
            k = bisect.bisect_left(self._clusters, offset)
            if k >= len(self._clusters) or self._clusters[k] != offset:
                raise OffsetError(f"code point {offset} falls inside the grapheme cluster "
                                  f"{self.text[self._clusters[k - 1]:offset + 1]!r}")
            return k
        return offset

    def span_to_codepoints(self, start: int, end: int) -> tuple[int, int]:
        return self.to_codepoints(start), self.to_codepoints(end)

    def span_from_codepoints(self, start: int, end: int) -> tuple[int, int]:
        return self.from_codepoints(start), self.from_codepoints(end)


def convert_offsets(text: str, offsets: Iterable[int], *, source: str, target: str) -> list[int]:
    """Offsets of ``text`` counted in ``source`` units, counted in ``target`` units.

    >>> convert_offsets("a😀b", [0, 1, 3, 4], source="utf16", target="codepoints")
    [0, 1, 2, 3]

    Raises :class:`OffsetError` for an offset outside the text or inside a
    character (``utf16``) or cluster (``graphemes``) of the target unit.
    """
    offsets = list(offsets)
    if source == target:
        OffsetIndex(text, source)  # validates the unit name
        return offsets
    src = OffsetIndex(text, source)
    dst = OffsetIndex(text, target)
    return [dst.from_codepoints(src.to_codepoints(o)) for o in offsets]


def units_differ(text: str) -> bool:
    """True when some offset of ``text`` is counted differently by some unit."""
    return not _simple(text) and (
        not OffsetIndex(text, UTF16).identity or not OffsetIndex(text, GRAPHEMES).identity)
