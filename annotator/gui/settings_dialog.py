"""Who is annotating, and the Settings dialog where that is changed.

The annotator's name is per user, not per project (QSettings ``identity/annotator``):
one person works on many project files, and a team project holds several people's
work, each under their own name. On the very first start it is the login name;
Edit > Settings (Ctrl+,) changes it. Every decision records it.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from annotator.core.errors import AnnotatorError
from annotator.services.teams import check_annotator_name
from annotator.storage.project import default_annotator

__all__ = ["IDENTITY_KEY", "SettingsDialog", "ensure_identity", "set_identity"]

IDENTITY_KEY = "identity/annotator"


def _settings() -> QSettings:
    return QSettings("annotator", "annotator")


def ensure_identity() -> tuple[str, bool]:
    """The user's annotator name, and whether it was set just now (first start:
    the login name, or ``annotator`` when that cannot name an annotator)."""
    settings = _settings()
    name = settings.value(IDENTITY_KEY)
    if isinstance(name, str) and name:
        try:
            return check_annotator_name(name), False
        except AnnotatorError:
            pass
    try:
        name = check_annotator_name(default_annotator())
    except AnnotatorError:
        name = "annotator"
    settings.setValue(IDENTITY_KEY, name)
    settings.sync()
    return name, True


def set_identity(name: str) -> str:
    """Store a new annotator name (E704 when it cannot be one); returns it."""
    name = check_annotator_name(name)
    settings = _settings()
    settings.setValue(IDENTITY_KEY, name)
    settings.sync()
    return name


class SettingsDialog(QDialog):
    """Edit > Settings: the annotator's name (more tabs can join the same dialog).

    Signals
    -------
    identity_changed(str):
        The name was changed and stored.
    """

    identity_changed = Signal(str)

    def __init__(self, current: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SettingsDialog")
        self.setWindowTitle("Settings")
        self.current = current
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget(self)
        page = QWidget(self.tabs)
        form = QFormLayout(page)
        self.name_edit = QLineEdit(current, page)
        self.name_edit.setObjectName("AnnotatorName")
        self.name_edit.selectAll()
        form.addRow("Annotator &name:", self.name_edit)
        note = QLabel("Every decision you make records this name. In a team project each annotator's "
                      "work is kept apart by it, so use the same name in every copy you annotate.", page)
        note.setWordWrap(True)
        form.addRow(note)
        self.error = QLabel("", page)
        self.error.setObjectName("SettingsError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b3261e")
        form.addRow(self.error)
        self.tabs.addTab(page, "&Annotator")
        layout.addWidget(self.tabs)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.name_edit.setFocus()

    def accept(self) -> None:
        try:
            name = set_identity(self.name_edit.text())
        except AnnotatorError as exc:
            self.error.setText(exc.message)
            self.name_edit.setFocus()
            return
        super().accept()
        if name != self.current:
            self.identity_changed.emit(name)
