"""A process that has the project open keeps its SQLite locks, whatever else it does.

POSIX advisory locks belong to the process, and closing *any* descriptor of the
file drops all of them. If the window's process opened and closed the project
file with a plain file handle (a header check when a background job re-opens the
project), the next program to close the project (``annotator stats``, the
``sqlite3`` shell) would believe it was alone, checkpoint and delete the WAL, and
every later decision of the window would go to a deleted file.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from annotator.core.errors import AnnotatorError
from annotator.core.model import Span
from annotator.core.text import text_hash
from annotator.services.importing import import_paths
from annotator.storage import NewDocument, open_project

COUNT_SPANS = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); print(c.execute('SELECT count(*) FROM spans').fetchone()[0]); c.close()"


def _spans_seen_by_another_process(path) -> int:
    out = subprocess.run([sys.executable, "-c", COUNT_SPANS, str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout)


def _stats_in_another_process(path) -> None:
    proc = subprocess.run([sys.executable, "-m", "annotator", "stats", "--project", str(path)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def _window_with_one_decision(path):
    """The window's connection, holding one article with one decision."""
    window = open_project(path, create=True, annotator="ana")
    text = "Anna Petrenko met Oleh Marchuk in Kyiv on Monday."
    (doc_id,), _ = window.add_documents([NewDocument(text, "t", text_hash(text))])
    window.add_span(doc_id, Span(0, 13, "PERSON"))
    return window, doc_id


def test_reopening_the_project_in_the_same_process_keeps_its_locks(tmp_path):
    path = tmp_path / "p.db"
    window, doc_id = _window_with_one_decision(path)
    try:
        # A background job of the same process opens and closes the project.
        job = open_project(path)
        job.close()
        _stats_in_another_process(path)
        assert _spans_seen_by_another_process(path) == 1
        window.add_span(doc_id, Span(18, 30, "PERSON"))
        # The WAL the window writes to is the one on disk, so others see the decision.
        assert (tmp_path / "p.db-wal").exists()
        assert _spans_seen_by_another_process(path) == 2
        _stats_in_another_process(path)
        window.add_span(doc_id, Span(34, 38, "GPE"))
        assert _spans_seen_by_another_process(path) == 3
    finally:
        window.close()
    with open_project(path) as again:
        assert again.conn.execute("SELECT count(*) FROM spans").fetchone()[0] == 3


def test_importing_the_open_project_or_its_side_files_is_refused_without_reading_them(tmp_path):
    """Dropping the project file (or its -wal/-shm) on the window must not read it
    with a plain handle: the import refuses it (E222) before opening anything."""
    path = tmp_path / "p.db"
    window, doc_id = _window_with_one_decision(path)
    try:
        job = open_project(path)  # the window's import job
        try:
            for victim in (path, tmp_path / "p.db-wal", tmp_path / "p.db-shm"):
                with pytest.raises(AnnotatorError) as err:
                    import_paths(job, [victim])
                assert err.value.code == "E222"
            folder = import_paths(job, [tmp_path])  # a folder holding the project: skipped
            assert folder.imported == 0
        finally:
            job.close()
        _stats_in_another_process(path)
        window.add_span(doc_id, Span(18, 30, "PERSON"))
        assert _spans_seen_by_another_process(path) == 2
    finally:
        window.close()
