"""Putting character spans onto spaCy tokens, and choosing the entities of ``doc.ents``.

The alignment policy (see docs in the README, "Export"):

1. strip whitespace from both edges of the span;
2. ``Doc.char_span(..., alignment_mode="strict")``;
3. when that fails, try ``"contract"`` and then ``"expand"``, and accept the result
   only when every character it drops or adds is whitespace or punctuation (a span
   that ends inside ``Inc.`` or starts inside a quote mark is snapped; a span that
   cuts a word is not);
4. otherwise the span is not aligned: the caller reports it (never drops it silently).

Note for developers: spaCy objects arrive as arguments; this module imports spaCy
only for type checking.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from annotator.core.model import Span
from annotator.core.text import strip_span
from annotator.formats.export import ExportReport, span_record

if TYPE_CHECKING:
    from spacy.tokens import Doc
    from spacy.tokens import Span as SpacySpan


def _ignorable(chars: str) -> bool:
    """Whitespace and punctuation may be added or dropped when snapping a span."""
    return all(ch.isspace() or unicodedata.category(ch).startswith("P") for ch in chars)


@dataclass(slots=True)
class Aligned:
    span: Span
    start: int  # token index
    end: int  # token index (exclusive)
    start_char: int
    end_char: int
    snapped: bool


def align(doc: Doc, span: Span, text: str | None = None) -> Aligned | str:
    """Token boundaries for ``span`` in ``doc``, or the reason why there are none.

    ``text`` is ``doc.text`` when the caller has it (spaCy rebuilds it on every access).
    """
    text = doc.text if text is None else text
    start, end = strip_span(text, span.start, span.end)
    if start >= end:
        return "the span holds only whitespace"
    found = doc.char_span(start, end, alignment_mode="strict")
    if found is not None:
        return Aligned(span, found.start, found.end, start, end, (start, end) != (span.start, span.end))
    for mode in ("contract", "expand"):
        found = doc.char_span(start, end, alignment_mode=mode)
        if found is None or len(found) == 0:
            continue
        s, e = found.start_char, found.end_char
        changed = text[min(s, start):max(s, start)] + text[min(e, end):max(e, end)]
        if _ignorable(changed) and text[s:e].strip():
            s2, e2 = strip_span(text, s, e)
            if (s2, e2) != (s, e):
                # A whitespace token at an edge (expand over "\n"): shrink by tokens.
                inner = doc.char_span(s2, e2, alignment_mode="contract")
                if inner is None or len(inner) == 0:
                    continue
                found, s, e = inner, inner.start_char, inner.end_char
            return Aligned(span, found.start, found.end, s, e, True)
    return _reason(doc, start, end)


def _reason(doc: Doc, start: int, end: int) -> str:
    cut = []
    for tok in doc:
        if tok.idx < start < tok.idx + len(tok.text):
            cut.append(f"starts inside the token {tok.text!r}")
        if tok.idx < end < tok.idx + len(tok.text):
            cut.append(f"ends inside the token {tok.text!r}")
        if tok.idx > end:
            break
    return "; ".join(cut) or "its edges are not token boundaries"


def make_span(doc: Doc, aligned: Aligned, *, label: str, kb_id: str = "", span_id: str = "") -> SpacySpan:
    """A spaCy span over the aligned tokens, with label, ``kb_id_`` and ``id_``."""
    from spacy.tokens import Span as SpacySpan

    return SpacySpan(doc, aligned.start, aligned.end, label=label, kb_id=kb_id, span_id=span_id)


def longest_first(aligned: list[Aligned]) -> tuple[list[Aligned], list[tuple[Aligned, Aligned]]]:
    """Non-overlapping entities for ``doc.ents``: longest (in characters) first, then
    the earliest, then by label and id, so the choice never depends on input order.

    Returns (kept in text order, [(dropped, the kept span it overlapped)]).
    """
    order = sorted(aligned, key=lambda a: (-(a.end_char - a.start_char), a.start_char, a.span.label,
                                           a.span.id if a.span.id is not None else -1))
    owner: dict[int, Aligned] = {}
    kept: list[Aligned] = []
    dropped: list[tuple[Aligned, Aligned]] = []
    for a in order:
        clash = next((owner[i] for i in range(a.start, a.end) if i in owner), None)
        if clash is not None:
            dropped.append((a, clash))
            continue
        kept.append(a)
        for i in range(a.start, a.end):
            owner[i] = a
    kept.sort(key=lambda a: (a.start, a.end))
    dropped.sort(key=lambda pair: (pair[0].start_char, pair[0].end_char, pair[0].span.label))
    return kept, dropped


#: Why tokens have no known entity status, in the words of the export report.
UNDECIDED_REASON = "holds a suggestion nobody accepted or rejected"
UNALIGNED_REASON = "holds an entity not aligned to tokens"


def undecided_tokens(doc: Doc, undecided: list[Span], kept: list[Aligned]) -> list[int]:
    """Tokens under an entity suggestion nobody decided (and under no entity kept
    in ``doc.ents``): missing in the training data, neither an entity nor ``O``,
    since nobody said whether an entity is there."""
    return _tokens_outside(doc, [s for s in undecided if s.layer == "entity"], kept)


def unaligned_entity_tokens(doc: Doc, spans: list[Span], entities: list[Aligned], kept: list[Aligned]) -> list[int]:
    """Tokens touched by an entity that could not be aligned to tokens (and by no
    entity kept in ``doc.ents``): they must stay *missing* in the training data,
    neither an entity nor ``O``, so a model is never taught that a labelled entity
    is none.

    ``spans`` are the document's spans, ``entities`` the aligned ones (from
    :func:`align_item`) and ``kept`` those chosen for ``doc.ents``. Returns token
    indices in order.
    """
    aligned = {id(a.span) for a in entities}
    return _tokens_outside(doc, [s for s in spans if s.layer == "entity" and id(s) not in aligned], kept)


def _tokens_outside(doc: Doc, spans: list[Span], kept: list[Aligned]) -> list[int]:
    """The tokens ``spans`` touch that no entity of ``kept`` covers, in order."""
    taken = {i for a in kept for i in range(a.start, a.end)}
    missing: set[int] = set()
    for span in spans:
        covered = doc.char_span(span.start, span.end, alignment_mode="expand")
        if covered is not None:
            missing.update(i for i in range(covered.start, covered.end) if i not in taken)
    return sorted(missing)


def align_item(doc: Doc, spans: list[Span], report: ExportReport, text: str | None = None
               ) -> tuple[list[Aligned], list[Aligned]]:
    """Align every span of one document; report the snapped and the unaligned ones.

    ``text`` is the document's text (``doc.text``, which spaCy rebuilds per access).
    Returns (entities, stances), each in text order.
    """
    entities: list[Aligned] = []
    stances: list[Aligned] = []
    text = doc.text if text is None else text
    for span in spans:
        result = align(doc, span, text)
        if isinstance(result, str):
            report.not_aligned.append(span_record(span, text, result))
            continue
        if result.snapped:
            report.snapped.append(span_record(
                span, text, "snapped to token boundaries",
                new_start=result.start_char, new_end=result.end_char,
                new_text=text[result.start_char:result.end_char]))
        (entities if span.layer == "entity" else stances).append(result)
    # Spans that land on the same tokens keep their order; an exact one before a snapped one.
    order = lambda a: (a.start_char, a.end_char, a.span.label, a.span.target or "", a.snapped)  # noqa: E731
    return sorted(entities, key=order), sorted(stances, key=order)


def report_overlaps(dropped: list[tuple[Aligned, Aligned]], text: str, report: ExportReport) -> None:
    for lost, kept in dropped:
        report.overlaps.append(span_record(
            lost.span, text, "overlaps a longer entity; kept in doc.spans only",
            kept_id=kept.span.id, kept_label=kept.span.label, kept_text=text[kept.start_char:kept.end_char]))
