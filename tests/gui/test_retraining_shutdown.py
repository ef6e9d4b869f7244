"""A retraining that ends while the window closes (its project closing with it)
starts nothing and touches no closed database."""

from __future__ import annotations

from annotator.core.text import text_hash
from annotator.gui import app as app_module
from annotator.services.retraining import EVERY_SETTING
from annotator.storage import NewDocument, open_project


def test_a_retraining_ending_after_the_window_closed_starts_nothing(qtbot, qapp, tmp_path):
    path = tmp_path / "news.db"
    with open_project(path, create=True, annotator="tester") as project:
        project.add_documents([NewDocument(text=t, title=t, text_hash=text_hash(t))
                               for t in ("Talks resumed in Geneva.", "Officials met in Oslo.")])
        project.set_setting(EVERY_SETTING, 1)
    window, project, _ = app_module.open_window(path, suggest=False)
    qtbot.addWidget(window)
    window.close()
    project.close()
    # The child's "ended" signal arrives after the shutdown closed the project.
    window.retraining._ended()
    assert window.retraining.task is None
    assert not window.retraining.check()
