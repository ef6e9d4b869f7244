"""Token-per-line formats in: CoNLL (CoNLL-2003, doccano's and Label Studio's
CoNLL exports, ours) and spaCy's one-sentence-a-line ``.iob``.

Tags may follow IOB1 (``I-X`` starts an entity unless it continues one of the
same type), IOB2 (``B-X`` starts every entity), BIOES/IOBES (``S-X`` single,
``E-X`` last) or BILUO (``U-X``, ``L-X``); one decoder reads them all.

Articles: ``-DOCSTART-`` lines split a file into articles and blank lines split
sentences, except under Label Studio's three-column header ``-DOCSTART- -X- O``
(and in files without any ``-DOCSTART-``, such as doccano's), where each
blank-line block is one article. An article's text is its tokens joined by a
single space, its sentences joined by newlines; span offsets are exact in that
text. Every token carries a tag, so the articles are marked done. Columns are tab-separated when the line holds a tab, else split on spaces;
the token is the first column and the tag the last, so ``-X-`` and POS/chunk
columns in between are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from annotator.core.errors import AnnotatorError, Errors

TAG = re.compile(r"^(?:O|([BIESLU])-(\S+))$")
DOCSTART = "-DOCSTART-"
LABEL_STUDIO_HEADER = "-DOCSTART- -X- O"


def decode_tags(tags: list[str]) -> list[tuple[int, int, str]]:
    """(first token, last token + 1, label) of every entity in a tag sequence of
    any of the schemes above."""
    spans: list[tuple[int, int, str]] = []
    current: list[Any] | None = None  # [start, end, label]
    for i, tag in enumerate(tags):
        m = TAG.match(tag)
        prefix, label = (m.group(1), m.group(2)) if m and m.group(1) else (None, None)
        if prefix is None:
            current = None
            continue
        continues = current is not None and current[2] == label and current[1] == i and prefix in "IEL"
        if continues:
            current[1] = i + 1
        else:
            current = [i, i + 1, label]
            spans.append(current)  # type: ignore[arg-type]
        if prefix in "ELSU":
            current = None
    return [tuple(s) for s in spans]  # type: ignore[misc]


class _Article:
    def __init__(self, line: int) -> None:
        self.line = line
        self.chars = 0
        self.sentences: list[tuple[list[str], list[str]]] = []
        self.words: list[str] = []
        self.tags: list[str] = []

    def end_sentence(self) -> None:
        if self.words:
            self.sentences.append((self.words, self.tags))
        self.words, self.tags = [], []

    def record(self, kind: str) -> dict[str, Any] | None:
        self.end_sentence()
        if not self.sentences:
            return None
        parts: list[str] = []
        entities: list[dict[str, Any]] = []
        offset = 0
        for words, tags in self.sentences:
            starts = []
            for w in words:
                starts.append(offset)
                offset += len(w) + 1
            sentence = " ".join(words)
            base = starts[0]
            for first, last, label in decode_tags(tags):
                start, end = starts[first], starts[last - 1] + len(words[last - 1])
                entities.append({"start": start, "end": end, "label": label,
                                 "text": sentence[start - base:end - base]})
            parts.append(sentence)
        # Every token is tagged (O = no entity): the article is finished annotation.
        return {"text": "\n".join(parts), "entities": entities, "meta": {"format": kind}, "status": "done"}


def _emit(article: _Article | None, kind: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """The record of a finished article, if it holds any token."""
    if article is not None:
        record = article.record(kind)
        if record:
            yield article.line, record


def _columns(line: str) -> list[str]:
    return line.split("\t") if "\t" in line else line.split()


def _too_long(article: _Article, word: str, *, path: Path, line: int, max_chars: int) -> AnnotatorError | None:
    article.chars += len(word) + 1
    if article.chars > max_chars:
        return AnnotatorError(Errors.E217, path=path, line=article.line, size=f"over {max_chars:,} characters, at line {line},",
                              limit=max_chars)
    return None


def read_conll_records(lines: Iterator[tuple[int, str]], *, path: Path,
                       max_chars: int) -> Iterator[tuple[int, dict[str, Any] | AnnotatorError]]:
    """Article records (our JSON shape, with span texts) from CoNLL lines; an
    article over ``max_chars`` stops the file (E217) instead of filling memory."""
    lines = iter(lines)
    pending: list[tuple[int, str]] = []
    docstarts = 0
    header_ls = False
    # Look ahead until the article layout is known: a second -DOCSTART- or Label
    # Studio's header decides it; a file without -DOCSTART- is one article a block.
    for number, raw in lines:
        pending.append((number, raw))
        stripped = raw.strip()
        if stripped.startswith(DOCSTART):
            docstarts += 1
            if stripped == LABEL_STUDIO_HEADER and docstarts == 1:
                header_ls = True
            if docstarts >= 2:
                break
        if len(pending) > 200_000:
            break
    by_block = header_ls or docstarts == 0
    article: _Article | None = None

    def all_lines() -> Iterator[tuple[int, str]]:
        yield from pending
        yield from lines

    for number, raw in all_lines():
        stripped = raw.strip()
        if stripped.startswith(DOCSTART):
            yield from _emit(article, "conll")
            article = None
            continue
        if not stripped:
            if by_block:
                yield from _emit(article, "conll")
                article = None
            elif article is not None:
                article.end_sentence()
            continue
        cols = _columns(stripped)
        if len(cols) < 2:
            yield number, AnnotatorError(Errors.E233, path=path, line=number, kind="CoNLL",
                                         reason=f"{stripped[:60]!r} has one column")
            return
        tag = cols[-1].strip()
        if not TAG.match(tag):
            yield number, AnnotatorError(Errors.E233, path=path, line=number, kind="CoNLL",
                                         reason=f"the last column {tag[:40]!r} is not a tag")
            return
        if article is None:
            article = _Article(number)
        error = _too_long(article, cols[0], path=path, line=number, max_chars=max_chars)
        if error is not None:
            yield article.line, error
            return
        article.words.append(cols[0].strip())
        article.tags.append(tag)
    yield from _emit(article, "conll")


def read_iob_records(lines: Iterator[tuple[int, str]], *, path: Path,
                     max_chars: int) -> Iterator[tuple[int, dict[str, Any] | AnnotatorError]]:
    """spaCy's ``.iob``: one sentence a line, ``word|TAG`` or ``word|POS|TAG``;
    ``-DOCSTART-`` lines split articles, else each line is one article."""
    article: _Article | None = None
    docstarts = False
    for number, raw in lines:
        stripped = raw.strip()
        if not stripped:
            continue
        if stripped.startswith(DOCSTART):
            docstarts = True
            yield from _emit(article, "iob")
            article = None
            continue
        if article is None:
            article = _Article(number)
        for item in stripped.split():
            word, sep, tag = item.rpartition("|")
            if not sep or not word or not TAG.match(tag):
                yield number, AnnotatorError(Errors.E233, path=path, line=number, kind="IOB",
                                             reason=f"{item[:40]!r} is not word|TAG")
                return
            if "|" in word:  # word|POS|TAG
                word = word.split("|", 1)[0]
            error = _too_long(article, word, path=path, line=number, max_chars=max_chars)
            if error is not None:
                yield article.line, error
                return
            article.words.append(word)
            article.tags.append(tag)
        article.end_sentence()
        if not docstarts:
            yield from _emit(article, "iob")
            article = None
    yield from _emit(article, "iob")


def looks_like_conll(lines: list[str]) -> bool:
    """Token + tag columns (or -DOCSTART-) on nearly every non-blank line."""
    body = [ln.strip() for ln in lines if ln.strip()]
    if not body:
        return False
    if any(ln.startswith(DOCSTART) for ln in body[:3]):
        return True
    tagged = sum(1 for ln in body if 2 <= len(_columns(ln)) <= 12 and TAG.match(_columns(ln)[-1]))
    return len(body) >= 2 and tagged >= 0.9 * len(body)


def looks_like_iob(lines: list[str]) -> bool:
    body = [ln.strip() for ln in lines if ln.strip() and not ln.startswith(DOCSTART)]
    if not body:
        return False
    items = [it for ln in body for it in ln.split()]
    good = sum(1 for it in items if "|" in it and TAG.match(it.rpartition("|")[2]))
    return bool(items) and good == len(items)
