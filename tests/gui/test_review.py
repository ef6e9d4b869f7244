"""Review mode through real key events on a real window over a merged team project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog

from annotator.core.model import ADJUDICATED
from annotator.services import exporting
from annotator.services.adjudication import unreviewed_doc_ids
from annotator.storage import open_project
from tests.gui.editing import close_and_delete, open_window
from tests.services.team_data import HOUSE, MACRON, build_team, copy_project

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
def team_files(tmp_path_factory, sample_corpus_path):
    return build_team(tmp_path_factory.mktemp("team"), sample_corpus_path)


@pytest.fixture
def lead(team_files, tmp_path, qtbot):
    path = copy_project(team_files["team"], tmp_path / "team.db")
    project = open_project(path, annotator="lead")
    window = open_window(qtbot, project, register=False)
    yield window, project
    close_and_delete(window)
    project.close()


def _doc(project, title):
    return next(d.id for d in project.iter_documents() if d.title == title)


def _key(qtbot, window, key, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(QApplication.focusWidget() or window, key, modifier)
    QCoreApplication.processEvents()


def _place_text(window):
    panel = window.review_panel
    place = panel.current
    return panel.review.document.text[place.start:place.end]


def test_review_by_keyboard_then_export_holds_exactly_the_reviewed_spans(lead, qtbot, tmp_path):
    window, project = lead
    macron, house = _doc(project, MACRON), _doc(project, HOUSE)
    # F7 (View > Review disagreements) opens the first article that needs review.
    qtbot.keyClick(window.editor.view, Qt.Key.Key_F7)
    panel = window.review_panel
    assert panel.isVisible() and QApplication.focusWidget() is panel
    assert window.actions_by_id["annotator.view.review"].isChecked()
    assert panel.review.document.id == macron and window.editor.doc_id == macron
    # Agreements are pre-accepted: Emmanuel Macron and the shared stance are in the reviewed layer already.
    shown = {(project.document(macron).text[s.start:s.end][:15], s.label) for s in window.editor.view.spans_shown()}
    assert shown == {("Emmanuel Macron", "PERSON"), ('"Nothing can be', "FAVOR")}
    assert all(s.annotator == ADJUDICATED for s in window.editor.view.spans_shown())
    # Disagreement 1: Paris, GPE (ana) or ORG (ben): "2" takes ben's.
    assert _place_text(window) == "Paris" and panel.current.kind == "different labels"
    items = [panel.versions.item(i).text() for i in range(panel.versions.count())]
    assert items[0].startswith("1  ana: GPE 'Paris'") and items[1].startswith("2  ben: ORG 'Paris'")
    _key(qtbot, window, Qt.Key.Key_2)
    # Disagreement 2: Olaf Scholz (ana) or Scholz (ben): Down, Up and A accept the focused one, ana's.
    assert _place_text(window) == "Olaf Scholz" and panel.current.kind == "different boundaries"
    _key(qtbot, window, Qt.Key.Key_Down)
    _key(qtbot, window, Qt.Key.Key_Up)
    _key(qtbot, window, Qt.Key.Key_A)
    # Disagreement 3: Donald Tusk, marked by ben only: N skips it for now, Shift+Tab comes back.
    assert _place_text(window) == "Donald Tusk" and panel.current.kind == "marked by ben only"
    _key(qtbot, window, Qt.Key.Key_N)
    assert panel.current.layer == "stance"
    _key(qtbot, window, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert _place_text(window) == "Donald Tusk"
    # E: ben's version with another label, chosen in the dialog.
    QTimer.singleShot(0, lambda: _answer_label_dialog("ORG"))
    _key(qtbot, window, Qt.Key.Key_Down)
    _key(qtbot, window, Qt.Key.Key_E)
    assert project.doc_status(macron, ADJUDICATED) == "in_progress"
    # Last: ben's AGAINST stance on "No European or NATO country...": 2 takes it.
    assert panel.current.layer == "stance" and panel.current.kind == "marked by ben only"
    assert QApplication.focusWidget() is panel
    _key(qtbot, window, Qt.Key.Key_2)
    assert project.doc_status(macron, ADJUDICATED) == "done"
    # Ctrl+Z takes the last pick back (the window's one undo stack), Ctrl+Shift+Z redoes it.
    _key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert project.doc_status(macron, ADJUDICATED) == "in_progress"
    assert window.undo_stack.undoText().startswith("Review: edit ben's version")
    _key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert project.doc_status(macron, ADJUDICATED) == "done"
    # The article shows the reviewed layer exactly as stored, after undo and redo too.
    stored = sorted((s.start, s.end, s.label) for s in project.spans(macron, statuses=["accepted"])
                    if s.annotator == ADJUDICATED)
    assert sorted((s.start, s.end, s.label) for s in window.editor.view.spans_shown()) == stored
    assert len(stored) == 6
    _screenshot(window)
    # N after the last disagreement opens the next article; all of it agrees.
    panel.setFocus()
    _key(qtbot, window, Qt.Key.Key_N)
    assert panel.review.document.id == house and window.editor.doc_id == house
    assert project.doc_status(house, ADJUDICATED) == "done"
    assert unreviewed_doc_ids(project) == []
    # Picking an article in the list reviews that one.
    window.doc_list.document_activated.emit(macron)
    assert panel.review.document.id == macron and window.editor.doc_id == macron
    panel.setFocus()
    # Esc leaves Review mode: in a merged project the lead's own layer (empty here) shows again.
    _key(qtbot, window, Qt.Key.Key_Escape)
    assert not panel.isVisible() and not window.actions_by_id["annotator.view.review"].isChecked()
    assert window.editor.view.spans_shown() == []

    # The decisions are durable: a fresh connection sees them, and the export holds exactly them.
    with open_project(project.path) as again:
        out = tmp_path / "gold.jsonl"
        exporting.export(again, format="jsonl", out=out, annotator=ADJUDICATED)
    records = {r["title"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert set(records) == {MACRON, HOUSE}
    assert sorted((e["text"], e["label"]) for e in records[MACRON]["entities"]) == [
        ("Donald Tusk", "ORG"), ("Emmanuel Macron", "PERSON"), ("Olaf Scholz", "PERSON"), ("Paris", "ORG")]
    assert sorted((s["label"], s["target"]) for s in records[MACRON]["stances"]) == [
        ("AGAINST", "Western troops in Ukraine"), ("FAVOR", "Western troops in Ukraine")]
    assert [(e["text"], e["label"]) for e in records[HOUSE]["entities"]] == [("Mike Johnson", "PERSON")]


def _answer_label_dialog(label):
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QInputDialog) and widget.isVisible():
            widget.setTextValue(label)
            widget.accept()
            return
    QTimer.singleShot(20, lambda: _answer_label_dialog(label))


def _screenshot(window):
    window.resize(1440, 880)
    for _ in range(5):
        QCoreApplication.processEvents()
    image = window.grab().toImage()
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert image.save(str(SHOTS / "review-mode.png"), "PNG")


def test_review_mode_without_team_work_says_what_to_do(qtbot, project):
    from tests.gui.editing import seed

    seed(project)
    window = open_window(qtbot, project, register=False)
    try:
        qtbot.keyClick(window.editor.view, Qt.Key.Key_F7)
        assert not window.actions_by_id["annotator.view.review"].isChecked()
        assert "merge" in window.statusBar().currentMessage()
        # The window's own N still marks the article done.
        qtbot.keyClick(window.editor.view, Qt.Key.Key_N)
        assert project.done_doc_ids(annotator=project.annotator)
    finally:
        close_and_delete(window)
