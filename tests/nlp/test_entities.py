from __future__ import annotations

from dataclasses import replace

from annotator.nlp.suggester import Suggester
from annotator.services.projects import load_scheme


def test_gazetteer_entities_are_mapped_and_carry_their_pattern(blank_nlp):
    scheme = load_scheme()
    suggester = Suggester.from_nlp(blank_nlp, scheme=scheme)
    assert suggester.rules_only
    text = "Macron urged Scholz in Berlin to send Taurus missiles to Ukraine."
    (drafts,) = list(suggester.suggest([text]))
    entities = {(text[d.start:d.end], d.label, d.origin, d.score) for d in drafts if d.layer == "entity"}
    assert ("Macron", "PERSON", "pattern:leader:emmanuel-macron", None) in entities
    assert ("Berlin", "GPE", "pattern:capital:berlin", None) in entities
    # WEAPON is not a project label: the scheme's model_labels maps it onto PRODUCT.
    assert ("Taurus", "PRODUCT", "pattern:weapon:taurus", None) in entities


def test_unmapped_labels_are_dropped_and_patterns_can_be_switched_off(blank_nlp):
    scheme = load_scheme()
    no_places = replace(scheme, model_labels={**scheme.model_labels, "GPE": ""})
    suggester = Suggester.from_nlp(blank_nlp, scheme=no_places)
    (drafts,) = list(suggester.suggest(["Macron visited Berlin."]))
    assert {d.label for d in drafts if d.layer == "entity"} == {"PERSON"}
    silent = Suggester.from_nlp(blank_nlp, scheme=scheme, patterns="none")
    (drafts,) = list(silent.suggest(["Macron visited Berlin."]))
    assert [d for d in drafts if d.layer == "entity"] == []
    assert silent.name != suggester.name


def test_entity_offsets_never_include_whitespace(blank_nlp):
    suggester = Suggester.from_nlp(blank_nlp, scheme=load_scheme())
    text = "NATO\n\nKyiv  and  Moscow "
    (drafts,) = list(suggester.suggest([text]))
    spans = [text[d.start:d.end] for d in drafts if d.layer == "entity"]
    assert spans == ["NATO", "Kyiv", "Moscow"]
