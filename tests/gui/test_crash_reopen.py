"""Nothing shown on screen is lost: a window destroyed without closing, and a
process killed with SIGKILL right after a decision, leave every decision in the file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from annotator.storage import open_project
from tests.gui import editing
from tests.gui.editing import TEXT, at, close_and_delete, open_window, seed

windows = editing.windows  # the fixture that opens main windows

REPO = Path(__file__).resolve().parents[2]


def test_window_destroyed_without_close_keeps_decisions(qtbot, project, project_path):
    first, second = seed(project)
    win = open_window(qtbot, project, first, register=False)
    view = win.editor.view
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    accepted = win.session.focused.id
    qtbot.keyClick(view, Qt.Key.Key_A)
    view.select_range(*at(TEXT, "Germany"))
    qtbot.keyClick(view, Qt.Key.Key_3)
    qtbot.keyClick(view, Qt.Key.Key_Space)
    # No closeEvent, no project.close(): the C++ window is simply gone.
    import shiboken6

    shiboken6.delete(win)
    other = open_project(project_path)
    try:
        assert other.span(accepted).status == "accepted"
        assert [(s.start, s.end) for s in other.spans(first) if s.origin == "human"] == [at(TEXT, "Germany")]
        assert other.doc_status(first, "tester") == "done"
    finally:
        other.close()


def test_reopened_window_shows_the_saved_work(windows, qtbot, project, project_path):
    first, second = seed(project)
    win = windows(first)
    qtbot.keyClick(win.editor.view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(win.editor.view, Qt.Key.Key_N)
    win.close()
    again = open_project(project_path, annotator="tester")
    try:
        win2 = windows(on_project=again)
        assert win2.editor.doc_id == second  # the article the user was on
        win2.load_document(first)
        assert {s.status for s in win2.editor.view.spans_shown()} == {"accepted"}
        close_and_delete(win2)
    finally:
        again.close()


SCRIPT = textwrap.dedent("""
    import os, signal, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    sys.path.insert(0, {repo!r})
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    from annotator.gui.main_window import MainWindow
    from annotator.storage import open_project
    app = QApplication([])
    project = open_project({path!r}, annotator="tester")
    window = MainWindow(project)
    window.show()
    QTest.qWaitForWindowExposed(window)
    window.activateWindow()
    view = window.editor.view
    view.setFocus()
    app.processEvents()
    QTest.keyClick(view, Qt.Key.Key_Tab)
    QTest.keyClick(view, Qt.Key.Key_A)
    QTest.keyClick(view, Qt.Key.Key_Tab)
    QTest.keyClick(view, Qt.Key.Key_X)
    print(window.undo_stack.undoText(), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
""")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_after_decisions_loses_nothing(project, project_path, tmp_path):
    first, _ = seed(project)
    project.close()
    env = dict(os.environ, ANNOTATOR_HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    proc = subprocess.run([sys.executable, "-c", SCRIPT.format(repo=str(REPO), path=str(project_path))],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert proc.stdout.startswith("Reject suggestion")
    reopened = open_project(project_path)
    try:
        statuses = {s.status for s in reopened.spans(first)}
        assert {"accepted", "rejected"} <= statuses
        actions = [r[0] for r in reopened.conn.execute("SELECT action FROM events ORDER BY id")]
        assert actions[-2:] == ["span.accept", "span.reject"]
    finally:
        reopened.close()
