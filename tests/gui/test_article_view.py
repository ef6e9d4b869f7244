"""The article view: colours by label, suggestion vs accepted, stances, nesting,
tooltips, partial repaint, and a long article with thousands of spans."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from annotator.core.model import Span, SpanDraft
from tests.gui import editing
from tests.gui.editing import TEXT, at, seed

windows = editing.windows  # the fixture that opens main windows


class _PaintSpy(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.rects: list[QRect] = []

    def eventFilter(self, obj, event):  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            self.rects.append(event.rect())
        return False


def _pixel(view, x: float, y: float) -> QColor:
    image = view.viewport().grab().toImage()
    return QColor(image.pixel(int(x), int(y)))


def _blank_spot(view, rect) -> tuple[float, float]:
    """A point inside the rect's fill but off the glyphs (just under the x-height)."""
    return rect.left() + 1.5, rect.top() + 2


def test_fills_use_the_label_colour_and_suggestions_look_different(windows, qtbot, project):
    first, _ = seed(project)
    france = at(TEXT, "France")
    project.add_span(first, Span(*at(TEXT, "Monday"), "DATE", status="accepted"))
    win = windows(first)
    view = win.editor.view
    base = view.palette().color(view.viewport().backgroundRole())
    accepted = _pixel(view, *_blank_spot(view, view.range_rects(*at(TEXT, "Monday"))[0]))
    suggested = _pixel(view, *_blank_spot(view, view.range_rects(*france)[0]))
    date_colour = QColor(project.scheme().label("entity", "DATE").colour)
    assert accepted != base and suggested != base
    # The accepted fill leans towards its label's hue; the suggestion is paler.
    assert abs(accepted.hue() - date_colour.hue()) < 25
    assert accepted.lightness() < suggested.lightness() or accepted.saturation() > suggested.saturation()


def test_stance_band_tag_and_entity_inside_are_all_visible(windows, qtbot, project):
    first, _ = seed(project)
    win = windows(first)
    view = win.editor.view
    sent_rect = view.range_rects(0, 5)[0]
    macron_rect = view.range_rects(*at(TEXT, "Macron"))[0]
    assert macron_rect.intersects(sent_rect)
    # The left bar in the margin carries the stance colour.
    bar = view._left.grab().toImage()
    favor = QColor(project.scheme().label("stance", "FAVOR").colour)
    colours = {QColor(bar.pixel(x, int(sent_rect.center().y()))).rgb() for x in range(bar.width())}
    assert any(abs(QColor(c).hue() - favor.hue()) < 20 and QColor(c).saturation() > 40 for c in colours)
    tags = view._right.grab().toImage()
    y = int(sent_rect.top()) + 6
    assert len({tags.pixel(x, y) for x in range(tags.width())}) > 3


def test_nested_entities_get_stacked_depths(windows, qtbot, project):
    first, _ = seed(project)
    whole = at(TEXT, "Trump disagreed in Washington")
    project.add_span(first, Span(*whole, "EVENT", status="accepted"))
    project.add_span(first, Span(*at(TEXT, "Washington"), "GPE", status="accepted"))
    win = windows(first)
    items = {it.span.label: it for it in win.editor.view._items.values() if it.span.layer == "entity"}
    assert items["EVENT"].depth == 0
    assert items["GPE"].depth == 1
    assert items["PERSON"].depth == 1  # Trump suggestion nests inside the event too


def test_tooltip_names_label_origin_score_and_stance_details(windows, qtbot, project):
    first, _ = seed(project)
    win = windows(first)
    view = win.editor.view
    ukraine = next(s for s in view.spans_shown() if s.start == at(TEXT, "Ukraine")[0])
    tip = view.tooltip_html(ukraine)
    assert "GPE" in tip and "suggestion" in tip and "test-suggester" in tip and "no score" in tip
    stance = next(s for s in view.spans_shown() if s.layer == "stance")
    tip = view.tooltip_html(stance)
    for part in ("FAVOR", "Western troops in Ukraine", "holder: Macron", "not ruling out", "0.70"):
        assert part in tip
    # Hovering the point of a span finds the innermost one.
    rect = view.range_rects(*at(TEXT, "France"))[0]
    assert view.span_at_point(rect.center().toPoint()).label == "GPE"


def test_focused_span_is_outlined(windows, qtbot, project):
    first, _ = seed(project)
    win = windows(first)
    view = win.editor.view
    rect = view.range_rects(*at(TEXT, "Trump"))[0]
    before = _pixel(view, rect.left() - 1, rect.center().y())
    trump = next(s for s in view.spans_shown() if s.start == at(TEXT, "Trump")[0])
    win.editor.focus_span(trump.id)
    QApplication.processEvents()
    after = _pixel(view, rect.left() - 1, rect.center().y())
    assert after != before


def test_a_decision_repaints_only_its_region(windows, qtbot, project):
    long_text = "\n".join(f"Paragraph {i}: Macron met Scholz in Paris on Monday." for i in range(60))
    from tests.gui.editing import add_doc

    doc_id = add_doc(project, long_text, "Long")
    drafts = []
    pos = 0
    while (i := long_text.find("Paris", pos)) >= 0:
        drafts.append(SpanDraft(i, i + 5, "GPE"))
        pos = i + 5
    project.store_suggestions(doc_id, "test-suggester", drafts)
    win = windows(doc_id)
    view = win.editor.view
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    QApplication.processEvents()
    spy = _PaintSpy()
    view.viewport().installEventFilter(spy)
    qtbot.keyClick(view, Qt.Key.Key_A)
    QApplication.processEvents()
    view.viewport().removeEventFilter(spy)
    assert spy.rects, "the accepted span was not repainted"
    height = view.viewport().height()
    assert all(r.height() < height / 3 for r in spy.rects)


def test_long_article_with_thousands_of_spans_paints_visible_ones_only(windows, qtbot, project):
    from tests.gui.editing import add_doc

    words = [f"Word{i % 97}" for i in range(10_000)]
    for k in range(0, 10_000, 15):
        words[k] = words[k] + "."
    text = " ".join(words)
    doc_id = add_doc(project, text, "Ten thousand words")
    drafts, pos = [], 0
    for n in range(2_000):
        start = text.index("Word", pos)
        end = start + 6
        drafts.append(SpanDraft(start, end, ("PERSON", "ORG", "GPE", "DATE")[n % 4]))
        pos = end + 10
    drafts.append(SpanDraft(0, 300, "AGAINST", layer="stance", target="Sanctions on Russia"))
    project.store_suggestions(doc_id, "test-suggester", drafts)
    win = windows(doc_id)
    view = win.editor.view
    assert len(view.spans_shown()) == 2_001
    stances, entities = view._visible_items(None)
    assert 0 < len(entities) < 400
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum() // 3)
    QApplication.processEvents()
    stances, entities = view._visible_items(None)
    assert entities and all(e.span.start > 300 for e in entities)
    assert not stances


def test_suggestions_arriving_from_the_background_appear(windows, qtbot, project):
    from tests.gui.editing import add_doc

    doc_id = add_doc(project, TEXT, "Late suggestions")
    win = windows(doc_id)
    assert win.editor.view.spans_shown() == []
    # A worker (its own connection) stores suggestions, then tells the window.
    from annotator.storage import open_project

    worker = open_project(project.path)
    try:
        worker.store_suggestions(doc_id, "test-suggester", [SpanDraft(*at(TEXT, "Scholz"), "PERSON")])
    finally:
        worker.close()
    win.documents_changed([doc_id])
    assert [(s.label, s.status) for s in win.editor.view.spans_shown()] == [("PERSON", "suggested")]
