"""CoNLL-2003-style IOB2, as ``python -m spacy convert -c conll`` reads it.

Each article starts with ``-DOCSTART- -X- O O`` (spaCy's converter needs exactly
that line) and a blank line; then one token a line, ``TOKEN -X- _ TAG`` (four
columns like CoNLL-2003; spaCy takes the first as the word and the last as the
tag), and a blank line after each sentence. Sentences end at line breaks and where
spaCy's rule-based sentencizer ends them, but never inside an entity.

Token formats lose the original whitespace and cannot hold overlaps or stances:
whitespace tokens are left out, entities are those of ``doc.ents`` (longest
first, dropped ones reported) and stance spans are not written.
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
from annotator.formats.export.align import align_item, longest_first, report_overlaps

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
    with atomic_text(path) as fh:
        for item in items:
            text = item.document.text
            doc = sentencizer(tokenize(nlp, text))
            entities, _stances = align_item(doc, [s for s in item.spans if s.layer == "entity"], report, text)
            kept, dropped = longest_first(entities)
            report_overlaps(dropped, text, report)
            tags = ["O"] * len(doc)
            for a in kept:
                tags[a.start] = f"B-{a.span.label}"
                for i in range(a.start + 1, a.end):
                    tags[i] = f"I-{a.span.label}"
                report.count("entity", a.span.label)
            fh.write(DOCSTART + "\n\n")
            open_sentence = False
            for tok in doc:
                inside_entity = tags[tok.i].startswith("I-")
                if open_sentence and not inside_entity and (tok.is_sent_start or "\n" in doc[tok.i - 1].text):
                    fh.write("\n")
                    open_sentence = False
                if tok.is_space:
                    continue
                fh.write(f"{_word(tok.text)} -X- _ {tags[tok.i]}\n")
                open_sentence = True
            if open_sentence:
                fh.write("\n")
            report.documents += 1
    return [path]
