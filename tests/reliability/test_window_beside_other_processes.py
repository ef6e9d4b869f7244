"""The real window process beside other programs: nothing it decides is lost.

The application itself (``annotator gui --project P``, through its command-line
entry point) runs in a child process and gets real key presses
(``window_driver.py``). While it accepts suggestions and marks articles done,
this process reads the project with a raw ``sqlite3`` connection opened and
closed around every look, runs ``annotator stats`` (and the ``sqlite3`` shell when
installed) now and then, writes a span of its own, and has the window import a
file through its own background import. Every decision must be visible to the
other process as soon as the key press returned; then the window is killed with
SIGKILL and every decision is counted in the file.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from annotator.core.model import Span
from annotator.core.text import text_hash
from annotator.storage import NewDocument, open_project

DRIVER = Path(__file__).with_name("window_driver.py")
REPO = Path(__file__).resolve().parents[2]
N_DOCS = 6
ACCEPTS_PER_DOC = 4


def _text(i: int) -> str:
    return (f"Report {i}: Macron met Scholz in Paris while Zelensky spoke in Kyiv. Germany, France and "
            "Poland sent aid to Ukraine, and Trump answered from Washington.")


def _run(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


class Window:
    """The child process running the app, spoken to one JSON line at a time."""

    def __init__(self, path: Path, home: Path) -> None:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", ANNOTATOR_HOME=str(home),
                   XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"),
                   PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.proc = subprocess.Popen([sys.executable, str(DRIVER), str(path)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.replies: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            if line.startswith("{"):
                self.replies.put(line)

    def read(self, timeout: float = 90.0) -> dict:
        try:
            reply = json.loads(self.replies.get(timeout=timeout))
        except queue.Empty:
            self.kill()
            raise AssertionError(f"the window did not answer: {self.proc.stderr.read()[-3000:]}") from None
        assert "error" not in reply, reply
        return reply

    def ask(self, command: str) -> dict:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.read()

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)


def _look(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """A raw sqlite3 connection, opened and closed around one query (its close is
    the moment SQLite checkpoints and deletes the WAL when it thinks it is alone)."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_window_decisions_are_seen_at_once_by_other_processes_and_survive_kill_9(tmp_path):
    path = tmp_path / "p.db"
    with open_project(path, create=True) as project:
        project.add_documents([NewDocument(_text(i), f"doc {i}", text_hash(_text(i))) for i in range(N_DOCS)])
        project.set_setting("model", "rules")  # the look-ahead runs the same suggester, quickly
    _run(sys.executable, "-m", "annotator", "suggest", "--project", path)
    extra = tmp_path / "more.jsonl"
    extra.write_text("".join(json.dumps({"title": f"extra {i}", "text": f"Extra article {i} from Lviv."}) + "\n"
                             for i in range(3)), encoding="utf-8")
    sqlite_shell = shutil.which("sqlite3")

    window = Window(path, tmp_path / "home")
    accepted: list[int] = []
    done: list[int] = []
    try:
        start = window.read()
        assert start["ready"] and start["doc_id"] is not None
        for n_doc in range(N_DOCS):
            for _ in range(ACCEPTS_PER_DOC):
                span_id = window.ask("accept")["accepted"]
                accepted.append(span_id)
                # Committed before the key press returned: seen on the very first look.
                assert _look(path, "SELECT status FROM spans WHERE id = ?", (span_id,)) == [("accepted",)]
            doc_id = window.ask("done")["done"]
            done.append(doc_id)
            assert _look(path, "SELECT count(*) FROM doc_status WHERE doc_id = ? AND status = 'done'", (doc_id,)) == [(1,)]
            stats = _run(sys.executable, "-m", "annotator", "stats", "--project", path, "--json")
            assert json.loads(stats.stdout)["documents"]["by_status"]["done"] == len(done)
            if sqlite_shell:
                _run(sqlite_shell, path, ".tables")
            if n_doc == 1:  # the window's own import: another connection of its process
                assert window.ask(f"import {extra}")["imported"] == 3
            if n_doc == 2:  # another process writes; the window shows it
                with open_project(path, annotator="bob") as other:
                    current = window.ask("accept")["accepted"]
                    accepted.append(current)
                    doc_of_current = other.span(current).doc_id
                    mine = other.add_span(doc_of_current, Span(0, 6, "MISC", status="accepted"))
                shown = window.ask(f"shown {mine.id}")
                assert shown["ok"], shown
                print(f"another process's span shown by the window after {shown['shown']:.2f} s")
        seen = _look(path, "SELECT count(*) FROM spans WHERE status = 'accepted' AND annotator != 'bob'")[0][0]
        assert seen == len(accepted)
    finally:
        window.kill()

    assert window.proc.returncode == -signal.SIGKILL
    with open_project(path) as project:
        rows = dict(project.conn.execute(
            f"SELECT id, status FROM spans WHERE id IN ({','.join('?' * len(accepted))})", accepted).fetchall())
        assert rows == {span_id: "accepted" for span_id in accepted}
        statuses = dict(project.conn.execute(
            "SELECT doc_id, status FROM doc_status WHERE status = 'done'").fetchall())
        assert set(done) <= set(statuses) and len(set(done)) == N_DOCS
        assert project.document_count() == N_DOCS + 3
        assert project.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    print(f"{len(accepted)} accepts and {len(done)} articles done, all in the file after SIGKILL")
