"""Slow work off the UI thread.

A background function runs on a ``QThreadPool`` thread and gets plain data (paths,
ids, options), never a widget or the UI thread's ``Project``: SQLite connections
belong to the thread that opened them, so a worker opens its own project. It talks
back only through its :class:`BackgroundTask`, whose signals are queued to the UI
thread, so callbacks always run there and may touch widgets.

Progress is coalesced: a worker may report thousands of steps per second, but at
most one progress delivery is queued at a time and it carries the latest figures,
so a chatty worker cannot flood the event loop (and stall the window) with updates.
Items posted with :meth:`BackgroundTask.post` are never coalesced; workers use them
for things each of which the window must see (a document that got suggestions).
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

__all__ = [
    "BackgroundTask",
    "TaskCancelled",
    "cancel_all",
    "live_tasks",
    "run_in_background",
    "run_in_subprocess",
    "prepare_subprocesses",
    "wait_all",
]


class TaskCancelled(Exception):
    """Raised inside a background function (by :meth:`BackgroundTask.check_cancelled`)
    to stop early; the task then ends as cancelled, not failed."""


class BackgroundTask(QObject):
    """A handle on one piece of background work: progress, cancel, outcome.

    The background function receives it as its first argument and calls
    :meth:`progress`, :meth:`post`, :meth:`cancelled` / :meth:`check_cancelled`;
    the UI thread connects to the public signals (or passes callbacks to
    :func:`run_in_background`) and may call :meth:`cancel` at any time.
    """

    #: done, total, text: the latest progress (coalesced), in the UI thread.
    progressed = Signal(int, int, str)
    #: one item posted by the worker, in the UI thread, in order.
    posted = Signal(object)
    #: the function's return value.
    succeeded = Signal(object)
    #: the exception the function raised (with ``__traceback_text__`` set).
    failed = Signal(object)
    #: the function stopped because the task was cancelled.
    was_cancelled = Signal()
    #: emitted last, whatever the outcome.
    ended = Signal()

    # Emitted from the worker thread; queued to the UI-thread slots below.
    _progress_ready = Signal()
    _item_ready = Signal(object)
    _outcome_ready = Signal(str, object)

    def __init__(self, name: str = "", parent: QObject | None = None) -> None:
        super().__init__(None)
        self.name = name
        self.state = "pending"  # pending | running | succeeded | failed | cancelled
        self.result: Any = None
        self.error: BaseException | None = None
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self.last_progress: tuple[int, int, str] = (0, 0, "")
        self._cancel = threading.Event()
        self._finished = threading.Event()
        self._lock = threading.Lock()
        self._pending_progress: tuple[int, int, str] | None = None
        self._detached = False
        self._progress_ready.connect(self._deliver_progress, Qt.ConnectionType.QueuedConnection)
        self._item_ready.connect(self._deliver_item, Qt.ConnectionType.QueuedConnection)
        self._outcome_ready.connect(self._deliver_outcome, Qt.ConnectionType.QueuedConnection)
        if parent is not None:
            # The owner going away (a dialog closed) cancels the work and drops the
            # callbacks, which would otherwise touch deleted widgets.
            parent.destroyed.connect(self._owner_destroyed)

    # -- called from the worker thread ------------------------------------------

    def progress(self, done: int, total: int, text: str = "") -> None:
        """Report progress; cheap enough to call for every item."""
        with self._lock:
            queued = self._pending_progress is not None
            self._pending_progress = (int(done), int(total), str(text))
        if not queued:
            self._emit(self._progress_ready)

    def post(self, item: object) -> None:
        """Deliver ``item`` to the UI thread (``posted`` signal / ``on_item``)."""
        self._emit(self._item_ready, item)

    def cancelled(self) -> bool:
        """Whether the UI asked this task to stop."""
        return self._cancel.is_set()

    def check_cancelled(self) -> None:
        """Raise :class:`TaskCancelled` when the UI asked this task to stop."""
        if self._cancel.is_set():
            raise TaskCancelled()

    def _emit(self, signal: Any, *args: object) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the QObject is gone (application shutting down)
            pass

    # -- called from the UI thread ----------------------------------------------

    def cancel(self) -> None:
        """Ask the function to stop; it does so at its next check."""
        self._cancel.set()

    def is_running(self) -> bool:
        return not self._finished.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the function has returned (not until callbacks ran).

        Returns False on timeout. Tests and shutdown use it; the window never does.
        """
        return self._finished.wait(timeout)

    @Slot()
    def _owner_destroyed(self) -> None:
        self._detached = True
        self.cancel()

    @Slot()
    def _deliver_progress(self) -> None:
        with self._lock:
            latest = self._pending_progress
            self._pending_progress = None
        if latest is None or self._detached:
            return
        self.last_progress = latest
        self.progressed.emit(*latest)

    @Slot(object)
    def _deliver_item(self, item: object) -> None:
        if not self._detached:
            self.posted.emit(item)

    @Slot(str, object)
    def _deliver_outcome(self, state: str, value: object) -> None:
        # Flush the last coalesced progress first so listeners see the final figures.
        self._deliver_progress()
        self.state = state
        _LIVE.discard(self)
        if not self._detached:
            if state == "succeeded":
                self.succeeded.emit(value)
            elif state == "failed":
                self.failed.emit(value)
            else:
                self.was_cancelled.emit()
            self.ended.emit()

    # -- the run itself (worker thread) -------------------------------------------

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.started_at = time.perf_counter()
        self.state = "running"
        state: str
        value: object
        try:
            if self._cancel.is_set():
                raise TaskCancelled()
            value = fn(self, *args, **kwargs)
            state = "succeeded"
            self.result = value
        except TaskCancelled:
            state, value = "cancelled", None
        except BaseException as exc:  # noqa: BLE001 - reported to the UI, never lost
            if self._cancel.is_set() and type(exc).__name__.endswith("Cancelled"):
                # Services raise their own "...Cancelled" when they notice the token.
                state, value = "cancelled", None
            else:
                exc.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
                self.error = exc
                state, value = "failed", exc
        self.ended_at = time.perf_counter()
        self._finished.set()
        self._emit(self._outcome_ready, state, value)


class _Runnable(QRunnable):
    def __init__(self, task: BackgroundTask, fn: Callable[..., Any], args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._task = task
        self._fn = fn
        self._args = args
        self._kwargs = kwargs

    def run(self) -> None:
        self._task._run(self._fn, self._args, self._kwargs)


# Tasks stay referenced here until their outcome reached the UI thread, so a caller
# that drops its handle does not lose the callbacks to garbage collection.
_LIVE: set[BackgroundTask] = set()


def run_in_background(
    fn: Callable[..., Any],
    *args: Any,
    on_progress: Callable[[int, int, str], None] | None = None,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    on_cancelled: Callable[[], None] | None = None,
    on_item: Callable[[object], None] | None = None,
    parent: QObject | None = None,
    name: str = "",
    pool: QThreadPool | None = None,
    **kwargs: Any,
) -> BackgroundTask:
    """Run ``fn(task, *args, **kwargs)`` on a pool thread.

    Parameters
    ----------
    fn:
        The work. It gets the :class:`BackgroundTask` first; it must not touch
        widgets or the UI thread's project (open its own from a path instead).
    on_progress, on_done, on_error, on_cancelled, on_item:
        Called in the UI thread with, respectively, ``(done, total, text)``, the
        return value, the exception, nothing, and each item the worker posted.
    parent:
        Owner whose destruction cancels the task and silences its callbacks.
    name:
        Shown by the status bar while the task runs.

    Returns
    -------
    BackgroundTask
        The handle: ``cancel()``, ``wait()``, ``state``, and the same signals.
    """
    task = BackgroundTask(name or getattr(fn, "__name__", "task"), parent)
    if on_progress is not None:
        task.progressed.connect(on_progress)
    if on_done is not None:
        task.succeeded.connect(on_done)
    if on_error is not None:
        task.failed.connect(on_error)
    if on_cancelled is not None:
        task.was_cancelled.connect(on_cancelled)
    if on_item is not None:
        task.posted.connect(on_item)
    _LIVE.add(task)
    (pool or QThreadPool.globalInstance()).start(_Runnable(task, fn, args, kwargs))
    return task


class SubprocessFailed(Exception):
    """A job in a child process raised an exception that is not an AnnotatorError."""


_MP_CONTEXT: Any = None


def _mp_context() -> Any:
    import multiprocessing

    global _MP_CONTEXT
    if _MP_CONTEXT is None:
        methods = multiprocessing.get_all_start_methods()
        _MP_CONTEXT = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    return _MP_CONTEXT


def prepare_subprocesses() -> None:
    """Start the process that child jobs are forked from, while this process is small.

    Forking the window's process later (hundreds of MB with Qt and a tokenizer)
    holds the GIL long enough to stall the UI; with a fork server started early,
    each job forks from that small server instead, and starts fast because the
    server has the job modules imported already. Call it once, before the window
    opens; without it the first job starts the server itself.
    """
    ctx = _mp_context()
    if ctx.get_start_method() != "forkserver":
        return
    ctx.set_forkserver_preload(["annotator.gui.jobs", "annotator.services.suggesting"])
    from multiprocessing import forkserver

    forkserver.ensure_running()


def _relay_child(task: BackgroundTask, fn: Callable[..., Any], args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> Any:
    """Thread job: start the child, relay its messages, stop it on cancel."""
    from queue import Empty

    from annotator.core.errors import AnnotatorError
    from annotator.gui.jobs import child_main

    ctx = _mp_context()
    queue = ctx.Queue()
    cancel = ctx.Event()
    proc = ctx.Process(target=child_main, args=(fn, args, kwargs, queue, cancel), daemon=True,
                       name=f"annotator-{getattr(fn, '__name__', 'job')}")
    proc.start()
    try:
        while True:
            if task.cancelled() and not cancel.is_set():
                cancel.set()
            try:
                msg = queue.get(timeout=0.05)
            except Empty:
                if not proc.is_alive():
                    try:
                        msg = queue.get(timeout=0.5)
                    except Empty:
                        if task.cancelled():
                            raise TaskCancelled() from None
                        raise SubprocessFailed(
                            f"the background process stopped unexpectedly (exit code {proc.exitcode})"
                        ) from None
                else:
                    continue
            kind = msg[0]
            if kind == "progress":
                task.progress(msg[1], msg[2], msg[3])
            elif kind == "item":
                task.post(msg[1])
            elif kind == "done":
                return msg[1]
            elif kind == "cancelled":
                raise TaskCancelled()
            elif kind == "annotator_error":
                _, code, message, path, line, tb = msg
                exc = AnnotatorError.__new__(AnnotatorError)
                exc.code, exc.message, exc.path, exc.line, exc.fields = code, message, path, line, {}
                Exception.__init__(exc, str(exc))
                exc.__traceback_text__ = tb  # type: ignore[attr-defined]
                raise exc
            else:
                _, name, text, tb = msg
                exc2 = SubprocessFailed(f"{name}: {text}")
                exc2.__traceback_text__ = tb  # type: ignore[attr-defined]
                raise exc2
    finally:
        proc.join(5.0)
        if proc.is_alive():
            proc.terminate()
            proc.join(2.0)
        queue.close()


def run_in_subprocess(
    fn: Callable[..., Any],
    *args: Any,
    on_progress: Callable[[int, int, str], None] | None = None,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    on_cancelled: Callable[[], None] | None = None,
    on_item: Callable[[object], None] | None = None,
    parent: QObject | None = None,
    name: str = "",
    **kwargs: Any,
) -> BackgroundTask:
    """Like :func:`run_in_background`, but ``fn`` runs in a child process.

    For CPU-heavy Python work (a spaCy pipeline) that would otherwise hold the GIL
    and stall the UI thread. ``fn`` must be a module-level function of a Qt-free
    module (the child imports it; see :mod:`annotator.gui.jobs`), and its arguments,
    posted items and result must pickle. Cancel sets an event the child polls.
    """
    return run_in_background(_relay_child, fn, args, kwargs, on_progress=on_progress, on_done=on_done,
                             on_error=on_error, on_cancelled=on_cancelled, on_item=on_item, parent=parent,
                             name=name or getattr(fn, "__name__", "job"))


def live_tasks() -> list[BackgroundTask]:
    """Tasks whose outcome has not reached the UI thread yet."""
    return list(_LIVE)


def cancel_all() -> None:
    """Ask every running task to stop (the window is closing)."""
    for task in list(_LIVE):
        task.cancel()


def wait_all(timeout: float = 10.0) -> bool:
    """Wait until every task's function has returned; False when one is still running."""
    deadline = time.monotonic() + timeout
    return all(task.wait(max(0.0, deadline - time.monotonic())) for task in list(_LIVE))
