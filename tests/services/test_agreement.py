"""Agreement figures checked against values worked out by hand."""

from __future__ import annotations

import pytest

from annotator.core.errors import AnnotatorError
from annotator.services import agreement
from tests.services.team_data import AID, TEXT, TROOPS, add_doc, annotate


def test_two_annotators_f1_and_kappa_equal_hand_computed(project):
    doc = add_doc(project)
    # ana: Paris GPE, Macron PERSON, Berlin ORG
    # ben: Paris GPE, "Macron on" PERSON (longer), Berlin GPE, Tusk PERSON
    annotate(project, doc, "ana", [("Paris", "GPE"), ("Macron", "PERSON"), ("Berlin", "ORG")],
             [(0, TROOPS, "FAVOR"), (1, TROOPS, "AGAINST"), (2, AID, "NEUTRAL")])
    annotate(project, doc, "ben", [("Paris", "GPE"), ("Macron on", "PERSON"), ("Berlin", "GPE"), ("Tusk", "PERSON")],
             [(0, TROOPS, "FAVOR"), (1, TROOPS, "AGAINST"), (3, AID, "AGAINST")])
    report = agreement.agreement(project)
    assert report.annotators == ["ana", "ben"] and report.alpha is None
    [pair] = report.pairs
    ent = pair["entity"]
    # Exact matches: Paris only. F1 = 2*1 / (3 + 4).
    assert ent["f1_exact"] == pytest.approx(2 / 7)
    # Overlap, same label: Paris, Macron/"Macron on". F1 = 2*2 / 7.
    assert ent["f1_overlap"] == pytest.approx(4 / 7)
    # Per label: GPE exact 2*1/(1+2); PERSON exact 0, overlap 2*1/(1+2); ORG 0.
    assert ent["labels"]["GPE"]["f1_exact"] == pytest.approx(2 / 3)
    assert ent["labels"]["PERSON"]["f1_exact"] == 0
    assert ent["labels"]["PERSON"]["f1_overlap"] == pytest.approx(2 / 3)
    assert ent["labels"]["ORG"]["f1_overlap"] == 0
    # Kappa on matched spans: pairs (GPE,GPE), (PERSON,PERSON), (ORG,GPE).
    # po = 2/3; ana GPE 1/3 PERSON 1/3 ORG 1/3, ben GPE 2/3 PERSON 1/3:
    # pe = 1/3*2/3 + 1/3*1/3 = 1/3; kappa = (2/3 - 1/3) / (1 - 1/3) = 1/2.
    assert ent["matched_spans"] == 3
    assert ent["kappa"] == pytest.approx(0.5)
    st = pair["stance"]
    # Units (s0,T) FAVOR/FAVOR, (s1,T) AGAINST/AGAINST, (s2,AID) NEUTRAL/NONE, (s3,AID) NONE/AGAINST.
    # po = 2/4; ana FAVOR 1 AGAINST 1 NEUTRAL 1 NONE 1, ben FAVOR 1 AGAINST 2 NONE 1:
    # pe = (1*1 + 1*2 + 1*0 + 1*1) / 16 = 1/4; kappa = (1/2 - 1/4) / (3/4) = 1/3.
    assert st["units"] == 4
    assert st["kappa"] == pytest.approx(1 / 3)
    # Stance F1 over units: 2 matches, 3 stances each: 2*2 / 6.
    assert st["f1"] == pytest.approx(2 / 3)
    [article] = report.articles
    assert article["doc_id"] == doc and article["entity_f1_exact"] == pytest.approx(2 / 7)
    # Places that differ: Macron (boundary), Berlin (label), Tusk (only ben), s2, s3.
    assert article["disagreements"] == 5


def test_three_annotators_krippendorff_alpha_equals_hand_computed(project):
    doc = add_doc(project)
    annotate(project, doc, "ana", [("Paris", "GPE"), ("Berlin", "GPE"), ("Warsaw", "ORG")])
    annotate(project, doc, "ben", [("Paris", "GPE"), ("Berlin", "ORG"), ("Warsaw", "ORG")])
    annotate(project, doc, "cyd", [("Paris", "GPE"), ("Berlin", "GPE")])
    report = agreement.agreement(project)
    # Units: Paris (G,G,G), Berlin (G,O,G), Warsaw (O,O,-). Coincidences (nominal):
    # o_GG = 3 + 1 = 4, o_GO = o_OG = 1, o_OO = 2; n_G = 5, n_O = 3, n = 8.
    # alpha = 1 - (n - 1) * (o_GO + o_OG) / (n_G * n_O * 2) = 1 - 7 * 2 / 30 = 8/15.
    assert report.alpha["entity"] == pytest.approx(8 / 15)
    assert report.alpha["stance"] is None  # no stance at all: undefined
    assert [(p["a"], p["b"]) for p in report.pairs] == [("ana", "ben"), ("ana", "cyd"), ("ben", "cyd")]
    assert report.pairs[1]["entity"]["f1_exact"] == pytest.approx(2 * 2 / (3 + 2))


def test_only_articles_both_finished_count_and_review_layer_is_no_annotator(project):
    first, second = add_doc(project), add_doc(project, TEXT.replace("Paris", "Rouen"), "Other")
    annotate(project, first, "ana", [("Paris", "GPE")])
    annotate(project, first, "ben", [("Paris", "GPE")])
    annotate(project, first, "adjudicated", [("Paris", "ORG")])
    annotate(project, second, "ana", [("Berlin", "GPE")])
    annotate(project, second, "ben", [("Berlin", "ORG")], done=False)
    report = agreement.agreement(project)
    assert report.annotators == ["ana", "ben"]
    assert report.pairs[0]["documents"] == 1 and report.pairs[0]["entity"]["f1_exact"] == 1.0
    # One label only on both sides: kappa is undefined, the observed agreement is 1.
    assert report.pairs[0]["entity"]["kappa"] is None and report.pairs[0]["entity"]["observed"] == 1.0
    labels = agreement.label_agreement(project)
    assert [(la.layer, la.label, la.f1_exact, la.support) for la in labels] == [("entity", "GPE", 1.0, 2)]


def test_no_shared_finished_article_is_a_coded_error(project):
    doc = add_doc(project)
    annotate(project, doc, "ana", [("Paris", "GPE")])
    with pytest.raises(AnnotatorError) as err:
        agreement.agreement(project)
    assert err.value.code == "E705"
    assert agreement.label_agreement(project) == []
