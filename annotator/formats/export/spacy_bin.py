"""spaCy training data: ``train.spacy`` / ``dev.spacy`` DocBins and a ready ``config.cfg``.

One ``Doc`` per article, tokenised by the tokenizer the service passes in (the same
one the generated config trains with, so the training corpus re-tokenises to the
same tokens):

* entities in ``doc.ents``, overlaps resolved longest first (dropped ones reported);
  finished documents mark every other token ``O``, unfinished ones (``--all``)
  leave it missing so the recogniser is not taught "no entity here"; the tokens
  of an entity that cannot be aligned to tokens (listed in the report) stay
  missing too, never ``O``;
* every aligned entity also in ``doc.spans["sc"]`` (overlaps allowed there);
* stances in ``doc.spans["stance"]``: ``label_`` = FAVOR/AGAINST/NEUTRAL,
  ``kb_id_`` = target, ``id_`` = our span id; the group's ``attrs["holders"]`` maps
  a stance's id to the (start_char, end_char) of the entity holding it. The group
  is always set, so an article without stances counts as annotated.

``config.cfg`` comes from spaCy's own ``init config`` (ner plus spancat on the
``stance`` key), with the spancat suggester widened to the stance lengths found in
the data and the score weights fixed for the non-default spans key.

With ``stance_docs``, one extra doc per (stance span, target) in the SemEval-2016 /
P-Stance layout (text = ``"{target}: {unit}"``, one-hot ``doc.cats``) goes to
``stance-train.spacy`` / ``stance-dev.spacy`` with a ``stance-config.cfg`` for an
exclusive ``textcat``. They live in their own files because a ``textcat`` reading
the article docs (no category) would count them as wrong (``debug data`` fails,
the scorer counts false positives); the split is the articles' split.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotator.formats.export import (
    ExportItem,
    ExportOptions,
    ExportReport,
    atomic_path,
    exporter,
    inside,
    tokenize,
)
from annotator.formats.export.align import (
    align_item,
    longest_first,
    make_span,
    report_overlaps,
    unaligned_entity_tokens,
)

if TYPE_CHECKING:
    from spacy.language import Language

STANCE_KEY = "stance"
SC_KEY = "sc"
#: How a (unit, target) pair becomes the text of a stance doc: the classifier must
#: see the target, because one sentence can hold different stances toward two targets.
STANCE_DOC_TEMPLATE = "{target}: {text}"


@exporter("spacy", description="spaCy DocBins (train.spacy, dev.spacy) and a ready config.cfg",
          tokenized=True, filename=None)
def write_spacy(items: Iterable[ExportItem], *, folder: Path, options: ExportOptions, report: ExportReport,
                nlp: Language) -> list[Path]:
    from spacy.tokens import DocBin, SpanGroup

    bins = {"train": DocBin(store_user_data=False), "dev": DocBin(store_user_data=False)}
    stance_bins = {"train": DocBin(store_user_data=True), "dev": DocBin(store_user_data=True)}
    stance_labels = options.scheme.label_names("stance")
    lengths: list[int] = []
    entity_labels: set[str] = set()
    seen_stance_labels: set[str] = set()
    conflicts: list[dict[str, Any]] = []
    for item in items:
        text = item.document.text
        doc = tokenize(nlp, text)
        entities, stances = align_item(doc, item.spans, report, text)
        kept, dropped = longest_first(entities)
        report_overlaps(dropped, text, report)
        unaligned = unaligned_entity_tokens(doc, item.spans, entities, kept)
        doc.set_ents([make_span(doc, a, label=a.span.label) for a in kept],
                     missing=[doc[i:i + 1] for i in unaligned],
                     default="outside" if item.status == "done" else "missing")
        sc = []
        seen: set[tuple[int, int, str]] = set()
        for a in entities:
            key = (a.start, a.end, a.span.label)
            if key in seen:
                continue
            seen.add(key)
            sc.append(make_span(doc, a, label=a.span.label, span_id=_sid(a.span.id)))
            report.count("entity", a.span.label)
            entity_labels.add(a.span.label)
        doc.spans[SC_KEY] = sc
        group = []
        holders: dict[str, list[int]] = {}
        for a in stances:
            span = a.span
            group.append(make_span(doc, a, label=span.label, kb_id=span.target or "", span_id=_sid(span.id)))
            if span.id in item.holders:
                holders[_sid(span.id)] = list(item.holders[span.id])
            report.count("stance", span.label)
            seen_stance_labels.add(span.label)
            lengths.append(a.end - a.start)
        doc.spans[STANCE_KEY] = SpanGroup(doc, name=STANCE_KEY, spans=group, attrs={"holders": holders})
        part = "dev" if item.document.id in options.dev_ids else "train"
        bins[part].add(doc)
        if options.stance_docs:
            for unit in _stance_docs(nlp, item, stances, stance_labels, conflicts):
                stance_bins[part].add(unit)
        report.documents += 1

    written: list[Path] = []
    for part, docbin in bins.items():
        path = inside(folder, f"{part}.spacy")
        with atomic_path(path) as tmp:
            docbin.to_disk(tmp)
        written.append(path)
    components = (["ner"] if entity_labels else []) + (["spancat"] if seen_stance_labels else [])
    if components:
        config = training_config(lang=options.lang, components=components,
                                 min_size=min(lengths, default=1), max_size=max(lengths, default=1))
        written.append(_write_config(config, inside(folder, "config.cfg")))
    else:
        report.extra["config"] = "not written: no entity or stance spans to train on"
    if options.stance_docs:
        n = {part: len(b) for part, b in stance_bins.items()}
        report.extra["stance_docs"] = n
        report.extra["stance_conflicts"] = conflicts
        for part, docbin in stance_bins.items():
            path = inside(folder, f"stance-{part}.spacy")
            with atomic_path(path) as tmp:
                docbin.to_disk(tmp)
            written.append(path)
        if len(stance_labels) >= 2 and n["train"] and n["dev"]:
            written.append(_write_config(stance_config(lang=options.lang), inside(folder, "stance-config.cfg")))
        else:
            report.extra["stance_config"] = ("not written: textcat needs at least two stance labels "
                                             "and stance docs in both train and dev")
    return written


def _sid(span_id: int | None) -> str:
    return "" if span_id is None else str(span_id)


def _stance_docs(nlp: Language, item: ExportItem, stances: list, labels: list[str],
                 conflicts: list[dict[str, Any]]) -> list:
    """One doc per (unit, target), one-hot over the scheme's stance labels."""
    text = item.document.text
    by_unit: dict[tuple[int, int, str], list] = {}
    for a in stances:
        by_unit.setdefault((a.start_char, a.end_char, a.span.target or ""), []).append(a)
    docs = []
    for (start, end, target), units in sorted(by_unit.items()):
        found = sorted({a.span.label for a in units})
        if len(found) > 1:
            conflicts.append({"doc_id": item.document.id, "start": start, "end": end, "target": target,
                              "labels": found, "ids": sorted(a.span.id for a in units if a.span.id is not None),
                              "reason": "one unit holds different stances toward the same target; no stance doc"})
            continue
        label = found[0]
        unit = nlp.make_doc(STANCE_DOC_TEMPLATE.format(target=target, text=text[start:end]))
        unit.cats = {name: 1.0 if name == label else 0.0 for name in [*labels, *([label] if label not in labels else [])]}
        first = units[0].span
        unit.user_data["annotator"] = {
            "article_id": item.document.id, "target": target, "start": start, "end": end,
            "stance_id": first.id, "holder": list(item.holders[first.id]) if first.id in item.holders else None,
        }
        docs.append(unit)
    return docs


def training_config(*, lang: str, components: list[str], min_size: int = 1, max_size: int = 1):
    """spaCy's ``init config`` for ``components``, with spancat set up for stance spans.

    The spancat reads ``doc.spans["stance"]``; its suggester proposes every n-gram
    from the shortest to the longest stance in the data (the default 1-3-grams
    could never propose a sentence); ``spans_sc_*`` weights become null and
    ``spans_stance_f`` counts instead (spaCy issue #13090).
    """
    from spacy.cli.init_config import init_config

    config = init_config(lang=lang, pipeline=components, optimize="efficiency", gpu=False, silent=True)
    if "spancat" in components:
        config["components"]["spancat"]["spans_key"] = STANCE_KEY
        config["components"]["spancat"]["suggester"] = {
            "@misc": "spacy.ngram_range_suggester.v1", "min_size": max(1, min_size), "max_size": max(1, max_size, min_size),
        }
        weights = config["training"]["score_weights"]
        for key in ("spans_sc_f", "spans_sc_p", "spans_sc_r"):
            weights[key] = None
        share = round(1.0 / len(components), 2)
        weights[f"spans_{STANCE_KEY}_f"] = share
        weights[f"spans_{STANCE_KEY}_p"] = 0.0
        weights[f"spans_{STANCE_KEY}_r"] = 0.0
        if "ents_f" in weights:
            weights["ents_f"] = round(1.0 - share, 2)
    return config


def stance_config(*, lang: str):
    """spaCy's ``init config`` for an exclusive ``textcat`` over the stance docs."""
    from spacy.cli.init_config import init_config

    return init_config(lang=lang, pipeline=["textcat"], optimize="efficiency", gpu=False, silent=True)


def _write_config(config, path: Path) -> Path:
    with atomic_path(path) as tmp:
        config.to_disk(tmp)
    return path
