"""Text and offset rules shared by every layer.

Note for developers: offsets everywhere in annotator are Python code-point offsets
into the stored (newline-normalised) text, end-exclusive. Qt counts UTF-16 code
units; :class:`Utf16Index` converts between the two and is used at exactly one
place, where the article view meets the model.
"""

from __future__ import annotations

import bisect
import hashlib
import re

_NEWLINES = re.compile(r"\r\n?")
_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


def normalise_newlines(text: str) -> str:
    """Return ``text`` with ``\\r\\n`` and lone ``\\r`` turned into ``\\n``."""
    return _NEWLINES.sub("\n", text) if "\r" in text else text


class NewlineMap:
    """Maps offsets in a text with CR/CRLF line breaks onto its normalised form.

    Only ``\\r\\n`` shortens the text (by one code point per pair); a lone ``\\r``
    becomes ``\\n`` in place.
    """

    def __init__(self, original: str) -> None:
        self._dropped = [m.start() for m in re.finditer(r"\r\n", original)]

    def __call__(self, offset: int) -> int:
        """Map a start offset: every dropped "\r" before it shifts it left by one."""
        return offset - bisect.bisect_left(self._dropped, offset)

    def end(self, offset: int) -> int:
        """Map an end offset: one that falls between "\r" and "\n" keeps the line break."""
        return offset - bisect.bisect_left(self._dropped, offset - 1)


def text_hash(text: str) -> str:
    """Stable identity of an article's text (after normalisation): sha256 hex."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``[start, end)`` so it neither starts nor ends with whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


class Utf16Index:
    """Converts between code-point offsets and UTF-16 code-unit offsets of one text.

    Texts made only of BMP characters (the common case) need no table: both
    offsets are equal. Otherwise a sorted list of the code-point positions of
    astral characters gives each conversion in O(log n).
    """

    __slots__ = ("_astral", "_astral_utf16", "length", "length_utf16")

    def __init__(self, text: str) -> None:
        self._astral = [m.start() for m in _ASTRAL.finditer(text)] if not text.isascii() else []
        # UTF-16 position of each astral character's first unit.
        self._astral_utf16 = [pos + k for k, pos in enumerate(self._astral)]
        self.length = len(text)
        self.length_utf16 = self.length + len(self._astral)

    def to_utf16(self, offset: int) -> int:
        if not self._astral:
            return offset
        return offset + bisect.bisect_left(self._astral, offset)

    def from_utf16(self, offset: int) -> int:
        """Code-point offset of a UTF-16 position; a position inside a surrogate
        pair maps to the start of its character."""
        if not self._astral:
            return offset
        k = bisect.bisect_right(self._astral_utf16, offset - 1)
        # k astral characters start before ``offset``; if the last one starts at
        # offset - 1, the position falls between its two surrogates.
        if k and self._astral_utf16[k - 1] == offset - 1:
            return self._astral[k - 1]
        return offset - k


#: Texts longer than this are processed in pieces: spaCy refuses texts over
#: ``nlp.max_length`` (1,000,000 characters, E088), and its parser and recogniser
#: need about 1 GB of temporary memory per 100,000 characters.
LONG_TEXT = 100_000
#: The most characters of one piece of a long text.
CHUNK_CHARS = 50_000

# Where a long text may be cut, best first: a blank line, a line break, the end of
# a sentence (with closing quotes or brackets), any whitespace.
_CUTS = (re.compile(r"\n[^\S\n]*\n\s*"), re.compile(r"\n\s*"),
         re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*\s+"), re.compile(r"\s+"))


def sentence_chunks(text: str, *, size: int = CHUNK_CHARS) -> list[tuple[int, str]]:
    """Cut ``text`` into (offset, piece) pairs of at most ``size`` characters.

    Each piece but the last ends after a paragraph break, a line break, a
    sentence end or whitespace (the best one found in the second half of the
    window), so a tokenizer splits the pieces as it splits the whole text, and a
    sentence is cut only when no sentence end is near. Only a run of ``size / 2``
    characters without any whitespace is cut mid-word. The pieces joined give
    ``text`` back, and ``offset`` maps a piece's offsets onto the text.
    """
    size = max(2, size)
    pieces: list[tuple[int, str]] = []
    start, length = 0, len(text)
    while length - start > size:
        window_end = start + size
        cut = window_end
        for pattern in _CUTS:
            last = None
            for last in pattern.finditer(text, start + size // 2, window_end):  # noqa: B007 (keep the last)
                pass
            if last is not None:
                cut = last.end()
                break
        pieces.append((start, text[start:cut]))
        start = cut
    pieces.append((start, text[start:]))
    return pieces
