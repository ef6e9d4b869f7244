"""A day's keyboard use of the editor: stances on one sentence, holders that move,
the sentence Ctrl+1/2/3 takes, the holder picker, Esc and scrolling. Real key
events on a real window, checked in the project file."""

from __future__ import annotations

from PySide6.QtCore import Qt

from annotator.core.model import SpanDraft
from tests.gui import editing
from tests.gui.editing import SUGGESTER, add_doc, at, row, spans_where

windows = editing.windows  # the fixture that opens main windows

TROOPS = "Western troops in Ukraine"
AID = "US military aid to Ukraine"

TITLE = "Paris keeps troops on the table"
ARTICLE = (f"{TITLE}\n"
           "Macron said France was not ruling out sending troops to Ukraine, and he backed more US "
           "military aid to Ukraine. European leaders were split.\n"
           "Scholz said Germany would not send troops. The European Commission declined to comment. "
           "Tusk agreed with Scholz. NATO officials met in Brussels.")


def _ctrl(qtbot, widget, key):
    qtbot.keyClick(widget, key, Qt.KeyboardModifier.ControlModifier)


def _tab_to(qtbot, window, predicate, limit=60):
    for _ in range(limit):
        qtbot.keyClick(window.editor.view, Qt.Key.Key_Tab)
        span = window.session.focused
        if span is not None and predicate(span):
            return span
    raise AssertionError("no such span reachable with Tab")


def _article(project, *, stances=()):
    doc = add_doc(project, ARTICLE, TITLE)
    drafts = [SpanDraft(*at(ARTICLE, "Macron"), "PERSON", score=0.9),
              SpanDraft(*at(ARTICLE, "France"), "GPE", score=0.9),
              SpanDraft(*at(ARTICLE, "European"), "NORP", score=0.8),
              SpanDraft(*at(ARTICLE, "Scholz"), "PERSON", score=0.9),
              SpanDraft(*at(ARTICLE, "Germany"), "GPE", score=0.9),
              SpanDraft(*at(ARTICLE, "European", 1), "NORP", score=0.8),
              SpanDraft(*at(ARTICLE, "Scholz", 1), "PERSON", score=0.9),
              SpanDraft(*at(ARTICLE, "NATO"), "ORG", score=0.9),
              SpanDraft(*at(ARTICLE, "Brussels"), "GPE", score=0.9),
              *stances]
    project.store_suggestions(doc, SUGGESTER, drafts)
    return doc


def _sentence(text, first_word):
    start = ARTICLE.index(first_word)
    end = ARTICLE.index(".", start) + 1
    return start, end


# -- 1: a second stance on the same sentence -------------------------------------------


def test_accepting_a_stance_moves_on_to_the_other_stance_of_its_sentence(qtbot, windows, project):
    sent = _sentence(ARTICLE, "Macron")
    doc = _article(project, stances=[
        SpanDraft(*sent, "FAVOR", layer="stance", target=TROOPS, score=0.7),
        SpanDraft(*sent, "FAVOR", layer="stance", target=AID, score=0.7)])
    win = windows(doc)
    first = _tab_to(qtbot, win, lambda s: s.layer == "stance")
    qtbot.keyClick(win.editor.view, Qt.Key.Key_A)
    assert row(project, first.id)[0] == "accepted"
    second = win.session.focused
    assert second.layer == "stance" and second.id != first.id
    assert {first.target, second.target} == {TROOPS, AID}
    qtbot.keyClick(win.editor.view, Qt.Key.Key_X)  # reject moves on as well, to an entity now
    assert row(project, second.id)[0] == "rejected"
    assert win.session.focused.layer == "entity"


# -- 2: the holder's edge moves, the tag follows ---------------------------------------------


def test_moving_the_holders_edge_keeps_the_stance_tag_naming_it(qtbot, windows, project):
    sent = _sentence(ARTICLE, "Scholz")
    doc = _article(project, stances=[
        SpanDraft(*sent, "AGAINST", layer="stance", target=TROOPS, holder=at(ARTICLE, "Scholz"), score=0.7)])
    win = windows(doc)
    view = win.editor.view
    stance = next(s for s in win.session.spans("stance"))
    assert "held by Scholz" in view.tag_lines(view._items[stance.id].span)
    holder = _tab_to(qtbot, win, lambda s: s.label == "PERSON" and s.start == at(ARTICLE, "Scholz")[0])
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ShiftModifier)
    new_holder = win.session.focused
    assert new_holder.id != holder.id and ARTICLE[new_holder.start:new_holder.end] == "Scholz said"
    linked = row(project, stance.id)[6]
    assert linked == new_holder.id
    shown = view._items[stance.id].span
    assert shown.holder_span_id == linked
    assert view.tag_lines(shown)[1] == "held by Scholz said"
    assert not any("span " in line for line in view.tag_lines(shown))
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert view._items[stance.id].span.holder_span_id == holder.id
    assert view.tag_lines(view._items[stance.id].span)[1] == "held by Scholz"


# -- 3: the sentence at the text cursor; the title is a sentence -------------------------------


def test_stance_key_takes_the_sentence_at_the_cursor_not_at_the_focused_entity(qtbot, windows, project):
    doc = _article(project)
    win = windows(doc)
    view = win.editor.view
    _tab_to(qtbot, win, lambda s: ARTICLE[s.start:s.end] == "Macron")
    # The reader moves the caret down to the NATO sentence, the entity stays focused.
    pos = ARTICLE.index("officials")
    view.place_cursor(pos)
    _ctrl(qtbot, view, Qt.Key.Key_2)
    (made,) = spans_where(project, doc, layer="stance", origin="human")
    assert ARTICLE[made[3]:made[4]] == "NATO officials met in Brussels."


def test_the_title_line_is_a_sentence_of_its_own(qtbot, windows, project):
    doc = _article(project)
    win = windows(doc)
    view = win.editor.view
    view.place_cursor(3)
    _ctrl(qtbot, view, Qt.Key.Key_1)
    (made,) = spans_where(project, doc, layer="stance", origin="human")
    assert ARTICLE[made[3]:made[4]] == TITLE


def test_a_sentence_naming_no_target_takes_its_paragraphs_target(qtbot, windows, project):
    doc = _article(project)
    win = windows(doc)
    view = win.editor.view
    for word in ("Scholz", "The European", "Tusk"):
        view.place_cursor(ARTICLE.index(word) + 1)
        _ctrl(qtbot, view, Qt.Key.Key_2)
    made = spans_where(project, doc, layer="stance", origin="human")
    targets = [project.span(m[0]).target for m in made]
    # The first names troops; the other two name nothing and follow it, every time.
    assert targets == [TROOPS, TROOPS, TROOPS]


# -- 7: the holder picker -------------------------------------------------------------------


def test_holder_picker_lists_every_eligible_name_once_with_context(qtbot, windows, project):
    sent = _sentence(ARTICLE, "The European")
    doc = _article(project, stances=[
        SpanDraft(*sent, "NEUTRAL", layer="stance", target=TROOPS, holder=at(ARTICLE, "European", 1),
                  score=0.6)])
    win = windows(doc)
    view = win.editor.view
    _tab_to(qtbot, win, lambda s: s.layer == "stance")
    qtbot.keyClick(view, Qt.Key.Key_H)
    choices = win.editor.choices
    texts = choices.visible_texts()
    names = [t.split("  ·  ")[0] for t in texts]
    # NORP and GPE holders are offered; Scholz twice in the text, once in the list.
    assert names.count("Scholz") == 1 and "European" in names and "Germany" in names
    assert names[-1] == "(no holder)"
    # The current holder (the NORP "European") is preselected, the nearest names come first.
    assert win.session.span_text(choices.current_data()) == "European"
    assert names[0] == "European"
    # Each entry shows its sentence.
    assert "Commission declined" in choices.list.item(0).text()
    # More than ten entries: keys beyond 9 (0), and typing filters.
    qtbot.keyClicks(choices.list, "bru")
    assert [t.split("  ·  ")[0] for t in choices.visible_texts()] == ["Brussels"]
    qtbot.keyClick(choices.list, Qt.Key.Key_Backspace)
    qtbot.keyClick(choices.list, Qt.Key.Key_Backspace)
    qtbot.keyClick(choices.list, Qt.Key.Key_Backspace)
    assert choices.visible_texts()[-1] == "(no holder)"
    qtbot.keyClick(choices.list, Qt.Key.Key_End)
    qtbot.keyClick(choices.list, Qt.Key.Key_Return)
    stance = win.session.focused
    assert row(project, stance.id)[6] is None
    assert win.undo_stack.undoText() == "Remove holder"


# -- 8: Esc keeps the place; scrolling looks ahead; A on a span off screen ---------------------


def _long_doc(project):
    paragraphs = [f"Paragraph {i}: Macron met Scholz in Paris to talk about aid." for i in range(80)]
    text = "A long article\n" + "\n".join(paragraphs)
    doc = add_doc(project, text, "A long article")
    drafts = [SpanDraft(*at(text, "Scholz", i), "PERSON", score=0.9) for i in range(80)]
    project.store_suggestions(doc, SUGGESTER, drafts)
    return doc, text


def test_escape_keeps_the_reading_place(qtbot, windows, project):
    doc, text = _long_doc(project)
    win = windows(doc)
    view = win.editor.view
    for _ in range(30):
        qtbot.keyClick(view, Qt.Key.Key_Tab)
    place = win.session.focused
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert win.session.focused is None
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert win.session.focused.id == place.id


def test_focus_keeps_lines_of_look_ahead_below_it(qtbot, windows, project):
    doc, text = _long_doc(project)
    win = windows(doc)
    view = win.editor.view
    height = view.viewport().height()
    line = view.fontMetrics().lineSpacing()
    for _ in range(40):
        qtbot.keyClick(view, Qt.Key.Key_Tab)
        span = win.session.focused
        rects = view.range_rects(span.start, span.end)
        assert rects, "the focused span is on screen"
        assert rects[-1].bottom() <= height - 2 * line


def test_a_on_a_span_scrolled_off_screen_shows_it_instead_of_deciding(qtbot, windows, project):
    doc, text = _long_doc(project)
    win = windows(doc)
    view = win.editor.view
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    span = win.session.focused
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum())
    assert not view.range_rects(span.start, span.end)
    qtbot.keyClick(view, Qt.Key.Key_A)
    assert row(project, span.id)[0] == "suggested"
    assert view.range_rects(span.start, span.end)
    qtbot.keyClick(view, Qt.Key.Key_A)
    assert row(project, span.id)[0] == "accepted"


def test_the_title_is_shown_once_as_the_first_line(windows, project):
    doc = _article(project)
    other = add_doc(project, "Second title\nA second body.", "Second title")
    win = windows(doc)
    view = win.editor.view
    assert not win.editor.title.isVisible()
    assert view.has_heading() and not view.is_bold_at(ARTICLE.index("Macron") + 2)
    # Opening articles one after another sets only their first lines in bold.
    win.load_document(other)
    win.load_document(doc)
    assert view.has_heading() and not view.is_bold_at(ARTICLE.index("Macron") + 2)
    assert not view.is_bold_at(len(ARTICLE) - 2)
