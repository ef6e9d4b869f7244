"""spaCy ``.spacy`` files (a ``DocBin``) in.

``doc.ents`` become entities; ``doc.spans["stance"]`` (our export's group) become
stances, ``kb_id_`` the target and the group's ``attrs["holders"]`` the holders;
spans of any other group (``sc`` …) become entities unless ``doc.ents`` already
has them. A doc with entity annotation or span groups is marked done. Offsets are spaCy's ``start_char``/``end_char``: code points, exact.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from annotator.core.errors import AnnotatorError, Errors

STANCE_KEY = "stance"


def docbin_records(path: Path, *, max_bytes: int) -> Iterator[tuple[int, dict[str, Any] | AnnotatorError]]:
    """One record (our JSON shape, with span texts) per doc of the bin."""
    size = path.stat().st_size
    if size > max_bytes:
        yield None, AnnotatorError(Errors.E217, path=path, size=size, limit=max_bytes)
        return
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    try:
        docs = list(DocBin().from_bytes(path.read_bytes()).get_docs(Vocab()))
    except Exception as exc:  # zlib, msgpack and spaCy's own errors all mean "not a DocBin"
        yield None, AnnotatorError(Errors.E234, path=path, reason=f"{type(exc).__name__}: {str(exc)[:200]}")
        return
    for number, doc in enumerate(docs, 1):
        if not doc.text.strip():
            continue
        yield number, _record(doc)


def _span(span: Any) -> dict[str, Any]:
    return {"start": span.start_char, "end": span.end_char, "label": span.label_, "text": span.text}


def _record(doc: Any) -> dict[str, Any]:
    entities = [_span(e) for e in doc.ents]
    seen = {(e["start"], e["end"], e["label"]) for e in entities}
    for key, group in doc.spans.items():
        if key == STANCE_KEY:
            continue
        for span in group:
            if (span.start_char, span.end_char, span.label_) not in seen:
                seen.add((span.start_char, span.end_char, span.label_))
                entities.append(_span(span))
    entity_offsets = {(e["start"], e["end"]) for e in entities}
    stances: list[dict[str, Any]] = []
    if STANCE_KEY in doc.spans:
        group = doc.spans[STANCE_KEY]
        holders = group.attrs.get("holders", {}) if isinstance(group.attrs, dict) else {}
        if not isinstance(holders, dict):
            holders = {}
        for span in group:
            record = {**_span(span), "target": span.kb_id_ or None}
            holder = holders.get(span.id_)
            if isinstance(holder, list | tuple) and len(holder) == 2 and tuple(holder) in entity_offsets:
                record["holder"] = {"start": holder[0], "end": holder[1]}
            stances.append(record)
    meta: dict[str, Any] = {"format": "spacy"}
    if doc.cats:
        meta["cats"] = dict(doc.cats)
    record = {"text": doc.text, "entities": entities, "stances": stances, "meta": meta}
    if doc.has_annotation("ENT_IOB") or doc.spans:
        record["status"] = "done"  # annotated docs are training data: finished
    return record
