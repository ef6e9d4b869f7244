"""One article that breaks the pipeline never stops the window's look-ahead: it is
left out with a coded error naming it, and the articles after it get suggestions."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from annotator.gui.app import attach_suggest_ahead
from tests.failing_pipeline import BAD_DATELINE, SEEN, save_pipeline
from tests.gui.editing import add_doc, open_window

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier

AFTER = [
    "Kyiv, 12 March 2024. Macron said France would send more air defence to Ukraine.",
    "Berlin, 3 April 2024. Scholz said Germany would not send long-range missiles to Ukraine.",
    "Washington, 9 May 2024. Biden asked Congress for more military aid to Ukraine.",
]


def test_look_ahead_skips_a_failing_article_names_it_and_suggests_the_rest(qtbot, tmp_path, project):
    project.set_setting("model", str(save_pipeline(tmp_path / "newsroom-pipeline")))
    bad = add_doc(project, BAD_DATELINE, "Impossible dateline")
    after = [add_doc(project, text, f"After {i}") for i, text in enumerate(AFTER)]
    SEEN.clear()
    win = open_window(qtbot, project, bad)  # the failing article is the open one
    helper = attach_suggest_ahead(win)
    try:
        assert helper.wait_idle(60.0)
        name = helper.suggester_name
        assert [project.suggested_by(doc_id, name) for doc_id in after] == [True] * len(after)
        assert not project.suggested_by(bad, name)
        assert project.spans(after[0]), "the articles after the failing one have their suggestions"
        qtbot.waitUntil(lambda: bad in win.suggestion_failures, timeout=10_000)
        # The failure is shown in the status bar and kept in the window's log, coded and named.
        message = win.statusBar().currentMessage()
        assert "[E308]" in message and f"#{bad}" in message and "Impossible dateline" in message
        assert "day is out of range" in message
        assert len(win.status.notices) == 1 and "E308" in win.status.notices[0]
        assert win.status.notice_button.isVisible()
        qtbot.mouseClick(win.status.notice_button, Qt.MouseButton.LeftButton)  # the log, in full
        box = win.findChild(QMessageBox, "NoticesDialog")
        assert box is not None and box.isVisible() and "[E308]" in box.detailedText()
        box.close()
        win.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=5000)
        assert SEEN[BAD_DATELINE] == 1

        # Not retried in a loop: a decision (which re-runs the memory on the queue) leaves it alone.
        qtbot.keyClick(win.editor.view, Qt.Key.Key_Space)  # mark done and next
        assert helper.wait_idle(30.0)
        qtbot.wait(100)
        assert SEEN[BAD_DATELINE] == 1 and len(win.status.notices) == 1

        # Until the user asks: Article > Retry failed suggestions tries it again.
        win.load_document(bad)
        qtbot.keyClick(win.editor.view, Qt.Key.Key_R, CTRL_SHIFT)
        qtbot.waitUntil(lambda: SEEN[BAD_DATELINE] == 2, timeout=30_000)
        qtbot.waitUntil(lambda: len(win.status.notices) == 2, timeout=10_000)
        assert bad in win.suggestion_failures
    finally:
        helper.close(wait=10.0)
