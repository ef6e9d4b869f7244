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
handed to ``on_error`` instead, and the stack is left where it was.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand, QUndoStack

from annotator.core.errors import AnnotatorError
from annotator.services.session import Change, Command

__all__ = ["RETRYABLE", "DecisionCommand", "push_decision"]


class DecisionCommand(QUndoCommand):
    """One undoable decision (see the module notes)."""

    def __init__(self, command: Command, apply: Callable[[Change], None], *,
                 on_error: Callable[[BaseException], None] | None = None, done: bool = False) -> None:
        super().__init__(command.label)
        self.command = command
        self._apply = apply
        self._on_error = on_error
        self._skip_redo = done

    def redo(self) -> None:
        if self._skip_redo:
            self._skip_redo = False
            return
        self._run(self.command.do)

    def undo(self) -> None:
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


#: Codes of a write that can succeed when tried again: the project was busy, the
#: disk full, the file read-only for a moment, or a read or write failed.
RETRYABLE = frozenset({"E005", "E901", "E902", "E905"})


def push_decision(stack: QUndoStack, command: Command, apply: Callable[[Change], None], *,
                  on_error: Callable[[BaseException], None] | None = None,
                  retry: Callable[[AnnotatorError], bool] | None = None) -> Change | None:
    """Do ``command`` (durable on return), show it, and push it on ``stack``.

    A write that fails for a reason that can pass (:data:`RETRYABLE`: a full disk,
    a busy project) is offered to ``retry``, which says whether to try again (after
    the user freed some space, say); the decision is never dropped silently. When
    ``retry`` gives up, nothing was saved or shown, and None is returned.
    """
    while True:
        try:
            change = command.do()
            break
        except AnnotatorError as exc:
            if retry is None or exc.code not in RETRYABLE:
                raise
            if not retry(exc):
                return None
    stack.push(DecisionCommand(command, apply, on_error=on_error, done=True))
    apply(change)
    return change
