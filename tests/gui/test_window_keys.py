"""Keyboard paths through the window: search results, Ctrl+E from the search box,
the export dialog by keyboard, Edit > Keys, View > Theme."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from annotator.gui.dialogs import ExportDialog, default_export_folder
from annotator.gui.keys_dialog import KeysDialog
from tests.gui import editing
from tests.gui.editing import TEXT, seed

windows = editing.windows  # the fixture that opens main windows


@pytest.fixture(autouse=True)
def _forget_user_settings():
    """The theme is the application's: it goes back to light after each test
    (the settings themselves are cleared by the conftest)."""
    yield
    from annotator.gui.app import apply_theme

    apply_theme(QApplication.instance(), "light", follow_system=False)


@pytest.fixture
def win(windows, project):
    first, second = seed(project)
    window = windows(first)
    window.first, window.second = first, second
    return window


def _focus(widget):
    return QApplication.focusWidget() is widget


def _tab_to_entity(qtbot, win):
    for _ in range(10):
        qtbot.keyClick(win.editor.view, Qt.Key.Key_Tab)
        if win.session.focused.layer == "entity":
            return win.session.focused
    raise AssertionError("no entity reachable with Tab")


# -- 4: search, results, F6, Ctrl+E ------------------------------------------------------


@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_Down, Qt.Key.Key_F6])
def test_after_a_search_the_keyboard_reaches_the_results(qtbot, win, key):
    qtbot.keyClick(win.editor.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    search = win.doc_list.search_edit
    assert _focus(search)
    qtbot.keyClicks(search, "Kyiv")
    qtbot.keyClick(search, key)
    table = win.doc_list.view
    assert _focus(table)
    assert table.currentIndex().isValid()
    assert win.doc_list.model.rowCount() == 1
    qtbot.keyClick(table, Qt.Key.Key_F6)  # and on to the article
    assert _focus(win.editor.view)
    qtbot.keyClick(win.editor.view, Qt.Key.Key_F6)  # and back to the results
    assert _focus(table)


def test_ctrl_e_opens_the_export_dialog_from_the_search_box(qtbot, win):
    qtbot.keyClick(win.editor.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    search = win.doc_list.search_edit
    qtbot.keyClicks(search, "troops")
    qtbot.keyClick(search, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    dialogs = win.findChildren(ExportDialog)
    assert dialogs and dialogs[0].isVisible()
    assert search.text() == "troops"
    # Its own editing keys stay the line edit's: Ctrl+A selects all the text.
    dialogs[0].close()
    search.setFocus()
    qtbot.keyClick(search, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert search.selectedText() == "troops"


# -- 4 and 5: the export dialog by keyboard ------------------------------------------------


def test_export_dialog_starts_on_format_and_enter_after_an_error_exports(qtbot, win, project, tmp_path):
    qtbot.keyClick(win.editor.view, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    (dialog,) = win.findChildren(ExportDialog)
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: _focus(dialog.format_box), timeout=3000)
    # spaCy, done only, one article done: E406, worded for the window.
    project.set_doc_status(win.first, "done")
    dialog.format_box.setCurrentIndex([f.name for f in dialog.formats].index("spacy"))
    dialog.out_edit.setText(str(tmp_path / "out"))
    qtbot.keyClick(dialog.format_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=30_000)
    assert dialog.outcome == "failed"
    text = dialog.progress_text.text()
    assert "E406" in text and "--all" not in text and "Only documents marked done" in text
    assert _focus(dialog.done_only)
    # The message is not clipped: the dialog is as tall as its layout needs.
    assert dialog.height() >= dialog.layout_.totalHeightForWidth(dialog.width()) - 1
    qtbot.keyClick(dialog.done_only, Qt.Key.Key_Space)  # untick "done only"
    assert not dialog.done_only.isChecked()
    qtbot.keyClick(dialog.done_only, Qt.Key.Key_Return)  # Enter exports again, never closes
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.outcome == "succeeded", timeout=60_000)
    assert (tmp_path / "out").is_dir()


def test_nothing_done_is_explained_without_cli_flags(qtbot, win, tmp_path):
    dialog = ExportDialog(win.project, win)
    qtbot.addWidget(dialog)
    dialog.out_edit.setText(str(tmp_path / "none"))
    dialog.start()
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=30_000)
    text = dialog.progress_text.text()
    assert "E401" in text and "--all" not in text and "Only documents marked done" in text


def test_export_dialog_remembers_format_and_folder(qtbot, win, tmp_path):
    dialog = ExportDialog(win.project, win)
    qtbot.addWidget(dialog)
    names = [f.name for f in dialog.formats]
    dialog.format_box.setCurrentIndex(names.index("jsonl"))
    dialog.out_edit.setText(str(tmp_path / "mine"))
    dialog.done_only.setChecked(False)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=60_000)
    again = ExportDialog(win.project, win)
    qtbot.addWidget(again)
    assert again.selected_format().name == "jsonl"
    assert again.out_edit.text() == str(tmp_path / "mine")


def test_default_export_folder_is_never_hidden(tmp_path):
    assert default_export_folder(tmp_path / "p.db") == tmp_path / "p-export"
    hidden = default_export_folder(tmp_path / ".annotator" / "default.db")
    assert not any(part.startswith(".") for part in hidden.relative_to(hidden.anchor).parts)
    assert hidden.name == "default-export"


# -- 9: Edit > Keys ---------------------------------------------------------------------------


def test_every_key_can_be_changed_and_is_kept_per_user(qtbot, win, windows, project):
    win.actions_by_id["annotator.edit.keys"].trigger()
    (dialog,) = win.findChildren(KeysDialog)
    edit = dialog.edit_for("annotator.span.end_right", 1)
    edit.setFocus()
    edit.clear()
    qtbot.keyClick(edit, Qt.Key.Key_BracketRight)
    assert dialog.keys()["annotator.span.end_right"][:2] == ("Alt+Shift+Right", "]")
    # A key another editor action already has is refused.
    clash = dialog.edit_for("annotator.span.reject", 1)
    clash.clear()
    qtbot.keyClick(clash, Qt.Key.Key_A)
    assert dialog.conflicts() and "Accept" in dialog.problem.text()
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()
    clash.clear()
    qtbot.keyClick(clash, Qt.Key.Key_Backspace)
    clash.setKeySequence("Delete")
    assert not dialog.conflicts()
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    # The new key works at once...
    view = win.editor.view
    span = _tab_to_entity(qtbot, win)
    qtbot.keyClick(view, Qt.Key.Key_BracketRight)
    grown = win.session.focused
    assert grown.start == span.start and grown.end > span.end
    # ... the sheet shows it, and the next window (another session) binds it too.
    assert "]" in win.actions_by_id["annotator.span.end_right"].toolTip()
    other = windows(win.second)
    keys = [k.toString() for k in other.actions_by_id["annotator.span.end_right"].shortcuts()]
    assert "]" in keys


def test_alt_shift_arrows_have_a_second_binding(qtbot, win):
    view = win.editor.view
    span = _tab_to_entity(qtbot, win)
    text = TEXT[span.start:span.end]
    qtbot.keyClick(view, Qt.Key.Key_Period, Qt.KeyboardModifier.AltModifier)  # Alt+. grows the end
    grown = win.session.focused
    assert grown.end > span.end and TEXT[grown.start:grown.end].startswith(text)
    qtbot.keyClick(view, Qt.Key.Key_Comma, Qt.KeyboardModifier.AltModifier)  # Alt+, shrinks it back
    assert (win.session.focused.start, win.session.focused.end) == (span.start, span.end)


# -- 10: View > Theme -----------------------------------------------------------------------------


def test_view_theme_switches_and_is_remembered(qtbot, win, windows):
    app = QApplication.instance()
    dark = win.actions_by_id["annotator.view.theme.dark"]
    dark.trigger()
    assert app.property("annotatorTheme") == "dark"
    assert win.editor.view._dark()
    assert dark.isChecked() and not win.actions_by_id["annotator.view.theme.light"].isChecked()
    other = windows(win.second)
    assert other.actions_by_id["annotator.view.theme.dark"].isChecked()
    win.actions_by_id["annotator.view.theme.light"].trigger()
    assert app.property("annotatorTheme") == "light" and not win.editor.view._dark()
    assert QSettings("annotator", "annotator").value("view/theme") == "light"
