"""Train…: train a pipeline on the finished documents, watch it learn, use it.

The training runs in a child process (:func:`annotator.gui.workers.run_in_subprocess`):
spaCy's training loop holds the GIL for long stretches and would make the window
stutter from a thread. Progress shows the step, loss and dev score; every
evaluation adds a point to the learning curve (dev score against training
documents seen, one line per component), drawn with matplotlib like the
dashboard's plots (integer ticks however few documents were seen). When the run
ends, the table lists precision, recall and F1 per label on the held-out
documents, and "Use this model for suggestions" switches the project's ``model``
setting to the new pipeline.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from annotator.core.errors import AnnotatorError
from annotator.gui.dialogs import BackgroundDialog
from annotator.gui.jobs import train_job
from annotator.gui.plot_canvas import SERIES_COLOURS, LearningCurve
from annotator.gui.workers import BackgroundTask, run_in_background, run_in_subprocess
from annotator.services import training

__all__ = ["LearningCurve", "SERIES_COLOURS", "TrainDialog", "open_train_dialog"]

FROM_SCRATCH = "(none: train from scratch)"


class TrainDialog(BackgroundDialog):
    """Train a pipeline on the project's finished documents, in the background.

    Parameters
    ----------
    project_path:
        The project file; the training opens its own connection to it.
    parent:
        The window; when it has a ``project`` on the same file, "Use this model"
        goes through that connection.
    in_process:
        Train in a thread of this process instead of a child process (for tests
        and tools that have no ``spawn``-able interpreter).
    """

    #: The path of the pipeline the project now suggests with ("Use this model").
    model_selected = Signal(str)
    #: The :class:`~annotator.services.training.TrainSummary` of a finished run.
    trained = Signal(object)
    cancelling_text = "Cancelling… (at the end of the current step)"

    def __init__(self, project_path: str | Path, parent: QWidget | None = None, *, in_process: bool = False) -> None:
        super().__init__("Train a model", "&Train", parent)
        self.project_path = Path(project_path)
        self.in_process = in_process
        self.summary: training.TrainSummary | None = None
        self.setMinimumWidth(620)
        self.resize(680, 760)

        form = QFormLayout(self.form)
        form.setContentsMargins(0, 0, 0, 0)
        self.base_combo = QComboBox(self.form)
        self.base_combo.setEditable(True)
        self.base_combo.addItem(FROM_SCRATCH)
        for name in training.base_choices():
            self.base_combo.addItem(name)
        if self.base_combo.count() > 1:
            self.base_combo.setCurrentIndex(1)
        self.base_combo.setToolTip("Fine-tune this pipeline's entity recogniser, or type a pipeline folder.")
        form.addRow("&Base pipeline:", self.base_combo)
        comps = QHBoxLayout()
        self.ner_check = QCheckBox("&Entities (ner)", self.form)
        self.stance_check = QCheckBox("S&tances (textcat)", self.form)
        self.ner_check.setChecked(True)
        self.stance_check.setChecked(True)
        comps.addWidget(self.ner_check)
        comps.addWidget(self.stance_check)
        comps.addStretch(1)
        form.addRow("Train:", comps)
        self.steps_spin = QSpinBox(self.form)
        self.steps_spin.setRange(1, 1_000_000)
        self.steps_spin.setValue(training.DEFAULT_MAX_STEPS)
        self.steps_spin.setGroupSeparatorShown(True)
        form.addRow("Max &steps per component:", self.steps_spin)
        self.minutes_spin = QDoubleSpinBox(self.form)
        self.minutes_spin.setRange(0, 24 * 60)
        self.minutes_spin.setDecimals(1)
        self.minutes_spin.setSpecialValueText("no limit")
        self.minutes_spin.setSuffix(" min")
        form.addRow("Time &limit:", self.minutes_spin)
        self.progress_text.setText("Trains on the documents marked done; a fifth of them is held out "
                                   "to score the model.")

        self.curve = LearningCurve(self)
        self.add_body_widget(self.curve, 2)
        self.table = QTableWidget(0, 6, self)
        self.table.setHorizontalHeaderLabels(["Component", "Label", "Precision", "Recall", "F1", "Support"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMinimumHeight(180)
        self.add_body_widget(self.table, 2)

        self.use_button = QPushButton("&Use this model for suggestions", self)
        self.use_button.setEnabled(False)
        self.buttons.addButton(self.use_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.use_button.clicked.connect(self.use_model)

    # -- options ----------------------------------------------------------------------

    def base(self) -> str | None:
        text = self.base_combo.currentText().strip()
        return None if not text or text == FROM_SCRATCH else text

    def components(self) -> list[str]:
        return [name for name, box in (("ner", self.ner_check), ("stance", self.stance_check)) if box.isChecked()]

    def options(self) -> dict[str, Any]:
        """The keyword arguments the run passes to :func:`training.train`."""
        minutes = self.minutes_spin.value()
        return {"base": self.base(), "components": self.components(), "max_steps": self.steps_spin.value(),
                "max_minutes": minutes if minutes > 0 else None}

    # -- the run (BackgroundDialog hooks) ----------------------------------------------

    def _job(self) -> tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]] | None:
        if not self.components():
            self.progress_text.setText("Choose what to train: entities, stances or both.")
            return None
        return train_job, (str(self.project_path),), self.options()

    def _runner(self) -> Callable[..., BackgroundTask]:
        # spaCy training holds the GIL for long stretches: a child process keeps
        # the window responsive.
        return run_in_background if self.in_process else run_in_subprocess

    def _before_start(self) -> None:
        self.summary = None
        self.curve.clear()
        self.table.setRowCount(0)
        self.use_button.setEnabled(False)

    def _on_item(self, event: object) -> None:
        if isinstance(event, training.TrainProgress) and event.evaluated and event.score is not None:
            self.curve.add_point(event.phase, event.docs_seen, event.score)

    def _summary(self, summary: training.TrainSummary) -> str:
        self.show_summary(summary)
        self.trained.emit(summary)
        return self._summary_text(summary)

    def _on_done(self, summary: training.TrainSummary) -> None:
        super()._on_done(summary)
        self.use_button.setEnabled(True)
        self.use_button.setDefault(True)
        self.use_button.setFocus()

    def _on_error(self, exc: BaseException) -> None:
        text = str(exc) if isinstance(exc, AnnotatorError) else f"{type(exc).__name__}: {exc}"
        self._finish("failed", f"<span style='color:#c92a2a'><b>Training failed.</b></span> {html.escape(text)}")

    def _on_cancelled(self) -> None:
        self._finish("cancelled", "Cancelled. No model was saved.")

    # -- the result -----------------------------------------------------------------

    def show_summary(self, summary: training.TrainSummary) -> None:
        """Fill the table and the curve from a run's summary (or a saved pipeline's,
        see :func:`training.load_summary`)."""
        self.summary = summary
        self.curve.set_points(summary.curve)
        rows = [r for r in summary.labels if r.support or r.f1]
        overall: list[tuple[str, str, float, float, float, int]] = []
        scores = summary.scores
        if "ents_f" in scores:
            overall.append(("ner", "overall", scores["ents_p"], scores["ents_r"], scores["ents_f"],
                            sum(r.support for r in rows if r.component == "ner")))
        if "stance_cats_macro_f" in scores:
            overall.append(("stance", "macro", scores.get("stance_cats_macro_p", 0.0),
                            scores.get("stance_cats_macro_r", 0.0), scores["stance_cats_macro_f"],
                            sum(r.support for r in rows if r.component == "stance")))
        table_rows = [(r.component, r.label, r.precision, r.recall, r.f1, r.support) for r in rows] + overall
        self.table.setRowCount(len(table_rows))
        for i, (component, label, p, r, f, support) in enumerate(table_rows):
            cells = [component, label, f"{p:.3f}", f"{r:.3f}", f"{f:.3f}", f"{support:,}"]
            for j, value in enumerate(cells):
                item = QTableWidgetItem(value)
                if j >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if label in ("overall", "macro"):
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(i, j, item)
        self.use_button.setEnabled(True)

    def table_rows(self) -> list[list[str]]:
        """The result table as text, row by row."""
        return [[self.table.item(i, j).text() for j in range(self.table.columnCount())]
                for i in range(self.table.rowCount())]

    @staticmethod
    def _summary_text(summary: training.TrainSummary) -> str:
        parts = [f"<b>Saved {html.escape(summary.origin)}</b> to {html.escape(str(summary.model_path))}",
                 f"{summary.train_documents} documents trained on, {summary.dev_documents} held out; "
                 + ", ".join(f"{k} {v:,} steps" for k, v in summary.steps.items())
                 + f" in {summary.seconds:.0f} s."]
        parts += [html.escape(f"{k}: {v}") for k, v in summary.stopped.items()]
        parts += [html.escape(n) for n in summary.notes]
        return "<br>".join(parts)

    def use_model(self) -> str | None:
        """Switch the project's suggestions to the trained pipeline; returns its path."""
        if self.summary is None:
            return None
        window_project = getattr(self.parent(), "project", None)
        try:
            if window_project is not None and Path(window_project.path).resolve() == self.project_path.resolve():
                training.use_model(window_project, model_path=self.summary.model_path)
            else:
                from annotator.storage import open_project

                with open_project(self.project_path) as project:
                    training.use_model(project, model_path=self.summary.model_path)
        except AnnotatorError as exc:
            self.progress_text.setText(f"<span style='color:#c92a2a'>{html.escape(str(exc))}</span>")
            return None
        path = str(self.summary.model_path)
        self.progress_text.setText(f"The project now suggests with <b>{html.escape(self.summary.origin)}</b>. "
                                   "New suggestions replace pending ones only; nothing you decided changes.")
        self.use_button.setEnabled(False)
        self.model_selected.emit(path)
        return path


def open_train_dialog(window: QWidget) -> TrainDialog:
    """Open the dialog on the window's project (for the action registry)."""
    dialog = TrainDialog(window.project.path, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
