"""A keyboard-driven pick list shown over the article (stance targets, holders)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

__all__ = ["ChoiceList"]

#: Keys that pick the n-th visible entry, in order.
PICK_KEYS = "1234567890"


class ChoiceList(QFrame):
    """A keyboard-driven pick list over the article (stance targets, holders).

    Up/Down move, Enter picks, 1–9 and 0 pick one of the first ten entries shown,
    typing letters filters the entries (Backspace undoes), Esc closes. Emits
    :attr:`chosen` with the entry's data. An entry can carry a second, dimmer line
    of detail (a holder's sentence).
    """

    chosen = Signal(object)
    cancelled = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("ChoiceList")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.title = QLabel(self)
        self.title.setObjectName("ChoiceTitle")
        self.filter = QLineEdit(self)
        self.filter.setObjectName("ChoiceFilter")
        self.filter.setPlaceholderText("Type to filter…")
        self.filter.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.filter.textChanged.connect(self._refill)
        self.list = QListWidget(self)
        self.list.setWordWrap(True)
        self.list.installEventFilter(self)
        self.list.itemActivated.connect(lambda item: self._pick_item(item))
        layout.addWidget(self.title)
        layout.addWidget(self.filter)
        layout.addWidget(self.list)
        self._entries: list[tuple[str, object, str]] = []
        self.hide()

    def open(self, title: str, entries: list[tuple[str, object]], anchor: QPoint, *, current: int = 0,
             details: list[str] | None = None) -> None:
        self.title.setText(title)
        details = details or [""] * len(entries)
        self._entries = [(text, data, detail) for (text, data), detail in zip(entries, details, strict=True)]
        self.filter.blockSignals(True)
        self.filter.clear()
        self.filter.blockSignals(False)
        self.filter.setVisible(len(entries) > len(PICK_KEYS))
        self._refill()
        self.list.setCurrentRow(max(0, min(current, self.list.count() - 1)))
        parent = self.parentWidget().rect()
        width = min(max(380, self.list.sizeHintForColumn(0) + 40), parent.width() - 20)
        rows = min(len(entries), 10)
        row_height = max((self.list.sizeHintForRow(i) for i in range(min(rows, self.list.count()))), default=18)
        height = rows * max(row_height, 18) + self.title.sizeHint().height() + 30
        if self.filter.isVisible():
            height += self.filter.sizeHint().height() + 6
        height = min(height, parent.height() - 16)
        self.resize(width, height)
        x = min(max(anchor.x(), 8), parent.width() - width - 8)
        y = anchor.y() if anchor.y() + height < parent.height() else max(8, anchor.y() - height - 30)
        self.move(x, y)
        self.show()
        self.raise_()
        self.list.setFocus()

    def _refill(self) -> None:
        needle = self.filter.text().casefold()
        self.list.clear()
        shown = 0
        for index, (text, _data, detail) in enumerate(self._entries):
            if needle and needle not in text.casefold():
                continue
            prefix = f"{PICK_KEYS[shown]}  " if shown < len(PICK_KEYS) else "    "
            item = QListWidgetItem(prefix + text + (f"\n      {detail}" if detail else ""))
            item.setData(Qt.ItemDataRole.UserRole, index)
            if detail:
                item.setToolTip(detail)
            self.list.addItem(item)
            shown += 1
        if self.list.count():
            self.list.setCurrentRow(0)

    def visible_texts(self) -> list[str]:
        """The entries shown (after the filter), without key prefixes or detail."""
        return [self._entries[self.list.item(i).data(Qt.ItemDataRole.UserRole)][0]
                for i in range(self.list.count())]

    def _pick_item(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        data = self._entries[item.data(Qt.ItemDataRole.UserRole)][1]
        self.hide()
        self.chosen.emit(data)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if obj is self.list and event.type() == QEvent.Type.ShortcutOverride:
            # The list owns its keys while open: digits, letters, Enter and Esc
            # must not reach the editor's label, accept and clear shortcuts.
            event.accept()
            return True
        if obj is self.list and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            text = event.text()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._pick_item(self.list.currentItem())
                return True
            if key == Qt.Key.Key_Escape:
                if self.filter.text():
                    self.filter.clear()
                    return True
                self.hide()
                self.cancelled.emit()
                return True
            if text and text in PICK_KEYS and not (event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier):
                self._pick_item(self.list.item(PICK_KEYS.index(text)))
                return True
            if key == Qt.Key.Key_Backspace:
                self.filter.backspace()
                return True
            if text and text.isprintable() and not text.isdigit() and not (
                    event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)):
                self.filter.setVisible(True)
                self.filter.insert(text)
                return True
        return super().eventFilter(obj, event)

    def current_data(self) -> object | None:
        item = self.list.currentItem()
        return self._entries[item.data(Qt.ItemDataRole.UserRole)][1] if item is not None else None
