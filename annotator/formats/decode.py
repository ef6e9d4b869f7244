"""Decoding files to text: declared encodings, BOMs, UTF-16 without BOM, binary files."""

from __future__ import annotations

import codecs
from pathlib import Path

from annotator.core.errors import AnnotatorError, Errors

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def sniff_encoding(head: bytes, *, path: Path) -> str:
    """Guess the encoding from the first bytes of a file.

    BOMs win; text where every other byte is NUL is UTF-16 without a BOM; any
    other NUL byte means a binary file (``E202``); everything else is read as UTF-8.
    """
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    if b"\x00" in head:
        sample = head[: len(head) // 2 * 2]
        if len(sample) >= 4:
            even_nul = sample[0::2].count(0) / (len(sample) / 2)
            odd_nul = sample[1::2].count(0) / (len(sample) / 2)
            # UTF-16 without a BOM: NULs sit in the high byte of one parity only.
            candidate = ("utf-16-le" if odd_nul > 0.2 and even_nul < 0.02
                         else "utf-16-be" if even_nul > 0.2 and odd_nul < 0.02 else None)
            if candidate and _looks_like_text(sample, candidate):
                return candidate
        raise AnnotatorError(Errors.E202, path=path)
    return "utf-8"


def _looks_like_text(sample: bytes, encoding: str) -> bool:
    text = sample.decode(encoding, errors="replace")
    if not text:
        return False
    good = sum(ch.isprintable() or ch in "\n\r\t" for ch in text)
    return "\x00" not in text and good / len(text) > 0.95


def decode_bytes(data: bytes, encoding: str, *, path: Path, line: int | None = None, base_offset: int = 0) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise AnnotatorError(Errors.E201, path=path, line=line, encoding=encoding.upper(),
                             offset=base_offset + exc.start, reason=exc.reason) from None
    except LookupError:
        raise AnnotatorError(Errors.E201, path=path, encoding=encoding, offset=0, reason="unknown encoding name") from None
    if "\x00" in text:
        raise AnnotatorError(Errors.E202, path=path, line=line)
    return text


def read_text_file(path: Path, *, encoding: str | None = None) -> str:
    """Whole file as text (for .txt, .md, .csv, .json); refuses empty and binary files."""
    data = path.read_bytes()
    if not data.strip():
        raise AnnotatorError(Errors.E203, path=path)
    enc = encoding or sniff_encoding(data[:8192], path=path)
    text = decode_bytes(data, enc, path=path)
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise AnnotatorError(Errors.E203, path=path)
    return text
