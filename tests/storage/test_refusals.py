"""A refused file is never changed, and a damaged project says E006 before anything
writes into it or reads it half-way."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys

import pytest

from annotator.core.errors import AnnotatorError
from annotator.core.model import SpanDraft
from annotator.core.text import text_hash
from annotator.services import exporting
from annotator.storage import NewDocument, open_project
from annotator.storage import project as project_module
from annotator.storage.schema import APPLICATION_ID


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _siblings(path):
    return sorted(p.name for p in path.parent.iterdir())


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "annotator", *map(str, args)], capture_output=True, text=True)


def test_sqlite_file_with_our_application_id_and_its_own_tables_is_refused_unchanged(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("CREATE TABLE documents (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO documents (body) VALUES ('not ours')")
    conn.commit()
    conn.close()
    before, files = _digest(path), _siblings(path)
    with pytest.raises(AnnotatorError) as err:
        open_project(path)
    assert err.value.code == "E002"
    assert _digest(path) == before
    assert _siblings(path) == files  # no -wal or -shm left behind either
    proc = _cli("stats", "--project", path)
    assert proc.returncode != 0 and "E002" in proc.stderr and "Traceback" not in proc.stderr
    assert _digest(path) == before


def _damaged_project(tmp_path, n_docs=300):
    """A closed project whose middle page is overwritten with garbage."""
    path = tmp_path / "damaged.db"
    with open_project(path, create=True, annotator="ana") as project:
        docs = []
        for i in range(n_docs):
            text = f"Article {i}: Anna Petrenko met Oleh Marchuk in Kyiv. " * 8
            docs.append(NewDocument(text, f"doc {i}", text_hash(text), spans=[SpanDraft(13, 26, "PERSON")],
                                    status="done"))
        project.add_documents(docs)
    size = path.stat().st_size
    page = sqlite3.connect(path).execute("PRAGMA page_size").fetchone()[0]
    middle = (size // page // 2) * page
    with path.open("r+b") as fh:  # no connection is open in this process
        fh.seek(middle)
        fh.write(bytes(range(256)) * (page // 256))
    return path


def test_damaged_project_is_refused_with_e006_before_any_write(tmp_path):
    path = _damaged_project(tmp_path)
    before, files = _digest(path), _siblings(path)
    with pytest.raises(AnnotatorError) as err:
        open_project(path)
    assert err.value.code == "E006"
    assert ".recover" in err.value.message
    for args in (("stats", "--project", path), ("import", tmp_path / "missing.jsonl", "--project", path)):
        proc = _cli(*args)
        assert proc.returncode != 0, proc.stdout
        assert "Traceback" not in proc.stderr
    assert "E006" in _cli("stats", "--project", path).stderr
    assert _digest(path) == before
    # A reader of a WAL-mode file may leave SQLite's empty side files; nothing more.
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    assert set(_siblings(path)) - set(files) <= {wal.name, path.name + "-shm"}


def test_export_of_a_damaged_project_too_big_to_check_on_open_says_e006(tmp_path, monkeypatch):
    path = _damaged_project(tmp_path)
    monkeypatch.setattr(project_module, "QUICK_CHECK_MAX_BYTES", 0)  # as if the file were huge
    project = open_project(path)
    try:
        with pytest.raises(AnnotatorError) as err:
            exporting.export(project, format="jsonl", out=tmp_path / "out")
        assert err.value.code == "E006"
    finally:
        project.close()
    assert not (tmp_path / "out" / "export-report.json").exists()


def test_healthy_project_passes_the_checks(tmp_path):
    path = tmp_path / "fine.db"
    with open_project(path, create=True) as project:
        text = "Anna Petrenko met Oleh Marchuk in Kyiv."
        project.add_documents([NewDocument(text, "t", text_hash(text))])
    with open_project(path) as project:
        project.quick_check()
        assert project.document_count() == 1
