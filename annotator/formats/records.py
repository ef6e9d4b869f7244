"""Article records read from files, and the validation of their annotations.

One function, :func:`parse_record`, understands the JSON shapes an article can
come in (ours, Prodigy's, doccano's, and Label Studio's once
:mod:`annotator.formats.labelstudio` has flattened them), converts span offsets
from the unit the file counts in (code points, UTF-16 code units or grapheme
clusters) to code points, normalises newlines (moving span offsets with them),
merges exact duplicate spans and checks every span against the text, raising
coded errors that name the file and line.

Offset units: when the spans of a record carry their text, the unit is detected
(the declared or usual unit of the format first, then the others) and a record
whose span texts match in no unit is refused (E230). Without span text the
declared unit is used, and the record counts how many spans it moved.

Stances in other tools' files: a Prodigy record with ``meta.target`` (our
``prodigy-stance.jsonl``) holds stance spans toward that target; in doccano and
Label Studio a stance span's label is ``STANCE|target`` (``AGAINST|Harbor Bill``),
and a ``holder`` relation goes from the holding entity to the stance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from annotator.core.errors import AnnotatorError, Errors
from annotator.core.model import SpanDraft
from annotator.core.offsets import (
    CODEPOINTS,
    GRAPHEMES,
    UNIT_NAMES,
    UNITS,
    UTF16,
    OffsetError,
    OffsetIndex,
    units_differ,
)
from annotator.core.scheme import Scheme
from annotator.core.text import NewlineMap, normalise_newlines

OUR_KEYS = {"text", "title", "meta", "status", "annotator", "entities", "stances"}
PRODIGY_KEYS = {"spans", "tokens", "answer", "_input_hash", "_task_hash", "_view_id", "_session_id", "_timestamp",
                "relations"}
DOCCANO_KEYS = {"label", "labels", "relations", "id", "Comments"}
#: Keys of a record that are never copied into its meta.
_NOT_META = frozenset(OUR_KEYS | PRODIGY_KEYS | {"label", "labels", "relations", "text", "cats", "suggestions"})

#: The relation type (doccano, Label Studio) and label (Prodigy) that links the
#: entity holding a stance to the stance span.
HOLDER_RELATION = "holder"
#: Separates a stance label from its target in one label name (doccano, Label Studio).
STANCE_SEP = "|"

#: The ``meta`` key of a Prodigy task our export answered "ignore" only because
#: some of its tokens have no known entity status (the reason, in words): the
#: article was done, and comes back done while the answer is still "ignore".
PRODIGY_IGNORED = "ignored_because"

#: The unit each format's files count in when they do not say (what the tool's
#: own browser or library produces).
DEFAULT_UNITS = {"ours": CODEPOINTS, "prodigy": CODEPOINTS, "doccano": UTF16, "labelstudio": UTF16}


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
    #: The offset unit the record's spans were read in.
    unit: str = CODEPOINTS
    #: True when the unit was detected from span texts (not declared or assumed).
    unit_detected: bool = False
    #: Spans whose code-point offsets differ from the offsets in the file.
    moved: int = 0
    #: Exact duplicate spans merged into one.
    merged: int = 0
    #: Relations that are not stance holders, kept in meta.
    relations_in_meta: int = 0
    #: A model's spans that came with the record (Label Studio predictions), to review.
    suggestions: list[SpanDraft] = field(default_factory=list)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_text(text: Any, *, path: Path | str, line: int | None) -> str:
    if not isinstance(text, str) or not text or text.isspace():
        raise AnnotatorError(Errors.E205, path=path, line=line)
    try:
        if not text.isascii():  # ASCII holds no lone surrogate
            text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise AnnotatorError(Errors.E220, path=path, line=line, field="text",
                             value=text[exc.start:exc.end], expected="text without lone surrogates (\\ud800-\\udfff escapes)") from None
    if "\x00" in text:
        raise AnnotatorError(Errors.E220, path=path, line=line, field="text", value="\\u0000",
                             expected="text without NUL characters")
    return text


_SURROGATE = re.compile("[\ud800-\udfff]")
#: Values that hold no text.
_PLAIN = frozenset({int, float, bool, type(None)})


def _refuse_surrogates(value: Any, *, field: str, path: Path | str, line: int | None) -> None:
    """E220 for a lone surrogate (a broken ``\\ud800`` escape) anywhere in a field,
    its keys included: neither SQLite nor a UTF-8 file can store one."""
    if value is None or (isinstance(value, str) and value.isascii()):
        return
    stack = [(field, value)]
    while stack:
        name, item = stack.pop()
        if isinstance(item, str):
            found = None if item.isascii() else _SURROGATE.search(item)
            if found:
                raise AnnotatorError(Errors.E220, path=path, line=line, field=name, value=found.group(),
                                     expected="text without lone surrogates (\\ud800-\\udfff escapes)")
        elif isinstance(item, dict):
            for key, sub in item.items():
                if type(key) is str and key.isascii() and (type(sub) in _PLAIN or (type(sub) is str and sub.isascii())):
                    continue  # an ASCII key and a number or ASCII text: nothing to refuse
                stack.append((f"{name} key", key))
                stack.append((f"{name}.{key}" if isinstance(key, str) and not _SURROGATE.search(key) else name, sub))
        elif isinstance(item, list):
            stack.extend((name, sub) for sub in item)


@dataclass(slots=True)
class RawSpan:
    """A span as the file gives it: offsets in the file's unit, not yet checked."""

    layer: str
    start: Any
    end: Any
    label: Any
    text: Any = None
    target: Any = None
    #: (start, end) of the holding entity, in the file's unit.
    holder: Any = None
    #: True when the holder must be an entity of the same record (E216).
    holder_local: bool = True
    #: A model's confidence (Label Studio predictions).
    score: Any = None


class _SpanReader:
    """Validates raw spans of one record against its original text, in one unit."""

    def __init__(self, original: str, *, path: Path | str, line: int | None, scheme: Scheme | None,
                 unit: str) -> None:
        self.original = original
        self.path = path
        self.line = line
        self.scheme = scheme
        self.index = 0
        self.unit = unit
        self.offsets_index = OffsetIndex(original, unit)
        self.identity = self.offsets_index.identity
        self.moved = 0

    def fail(self, template: str, **fields: Any) -> AnnotatorError:
        return AnnotatorError(template, path=self.path, line=self.line, **fields)

    def _convert(self, layer: str, offset: int) -> int:
        try:
            return self.offsets_index.to_codepoints(offset)
        except OffsetError as exc:
            raise self.fail(Errors.E231, index=self.index, layer=layer, offset=offset, unit=UNIT_NAMES[self.unit],
                            reason=str(exc)) from None

    def offsets(self, layer: str, start: Any, end: Any, given_text: Any = None) -> tuple[int, int]:
        self.index += 1
        for name, value in (("start", start), ("end", end)):
            if not _is_int(value):
                raise self.fail(Errors.E208, index=self.index, layer=layer, field=name, value=value, expected="an integer")
        length = self.offsets_index.length
        if start < 0 or end > length:
            raise self.fail(Errors.E206, index=self.index, layer=layer, start=start, end=end, length=length,
                            unit=UNIT_NAMES[self.unit])
        if start >= end:
            raise self.fail(Errors.E207, index=self.index, layer=layer, start=start, end=end)
        if self.identity:
            cp_start, cp_end = start, end
        else:
            cp_start, cp_end = self._convert(layer, start), self._convert(layer, end)
        if given_text is not None:
            if not isinstance(given_text, str):
                raise self.fail(Errors.E208, index=self.index, layer=layer, field="text", value=given_text, expected="a string")
            actual = self.original[cp_start:cp_end]
            if given_text != actual and normalise_newlines(given_text) != normalise_newlines(actual):
                raise self.fail(Errors.E209, index=self.index, layer=layer, given=given_text, start=start, end=end,
                                actual=actual, unit=UNIT_NAMES[self.unit])
        if (cp_start, cp_end) != (start, end):
            self.moved += 1
        return cp_start, cp_end

    def holder(self, value: Any) -> tuple[int, int]:
        if (not isinstance(value, list | tuple) or len(value) != 2 or not all(_is_int(v) for v in value)
                or not 0 <= value[0] < value[1] <= self.offsets_index.length):
            raise self.fail(Errors.E208, index=self.index, layer="stance", field="holder", value=value,
                            expected="an object with integer start and end inside the text")
        return self._convert("stance", value[0]), self._convert("stance", value[1])

    def label(self, layer: str, label: Any) -> str:
        if not isinstance(label, str) or not label:
            raise self.fail(Errors.E208, index=self.index, layer=layer, field="label", value=label, expected="a label name")
        if self.scheme is None:
            return label
        if label in self.scheme.label_set(layer):
            return label
        mapped = self.scheme.map_model_label(label) if layer == "entity" else None
        if mapped:
            return mapped
        raise self.fail(Errors.E214, index=self.index, label=label, layer=layer,
                        known=", ".join(self.scheme.label_names(layer)))

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


def split_stance_label(label: Any, scheme: Scheme | None) -> tuple[str, str, str | None]:
    """(layer, label, target) of a label name from doccano or Label Studio:
    ``AGAINST|Harbor Bill`` is a stance toward "Harbor Bill"; anything else an entity."""
    if isinstance(label, str) and STANCE_SEP in label:
        head, _, target = label.partition(STANCE_SEP)
        if scheme is None or head in scheme.label_set("stance"):
            return "stance", head, target
    if scheme is not None and isinstance(label, str) and label in scheme.label_set("stance"):
        return "stance", label, None  # a stance without its target: refused by name (E215)
    return "entity", label, None


def parse_record(obj: Any, *, path: Path | str, line: int | None, scheme: Scheme | None, default_title: str = "",
                 offsets: str | None = None, kind: str | None = None) -> Record:
    """Turn one JSON object (ours, Prodigy, doccano, or Label Studio flattened by
    its reader) into a validated :class:`Record`.

    ``offsets`` is the unit the file declares (None: the usual one of its format);
    ``kind`` forces the format (Label Studio's reader passes ``"labelstudio"``).
    """
    if not isinstance(obj, dict):
        kind_name = type(obj).__name__ if obj is not None else "null"
        raise AnnotatorError(Errors.E210, path=path, line=line, kind=kind_name)
    original = check_text(obj.get("text"), path=path, line=line)
    status = obj.get("status")
    if status is not None and status not in ("new", "in_progress", "done", "skipped"):
        raise AnnotatorError(Errors.E220, path=path, line=line, field="status", value=status,
                             expected="one of new, in_progress, done, skipped")
    meta = obj.get("meta", {})
    if not isinstance(meta, dict):
        raise AnnotatorError(Errors.E220, path=path, line=line, field="meta", value=meta, expected="an object")
    meta = dict(meta)
    kind = kind or _kind(obj)
    title = obj.get("title")
    if title is None and isinstance(meta.get("title"), str) and kind != "ours":
        title = meta.pop("title")  # Prodigy: our export keeps the title in meta
    if title is None:
        title = default_title
    if not isinstance(title, str):
        raise AnnotatorError(Errors.E220, path=path, line=line, field="title", value=title, expected="a string")
    annotator = obj.get("annotator")
    if annotator is not None and not isinstance(annotator, str):
        raise AnnotatorError(Errors.E220, path=path, line=line, field="annotator", value=annotator, expected="a string")

    entities: list[dict[str, Any]] | None = None
    raws: list[RawSpan] | None
    if kind in ("ours", "labelstudio"):
        entities = _objects(obj, "entities", path=path, line=line)
        stances = _objects(obj, "stances", path=path, line=line)
        # Entities alone are first checked as they are (_common_entities).
        raws = _our_raw_spans(entities, stances) if stances else None
        relations_in_meta = 0
    else:
        raws, relations_in_meta = _raw_spans(obj, meta, kind=kind, scheme=scheme, path=path, line=line)
    if kind == "prodigy":
        # Our export's marker says why; it is not the article's own metadata.
        ours_ignored = isinstance(meta.pop(PRODIGY_IGNORED, None), str)
        answer = obj.get("answer")
        if answer is not None:
            if answer not in ("accept", "reject", "ignore"):
                raise AnnotatorError(Errors.E220, path=path, line=line, field="answer", value=answer,
                                     expected="accept, reject or ignore")
            meta.setdefault("prodigy_answer", answer)
            if answer == "reject":
                # A rejected task says its spans are wrong: never gold. The text is kept.
                meta.setdefault("prodigy_rejected_spans", len(raws))
                raws = []
            if answer == "accept" and status is None:
                status = "done"
            elif answer == "ignore" and status is None:
                # Answered "ignore" by our export to keep unknown tokens out of
                # training: the article was done. Any other "ignore" skips it.
                status = "done" if ours_ignored else "skipped"
    elif kind in ("doccano", "labelstudio") and (raws or entities) and status is None:
        status = "done"  # annotated in the other tool: a finished article

    for key, value in obj.items():
        if key not in _NOT_META:
            meta.setdefault(key, value)

    for name, value in (("title", title), ("annotator", annotator), ("meta", meta)):
        _refuse_surrogates(value, field=name, path=path, line=line)

    declared = offsets or DEFAULT_UNITS.get(kind, CODEPOINTS)
    common = _common_entities(entities, original, declared, scheme) if raws is None and entities else None
    if common is not None:
        (drafts, distinct), unit, detected, moved = common, declared, False, 0
    else:
        if raws is None:
            raws = _our_raw_spans(entities or [], [])
        drafts, unit, detected, moved, distinct = _resolve_units(raws, original, declared, path=path, line=line,
                                                                 scheme=scheme)
    drafts, merged = (drafts, 0) if distinct else _merge_duplicates(drafts)
    suggestions: list[SpanDraft] = []
    if kind == "labelstudio" and obj.get("suggestions"):
        predicted = [RawSpan(s.get("layer"), s.get("start"), s.get("end"), s.get("label"), s.get("text"),
                             s.get("target"), score=s.get("score")) for s in obj["suggestions"]]
        suggestions, *_ = _resolve_units(predicted, original, unit, path=path, line=line, scheme=scheme)

    text = normalise_newlines(original)
    if text != original:
        remap = NewlineMap(original)
        drafts, suggestions = ([
            SpanDraft(remap(d.start), remap.end(d.end), d.label, d.layer, d.target,
                      (remap(d.holder[0]), remap.end(d.holder[1])) if d.holder else None, d.score, d.cue, d.origin)
            for d in group] for group in (drafts, suggestions))
    return Record(text=text, title=title.strip() or default_title, meta=meta, status=status, annotator=annotator,
                  spans=drafts, path=str(path), line=line, unit=unit, unit_detected=detected, moved=moved,
                  merged=merged, relations_in_meta=relations_in_meta, suggestions=suggestions)


def _common_entities(entities: list[dict[str, Any]], original: str, unit: str,
                     scheme: Scheme | None) -> tuple[list[SpanDraft], bool] | None:
    """The drafts of entity objects of our shape when every one is the common
    case (as in :func:`_validate`: integer offsets inside the text that need no
    conversion in ``unit``, a known label, its text, if given, equal to the
    text's), and whether no two can be duplicates; None when any is not, for
    the full checks to handle and name."""
    index = OffsetIndex(original, unit)
    if not index.identity:
        return None
    length = index.length
    known = scheme.label_set("entity") if scheme is not None else None
    drafts: list[SpanDraft] = []
    offsets: set[tuple[int, int]] = set()
    try:
        for ent in entities:
            start, end, label = _START_END_LABEL(ent)
            given = ent.get("text")
            if not (type(start) is int and type(end) is int and 0 <= start < end <= length
                    and type(label) is str and label and (known is None or label in known)
                    and (given is None or given == original[start:end])):
                return None
            offsets.add((start, end))
            drafts.append(_entity_draft(start, end, label))
    except KeyError:  # a span without start, end or label
        return None
    return drafts, len(offsets) == len(drafts)


_START_END_LABEL = itemgetter("start", "end", "label")


def _resolve_units(raws: list[RawSpan], original: str, declared: str, *, path: Path | str, line: int | None,
                   scheme: Scheme | None) -> tuple[list[SpanDraft], str, bool, int, bool]:
    """Validate ``raws`` in the declared unit; when that fails and the spans carry
    their text, in the other units. Returns (drafts, unit, detected, moved,
    distinct), ``distinct`` true when no two drafts can be duplicates."""
    try:
        drafts, moved, distinct = _validate(raws, original, declared, path=path, line=line, scheme=scheme)
        return drafts, declared, False, moved, distinct
    except AnnotatorError as first:
        if (first.code not in ("E206", "E209", "E231") or not any(r.text is not None for r in raws)
                or not units_differ(original)):
            raise
        failures = [f"{UNIT_NAMES[declared]}: {first.message}"]
    for unit in UNITS:
        if unit == declared:
            continue
        try:
            drafts, moved, distinct = _validate(raws, original, unit, path=path, line=line, scheme=scheme)
            return drafts, unit, True, moved, distinct
        except AnnotatorError as exc:
            if exc.code not in ("E206", "E209", "E231"):
                raise
            failures.append(f"{UNIT_NAMES[unit]}: {exc.message}")
    raise AnnotatorError(Errors.E230, path=path, line=line, detail="; ".join(failures))


def _validate(raws: list[RawSpan], original: str, unit: str, *, path: Path | str, line: int | None,
              scheme: Scheme | None) -> tuple[list[SpanDraft], int, bool]:
    reader = _SpanReader(original, path=path, line=line, scheme=scheme, unit=unit)
    drafts: list[SpanDraft] = []
    entity_offsets: set[tuple[int, int]] = set()
    # The common span (an entity with integer offsets inside the text that need
    # no conversion, a known label, its text, if given, equal to the text's, no
    # score; _common_entities checks the same of objects) is accepted inline; any
    # other span takes the checks below, which give every error. Every span read
    # adds one draft, so len(drafts) counts them.
    fast = reader.identity
    length = reader.offsets_index.length
    known = scheme.label_set("entity") if scheme is not None else None
    ordered = raws if {raw.layer for raw in raws} <= _ENTITY_LAYER else sorted(raws, key=_stances_last)
    for raw in ordered:
        if fast and raw.layer == "entity":
            start, end, label, given = raw.start, raw.end, raw.label, raw.text
            if (type(start) is int and type(end) is int and 0 <= start < end <= length
                    and type(label) is str and label and (known is None or label in known)
                    and (given is None or given == original[start:end]) and raw.score is None):
                entity_offsets.add((start, end))
                drafts.append(_entity_draft(start, end, label))
                continue
        reader.index = len(drafts)
        start, end = reader.offsets(raw.layer, raw.start, raw.end, raw.text)
        label = reader.label(raw.layer, raw.label)
        score = float(raw.score) if isinstance(raw.score, int | float) and not isinstance(raw.score, bool) else None
        if raw.layer == "entity":
            entity_offsets.add((start, end))
            drafts.append(SpanDraft(start, end, label, "entity", score=score))
            continue
        target = reader.target(raw.target)
        holder = None
        if raw.holder is not None:
            holder = reader.holder(raw.holder)
            if raw.holder_local and holder not in entity_offsets:
                raise reader.fail(Errors.E216, index=reader.index, start=raw.holder[0], end=raw.holder[1])
        drafts.append(SpanDraft(start, end, label, "stance", target=target, holder=holder, score=score))
    # All entities at distinct offsets: no two drafts can be duplicates (see _merge_duplicates).
    return drafts, reader.moved, len(entity_offsets) == len(drafts)


_ENTITY_LAYER = frozenset({"entity"})


# The slot setters of SpanDraft (a frozen dataclass with slots).
_SET_START, _SET_END, _SET_LABEL, _SET_LAYER, _SET_TARGET, _SET_HOLDER, _SET_SCORE, _SET_CUE, _SET_ORIGIN = (
    SpanDraft.start.__set__, SpanDraft.end.__set__, SpanDraft.label.__set__, SpanDraft.layer.__set__,
    SpanDraft.target.__set__, SpanDraft.holder.__set__, SpanDraft.score.__set__, SpanDraft.cue.__set__,
    SpanDraft.origin.__set__)


def _entity_draft(start: int, end: int, label: str) -> SpanDraft:
    """``SpanDraft(start, end, label, "entity")``, built about twice as fast: a frozen
    dataclass's ``__init__`` goes through ``object.__setattr__`` for each field,
    while its slots' own setters are direct (the result is the same object)."""
    draft = object.__new__(SpanDraft)
    _SET_START(draft, start)
    _SET_END(draft, end)
    _SET_LABEL(draft, label)
    _SET_LAYER(draft, "entity")
    _SET_TARGET(draft, None)
    _SET_HOLDER(draft, None)
    _SET_SCORE(draft, None)
    _SET_CUE(draft, None)
    _SET_ORIGIN(draft, None)
    return draft


def _stances_last(raw: RawSpan) -> bool:
    return raw.layer != "entity"


def _merge_duplicates(drafts: list[SpanDraft]) -> tuple[list[SpanDraft], int]:
    """Exact duplicates (same offsets, layer, label and target) become one span;
    a stance keeps the first holder given. The same stance held by two different
    holders ("Poland and Estonia said ...") is two stances, and both are kept."""
    kept: dict[tuple, SpanDraft] = {}
    merged = 0
    for d in drafts:
        key = (d.start, d.end, d.layer, d.label, d.target)
        if key in kept and d.layer == "stance" and None not in (d.holder, kept[key].holder) \
                and d.holder != kept[key].holder:
            key = (*key, d.holder)
        if key in kept:
            merged += 1
            if kept[key].holder is None and d.holder is not None:
                kept[key] = d
            continue
        kept[key] = d
    return list(kept.values()), merged


def _kind(obj: dict[str, Any]) -> str:
    if "spans" in obj or "answer" in obj or "_input_hash" in obj or "tokens" in obj:
        return "prodigy"
    if "label" in obj or "labels" in obj or not _ours_entities(obj):
        return "doccano"
    return "ours"


def _objects(obj: dict[str, Any], key: str, *, path: Path | str, line: int | None) -> list[dict[str, Any]]:
    """``obj[key]``: a list of objects (E220 otherwise); missing is empty."""
    items = _as_list(obj.get(key), field_name=key, path=path, line=line)
    for item in items:
        if not isinstance(item, dict):
            raise AnnotatorError(Errors.E220, path=path, line=line, field=f"{key}[]", value=item, expected="an object")
    return items


def _our_raw_spans(entities: list[dict[str, Any]], stances: list[dict[str, Any]]) -> list[RawSpan]:
    """The spans of a record of our shape (Label Studio's, flattened, too)."""
    raws = [RawSpan("entity", ent.get("start"), ent.get("end"), ent.get("label"), ent.get("text"))
            for ent in entities]
    for st in stances:
        holder = st.get("holder")
        if holder is not None:
            if not isinstance(holder, dict):
                holder = [holder]
            else:
                holder = [holder.get("start"), holder.get("end")]
        raws.append(RawSpan("stance", st.get("start"), st.get("end"), st.get("label"), st.get("text"),
                            st.get("target"), holder))
    return raws


def _raw_spans(obj: dict[str, Any], meta: dict[str, Any], *, kind: str, scheme: Scheme | None,
               path: Path | str, line: int | None) -> tuple[list[RawSpan], int]:
    """The spans of ``obj`` (Prodigy or doccano; ours: :func:`_our_raw_spans`) in
    its file's unit, and the number of relations kept in meta."""
    raws: list[RawSpan] = []

    def obj_list(key: str) -> list[dict[str, Any]]:
        return _objects(obj, key, path=path, line=line)

    if kind == "prodigy":
        target = meta.get("target") if isinstance(meta.get("target"), str) else None
        stance_labels = scheme.label_set("stance") if scheme else frozenset()
        holders: dict[tuple, list[int]] = {}
        for rel in obj_list("relations"):
            if str(rel.get("label", "")).lower() == HOLDER_RELATION:
                head, child = rel.get("head_span"), rel.get("child_span")
                if isinstance(head, dict) and isinstance(child, dict):
                    key = (child.get("start"), child.get("end"), child.get("label"))
                    if all(isinstance(k, int | str) for k in key):
                        holders[key] = [head.get("start"), head.get("end")]
        for sp in obj_list("spans"):
            label = sp.get("label")
            if target is not None and (scheme is None or (isinstance(label, str) and label in stance_labels)):
                key = (sp.get("start"), sp.get("end"), label)
                holder = holders.get(key) if all(isinstance(k, int | str) for k in key) else None
                raws.append(RawSpan("stance", sp.get("start"), sp.get("end"), label, sp.get("text"), target,
                                    holder, holder_local=False))
            else:
                raws.append(RawSpan("entity", sp.get("start"), sp.get("end"), label, sp.get("text")))
        if target is not None:
            meta.pop("target")
        return raws, 0

    # doccano: label/labels as [start, end, label] lists; entities as lists or
    # objects with *_offset keys (and ids that relations point at).
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
            layer, label, target = split_stance_label(item[2], scheme)
            raws.append(RawSpan(layer, item[0], item[1], label, None, target))
    by_id: dict[Any, RawSpan] = {}
    for ent in _as_list(obj.get("entities"), field_name="entities", path=path, line=line):
        if isinstance(ent, list | tuple) and len(ent) == 3:
            start, end, full_label, ent_id = ent[0], ent[1], ent[2], None
        elif isinstance(ent, dict):
            start, end, full_label, ent_id = ent.get("start_offset"), ent.get("end_offset"), ent.get("label"), ent.get("id")
        else:
            raise AnnotatorError(Errors.E220, path=path, line=line, field="entities[]", value=ent,
                                 expected="[start, end, label] or an object with start_offset, end_offset and label")
        layer, label, target = split_stance_label(full_label, scheme)
        raw = RawSpan(layer, start, end, label, None, target)
        raws.append(raw)
        if isinstance(ent_id, int | str):
            by_id[ent_id] = raw
    if "cats" in obj:
        meta.setdefault("doccano_cats", obj["cats"])
    others = []
    for rel in obj_list("relations"):
        from_id, to_id = rel.get("from_id"), rel.get("to_id")
        source = by_id.get(from_id) if isinstance(from_id, int | str) else None
        dest = by_id.get(to_id) if isinstance(to_id, int | str) else None
        rtype = rel.get("type")
        if (isinstance(rtype, str) and rtype.lower() == HOLDER_RELATION and source is not None and dest is not None
                and source.layer == "entity" and dest.layer == "stance"):
            dest.holder = [source.start, source.end]
            continue
        others.append({"type": rtype,
                       "from": [source.start, source.end, source.label] if source else from_id,
                       "to": [dest.start, dest.end, dest.label] if dest else to_id})
    if others:
        meta.setdefault("doccano_relations", others)
    return raws, len(others)


def _ours_entities(obj: dict[str, Any]) -> bool:
    """Our entities are objects with start/end; doccano's have start_offset/end_offset
    or are [start, end, label] lists."""
    ents = obj.get("entities")
    if not isinstance(ents, list) or not ents:
        return True
    first = ents[0]
    return not ((isinstance(first, dict) and "start_offset" in first) or isinstance(first, list))


def title_from_text(text: str, fallback: str) -> str:
    for line in text.split("\n"):
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:200]
    return fallback


__all__ = ["CODEPOINTS", "DEFAULT_UNITS", "GRAPHEMES", "UTF16", "Record", "check_text", "parse_record",
           "split_stance_label", "title_from_text"]
