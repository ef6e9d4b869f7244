"""Two writers on one project: the window shows what another process committed
(the document list and the open article refresh), and its own decisions still land."""

from __future__ import annotations

from PySide6.QtCore import Qt

from annotator.core.model import SpanDraft
from annotator.storage import open_project

from .editing import TEXT, at, seed, windows  # noqa: F401  (fixture)


def test_window_refreshes_when_another_connection_commits(qtbot, project, windows):  # noqa: F811
    first, _second = seed(project)
    window = windows(first)
    window._watch.stop()  # the test drives the check itself
    assert not window.check_external_changes()
    before = {s.id for s in window.session.spans()}

    other = open_project(project.path, annotator="someone-else")
    try:
        other.store_suggestions(first, "other-process@1", [SpanDraft(*at(TEXT, "Scholz"), "PERSON"),
                                                           SpanDraft(*at(TEXT, "Germany"), "GPE")])
        other.set_doc_status(first, "in_progress")
    finally:
        other.close()

    assert window.check_external_changes()
    texts = {TEXT[s.start:s.end] for s in window.session.spans()}
    assert {"Scholz", "Germany"} <= texts
    assert {s.id for s in window.session.spans()} != before
    row = window.doc_list.model.row_of(first)
    suggestions_col = [i for i in range(window.doc_list.model.columnCount())
                       if window.doc_list.model.headerData(i, Qt.Orientation.Horizontal) == "To review"][0]
    shown = window.doc_list.model.data(window.doc_list.model.index(row, suggestions_col))
    assert str(shown) == str(project.conn.execute(
        "SELECT n_suggested FROM doc_stats WHERE doc_id = ?", (first,)).fetchone()[0])
    # Nothing new since: no refresh.
    assert not window.check_external_changes()


def test_unrelated_commits_repaint_rows_in_place_and_leave_the_article(qtbot, project, windows):  # noqa: F811
    """Another process deciding on another article neither reloads the open one
    nor resets the list (which would move the user's place in it)."""
    first, second = seed(project)
    window = windows(first)
    window._watch.stop()
    resets = []
    window.doc_list.model.modelReset.connect(lambda: resets.append(1))
    reloads = []
    original = window.editor.reload_spans
    window.editor.reload_spans = lambda: (reloads.append(1), original())

    other = open_project(project.path, annotator="someone-else")
    try:
        (kyiv,) = other.spans(second)
        other.update_span(kyiv.id, status="accepted")
    finally:
        other.close()
    assert window.check_external_changes()
    assert resets == [] and reloads == []
    row = window.doc_list.model.row_of(second)
    accepted_col = [i for i in range(window.doc_list.model.columnCount())
                    if window.doc_list.model.headerData(i, Qt.Orientation.Horizontal) == "Accepted"][0]
    assert str(window.doc_list.model.data(window.doc_list.model.index(row, accepted_col))) == "1"

    # A new article from elsewhere does grow the list.
    from annotator.core.text import text_hash
    from annotator.storage import NewDocument

    other = open_project(project.path, annotator="someone-else")
    try:
        other.add_documents([NewDocument("Odesa port reopened.", "Odesa", text_hash("Odesa port reopened."))])
    finally:
        other.close()
    before = window.doc_list.model.rowCount()
    assert window.check_external_changes()
    assert window.doc_list.model.rowCount() == before + 1


def test_news_from_background_work_after_the_window_closed_is_dropped(qtbot, project, windows):  # noqa: F811
    """A suggestion worker's last message can arrive after the window closed and
    its project was closed: it must not reach the closed database (an error in a
    slot, seen at the end of a first start)."""
    first, second = seed(project)
    window = windows(first)
    window.documents_changed([first, second])  # open: the rows are read again
    window.close()
    project.close()
    window.documents_changed([first, second])  # raised "Cannot operate on a closed database"
    assert window.closed
