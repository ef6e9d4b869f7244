"""The window's decisions never run a WAL checkpoint inside the key press: its
connection skips them on commit, and a passive checkpoint on a pool thread (on its
own connection) copies the WAL into the database file while the person pauses."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt

from annotator.gui.checkpoints import IdleCheckpoints
from annotator.storage import open_project
from tests.gui import editing
from tests.gui.editing import seed

windows = editing.windows  # the fixture that opens main windows

CTRL = Qt.KeyboardModifier.ControlModifier


def _autocheckpoint(project) -> int:
    return project.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]


def _database_file(path) -> tuple[int, int]:
    st = os.stat(path)  # in WAL mode only a checkpoint writes the database file
    return st.st_mtime_ns, st.st_size


def _wal_frames(project) -> int:
    wal = project.path.with_name(project.path.name + "-wal")
    page_size = project.conn.execute("PRAGMA page_size").fetchone()[0]
    return max(0, wal.stat().st_size - 32) // (page_size + 24)


def _checkpoint(qtbot, window) -> tuple[int, int, int]:
    task = window.checkpoints.run_now()
    assert task is not None
    qtbot.waitUntil(lambda: task.state != "running" and task.state != "pending", timeout=10_000)
    assert task.state == "succeeded", task.error
    return task.result


def test_key_presses_leave_the_wal_to_the_idle_checkpoint(windows, qtbot, project):
    first, _ = seed(project)
    window = windows(first)
    window.checkpoints.stop()  # the test runs it itself
    assert _autocheckpoint(window.project) == 0
    _checkpoint(qtbot, window)  # what seeding wrote
    database = _database_file(project.path)
    frames = _wal_frames(project)

    view = window.editor.view
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    for _ in range(30):  # 60 committed decisions: accept, undo
        qtbot.keyClick(view, Qt.Key.Key_A)
        qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert window.undo_stack.count() == 1 and window.undo_stack.index() == 0

    # Every decision is in the WAL, none was copied into the database file.
    assert _wal_frames(project) > frames + 60
    assert _database_file(project.path) == database

    busy, in_wal, copied = _checkpoint(qtbot, window)
    assert busy == 0 and in_wal > 60 and copied == in_wal
    assert _database_file(project.path) != database


def test_the_idle_checkpoint_waits_for_a_pause_but_not_forever(windows, qtbot, project):
    seed(project)
    window = windows()
    checkpoints: IdleCheckpoints = window.checkpoints
    checkpoints.stop()
    checkpoints.QUIET_MS = 60_000  # every decision below is "just made"
    for _ in range(checkpoints.MAX_DEFERRALS):
        checkpoints.decision_made()
        checkpoints.run_when_idle()
        assert checkpoints.task is None  # decisions kept coming: it waits for a pause
    checkpoints.decision_made()
    checkpoints.run_when_idle()
    task = checkpoints.task
    assert task is not None  # but not forever
    qtbot.waitUntil(lambda: task.state == "succeeded", timeout=10_000)
    checkpoints.stop()
    # After a pause it runs at once.
    checkpoints.QUIET_MS = 0
    checkpoints.run_when_idle()
    assert checkpoints.task is not task
    qtbot.waitUntil(lambda: checkpoints.task.state == "succeeded", timeout=10_000)
    checkpoints.stop()


def test_a_project_opened_in_the_window_skips_checkpoints_on_commit_too(windows, qtbot, project, tmp_path):
    seed(project)
    window = windows()
    other = tmp_path / "other.db"
    open_project(other, create=True).close()
    window.open_project(other)
    assert window.project.path == other
    assert _autocheckpoint(window.project) == 0
    assert window.checkpoints.project is window.project
