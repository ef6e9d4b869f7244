"""Start-up: the default project is made from the sample corpus on the first start
and reused afterwards; the theme follows the system; errors become dialogs."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from annotator.core.errors import AnnotatorError
from annotator.gui import app as app_module
from annotator.services.projects import default_project_path


def _close_next_dialog(seen: list[str]) -> None:
    """Close the next modal message box once it appears, recording its text."""

    def poll() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(f"{box.windowTitle()}|{box.text()}|{box.informativeText()}|{box.detailedText()}")
            box.done(0)
        else:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)


def test_first_start_creates_the_default_project_from_the_sample_corpus(qapp, sample_corpus_path):
    path = default_project_path()
    assert not path.exists()
    project, created = app_module.prepare_project(None)
    try:
        assert created
        assert project.path == path
        n_articles = len(list((sample_corpus_path / "articles").glob("*.txt")))
        assert n_articles > 0
        assert project.document_count() == n_articles
        titles = {d.title for d in project.iter_documents()}
        assert all(titles)
        # The gold file is not imported: nothing is accepted on the first start.
        assert not any(project.spans(d.id, statuses=["accepted"]) for d in project.iter_documents())
    finally:
        project.close()
    assert not path.with_name(path.name + ".partial").exists()

    again, created_again = app_module.prepare_project(None)
    try:
        assert not created_again
        assert again.document_count() == n_articles
    finally:
        again.close()


def test_a_given_project_that_is_not_a_project_is_a_coded_error(qapp, tmp_path):
    bogus = tmp_path / "notes.db"
    bogus.write_text("just some text", encoding="utf-8")
    with pytest.raises(AnnotatorError) as info:
        app_module.prepare_project(bogus)
    assert info.value.code == "E001"


def test_run_shows_a_coded_dialog_when_the_project_cannot_be_opened(qapp, tmp_path):
    bogus = tmp_path / "notes.db"
    bogus.write_text("just some text", encoding="utf-8")
    seen: list[str] = []
    _close_next_dialog(seen)
    code = app_module.run(bogus)
    assert code == 2
    assert len(seen) == 1 and "E001" in seen[0] and "notes.db" in seen[0]


def test_theme_follows_the_system_or_the_override(qapp, monkeypatch):
    monkeypatch.setenv("ANNOTATOR_THEME", "dark")
    assert app_module.apply_theme(qapp) == "dark"
    dark_window = qapp.palette().window().color().lightness()
    assert "#PaletteHeading" in qapp.styleSheet()
    monkeypatch.setenv("ANNOTATOR_THEME", "light")
    assert app_module.apply_theme(qapp) == "light"
    assert qapp.palette().window().color().lightness() > dark_window
    monkeypatch.delenv("ANNOTATOR_THEME")
    expected = "dark" if qapp.styleHints().colorScheme().name == "Dark" else "light"
    assert app_module.system_theme(qapp) == expected


def test_uncaught_exception_in_a_slot_shows_a_dialog_and_the_app_lives_on(qapp, capsys):
    restore = app_module.install_excepthook()
    seen: list[str] = []
    try:
        _close_next_dialog(seen)
        try:
            raise RuntimeError("slot blew up")
        except RuntimeError:
            sys.excepthook(*sys.exc_info())
    finally:
        restore()
    assert len(seen) == 1
    assert "slot blew up" in seen[0] and "Traceback" in seen[0]
    assert "slot blew up" in capsys.readouterr().err
    assert QApplication.instance() is qapp


@pytest.mark.slow
def test_first_start_opens_at_once_and_suggestions_arrive_in_the_background(qtbot, qapp):
    from annotator.gui.workers import live_tasks

    window, project, created = app_module.open_window(None)
    qtbot.addWidget(window)
    try:
        assert created
        # The window is up before any suggestion exists; the work shows in the status bar.
        assert window.isVisible()
        assert window.editor.doc_id is not None
        assert window.status.busy()
        shown = window.editor.doc_id
        qtbot.waitUntil(lambda: bool(project.spans(shown, statuses=["suggested"])), timeout=120_000)
        qtbot.waitUntil(lambda: not window.status.busy(), timeout=120_000)
        assert window.status.pipeline_text() != "pipeline: …"
        suggested_docs = [d.id for d in project.iter_documents() if project.spans(d.id, statuses=["suggested"])]
        assert len(suggested_docs) == project.document_count()
        # The open article repainted with the new highlights (no reload by the user).
        assert any(s.status == "suggested" for s in window.editor.view.spans_shown())
    finally:
        for task in live_tasks():
            task.cancel()
        helper = getattr(window, "suggest_ahead", None)
        if helper is not None:
            helper.close(wait=10)
        window.close()
        project.close()
