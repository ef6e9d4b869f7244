"""The document list model and panel, offscreen, on real project files (up to a
generated million documents)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from annotator.core.model import Span
from annotator.core.text import text_hash
from annotator.gui.document_list import DocumentListPanel
from annotator.gui.document_model import (
    DOC_ID_ROLE,
    STATUS_ROLE,
    DocumentListModel,
    format_last_edit,
)
from annotator.services.doclist import DocFilter, DocumentQuery
from annotator.storage import NewDocument, open_project
from tests.synthetic import generate_synthetic_documents


@pytest.fixture
def filled(project):
    """A few named articles with spans and statuses, then generated ones."""
    texts = [("Barrot on trainers", "France will not rule out sending trainers, Barrot said."),
             ("Aid vote delayed", "The vote on military aid to Ukraine was delayed again."),
             ("", "An untitled note about sanctions on Russia.")]
    ids, _ = project.add_documents(
        [NewDocument(text=t, title=title, text_hash=text_hash(t)) for title, t in texts])
    project.add_span(ids[0], Span(47, 53, "PERSON"))
    project.set_doc_status(ids[1], "done")
    generate_synthetic_documents(project, count=500)
    return project


def _ids_in_view(model: DocumentListModel, count: int) -> list[int]:
    return [model.index(row, 0).data(DOC_ID_ROLE) for row in range(count)]


def test_model_passes_the_qt_model_tester(qtmodeltester, filled):
    model = DocumentListModel(filled, page_size=32, max_pages=4)
    qtmodeltester.check(model)
    model.sort(1, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(model)
    model.set_filter(DocFilter(search="sanctions OR trainers"))
    qtmodeltester.check(model)
    model.set_filter(DocFilter(status="skipped"))
    assert model.rowCount() == 0
    qtmodeltester.check(model)


@pytest.mark.parametrize("column, sort", [(0, "title"), (1, "status"), (2, "accepted"), (3, "suggestions"),
                                          (4, "last_edit")])
def test_header_click_sorts_like_the_query(qtbot, filled, column, sort):
    panel = DocumentListPanel(filled)
    qtbot.addWidget(panel)
    panel.resize(700, 400)
    panel.show()
    qtbot.waitExposed(panel)
    header = panel.view.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    order = header.sortIndicatorOrder()
    expected = DocumentQuery(filled, sort=sort, descending=order == Qt.SortOrder.DescendingOrder).ids(0, 600)
    assert _ids_in_view(panel.model, panel.model.rowCount()) == expected
    assert panel.model.cached_row_count() <= panel.model.page_size * panel.model.max_pages


def test_search_box_filters_and_reports_malformed_queries(qtbot, filled):
    panel = DocumentListPanel(filled)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    panel.focus_search()
    qtbot.keyClicks(panel.search_edit, '"military aid"')
    qtbot.keyClick(panel.search_edit, Qt.Key.Key_Return)
    expected = DocumentQuery(filled, filter=DocFilter(search='"military aid"')).ids(0, 1000)
    assert panel.model.rowCount() == len(expected) > 100
    assert _ids_in_view(panel.model, 5) == expected[:5]
    assert panel.count_label.text() == f"{len(expected):,} of 503"

    panel.search_edit.clear()
    qtbot.keyClicks(panel.search_edit, "aid OR")
    qtbot.keyClick(panel.search_edit, Qt.Key.Key_Return)
    assert panel.message_label.isVisible()
    assert "OR needs a word after it" in panel.message_label.text()
    assert panel.search_edit.property("invalid") is True
    # The last good results stay on screen.
    assert panel.model.rowCount() == len(expected)

    qtbot.keyClicks(panel.search_edit, " trainers")
    qtbot.keyClick(panel.search_edit, Qt.Key.Key_Return)
    assert not panel.message_label.isVisible()
    assert panel.model.rowCount() == DocumentQuery(filled, filter=DocFilter(search="aid OR trainers")).count()


def test_search_applies_after_typing_stops(qtbot, filled):
    panel = DocumentListPanel(filled)
    qtbot.addWidget(panel)
    qtbot.keyClicks(panel.search_edit, "barrot")
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1)
    assert panel.model.index(0, 0).data() == "Barrot on trainers"


def test_status_and_label_filters(qtbot, filled):
    panel = DocumentListPanel(filled)
    qtbot.addWidget(panel)
    panel.status_combo.setCurrentIndex(panel.status_combo.findData("done"))
    done = DocumentQuery(filled, filter=DocFilter(status="done")).ids(0, 1000)
    assert _ids_in_view(panel.model, panel.model.rowCount()) == done
    assert {panel.model.index(r, 1).data(STATUS_ROLE) for r in range(len(done))} == {"done"}
    assert panel.model.index(0, 1).data() == "Done"

    panel.status_combo.setCurrentIndex(0)
    panel.label_combo.setCurrentIndex(panel.label_combo.findData("entity:PERSON"))
    assert panel.model.rowCount() == 1
    assert panel.model.index(0, 0).data() == "Barrot on trainers"
    assert panel.model.index(0, 2).data() == "1"
    labels = [panel.label_combo.itemText(i) for i in range(panel.label_combo.count())]
    assert "ORG" in labels and "Stance: AGAINST" in labels

    panel.label_combo.setCurrentIndex(panel.label_combo.findData("entity:EVENT"))
    assert panel.model.rowCount() == 0
    assert panel.message_label.text() == "No documents match the filters."


def test_selection_signals_and_select_doc(qtbot, filled):
    panel = DocumentListPanel(filled)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    third = panel.model.doc_id_at(2)
    with qtbot.assertNotEmitted(panel.document_activated):
        panel.select_doc(third)
    assert panel.view.currentIndex().row() == 2
    assert panel.view.selectionModel().isRowSelected(2)

    panel.view.setFocus()
    with qtbot.waitSignal(panel.document_activated) as moved:
        qtbot.keyClick(panel.view, Qt.Key.Key_Down)
    assert moved.args == [panel.model.doc_id_at(3)]
    with qtbot.waitSignal(panel.document_activated) as entered:
        qtbot.keyClick(panel.view, Qt.Key.Key_Return)
    assert entered.args == [panel.model.doc_id_at(3)]


def test_select_doc_scrolls_far_down_and_survives_sorting(qtbot, filled):
    panel = DocumentListPanel(filled)
    qtbot.addWidget(panel)
    panel.resize(600, 300)
    panel.show()
    qtbot.waitExposed(panel)
    target = DocumentQuery(filled).ids(450, 1)[0]
    panel.select_doc(target)
    assert panel.view.currentIndex().row() == 450
    assert panel.view.rowAt(panel.view.visualRect(panel.view.currentIndex()).center().y()) == 450
    panel.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    current = panel.view.currentIndex()
    assert current.data(DOC_ID_ROLE) == target
    assert current.row() == DocumentQuery(filled, sort="title").position(target)


def test_refresh_docs_updates_rows_in_place_and_next_follows_the_screen(qtbot, filled):
    panel = DocumentListPanel(filled)
    qtbot.addWidget(panel)
    panel.status_combo.setCurrentIndex(panel.status_combo.findData("new"))
    first, second = panel.model.doc_id_at(0), panel.model.doc_id_at(1)
    filled.set_doc_status(first, "done")
    with qtbot.waitSignal(panel.model.dataChanged):
        panel.refresh_docs([first])
    assert panel.model.index(0, 1).data() == "Done"
    assert panel.next_doc_id(first) == second
    assert panel.next_doc_id(second, -1) == first
    panel.refresh_all()
    assert panel.model.doc_id_at(0) == second
    # A document that left the filter still has a next one, found from its key.
    assert panel.next_doc_id(first) == second
    assert panel.next_doc_id(panel.model.doc_id_at(panel.model.rowCount() - 1)) is None


def test_focus_search_and_down_into_the_results(qtbot, filled):
    panel = DocumentListPanel(filled)
    qtbot.addWidget(panel)
    panel.show()
    panel.activateWindow()
    qtbot.waitExposed(panel)
    panel.focus_search()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is panel.search_edit)
    qtbot.keyClicks(panel.search_edit, "vote")
    with qtbot.waitSignal(panel.document_activated) as chosen:
        qtbot.keyClick(panel.search_edit, Qt.Key.Key_Down)
    assert chosen.args[0] == DocumentQuery(filled, filter=DocFilter(search="vote")).ids(0, 1)[0]
    assert QApplication.focusWidget() is panel.view


def test_titles_fall_back_to_the_text_and_times_are_short(filled):
    model = DocumentListModel(filled)
    untitled = next(r for r in range(3) if model.index(r, 0).data().startswith("An untitled note"))
    assert "document" in model.index(untitled, 0).data(Qt.ItemDataRole.ToolTipRole)
    edited = model.index(0, 4).data()
    assert edited and len(edited) <= 10
    assert format_last_edit(None) == ""
    assert format_last_edit("2001-02-03T04:05:06.000Z") == "2001-02-03"


def _scroll_to_the_end(qtbot, project, n):
    panel = DocumentListPanel(project)
    qtbot.addWidget(panel)
    panel.resize(800, 600)
    panel.show()
    qtbot.waitExposed(panel)
    model = panel.model
    assert model.rowCount() == n
    panel.view.scrollToBottom()
    QApplication.processEvents()
    panel.view.viewport().repaint()
    last_rows = project.conn.execute(
        "SELECT id, title FROM documents ORDER BY id DESC LIMIT 3").fetchall()[::-1]
    shown = [(model.index(r, 0).data(DOC_ID_ROLE), model.index(r, 0).data()) for r in range(n - 3, n)]
    assert shown == last_rows
    bottom = panel.view.rowAt(panel.view.viewport().height() - 2)
    assert bottom in (n - 1, -1) and panel.view.rowAt(panel.view.viewport().height() // 2) > n - 100
    assert 0 < model.cached_row_count() <= model.page_size * model.max_pages

    panel.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    panel.view.scrollToBottom()
    QApplication.processEvents()
    first_titles = project.conn.execute(
        "SELECT id FROM documents ORDER BY title COLLATE NOCASE, id LIMIT 2").fetchall()
    assert [model.index(n - 1 - i, 0).data(DOC_ID_ROLE) for i in range(2)] == [r[0] for r in first_titles]
    assert model.cached_row_count() <= model.page_size * model.max_pages

    panel.select_doc(n // 2)
    assert panel.view.selectionModel().isRowSelected(panel.view.currentIndex().row())
    assert panel.view.currentIndex().data(DOC_ID_ROLE) == n // 2
    assert panel.next_doc_id(n // 2) == model.doc_id_at(panel.view.currentIndex().row() + 1)


def test_a_hundred_thousand_documents_scroll_to_the_end(qtbot, project):
    generate_synthetic_documents(project, count=100_000)
    _scroll_to_the_end(qtbot, project, 100_000)


@pytest.mark.slow
def test_a_million_documents_open_and_scroll(qtbot, tmp_path):
    project = open_project(tmp_path / "million.db", create=True, annotator="tester")
    try:
        generate_synthetic_documents(project, count=1_000_000)
        _scroll_to_the_end(qtbot, project, 1_000_000)
    finally:
        project.close()
