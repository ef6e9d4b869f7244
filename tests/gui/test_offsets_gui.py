"""Qt's UTF-16 positions against code-point offsets: emoji, non-BMP, combining marks, CRLF."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor

from annotator.core.model import SpanDraft
from annotator.services.importing import import_paths
from tests.gui import editing
from tests.gui.editing import add_doc, spans_where

windows = editing.windows  # the fixture that opens main windows

EMOJI_TEXT = ("🇺🇦🎉 Zelenskyy met 👩🏽‍💼 Macron in 𝔓𝔞𝔯𝔦𝔰 today. "
              "Jose\u0301 Borrell and Zoë spoke of Kyïv. 😀 Berlin stayed silent.")


def _select_by_qt(view, needle: str) -> None:
    """Select text the way a user does: positions found by Qt itself (UTF-16)."""
    found = view.document().find(needle)
    assert not found.isNull()
    view.setTextCursor(found)


@pytest.mark.parametrize(("needle", "label_key", "label"), [
    ("Macron", Qt.Key.Key_1, "PERSON"),
    ("𝔓𝔞𝔯𝔦𝔰", Qt.Key.Key_3, "GPE"),
    ("Jose\u0301", Qt.Key.Key_1, "PERSON"),
    ("Berlin", Qt.Key.Key_3, "GPE"),
    ("Kyïv", Qt.Key.Key_3, "GPE"),
])
def test_selection_after_astral_characters_lands_on_code_points(windows, qtbot, project, needle, label_key, label):
    doc_id = add_doc(project, EMOJI_TEXT, "Emoji")
    win = windows(doc_id)
    _select_by_qt(win.editor.view, needle)
    qtbot.keyClick(win.editor.view, label_key)
    rows = spans_where(project, doc_id, origin="human")
    assert len(rows) == 1
    start, end = rows[0][3], rows[0][4]
    assert EMOJI_TEXT[start:end] == needle
    assert rows[0][2] == label


def test_spans_after_emoji_paint_where_qt_draws_them(windows, qtbot, project):
    doc_id = add_doc(project, EMOJI_TEXT, "Emoji")
    b = EMOJI_TEXT.index("Berlin")
    project.store_suggestions(doc_id, "test-suggester", [SpanDraft(b, b + 6, "GPE")])
    win = windows(doc_id)
    view = win.editor.view
    rects = view.range_rects(b, b + 6)
    assert len(rects) == 1
    cursor = QTextCursor(view.document())
    qt_start = view.document().find("Berlin").selectionStart()
    cursor.setPosition(qt_start)
    assert qt_start != b  # the text holds astral characters before Berlin
    assert abs(view.cursorRect(cursor).left() - rects[0].left()) <= 1
    # Hovering it names the right span.
    hit = view.span_at_point(rects[0].center().toPoint())
    assert hit is not None and EMOJI_TEXT[hit.start:hit.end] == "Berlin"


def test_conversion_round_trips_every_position(windows, qtbot, project):
    doc_id = add_doc(project, EMOJI_TEXT, "Emoji")
    win = windows(doc_id)
    view = win.editor.view
    assert view.to_qt(len(EMOJI_TEXT)) == len(view.toPlainText().encode("utf-16-le")) // 2
    for i in range(len(EMOJI_TEXT) + 1):
        assert view.from_qt(view.to_qt(i)) == i


def test_token_snapping_next_to_emoji(windows, qtbot, project):
    doc_id = add_doc(project, EMOJI_TEXT, "Emoji")
    win = windows(doc_id)
    view = win.editor.view
    m = EMOJI_TEXT.index("Macron")
    view.select_range(m + 1, m + 3)
    qtbot.keyClick(view, Qt.Key.Key_1)
    rows = spans_where(project, doc_id, origin="human")
    assert EMOJI_TEXT[rows[0][3]:rows[0][4]] == "Macron"


def test_crlf_origin_text(windows, qtbot, project, tmp_path):
    source = tmp_path / "crlf.txt"
    source.write_bytes("Paris talks\r\nMacron spoke.\r\n\r\nScholz answered from 🇩🇪 Berlin.\r\n".encode())
    import_paths(project, [source])
    doc_id = project.first_open_doc_id()
    text = project.document(doc_id).text
    assert "\r" not in text
    win = windows(doc_id)
    view = win.editor.view
    assert view.toPlainText().replace("\u2029", "\n") == text
    _select_by_qt(view, "Berlin")
    qtbot.keyClick(view, Qt.Key.Key_3)
    rows = spans_where(project, doc_id, origin="human")
    assert text[rows[0][3]:rows[0][4]] == "Berlin"
