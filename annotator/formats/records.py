"""Article records read from files, and the validation of their annotations.

One function, :func:`parse_record`, understands the three JSON shapes an article
can come in (ours, Prodigy's and doccano's), normalises newlines (moving span
offsets with them) and checks every span against the text, raising coded errors
that name the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.core.errors import AnnotatorError, Errors
from annotator.core.model import SpanDraft
from annotator.core.scheme import Scheme
from annotator.core.text import NewlineMap, normalise_newlines

OUR_KEYS = {"text", "title", "meta", "status", "annotator", "entities", "stances"}
PRODIGY_KEYS = {"spans", "tokens", "answer", "_input_hash", "_task_hash", "_view_id", "_session_id", "_timestamp"}
DOCCANO_KEYS = {"label", "labels", "relations", "id", "Comments"}


@dataclass(slots=True)
class Record:
    """One article as read from a file, with offsets into its normalised text."""

    text: str
    title: str
    meta: dict[str, Any] = field(default_factory=dict)
    status: str | None = None
    annotator: str | None = None
    spans: list[SpanDraft] = field(default_factory=list)
    path: str | None = None
    line: int | None = None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_text(text: Any, *, path: Path | str, line: int | None) -> str:
    if not isinstance(text, str) or not text.strip():
        raise AnnotatorError(Errors.E205, path=path, line=line)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise AnnotatorError(Errors.E220, path=path, line=line, field="text",
                             value=text[exc.start:exc.end], expected="text without lone surrogates (\\ud800-\\udfff escapes)") from None
    if "\x00" in text:
        raise AnnotatorError(Errors.E220, path=path, line=line, field="text", value="\\u0000",
                             expected="text without NUL characters")
    return text


class _SpanReader:
    """Validates raw spans of one record against its original text."""

    def __init__(self, original: str, *, path: Path | str, line: int | None, scheme: Scheme | None) -> None:
        self.original = original
        self.path = path
        self.line = line
        self.scheme = scheme
        self.index = 0

    def fail(self, template: str, **fields: Any) -> AnnotatorError:
        return AnnotatorError(template, path=self.path, line=self.line, **fields)

    def offsets(self, layer: str, start: Any, end: Any, given_text: Any = None) -> tuple[int, int]:
        self.index += 1
        for name, value in (("start", start), ("end", end)):
            if not _is_int(value):
                raise self.fail(Errors.E208, index=self.index, layer=layer, field=name, value=value, expected="an integer")
        length = len(self.original)
        if start < 0 or end > length:
            raise self.fail(Errors.E206, index=self.index, layer=layer, start=start, end=end, length=length)
        if start >= end:
            raise self.fail(Errors.E207, index=self.index, layer=layer, start=start, end=end)
        if given_text is not None:
            if not isinstance(given_text, str):
                raise self.fail(Errors.E208, index=self.index, layer=layer, field="text", value=given_text, expected="a string")
            actual = self.original[start:end]
            if given_text != actual and normalise_newlines(given_text) != normalise_newlines(actual):
                raise self.fail(Errors.E209, index=self.index, layer=layer, given=given_text, start=start, end=end, actual=actual)
        return start, end

    def label(self, layer: str, label: Any) -> str:
        if not isinstance(label, str) or not label:
            raise self.fail(Errors.E208, index=self.index, layer=layer, field="label", value=label, expected="a label name")
        if self.scheme is None:
            return label
        known = self.scheme.label_names(layer)
        if label in known:
            return label
        mapped = self.scheme.map_model_label(label) if layer == "entity" else None
        if mapped:
            return mapped
        raise self.fail(Errors.E214, index=self.index, label=label, layer=layer, known=", ".join(known))

    def target(self, target: Any) -> str:
        known = self.scheme.target_names() if self.scheme else None
        if not isinstance(target, str) or not target or (known is not None and target not in known):
            raise self.fail(Errors.E215, index=self.index, target=target, known=", ".join(known or []))
        return target


def _as_list(value: Any, *, field_name: str, path: Path | str, line: int | None) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise AnnotatorError(Errors.E220, path=path, line=line, field=field_name, value=value, expected="a list")
    return value


def parse_record(obj: Any, *, path: Path | str, line: int | None, scheme: Scheme | None, default_title: str = "") -> Record:
    """Turn one JSON object (ours, Prodigy or doccano) into a validated :class:`Record`."""
    if not isinstance(obj, dict):
        kind = type(obj).__name__ if obj is not None else "null"
        raise AnnotatorError(Errors.E210, path=path, line=line, kind=kind)
    original = check_text(obj.get("text"), path=path, line=line)
    reader = _SpanReader(original, path=path, line=line, scheme=scheme)
    drafts: list[SpanDraft] = []
    status = obj.get("status")
    if status is not None and status not in ("new", "in_progress", "done", "skipped"):
        raise AnnotatorError(Errors.E220, path=path, line=line, field="status", value=status,
                             expected="one of new, in_progress, done, skipped")
    meta = obj.get("meta", {})
    if not isinstance(meta, dict):
        raise AnnotatorError(Errors.E220, path=path, line=line, field="meta", value=meta, expected="an object")
    meta = dict(meta)
    title = obj.get("title", default_title)
    if title is None:
        title = default_title
    if not isinstance(title, str):
        raise AnnotatorError(Errors.E220, path=path, line=line, field="title", value=title, expected="a string")
    annotator = obj.get("annotator")
    if annotator is not None and not isinstance(annotator, str):
        raise AnnotatorError(Errors.E220, path=path, line=line, field="annotator", value=annotator, expected="a string")

    # Ours: entities + stances as objects.
    for ent in _as_list(obj.get("entities") if _ours_entities(obj) else None, field_name="entities", path=path, line=line):
        if not isinstance(ent, dict):
            raise AnnotatorError(Errors.E220, path=path, line=line, field="entities[]", value=ent, expected="an object")
        start, end = reader.offsets("entity", ent.get("start"), ent.get("end"), ent.get("text"))
        drafts.append(SpanDraft(start, end, reader.label("entity", ent.get("label")), "entity"))
    entity_offsets = {(d.start, d.end) for d in drafts}
    for st in _as_list(obj.get("stances"), field_name="stances", path=path, line=line):
        if not isinstance(st, dict):
            raise AnnotatorError(Errors.E220, path=path, line=line, field="stances[]", value=st, expected="an object")
        start, end = reader.offsets("stance", st.get("start"), st.get("end"), st.get("text"))
        label = reader.label("stance", st.get("label"))
        target = reader.target(st.get("target"))
        holder = st.get("holder")
        holder_offsets = None
        if holder is not None:
            if not isinstance(holder, dict) or not _is_int(holder.get("start")) or not _is_int(holder.get("end")):
                raise reader.fail(Errors.E208, index=reader.index, layer="stance", field="holder", value=holder,
                                  expected="an object with integer start and end")
            holder_offsets = (holder["start"], holder["end"])
            if holder_offsets not in entity_offsets:
                raise reader.fail(Errors.E216, index=reader.index, start=holder_offsets[0], end=holder_offsets[1])
        drafts.append(SpanDraft(start, end, label, "stance", target=target, holder=holder_offsets))

    # Prodigy: spans with start/end/label and an answer.
    answer = obj.get("answer")
    for sp in _as_list(obj.get("spans"), field_name="spans", path=path, line=line):
        if not isinstance(sp, dict):
            raise AnnotatorError(Errors.E220, path=path, line=line, field="spans[]", value=sp, expected="an object")
        start, end = reader.offsets("entity", sp.get("start"), sp.get("end"), sp.get("text"))
        drafts.append(SpanDraft(start, end, reader.label("entity", sp.get("label")), "entity"))
    if answer is not None:
        if answer not in ("accept", "reject", "ignore"):
            raise AnnotatorError(Errors.E220, path=path, line=line, field="answer", value=answer, expected="accept, reject or ignore")
        meta.setdefault("prodigy_answer", answer)
        if answer == "accept" and status is None:
            status = "done"
        elif answer == "ignore" and status is None:
            status = "skipped"

    # doccano: label/labels as [start, end, label] lists, or entities with *_offset keys.
    for key in ("label", "labels"):
        items = obj.get(key)
        if items is None:
            continue
        items = _as_list(items, field_name=key, path=path, line=line)
        if all(isinstance(i, str) for i in items):  # a text-classification project
            meta.setdefault("doccano_labels", items)
            continue
        for item in items:
            if not isinstance(item, list | tuple) or len(item) != 3:
                raise AnnotatorError(Errors.E220, path=path, line=line, field=key, value=item, expected="[start, end, label]")
            start, end = reader.offsets("entity", item[0], item[1])
            drafts.append(SpanDraft(start, end, reader.label("entity", item[2]), "entity"))
    if not _ours_entities(obj):
        for ent in _as_list(obj.get("entities"), field_name="entities", path=path, line=line):
            if not isinstance(ent, dict):
                raise AnnotatorError(Errors.E220, path=path, line=line, field="entities[]", value=ent, expected="an object")
            start, end = reader.offsets("entity", ent.get("start_offset"), ent.get("end_offset"))
            drafts.append(SpanDraft(start, end, reader.label("entity", ent.get("label")), "entity"))

    for key, value in obj.items():
        if key not in OUR_KEYS and key not in PRODIGY_KEYS and key not in ("label", "labels", "relations", "text"):
            meta.setdefault(key, value)

    text = normalise_newlines(original)
    if text != original:
        remap = NewlineMap(original)
        drafts = [
            SpanDraft(remap(d.start), remap.end(d.end), d.label, d.layer, d.target,
                      (remap(d.holder[0]), remap.end(d.holder[1])) if d.holder else None, d.score, d.cue, d.origin)
            for d in drafts
        ]
    return Record(text=text, title=title.strip() or default_title, meta=meta, status=status, annotator=annotator,
                  spans=drafts, path=str(path), line=line)


def _ours_entities(obj: dict[str, Any]) -> bool:
    """Our entities are objects with start/end; doccano's have start_offset/end_offset."""
    ents = obj.get("entities")
    if not isinstance(ents, list) or not ents:
        return True
    first = ents[0]
    return not (isinstance(first, dict) and "start_offset" in first)


def title_from_text(text: str, fallback: str) -> str:
    for line in text.split("\n"):
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:200]
    return fallback
