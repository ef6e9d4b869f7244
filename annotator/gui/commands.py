"""Decisions on the window's one ``QUndoStack``.

A :class:`DecisionCommand` wraps a session :class:`~annotator.services.session.Command`:
its text is the command's label (so the Edit menu reads "Undo Accept PERSON
'Macron'"), ``redo()`` calls ``do()`` and ``undo()`` calls ``undo()``, each of which
commits one transaction before returning, and hands the resulting change to the
window to repaint.

Note for developers: :func:`push_decision` runs the first ``do()`` itself, before
the command goes on the stack, so that a failing write raises to the caller and
leaves no entry on the stack; ``QUndoStack.push`` then skips that first redo. Qt
swallows exceptions raised inside ``redo()``/``undo()``, so later failures are
handed to ``on_error`` instead.

A decision that waits for a busy project (:class:`PendingDecisions`) goes on the
stack at once, in the order it was made, so Undo always acts on the newest
decision: undoing one that still waits takes it off the queue (nothing is
written), and redoing it queues it again, or saves it when nothing waits. Undo
and redo of written decisions are writes too: when the project is busy they
wait in the same queue, in order, instead of holding the window.
"""

from __future__ import annotations

import weakref
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from annotator.core.errors import AnnotatorError
from annotator.services.session import Change, Command

__all__ = ["DECISION_LOCK_WAIT_S", "RETRYABLE", "DecisionCommand", "PendingDecisions", "push_decision"]

#: How long a decision waits for the write lock on the UI thread before it is set
#: aside in :class:`PendingDecisions` (an import holds it a few tens of ms at most).
DECISION_LOCK_WAIT_S = 0.5


class DecisionCommand(QUndoCommand):
    """One undoable decision (see the module notes)."""

    def __init__(self, command: Command, apply: Callable[[Change], None], *,
                 on_error: Callable[[BaseException], None] | None = None, done: bool = False,
                 pending: PendingDecisions | None = None) -> None:
        super().__init__(command.label)
        self.command = command
        self._apply = apply
        self._on_error = on_error
        self._skip_redo = done
        self._pending = pending

    def redo(self) -> None:
        if self._skip_redo:
            self._skip_redo = False
            return
        if self._pending is not None:
            self._pending.submit(self.command)
            return
        self._run(self.command.do)

    def undo(self) -> None:
        if self._pending is not None:
            if self._pending.withdraw(self.command):
                return  # it was still waiting: never written, nothing to undo in the project
            if self._pending.was_dropped(self.command):
                self.setObsolete(True)  # never written (its save failed and was reported)
                return
            # Written: its undo is a write too, so it waits its turn when the project is busy.
            self._pending.submit(_UndoStep(self.command))
            return
        self._run(self.command.undo)

    def _run(self, step: Callable[[], Change]) -> None:
        try:
            change = step()
        except Exception as exc:  # Qt would drop it silently
            if self._on_error is None:
                raise
            self._on_error(exc)
            return
        self._apply(change)


class _UndoStep(Command):
    """The undo of a written decision, as a step that can wait in :class:`PendingDecisions`."""

    def __init__(self, command: Command) -> None:
        super().__init__(command.project, command.doc_id)
        self.command = command
        self.label = f"Undo {command.label}"

    def do(self) -> Change:
        return self.command.undo()

    def undo(self) -> Change:
        return self.command.do()


#: Codes of a write that can succeed when tried again: the project was busy, the
#: disk full, the file read-only for a moment, or a read or write failed.
RETRYABLE = frozenset({"E005", "E901", "E902", "E905"})


def _do_waiting_briefly(command: Command) -> Change:
    project = getattr(command, "project", None)
    if project is None or not hasattr(project, "waiting_at_most"):
        return command.do()
    with project.waiting_at_most(DECISION_LOCK_WAIT_S):
        return command.do()


def _is_busy(exc: BaseException) -> bool:
    return isinstance(exc, AnnotatorError) and exc.code == "E005"


class PendingDecisions(QObject):
    """Decisions waiting for the project's write lock, saved in order.

    ``changed(count, reason)`` tells the window how many wait and why (the E005
    message); ``count`` 0 means all of them are saved. ``withdrawn(command)``:
    Undo took a waiting decision off the queue before it was written.
    """

    changed = Signal(int, str)
    withdrawn = Signal(object)
    RETRY_MS = 250

    def __init__(self, stack: QUndoStack, apply: Callable[[Change], None], *,
                 on_error: Callable[[BaseException], None] | None = None, parent: QObject | None = None,
                 apply_saved: Callable[[Change], None] | None = None) -> None:
        super().__init__(parent)
        self._stack = stack
        self._apply = apply
        #: Shows a decision saved after waiting (by then the annotator may be elsewhere).
        self._apply_saved = apply_saved or apply
        self._on_error = on_error
        self._queue: deque[Command] = deque()
        #: Commands taken off the queue because their save failed for good (reported).
        self._dropped: weakref.WeakSet[Command] = weakref.WeakSet()
        self._reason = ""
        self._timer = QTimer(self)
        self._timer.setInterval(self.RETRY_MS)
        self._timer.timeout.connect(self.flush)

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, command: Command, reason: BaseException | None = None) -> None:
        self._queue.append(command)
        if reason is not None:
            self._reason = str(reason)
        if not self._timer.isActive():
            self._timer.start()
        self.changed.emit(len(self._queue), str(reason) if reason is not None else self._reason)

    def was_dropped(self, command: Command) -> bool:
        return command in self._dropped

    def withdraw(self, command: Command) -> bool:
        """Take ``command`` off the queue unwritten (Undo of a waiting decision);
        False when it is not waiting."""
        for i, queued in enumerate(self._queue):
            if queued is command:
                del self._queue[i]
                if not self._queue:
                    self._timer.stop()
                self.changed.emit(len(self._queue), self._reason if self._queue else "")
                self.withdrawn.emit(command)
                return True
        return False

    def submit(self, command: Command) -> None:
        """Save ``command`` now (Redo), or queue it behind the waiting ones or
        when the project is busy; any other failure goes to ``on_error``."""
        if self._queue:
            self.add(command)
            return
        try:
            change = _do_waiting_briefly(command)
        except Exception as exc:  # noqa: BLE001 - busy: wait in the queue; anything else: say so
            if _is_busy(exc):
                self.add(command, exc)
            elif self._on_error is not None:
                self._on_error(exc)
            else:
                raise
            return
        self._apply(change)

    def flush(self, *, wait: float | None = None) -> bool:
        """Try to save the waiting decisions, oldest first; True when none is left."""
        while self._queue:
            command = self._queue[0]
            try:
                if wait is None:
                    change = _do_waiting_briefly(command)
                else:
                    with command.project.waiting_at_most(wait):
                        change = command.do()
            except Exception as exc:  # noqa: BLE001 - busy: try again later; anything else: say so
                if _is_busy(exc):
                    self.changed.emit(len(self._queue), str(exc))
                    return False
                self._queue.popleft()
                self._dropped.add(command)
                if self._on_error is not None:
                    self._on_error(exc)
                continue
            self._queue.popleft()
            # Its entry went on the undo stack when it was made (see push_decision).
            self._apply_saved(change)
        self._timer.stop()
        self._reason = ""
        self.changed.emit(0, "")
        return True


def push_decision(stack: QUndoStack, command: Command, apply: Callable[[Change], None], *,
                  on_error: Callable[[BaseException], None] | None = None,
                  retry: Callable[[AnnotatorError], bool] | None = None,
                  pending: PendingDecisions | None = None) -> Change | None:
    """Do ``command`` (durable on return), show it, and push it on ``stack``.

    With ``pending``, a decision the project is too busy to take (E005), and every
    decision after it until the queue is empty, waits there and is saved in order
    as soon as the lock is free (returns None meanwhile). Any other write that
    fails for a reason that can pass (:data:`RETRYABLE`: a full disk) is offered to
    ``retry``, which says whether to try again (after the user freed some space,
    say); the decision is never dropped silently. When ``retry`` gives up, nothing
    was saved or shown, and None is returned.
    """
    entry = DecisionCommand(command, apply, on_error=on_error, done=True, pending=pending)
    if pending is not None and len(pending):
        pending.add(command)
        stack.push(entry)  # on the stack at once: Undo takes the newest decision, waiting or not
        return None
    while True:
        try:
            change = _do_waiting_briefly(command) if pending is not None else command.do()
            break
        except AnnotatorError as exc:
            if pending is not None and _is_busy(exc):
                pending.add(command, exc)
                stack.push(entry)
                return None
            if retry is None or exc.code not in RETRYABLE:
                raise
            if not retry(exc):
                return None
    stack.push(entry)
    apply(change)
    return change
