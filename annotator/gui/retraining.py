"""Background retraining in the window: after every N finished articles (the
project setting ``retrain.every``), a child process trains a candidate, scores it
against the model in use on held-out articles and switches only when it is better
(:mod:`annotator.services.retraining`); the status bar shows its progress and
then its figures.

At most one retraining runs at a time; it never blocks the window (a child
process, so spaCy's compiled code cannot hold the window's GIL), and closing the
window cancels it (the application's shutdown cancels every background task); a
cancelled retraining is not recorded, so the next session runs it again.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from annotator.gui.jobs import retrain_job
from annotator.gui.workers import BackgroundTask, run_in_subprocess
from annotator.services.retraining import mark_done, retraining_due

__all__ = ["BackgroundRetraining"]


class BackgroundRetraining(QObject):
    """Starts a retraining when one is due; the window calls :meth:`check` after
    an article is marked done.

    Signals
    -------
    finished(object):
        A retraining ended with a ``RetrainOutcome``.
    """

    finished = Signal(object)

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.task: BackgroundTask | None = None
        self.last_outcome: Any = None
        self.last_error: BaseException | None = None
        self._finished_at = 0
        self._stopped = False

    @property
    def running(self) -> bool:
        return self.task is not None

    def check(self) -> bool:
        """Start a retraining if one is due and none is running; returns whether it started."""
        project = self.window.project
        if self._stopped or self.task is not None or project.path is None or not retraining_due(project):
            return False
        self._finished_at = len(project.done_doc_ids())
        self.task = run_in_subprocess(retrain_job, str(project.path), on_done=self._done, on_error=self._failed,
                                      parent=self.window, name="retrain")
        self.task.ended.connect(self._ended)
        self.window.status.track(self.task, "Retraining in the background")
        return True

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def stop(self) -> None:
        """The window is closing: cancel a running retraining and start no other
        (its project is about to close)."""
        self._stopped = True
        self.cancel()

    def _done(self, outcome: Any) -> None:
        self.last_outcome = outcome
        if outcome.switched:
            self.window._model_changed(outcome.model)
        self.window.statusBar().showMessage(outcome.message(), 60_000)
        self.finished.emit(outcome)

    def _failed(self, exc: BaseException) -> None:
        self.last_error = exc
        # Not again at every finished article: after the next N.
        mark_done(self.window.project, self._finished_at)
        self.window.statusBar().showMessage(f"Background retraining failed: {exc}", 30_000)

    def _ended(self) -> None:
        task, self.task = self.task, None
        if self._stopped or (task is not None and task.state == "cancelled"):
            return
        # Articles finished while it ran may already call for the next one.
        self.check()
