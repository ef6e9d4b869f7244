"""A decision on a full disk: the window says it could not be saved (with the
code), offers Retry, and the retried decision is saved once there is room; never
the "please report" dialog of an unexpected error."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from annotator.storage import open_project
from tests.gui.editing import close_and_delete, open_window, seed
from tests.reliability.environments import fill_disk, tmpfs


def test_a_decision_on_a_full_disk_is_retried_not_reported(qtbot, tmp_path):
    with tmpfs(tmp_path / "disk", "2m") as disk:
        db = disk / "p.db"
        project = open_project(db, create=True, annotator="tester")
        first, _second = seed(project)
        win = open_window(qtbot, project, first, register=False)
        try:
            view = win.editor.view
            qtbot.keyClick(view, Qt.Key.Key_Tab)
            focused = win.session.focused.id
            ballast = fill_disk(disk)
            seen: list[tuple[str, str]] = []

            def answer(button: str) -> None:
                box = QApplication.activeModalWidget()
                if not isinstance(box, QMessageBox):
                    QTimer.singleShot(50, lambda: answer(button))
                    return
                seen.append((box.objectName(), box.text() + "\n" + box.informativeText()))
                if button == "Retry":
                    ballast.unlink()  # the user frees some space, then retries
                chosen = next(b for b in box.buttons() if b.text() == button)
                chosen.click()

            # First the disk stays full and the user discards; the decision is not shown as saved.
            QTimer.singleShot(50, lambda: answer("Discard"))
            qtbot.keyClick(view, Qt.Key.Key_A)
            assert project.span(focused).status == "suggested"
            assert win.session.span(focused).status == "suggested"
            assert win.undo_stack.count() == 0
            # Then the user frees space and retries: the decision is saved and shown.
            win.activateWindow()
            view.setFocus()
            qtbot.waitUntil(view.hasFocus)
            QTimer.singleShot(50, lambda: answer("Retry"))
            qtbot.keyClick(view, Qt.Key.Key_A)
            assert project.span(focused).status == "accepted"
            assert win.undo_stack.count() == 1
        finally:
            close_and_delete(win)
            project.close()
        assert [name for name, _ in seen] == ["DecisionNotSavedDialog"] * 2
        for _name, text in seen:
            assert "could not be saved" in text and "[E901]" in text
            assert "please report" not in text.lower()
        with open_project(db) as again:
            assert again.span(focused).status == "accepted"
