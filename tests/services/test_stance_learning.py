"""A stance model learned from a project's decisions: examples, training, use."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.core.errors import AnnotatorError
from annotator.core.model import Span, SpanDraft
from annotator.core.text import text_hash
from annotator.nlp.stance_model import NO_STANCE, StanceExample, StanceModel, train_stance_model
from annotator.services.projects import create_project
from annotator.services.stance_learning import (
    STANCE_MODEL_SETTING,
    replay_gold,
    stance_decisions,
    train_from_project,
)
from annotator.services.suggesting import project_suggester
from annotator.storage import NewDocument

TROOPS = "Western troops in Ukraine"
AID = "US military aid to Ukraine"
TEXT = ("Tusk said Poland backed sending troops to Ukraine. Kallas said the aid was welcome. "
        "Fico said the troops question was open. Orban spoke about the aid again.")


def _sentences():
    out, start = [], 0
    for part in TEXT.split(". "):
        end = start + len(part) + (0 if part.endswith(".") else 1)
        out.append((start, end))
        start = end + 1
    return out


def test_decisions_are_accepted_corrected_written_and_rejected_stances(project):
    s1, s2, s3, s4 = _sentences()
    (doc_id,), _ = project.add_documents([NewDocument(text=TEXT, title="t", text_hash=text_hash(TEXT))])
    project.store_suggestions(doc_id, "stance-rules 2", [
        SpanDraft(*s1, "FAVOR", "stance", target=TROOPS, score=0.7),      # accepted as it is
        SpanDraft(*s2, "NEUTRAL", "stance", target=AID, score=0.2),       # corrected to FAVOR
        SpanDraft(*s3, "FAVOR", "stance", target=TROOPS, score=0.5),      # rejected: no stance there
    ])
    by_start = {s.start: s for s in project.spans(doc_id, layer="stance")}
    project.set_span_statuses([by_start[s1[0]].id], "accepted")
    project.set_span_statuses([by_start[s2[0]].id, by_start[s3[0]].id], "rejected")
    project.add_span(doc_id, Span(*s2, "FAVOR", "stance", target=AID))              # the correction
    project.add_span(doc_id, Span(*s4, "AGAINST", "stance", target=AID))            # written by hand
    decisions = sorted(stance_decisions(project), key=lambda d: TEXT.index(d.example.sentence))
    assert [(d.example.label, d.rules_label) for d in decisions] == [
        ("FAVOR", "FAVOR"), ("FAVOR", "NEUTRAL"), (NO_STANCE, "FAVOR"), ("AGAINST", None)]
    assert decisions[1].example == StanceExample(TEXT[s2[0]:s2[1]], AID, "FAVOR")


def test_a_model_trained_on_replayed_decisions_labels_the_projects_suggestions(tmp_path, sample_corpus_path):
    project = create_project(tmp_path / "p.db", model="rules")
    try:
        assert replay_gold(project, Path(sample_corpus_path) / "gold.jsonl") == 8
        decisions = stance_decisions(project)
        labels = {d.example.label for d in decisions}
        assert {"FAVOR", "AGAINST", "NEUTRAL", NO_STANCE} <= labels
        steps = []
        report = train_from_project(project, epochs=3, use=True, progress=lambda i, n: steps.append((i, n)))
        assert steps[-1] == (3, 3) and report.train + report.heldout == report.decisions == len(decisions)
        assert 0.0 <= report.rules_accuracy <= 1.0 and 0.0 <= report.model_accuracy <= 1.0
        assert Path(report.path, "stance-model.json").is_file()
        assert project.setting(STANCE_MODEL_SETTING)["path"] == report.path
        suggester = project_suggester(project)
        assert "stance-model" in suggester.name
        text = "Tusk said Poland would send troops to Ukraine next year."
        (drafts,) = list(suggester.suggest([text]))
        (stance,) = [d for d in drafts if d.layer == "stance"]
        assert stance.cue.startswith("stance-model") and 0.0 < stance.score < 1.0
        probs = StanceModel.load(report.path).score([(TROOPS, text)])[0]
        assert set(probs) == {"FAVOR", "AGAINST", "NEUTRAL", NO_STANCE}
        assert sum(probs.values()) == pytest.approx(1.0, abs=1e-4)
        # Left to decide, the project uses the model only where it beat the rules.
        again = train_from_project(project, epochs=3)
        assert bool(project.setting(STANCE_MODEL_SETTING)) == again.used == (
            again.model_accuracy > again.rules_accuracy)
    finally:
        project.close()


def test_too_few_classes_and_a_bad_model_folder_are_coded_errors(tmp_path):
    with pytest.raises(AnnotatorError) as info:
        train_stance_model([StanceExample("Tusk backed it.", TROOPS, "FAVOR")] * 3,
                           labels=["FAVOR", "AGAINST", "NEUTRAL"])
    assert info.value.code == "E620"
    with pytest.raises(AnnotatorError) as info:
        StanceModel.load(tmp_path)
    assert info.value.code == "E307"


def test_train_stance_command_says_what_is_missing(tmp_path):
    from click.testing import CliRunner

    from annotator.cli import cli

    path = tmp_path / "p.db"
    create_project(path).close()
    result = CliRunner().invoke(cli, ["train-stance", "--project", str(path)])
    assert result.exit_code == 1 and "E620" in result.output and "Traceback" not in result.output


def test_one_sentence_held_by_two_holders_stores_two_stances(project):
    text = "Poland and Estonia said they backed sending troops to Ukraine."
    (doc_id,), _ = project.add_documents([NewDocument(text=text, title="t", text_hash=text_hash(text))])
    poland, estonia = (0, 6), (11, 18)
    drafts = [SpanDraft(*poland, "GPE"), SpanDraft(*estonia, "GPE"),
              SpanDraft(0, len(text), "FAVOR", "stance", target=TROOPS, holder=poland),
              SpanDraft(0, len(text), "FAVOR", "stance", target=TROOPS, holder=estonia)]
    assert project.store_suggestions(doc_id, "stance-rules 2", drafts) == 4
    spans = project.spans(doc_id)
    offsets = {s.id: (s.start, s.end) for s in spans}
    assert sorted(offsets[s.holder_span_id] for s in spans if s.layer == "stance") == [poland, estonia]
    # Suggesting again keeps both, unchanged.
    assert project.store_suggestions(doc_id, "stance-rules 2", drafts) == 4
    assert {s.id for s in project.spans(doc_id)} == set(offsets)
