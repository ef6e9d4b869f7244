"""The editor controller: the article being annotated, its keys and its decisions.

:class:`AnnotationEditor` puts the view (:mod:`annotator.gui.article_view`), a
header and the pick list (:mod:`annotator.gui.choice_list`) together over an
:class:`~annotator.services.session.AnnotationSession`; the window's action
registry calls its slots, and every decision goes through :attr:`run_command`.
"""

from __future__ import annotations

import bisect
import html
from collections.abc import Callable

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from annotator.core.model import Span
from annotator.core.scheme import Scheme
from annotator.gui.article_view import LEFT_MARGIN, ArticleView
from annotator.gui.choice_list import ChoiceList
from annotator.services.session import AnnotationSession, Change, Command

__all__ = ["AnnotationEditor"]


class AnnotationEditor(QWidget):
    """The article being annotated: header, view and pick lists over a session.

    Decisions go through :attr:`run_command` (the window points it at its undo
    stack); without a window they run directly. The slots below are what the
    action registry calls.

    Signals
    -------
    document_loaded(int):
        A document was opened.
    decided(object):
        A :class:`~annotator.services.session.Change` was applied (done, undone or redone).
    focus_changed(object):
        The focused span changed (a :class:`Span` or None).
    """

    document_loaded = Signal(int)
    decided = Signal(object)
    focus_changed = Signal(object)
    message = Signal(str)

    def __init__(self, session: AnnotationSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("AnnotationEditor")
        self.session = session
        self.run_command: Callable[[Command], Change] = self._run_directly
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        header = QWidget(self)
        header.setObjectName("ArticleHeader")
        hl = QHBoxLayout(header)
        hl.setContentsMargins(LEFT_MARGIN + 14, 10, 14, 6)
        self.title = QLabel("No article open", header)
        self.title.setObjectName("ArticleTitle")
        tf = QFont(self.title.font())
        tf.setPointSizeF(tf.pointSizeF() + 4)
        tf.setBold(True)
        self.title.setFont(tf)
        self.title.setWordWrap(True)
        self.summary = QLabel("", header)
        self.summary.setObjectName("ArticleSummary")
        self.summary.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        hl.addWidget(self.title, 1)
        hl.addWidget(self.summary)
        layout.addWidget(header)
        self.view = ArticleView(self)
        self.view.set_scheme(session.scheme)
        self.view.snapper = None if session.char_mode else session.snap
        self.view.token_step = None if session.char_mode else self._token_step
        self.view.span_clicked.connect(self.focus_span)
        layout.addWidget(self.view, 1)
        self.setFocusProxy(self.view)
        self.choices = ChoiceList(self)
        self._choice_handler: Callable[[object], None] | None = None
        self.choices.chosen.connect(self._choice_made)
        self.choices.cancelled.connect(self.view.setFocus)

    # -- documents ----------------------------------------------------------------------

    @property
    def doc_id(self) -> int | None:
        return self.session.doc_id

    def load_document(self, doc_id: int) -> None:
        """Open an article with its suggested and accepted spans."""
        self.choices.hide()
        doc = self.session.load(doc_id)
        title = doc.title or f"Document {doc.id}"
        self.title.setText(html.escape(title))
        # The article's first line is usually its title: show it there, as a
        # heading, and not a second time above the text.
        first_line = doc.text.split("\n", 1)[0].strip()
        in_text = bool(doc.title) and " ".join(first_line.split()) == " ".join(doc.title.split())
        self.title.setVisible(not in_text)
        self.view.set_text(doc.text, heading=in_text)
        self.view.set_spans(self.session.spans())
        self._update_summary()
        self.document_loaded.emit(doc_id)
        self.focus_changed.emit(None)

    def reload_spans(self) -> None:
        """Suggestions arrived for the open article: show them, keep the focus."""
        focused = self.session.focused_id
        self.session.reload_spans()
        self.session.focus(focused)
        self.view.set_spans(self.session.spans(), self.session.focused_id)
        self._update_summary()

    def set_scheme(self, scheme: Scheme) -> None:
        self.session.scheme = scheme
        self.view.set_scheme(scheme)

    def _update_summary(self) -> None:
        accepted, pending = self.session.counts()
        status = self.session.doc_status().replace("_", " ")
        self.summary.setText(f"<span>{accepted} accepted · {pending} to review · <b>{status}</b></span>")

    def _token_step(self, pos: int, direction: int) -> int | None:
        tokens = self.session.tokens
        if direction > 0:
            i = bisect.bisect_right(tokens.ends, pos)
            return tokens.ends[i] if i < len(tokens.ends) else None
        i = bisect.bisect_left(tokens.starts, pos) - 1
        return tokens.starts[i] if i >= 0 else None

    # -- applying changes ---------------------------------------------------------------

    def _run_directly(self, command: Command) -> Change:
        change = command.do()
        self.apply_change(change)
        return change

    def apply_change(self, change: Change, *, follow: bool = True) -> None:
        """Show what a command did (called after do, undo and redo).

        A change to another article opens it, unless ``follow`` is false (a
        decision that waited for a busy project and is saved later, when the
        annotator has moved on): then only the listeners hear of it."""
        if change.doc_id != self.session.doc_id and not follow:
            self.decided.emit(change)
            return
        if change.doc_id != self.session.doc_id:
            self.load_document(change.doc_id)
            if change.focus is not None:
                self.focus_span(change.focus)
            self.decided.emit(change)
            return
        before = {sid: self.session.span(sid) for sid in change.span_ids}
        self.session.apply(change)
        present = [self.session.span(sid) for sid in change.span_ids if self.session.span(sid) is not None]
        removed = [sid for sid in change.span_ids if self.session.span(sid) is None]
        extra = [(s.start, s.end) for s in before.values() if s is not None] + list(change.ranges)
        self.view.update_spans(present, removed, extra)
        self.view.set_focused(self.session.focused_id)
        self._update_summary()
        self.focus_changed.emit(self.session.focused)
        self.decided.emit(change)

    def _decide(self, command: Command | None) -> Change | None:
        if command is None:
            return None
        return self.run_command(command)

    # -- slots the action registry calls ----------------------------------------------------

    def focus_span(self, span_id: int | None) -> None:
        span = self.session.focus(span_id)
        self.view.set_focused(self.session.focused_id)
        self.focus_changed.emit(span)

    def next_span(self) -> None:
        self._step(1)

    def previous_span(self) -> None:
        self._step(-1)

    def _step(self, step: int) -> None:
        # With nothing focused (after Esc, a click, a scroll), continue from the
        # text cursor: where the reader is, not the top of the article.
        self.view.clear_selection()
        span = self.session.focus_step(step, from_pos=self.view.cursor_offset())
        self.view.set_focused(span.id if span else None)
        self.focus_changed.emit(span)

    def _focused_on_screen(self) -> bool:
        """True when the focused span is visible; otherwise scroll to it and say so.

        A decision key never acts on a span the reader cannot see, and never does
        nothing without saying why."""
        span = self.session.focused
        if span is None:
            self.message.emit("Nothing is focused: press Tab to focus the next suggestion, then decide.")
            return False
        if self.view.range_rects(span.start, span.end):
            return True
        self.view.show_range(span.start, span.end)
        self.view.set_focused(span.id)
        self.message.emit("The focused span was off screen: it is shown now; press the key again to decide.")
        return False

    def accept(self) -> None:
        if self._focused_on_screen():
            self._decide(self.session.accept())

    def reject(self) -> None:
        if self._focused_on_screen():
            self._decide(self.session.reject())

    def accept_all(self) -> None:
        self._decide(self.session.accept_all())

    def clear(self) -> None:
        """Esc: drop the selection and the focus, keeping the reading position
        (the text cursor stays on the span that was focused, so Tab goes on from there)."""
        self.choices.hide()
        focused = self.session.focused
        self.view.clear_selection()
        self.focus_span(None)
        if focused is not None:
            self.view.place_cursor(focused.start)
        self.view.setFocus()

    def apply_label(self, layer: str, name: str) -> None:
        """A label hotkey or palette click: label the selection, else relabel the focus."""
        if layer == "entity":
            self.apply_entity_label(name)
        else:
            self.apply_stance_label(name)

    def apply_entity_label(self, name: str) -> None:
        rng = self.view.snap_selection()
        if rng is not None:
            self.view.clear_selection()
            self._decide(self.session.create(rng[0], rng[1], "entity", name))
            return
        focused = self.session.focused
        if focused is not None and focused.layer == "entity":
            if focused.label == name and focused.status == "suggested":
                self._decide(self.session.accept(focused))
            else:
                self._decide(self.session.relabel(name, focused))

    def apply_stance_label(self, name: str) -> None:
        rng = self.view.snap_selection()
        focused = self.session.focused
        cursor = self.view.cursor_offset()
        if (rng is None and focused is not None and focused.layer == "stance"
                and focused.start <= cursor <= focused.end):
            if focused.label == name and focused.status == "suggested":
                self._decide(self.session.accept(focused))
            else:
                self._decide(self.session.relabel(name, focused))
            return
        if rng is None:
            # The text cursor says which sentence (Tab puts it on the focused span;
            # arrows and clicks move it away from a focused entity).
            rng = self.session.sentence_at(self.view.cursor_offset())
        if rng is not None:
            self.view.clear_selection()
            self._decide(self.session.create(rng[0], rng[1], "stance", name))

    def resize_span(self, edge: str, step: int) -> None:
        self._decide(self.session.resize(edge, step))

    def _anchor_for(self, span: Span | None) -> QPoint:
        if span is not None:
            rects = self.view.range_rects(span.start, span.end)
            if rects:
                r = rects[-1]
                return self.view.viewport().mapTo(self, QPoint(int(r.left()), int(r.bottom()) + 6))
        return QPoint(LEFT_MARGIN + 20, 60)

    def choose_target(self) -> None:
        stance = self.session.focused
        if stance is None or stance.layer != "stance":
            self.message.emit("Focus a stance first (Tab), then press T to choose its target.")
            return
        names = self.session.scheme.target_names()
        entries = [(name, name) for name in names] + [("(no target)", None)]
        current = names.index(stance.target) if stance.target in names else 0
        self._choice_handler = lambda target: self._decide(self.session.set_target(target, self._current(stance)))
        self.choices.open(f"Target of the {stance.label} stance", entries, self._anchor_for(stance), current=current)

    def choose_holder(self) -> None:
        stance = self.session.focused
        if stance is None or stance.layer != "stance":
            self.message.emit("Focus a stance first (Tab), then press H to link its holder.")
            return
        candidates = self.session.holder_candidates(stance)
        current_holder = self.session.span(stance.holder_span_id)
        current_name = (" ".join(self.session.span_text(current_holder).split()).casefold()
                        if current_holder is not None else None)
        entries: list[tuple[str, object]] = []
        detail: list[str] = []
        current = 0
        for s in candidates:
            name = " ".join(self.session.span_text(s).split())
            mark = "" if s.status == "accepted" else " (suggestion)"
            if name.casefold() == current_name:
                current = len(entries)
            entries.append((f"{name}  ·  {s.label}{mark}", s))
            detail.append(self.session.context_of(s))
        entries.append(("(no holder)", None))
        detail.append("")
        if current_holder is None and stance.holder_span_id is None and not candidates:
            current = 0
        if len(entries) == 1:
            self.message.emit("No person, organisation, country or group labelled in this article; label one first.")
        self._choice_handler = lambda holder: self._decide(self.session.link_holder(
            self._current(holder) if isinstance(holder, Span) else None, self._current(stance)))
        self.choices.open(f"Holder of the {stance.label} stance (type to filter)", entries,
                          self._anchor_for(stance), current=current, details=detail)

    def _current(self, span: Span) -> Span | None:
        """``span`` as the open article holds it now: suggestions stored again in
        the background while a pick list was open may stand under a new id."""
        return self.session.equivalent_span(span)

    def _choice_made(self, data: object) -> None:
        handler, self._choice_handler = self._choice_handler, None
        self.view.setFocus()
        if handler is not None:
            handler(data)
