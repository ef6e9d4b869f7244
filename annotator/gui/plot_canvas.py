"""matplotlib figures in Qt widgets (the QtAgg backend), following the window's theme.

A :class:`PlotCanvas` owns one figure and a function that draws into it; it redraws
when its data changes or when the application's palette turns light or dark. The
training dialog's :class:`LearningCurve` is one, sharing its drawing with the
dashboard's learning-curve plot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QSizePolicy, QWidget

from annotator.services import plots

__all__ = ["LearningCurve", "PlotCanvas", "SERIES_COLOURS", "theme_of"]

#: Line colour of each component's learning curve (a colour-blind safe pair that
#: reads on the light and the dark theme).
SERIES_COLOURS = {"ner": "#1c7ed6", "stance": "#e8590c"}


def theme_of(widget: QWidget | None = None) -> plots.Theme:
    """The plot theme matching the application's palette (dark when its window
    colour is). The canvas itself has matplotlib's white palette, so it is not asked."""
    app = QApplication.instance()
    palette = app.palette() if isinstance(app, QApplication) else widget.palette()
    dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    return plots.THEMES["dark" if dark else "light"]


class PlotCanvas(FigureCanvasQTAgg):
    """One figure, drawn by ``draw(fig, theme)`` whenever :meth:`redraw` is called or
    the theme changes. Drawing waits until the widget is shown; without a ``draw``
    yet (data still loading) the canvas shows its background and a word, and costs
    no matplotlib drawing."""

    def __init__(self, draw: Callable[[Any, plots.Theme], None] | None, parent: QWidget | None = None, *,
                 size: tuple[float, float] = (6.4, 3.6), minimum: QSize | None = None) -> None:
        super().__init__(plots.new_figure(*size))
        if parent is not None:
            self.setParent(parent)
        self._draw = draw
        self._stale = True
        self._theme: plots.Theme | None = None
        self.waiting_text = "Loading…"
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(minimum or QSize(380, 240))

    def set_draw(self, draw: Callable[[Any, plots.Theme], None] | None) -> None:
        self._draw = draw
        self.redraw()

    def redraw(self) -> None:
        """Rebuild the figure now when visible, else when next shown."""
        self._stale = True
        if self.isVisible():
            self._rebuild()

    @property
    def theme(self) -> plots.Theme:
        return self._theme or theme_of(self)

    def _rebuild(self) -> None:
        if self._draw is None:
            return
        self._stale = False
        self._theme = theme_of(self)
        with plots.themed(self._theme):
            self.figure.clear()
            self.figure.set_facecolor(self._theme.background)
            self._draw(self.figure, self._theme)
            self.draw_idle()

    def showEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        if self._stale or self._theme is not theme_of(self):
            self._rebuild()
        super().showEvent(event)

    def paintEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        if self._draw is None:
            theme = theme_of(self)
            painter = QPainter(self)
            painter.fillRect(self.rect(), QColor(theme.background))
            painter.setPen(QColor(theme.muted))
            painter.drawText(self.rect(), int(Qt.AlignmentFlag.AlignCenter), self.waiting_text)
            painter.end()
            return
        if self._stale:  # painted without being shown first (grab() of a hidden widget)
            self._rebuild()
        super().paintEvent(event)

    def changeEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        # Also called from the base class's __init__ (it sets a palette), before ours ran.
        drawn = getattr(self, "_theme", None)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange) \
                and drawn is not None and drawn is not theme_of(self):
            self.redraw()
        super().changeEvent(event)

    def draw(self) -> None:
        # Text colours and fonts come from the theme's settings, also at draw time.
        with plots.themed(self.theme):
            super().draw()


class LearningCurve(PlotCanvas):
    """Dev score (0–1) against training documents seen, one line per component,
    for the training dialog (points arrive one evaluation at a time)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self._points: dict[str, list[tuple[int, float]]] = {}
        super().__init__(self._paint, parent, size=(5.0, 2.6), minimum=QSize(360, 200))

    def _paint(self, fig: Any, theme: plots.Theme) -> None:
        ax = fig.add_subplot()
        if not self._points:
            ax.set_title("Learning curve")
            plots.empty_axes(ax, theme, "The learning curve appears here.")
            return
        plots.draw_learning_curve(ax, sorted(self._points.items()), theme, colours=SERIES_COLOURS)

    def clear(self) -> None:
        self._points = {}
        self.redraw()

    def add_point(self, component: str, docs_seen: int, score: float) -> None:
        self._points.setdefault(component, []).append((int(docs_seen), float(score)))
        self.redraw()

    def set_points(self, points: Iterable[Any]) -> None:
        self._points = {}
        for p in points:
            self._points.setdefault(p.component, []).append((p.docs_seen, p.score))
        self.redraw()

    def series(self) -> dict[str, list[tuple[int, float]]]:
        """The plotted points by component (a copy)."""
        return {k: list(v) for k, v in self._points.items()}
