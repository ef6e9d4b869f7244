"""A keyboard-driven pick list shown over the article (stance targets, holders)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

__all__ = ["ChoiceList"]


class ChoiceList(QFrame):
    """A keyboard-driven pick list over the article (stance targets, holders).

    Up/Down move, Enter or a digit picks, Esc closes. Emits :attr:`chosen` with the
    item's data.
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
        self.list = QListWidget(self)
        self.list.installEventFilter(self)
        self.list.itemActivated.connect(lambda item: self._pick(self.list.row(item)))
        layout.addWidget(self.title)
        layout.addWidget(self.list)
        self._data: list[object] = []
        self.hide()

    def open(self, title: str, entries: list[tuple[str, object]], anchor: QPoint, *, current: int = 0) -> None:
        self.title.setText(title)
        self.list.clear()
        self._data = [data for _, data in entries]
        for i, (text, _) in enumerate(entries):
            prefix = f"{i + 1}  " if i < 9 else "    "
            self.list.addItem(QListWidgetItem(prefix + text))
        self.list.setCurrentRow(max(0, min(current, len(entries) - 1)))
        width = min(max(320, self.list.sizeHintForColumn(0) + 40), self.parentWidget().width() - 20)
        rows = min(len(entries), 10)
        height = rows * max(self.list.sizeHintForRow(0), 18) + self.title.sizeHint().height() + 30
        self.resize(width, height)
        parent = self.parentWidget().rect()
        x = min(max(anchor.x(), 8), parent.width() - width - 8)
        y = anchor.y() if anchor.y() + height < parent.height() else max(8, anchor.y() - height - 30)
        self.move(x, y)
        self.show()
        self.raise_()
        self.list.setFocus()

    def _pick(self, row: int) -> None:
        if 0 <= row < len(self._data):
            data = self._data[row]
            self.hide()
            self.chosen.emit(data)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if obj is self.list and event.type() == QEvent.Type.ShortcutOverride:
            # The list owns its keys while open: digits, Enter and Esc must not
            # reach the editor's label, accept and clear shortcuts.
            event.accept()
            return True
        if obj is self.list and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._pick(self.list.currentRow())
                return True
            if key == Qt.Key.Key_Escape:
                self.hide()
                self.cancelled.emit()
                return True
            if Qt.Key.Key_1 <= key <= Qt.Key.Key_9 and not event.modifiers():
                self._pick(key - Qt.Key.Key_1)
                return True
        return super().eventFilter(obj, event)

    def current_data(self) -> object | None:
        row = self.list.currentRow()
        return self._data[row] if 0 <= row < len(self._data) else None
