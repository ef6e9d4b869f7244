"""Background retraining in the real window: finishing N articles starts a child
process that trains, scores and switches the model without a click, while the
window keeps taking decisions; closing the window cancels it cleanly."""

from __future__ import annotations

import pytest

from annotator.core.text import text_hash
from annotator.gui import app as app_module
from annotator.gui.workers import cancel_all, live_tasks, wait_all
from annotator.services.retraining import EVERY_SETTING, MARK_SETTING, STEPS_SETTING
from annotator.services.training import models_folder
from annotator.storage import NewDocument, open_project
from tests.services.training_corpus import fill_project

pytestmark = pytest.mark.slow

OPEN = ["Petra Lind said the talks in Vienna went well.", "Officials met in Oslo on Monday.",
        "Talks resumed in Geneva on Friday."]


def _project(tmp_path):
    path = tmp_path / "news.db"
    with open_project(path, create=True, annotator="tester") as project:
        project.set_setting("model", "rules")
        project.set_setting("patterns", "none")  # the model in use finds no entity
        finished = fill_project(project, tmp_path, generated=15)
        project.add_documents([NewDocument(text=t, title=t[:20], text_hash=text_hash(t)) for t in OPEN])
        project.set_setting(EVERY_SETTING, 2)
        project.set_setting(MARK_SETTING, finished)
        project.set_setting(STEPS_SETTING, 40)
    return path


def _open(qtbot, path):
    window, project, _ = app_module.open_window(path, suggest=False)
    qtbot.addWidget(window)
    window.load_document(16)
    return window, project


def test_finishing_n_articles_retrains_in_the_background_and_switches(qtbot, qapp, tmp_path):
    path = _project(tmp_path)
    window, project = _open(qtbot, path)
    try:
        window.mark_done_and_next()
        assert not window.retraining.running  # one newly finished article of two
        window.mark_done_and_next()
        assert window.retraining.running
        assert window.status.busy()
        # The window still takes decisions while the child trains.
        text = project.document(18).text
        window._push(window.session.create(0, text.index(" "), "entity", "ORG"))
        assert project.spans(18, statuses=["accepted"])
        qtbot.waitUntil(lambda: window.retraining.last_outcome is not None
                        or window.retraining.last_error is not None, timeout=300_000)
        assert window.retraining.last_error is None
        outcome = window.retraining.last_outcome
        assert outcome.switched and project.setting("model") == outcome.candidate
        assert "Retrained on 14 finished articles, scored on 3 held-out" in window.statusBar().currentMessage()
        qtbot.waitUntil(lambda: not window.retraining.running, timeout=10_000)
        assert window.status.pipeline_text().endswith(outcome.candidate.rsplit("/", 1)[-1])
    finally:
        window.close()
        project.close()


def test_closing_the_window_cancels_the_retraining_and_keeps_its_turn(qtbot, qapp, tmp_path):
    path = _project(tmp_path)
    window, project = _open(qtbot, path)
    try:
        window.mark_done_and_next()
        window.mark_done_and_next()
        task = window.retraining.task
        assert task is not None
        qtbot.waitUntil(lambda: "Training" in task.last_progress[2], timeout=120_000)
        cancel_all()  # what the application does when it quits
        assert wait_all(30.0)
        qtbot.waitUntil(lambda: task.state == "cancelled", timeout=10_000)
        assert task not in live_tasks()
        assert project.setting("model") == "rules" and project.setting(MARK_SETTING) == 15
        folder = models_folder(path)
        assert not folder.exists() or not [p for p in folder.iterdir() if (p / "meta.json").exists()]
    finally:
        window.close()
        project.close()
