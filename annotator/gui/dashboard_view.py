"""The Dashboard: progress, speed, label balance, suggestion quality, agreement and
learning curves as plots (matplotlib on QtAgg canvases), refreshed as decisions
arrive from this window or another process.

The figures come from :func:`annotator.services.dashboard.compute` in a background
thread on its own connection (summary tables kept by triggers, so a large project
costs a handful of small queries); the plots are the report's
(:mod:`annotator.services.plots`), drawn only for the tab on screen. Agreement
compares annotators article by article, so it is computed only while its tab is
open, in a child process; "Save report…" writes the same plots as one HTML file,
also in a child process. F5 recomputes, Esc hides the dock.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from annotator.gui.jobs import dashboard_agreement_job, dashboard_job, report_job
from annotator.gui.plot_canvas import PlotCanvas
from annotator.gui.workers import BackgroundTask, run_in_background, run_in_subprocess
from annotator.services import dashboard as dashboard_service
from annotator.services import plots
from annotator.storage import Project

__all__ = ["DashboardView", "PAGES"]

#: Tabs of the dashboard and the plots on each (keys of ``plots.PLOTS``).
PAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("&Progress", ("progress", "speed")),
    ("&Labels", ("labels", "targets")),
    ("&Suggestions", ("quality_origins", "quality_labels", "quality_time")),
    ("&Agreement", ("agreement",)),
    ("&Models", ("learning",)),
)


#: The part of the figures each plot draws (a plot is redrawn when it changes).
_PLOT_INPUTS: dict[str, Any] = {
    "progress": lambda d: (d.progress.total, d.progress.done_any, d.progress.unit, d.progress.cumulative),
    "speed": lambda d: d.speed,
    "labels": lambda d: (d.labels, d.stance_targets),
    "targets": lambda d: (d.labels, d.stance_targets),
    "quality_origins": lambda d: d.quality,
    "quality_labels": lambda d: d.quality,
    "quality_time": lambda d: d.quality,
    "agreement": lambda d: (d.agreement, d.agreement_note),
    "learning": lambda d: d.learning_curves,
}


class DashboardView(QWidget):
    """Plots of the project's progress and quality (see the module docstring)."""

    #: Emitted on the UI thread once new figures are on the canvases.
    refreshed = Signal()

    #: Decisions come in bursts: wait this long after one before recomputing...
    REFRESH_DELAY_MS = 1500
    #: ...or this long while another window (the article) is the active one: drawing
    #: a plot takes a few hundred milliseconds of the UI thread, which an annotator
    #: at work should not feel after every key.
    BACKGROUND_DELAY_MS = 10_000

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DashboardView")
        self.project = project
        self.dash: dashboard_service.Dashboard | None = None
        self._task: BackgroundTask | None = None
        self._agreement_task: BackgroundTask | None = None
        self._again = False
        self._dirty = True
        self._started = 0.0
        self._specs = {spec.key: spec for spec in plots.PLOTS}
        #: What each plot last drew, so an unchanged plot is not drawn again.
        self._inputs: dict[str, str] = {}

        self.summary = QLabel("Loading the figures…", self)
        self.summary.setObjectName("DashboardSummary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.updated = QLabel("", self)
        self.updated.setObjectName("DashboardUpdated")
        self.refresh_button = QPushButton("&Refresh", self)
        self.refresh_button.setToolTip("Recompute every figure now (F5).")
        self.refresh_button.clicked.connect(self.refresh_now)
        self.save_button = QPushButton("Save &report…", self)
        self.save_button.setToolTip("Write these plots and figures as one HTML file that opens offline.")
        self.save_button.clicked.connect(self.save_report_dialog)
        header = QHBoxLayout()
        header.addWidget(self.summary, 1)
        header.addWidget(self.updated)
        header.addWidget(self.refresh_button)
        header.addWidget(self.save_button)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("DashboardTabs")
        self.tabs.setDocumentMode(True)
        self.canvases: dict[str, PlotCanvas] = {}
        for title, keys in PAGES:
            page = QWidget()
            grid = QGridLayout(page)
            grid.setContentsMargins(4, 4, 4, 4)
            for i, key in enumerate(keys):
                spec = self._specs[key]
                canvas = PlotCanvas(None, page, size=spec.size)
                canvas.setObjectName(f"plot-{key}")
                self.canvases[key] = canvas
                if len(keys) == 3 and i == 2:  # a time line: full width below the other two
                    grid.addWidget(canvas, 1, 0, 1, 2)
                else:
                    grid.addWidget(canvas, i // 2, i % 2)
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QScrollArea.Shape.NoFrame)
            scroll.setWidget(page)
            self.tabs.addTab(scroll, title)
        self.tabs.currentChanged.connect(self._tab_changed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(header)
        layout.addWidget(self.tabs, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.REFRESH_DELAY_MS)
        self._timer.timeout.connect(self.refresh_now)
        refresh_key = QShortcut(QKeySequence("F5"), self)
        refresh_key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        refresh_key.activated.connect(self.refresh_now)
        close_key = QShortcut(QKeySequence("Esc"), self)
        close_key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        close_key.activated.connect(self._close_dock)

    def _close_dock(self) -> None:
        """Esc hides the dock the dashboard lives in (F9 brings it back)."""
        dock = self.parentWidget()
        if isinstance(dock, QDockWidget):
            dock.hide()

    # -- refreshing -------------------------------------------------------------------

    def set_project(self, project: Project) -> None:
        """Show another project (the window switched files)."""
        self.project = project
        self.dash = None
        self._inputs = {}
        if self.isVisible():
            self.refresh_now()
        else:
            self._dirty = True

    def schedule_refresh(self) -> None:
        """Something changed: recompute soon (at once when next shown if hidden)."""
        if not self.isVisible():
            self._dirty = True
            return
        if not self._timer.isActive():
            self._timer.start(self.REFRESH_DELAY_MS if self.isActiveWindow() else self.BACKGROUND_DELAY_MS)

    def showEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        super().showEvent(event)
        if self._dirty:
            self.refresh_now()

    def refresh_now(self) -> None:
        """Recompute every figure in the background (the one running finishes first)."""
        self._timer.stop()
        self._dirty = False
        if self._task is not None and self._task.is_running():
            self._again = True
            return
        self._again = False
        self._started = time.perf_counter()
        self.refresh_button.setEnabled(False)
        path = self.project.path
        if path is None:  # an in-memory project has no file another thread could open
            self._show(dashboard_service.compute(self.project, with_agreement=False))
            return
        self._task = run_in_background(dashboard_job, str(path), on_done=self._show, on_error=self._failed,
                                       parent=self, name="Dashboard")

    def _failed(self, exc: BaseException) -> None:
        self.refresh_button.setEnabled(True)
        self.summary.setText(f"The figures could not be computed: {exc}")
        if self._again:
            self.refresh_now()

    def _show(self, dash: dashboard_service.Dashboard) -> None:
        previous = self.dash
        if previous is not None and previous.agreement is not None and dash.agreement is None:
            # Keep the last agreement figures on screen until they are recomputed.
            dash.agreement, dash.agreement_note = previous.agreement, previous.agreement_note
        self.dash = dash
        self.refresh_button.setEnabled(True)
        self.summary.setText(self._summary_html(dash))
        for key, canvas in self.canvases.items():
            inputs = repr(_PLOT_INPUTS[key](dash))
            if self._inputs.get(key) == inputs:
                continue  # the same numbers: keep the drawing
            self._inputs[key] = inputs
            spec = self._specs[key]
            canvas.set_draw(lambda fig, theme, spec=spec: spec.draw(fig, self.dash, theme))
        seconds = time.perf_counter() - self._started if self._started else 0.0
        self.updated.setText(f"Updated {time.strftime('%H:%M:%S')} · {seconds:.1f} s")
        self.refreshed.emit()
        if self._agreement_visible():
            self._compute_agreement()
        if self._again:
            self.refresh_now()

    @staticmethod
    def _summary_html(dash: dashboard_service.Dashboard) -> str:
        p = dash.progress
        decided = dash.quality.total()
        accepted = sum(r.n for r in dash.quality.rows if r.outcome == "accepted")
        decisions = sum(s.decisions for s in dash.speed)
        share = f"{p.done_any / p.total:.0%}" if p.total else "–"
        rate = f"{accepted / decided:.0%}" if decided else "–"
        return (f"<b>{p.done_any:,}</b> of <b>{p.total:,}</b> articles done ({share}) · "
                f"<b>{decisions:,}</b> decisions by <b>{len(dash.speed)}</b> annotator"
                f"{'s' if len(dash.speed) != 1 else ''} · "
                f"<b>{rate}</b> of {decided:,} decided suggestions accepted as suggested")

    # -- agreement, on demand -------------------------------------------------------------

    def _agreement_visible(self) -> bool:
        return self.isVisible() and PAGES[self.tabs.currentIndex()][1] == ("agreement",)

    def _tab_changed(self, _index: int) -> None:
        if self._agreement_visible() and self.dash is not None and self.dash.agreement is None:
            self._compute_agreement()

    def _compute_agreement(self) -> None:
        if self._agreement_task is not None and self._agreement_task.is_running():
            return
        path = self.project.path
        if path is None:
            self._agreement_done(dashboard_service.agreement(self.project))
            return
        # A child process: agreement compares spans article by article in Python,
        # which in a thread would hold the GIL against the window.
        self._agreement_task = run_in_subprocess(dashboard_agreement_job, str(path), on_done=self._agreement_done,
                                                 on_error=self._failed, parent=self, name="Agreement")

    def _agreement_done(self, result: tuple[Any, str]) -> None:
        if self.dash is None:
            return
        self.dash.agreement, self.dash.agreement_note = result
        self._inputs["agreement"] = repr(_PLOT_INPUTS["agreement"](self.dash))
        self.canvases["agreement"].set_draw(
            lambda fig, theme, spec=self._specs["agreement"]: spec.draw(fig, self.dash, theme))

    # -- the report ---------------------------------------------------------------------

    def save_report_dialog(self) -> None:
        start = str(Path(self.project.path).with_suffix(".report.html")) if self.project.path else "report.html"
        out, _ = QFileDialog.getSaveFileName(self, "Save report", start, "HTML report (*.html);;All files (*)")
        if out:
            self.save_report(out)

    def save_report(self, out: str | Path) -> BackgroundTask | None:
        """Write the HTML report in a child process (it draws every plot)."""
        if self.project.path is None:
            return None
        self.save_button.setEnabled(False)
        self.updated.setText("Writing the report…")

        def done(path: Any) -> None:
            self.save_button.setEnabled(True)
            self.updated.setText(f"Report saved: {path}")

        def failed(exc: BaseException) -> None:
            self.save_button.setEnabled(True)
            self.updated.setText(f"The report was not written: {exc}")

        return run_in_subprocess(report_job, str(self.project.path), str(out), on_done=done, on_error=failed,
                                 parent=self, name="Report")
