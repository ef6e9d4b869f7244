"""The child-process side of background jobs, and the jobs that run there.

Pre-annotation runs a spaCy pipeline for seconds to minutes. In a thread of the
window's process it competes with the UI thread for the GIL, and spaCy's compiled
code holds it for tens of milliseconds at a time: the window stutters. In a child
process it cannot. This module is what the child imports, so it imports no Qt: the
child starts fast and never touches a display.

A job is a module-level function ``fn(task, *args, **kwargs)``, like a thread job;
its ``task`` forwards ``progress`` and ``post`` through a queue to the parent, where
:func:`annotator.gui.workers.run_in_subprocess` turns them into the usual signals.
"""

from __future__ import annotations

import os
import time
import traceback
from typing import Any

from annotator.core.errors import AnnotatorError


class ChildCancelled(Exception):
    """Raised in the child by :meth:`ChildTask.check_cancelled`."""


class ChildTask:
    """The ``task`` a job gets in the child: same methods as a thread task."""

    def __init__(self, queue: Any, cancel_event: Any) -> None:
        self._queue = queue
        self._cancel = cancel_event
        self._last_progress = 0.0

    def progress(self, done: int, total: int, text: str = "") -> None:
        # The parent coalesces too; this only keeps the pipe from filling up.
        now = time.monotonic()
        if done >= total or now - self._last_progress > 0.03:
            self._last_progress = now
            self._queue.put(("progress", int(done), int(total), str(text)))

    def post(self, item: object) -> None:
        self._queue.put(("item", item))

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check_cancelled(self) -> None:
        if self._cancel.is_set():
            raise ChildCancelled()


def child_main(fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any], queue: Any, cancel_event: Any) -> None:
    """Entry point of the child process."""
    # Background work yields the CPU to the window when both want it (two cores
    # shared with a browser and a model is the common case).
    if hasattr(os, "nice"):
        try:
            os.nice(10)
        except OSError:
            pass
    task = ChildTask(queue, cancel_event)
    try:
        result = fn(task, *args, **kwargs)
    except ChildCancelled:
        queue.put(("cancelled",))
    except AnnotatorError as exc:
        if cancel_event.is_set():
            queue.put(("cancelled",))
        else:
            queue.put(("annotator_error", exc.code, exc.message, exc.path, exc.line, traceback.format_exc()))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, never lost
        if cancel_event.is_set() and type(exc).__name__.endswith("Cancelled"):
            queue.put(("cancelled",))
        else:
            queue.put(("error", type(exc).__name__, str(exc), traceback.format_exc()))
    else:
        queue.put(("done", result))


# -- jobs ------------------------------------------------------------------------------


def suggest_job(task: Any, project_path: str, doc_ids: list[int] | None = None) -> dict[str, Any]:
    """Pre-annotate a project's documents not yet suggested by its pipeline.

    Posts ``("pipeline", {...})`` once the pipeline is loaded and each document id
    once its suggestions are stored, so the window repaints as they arrive.
    """
    from annotator.services.suggesting import project_suggester, suggest_project
    from annotator.storage import open_project

    project = open_project(project_path)
    try:
        task.progress(0, 0, "loading the pipeline")
        suggester = project_suggester(project)
        pipeline = getattr(suggester, "pipeline", None)
        task.post(("pipeline", {"name": getattr(pipeline, "origin", None) or suggester.name,
                                "rules_only": bool(suggester.rules_only),
                                "description": suggester.describe()}))
        # suggest_project stores documents in this order; the n-th progress call
        # means the n-th of them is stored, which is all the window needs to know.
        pending = project.unsuggested_doc_ids(suggester.name)
        if doc_ids is not None:
            wanted = set(doc_ids)
            pending = [d for d in pending if d in wanted]
        reported = [0]

        def progress(done: int, total: int) -> None:
            task.progress(done, total, "suggesting")
            for i in range(reported[0], min(done, len(pending))):
                task.post(pending[i])
            reported[0] = max(reported[0], done)

        summary = suggest_project(project, suggester=suggester, doc_ids=pending, batch_size=8,
                                  progress=progress, cancelled=task.cancelled)
        return summary.to_dict() | {"doc_ids": list(summary.doc_ids)}
    finally:
        project.close()
