"""Helpers for the editor's window tests: small real projects and a shown window."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication

from annotator.core.model import SpanDraft
from annotator.core.text import text_hash
from annotator.storage.project import NewDocument

SUGGESTER = "test-suggester"

TEXT = ("Macron said on Monday that France was not ruling out sending troops to Ukraine. "
        "Trump disagreed in Washington, and Scholz said Germany would not follow.")
SECOND = "Kyiv asked NATO for more air defence. Berlin did not answer."


def at(text: str, word: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(word, start + 1)
    return start, start + len(word)


def add_doc(project, text: str, title: str) -> int:
    ids, _ = project.add_documents([NewDocument(text=text, title=title, text_hash=text_hash(text))])
    return ids[0]


def first_drafts() -> list[SpanDraft]:
    """The suggestions :func:`seed` stores for the first article."""
    sent = (0, TEXT.index(".") + 1)
    return [
        SpanDraft(*at(TEXT, "Macron"), "PERSON", score=0.9),
        SpanDraft(*at(TEXT, "France"), "GPE", score=0.8),
        SpanDraft(*at(TEXT, "Ukraine"), "GPE"),
        SpanDraft(*at(TEXT, "Trump"), "PERSON", score=0.95),
        SpanDraft(*sent, "FAVOR", layer="stance", target="Western troops in Ukraine",
                  holder=at(TEXT, "Macron"), cue="not ruling out", score=0.7),
    ]


def seed(project) -> tuple[int, int]:
    """Two articles; the first has entity and stance suggestions."""
    first = add_doc(project, TEXT, "Troops")
    second = add_doc(project, SECOND, "Air defence")
    project.store_suggestions(first, SUGGESTER, first_drafts())
    project.store_suggestions(second, SUGGESTER, [SpanDraft(*at(SECOND, "Kyiv"), "GPE", score=0.6)])
    return first, second


def open_window(qtbot, project, doc_id: int | None = None, *, register: bool = True):
    from annotator.gui.main_window import MainWindow

    window = MainWindow(project)
    if register:  # qtbot closes it at teardown
        qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    if doc_id is not None and window.editor.doc_id != doc_id:
        window.load_document(doc_id)
    window.editor.view.setFocus()
    QCoreApplication.processEvents()
    return window


def row(project, span_id: int):
    return project.conn.execute(
        'SELECT status, label, start, "end", origin, target, holder_span_id FROM spans WHERE id = ?',
        (span_id,)).fetchone()


def spans_where(project, doc_id: int, **cond):
    sql = 'SELECT id, status, label, start, "end", layer, origin FROM spans WHERE doc_id = ?'
    params = [doc_id]
    for key, value in cond.items():
        sql += f' AND "{key}" = ?'
        params.append(value)
    return project.conn.execute(sql + " ORDER BY id", params).fetchall()


def close_and_delete(window) -> None:
    """Close a window and destroy it now, so none of its timers outlives the test's project."""
    import shiboken6

    if shiboken6.isValid(window):
        window.close()
        shiboken6.delete(window)


@pytest.fixture
def windows(qtbot, project):
    """``windows(doc_id=None, project=project)`` opens a main window; all are
    destroyed before the project closes."""
    made = []

    def make(doc_id: int | None = None, on_project=None):
        window = open_window(qtbot, on_project or project, doc_id, register=False)
        made.append(window)
        return window

    yield make
    for window in made:
        close_and_delete(window)
