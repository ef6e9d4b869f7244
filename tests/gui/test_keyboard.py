"""Every editor action through real key events on a real window, checked in the database."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from tests.gui import editing
from tests.gui.editing import SECOND, TEXT, at, row, seed, spans_where

windows = editing.windows  # the fixture that opens main windows


@pytest.fixture
def win(windows, qtbot, project):
    first, second = seed(project)
    window = windows(first)
    window.first, window.second = first, second
    return window


def _focus_label(qtbot, window, label, layer="entity"):
    """Tab until a span with ``label`` is focused."""
    view = window.editor.view
    for _ in range(len(window.session.spans()) + 1):
        qtbot.keyClick(view, Qt.Key.Key_Tab)
        span = window.session.focused
        if span is not None and span.label == label and span.layer == layer:
            return span
    raise AssertionError(f"no {label} span reachable with Tab")


def test_suggestions_are_shown_on_open(win):
    shown = {(s.label, s.status) for s in win.editor.view.spans_shown()}
    assert ("PERSON", "suggested") in shown and ("FAVOR", "suggested") in shown


def test_tab_and_shift_tab_move_focus(qtbot, win):
    view = win.editor.view
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    first = win.session.focused
    assert first is not None and view.focused_id == first.id
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert win.session.focused.id != first.id
    qtbot.keyClick(view, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert win.session.focused.id == first.id


@pytest.mark.parametrize("key", [Qt.Key.Key_A, Qt.Key.Key_Return])
def test_accept_key(qtbot, win, project, key):
    span = _focus_label(qtbot, win, "PERSON")
    qtbot.keyClick(win.editor.view, key)
    assert row(project, span.id)[0] == "accepted"
    assert win.undo_stack.undoText().startswith("Accept PERSON")


@pytest.mark.parametrize("key", [Qt.Key.Key_X, Qt.Key.Key_Delete])
def test_reject_key(qtbot, win, project, key):
    span = _focus_label(qtbot, win, "GPE")
    qtbot.keyClick(win.editor.view, key)
    assert row(project, span.id)[0] == "rejected"
    assert win.undo_stack.undoText().startswith("Reject suggestion GPE")
    assert span.id not in {s.id for s in win.editor.view.spans_shown()}


def test_label_hotkey_on_selection_snaps_and_adds(qtbot, win, project):
    view = win.editor.view
    w = at(TEXT, "Washington")
    view.select_range(w[0] + 3, w[1] - 2)  # cuts into the token
    qtbot.keyClick(view, Qt.Key.Key_3)
    rows = spans_where(project, win.first, origin="human", label="GPE")
    assert [(r[3], r[4], r[1]) for r in rows] == [(w[0], w[1], "accepted")]
    assert win.undo_stack.undoText() == "Add GPE 'Washington'"


def test_shift_arrows_extend_selection_by_token(qtbot, win, project):
    view = win.editor.view
    s = at(TEXT, "Scholz")
    view.select_range(s[0], s[0])
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert view.selected_range() == s
    qtbot.keyClick(view, Qt.Key.Key_1)
    assert spans_where(project, win.first, origin="human", label="PERSON")[0][3:5] == s


def test_label_hotkey_relabels_focused_suggestion(qtbot, win, project):
    span = _focus_label(qtbot, win, "GPE")
    qtbot.keyClick(win.editor.view, Qt.Key.Key_2)
    assert row(project, span.id)[0] == "rejected"
    new = win.session.focused
    assert row(project, new.id)[:5] == ("accepted", "ORG", span.start, span.end, "human")
    assert win.undo_stack.undoText() == "Relabel to ORG"


def test_same_label_hotkey_accepts_focused_suggestion(qtbot, win, project):
    span = _focus_label(qtbot, win, "PERSON")
    qtbot.keyClick(win.editor.view, Qt.Key.Key_1)
    assert row(project, span.id)[0] == "accepted"


def test_stance_of_sentence_at_cursor(qtbot, win, project):
    view = win.editor.view
    pos = TEXT.index("Scholz")
    view.select_range(pos, pos)
    qtbot.keyClick(view, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    stance = spans_where(project, win.first, layer="stance", origin="human")
    assert len(stance) == 1
    assert TEXT[stance[0][3]:stance[0][4]] == TEXT[TEXT.index("Trump"):]
    assert stance[0][2] == "AGAINST"


def test_stance_hotkey_relabels_focused_stance(qtbot, win, project):
    span = _focus_label(qtbot, win, "FAVOR", "stance")
    qtbot.keyClick(win.editor.view, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert row(project, span.id)[0] == "rejected"
    new = win.session.focused
    assert new.layer == "stance" and row(project, new.id)[1] == "NEUTRAL"
    assert row(project, new.id)[5] == "Western troops in Ukraine"


def test_target_list_by_keyboard(qtbot, win, project):
    span = _focus_label(qtbot, win, "FAVOR", "stance")
    qtbot.keyClick(win.editor.view, Qt.Key.Key_T)
    choices = win.editor.choices
    assert choices.isVisible()
    qtbot.keyClick(choices.list, Qt.Key.Key_Down)
    expected = choices.current_data()
    qtbot.keyClick(choices.list, Qt.Key.Key_Return)
    assert not choices.isVisible()
    new = win.session.focused
    assert row(project, new.id)[5] == expected != "Western troops in Ukraine"
    assert row(project, span.id)[0] == "rejected"


def test_holder_list_links_and_accepts_suggested_holder(qtbot, win, project):
    stance = _focus_label(qtbot, win, "FAVOR", "stance")
    qtbot.keyClick(win.editor.view, Qt.Key.Key_H)
    choices = win.editor.choices
    assert choices.isVisible()
    # The current holder (Macron, inside the stance) is preselected.
    assert choices.current_data().label == "PERSON"
    assert win.session.span_text(choices.current_data()) == "Macron"
    qtbot.keyClicks(choices.list, "tru")  # typing filters the list
    assert choices.visible_texts()[0].startswith("Trump")
    qtbot.keyClick(choices.list, Qt.Key.Key_1)  # the first entry shown
    trump = project.conn.execute("SELECT id FROM spans WHERE label='PERSON' AND start=?",
                                 (TEXT.index("Trump"),)).fetchone()[0]
    assert row(project, stance.id)[6] == trump
    assert row(project, stance.id)[0] == "accepted"
    assert row(project, trump)[0] == "accepted"
    assert win.undo_stack.undoText() == "Link holder 'Trump'"


def test_escape_closes_choice_list_without_deciding(qtbot, win):
    _focus_label(qtbot, win, "FAVOR", "stance")
    before = win.undo_stack.count()
    qtbot.keyClick(win.editor.view, Qt.Key.Key_T)
    qtbot.keyClick(win.editor.choices.list, Qt.Key.Key_Escape)
    assert not win.editor.choices.isVisible()
    assert win.undo_stack.count() == before


@pytest.mark.parametrize(("key", "mods", "expect"), [
    (Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier, ("start", "grow")),
    (Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier, ("start", "shrink")),
    (Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ShiftModifier, ("end", "shrink")),
    (Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ShiftModifier, ("end", "grow")),
])
def test_resize_keys(qtbot, win, project, key, mods, expect):
    view = win.editor.view
    # A two-token accepted span to grow and shrink at either end.
    span_range = at(TEXT, "not ruling")
    view.select_range(*span_range)
    qtbot.keyClick(view, Qt.Key.Key_6)
    span = win.session.focused
    qtbot.keyClick(view, key, mods)
    start, end = row(project, span.id)[2:4]
    edge, how = expect
    if edge == "start":
        assert end == span.end
        assert (start < span.start) if how == "grow" else (start > span.start)
    else:
        assert start == span.start
        assert (end > span.end) if how == "grow" else (end < span.end)
    assert win.undo_stack.undoText() == ("Grow span" if how == "grow" else "Shrink span")


def test_accept_all(qtbot, win, project):
    qtbot.keyClick(win.editor.view, Qt.Key.Key_A,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert spans_where(project, win.first, status="suggested") == []
    assert len(spans_where(project, win.first, status="accepted")) == 5
    assert spans_where(project, win.second, status="suggested")  # other article untouched
    assert win.undo_stack.undoText() == "Accept all 5 suggestions"


@pytest.mark.parametrize("key", [Qt.Key.Key_Space, Qt.Key.Key_N])
def test_done_and_next(qtbot, win, project, key):
    qtbot.keyClick(win.editor.view, key)
    assert project.doc_status(win.first) == "done"
    assert win.editor.doc_id == win.second
    assert win.editor.view.toPlainText() == SECOND
    qtbot.keyClick(win.editor.view, Qt.Key.Key_P)
    assert win.editor.doc_id == win.first


def test_skip(qtbot, win, project):
    qtbot.keyClick(win.editor.view, Qt.Key.Key_S)
    assert project.doc_status(win.first) == "skipped"
    assert win.editor.doc_id == win.second
    assert win.undo_stack.undoText() == "Skip article"


def test_escape_clears_focus_and_selection(qtbot, win):
    view = win.editor.view
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    view.select_range(0, 5)
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert win.session.focused is None and view.selected_range() is None


def test_click_on_span_focuses_it(qtbot, win):
    view = win.editor.view
    t = at(TEXT, "Trump")
    rect = view.range_rects(*t)[0]
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    assert win.session.focused is not None and win.session.focused.start == t[0]


def test_palette_click_labels_selection(qtbot, win, project):
    view = win.editor.view
    b = at(TEXT, "Monday")
    view.select_range(*b)
    qtbot.mouseClick(win.palette.button("entity", "DATE"), Qt.MouseButton.LeftButton)
    assert spans_where(project, win.first, label="DATE")[0][3:5] == b


def test_keys_of_the_article_do_not_fire_in_the_search_box(qtbot, win, project):
    qtbot.keyClick(win.editor.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    field = QApplication.focusWidget()
    qtbot.keyClicks(field, "nato")
    assert project.doc_status(win.first) != "done"
    assert win.undo_stack.count() == 0


def test_menus_come_from_the_registry(win):
    from annotator.gui.actions import action_specs

    ids = {spec.id for spec in action_specs(win.project.scheme())}
    assert ids == set(win.actions_by_id)
    for spec in win.action_specs:
        action = win.actions_by_id[spec.id]
        assert [k.toString() for k in action.shortcuts()] == [
QKeySequence(k).toString() for k in spec.shortcuts]


def test_f1_opens_the_shortcut_sheet(qtbot, win):
    from annotator.gui.dialogs import ShortcutSheet

    qtbot.keyClick(win.editor.view, Qt.Key.Key_F1)
    sheets = win.findChildren(ShortcutSheet)
    assert sheets and "Ctrl+Shift+A" in sheets[0].key_texts()
    for sheet in sheets:
        sheet.close()

