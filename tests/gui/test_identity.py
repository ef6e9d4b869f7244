"""Who annotates: the login name on first start, shown in the status bar and About,
changed in Settings, recorded with every decision."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QCoreApplication, QSettings, Qt
from PySide6.QtWidgets import QApplication

from annotator.gui.app import prepare_project
from annotator.gui.settings_dialog import IDENTITY_KEY, SettingsDialog, ensure_identity
from annotator.storage import open_project
from annotator.storage.project import default_annotator
from tests.gui.editing import close_and_delete, open_window, seed


def test_first_start_takes_the_login_name_and_projects_open_with_it(tmp_path):
    # Qt reads the settings location once per process: start from no name at all.
    QSettings("annotator", "annotator").remove(IDENTITY_KEY)
    name, first = ensure_identity()
    assert first and name == default_annotator()
    assert ensure_identity() == (name, False)
    path = tmp_path / "p.db"
    open_project(path, create=True, annotator="someone-else").close()
    project, created = prepare_project(path)
    try:
        assert not created and project.annotator == name
    finally:
        project.close()


def test_settings_changes_the_name_shown_and_recorded(qtbot, project):
    first, _ = seed(project)
    window = open_window(qtbot, project, first, register=False)
    try:
        assert "annotating as <b>tester</b>" in window.status.identity_label.text()
        qtbot.keyClick(window.editor.view, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
        dialog = window.findChild(SettingsDialog)
        assert dialog is not None and dialog.isVisible() and dialog.name_edit.text() == "tester"
        qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.name_edit, timeout=3000)
        # The reserved name of the reviewed layer is refused, with the reason; the dialog stays.
        dialog.name_edit.setText("adjudicated")
        qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
        assert dialog.isVisible() and "reserved" in dialog.error.text()
        dialog.name_edit.clear()
        qtbot.keyClicks(dialog.name_edit, "ana")
        qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
        QCoreApplication.processEvents()
        assert not shiboken6.isValid(dialog) or not dialog.isVisible()
        assert project.annotator == "ana" and ensure_identity() == ("ana", False)
        assert "annotating as <b>ana</b>" in window.status.identity_label.text()
        window.show_about()
        about = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "AboutDialog" and w.isVisible())
        assert "ana" in about.info_text
        about.close()
        # The next decision is recorded under the new name.
        window.activateWindow()
        window.editor.view.setFocus()
        qtbot.waitUntil(lambda: QApplication.focusWidget() is window.editor.view, timeout=3000)
        qtbot.keyClick(window.editor.view, Qt.Key.Key_Tab)
        span = window.session.focused
        qtbot.keyClick(window.editor.view, Qt.Key.Key_A)
        assert project.span(span.id).annotator == "ana"
    finally:
        close_and_delete(window)
