"""Window layout: a first start fits the screen, the article can never be squeezed
unreadable, and the layout a user leaves is the one they find next time."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from .editing import close_and_delete, open_window, seed


def test_first_start_fits_the_screen_and_keeps_the_article_readable(qtbot, project):
    seed(project)
    window = open_window(qtbot, project, register=False)
    try:
        area = (window.screen() or QApplication.primaryScreen()).availableGeometry()
        window._first_geometry()
        fits = (max(area.width(), window.minimumSizeHint().width()),
                max(area.height(), window.minimumSizeHint().height()))
        assert window.width() <= fits[0] and window.height() <= fits[1]
        window.splitter.setSizes([5000, 10])
        QApplication.processEvents()
        assert window.editor.width() >= 440
    finally:
        close_and_delete(window)


def test_layout_is_remembered(qtbot, project):
    from annotator.gui.main_window import MainWindow

    seed(project)
    window = open_window(qtbot, project, register=False)
    window.splitter.setSizes([300, 900])
    QApplication.processEvents()
    list_width = window.splitter.sizes()[0]
    window.close()  # saves the layout
    close_and_delete(window)
    again = MainWindow(project)  # as a restart builds it
    try:
        again.show()
        qtbot.waitExposed(again)
        assert again.splitter.sizes()[0] == list_width
    finally:
        close_and_delete(again)


def test_reopening_shows_the_last_article_without_writing_to_the_project(qtbot, project):
    from annotator.gui.main_window import MainWindow

    first, second = seed(project)
    events_before = project.conn.execute("SELECT count(*) FROM events").fetchone()[0]
    window = open_window(qtbot, project, first, register=False)
    window.load_document(second)
    window.close()
    close_and_delete(window)
    # Opening articles is not a decision: nothing was written to the shared project file.
    assert project.conn.execute("SELECT count(*) FROM events").fetchone()[0] == events_before
    again = MainWindow(project)
    try:
        assert again.editor.doc_id == second
    finally:
        close_and_delete(again)
