"""A decision the project is too busy to take waits and is saved in order, never dropped."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from tests.gui.editing import open_window, seed

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier

HOLDER = textwrap.dedent("""
    import sqlite3, sys
    c = sqlite3.connect(sys.argv[1], isolation_level=None)
    c.execute("BEGIN IMMEDIATE")
    print("held", flush=True)
    sys.stdin.readline()
    c.execute("ROLLBACK")
    print("released", flush=True)
""")


def test_decisions_wait_for_a_busy_project_and_are_saved_in_order(qtbot, project, project_path):
    first, _second = seed(project)
    win = open_window(qtbot, project, first)
    view = win.editor.view
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(project_path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        qtbot.keyClick(view, Qt.Key.Key_Tab)
        one = win.session.focused.id
        qtbot.keyClick(view, Qt.Key.Key_A)  # waits briefly, then is set aside
        assert len(win.pending_decisions) == 1
        assert "waiting to be saved" in win.statusBar().currentMessage()
        assert "another program" in win.statusBar().currentMessage()
        win.load_document(_second)
        qtbot.keyClick(view, Qt.Key.Key_Space)  # mark done: queued behind the first
        assert len(win.pending_decisions) == 2
        assert project.span(one).status == "suggested"
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "released"
        qtbot.waitUntil(lambda: len(win.pending_decisions) == 0, timeout=10_000)
    finally:
        holder.kill()
        holder.wait()
    assert project.span(one).status == "accepted"
    assert project.doc_status(_second) == "done"
    actions = [r[0] for r in project.conn.execute(
        "SELECT action FROM events WHERE action IN ('span.accept', 'span.update', 'document.status') ORDER BY id")]
    assert actions[-1] == "document.status" and len(actions) == 2
    assert win.undo_stack.count() == 2


class _HeldLock:
    """Another process holding the project's write lock until :meth:`release`."""

    def __init__(self, path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "held"

    def release(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write("\n")
            self.proc.stdin.flush()
            assert self.proc.stdout.readline().strip() == "released"

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()


def _close_dialogs(seen: list[str]) -> QTimer:
    """Close any modal dialog at once (recording its title), so a test fails
    instead of waiting for a click."""
    def close() -> None:
        box = QApplication.activeModalWidget()
        if box is not None:
            seen.append(box.windowTitle())
            box.close()

    timer = QTimer()
    timer.setInterval(50)
    timer.timeout.connect(close)
    timer.start()
    return timer


def test_undo_takes_back_the_newest_waiting_decision_first_and_redo_follows(qtbot, project, project_path):
    first, second = seed(project)
    win = open_window(qtbot, project, first)
    view = win.editor.view
    undo = win.actions_by_id["annotator.edit.undo"]
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    saved = win.session.focused.id
    qtbot.keyClick(view, Qt.Key.Key_A)  # written at once: nobody holds the lock
    assert project.span(saved).status == "accepted"
    saved_undo = undo.text()
    dialogs: list[str] = []
    closer = _close_dialogs(dialogs)
    lock = _HeldLock(project_path)
    try:
        qtbot.keyClick(view, Qt.Key.Key_Tab)
        waiting = win.session.focused.id
        assert waiting != saved
        qtbot.keyClick(view, Qt.Key.Key_A)  # waits: the project is busy
        qtbot.keyClick(view, Qt.Key.Key_Space)  # mark done and next: queued behind it
        assert len(win.pending_decisions) == 2
        assert win.editor.doc_id == second
        assert undo.text().startswith("Undo Mark")

        qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)  # the newest decision: mark done, never written
        assert len(win.pending_decisions) == 1
        assert win.editor.doc_id == first  # its on-screen effect (moving on) is taken back
        assert "before it was saved" in win.statusBar().currentMessage()
        qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)  # the waiting accept, not the saved one
        assert len(win.pending_decisions) == 0
        assert win.session.focused_id == waiting
        assert project.span(saved).status == "accepted"
        assert undo.text() == saved_undo

        qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)  # now the saved one: its undo waits too, the window goes on
        assert len(win.pending_decisions) == 1
        assert project.span(saved).status == "accepted"
        qtbot.keyClick(view, Qt.Key.Key_Z, CTRL | SHIFT)  # redo it: queued behind its undo
        qtbot.keyClick(view, Qt.Key.Key_Z, CTRL | SHIFT)  # redo the accept that was taken back
        assert len(win.pending_decisions) == 3
        lock.release()
        qtbot.waitUntil(lambda: len(win.pending_decisions) == 0, timeout=10_000)
    finally:
        lock.kill()
        closer.stop()
    assert dialogs == []
    assert project.span(saved).status == "accepted"
    assert project.span(waiting).status == "accepted"
    assert project.doc_status(first) != "done"
    assert win.undo_stack.count() == 3 and win.undo_stack.index() == 2
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL | SHIFT)  # mark done, written now
    assert project.doc_status(first) == "done"
    for _ in range(3):
        qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert project.doc_status(first) != "done"
    assert project.span(waiting).status == "suggested" and project.span(saved).status == "suggested"
    actions = [r[0] for r in project.conn.execute(
        "SELECT action FROM events WHERE action LIKE 'span.%' OR action LIKE 'document.%' ORDER BY id")]
    # Nothing was written for the decisions undone while they waited; the saved one
    # was undone and redone in order once the lock was free.
    assert actions.count("span.accept") == 3 and actions.count("document.status") == 2
    assert actions.count("span.status.undo") == 3


def test_a_decision_saved_after_waiting_does_not_pull_the_window_back(qtbot, project, project_path):
    first, second = seed(project)
    win = open_window(qtbot, project, first)
    view = win.editor.view
    lock = _HeldLock(project_path)
    try:
        qtbot.keyClick(view, Qt.Key.Key_Tab)
        span = win.session.focused.id
        qtbot.keyClick(view, Qt.Key.Key_A)  # waits
        assert len(win.pending_decisions) == 1
        win.load_document(second)  # the annotator reads on
        lock.release()
        qtbot.waitUntil(lambda: len(win.pending_decisions) == 0, timeout=10_000)
    finally:
        lock.kill()
    assert project.span(span).status == "accepted"
    assert win.editor.doc_id == second
    win.load_document(first)
    assert win.session.span(span).status == "accepted"
