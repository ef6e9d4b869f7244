"""Coded errors and the label scheme's validation."""

from __future__ import annotations

import dataclasses

import pytest

from annotator.core.errors import AnnotatorError, Errors
from annotator.core.model import Span
from annotator.core.scheme import Label, Scheme, parse_labels
from annotator.formats.records import parse_record


def test_a_coded_error_names_its_code_file_and_line():
    err = AnnotatorError(Errors.E101, path="labels.toml", line=3, reason="bad colour")
    assert err.code == "E101"
    assert str(err).startswith("[E101] labels.toml:3: ")
    assert "bad colour" in str(err)
    assert err.to_dict() == {"code": "E101", "path": "labels.toml", "line": 3, "message": err.message}


def test_every_error_template_has_a_distinct_code():
    codes = [name for name in vars(Errors) if name[:1] == "E" and name[1:].isdigit()]
    templates = [getattr(Errors, name) for name in codes]
    assert len(set(templates)) == len(templates)


def _labels(**entity):
    return {"entity": [{"name": "PERSON", "colour": "#0072b2", "hotkey": "1"} | entity],
            "stance": [{"name": "FAVOR", "colour": "#009e73", "hotkey": "Ctrl+1"}]}


def test_parse_labels_reads_a_valid_scheme():
    entities, stances, mapping = parse_labels(_labels(), path="labels.toml")
    assert entities[0].name == "PERSON" and entities[0].colour == "#0072b2"
    assert stances[0].hotkey == "Ctrl+1" and mapping == {}


@pytest.mark.parametrize(("entry", "fragment"), [
    ({"colour": "orange"}, "colour"),
    ({"name": "1X"}, "must start with a letter"),
    ({"hotkey": "Ctrl+1"}, "already used"),
])
def test_parse_labels_refuses_bad_entries_with_e101(entry, fragment):
    with pytest.raises(AnnotatorError) as info:
        parse_labels(_labels(**entry), path="labels.toml")
    assert info.value.code == "E101" and fragment in info.value.message
    assert info.value.path == "labels.toml"


def test_spans_overlap_only_when_they_share_a_character():
    a, b, c = Span(0, 5, "PERSON"), Span(5, 9, "GPE"), Span(4, 6, "ORG")
    assert not a.overlaps(b) and a.overlaps(c) and b.overlaps(c)


def _scheme(entity_names, stance_names=("FAVOR",)):
    entity = tuple(Label(name, "entity", "#0072b2") for name in entity_names)
    stance = tuple(Label(name, "stance", "#009e73") for name in stance_names)
    return Scheme(entity, stance)


def test_label_set_follows_the_labels_it_was_built_from():
    scheme = _scheme(["PERSON", "ORG"])
    assert scheme.label_set("entity") == {"PERSON", "ORG"} and scheme.label_set("stance") == {"FAVOR"}
    assert scheme.label_set("entity") is scheme.label_set("entity")  # built once
    # A scheme's labels replaced after the set was built: the set is rebuilt.
    object.__setattr__(scheme, "entity_labels", _scheme(["GPE"]).entity_labels)
    assert scheme.label_set("entity") == {"GPE"}
    # A copy with other labels has its own set; the original keeps its own.
    other = dataclasses.replace(scheme, stance_labels=(Label("AGAINST", "stance", "#d55e00"),))
    assert other.label_set("stance") == {"AGAINST"} and scheme.label_set("stance") == {"FAVOR"}
    # The cache is no part of the scheme's value.
    assert scheme == _scheme(["GPE"]) and "name_sets" not in repr(scheme)


def test_reading_a_record_uses_the_schemes_current_labels():
    scheme = _scheme(["PERSON"])
    record = {"text": "Anna met Olaf.", "entities": [{"start": 0, "end": 4, "label": "PERSON"}]}
    assert parse_record(record, path="a.jsonl", line=1, scheme=scheme).spans[0].label == "PERSON"
    object.__setattr__(scheme, "entity_labels", (Label("GPE", "entity", "#e69f00"),))
    with pytest.raises(AnnotatorError) as info:
        parse_record(record, path="a.jsonl", line=1, scheme=scheme)
    assert info.value.code == "E214" and "GPE" in info.value.message
    record["entities"][0]["label"] = "GPE"
    assert parse_record(record, path="a.jsonl", line=1, scheme=scheme).spans[0].label == "GPE"
