"""The window's WAL checkpoints, run off the UI thread while the person pauses.

SQLite checkpoints a WAL-mode file automatically in whichever connection's commit
finds the WAL past 1,000 pages: that commit's caller waits while the WAL is copied
into the database file and synced. Beside an import the WAL stays past that size,
so about half the window's commits ran the checkpoint, and some of them copied a
thousand pages of the import's articles while a key press waited (measured with
``benchmarks/bench_import_wait.py --decider-autocheckpoint``). So the window's connection never
checkpoints on commit (:meth:`~annotator.storage.Project.skip_checkpoints_on_commit`)
and :class:`IdleCheckpoints` runs a passive checkpoint on a pool thread, on a
connection of its own, every :attr:`IdleCheckpoints.INTERVAL_MS`, waiting for a
pause in the decisions first. That keeps the WAL bounded when the window is the
only writer; imports and other batch writers keep SQLite's automatic checkpoint,
and closing the last connection checkpoints as before.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import QObject, QTimer

from annotator.gui.workers import BackgroundTask, run_in_background
from annotator.storage import Project, checkpoint_wal

log = logging.getLogger(__name__)

__all__ = ["IdleCheckpoints", "checkpoint_job"]


def checkpoint_job(task: Any, project_path: str) -> tuple[int, int, int]:
    """A passive checkpoint of the project's WAL (SQLite's (busy, frames, copied))."""
    return checkpoint_wal(project_path)


class IdleCheckpoints(QObject):
    """Checkpoints the window's project in the background while the person pauses."""

    #: How often the WAL is checkpointed (at most this many seconds of decisions wait in it).
    INTERVAL_MS = 30_000
    #: A checkpoint waits for this long a pause after the last decision ...
    QUIET_MS = 1000
    #: ... but at most this many times (a steady pace never leaves the WAL to grow).
    MAX_DEFERRALS = 10

    def __init__(self, project: Project, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project
        #: The checkpoint running or last run (None before the first).
        self.task: BackgroundTask | None = None
        self._last_decision = float("-inf")
        self._deferrals = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.run_when_idle)
        self.attach(project)

    def attach(self, project: Project) -> None:
        """Take over ``project`` (the window's, after a switch too): its commits stop checkpointing."""
        self.project = project
        if project.path is not None:
            project.skip_checkpoints_on_commit()
        self._deferrals = 0
        self._timer.start(self.INTERVAL_MS)

    def decision_made(self, *_: object) -> None:
        self._last_decision = time.monotonic()

    def stop(self) -> None:
        self._timer.stop()

    def run_when_idle(self) -> None:
        """Run a checkpoint now unless a decision was just made (then shortly after)."""
        quiet = (time.monotonic() - self._last_decision) * 1000 >= self.QUIET_MS
        if not quiet and self._deferrals < self.MAX_DEFERRALS:
            self._deferrals += 1
            self._timer.start(self.QUIET_MS)
            return
        self._deferrals = 0
        self.run_now()
        self._timer.start(self.INTERVAL_MS)

    def run_now(self) -> BackgroundTask | None:
        """Start a passive checkpoint on a pool thread (None when one is still
        running or the project has no file)."""
        if self.project.path is None or (self.task is not None and self.task.is_running()):
            return None
        self.task = run_in_background(checkpoint_job, str(self.project.path), on_error=self._failed,
                                      parent=self, name="checkpoint")
        return self.task

    def _failed(self, exc: BaseException) -> None:
        # Nothing is lost: every decision is already durable in the WAL. The next
        # checkpoint tries again, and closing the project checkpoints it.
        log.warning("background checkpoint of %s failed: %s", self.project.path, exc)
