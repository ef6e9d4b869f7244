"""JSONL writers: ours (lossless), Prodigy-compatible and doccano.

Offsets are written in the unit of ``options.offsets`` (default: code points for
ours and Prodigy, UTF-16 code units for doccano, whose browser counts them).

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
    OFFSET_DEFAULTS,
    ExportItem,
    ExportOptions,
    ExportReport,
    OffsetWriter,
    atomic_text,
    exporter,
    inside,
    stable_hash32,
    tokenize,
)
from annotator.formats.export.align import (
    UNALIGNED_REASON,
    UNDECIDED_REASON,
    Aligned,
    align_item,
    longest_first,
    report_overlaps,
    unaligned_entity_tokens,
    undecided_tokens,
)
from annotator.formats.records import HOLDER_RELATION, PRODIGY_IGNORED, STANCE_SEP

if TYPE_CHECKING:
    from spacy.language import Language


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))


def _sorted(spans: list) -> list:
    return sorted(spans, key=lambda s: (s.start, s.end, s.label, s.target or ""))


def our_record(item: ExportItem, offsets: OffsetWriter | None = None) -> dict[str, Any]:
    """One article in our JSONL (DESIGN.md, "Our JSONL"); holders are the offsets of
    the holding entity, and only point at entities exported in the same record.
    ``offsets`` writes them in another unit than code points."""
    doc = item.document
    text = doc.text

    def at(start: int, end: int) -> tuple[int, int]:
        return offsets.span(text, start, end) if offsets is not None else (start, end)

    meta = dict(doc.meta)
    # The importer fills a missing "source" with the path it reads from; writing
    # the key (even as null) keeps a re-import from changing the record.
    meta.setdefault("source", doc.source)
    entities = _sorted([s for s in item.spans if s.layer == "entity"])
    entity_offsets = {(s.start, s.end) for s in entities}
    stances = []
    for s in _sorted([s for s in item.spans if s.layer == "stance"]):
        start, end = at(s.start, s.end)
        record: dict[str, Any] = {"start": start, "end": end, "label": s.label, "target": s.target,
                                  "text": text[s.start:s.end]}
        holder = item.holders.get(s.id) if s.id is not None else None
        if holder is not None and holder in entity_offsets:
            hs, he = at(*holder)
            record["holder"] = {"start": hs, "end": he}
        stances.append(record)
    ents = []
    for s in entities:
        start, end = at(s.start, s.end)
        ents.append({"start": start, "end": end, "label": s.label, "text": text[s.start:s.end]})
    return {
        "title": doc.title,
        "text": text,
        "meta": dict(sorted(meta.items())),
        "status": item.status,
        "annotator": item.annotator,
        "entities": ents,
        "stances": stances,
    }


def offset_writer(name: str, options: ExportOptions, report: ExportReport) -> OffsetWriter:
    return OffsetWriter(options.offsets or OFFSET_DEFAULTS[name], report)


@exporter("jsonl", description="Our JSONL: one article a line, lossless, re-importable",
          tokenized=False, filename="annotations.jsonl", extensions=(".jsonl", ".ndjson"))
def write_ours(items: Iterable[ExportItem], *, folder: Path, options: ExportOptions, report: ExportReport,
               nlp: Language | None = None) -> list[Path]:
    path = inside(folder, options.filename or "annotations.jsonl")
    offsets = offset_writer("jsonl", options, report)
    with atomic_text(path) as fh:
        for item in items:
            record = our_record(item, offsets)
            for layer, key in (("entity", "entities"), ("stance", "stances")):
                for span in record[key]:
                    report.count(layer, span["label"])
            fh.write(_dumps(record) + "\n")
            report.documents += 1
    return [path]


@exporter("doccano", description="doccano sequence-labelling JSONL with entities and relations (stances as STANCE|target spans, holder relations)",
          tokenized=False, filename="doccano.jsonl", extensions=(".jsonl",))
def write_doccano(items: Iterable[ExportItem], *, folder: Path, options: ExportOptions, report: ExportReport,
                  nlp: Language | None = None) -> list[Path]:
    """doccano's relation JSONL: ``entities`` (``id``, ``start_offset``,
    ``end_offset``, ``label``) and ``relations`` (``id``, ``from_id``, ``to_id``,
    ``type``). A stance is a span labelled ``STANCE|target`` (``AGAINST|Harbor
    Bill``); its holder is a ``holder`` relation from the entity to the stance.
    Import it into a sequence-labelling project with relation labelling and
    overlapping spans allowed (a stance sentence overlaps its entities).

    Offsets are UTF-16 code units by default, as doccano's browser counts them.
    Other top-level keys become the example's metadata in doccano. No ``id`` key:
    doccano's own id would be shadowed by it on export.
    """
    path = inside(folder, options.filename or "doccano.jsonl")
    offsets = offset_writer("doccano", options, report)
    with atomic_text(path) as fh:
        for item in items:
            doc = item.document
            entities: list[dict[str, Any]] = []
            ids: dict[tuple[int, int], int] = {}
            for s in _sorted([s for s in item.spans if s.layer == "entity"]):
                start, end = offsets.span(doc.text, s.start, s.end)
                ids.setdefault((s.start, s.end), len(entities))
                entities.append({"id": len(entities), "label": s.label, "start_offset": start, "end_offset": end})
                report.count("entity", s.label)
            relations: list[dict[str, Any]] = []
            for s in _sorted([s for s in item.spans if s.layer == "stance"]):
                start, end = offsets.span(doc.text, s.start, s.end)
                stance_id = len(entities)
                entities.append({"id": stance_id, "label": f"{s.label}{STANCE_SEP}{s.target}",
                                 "start_offset": start, "end_offset": end})
                report.count("stance", s.label)
                holder = item.holders.get(s.id) if s.id is not None else None
                if holder is not None and holder in ids:
                    relations.append({"id": len(relations), "from_id": ids[holder], "to_id": stance_id,
                                      "type": HOLDER_RELATION})
            fh.write(_dumps({"text": doc.text, "entities": entities, "relations": relations, "title": doc.title,
                             "article_id": doc.id, "status": item.status}) + "\n")
            report.documents += 1
    return [path]


def _tokens(doc, offsets: OffsetWriter) -> list[dict[str, Any]]:
    text = doc.text
    return [{"text": t.text, "start": offsets.offset(text, t.idx), "end": offsets.offset(text, t.idx + len(t.text)),
             "id": t.i, "ws": bool(t.whitespace_)} for t in doc]


def _prodigy_record(text: str, meta: dict[str, Any], tokens: list[dict[str, Any]], spans: list[Any],
                    view: str, answer: str | None, offsets: OffsetWriter,
                    relations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """One Prodigy task: text, meta, tokens, spans, view, answer (when decided) and hashes."""
    record: dict[str, Any] = {"text": text, "meta": meta, "tokens": tokens,
                              "spans": [_pspan(a, text, offsets) for a in spans], "_view_id": view}
    if relations:
        record["relations"] = relations
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


#: Why a stance record of a done article is answered "ignore".
UNALIGNED_STANCE_REASON = "its article holds a stance not aligned to tokens"


def _unknown_entities(sdoc, item: ExportItem, entities: list[Aligned], kept: list[Aligned]) -> str | None:  # noqa: ANN001
    """Why some tokens of a done article have no known entity status (a
    suggestion nobody decided, an entity that could not be put on tokens), or None."""
    reasons = []
    if undecided_tokens(sdoc, item.undecided, kept):
        reasons.append(UNDECIDED_REASON)
    if unaligned_entity_tokens(sdoc, item.spans, entities, kept):
        reasons.append(UNALIGNED_REASON)
    return "; ".join(reasons) or None


@exporter("prodigy", description="Prodigy-compatible JSONL (ner_manual records; stances with holders in a second file)",
          tokenized=True, filename="prodigy.jsonl", extensions=(".jsonl",))
def write_prodigy(items: Iterable[ExportItem], *, folder: Path, options: ExportOptions, report: ExportReport,
                  nlp: Language) -> list[Path]:
    """``prodigy.jsonl``: one ``ner_manual`` record per article (the entities of
    ``doc.ents``: on token boundaries, without overlaps). ``prodigy-stance.jsonl``:
    one ``spans_manual`` record per (article, target), the target in ``meta``, when
    there are stances; a stance's holder is a ``HOLDER`` relation from the holding
    entity (also among the record's spans) to the stance, in Prodigy's relations
    layout (``head``/``child`` = the last token of each span). ``token_end`` is
    inclusive, as in Prodigy. The title is in ``meta.title``.

    Prodigy trains manual NER on accepted tasks only, every token outside a span
    as ``O``, and has no per-token "missing" value. So a done article whose
    entity record would hold tokens of unknown status (an entity that could not
    be aligned to tokens, a suggestion nobody accepted or rejected) is answered
    ``"ignore"`` (left out of training) instead of ``"accept"``, with the reason
    in ``meta.ignored_because``; its stance records likewise when a stance could
    not be aligned (a span model takes every unlabelled span as "no stance", and
    Prodigy merges the records of one text). The report lists them under
    ``prodigy_records_ignored``; our importer brings such an article back done."""
    path = inside(folder, options.filename or "prodigy.jsonl")
    stance_path = inside(folder, Path(path.name).stem + "-stance.jsonl")
    offsets = offset_writer("prodigy", options, report)
    n_stance_records = 0
    ignored: list[dict[str, Any]] = []
    with atomic_text(path) as fh, atomic_text(stance_path) as sfh:
        for item in items:
            doc = item.document
            sdoc = tokenize(nlp, doc.text)
            entities, stances = align_item(sdoc, item.spans, report, doc.text)
            kept, dropped = longest_first(entities)
            report_overlaps(dropped, doc.text, report)
            tokens = _tokens(sdoc, offsets)
            meta = {"article_id": doc.id, "title": doc.title, "status": item.status}
            answer = "accept" if item.status == "done" else "ignore" if item.status == "skipped" else None
            unknown = _unknown_entities(sdoc, item, entities, kept) if answer == "accept" else None
            entity_meta = meta if unknown is None else {**meta, PRODIGY_IGNORED: unknown}
            record = _prodigy_record(doc.text, entity_meta, tokens, kept, "ner_manual",
                                     answer if unknown is None else "ignore", offsets)
            if unknown is not None:
                ignored.append({"doc_id": doc.id, "view": "ner_manual", "reason": unknown})
            for a in kept:
                report.count("entity", a.span.label)
            fh.write(_dumps(record) + "\n")
            by_offsets = {(a.span.start, a.span.end): a for a in entities}
            by_target: dict[str, list] = {}
            for a in stances:
                by_target.setdefault(a.span.target or "", []).append(a)
            aligned_stances = {id(a.span) for a in stances}
            stance_answer, stance_meta = answer, meta
            if answer == "accept" and any(s.layer == "stance" and id(s) not in aligned_stances for s in item.spans):
                stance_answer, stance_meta = "ignore", {**meta, PRODIGY_IGNORED: UNALIGNED_STANCE_REASON}
            for target in sorted(by_target):
                units = sorted(by_target[target], key=lambda a: (a.start_char, a.end_char, a.span.label))
                holders, relations = [], []
                for a in units:
                    holder = by_offsets.get(item.holders.get(a.span.id)) if a.span.id is not None else None
                    if holder is None:
                        continue
                    if holder not in holders:
                        holders.append(holder)
                    relations.append({"head": holder.end - 1, "child": a.end - 1,
                                      "head_span": _pspan(holder, doc.text, offsets),
                                      "child_span": _pspan(a, doc.text, offsets), "label": HOLDER_RELATION.upper()})
                spans = sorted(units + holders, key=lambda a: (a.start_char, a.end_char, a.span.label))
                srecord = _prodigy_record(doc.text, {**stance_meta, "target": target}, tokens, spans, "spans_manual",
                                          stance_answer, offsets, relations)
                if stance_answer != answer:
                    ignored.append({"doc_id": doc.id, "view": "spans_manual", "target": target,
                                    "reason": UNALIGNED_STANCE_REASON})
                for a in units:
                    report.count("stance", a.span.label)
                sfh.write(_dumps(srecord) + "\n")
                n_stance_records += 1
            report.documents += 1
    if ignored:
        report.extra["prodigy_records_ignored"] = ignored
    if not n_stance_records:
        stance_path.unlink()
        return [path]
    return [path, stance_path]


def _pspan(a, text: str, offsets: OffsetWriter) -> dict[str, Any]:
    start, end = offsets.span(text, a.start_char, a.end_char)
    return {"start": start, "end": end, "token_start": a.start, "token_end": a.end - 1, "label": a.span.label}
