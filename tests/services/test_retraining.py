"""Background retraining as a use case: when it is due, the held-out split, and a
real (short) spaCy training that switches the project only to a better model."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.services import retraining
from annotator.services.retraining import (
    EVERY_SETTING,
    MARK_SETTING,
    held_out_split,
    retraining_due,
)
from annotator.storage import open_project
from tests.services.training_corpus import fill_project


def test_the_held_out_fifth_stays_put_as_articles_are_finished():
    train, held = held_out_split(list(range(1, 11)))
    assert held == [5, 10] and 5 not in train and len(train) == 8
    more_train, more_held = held_out_split(list(range(1, 21)))
    assert set(held) <= set(more_held) and not set(more_held) & set(more_train)


def test_due_after_every_n_newly_finished_articles(project, tmp_path):
    assert not retraining_due(project)  # nothing finished
    fill_project(project, tmp_path, generated=9)
    assert not retraining_due(project)  # 9 < 10
    fill_project(project, tmp_path, generated=10)  # the same 9 are duplicates; one more
    assert len(project.done_doc_ids()) == 10 and retraining_due(project)
    project.set_setting(MARK_SETTING, 10)
    assert not retraining_due(project)
    project.set_setting(EVERY_SETTING, 0)
    project.set_setting(MARK_SETTING, 0)
    assert not retraining_due(project)  # off


@pytest.mark.slow
def test_a_better_candidate_replaces_the_model_and_a_worse_one_leaves_no_trace(tmp_path):
    path = tmp_path / "news.db"
    with open_project(path, create=True, annotator="tester") as project:
        # The model in use knows no entity at all: rules without the gazetteer.
        project.set_setting("model", "rules")
        project.set_setting("patterns", "none")
        fill_project(project, tmp_path, generated=15)
        outcome = retraining.retrain(project, max_steps=60)
        assert outcome.held_out_documents == 3 and outcome.train_documents == 12
        assert outcome.current_scores["entities_f1"] == 0.0
        assert outcome.switched and outcome.candidate_scores["entities_f1"] > 0.3
        assert project.setting("model") == outcome.candidate and Path(outcome.candidate, "meta.json").exists()
        assert project.setting(MARK_SETTING) == 15
        assert "Now suggesting with annotator_news-" in outcome.message()
        # The stance model from the decisions ran too, and says how it compares with the rules.
        assert 0.0 <= outcome.stance["model_accuracy"] <= 1.0 and outcome.stance["heldout"] > 0
        assert "Stance model: held-out accuracy" in outcome.message()
        # Again, barely trained: it must beat the new model to replace it.
        again = retraining.retrain(project, max_steps=1)
        better = sum(again.candidate_scores.values()) > sum(again.current_scores.values())
        assert again.switched == better
        assert Path(again.candidate).exists() == better
        assert project.setting("model") == (again.candidate if better else outcome.candidate)
