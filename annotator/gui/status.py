"""The status bar: how far the annotator is, which pipeline suggests, what runs.

A log of what went wrong in background work (a document the suggester had to
leave out) sits left of them: a "⚠ N" button, hidden until there is something to
read, whose tooltip shows the latest entries and whose click lists them all.

Four permanent sections, right to left in reading order of importance:
progress (documents done / total for the current annotator), the active pipeline
(with an unmistakable note when no trained pipeline is installed and only the rules
suggest), who annotates (the name every decision records), and background work
(text, a small progress bar, a cancel button), shown
only while something runs. Transient messages use the bar's usual left side.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QSizePolicy,
    QStatusBar,
    QToolButton,
    QWidget,
)

from annotator.gui.workers import BackgroundTask

__all__ = ["RULES_ONLY_NOTE", "StatusBar"]

RULES_ONLY_NOTE = "rules only — no trained pipeline installed"


class _Section(QWidget):
    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.layout_ = QHBoxLayout(self)
        self.layout_.setContentsMargins(10, 0, 10, 0)
        self.layout_.setSpacing(8)
        self.layout_.setAlignment(Qt.AlignmentFlag.AlignVCenter)


class StatusBar(QStatusBar):
    """The window's status bar.

    The window feeds it: :meth:`set_progress` after each decision that changes a
    document's status, :meth:`set_pipeline` when the suggester resolved its
    pipeline, :meth:`track` for each background task.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("StatusBar")
        self.setSizeGripEnabled(False)
        self._jobs: list[tuple[BackgroundTask | None, str]] = []
        self._job_progress: dict[int, tuple[int, int]] = {}

        # The log of background problems (see the module notes).
        self.notices: list[str] = []
        self.notice_button = QToolButton(self)
        self.notice_button.setObjectName("NoticeButton")
        self.notice_button.setAutoRaise(True)
        self.notice_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.notice_button.clicked.connect(self.show_notices)
        self.notice_button.hide()
        self.addPermanentWidget(self.notice_button)

        # Background work.
        self.work = _Section("WorkSection", self)
        self.work_label = QLabel("", self.work)
        self.work_label.setObjectName("WorkLabel")
        self.work_bar = QProgressBar(self.work)
        self.work_bar.setObjectName("WorkBar")
        self.work_bar.setTextVisible(False)
        self.work_bar.setFixedSize(96, 6)
        self.work_cancel = QToolButton(self.work)
        self.work_cancel.setObjectName("WorkCancel")
        self.work_cancel.setText("✕")
        self.work_cancel.setToolTip("Cancel this background work")
        self.work_cancel.setAutoRaise(True)
        self.work_cancel.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.work_cancel.clicked.connect(self.cancel_current)
        self.work.layout_.addWidget(self.work_label)
        self.work.layout_.addWidget(self.work_bar)
        self.work.layout_.addWidget(self.work_cancel)
        self.work.hide()

        # Pipeline.
        self.pipeline = _Section("PipelineSection", self)
        self.pipeline_label = QLabel("pipeline: …", self.pipeline)
        self.pipeline_label.setObjectName("PipelineLabel")
        self.pipeline.layout_.addWidget(self.pipeline_label)

        # Who annotates: every decision records this name.
        self.identity = _Section("IdentitySection", self)
        self.identity_label = QLabel("", self.identity)
        self.identity_label.setObjectName("IdentityLabel")
        self.identity.layout_.addWidget(self.identity_label)

        # Progress.
        self.progress = _Section("ProgressSection", self)
        self.progress_label = QLabel("", self.progress)
        self.progress_label.setObjectName("ProgressLabel")
        self.progress_bar = QProgressBar(self.progress)
        self.progress_bar.setObjectName("ProgressBar")
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setFixedSize(120, 6)
        self.progress.layout_.addWidget(self.progress_label)
        self.progress.layout_.addWidget(self.progress_bar)
        for section in (self.work, self.identity, self.pipeline, self.progress):
            section.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
            self.addPermanentWidget(section)

        self.done = 0
        self.total = 0
        self.pipeline_name: str | None = None
        self.rules_only = False
        self.set_progress(0, 0)

    # -- progress ----------------------------------------------------------------

    def set_progress(self, done: int, total: int, *, annotator: str | None = None) -> None:
        """Documents done (by the current annotator) out of all documents."""
        self.done, self.total = int(done), int(total)
        pct = round(100 * done / total) if total else 0
        self.progress_label.setText(f"<b>{done:,}</b> / {total:,} done")
        self.progress_bar.setRange(0, max(1, total))
        self.progress_bar.setValue(min(done, max(1, total)))
        who = f" by {annotator}" if annotator else ""
        self.progress.setToolTip(f"{done:,} of {total:,} documents marked done{who} ({pct} %)")

    def refresh_progress(self, project: Any) -> None:
        """Recount from the project (a :class:`~annotator.storage.Project`)."""
        stats = project.stats()
        docs = stats["documents"]
        self.set_identity(project.annotator)
        self.set_progress(docs["by_status"].get("done", 0), docs["total"], annotator=project.annotator)

    def set_identity(self, name: str) -> None:
        self.identity_label.setText(f"annotating as <b>{name}</b>")
        self.identity.setToolTip(f"Your decisions are recorded as {name!r}. Edit > Settings (Ctrl+,) changes the name.")

    # -- the log of background problems ---------------------------------------------

    #: Entries kept; older ones are dropped first.
    MAX_NOTICES = 500

    def add_notice(self, text: str) -> None:
        """Keep ``text`` (one problem, with its code) in the log, with the time."""
        self.notices.append(f"{time.strftime('%H:%M:%S')}  {text}")
        del self.notices[: -self.MAX_NOTICES]
        count = len(self.notices)
        self.notice_button.setText(f"⚠ {count}")
        latest = "\n".join(self.notices[-3:])
        self.notice_button.setToolTip(f"{count} problem(s) in background work this session; the latest:\n"
                                      f"{latest}\nClick to read them all.")
        self.notice_button.show()

    def show_notices(self) -> QMessageBox:
        """Every problem logged this session, in a window that does not block."""
        box = QMessageBox(self.window())
        box.setObjectName("NoticesDialog")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Annotator — problems in background work")
        box.setText(f"{len(self.notices)} problem(s) in background work this session; the latest:")
        box.setInformativeText(self.notices[-1] if self.notices else "")
        box.setDetailedText("\n".join(self.notices))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    # -- pipeline ----------------------------------------------------------------

    def set_pipeline(self, name: str | None, *, rules_only: bool = False, loading: bool = False,
                     detail: str = "") -> None:
        """Show the pipeline that suggests.

        ``rules_only`` (or no ``name``) shows the plain warning that no trained
        pipeline is installed, so nobody mistakes rule output for a model's.
        """
        self.pipeline_name = name
        self.rules_only = rules_only or (name is None and not loading)
        self.pipeline.setProperty("rulesOnly", self.rules_only)
        if loading:
            text = f"loading pipeline {name}…" if name else "loading pipeline…"
            tip = "The pipeline loads in the background; suggestions follow."
        elif self.rules_only:
            text = f"⚠ {RULES_ONLY_NOTE}"
            tip = ("Suggestions come from the bundled rules only. Install a trained spaCy pipeline "
                   "(see 'annotator models') for model suggestions.")
        else:
            text = f"pipeline: {name}"
            tip = f"Suggestions come from the spaCy pipeline {name} plus the stance rules."
        if detail:
            tip += f"\n{detail}"
        self.pipeline_label.setText(text)
        self.pipeline.setToolTip(tip)
        # The property drives the stylesheet (warning colour); re-polish to apply it.
        self.pipeline.style().unpolish(self.pipeline)
        self.pipeline.style().polish(self.pipeline)

    def pipeline_text(self) -> str:
        return self.pipeline_label.text()

    # -- background work ---------------------------------------------------------

    def track(self, task: BackgroundTask, text: str, *,
              on_cancel: Callable[[], None] | None = None) -> None:
        """Show ``task`` while it runs: its text, progress and a cancel button."""
        self._jobs.append((task, text))
        task.progressed.connect(lambda done, total, _t, t=task: self._task_progress(t, done, total))
        task.ended.connect(lambda t=task: self._task_ended(t))
        if on_cancel is not None:
            task.was_cancelled.connect(on_cancel)
        self._show_current()

    def busy(self) -> bool:
        return bool(self._jobs)

    def cancel_current(self) -> None:
        if self._jobs:
            task, _text = self._jobs[-1]
            if task is not None:
                task.cancel()
                self.work_label.setText("cancelling…")

    def _task_progress(self, task: BackgroundTask, done: int, total: int) -> None:
        self._job_progress[id(task)] = (done, total)
        if self._jobs and self._jobs[-1][0] is task:
            self._show_current()

    def _task_ended(self, task: BackgroundTask) -> None:
        self._jobs = [(t, s) for t, s in self._jobs if t is not task]
        self._job_progress.pop(id(task), None)
        # Keep the finished state readable for a moment instead of flickering away.
        QTimer.singleShot(0, self._show_current)

    def _show_current(self) -> None:
        if not self._jobs:
            self.work.hide()
            self.work_label.setText("")
            return
        task, text = self._jobs[-1]
        more = len(self._jobs) - 1
        label = text + (f"  (+{more} more)" if more else "")
        done, total = self._job_progress.get(id(task), (0, 0)) if task is not None else (0, 0)
        if total > 0:
            self.work_bar.setRange(0, total)
            self.work_bar.setValue(min(done, total))
            label += f"  {done:,}/{total:,}"
        else:
            self.work_bar.setRange(0, 0)  # busy
        self.work_label.setText(label)
        self.work_cancel.setVisible(task is not None)
        self.work.show()
