"""Runs the real application (``annotator gui --project P``) and types into it.

Started as a child process by ``test_window_beside_other_processes.py``. It enters
the app through its command-line entry point, then reads one command a line on
stdin and answers one JSON line on stdout once the command's key press (or job)
has returned:

- ``accept``: focus the next suggestion if none is (Tab) and press A;
  answers ``{"accepted": span_id}``.
- ``done``: press Space (mark the article done and go to the next);
  answers ``{"done": doc_id}``.
- ``import PATH``: import a file through the window's own import (drag-and-drop
  path: a background thread of this process opens the project again); answers
  ``{"imported": n}`` when it ended.
- ``shown SPAN_ID``: wait until the open article shows that span (written by
  another process); answers ``{"shown": seconds}``.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QObject, Qt, QTimer, Signal  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


def reply(**fields: object) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


class Driver(QObject):
    command = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.window = None
        self.command.connect(self.run, Qt.ConnectionType.QueuedConnection)

    def attach(self) -> None:
        from annotator.gui.main_window import MainWindow

        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        if not windows:
            QTimer.singleShot(50, self.attach)
            return
        self.window = windows[0]
        self.window.editor.view.setFocus()
        threading.Thread(target=self._read_stdin, daemon=True).start()
        reply(ready=True, doc_id=self.window.editor.doc_id)

    def _read_stdin(self) -> None:
        for line in sys.stdin:
            self.command.emit(line.strip())

    def _wait(self, ready, timeout: float = 60.0) -> float:
        start = time.monotonic()
        while not ready() and time.monotonic() - start < timeout:
            QApplication.processEvents()
            time.sleep(0.01)
        return time.monotonic() - start

    def run(self, line: str) -> None:
        win = self.window
        view = win.editor.view
        name, _, arg = line.partition(" ")
        if QApplication.activeWindow() is not win:  # a dialog was on top
            win.activateWindow()
            QTest.qWaitForWindowActive(win, 2000)
        try:
            if name == "accept":
                view.setFocus()
                if win.session.focused is None or win.session.focused.status != "suggested":
                    QTest.keyClick(view, Qt.Key.Key_Tab)
                span = win.session.focused
                if span is None or span.status != "suggested":
                    reply(error="no suggestion to accept", doc_id=win.editor.doc_id,
                          shown=[(s.id, s.status) for s in view.spans_shown()],
                          focus=type(QApplication.focusWidget()).__name__)
                    return
                QTest.keyClick(view, Qt.Key.Key_A)
                reply(accepted=span.id)
            elif name == "done":
                doc_id = win.editor.doc_id
                view.setFocus()
                QTest.keyClick(view, Qt.Key.Key_Space)
                reply(done=doc_id, now=win.editor.doc_id)
            elif name == "import":
                dialog = win.import_dialog([arg])  # what a drop of the file does
                self._wait(lambda: dialog.outcome is not None)
                reply(imported=dialog.summary.imported if dialog.outcome == "succeeded" else None,
                      outcome=dialog.outcome)
                dialog.close()
            elif name == "shown":
                span_id = int(arg)
                waited = self._wait(lambda: any(s.id == span_id for s in view.spans_shown()), timeout=30.0)
                reply(shown=round(waited, 3), ok=any(s.id == span_id for s in view.spans_shown()))
            else:
                reply(error=f"unknown command {line!r}")
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
            reply(error=f"{type(exc).__name__}: {exc}")


def main() -> None:
    from annotator.__main__ import main as annotator_main
    from annotator.gui.app import ensure_app

    ensure_app()
    driver = Driver()
    QTimer.singleShot(0, driver.attach)
    annotator_main(["gui", "--project", sys.argv[1]])


if __name__ == "__main__":
    main()
