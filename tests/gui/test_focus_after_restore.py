"""The focus survives the background re-storing of the open article's suggestions
(the decision memory re-applied after each decision), and a decision key with
nothing focused says so."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QCoreApplication, Qt

from annotator.core.model import SpanDraft
from tests.gui.editing import SUGGESTER, TEXT, at, first_drafts, open_window, seed


def _drafts_with_new_cues() -> list[SpanDraft]:
    """The first article's suggestions as the memory re-applies them: same claims,
    new cues and origin."""
    drafts = first_drafts()
    return [replace(d, origin="memory", cue="you labelled this in 1 article") if d.layer == "entity" else
            replace(d, score=0.75) for d in drafts]


def test_accept_key_acts_on_the_focus_after_its_suggestions_are_stored_again(qtbot, project):
    first, _second = seed(project)
    window = open_window(qtbot, project, first)
    view = window.editor.view
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    focused = window.session.focused
    assert focused is not None and focused.status == "suggested"
    # What the background helper does after a decision: store the article's
    # suggestions again, then tell the window.
    project.store_suggestions(first, SUGGESTER, _drafts_with_new_cues())
    window.documents_changed([first])
    QCoreApplication.processEvents()
    assert window.session.focused is not None
    assert window.session.focused.key() == focused.key()
    qtbot.keyClick(view, Qt.Key.Key_A)
    QCoreApplication.processEvents()
    decided = [s for s in project.spans(first) if s.key() == focused.key()]
    assert [s.status for s in decided] == ["accepted"]


def test_a_decision_key_with_nothing_focused_says_so(qtbot, project):
    first, _second = seed(project)
    window = open_window(qtbot, project, first)
    view = window.editor.view
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert window.session.focused is None
    window.statusBar().clearMessage()
    qtbot.keyClick(view, Qt.Key.Key_A)
    assert "Nothing is focused" in window.statusBar().currentMessage()
    window.statusBar().clearMessage()
    qtbot.keyClick(view, Qt.Key.Key_X)
    assert "Nothing is focused" in window.statusBar().currentMessage()
    assert not [s for s in project.spans(first) if s.status != "suggested"]


def test_space_says_how_many_suggestions_it_leaves_undecided(qtbot, project):
    first, second = seed(project)
    window = open_window(qtbot, project, first)
    qtbot.keyClick(window.editor.view, Qt.Key.Key_A)  # nothing focused: only a message
    qtbot.keyClick(window.editor.view, Qt.Key.Key_Tab)
    qtbot.keyClick(window.editor.view, Qt.Key.Key_A)
    qtbot.keyClick(window.editor.view, Qt.Key.Key_Space)
    assert project.doc_status(first) == "done"
    assert window.editor.doc_id == second
    assert window.statusBar().currentMessage() == (
        "Marked done — 4 suggestions left undecided (not exported as entities)")


def test_the_holder_picker_links_the_stance_stored_again_while_it_was_open(qtbot, project):
    first, _second = seed(project)
    window = open_window(qtbot, project, first)
    view = window.editor.view
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    stance = window.session.focused
    assert stance.layer == "stance"
    qtbot.keyClick(view, Qt.Key.Key_H)
    choices = window.editor.choices
    assert choices.isVisible()
    # Meanwhile the background run stores the stance again under a new holder
    # (so under a new id).
    drafts = [replace(d, holder=at(TEXT, "Trump")) if d.layer == "stance" else d for d in _drafts_with_new_cues()]
    project.store_suggestions(first, SUGGESTER, drafts)
    window.documents_changed([first])
    assert project.conn.execute("SELECT 1 FROM spans WHERE id = ?", (stance.id,)).fetchone() is None
    qtbot.keyClicks(choices.list, "macr")
    qtbot.keyClick(choices.list, Qt.Key.Key_1)
    (linked,) = [s for s in project.spans(first) if s.layer == "stance"]
    macron = next(s for s in project.spans(first) if s.layer == "entity" and s.start == at(TEXT, "Macron")[0])
    assert (linked.status, linked.holder_span_id) == ("accepted", macron.id)
