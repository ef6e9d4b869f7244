"""A decision the project is too busy to take waits and is saved in order, never dropped."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from PySide6.QtCore import Qt

from tests.gui.editing import open_window, seed

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
