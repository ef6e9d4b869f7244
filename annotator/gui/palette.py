"""The label palette: every label of the scheme with its colour and hotkey.

It doubles as the legend of the article view's colours and as a reminder of the
keys; clicking a label does what its hotkey does (the window decides what that is:
label the selection, or relabel the focused span).
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractButton,
    QBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from annotator.core.scheme import Label, Scheme

__all__ = ["LabelButton", "LabelPalette"]

_LAYER_TITLES = {"entity": "Entities", "stance": "Stances"}


def _hotkey_text(hotkey: str | None) -> str:
    # Qt's portable text ("Ctrl+1") reads as "⌘1" nowhere but macOS; keep it literal.
    return hotkey or ""


class LabelButton(QAbstractButton):
    """One label: a colour swatch, the name and the hotkey, painted flat."""

    def __init__(self, label: Label, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = label
        self._active = False
        self.setText(label.name)
        self.setObjectName(f"label-{label.layer}-{label.name}")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keyboard belongs to the article
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAttribute(Qt.WidgetAttribute.WA_Hover)
        tip = f"<b>{label.name}</b>"
        if label.hotkey:
            tip += f" &nbsp;<code>{label.hotkey}</code>"
        if label.description:
            tip += f"<br>{label.description}"
        self.setToolTip(tip)
        self.setAccessibleName(f"{label.layer} label {label.name}")

    def set_active(self, active: bool) -> None:
        if active != self._active:
            self._active = active
            self.update()

    def is_active(self) -> bool:
        return self._active

    def sizeHint(self) -> QSize:
        fm = QFontMetrics(self.font())
        key = _hotkey_text(self.label.hotkey)
        width = 10 + 14 + 8 + fm.horizontalAdvance(self.label.name) + 16
        if key:
            width += fm.horizontalAdvance(key) + 10
        return QSize(width, max(26, fm.height() + 10))

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        pal = self.palette()
        colour = QColor(self.label.colour)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        hovered = self.underMouse()
        if self._active or self.isDown() or hovered:
            fill = QColor(colour)
            fill.setAlphaF(0.22 if (self._active or self.isDown()) else 0.12)
            p.setPen(QPen(colour, 1.2) if self._active else Qt.PenStyle.NoPen)
            p.setBrush(fill)
            p.drawRoundedRect(rect, 6, 6)
        # Swatch: the highlight colour as the article view uses it.
        swatch = QRectF(rect.left() + 8, rect.center().y() - 7, 14, 14)
        path = QPainterPath()
        path.addRoundedRect(swatch, 3.5, 3.5)
        p.fillPath(path, colour)
        # Name.
        text_colour = pal.color(QPalette.ColorRole.WindowText)
        if not self.isEnabled():
            text_colour = pal.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
        font = QFont(self.font())
        font.setWeight(QFont.Weight.DemiBold if self._active else QFont.Weight.Medium)
        p.setFont(font)
        p.setPen(text_colour)
        text_rect = QRectF(swatch.right() + 8, rect.top(), rect.width(), rect.height())
        p.drawText(text_rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                   self.label.name)
        # Hotkey badge, right-aligned.
        key = _hotkey_text(self.label.hotkey)
        if key:
            small = QFont(self.font())
            small.setPointSizeF(max(7.0, self.font().pointSizeF() * 0.85))
            fm = QFontMetrics(small)
            w = fm.horizontalAdvance(key) + 10
            badge = QRectF(rect.right() - w - 6, rect.center().y() - fm.height() / 2 - 1,
                           w, fm.height() + 2)
            mid = pal.color(QPalette.ColorRole.Mid)
            base = pal.color(QPalette.ColorRole.Base)
            p.setPen(QPen(mid, 1))
            p.setBrush(base)
            p.drawRoundedRect(badge, 4, 4)
            p.setFont(small)
            p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            p.drawText(badge, int(Qt.AlignmentFlag.AlignCenter), key)
        p.end()


class LabelPalette(QWidget):
    """The scheme's labels, grouped by layer; clicking one emits :attr:`label_chosen`.

    Parameters
    ----------
    scheme:
        The project's scheme (labels, colours, hotkeys).
    orientation:
        ``Qt.Vertical`` for a side panel (default), ``Qt.Horizontal`` for a strip.
    """

    label_chosen = Signal(str, str)

    def __init__(self, scheme: Scheme, parent: QWidget | None = None, *,
                 orientation: Qt.Orientation = Qt.Orientation.Vertical) -> None:
        super().__init__(parent)
        self.setObjectName("LabelPalette")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self._orientation = orientation
        self._buttons: dict[tuple[str, str], LabelButton] = {}
        self._outer = QVBoxLayout(self)
        self._outer.setContentsMargins(8, 8, 8, 8)
        self._outer.setSpacing(2)
        self.set_scheme(scheme)

    # -- public API --------------------------------------------------------------

    def set_scheme(self, scheme: Scheme) -> None:
        """Rebuild the buttons for another scheme (a project was opened)."""
        self.scheme = scheme
        while self._outer.count():
            item = self._outer.takeAt(0)
            widget = item.widget()
            if widget is not None:
                widget.deleteLater()
            elif item.layout() is not None:
                _clear_layout(item.layout())
        self._buttons.clear()
        horizontal = self._orientation == Qt.Orientation.Horizontal
        row = QBoxLayout(QBoxLayout.Direction.LeftToRight) if horizontal else None
        for layer in ("entity", "stance"):
            labels = scheme.labels(layer)
            if not labels:
                continue
            heading = QLabel(_LAYER_TITLES[layer].upper())
            heading.setObjectName("PaletteHeading")
            if row is not None:
                row.addWidget(heading)
            else:
                if self._outer.count():
                    self._outer.addSpacing(10)
                self._outer.addWidget(heading)
            for label in labels:
                button = LabelButton(label, self)
                button.clicked.connect(
                    lambda _checked=False, lay=layer, name=label.name: self.label_chosen.emit(lay, name)
                )
                self._buttons[(layer, label.name)] = button
                if row is not None:
                    button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
                    row.addWidget(button)
                else:
                    self._outer.addWidget(button)
            if row is not None:
                row.addSpacing(12)
        if row is not None:
            row.addStretch(1)
            self._outer.addLayout(row)
        else:
            self._outer.addStretch(1)

    def button(self, layer: str, name: str) -> LabelButton:
        """The button of one label (tests click it)."""
        return self._buttons[(layer, name)]

    def buttons(self) -> list[LabelButton]:
        return list(self._buttons.values())

    def set_active(self, layer: str | None, name: str | None) -> None:
        """Mark the focused span's label (or none)."""
        for (lay, lab), button in self._buttons.items():
            button.set_active(lay == layer and lab == name)

    def active(self) -> tuple[str, str] | None:
        return next((key for key, b in self._buttons.items() if b.is_active()), None)


def _clear_layout(layout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        if item.widget() is not None:
            item.widget().deleteLater()
        elif item.layout() is not None:
            _clear_layout(item.layout())
