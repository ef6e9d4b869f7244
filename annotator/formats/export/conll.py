"""CoNLL-2003-style IOB2, as ``python -m spacy convert -c conll`` reads it.

Each article starts with ``-DOCSTART- -X- O O`` (spaCy's converter needs exactly
that line) and a blank line; then one token a line, ``TOKEN -X- _ TAG`` (four
columns like CoNLL-2003; spaCy takes the first as the word and the last as the
tag), and a blank line after each sentence. Sentences end at line breaks and where
spaCy's rule-based sentencizer ends them, but never inside an entity.

Token formats lose the original whitespace and cannot hold overlaps or stances:
whitespace tokens are left out, entities are those of ``doc.ents`` (longest
first, dropped ones reported) and stance spans are not written. A sentence that
holds an entity which cannot be aligned to tokens is left out (and listed under
``conll_sentences_left_out`` in the report): IOB has no "missing" tag that
``spacy convert`` reads, and ``O`` would teach that the entity is none.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from annotator.formats.export import (
    ExportItem,
    ExportOptions,
    ExportReport,
    atomic_text,
    exporter,
    inside,
    tokenize,
)
from annotator.formats.export.align import (
    UNALIGNED_REASON,
    UNDECIDED_REASON,
    align_item,
    longest_first,
    report_overlaps,
    unaligned_entity_tokens,
    undecided_tokens,
)

if TYPE_CHECKING:
    from spacy.language import Language

DOCSTART = "-DOCSTART- -X- O O"


def _word(text: str) -> str:
    """A token as one column: whitespace inside it (never made by spaCy's own rules,
    but possible with odd characters) would split the column, so it becomes ``_``."""
    return "".join("_" if ch.isspace() else ch for ch in text)


@exporter("conll", description="CoNLL-2003-style IOB2 (entities only), readable by spacy convert",
          tokenized=True, filename="entities.conll", extensions=(".conll", ".iob", ".txt"))
def write_conll(items: Iterable[ExportItem], *, folder: Path, options: ExportOptions, report: ExportReport,
                nlp: Language) -> list[Path]:
    from spacy.pipeline import Sentencizer

    sentencizer = Sentencizer()
    path = inside(folder, options.filename or "entities.conll")
    left_out: list[dict[str, object]] = []
    with atomic_text(path) as fh:
        for item in items:
            text = item.document.text
            doc = sentencizer(tokenize(nlp, text))
            spans = [s for s in item.spans if s.layer == "entity"]
            entities, _stances = align_item(doc, spans, report, text)
            kept, dropped = longest_first(entities)
            report_overlaps(dropped, text, report)
            missing = set(unaligned_entity_tokens(doc, spans, entities, kept))
            undecided = set(undecided_tokens(doc, item.undecided, kept))
            tags = ["O"] * len(doc)
            for a in kept:
                tags[a.start] = f"B-{a.span.label}"
                for i in range(a.start + 1, a.end):
                    tags[i] = f"I-{a.span.label}"
                report.count("entity", a.span.label)
            fh.write(DOCSTART + "\n\n")
            for sentence in _sentences(doc, tags):
                # Tokens whose entity status is unknown (a suggestion nobody decided,
                # an entity that could not be put on tokens) cannot be written as O,
                # which would teach "no entity", and spaCy's converter has no
                # "missing" tag: the sentence is left out, and reported.
                reason = (UNDECIDED_REASON if undecided.intersection(sentence)
                          else UNALIGNED_REASON if missing.intersection(sentence)
                          else None)
                if reason is not None:
                    first, last = doc[sentence[0]], doc[sentence[-1]]
                    left_out.append({"doc_id": item.document.id, "start": first.idx,
                                     "end": last.idx + len(last.text), "reason": reason})
                    continue
                fh.write("".join(f"{_word(doc[i].text)} -X- _ {tags[i]}\n" for i in sentence) + "\n")
            report.documents += 1
    if left_out:
        report.extra["conll_sentences_left_out"] = left_out
    return [path]


def _sentences(doc, tags: list[str]) -> list[list[int]]:  # noqa: ANN001 (a spaCy Doc)
    """Token indices of each sentence, whitespace tokens left out. Sentences end
    where the sentencizer ends them and at line breaks, never inside an entity."""
    sentences: list[list[int]] = []
    current: list[int] = []
    for tok in doc:
        inside_entity = tags[tok.i].startswith("I-")
        if current and not inside_entity and (tok.is_sent_start or "\n" in doc[tok.i - 1].text):
            sentences.append(current)
            current = []
        if not tok.is_space:
            current.append(tok.i)
    if current:
        sentences.append(current)
    return sentences
