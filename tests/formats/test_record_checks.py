"""Span checks of one record: each way a span can differ from the common case
(an entity with in-range integer code-point offsets, a known label and its own
text) gets the same error or result, numbered by its place in the record."""

from __future__ import annotations

import enum
import json

import pytest

from annotator.core.assets import default_scheme_paths
from annotator.core.errors import AnnotatorError
from annotator.core.model import SpanDraft
from annotator.core.scheme import scheme_from_files
from annotator.formats.readers import read_jsonl
from annotator.formats.records import parse_record

TEXT = "Anna Petrenko met NATO officials in Kyiv on Monday."
GOOD = [{"start": 0, "end": 13, "label": "PERSON", "text": "Anna Petrenko"},
        {"start": 18, "end": 22, "label": "ORG", "text": "NATO"}]


class Flag(enum.IntEnum):
    ONE = 1


@pytest.fixture(scope="module")
def scheme():
    return scheme_from_files(*default_scheme_paths())


def _read(scheme, third, text=TEXT, **record):
    return parse_record({"text": text, "entities": [*GOOD, third], **record}, path="a.jsonl", line=4, scheme=scheme)


@pytest.mark.parametrize(("third", "code", "fragment"), [
    ({"start": True, "end": 40, "label": "GPE"}, "E208", "start"),
    ({"start": 36, "end": False, "label": "GPE"}, "E208", "end"),
    ({"start": 36.0, "end": 40, "label": "GPE"}, "E208", "start"),
    ({"start": -1, "end": 40, "label": "GPE"}, "E206", "-1"),
    ({"start": 36, "end": 99, "label": "GPE"}, "E206", "99"),
    ({"start": 40, "end": 36, "label": "GPE"}, "E207", "40"),
    ({"start": 36, "end": 36, "label": "GPE"}, "E207", "36"),
    ({"start": 36, "end": 40, "label": ""}, "E208", "label"),
    ({"start": 36, "end": 40, "label": ["GPE"]}, "E208", "label"),
    ({"start": 36, "end": 40, "label": "CITY"}, "E214", "CITY"),
    ({"start": 36, "end": 40, "label": "GPE", "text": "Kyi"}, "E209", "Kyi"),
    ({"start": 36, "end": 40, "label": "GPE", "text": 7}, "E208", "text"),
])
def test_a_bad_span_is_refused_with_its_number(scheme, third, code, fragment):
    with pytest.raises(AnnotatorError) as info:
        _read(scheme, third)
    assert info.value.code == code and info.value.line == 4
    assert "Span 3 " in info.value.message and fragment in info.value.message


def test_unusual_but_valid_spans_are_read_like_any_other(scheme):
    # An integer subclass as offset, a model label the scheme maps.
    record = _read(scheme, {"start": Flag.ONE, "end": 4, "label": "PER"})
    assert record.spans[2] == SpanDraft(1, 4, "PERSON", "entity")
    # Span text with CRLF where the text has CRLF: offsets move with the newlines.
    record = _read(scheme, {"start": 51, "end": 58, "label": "GPE", "text": "K\r\nyiv."}, text=TEXT + "K\r\nyiv.")
    assert record.spans[2] == SpanDraft(51, 57, "GPE") and record.text.endswith("K\nyiv.")
    # Without a scheme any non-empty label is kept.
    record = parse_record({"text": TEXT, "entities": [*GOOD, {"start": 36, "end": 40, "label": "CITY"}]},
                          path="a.jsonl", line=4, scheme=None)
    assert [d.label for d in record.spans] == ["PERSON", "ORG", "CITY"]


def test_common_spans_are_plain_drafts_and_duplicates_merge(scheme):
    record = _read(scheme, dict(GOOD[0]))
    assert record.spans == [SpanDraft(0, 13, "PERSON"), SpanDraft(18, 22, "ORG")] and record.merged == 1
    assert hash(record.spans[0]) == hash(SpanDraft(0, 13, "PERSON"))
    with pytest.raises(AttributeError):
        record.spans[0].label = "ORG"  # still frozen
    # The same offsets under two labels are two spans.
    record = _read(scheme, {"start": 0, "end": 13, "label": "ORG"})
    assert [(d.start, d.label) for d in record.spans] == [(0, "PERSON"), (18, "ORG"), (0, "ORG")] and record.merged == 0


def test_an_error_after_a_stance_is_numbered_after_the_entities(scheme):
    stance = {"start": 0, "end": 22, "label": "FAVOR", "target": "Ukraine joining NATO",
              "holder": {"start": 0, "end": 13}}
    record = _read(scheme, {"start": 36, "end": 40, "label": "GPE"}, stances=[stance])
    assert record.spans[-1].holder == (0, 13) and record.spans[-1].layer == "stance"
    stance["holder"] = {"start": 36, "end": 41}
    with pytest.raises(AnnotatorError) as info:
        _read(scheme, {"start": 36, "end": 40, "label": "GPE"}, stances=[stance])
    assert info.value.code == "E216" and "stance 4 " in info.value.message


def test_a_prodigy_stance_task_with_a_list_as_label_gets_a_coded_error(scheme):
    task = {"text": TEXT, "meta": {"target": "Ukraine joining NATO"},
            "spans": [{"start": 0, "end": 13, "label": ["FAVOR"]}]}
    with pytest.raises(AnnotatorError) as info:
        parse_record(task, path="a.jsonl", line=2, scheme=scheme)
    assert info.value.code == "E208" and "label" in info.value.message
    # A rejected task's spans are dropped unread: its text is imported.
    record = parse_record({**task, "answer": "reject"}, path="a.jsonl", line=2, scheme=scheme)
    assert record.spans == [] and record.meta["prodigy_rejected_spans"] == 1


def _nested(depth: int) -> str:
    """A record whose meta nests ``depth`` levels deep in all (the record itself is one)."""
    return '{"text": "Kyiv.", "meta": {"x": ' + "[" * (depth - 2) + "1" + "]" * (depth - 2) + "}}"


@pytest.mark.parametrize(("line", "code"), [
    (_nested(64), None),
    (_nested(65), "E219"),
    # A repeated key: the parsed value keeps only the last, the text still nests too deep.
    ('{"text": "Kyiv.", "meta": {"x": ' + "[" * 70 + "]" * 70 + ', "x": 1}}', "E219"),
    # Brackets in strings are not nesting, however many.
    (json.dumps({"text": "Kyiv " + "[{" * 80, "entities": [{"start": 0, "end": 4, "label": "GPE"}] * 70}), None),
    # Too deep and broken: the depth is named first.
    (_nested(65)[:-1], "E219"),
    (_nested(64)[:-1], "E204"),
])
def test_jsonl_nesting_limit(tmp_path, scheme, line, code):
    path = tmp_path / "nested.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    [(number, item)] = list(read_jsonl(path, scheme=scheme))
    assert number == 1
    if code is None:
        assert not isinstance(item, AnnotatorError) and item.text.startswith("Kyiv")
    else:
        assert isinstance(item, AnnotatorError) and item.code == code and item.line == 1


def test_a_lone_surrogate_deep_in_meta_is_named_by_its_path(scheme):
    meta = {"source": "wire", "n": 3, "extra": {"tags": [1, "ok", {"note": "x\udc00"}], "flag": True}}
    with pytest.raises(AnnotatorError) as info:
        parse_record({"text": TEXT, "meta": meta}, path="a.jsonl", line=5, scheme=scheme)
    assert info.value.code == "E220" and "meta.extra.tags.note" in info.value.message
    meta["extra"]["tags"][2] = {"no\ud800te": 1}
    with pytest.raises(AnnotatorError) as info:
        parse_record({"text": TEXT, "meta": meta}, path="a.jsonl", line=5, scheme=scheme)
    assert "meta.extra.tags key" in info.value.message
