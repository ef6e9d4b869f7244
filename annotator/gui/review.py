"""Review mode: walk a team project's disagreements one at a time, by keyboard.

The :class:`ReviewPanel` sits in a dock beside the article. For the open article it
shows one disagreement at a time (a place where the annotators who finished the
article marked different things) with each annotator's version, numbered:

- ``1`` … ``9`` take that annotator's version; ``Up``/``Down`` move the focus among
  the versions and ``A`` (or ``Return``) accepts the focused one;
- ``E`` takes the focused version with another label, chosen from the scheme;
- ``N`` or ``Tab`` goes to the next disagreement (to the next article needing review
  after the last one), ``Shift+Tab`` or ``P`` back; ``Esc`` leaves Review mode.

Agreements are pre-accepted when an article opens. Each decision is a command of
:class:`~annotator.services.adjudication.ReviewSession` pushed on the window's one
undo stack, so Ctrl+Z takes it back. While the panel is shown the article view
shows only the reviewed layer (annotator ``adjudicated``), as it is being built.

Note for developers: the panel takes its keys through ``ShortcutOverride``, so the
window's single-letter shortcuts (N marks an article done) do not fire while it
has the focus.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.core.model import ADJUDICATED
from annotator.services.adjudication import Disagreement, ReviewSession, Version, unreviewed_doc_ids
from annotator.services.session import Change, Command
from annotator.storage import Project

__all__ = ["ReviewPanel"]

_HINT = ("<b>1–9</b> take a version · <b>↑↓</b> + <b>A</b> accept the focused one · <b>E</b> edit its label · "
         "<b>N</b>/<b>Tab</b> next · <b>Shift+Tab</b> previous · <b>Esc</b> leave")


class ReviewPanel(QWidget):
    """The review of one article at a time (see the module notes).

    Signals
    -------
    open_document(int):
        The review moved to another article: the window shows it.
    show_range(int, int):
        The current disagreement's code-point range, for the article view.
    leave():
        Esc: the user leaves Review mode.
    message(str):
        Something to say in the status bar.
    """

    open_document = Signal(int)
    show_range = Signal(int, int)
    leave = Signal()
    message = Signal(str)

    def __init__(self, project: Project, run: Callable[[Command], Change], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ReviewPanel")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.review = ReviewSession(project)
        self.run = run
        self.index = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        self.header = QLabel(self)
        self.header.setObjectName("ReviewHeader")
        self.header.setWordWrap(True)
        self.kind = QLabel(self)
        self.kind.setObjectName("ReviewKind")
        self.kind.setWordWrap(True)
        self.versions = QListWidget(self)
        self.versions.setObjectName("ReviewVersions")
        self.versions.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.versions.setWordWrap(True)
        self.hint = QLabel(_HINT, self)
        self.hint.setWordWrap(True)
        self.hint.setObjectName("ReviewHint")
        for w in (self.header, self.kind, self.versions, self.hint):
            layout.addWidget(w)
        layout.setStretch(2, 1)

    @property
    def project(self) -> Project:
        return self.review.project

    # -- what is shown --------------------------------------------------------------------

    @property
    def current(self) -> Disagreement | None:
        found = self.review.disagreements
        return found[self.index] if 0 <= self.index < len(found) else None

    def start(self, doc_id: int | None = None) -> bool:
        """Open ``doc_id`` (when it needs review) or the first article that does;
        False when no article was finished by two annotators."""
        reviewable = self.review.doc_ids()
        if not reviewable:
            self.message.emit("No article was finished by two or more annotators: merge their projects first "
                              "(annotator merge A.db B.db --into TEAM.db).")
            return False
        pending = unreviewed_doc_ids(self.project)
        if doc_id not in reviewable:
            doc_id = pending[0] if pending else reviewable[0]
        self.open(doc_id)
        return True

    def open(self, doc_id: int) -> None:
        """Review an article: pre-accept its agreements and go to its first open disagreement."""
        self.review.load(doc_id)
        self.open_document.emit(doc_id)
        command = self.review.pre_accept()
        if command is not None:
            self.run(command)
        self.review.refresh()
        open_places = [i for i, d in enumerate(self.review.disagreements) if not self.review.settled(d)]
        self.index = open_places[0] if open_places else 0
        self.refresh()

    def refresh(self) -> None:
        """Redraw from the project (after a decision, an undo or a redo)."""
        if self.review.document is None:
            return
        self.review.refresh()
        found = self.review.disagreements
        self.index = min(self.index, max(len(found) - 1, 0))
        doc = self.review.document
        settled = sum(self.review.settled(d) for d in found)
        left = len(unreviewed_doc_ids(self.project))
        self.header.setText(
            f"<b>{html.escape(doc.title or f'Article {doc.id}')}</b><br>"
            f"{settled} of {len(found)} disagreement(s) settled · {len(self.review.places) - len(found)} "
            f"agreement(s) pre-accepted · {left} article(s) still to review")
        self.versions.clear()
        current = self.current
        if current is None:
            self.kind.setText("Nothing to settle here: the annotators agree. <b>N</b> goes to the next article.")
            return
        chosen = self.review.chosen(current)
        self.kind.setText(f"Disagreement {self.index + 1} of {len(found)} ({current.layer}): "
                          f"<b>{html.escape(current.kind)}</b>"
                          + (f" — settled: {html.escape(', '.join(chosen))}'s version" if chosen else ""))
        for n, version in enumerate(current.versions, start=1):
            item = QListWidgetItem(f"{n}  {self._describe(version)}" + ("   ✓" if version.annotator in chosen else ""))
            item.setData(Qt.ItemDataRole.UserRole, version.annotator)
            self.versions.addItem(item)
        self.versions.setCurrentRow(0)
        self.show_range.emit(current.start, current.end)

    def _describe(self, version: Version) -> str:
        text = self.review.document.text if self.review.document else ""
        if not version.spans:
            return f"{version.annotator}: no span here"
        parts = []
        for s in version.spans:
            quote = " ".join(text[s.start:s.end].split())
            quote = quote if len(quote) <= 60 else quote[:59] + "…"
            extra = ""
            if s.layer == "stance":
                extra = f" → {s.target or 'no target'}"
                sig = next((t for t in version.signature if t[:2] == (s.start, s.end)), None)
                if sig and sig[4]:
                    extra += f", held by '{text[sig[4][0]:sig[4][1]]}'"
            parts.append(f"{s.label} '{quote}'{extra}")
        return f"{version.annotator}: " + "; ".join(parts)

    # -- decisions --------------------------------------------------------------------------

    def pick(self, number: int, *, label: str | None = None) -> bool:
        """Take version ``number`` (1-based) of the current disagreement, then go to the
        next open one."""
        current = self.current
        if current is None or not 1 <= number <= len(current.versions):
            return False
        command = self.review.pick(current, current.versions[number - 1].annotator, label=label)
        if command is None:
            return False
        self.run(command)
        self.refresh()
        self._advance_to_open()
        return True

    def accept_focused(self) -> bool:
        return self.pick(self.versions.currentRow() + 1)

    def edit_focused(self) -> bool:
        current = self.current
        row = self.versions.currentRow()
        if current is None or row < 0 or not current.versions[row].spans:
            self.message.emit("Nothing to edit: this version has no span. Take another version and edit that.")
            return False
        first = current.versions[row].spans[0]
        names = self.project.scheme().label_names(current.layer)
        label, ok = QInputDialog.getItem(self, "Edit the version", f"Label for {current.versions[row].annotator}'s "
                                         f"version:", names, max(names.index(first.label), 0) if first.label in names else 0,
                                         False)
        self.activateWindow()
        self.setFocus()  # the dialog hands the focus back to nobody on some platforms
        if not ok or not label:
            return False
        return self.pick(row + 1, label=label)

    def step(self, direction: int) -> None:
        """Next (or previous) disagreement; past the last one, the next article to review."""
        found = self.review.disagreements
        target = self.index + direction
        if 0 <= target < len(found):
            self.index = target
            self.refresh()
            return
        if direction > 0:
            self._next_article()
        else:
            self.message.emit("This is the first disagreement of the article.")

    def _advance_to_open(self) -> None:
        found = self.review.disagreements
        for i in list(range(self.index + 1, len(found))) + list(range(0, self.index)):
            if not self.review.settled(found[i]):
                self.index = i
                self.refresh()
                return
        if self.review.document is not None and self.project.doc_status(self.review.document.id, ADJUDICATED) == "done":
            self.message.emit("Article reviewed: every disagreement is settled. N goes to the next article.")

    def _next_article(self) -> None:
        current = self.review.document.id if self.review.document else None
        pending = [d for d in unreviewed_doc_ids(self.project) if d != current]
        if not pending:
            self.message.emit("Every article finished by several annotators is reviewed.")
            return
        later = [d for d in pending if current is None or d > current]
        self.open((later or pending)[0])

    # -- keys --------------------------------------------------------------------------------

    _KEYS = {Qt.Key.Key_A, Qt.Key.Key_E, Qt.Key.Key_N, Qt.Key.Key_P, Qt.Key.Key_Tab, Qt.Key.Key_Backtab,
             Qt.Key.Key_Escape, Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter,
             *(Qt.Key(Qt.Key.Key_1.value + i) for i in range(9))}

    def event(self, event: QEvent) -> bool:  # noqa: D401 - Qt override
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            mods = event.modifiers() & ~(Qt.KeyboardModifier.KeypadModifier | Qt.KeyboardModifier.ShiftModifier)
            if event.key() in self._KEYS and mods == Qt.KeyboardModifier.NoModifier:
                event.accept()
                return True
        if event.type() == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
            self.keyPressEvent(event)  # Tab would otherwise move the focus out of the panel
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = event.key()
        if Qt.Key.Key_1.value <= key <= Qt.Key.Key_9.value:
            self.pick(key - Qt.Key.Key_1.value + 1)
        elif key in (Qt.Key.Key_A, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.accept_focused()
        elif key == Qt.Key.Key_E:
            self.edit_focused()
        elif key in (Qt.Key.Key_N, Qt.Key.Key_Tab):
            self.step(1)
        elif key in (Qt.Key.Key_P, Qt.Key.Key_Backtab):
            self.step(-1)
        elif key == Qt.Key.Key_Up:
            self.versions.setCurrentRow(max(self.versions.currentRow() - 1, 0))
        elif key == Qt.Key.Key_Down:
            self.versions.setCurrentRow(min(self.versions.currentRow() + 1, self.versions.count() - 1))
        elif key == Qt.Key.Key_Escape:
            self.leave.emit()
        else:
            super().keyPressEvent(event)
