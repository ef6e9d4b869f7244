"""One undo stack for every decision: Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y, named in the Edit menu."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.gui import editing
from tests.gui.editing import TEXT, at, row, seed, spans_where

windows = editing.windows  # the fixture that opens main windows

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def _focus(qtbot, window, label):
    for _ in range(10):
        qtbot.keyClick(window.editor.view, Qt.Key.Key_Tab)
        if window.session.focused.label == label:
            return window.session.focused
    raise AssertionError(label)


def test_undo_redo_accept_with_names_in_edit_menu(windows, qtbot, project):
    first, _ = seed(project)
    win = windows(first)
    view = win.editor.view
    span = _focus(qtbot, win, "PERSON")
    qtbot.keyClick(view, Qt.Key.Key_A)
    undo = win.actions_by_id["annotator.edit.undo"]
    redo = win.actions_by_id["annotator.edit.redo"]
    assert undo.text() == "Undo Accept PERSON 'Macron'"
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert row(project, span.id)[0] == "suggested"
    assert redo.text() == "Redo Accept PERSON 'Macron'"
    assert win.editor.view.spans_shown() and win.session.span(span.id).status == "suggested"
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL | SHIFT)
    assert row(project, span.id)[0] == "accepted"
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    qtbot.keyClick(view, Qt.Key.Key_Y, CTRL)
    assert row(project, span.id)[0] == "accepted"
    menu_texts = [a.text() for a in win.menuBar().actions()[1].menu().actions()]
    assert "Undo Accept PERSON 'Macron'" in menu_texts


def test_undo_correction_restores_suggestion_and_removes_human_span(windows, qtbot, project):
    first, _ = seed(project)
    win = windows(first)
    view = win.editor.view
    span = _focus(qtbot, win, "GPE")
    qtbot.keyClick(view, Qt.Key.Key_4)
    new_id = win.session.focused.id
    assert row(project, new_id)[1] == "LOC"
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert row(project, span.id)[0] == "suggested"
    assert row(project, new_id) is None
    assert win.session.focused.id == span.id
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL | SHIFT)
    assert row(project, new_id)[:2] == ("accepted", "LOC")
    assert row(project, span.id)[0] == "rejected"


def test_undo_add_and_delete(windows, qtbot, project):
    first, _ = seed(project)
    win = windows(first)
    view = win.editor.view
    view.select_range(*at(TEXT, "Germany"))
    qtbot.keyClick(view, Qt.Key.Key_3)
    added = win.session.focused.id
    qtbot.keyClick(view, Qt.Key.Key_X)
    assert row(project, added)[0] == "rejected"
    assert win.undo_stack.undoText() == "Delete span GPE 'Germany'"
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert row(project, added)[0] == "accepted"
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert row(project, added) is None
    assert added not in {s.id for s in view.spans_shown()}


def test_undo_done_goes_back_to_the_article(windows, qtbot, project):
    first, second = seed(project)
    win = windows(first)
    qtbot.keyClick(win.editor.view, Qt.Key.Key_Space)
    assert win.editor.doc_id == second
    assert project.doc_status(first) == "done"
    qtbot.keyClick(win.editor.view, Qt.Key.Key_Z, CTRL)
    assert project.doc_status(first) != "done"
    assert win.editor.doc_id == first


def test_undo_accept_all_restores_every_suggestion(windows, qtbot, project):
    first, _ = seed(project)
    win = windows(first)
    qtbot.keyClick(win.editor.view, Qt.Key.Key_A, CTRL | SHIFT)
    assert spans_where(project, first, status="suggested") == []
    qtbot.keyClick(win.editor.view, Qt.Key.Key_Z, CTRL)
    assert len(spans_where(project, first, status="suggested")) == 5
    assert all(s.status == "suggested" for s in win.editor.view.spans_shown())


def test_every_step_is_logged_to_events(windows, qtbot, project):
    first, _ = seed(project)
    win = windows(first)
    before = project.conn.execute("SELECT count(*) FROM events WHERE action LIKE 'span.%'").fetchone()[0]
    span = _focus(qtbot, win, "PERSON")
    qtbot.keyClick(win.editor.view, Qt.Key.Key_A)
    qtbot.keyClick(win.editor.view, Qt.Key.Key_Z, CTRL)
    actions = [r[0] for r in project.conn.execute(
        "SELECT action FROM events WHERE span_id = ? ORDER BY id", (span.id,))]
    assert actions == ["span.accept", "span.status.undo"]
    after = project.conn.execute("SELECT count(*) FROM events WHERE action LIKE 'span.%'").fetchone()[0]
    assert after == before + 2
