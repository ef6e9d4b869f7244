"""The article view: read-only text with span highlights, stance bands and tooltips.

:class:`ArticleView` is a ``QPlainTextEdit`` that paints its highlights itself, over
the visible blocks only, using the document layout to turn ranges into rectangles.
Nothing about the spans is stored in the ``QTextDocument``: a decision updates a
small index and repaints the rectangles of the ranges it touched, so opening a long
article with thousands of spans costs little more than ``setPlainText`` and a
decision never reformats the document.

The view only shows; :class:`~annotator.gui.editor.AnnotationEditor` decides what
it shows and turns keys into decisions.

Note for developers: this module is the one place where Qt's UTF-16 positions meet
code-point offsets (:meth:`ArticleView.to_qt` and :meth:`ArticleView.from_qt`, both
through :class:`~annotator.core.text.Utf16Index`). Everything outside the view
speaks code points.
"""

from __future__ import annotations

import bisect
import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QKeyEvent,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QTextCharFormat,
    QTextCursor,
    QTextOption,
)
from PySide6.QtWidgets import (
    QFrame,
    QPlainTextDocumentLayout,
    QPlainTextEdit,
    QToolTip,
    QWidget,
)

from annotator.core.model import Span
from annotator.core.scheme import Scheme
from annotator.core.text import Utf16Index

__all__ = ["ArticleView", "BAR_WIDTH", "LEFT_MARGIN", "TAG_COLUMN"]

_FALLBACK_COLOUR = "#868e96"
BAR_WIDTH = 4
LEFT_MARGIN = 22
TAG_COLUMN = 230
#: Lines of text kept visible below (and above) a focused span: look-ahead.
LOOK_AHEAD_LINES = 3


@dataclass(slots=True)
class _Item:
    """A span as the view paints it: UTF-16 range, colour and nesting depth."""

    span: Span
    start: int
    end: int
    colour: QColor
    depth: int = 0
    lane: int = 0
    #: The bar steps aside: the stance just before touches it and has its label.
    step_aside: bool = False


class _LayerIndex:
    """Spans of one layer sorted by start, for the spans overlapping a range."""

    def __init__(self, items: Iterable[_Item]) -> None:
        self.items = sorted(items, key=lambda it: (it.start, -it.end, it.span.id or 0))
        self.starts = [it.start for it in self.items]
        self.max_len = max((it.end - it.start for it in self.items), default=0)

    def overlapping(self, start: int, end: int) -> list[_Item]:
        lo = bisect.bisect_left(self.starts, start - self.max_len)
        hi = bisect.bisect_left(self.starts, end)
        return [it for it in self.items[lo:hi] if it.end > start]


def _assign_depths(items: list[_Item], attr: str) -> None:
    """Nested or overlapping spans get increasing depth (stacked underlines, lanes)."""
    open_ends: list[int] = []
    for it in items:
        open_ends = [e for e in open_ends if e > it.start]
        used = len(open_ends)
        setattr(it, attr, used)
        open_ends.append(it.end)


def _is_accepted(span: Span) -> bool:
    return span.status == "accepted"


class _Margin(QWidget):
    """A strip beside the viewport painted by the view (stance bars, stance tags)."""

    def __init__(self, view: ArticleView, painter_fn: Callable[[QPainter, QRect], None]) -> None:
        super().__init__(view)
        self._paint = painter_fn
        self.setMouseTracking(True)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._paint(p, event.rect())
        p.end()


class _ParagraphLayout(QPlainTextDocumentLayout):
    """QPlainTextEdit's layout, with space after each paragraph.

    QPlainTextEdit ignores block margins; growing each block's bounding rect is
    the one place its painting, hit testing and our highlight geometry all read
    from, so the extra space stays consistent everywhere.
    """

    PARAGRAPH_SPACING = 7.0

    def blockBoundingRect(self, block) -> QRectF:  # noqa: N802 - Qt override
        """QPlainTextDocumentLayout.blockBoundingRect, plus the paragraph spacing."""
        rect = super().blockBoundingRect(block)
        if not rect.isValid():
            return rect
        return QRectF(rect.x(), rect.y(), rect.width(), rect.height() + self.PARAGRAPH_SPACING)


class ArticleView(QPlainTextEdit):
    """Read-only article text with highlights painted over the visible blocks.

    Signals
    -------
    span_clicked(int):
        The user clicked a span (without dragging a selection).
    """

    span_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ArticleView")
        self.setReadOnly(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                     | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.setWordWrapMode(QTextOption.WrapMode.WordWrap)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMouseTracking(True)
        self.viewport().setMouseTracking(True)
        font = QFont(self.font())
        font.setPointSizeF(max(font.pointSizeF(), 10.5) + 1.5)
        self.setFont(font)
        self.document().setDocumentLayout(_ParagraphLayout(self.document()))
        self.document().setDocumentMargin(14)
        self._index = Utf16Index("")
        self._text = ""
        self._scheme: Scheme | None = None
        self._colours: dict[tuple[str, str], QColor] = {}
        self._items: dict[int, _Item] = {}
        self._entities = _LayerIndex(())
        self._stances = _LayerIndex(())
        self.focused_id: int | None = None
        #: Widens a code-point selection to whole tokens (set by the editor).
        self.snapper: Callable[[int, int], tuple[int, int] | None] | None = None
        #: Next token edge from a code point in a direction (set by the editor).
        self.token_step: Callable[[int, int], int | None] | None = None
        self._press_pos: QPoint | None = None
        self._left = _Margin(self, self._paint_bars)
        self._right = _Margin(self, self._paint_tags)
        self.setViewportMargins(LEFT_MARGIN, 0, TAG_COLUMN, 0)
        self.updateRequest.connect(self._scrolled)

    # -- the one UTF-16 <-> code point boundary ----------------------------------------

    def to_qt(self, offset: int) -> int:
        """Qt (UTF-16) position of a code-point offset."""
        return self._index.to_utf16(offset)

    def from_qt(self, position: int) -> int:
        """Code-point offset of a Qt (UTF-16) position."""
        return self._index.from_utf16(position)

    # -- content ------------------------------------------------------------------------

    def set_scheme(self, scheme: Scheme) -> None:
        self._scheme = scheme
        self._colours: dict[tuple[str, str], QColor] = {}

    @property
    def text(self) -> str:
        return self._text

    def set_text(self, text: str, *, heading: bool = False) -> None:
        """Show a new article (spans are cleared; call :meth:`set_spans`).

        ``heading``: the first line is the article's title; it is set larger and bold.
        """
        self._text = text
        self._index = Utf16Index(text)
        self._items = {}
        self._entities = _LayerIndex(())
        self._stances = _LayerIndex(())
        self.focused_id = None
        # setPlainText formats the new text like the cursor's position: after a
        # heading, that would set a whole article in bold.
        self.setCurrentCharFormat(QTextCharFormat())
        self.setPlainText(text)
        if heading and text:
            first = self.document().firstBlock()
            cursor = QTextCursor(first)
            cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
            fmt = QTextCharFormat()
            fmt.setFontWeight(QFont.Weight.Bold)
            fmt.setFontPointSize(self.font().pointSizeF() + 3)
            cursor.mergeCharFormat(fmt)
        self.moveCursor(QTextCursor.MoveOperation.Start)

    def is_bold_at(self, offset: int) -> bool:
        """Whether the character before code point ``offset`` is set in bold."""
        cursor = QTextCursor(self.document())
        cursor.setPosition(self.to_qt(offset))
        return cursor.charFormat().fontWeight() >= QFont.Weight.Bold

    def has_heading(self) -> bool:
        """Whether the first line is shown as a heading (bold)."""
        return self.is_bold_at(1)

    def _colour(self, span: Span) -> QColor:
        # One shared QColor per label: thousands of spans, a dozen colours.
        key = (span.layer, span.label)
        colour = self._colours.get(key)
        if colour is None:
            label = self._scheme.label(span.layer, span.label) if self._scheme else None
            colour = self._colours[key] = QColor(label.colour if label else _FALLBACK_COLOUR)
        return colour

    def _item(self, span: Span) -> _Item:
        return _Item(span, self.to_qt(span.start), self.to_qt(span.end), self._colour(span))

    def _reindex(self) -> None:
        ents = [it for it in self._items.values() if it.span.layer == "entity"]
        stances = [it for it in self._items.values() if it.span.layer == "stance"]
        self._entities = _LayerIndex(ents)
        self._stances = _LayerIndex(stances)
        _assign_depths(self._entities.items, "depth")
        _assign_depths(self._stances.items, "lane")
        previous: _Item | None = None
        for it in self._stances.items:
            it.step_aside = bool(previous is not None and previous.span.label == it.span.label
                                 and not previous.step_aside and it.start - previous.end <= 2
                                 and previous.lane == it.lane)
            previous = it

    def set_spans(self, spans: Iterable[Span], focused_id: int | None = None) -> None:
        """Show these spans (the whole set) and repaint."""
        self._items = {s.id: self._item(s) for s in spans}
        self.focused_id = focused_id if focused_id in self._items else None
        self._reindex()
        self._repaint_all()

    def update_spans(self, spans: Iterable[Span], removed: Iterable[int] = (),
                     ranges: Iterable[tuple[int, int]] = ()) -> None:
        """Replace or remove some spans and repaint only their ranges.

        ``ranges`` are extra code-point ranges to repaint (where removed or
        resized spans used to be). A stance whose holder changed is repainted too
        (its tag names the holder).
        """
        spans = list(spans)
        removed = list(removed)
        dirty = list(ranges)
        changed = {s.id for s in spans} | set(removed)
        for it in self._stances.items:
            if it.span.holder_span_id in changed:
                dirty.append((it.span.start, it.span.end))
        # Only the changed spans are re-measured; the layer indexes are rebuilt
        # only when a span appeared, vanished or moved.
        moved = bool(removed)
        for span_id in removed:
            old = self._items.pop(span_id, None)
            if old is not None:
                dirty.append((old.span.start, old.span.end))
        for span in spans:
            old = self._items.get(span.id)
            if old is not None:
                dirty.append((old.span.start, old.span.end))
                if (old.span.start, old.span.end, old.span.layer) == (span.start, span.end, span.layer):
                    # Same place (accepted, relabelled, retargeted): update in place.
                    old.span = span
                    old.colour = self._colour(span)
                    continue
            moved = True
            self._items[span.id] = self._item(span)
            dirty.append((span.start, span.end))
        if moved:
            self._reindex()
        for start, end in set(dirty):
            self.repaint_range(start, end)

    def set_focused(self, span_id: int | None, *, ensure_visible: bool = True) -> None:
        old = self._items.get(self.focused_id) if self.focused_id is not None else None
        self.focused_id = span_id if span_id in self._items else None
        if old is not None:
            self.repaint_range(old.span.start, old.span.end)
        new = self._items.get(self.focused_id) if self.focused_id is not None else None
        if new is not None:
            self.repaint_range(new.span.start, new.span.end)
            if ensure_visible:
                self.show_range(new.span.start, new.span.end)

    def spans_shown(self) -> list[Span]:
        return [it.span for it in self._items.values()]

    # -- cursor and selection (code points) ---------------------------------------------

    def selected_range(self) -> tuple[int, int] | None:
        cursor = self.textCursor()
        if not cursor.hasSelection():
            return None
        return self.from_qt(cursor.selectionStart()), self.from_qt(cursor.selectionEnd())

    def cursor_offset(self) -> int:
        return self.from_qt(self.textCursor().position())

    def place_cursor(self, offset: int) -> None:
        """Put the text cursor (the reading position) at a code point, no selection."""
        cursor = QTextCursor(self.document())
        cursor.setPosition(self.to_qt(offset))
        self.setTextCursor(cursor)

    def select_range(self, start: int, end: int) -> None:
        cursor = QTextCursor(self.document())
        cursor.setPosition(self.to_qt(start))
        cursor.setPosition(self.to_qt(end), QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)

    def clear_selection(self) -> None:
        cursor = self.textCursor()
        if cursor.hasSelection():
            cursor.clearSelection()
            self.setTextCursor(cursor)

    def show_range(self, start: int, end: int) -> None:
        """Scroll so the range is visible with a few lines of context below and
        above it (look-ahead), and put the cursor at its start."""
        cursor = QTextCursor(self.document())
        cursor.setPosition(self.to_qt(end))
        self.setTextCursor(cursor)
        self.ensureCursorVisible()
        cursor.setPosition(self.to_qt(start))
        self.setTextCursor(cursor)
        self.ensureCursorVisible()
        rects = self.range_rects(start, end)
        if not rects:
            return
        margin = LOOK_AHEAD_LINES * self.fontMetrics().lineSpacing()
        height = self.viewport().height()
        top, bottom = rects[0].top(), rects[-1].bottom()
        if bottom > height - margin or top < margin:
            bar = self.verticalScrollBar()
            if bottom - top < height - 2 * margin:
                # Lines (QPlainTextEdit scrolls by line): bring the range to the middle.
                lines = int(((top + bottom) / 2 - height / 2) / max(1, self.fontMetrics().lineSpacing()))
                bar.setValue(bar.value() + lines)
            elif top < margin or top > height - margin:
                lines = int((top - margin) / max(1, self.fontMetrics().lineSpacing()))
                bar.setValue(bar.value() + lines)

    def range_on_screen(self, start: int, end: int) -> bool:
        return bool(self.range_rects(start, end))

    def snap_selection(self) -> tuple[int, int] | None:
        """Widen the selection to whole tokens (per the snapper) and show it so."""
        rng = self.selected_range()
        if rng is None or self.snapper is None:
            return rng
        snapped = self.snapper(*rng)
        if snapped is None:
            self.clear_selection()
        elif snapped != rng:
            self.select_range(*snapped)
        return snapped

    # -- geometry -----------------------------------------------------------------------

    def _visible_qt_range(self) -> tuple[int, int]:
        """UTF-16 range of the lines inside the viewport (line-exact, so a long
        single-paragraph article still limits painting to what is on screen)."""
        block = self.firstVisibleBlock()
        if not block.isValid():
            return 0, 0
        offset = self.contentOffset()
        height = self.viewport().height()
        geo = self.blockBoundingGeometry(block).translated(offset)
        start = block.position() + self._line_start_at(block, -geo.top(), first=True)
        end = start
        while block.isValid():
            geo = self.blockBoundingGeometry(block).translated(offset)
            if geo.top() > height:
                break
            if geo.bottom() > height:
                end = block.position() + self._line_start_at(block, height - geo.top(), first=False)
                break
            end = block.position() + block.length()
            block = block.next()
        return start, end

    @staticmethod
    def _line_start_at(block, y: float, *, first: bool) -> int:
        """Position in ``block`` where the first line reaching ``y`` starts
        (``first``), or where the last line starting above ``y`` ends."""
        layout = block.layout()
        n = layout.lineCount()
        if n == 0:
            return 0
        lo, hi = 0, n
        while lo < hi:  # first line whose bottom lies below y
            mid = (lo + hi) // 2
            line = layout.lineAt(mid)
            if line.y() + line.height() < y:
                lo = mid + 1
            else:
                hi = mid
        if first:
            return layout.lineAt(min(lo, n - 1)).textStart()
        line = layout.lineAt(min(lo, n - 1))
        return line.textStart() + line.textLength()

    def qt_range_rects(self, start: int, end: int, *, clip: QRectF | None = None) -> list[QRectF]:
        """Viewport rectangles (one per line) covering the UTF-16 range [start, end)."""
        rects: list[QRectF] = []
        if end <= start:
            return rects
        doc = self.document()
        offset = self.contentOffset()
        height = self.viewport().height()
        top_limit = clip.top() if clip is not None else 0.0
        bottom_limit = clip.bottom() if clip is not None else float(height)
        block = doc.findBlock(start)
        if block.isValid() and self.blockBoundingGeometry(block).translated(offset).bottom() < top_limit:
            # Jump straight to the first visible block for ranges starting far above.
            first = self.firstVisibleBlock()
            if first.isValid() and first.position() > block.position():
                block = first
        while block.isValid() and block.position() < end:
            geo = self.blockBoundingGeometry(block).translated(offset)
            if geo.top() > bottom_limit:
                break
            if geo.bottom() >= top_limit and block.isVisible():
                layout = block.layout()
                bpos = block.position()
                # Start at the range's own line: a long paragraph has hundreds.
                first_line = layout.lineForTextPosition(max(start - bpos, 0)) if start > bpos else None
                i0 = first_line.lineNumber() if first_line is not None and first_line.isValid() else 0
                for i in range(i0, layout.lineCount()):
                    line = layout.lineAt(i)
                    ls = bpos + line.textStart()
                    if ls >= end:
                        break
                    le = ls + line.textLength()
                    a, b = max(start, ls), min(end, le)
                    if a >= b:
                        continue
                    x1 = line.cursorToX(a - bpos)[0]
                    x2 = line.cursorToX(b - bpos)[0]
                    if x2 < x1:
                        x1, x2 = x2, x1
                    rects.append(QRectF(geo.left() + x1, geo.top() + line.y(), x2 - x1, line.height()))
            block = block.next()
        return rects

    def _visible_lines(self, top: float, bottom: float) -> tuple[list[int], list[tuple]]:
        """The laid-out lines between viewport ``top`` and ``bottom``, once per paint:
        (line starts, [(start, end, line, x0, y0, block position)]) in UTF-16."""
        starts: list[int] = []
        lines: list[tuple] = []
        block = self.firstVisibleBlock()
        offset = self.contentOffset()
        while block.isValid():
            geo = self.blockBoundingGeometry(block).translated(offset)
            if geo.top() > bottom:
                break
            if geo.bottom() >= top and block.isVisible():
                layout = block.layout()
                bpos = block.position()
                n = layout.lineCount()
                lo, hi = 0, n
                while lo < hi:  # first line reaching ``top``
                    mid = (lo + hi) // 2
                    ln = layout.lineAt(mid)
                    if geo.top() + ln.y() + ln.height() < top:
                        lo = mid + 1
                    else:
                        hi = mid
                for i in range(lo, n):
                    line = layout.lineAt(i)
                    if geo.top() + line.y() > bottom:
                        break
                    ls = bpos + line.textStart()
                    starts.append(ls)
                    lines.append((ls, ls + line.textLength(), line, geo.left(), geo.top(), bpos))
            block = block.next()
        return starts, lines

    @staticmethod
    def _rects_on_lines(starts: list[int], lines: list[tuple], start: int, end: int) -> list[QRectF]:
        rects = []
        i = max(bisect.bisect_right(starts, start) - 1, 0)
        while i < len(lines):
            ls, le, line, x0, y0, bpos = lines[i]
            if ls >= end:
                break
            a, b = max(start, ls), min(end, le)
            if a < b:
                x1 = line.cursorToX(a - bpos)[0]
                x2 = line.cursorToX(b - bpos)[0]
                if x2 < x1:
                    x1, x2 = x2, x1
                rects.append(QRectF(x0 + x1, y0 + line.y(), x2 - x1, line.height()))
            i += 1
        return rects

    def range_rects(self, start: int, end: int) -> list[QRectF]:
        """Viewport rectangles of a code-point range (visible lines only)."""
        return self.qt_range_rects(self.to_qt(start), self.to_qt(end))

    def repaint_range(self, start: int, end: int) -> None:
        """Schedule a repaint of a code-point range and its margins, nothing else."""
        rects = self.range_rects(start, end)
        if not rects:
            return
        top = min(r.top() for r in rects)
        bottom = max(r.bottom() for r in rects)
        width = self.viewport().width()
        for r in rects:
            # Whole line width: tags, outlines and underlines reach past the glyphs.
            self.viewport().update(QRect(0, int(r.top()) - 4, width, int(r.height()) + 12))
        self._left.update(QRect(0, int(top) - 4, self._left.width(), int(bottom - top) + 12))
        self._right.update(QRect(0, int(top) - 40, self._right.width(), int(bottom - top) + 80))

    def _repaint_all(self) -> None:
        self.viewport().update()
        self._left.update()
        self._right.update()

    def _scrolled(self, rect: QRect, dy: int) -> None:
        if dy:
            self._left.scroll(0, dy)
            self._right.scroll(0, dy)
        else:
            self._left.update(0, rect.y(), self._left.width(), rect.height())
            self._right.update(0, rect.y(), self._right.width(), rect.height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        cr = self.contentsRect()
        self._left.setGeometry(QRect(cr.left(), cr.top(), LEFT_MARGIN, cr.height()))
        self._right.setGeometry(QRect(cr.right() - TAG_COLUMN + 1, cr.top(), TAG_COLUMN, cr.height()))

    # -- painting -----------------------------------------------------------------------

    def _visible_items(self, clip: QRectF | None) -> tuple[list[_Item], list[_Item]]:
        """Spans drawn inside ``clip`` (viewport coordinates; None: the whole viewport)."""
        vs, ve = self._visible_qt_range()
        if clip is not None and not self.document().isEmpty():
            # A small update rect (one decision) narrows the range to its lines.
            top = self.cursorForPosition(QPoint(0, max(0, int(clip.top()) - 2))).position()
            bottom = self.cursorForPosition(QPoint(self.viewport().width(), int(clip.bottom()) + 2)).position()
            vs, ve = max(vs, top - 1), min(ve, bottom + 1)
        return self._stances.overlapping(vs, ve), self._entities.overlapping(vs, ve)

    def _dark(self) -> bool:
        return self.palette().color(QPalette.ColorRole.Base).lightness() < 128

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        clip = QRectF(event.rect())
        parts = list(event.region())
        if len(parts) > 1:
            # Two small places (the decided span, the next focus): the spans of
            # each, not of every line between them.
            seen: set[int] = set()
            stances, entities = [], []
            for part in parts:
                st, en = self._visible_items(QRectF(part))
                stances += [it for it in st if id(it) not in seen and not seen.add(id(it))]
                entities += [it for it in en if id(it) not in seen and not seen.add(id(it))]
            stances.sort(key=lambda it: (it.start, -it.end))
            entities.sort(key=lambda it: (it.start, -it.end))
        else:
            stances, entities = self._visible_items(clip)
        dark = self._dark()
        starts, lines = self._visible_lines(clip.top() - 40, clip.bottom() + 40)
        geoms = {id(it): self._rects_on_lines(starts, lines, it.start, it.end) for it in (*stances, *entities)}
        p = QPainter(self.viewport())
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        # Under the text: stance tints, then entity fills (inner ones on top). Only
        # stances in the first lane are tinted: tints of overlapping stances (FAVOR
        # over AGAINST) would mix into a colour of neither; the bars show the rest.
        for it in stances:
            if it.lane:
                continue
            c = QColor(it.colour)
            c.setAlpha((46 if dark else 30) if it.span.status == "accepted" else (26 if dark else 16))
            rects = geoms[id(it)]
            for r in rects:
                p.fillRect(r.adjusted(0, -2, 0, 2), c)
            if rects:
                # A stance's first character gets a tick: two adjacent stances of
                # one label read as two.
                first = rects[0]
                tick = QColor(it.colour)
                tick.setAlpha(200)
                p.fillRect(QRectF(first.left() - 1, first.top() - 2, 2, first.height() + 4), tick)
        for it in entities:
            c = QColor(it.colour)
            accepted = it.span.status == "accepted"
            c.setAlpha((110 if dark else 80) if accepted else (40 if dark else 28))
            inset = min(it.depth, 3) * 2.0
            p.setBrush(c)
            for r in geoms[id(it)]:
                p.drawRoundedRect(r.adjusted(0, inset, 0, -inset), 3, 3)
        p.end()
        super().paintEvent(event)
        p = QPainter(self.viewport())
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        # Over the text: suggestion outlines and stacked underlines.
        for it in stances:
            if it.span.status != "accepted":
                pen = QPen(it.colour, 1.2, Qt.PenStyle.DotLine)
                p.setPen(pen)
                for r in geoms[id(it)]:
                    y = r.bottom() + 1.5
                    p.drawLine(QPointF(r.left(), y), QPointF(r.right(), y))
        for it in entities:
            accepted = it.span.status == "accepted"
            rects = geoms[id(it)]
            inset = min(it.depth, 3) * 2.0
            if accepted:
                pen = QPen(it.colour, 2.0)
                pen.setCapStyle(Qt.PenCapStyle.FlatCap)
                p.setPen(pen)
                for r in rects:
                    # Stacked inside the line box: the plain-text layout has no extra leading.
                    y = r.bottom() - 1.0 - min(it.depth, 3) * 3.0
                    p.drawLine(QPointF(r.left() + 1, y), QPointF(r.right() - 1, y))
            else:
                pen = QPen(it.colour, 1.3, Qt.PenStyle.DashLine)
                p.setPen(pen)
                p.setBrush(Qt.BrushStyle.NoBrush)
                for r in rects:
                    p.drawRoundedRect(r.adjusted(0.5, inset + 0.5, -0.5, -inset - 0.5), 3, 3)
        focused = self._items.get(self.focused_id) if self.focused_id is not None else None
        if focused is not None:
            rects = geoms.get(id(focused)) or self.qt_range_rects(focused.start, focused.end, clip=clip)
            focus_colour = self.palette().color(QPalette.ColorRole.Text)
            pen = QPen(focus_colour, 2.0)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            grow = 3.0 if focused.span.layer == "stance" else 1.5
            path = QPainterPath()
            for r in rects:
                path.addRoundedRect(r.adjusted(-grow, -grow, grow, grow), 4, 4)
            p.drawPath(path.simplified())
        p.end()

    @staticmethod
    def bar_x(it: _Item) -> float:
        """Left edge of a stance's bar in the left margin (lanes step left)."""
        return LEFT_MARGIN - BAR_WIDTH - 3 - (it.lane + it.step_aside) * (BAR_WIDTH + 2)

    def _paint_bars(self, p: QPainter, rect: QRect) -> None:
        p.fillRect(rect, self.palette().color(QPalette.ColorRole.Base))
        stances, _ = self._visible_items(None)
        starts, lines = self._visible_lines(-2.0, self.viewport().height() + 2.0)
        for it in stances:
            rects = self._rects_on_lines(starts, lines, it.start, it.end)
            if not rects:
                continue
            # A gap at both ends: adjacent stances of one label stay two bars.
            top, bottom = rects[0].top() + 2, rects[-1].bottom() - 2
            x = self.bar_x(it)
            focused = it.span.id == self.focused_id
            width = BAR_WIDTH + (2 if focused else 0)
            bar = QRectF(max(1.0, x - (2 if focused else 0)), top, width, bottom - top)
            if it.span.status == "accepted":
                p.fillRect(bar, it.colour)
            else:
                light = QColor(it.colour)
                light.setAlpha(70)
                p.fillRect(bar, light)
                pen = QPen(it.colour, 1.0, Qt.PenStyle.DashLine)
                p.setPen(pen)
                p.drawRect(bar.adjusted(0.5, 0.5, -0.5, -0.5))
                p.setPen(Qt.PenStyle.NoPen)

    def _paint_tags(self, p: QPainter, rect: QRect) -> None:
        p.fillRect(rect, self.palette().color(QPalette.ColorRole.Base))
        # Every visible stance: tags stack from the top, so one moved tag can move others.
        stances, _ = self._visible_items(None)
        font = QFont(self.font())
        font.setPointSizeF(max(7.5, font.pointSizeF() - 3.5))
        bold = QFont(font)
        bold.setBold(True)
        fm, fmb = QFontMetricsF(font), QFontMetricsF(bold)
        pad, gap = 6.0, 3.0
        next_free = -1e9
        starts, lines = self._visible_lines(-2.0, self.viewport().height() + 2.0)
        for it in stances:
            rects = self._rects_on_lines(starts, lines, it.start, it.end)
            if not rects:
                continue
            y = max(rects[0].top(), next_free)
            holder = self._holder_text(it.span)
            target = it.span.target or "no target (T)"
            inner_width = TAG_COLUMN - 14 - 2 * pad
            # Whole names: the holder and the target wrap onto a line each.
            rows = [(it.span.label + ("" if _is_accepted(it.span) else " · suggestion"), bold)]
            if holder:
                rows.append(("held by " + holder, font))
            rows.append(("→ " + target, font))
            height = sum((fmb if f is bold else fm).height() for _t, f in rows) + pad * 1.2
            box = QRectF(8, y, TAG_COLUMN - 14, height)
            next_free = box.bottom() + gap
            accepted = it.span.status == "accepted"
            focused = it.span.id == self.focused_id
            fill = QColor(it.colour)
            if not accepted:
                fill.setAlpha(38)
            p.setBrush(fill)
            pen = QPen(self.palette().color(QPalette.ColorRole.Text), 2.0) if focused else \
                QPen(it.colour, 1.0, Qt.PenStyle.SolidLine if accepted else Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.drawRoundedRect(box, 5, 5)
            text_colour = QColor("#ffffff") if accepted else self.palette().color(QPalette.ColorRole.Text)
            p.setPen(text_colour)
            inner = box.adjusted(pad, pad * 0.6, -pad, -pad * 0.6)
            y = inner.top()
            for text, f in rows:
                metrics = fmb if f is bold else fm
                p.setFont(f)
                p.drawText(QPointF(inner.left(), y + metrics.ascent()),
                           metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, inner_width))
                y += metrics.height()

    def tag_lines(self, span: Span) -> list[str]:
        """The text of a stance's tag, line by line (what the margin paints)."""
        holder = self._holder_text(span)
        lines = [span.label + ("" if _is_accepted(span) else " · suggestion")]
        if holder:
            lines.append("held by " + holder)
        lines.append("→ " + (span.target or "no target (T)"))
        return lines

    def _holder_text(self, span: Span) -> str | None:
        if span.holder_span_id is None:
            return None
        holder = self._items.get(span.holder_span_id)
        if holder is None:
            return f"span {span.holder_span_id}"
        return " ".join(self._text[holder.span.start:holder.span.end].split())

    # -- hover and mouse ----------------------------------------------------------------

    def span_at_point(self, point: QPoint) -> Span | None:
        """The innermost span drawn under a viewport point."""
        pos = self.cursorForPosition(point).position()
        candidates = self._entities.overlapping(pos - 1, pos + 1) + self._stances.overlapping(pos - 1, pos + 1)
        hits = []
        for it in candidates:
            for r in self.qt_range_rects(it.start, it.end, clip=QRectF(0, point.y() - 40, 1, 80)):
                if r.adjusted(-1, -2, 1, 2).contains(QPointF(point)):
                    hits.append(it)
                    break
        if not hits:
            return None
        hits.sort(key=lambda it: (it.span.layer != "entity", it.end - it.start))
        return hits[0].span

    def tooltip_html(self, span: Span) -> str:
        """What hovering a span shows: label, status, origin, score, stance details."""
        status = {"suggested": "suggestion", "accepted": "accepted", "rejected": "rejected"}.get(
            span.status, span.status)
        score = f"score {span.score:.2f}" if span.score is not None else "no score"
        colour = self._colour(span).name()
        quote = " ".join(self._text[span.start:span.end].split())
        if len(quote) > 120:
            quote = quote[:119] + "…"
        rows = [f"<b style='color:{colour}'>{html.escape(span.label)}</b> &nbsp;·&nbsp; {status}",
                f"origin: {html.escape(span.origin or 'unknown')} &nbsp;·&nbsp; {score}"]
        if span.layer == "stance":
            rows.append(f"target: {html.escape(span.target or 'none')}")
            rows.append(f"holder: {html.escape(self._holder_text(span) or 'none')}")
            rows.append(f"cue: {html.escape(repr(span.cue) if span.cue else 'none')}")
        elif span.cue:  # why an entity is suggested: "you labelled this GPE in 3 articles"
            rows.append(html.escape(span.cue))
        rows.append(f"<i>“{html.escape(quote)}”</i>")
        return "<br>".join(rows)

    def viewportEvent(self, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ToolTip:
            span = self.span_at_point(event.pos())
            if span is None:
                QToolTip.hideText()
                event.ignore()
            else:
                QToolTip.showText(event.globalPos(), self.tooltip_html(span), self.viewport())
            return True
        return super().viewportEvent(event)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._press_pos = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().mouseReleaseEvent(event)
        press, self._press_pos = self._press_pos, None
        if self.textCursor().hasSelection():
            self.snap_selection()
            return
        if press is not None and (event.position().toPoint() - press).manhattanLength() < 4:
            span = self.span_at_point(event.position().toPoint())
            if span is not None:
                self.span_clicked.emit(span.id)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        mods = event.modifiers()
        key = event.key()
        if (self.token_step is not None and mods == Qt.KeyboardModifier.ShiftModifier
                and key in (Qt.Key.Key_Left, Qt.Key.Key_Right)):
            # Token mode: Shift+arrows extend the selection a token at a time.
            cursor = self.textCursor()
            pos = self.from_qt(cursor.position())
            new = self.token_step(pos, 1 if key == Qt.Key.Key_Right else -1)
            if new is not None:
                cursor.setPosition(self.to_qt(new), QTextCursor.MoveMode.KeepAnchor)
                self.setTextCursor(cursor)
            return
        super().keyPressEvent(event)

    def sizeHint(self) -> QSize:
        return QSize(720, 560)
