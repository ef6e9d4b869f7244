"""Screenshots of the editor's pick lists, dialogs and stance painting, saved to
artifacts/screenshots/ for people to look at, with checks on their pixels."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication, QPoint, Qt
from PySide6.QtGui import QColor

from annotator.core.model import SpanDraft
from annotator.gui.dialogs import ExportDialog
from annotator.gui.keys_dialog import KeysDialog
from tests.gui import editing
from tests.gui.editing import SUGGESTER, add_doc, at
from tests.gui.test_screenshot import SHOTS

windows = editing.windows  # the fixture that opens main windows

TEXT = ("Stances side by side\n"
        "Macron said Europe could send troops. Scholz said Germany would send no troops. "
        "Tusk said Poland would not send troops either.\n"
        "Meloni backed more military aid to Ukraine, but she opposed sending troops, a European diplomat said.")


def _save(widget, name: str):
    for _ in range(5):
        QCoreApplication.processEvents()
    image = widget.grab().toImage()
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert image.save(str(SHOTS / name), "PNG")
    return image


def _stances_doc(project):
    doc = add_doc(project, TEXT, "Stances side by side")
    s1 = (TEXT.index("Macron"), TEXT.index("troops.") + 7)
    s2 = (TEXT.index("Scholz"), TEXT.index("troops.", s1[1]) + 7)
    s3 = (TEXT.index("Tusk"), TEXT.index("either.") + 7)
    last = TEXT.index("Meloni")
    drafts = [SpanDraft(*at(TEXT, name), "PERSON", score=0.9) for name in ("Macron", "Scholz", "Tusk", "Meloni")]
    drafts += [SpanDraft(*at(TEXT, "Germany"), "GPE", score=0.9), SpanDraft(*at(TEXT, "Poland"), "GPE", score=0.9),
               SpanDraft(*at(TEXT, "European"), "NORP", score=0.8), SpanDraft(*at(TEXT, "Europe"), "LOC", score=0.8)]
    # Two adjacent AGAINST stances, and a FAVOR clause inside an AGAINST sentence.
    drafts += [SpanDraft(*s1, "FAVOR", layer="stance", target="Western troops in Ukraine",
                         holder=at(TEXT, "Macron"), score=0.7),
               SpanDraft(*s2, "AGAINST", layer="stance", target="Western troops in Ukraine",
                         holder=at(TEXT, "Scholz"), score=0.7),
               SpanDraft(*s3, "AGAINST", layer="stance", target="Western troops in Ukraine",
                         holder=at(TEXT, "Tusk"), score=0.7),
               SpanDraft(last, len(TEXT), "AGAINST", layer="stance", target="Western troops in Ukraine",
                         holder=at(TEXT, "Meloni"), score=0.6),
               SpanDraft(last, TEXT.index(", but"), "FAVOR", layer="stance", target="US military aid to Ukraine",
                         holder=at(TEXT, "Meloni"), score=0.6)]
    project.store_suggestions(doc, SUGGESTER, drafts)
    return doc


def test_adjacent_and_overlapping_stances_screenshot(qtbot, windows, project):
    doc = _stances_doc(project)
    win = windows(doc)
    win.resize(1280, 620)
    view = win.editor.view
    image = _save(win, "stances-adjacent-overlapping.png")
    scale = image.width() / win.width()
    base = view.palette().color(view.backgroundRole())
    spans = {(s.label, s.start): s for s in win.session.spans("stance")}
    favor_clause = spans[("FAVOR", TEXT.index("Meloni"))]
    against_sentence = spans[("AGAINST", TEXT.index("Meloni"))]
    # Inside the overlap the tint is one stance's colour over the page, never a mix of two.
    rect = view.range_rects(favor_clause.start + 8, favor_clause.start + 9)[0]
    point = view.viewport().mapTo(win, QPoint(int(rect.center().x()), int(rect.top()) + 1))
    pixel = QColor(image.pixel(int(point.x() * scale), int(point.y() * scale)))
    lane0 = min((favor_clause, against_sentence), key=lambda s: view._items[s.id].lane)
    assert view._items[lane0.id].lane == 0
    other = against_sentence if lane0 is favor_clause else favor_clause
    expected = QColor(view._colour(lane0))
    mixed = QColor(view._colour(other))
    def dist(a, b):
        return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue())
    # The pixel leans toward the lane-0 colour, away from the other one (no blend of both).
    assert dist(pixel, base) > 0
    assert dist(pixel, expected) < dist(pixel, mixed)
    # Adjacent stances of one label keep two bars: a gap of page colour between them.
    second, third = spans[("AGAINST", TEXT.index("Scholz"))], spans[("AGAINST", TEXT.index("Tusk"))]
    assert view._items[second.id].lane == view._items[third.id].lane == 0
    assert view._items[third.id].step_aside and not view._items[second.id].step_aside
    # On the line they share, the two bars stand side by side, not on top of each other.
    assert abs(view.bar_x(view._items[third.id]) - view.bar_x(view._items[second.id])) >= 4
    # Every tag names its holder whole.
    for span in spans.values():
        lines = view.tag_lines(view._items[span.id].span)
        assert any(line.startswith("held by ") for line in lines)


def test_holder_picker_screenshot(qtbot, windows, project):
    doc = _stances_doc(project)
    win = windows(doc)
    win.resize(1280, 720)
    view = win.editor.view
    for _ in range(30):
        qtbot.keyClick(view, Qt.Key.Key_Tab)
        focused = win.session.focused
        if focused.layer == "stance" and focused.start == TEXT.index("Meloni") and focused.label == "AGAINST":
            break
    qtbot.keyClick(view, Qt.Key.Key_H)
    assert win.editor.choices.isVisible()
    _save(win, "holder-picker.png")
    texts = win.editor.choices.visible_texts()
    assert texts[-1] == "(no holder)" and any(t.startswith("European") for t in texts)


def test_export_dialog_after_an_error_screenshot(qtbot, windows, project, tmp_path, qapp):
    from annotator.gui.app import apply_theme

    apply_theme(qapp, "light", follow_system=False)
    doc = _stances_doc(project)
    win = windows(doc)
    qtbot.keyClick(win.editor.view, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    (dialog,) = win.findChildren(ExportDialog)
    dialog.out_edit.setText(str(tmp_path / "export"))
    dialog.start()
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=30_000)
    qtbot.waitUntil(lambda: dialog.done_only.hasFocus(), timeout=3000)
    image = _save(dialog, "export-dialog-error.png")
    assert "E401" in dialog.progress_text.text()
    # Nothing clipped: the whole message label lies inside the dialog.
    bottom = dialog.progress_text.mapTo(dialog, QPoint(0, dialog.progress_text.height())).y()
    assert bottom <= dialog.height()
    assert image.height() >= dialog.height()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_keys_dialog_screenshot(qtbot, windows, project, qapp, theme):
    from annotator.gui.app import apply_theme

    apply_theme(qapp, theme, follow_system=False)
    try:
        win = windows()
        win.actions_by_id["annotator.edit.keys"].trigger()
        (dialog,) = win.findChildren(KeysDialog)
        dialog.filter.setText("move")
        _save(dialog, f"keys-dialog-{theme}.png")
        shown = [r for r in range(dialog.table.rowCount()) if not dialog.table.isRowHidden(r)]
        assert len(shown) == 4
        dialog.close()
    finally:
        apply_theme(qapp, "light", follow_system=False)


def test_focused_controls_wear_a_clear_ring(qtbot, windows, project, qapp, tmp_path):
    """The combo box and the line edit show a two-pixel ring in the accent colour."""
    from annotator.gui.app import apply_theme

    apply_theme(qapp, "light", follow_system=False)
    win = windows()
    qtbot.keyClick(win.editor.view, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    (dialog,) = win.findChildren(ExportDialog)
    qtbot.waitUntil(lambda: dialog.format_box.hasFocus(), timeout=3000)
    accent = dialog.palette().color(dialog.palette().ColorRole.Highlight)

    def ring(widget) -> bool:
        image = widget.grab().toImage()
        y = image.height() // 2
        edge = [QColor(image.pixel(x, y)) for x in range(0, 3)]
        return all(abs(c.red() - accent.red()) + abs(c.green() - accent.green())
                   + abs(c.blue() - accent.blue()) < 60 for c in edge[:2])

    assert ring(dialog.format_box)
    assert not ring(dialog.out_edit)
    qtbot.keyClick(dialog.format_box, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: dialog.out_edit.hasFocus(), timeout=3000)
    assert ring(dialog.out_edit) and not ring(dialog.format_box)
    _save(dialog, "export-dialog-focus.png")
