"""Every background job of the window, and the child-process side that runs them.

Pre-annotation runs a spaCy pipeline for seconds to minutes. In a thread of the
window's process it competes with the UI thread for the GIL, and spaCy's compiled
code holds it for tens of milliseconds at a time: the window stutters. In a child
process it cannot. This module is what the child imports, so it imports no Qt: the
child starts fast and never touches a display.

A job is a module-level function ``fn(task, *args, **kwargs)``. It runs in a pool
thread (:func:`annotator.gui.workers.run_in_background`) or in a child process
(:func:`annotator.gui.workers.run_in_subprocess`), where its ``task`` forwards
``progress`` and ``post`` through a queue to the parent. Every job opens its own
connection to the project file from a path: connections never cross threads.
"""

from __future__ import annotations

import os
import time
import traceback
from typing import Any

from annotator.core.errors import AnnotatorError

__all__ = ["ChildCancelled", "ChildTask", "child_main", "export_job", "import_job", "suggest_job", "train_job"]


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


def suggest_job(task: Any, project_path: str, doc_ids: list[int] | None = None, *,
                first: int | None = None) -> dict[str, Any]:
    """Pre-annotate a project's documents not yet suggested by its pipeline.

    Posts ``("pipeline", {...})`` once the pipeline is loaded, each document id
    once its suggestions are stored, so the window repaints as they arrive, and
    ``("failed", record)`` for a document the pipeline or the rules failed on
    (E308; see :func:`annotator.services.suggesting.failure_record`), which is
    left out while the others go on.
    ``first`` (the article open in the window) is suggested on its own before the
    others, so its highlights do not wait for a batch of other articles.
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
        pending = project.unsuggested_doc_ids(suggester.name)
        if doc_ids is not None:
            wanted = set(doc_ids)
            pending = [d for d in pending if d in wanted]
        rounds = [pending]
        if first is not None and first in pending:
            rounds = [[first], [d for d in pending if d != first]]
        total = len(pending)
        merged: dict[str, Any] | None = None
        before = 0

        def each(doc_id: int, failure: dict[str, Any] | None) -> None:
            # A document that fails is left out and named; the others go on.
            task.post(doc_id if failure is None else ("failed", failure))

        for ids in rounds:
            if not ids or task.cancelled():
                continue

            def progress(done: int, _total: int, before: int = before) -> None:
                task.progress(before + done, total, "suggesting")

            summary = suggest_project(project, suggester=suggester, doc_ids=ids, batch_size=8,
                                      progress=progress, cancelled=task.cancelled, on_document=each)
            before += len(ids)
            part = summary.to_dict() | {"doc_ids": list(summary.doc_ids)}
            merged = part if merged is None else _add_summaries(merged, part)
        if merged is None:
            summary = suggest_project(project, suggester=suggester, doc_ids=[], batch_size=8,
                                      cancelled=task.cancelled)
            merged = summary.to_dict() | {"doc_ids": list(summary.doc_ids)}
        return merged
    finally:
        project.close()


def _add_summaries(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Two suggestion summaries (as dicts) as one: counts add up, lists join."""
    out = dict(a)
    for key, value in b.items():
        if isinstance(value, bool) or key not in out:
            out[key] = value
        elif isinstance(value, (int, float)):
            out[key] = out[key] + value
        elif isinstance(value, list):
            out[key] = list(out[key]) + value
    out["cancelled"] = bool(a.get("cancelled")) or bool(b.get("cancelled"))
    if out.get("seconds"):
        out["docs_per_second"] = round(out.get("documents", 0) / out["seconds"], 2)
    return out


def import_job(task: Any, project_path: str, paths: list[str], *, as_suggestions: bool,
               skip_invalid: bool, encoding: str | None, offsets: str | None = None,
               status: str | None = None) -> Any:
    """Import files and folders of articles (the import dialog, drag-and-drop)."""
    from annotator.services.importing import import_paths
    from annotator.storage import open_project

    project = open_project(project_path)
    try:
        return import_paths(project, paths, encoding=encoding, as_suggestions=as_suggestions,
                            skip_invalid=skip_invalid, progress=task.progress, cancelled=task.cancelled,
                            offsets=offsets, status=status)
    finally:
        project.close()


def export_job(task: Any, project_path: str, fmt: str, out: str, options: dict[str, Any]) -> Any:
    """Export the project in a registered format into the folder ``out``."""
    from annotator.services import exporting
    from annotator.storage import open_project

    project = open_project(project_path)
    try:
        return exporting.export(project, format=fmt, out=out, progress=task.progress,
                                cancelled=task.cancelled, **options)
    finally:
        project.close()


def _training_progress(task: Any) -> Any:
    """A ``TrainProgress`` callback that reports to ``task``: (step, max steps,
    text) as progress, each evaluation and phase change as a posted item."""
    last: dict[str, Any] = {"phase": None}

    def progress(event: Any) -> None:
        if event.phase in ("ner", "stance"):
            loss = f"{event.loss:.3f}" if event.loss is not None else "–"
            score = f"{event.score:.3f}" if event.score is not None else "–"
            text = (f"Training {event.phase}: step {event.step:,}"
                    + (f" of {event.max_steps:,}" if event.max_steps else "")
                    + f" · loss {loss} · dev score {score} · {event.docs_seen:,} documents seen")
        else:
            text = event.message[:1].upper() + event.message[1:] + "…"
        task.progress(event.step, event.max_steps or 0, text)
        if event.evaluated or event.phase != last["phase"]:
            last["phase"] = event.phase
            task.post(event)

    return progress


def train_job(task: Any, project_path: str, **options: Any) -> Any:
    """:func:`annotator.services.training.train` as a job (the train dialog).

    ``task.progress`` gets (step, max steps, text) for each step, ``task.post``
    every evaluation and phase change (a ``TrainProgress``), and
    ``task.cancelled`` is polled. Returns the ``TrainSummary``.
    """
    from annotator.services.training import train
    from annotator.storage import open_project

    with open_project(project_path) as project:
        return train(project, progress=_training_progress(task), cancelled=task.cancelled, **options)


def retrain_job(task: Any, project_path: str, **options: Any) -> Any:
    """:func:`annotator.services.retraining.retrain` as a job (background
    retraining in the window); returns the ``RetrainOutcome``."""
    from annotator.services.retraining import retrain
    from annotator.storage import open_project

    with open_project(project_path) as project:
        return retrain(project, progress=_training_progress(task), cancelled=task.cancelled, **options)



def dashboard_job(task: Any, project_path: str) -> Any:
    """The dashboard's figures (all but agreement), on a connection of the job's own."""
    from annotator.services.dashboard import compute
    from annotator.storage import open_project

    with open_project(project_path) as project:
        return compute(project, with_agreement=False)


def dashboard_agreement_job(task: Any, project_path: str) -> Any:
    """Per-label agreement for the dashboard: (rows or None, why not)."""
    from annotator.services.dashboard import agreement
    from annotator.storage import open_project

    with open_project(project_path) as project:
        return agreement(project)


def report_job(task: Any, project_path: str, out: str) -> str:
    """Write the HTML report (run in a child process: matplotlib's settings are
    process-wide, and the window draws its own plots meanwhile)."""
    from annotator.services.dashboard import compute
    from annotator.services.report import write_report
    from annotator.storage import open_project

    with open_project(project_path) as project:
        dash = compute(project)
    return str(write_report(dash, out))
