"""Edit > Keys: every action of the window with its keys, changed by pressing them.

Keys are the user's own (``QSettings``, group ``keys``), not the project's: two
annotators sharing a project file keep their own hands. Each action shows two
recordable keys; further default keys (Enter beside Return) are kept as they are.
A key bound twice where both actions could fire is refused with a message.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

__all__ = ["KeysDialog"]

SLOTS = 2


def _portable(seq: QKeySequence) -> str:
    return seq.toString(QKeySequence.SequenceFormat.PortableText)


class KeysDialog(QDialog):
    """The keys of every action, two recordable per action.

    Parameters
    ----------
    specs:
        The window's current action specs (with the user's keys).
    defaults:
        The registry's default keys by action id (for Reset).
    """

    keys_chosen = Signal(dict)

    def __init__(self, specs: list[Any], defaults: dict[str, tuple[str, ...]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("KeysDialog")
        self.setWindowTitle("Keys")
        self.resize(720, 640)
        self.specs = [s for s in specs if s.handler is not None or s.factory is not None]
        self.defaults = defaults
        self._extras: dict[str, tuple[str, ...]] = {}
        layout = QVBoxLayout(self)
        intro = QLabel("Click a key cell (or Tab to it) and press the keys you want; Backspace in an empty "
                       "cell clears it. Your keys are kept for you on this computer.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter actions…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter_rows)
        layout.addWidget(self.filter)
        self.table = QTableWidget(len(self.specs), 1 + SLOTS, self)
        self.table.setHorizontalHeaderLabels(["Action", "Key", "Second key"])
        self.table.verticalHeader().hide()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, 1 + SLOTS):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(col, 170)
        self.edits: dict[str, list[QKeySequenceEdit]] = {}
        for row, spec in enumerate(self.specs):
            menu = str(spec.menu).replace("&", "").replace("/", " › ")
            item = QTableWidgetItem(f"{spec.text.replace('&', '')}   ({menu})" if menu else spec.text.replace("&", ""))
            item.setToolTip(f"{spec.id}: {spec.tip}")
            self.table.setItem(row, 0, item)
            edits = []
            for col in range(SLOTS):
                edit = QKeySequenceEdit(self.table)
                edit.setObjectName(f"{spec.id}#{col}")
                if hasattr(edit, "setMaximumSequenceLength"):
                    edit.setMaximumSequenceLength(1)
                if hasattr(edit, "setClearButtonEnabled"):
                    edit.setClearButtonEnabled(True)
                self.table.setCellWidget(row, 1 + col, edit)
                edits.append(edit)
            self.edits[spec.id] = edits
            self._show_keys(spec.id, tuple(spec.shortcuts))
        layout.addWidget(self.table, 1)
        self.problem = QLabel("", self)
        self.problem.setObjectName("KeysProblem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #d55e00; font-weight: 600;")
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
                                        | QDialogButtonBox.StandardButton.RestoreDefaults, self)
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(self.restore_defaults)
        layout.addWidget(self.buttons)
        for edits in self.edits.values():
            for edit in edits:
                edit.keySequenceChanged.connect(self._check)
        self._check()
        self.filter.setFocus()

    def _show_keys(self, action_id: str, keys: tuple[str, ...]) -> None:
        edits = self.edits[action_id]
        for i, edit in enumerate(edits):
            edit.setKeySequence(QKeySequence(keys[i]) if i < len(keys) else QKeySequence())
        self._extras[action_id] = tuple(keys[SLOTS:])

    def restore_defaults(self) -> None:
        for spec in self.specs:
            self._show_keys(spec.id, tuple(self.defaults.get(spec.id, ())))
        self._check()

    def keys(self) -> dict[str, tuple[str, ...]]:
        """The keys as shown, by action id (portable text)."""
        out = {}
        for action_id, edits in self.edits.items():
            chosen = [_portable(e.keySequence()) for e in edits if not e.keySequence().isEmpty()]
            extras = [k for k in self._extras.get(action_id, ()) if k not in chosen]
            out[action_id] = tuple(chosen + extras)
        return out

    def conflicts(self) -> list[str]:
        """Keys bound to two actions that could both fire (same scope, or either window-wide)."""
        scope = {s.id: s.scope for s in self.specs}
        text = {s.id: s.text.replace("&", "") for s in self.specs}
        seen: dict[str, str] = {}
        problems = []
        for action_id, keys in self.keys().items():
            for key in keys:
                norm = QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)
                other = seen.get(norm)
                if other is not None and (scope[other] == scope[action_id] or "window" in (scope[other],
                                                                                           scope[action_id])):
                    problems.append(f"{norm} is bound to both “{text[other]}” and “{text[action_id]}”.")
                seen.setdefault(norm, action_id)
        return problems

    def _check(self) -> None:
        problems = self.conflicts()
        self.problem.setText(" ".join(problems[:3]) + (" Choose another key." if problems else ""))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problems)

    def _filter_rows(self, text: str) -> None:
        needle = text.strip().lower()
        for row, spec in enumerate(self.specs):
            keys = " ".join(self.keys()[spec.id]).lower()
            hay = f"{spec.text} {spec.menu} {spec.id} {keys}".replace("&", "").lower()
            self.table.setRowHidden(row, bool(needle) and needle not in hay)

    def _save(self) -> None:
        if self.conflicts():
            return
        self.keys_chosen.emit(self.keys())
        self.accept()

    def edit_for(self, action_id: str, slot: int = 0) -> QKeySequenceEdit:
        return self.edits[action_id][slot]

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        # Enter in the filter saves like OK; Esc cancels (QDialog's default).
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.filter.hasFocus():
            self._save()
            return
        super().keyPressEvent(event)
