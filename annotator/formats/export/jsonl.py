"""JSONL writers: ours (lossless), Prodigy-compatible and doccano.

Output is deterministic: spans sorted by (start, end, label[, target]), fixed key
order, ``ensure_ascii=False``, ``\\n`` line ends, so exporting the same annotations
twice gives the same bytes (and export -> import -> export is byte-identical for
our format).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotator.formats.export import (
    ExportItem,
    ExportOptions,
    ExportReport,
    atomic_text,
    exporter,
    inside,
    stable_hash32,
    tokenize,
)
from annotator.formats.export.align import align_item, longest_first, report_overlaps

if TYPE_CHECKING:
    from spacy.language import Language


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))


def _sorted(spans: list) -> list:
    return sorted(spans, key=lambda s: (s.start, s.end, s.label, s.target or ""))


def our_record(item: ExportItem) -> dict[str, Any]:
    """One article in our JSONL (DESIGN.md, "Our JSONL"); holders are the offsets of
    the holding entity, and only point at entities exported in the same record."""
    doc = item.document
    text = doc.text
    meta = dict(doc.meta)
    # The importer fills a missing "source" with the path it reads from; writing
    # the key (even as null) keeps a re-import from changing the record.
    meta.setdefault("source", doc.source)
    entities = _sorted([s for s in item.spans if s.layer == "entity"])
    entity_offsets = {(s.start, s.end) for s in entities}
    stances = []
    for s in _sorted([s for s in item.spans if s.layer == "stance"]):
        record: dict[str, Any] = {"start": s.start, "end": s.end, "label": s.label, "target": s.target,
                                  "text": text[s.start:s.end]}
        holder = item.holders.get(s.id) if s.id is not None else None
        if holder is not None and holder in entity_offsets:
            record["holder"] = {"start": holder[0], "end": holder[1]}
        stances.append(record)
    return {
        "title": doc.title,
        "text": text,
        "meta": dict(sorted(meta.items())),
        "status": item.status,
        "annotator": item.annotator,
        "entities": [{"start": s.start, "end": s.end, "label": s.label, "text": text[s.start:s.end]} for s in entities],
        "stances": stances,
    }


@exporter("jsonl", description="Our JSONL: one article a line, lossless, re-importable",
          tokenized=False, filename="annotations.jsonl", extensions=(".jsonl", ".ndjson"))
def write_ours(items: Iterable[ExportItem], *, folder: Path, options: ExportOptions, report: ExportReport,
               nlp: Language | None = None) -> list[Path]:
    path = inside(folder, options.filename or "annotations.jsonl")
    with atomic_text(path) as fh:
        for item in items:
            record = our_record(item)
            for layer, key in (("entity", "entities"), ("stance", "stances")):
                for span in record[key]:
                    report.count(layer, span["label"])
            fh.write(_dumps(record) + "\n")
            report.documents += 1
    return [path]


@exporter("doccano", description="doccano sequence-labelling JSONL (text, label [[start, end, label]])",
          tokenized=False, filename="doccano.jsonl", extensions=(".jsonl",))
def write_doccano(items: Iterable[ExportItem], *, folder: Path, options: ExportOptions, report: ExportReport,
                  nlp: Language | None = None) -> list[Path]:
    """Entities only (a doccano project needs "allow overlapping" when they overlap).

    Offsets are code points, as doccano's server stores them; top-level keys other
    than ``text`` and ``label`` become the example's metadata there. No ``id`` key:
    doccano's own id would be shadowed by it on export.
    """
    path = inside(folder, options.filename or "doccano.jsonl")
    astral = 0
    with atomic_text(path) as fh:
        for item in items:
            doc = item.document
            labels = [[s.start, s.end, s.label] for s in _sorted([s for s in item.spans if s.layer == "entity"])]
            for _s, _e, label in labels:
                report.count("entity", label)
            if any(ord(ch) > 0xFFFF for ch in doc.text):
                astral += 1
            fh.write(_dumps({"text": doc.text, "label": labels, "title": doc.title, "article_id": doc.id}) + "\n")
            report.documents += 1
    if astral:
        report.extra["doccano_utf16_warning"] = (
            f"{astral} article(s) hold characters outside the BMP (emoji): doccano's browser counts UTF-16 "
            "units, so highlights after them are shifted unless the project's grapheme mode is on")
    return [path]


def _tokens(doc) -> list[dict[str, Any]]:
    return [{"text": t.text, "start": t.idx, "end": t.idx + len(t.text), "id": t.i, "ws": bool(t.whitespace_)}
            for t in doc]


def _prodigy_record(text: str, meta: dict[str, Any], tokens: list[dict[str, Any]], spans: list[Any],
                    view: str, answer: str | None) -> dict[str, Any]:
    """One Prodigy task: text, meta, tokens, spans, view, answer (when decided) and hashes."""
    record: dict[str, Any] = {"text": text, "meta": meta, "tokens": tokens,
                              "spans": [_pspan(a) for a in spans], "_view_id": view}
    if answer:
        record["answer"] = answer
    _hashes(record)
    return record


def _hashes(record: dict[str, Any]) -> None:
    """Prodigy-style ``_input_hash`` / ``_task_hash``: signed 32-bit ints, the input
    hash over the text, the task hash over the input hash plus spans, view and
    meta target. Prodigy's own function (murmurhash of its internal key set) is not
    documented; these are stable and consistent, and ``prodigy db-in --rehash``
    recomputes Prodigy's own."""
    record["_input_hash"] = stable_hash32(json.dumps({"text": record["text"]}, sort_keys=True, ensure_ascii=False))
    task = {"input": record["_input_hash"], "view": record["_view_id"],
            "spans": [[s["start"], s["end"], s["label"]] for s in record["spans"]],
            "target": record["meta"].get("target")}
    record["_task_hash"] = stable_hash32(json.dumps(task, sort_keys=True, ensure_ascii=False))


@exporter("prodigy", description="Prodigy-compatible JSONL (ner_manual records; stances in a second file)",
          tokenized=True, filename="prodigy.jsonl", extensions=(".jsonl",))
def write_prodigy(items: Iterable[ExportItem], *, folder: Path, options: ExportOptions, report: ExportReport,
                  nlp: Language) -> list[Path]:
    """``prodigy.jsonl``: one ``ner_manual`` record per article (the entities of
    ``doc.ents``: on token boundaries, without overlaps). ``prodigy-stance.jsonl``:
    one ``spans_manual`` record per (article, target), the target in ``meta``, when
    there are stances. ``token_end`` is inclusive, as in Prodigy."""
    path = inside(folder, options.filename or "prodigy.jsonl")
    stance_path = inside(folder, Path(path.name).stem + "-stance.jsonl")
    n_stance_records = 0
    with atomic_text(path) as fh, atomic_text(stance_path) as sfh:
        for item in items:
            doc = item.document
            sdoc = tokenize(nlp, doc.text)
            entities, stances = align_item(sdoc, item.spans, report, doc.text)
            kept, dropped = longest_first(entities)
            report_overlaps(dropped, doc.text, report)
            tokens = _tokens(sdoc)
            meta = {"article_id": doc.id, "title": doc.title, "status": item.status}
            answer = "accept" if item.status == "done" else "ignore" if item.status == "skipped" else None
            record = _prodigy_record(doc.text, meta, tokens, kept, "ner_manual", answer)
            for a in kept:
                report.count("entity", a.span.label)
            fh.write(_dumps(record) + "\n")
            by_target: dict[str, list] = {}
            for a in stances:
                by_target.setdefault(a.span.target or "", []).append(a)
            for target in sorted(by_target):
                units = sorted(by_target[target], key=lambda a: (a.start_char, a.end_char, a.span.label))
                srecord = _prodigy_record(doc.text, {**meta, "target": target}, tokens, units, "spans_manual", answer)
                for a in units:
                    report.count("stance", a.span.label)
                sfh.write(_dumps(srecord) + "\n")
                n_stance_records += 1
            report.documents += 1
    if not n_stance_records:
        stance_path.unlink()
        return [path]
    return [path, stance_path]


def _pspan(a) -> dict[str, Any]:
    return {"start": a.start_char, "end": a.end_char, "token_start": a.start, "token_end": a.end - 1,
            "label": a.span.label}
