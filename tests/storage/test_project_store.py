"""The project store: migrations, constraints, refusal of foreign files, durability."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from annotator.core.errors import AnnotatorError
from annotator.core.model import Span, SpanDraft
from annotator.core.text import text_hash
from annotator.storage import NewDocument, open_project
from annotator.storage.schema import migrations

TEXT = "Emmanuel Macron met Olaf Scholz in Paris on Monday."


def _schema_snapshot(conn: sqlite3.Connection) -> list[tuple]:
    return sorted(conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall(), key=repr)


def _add_doc(project, text=TEXT, spans=()):
    ids, _dups = project.add_documents([NewDocument(text, "t", text_hash(text), spans=list(spans))])
    return ids[0]


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_migrations_applied_twice_change_nothing(project):
    before = _schema_snapshot(project.conn)
    applied = [m.name for m in migrations.applied(project.db)]
    migrations.apply(project.db)
    assert _schema_snapshot(project.conn) == before
    assert [m.name for m in migrations.applied(project.db)] == applied


def test_reopening_keeps_documents_and_scheme(project_path):
    with open_project(project_path, create=True) as project:
        _add_doc(project)
        labels = project.scheme().label_names("entity")
    with open_project(project_path) as project:
        assert project.document_count() == 1
        assert project.scheme().label_names("entity") == labels
        assert project.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert project.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


@pytest.mark.parametrize(
    ("start", "end", "layer", "score", "fragment"),
    [
        (5, 5, "entity", None, "CHECK"),
        (-1, 4, "entity", None, "CHECK"),
        (0, 999, "entity", None, "beyond the end"),
        (0, 4, "opinion", None, "CHECK"),
        (0, 4, "entity", 1.5, "CHECK"),
    ],
)
def test_span_constraints_hold(project, start, end, layer, score, fragment):
    doc_id = _add_doc(project)
    with pytest.raises(sqlite3.IntegrityError, match=fragment):
        project.add_span(doc_id, Span(start, end, "PERSON", layer=layer, score=score))
    assert project.spans(doc_id) == []


def test_events_log_is_append_only(project):
    doc_id = _add_doc(project)
    span = project.add_span(doc_id, Span(0, 15, "PERSON"))
    project.update_span(span.id, status="rejected")
    actions = [r[0] for r in project.conn.execute("SELECT action FROM events ORDER BY id")]
    assert actions[-2:] == ["span.add", "span.update"]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        project.conn.execute("DELETE FROM events")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        project.conn.execute("UPDATE events SET action = 'x'")


def test_duplicate_text_is_skipped(project):
    _add_doc(project)
    ids, dups = project.add_documents([NewDocument(TEXT, "again", text_hash(TEXT))])
    assert (ids, dups) == ([], 1)
    assert project.document_count() == 1


def test_counters_follow_span_status(project):
    doc_id = _add_doc(project)
    project.store_suggestions(doc_id, "test@1", [SpanDraft(0, 15, "PERSON"), SpanDraft(20, 31, "PERSON")])
    row = project.conn.execute("SELECT n_accepted, n_suggested FROM doc_stats WHERE doc_id=?", (doc_id,)).fetchone()
    assert row == (0, 2)
    first = project.spans(doc_id)[0]
    project.update_span(first.id, status="accepted")
    row = project.conn.execute("SELECT n_accepted, n_suggested FROM doc_stats WHERE doc_id=?", (doc_id,)).fetchone()
    assert row == (1, 1)


def test_store_suggestions_never_touches_human_decisions(project):
    doc_id = _add_doc(project)
    project.store_suggestions(doc_id, "test@1", [SpanDraft(0, 15, "PERSON"), SpanDraft(20, 31, "PERSON")])
    macron, scholz = project.spans(doc_id)
    project.update_span(macron.id, status="accepted")
    project.update_span(scholz.id, status="rejected")
    added = project.store_suggestions(doc_id, "test@2", [SpanDraft(0, 15, "PERSON"), SpanDraft(20, 31, "PERSON"),
                                                         SpanDraft(35, 40, "GPE")])
    assert added == 1
    statuses = {(s.start, s.status) for s in project.spans(doc_id)}
    assert statuses == {(0, "accepted"), (20, "rejected"), (35, "suggested")}


def test_storing_suggestions_again_keeps_the_ids_of_unchanged_claims(project):
    doc_id = _add_doc(project)
    stance = SpanDraft(0, 51, "FAVOR", layer="stance", target="x", holder=(0, 15), cue="said")
    project.store_suggestions(doc_id, "test@1", [SpanDraft(0, 15, "PERSON", score=0.5), SpanDraft(20, 31, "PERSON"),
                                                 stance])
    before = {s.key(): s.id for s in project.spans(doc_id)}
    # Memory re-applied: same claims with a new origin, cue and score; one gone, one new.
    project.store_suggestions(doc_id, "test@1", [
        SpanDraft(0, 15, "PERSON", score=0.9, cue="you labelled this PERSON in 1 article", origin="memory"),
        SpanDraft(35, 40, "GPE"), stance])
    after = {s.key(): s for s in project.spans(doc_id)}
    macron = after[(0, 15, "entity", "PERSON", None)]
    assert macron.id == before[macron.key()]
    assert (macron.origin, macron.score, macron.cue) == ("memory", 0.9, "you labelled this PERSON in 1 article")
    assert after[stance_key := (0, 51, "stance", "FAVOR", "x")].id == before[stance_key]
    assert after[stance_key].holder_span_id == macron.id
    assert (20, 31, "entity", "PERSON", None) not in after
    assert (35, 40, "entity", "GPE", None) in after
    assert len(after) == 3


def test_not_sqlite_file_is_refused_untouched(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n")
    digest = _digest(path)
    with pytest.raises(AnnotatorError) as err:
        open_project(path)
    assert err.value.code == "E001" and str(path) in str(err.value)
    assert _digest(path) == digest


def test_foreign_sqlite_file_is_refused_untouched(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE things (x)")
    conn.commit()
    conn.close()
    digest = _digest(path)
    with pytest.raises(AnnotatorError) as err:
        open_project(path, create=True)
    assert err.value.code == "E002"
    assert _digest(path) == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]


def test_project_from_newer_schema_is_refused_untouched(project_path):
    with open_project(project_path, create=True) as project:
        project.conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('annotator', 'm999_future', 'x')"
        )
        project.conn.commit()
        project.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    digest = _digest(project_path)
    with pytest.raises(AnnotatorError) as err:
        open_project(project_path)
    assert err.value.code == "E003" and "m999_future" in str(err.value)
    assert _digest(project_path) == digest


def test_truncated_project_is_refused(project_path, tmp_path):
    with open_project(project_path, create=True) as project:
        for i in range(50):
            _add_doc(project, text=f"Article {i}: " + "Kyiv and Warsaw. " * 200)
        project.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = project_path.read_bytes()
    broken = tmp_path / "broken.db"
    broken.write_bytes(data[: len(data) // 3])
    with pytest.raises(AnnotatorError) as err, open_project(broken) as project:
        project.conn.execute("PRAGMA integrity_check").fetchall()
        list(project.iter_documents())
    assert err.value.code in {"E006", "E004"}


def test_decision_is_durable_without_close(project_path):
    """A decision is committed when the call returns: a second connection sees it
    while the first is still open (nothing waits for a close or a save)."""
    project = open_project(project_path, create=True)
    doc_id = _add_doc(project)
    span = project.add_span(doc_id, Span(0, 15, "PERSON"))
    other = sqlite3.connect(project_path)
    row = other.execute('SELECT start, "end", label, status FROM spans WHERE id = ?', (span.id,)).fetchone()
    assert row == (0, 15, "PERSON", "accepted")
    other.close()
    project.close()


def test_doc_status_per_annotator(project_path):
    with open_project(project_path, create=True, annotator="ana") as ana:
        doc_id = _add_doc(ana)
        ana.set_doc_status(doc_id, "done")
    with open_project(project_path, annotator="ben") as ben:
        assert ben.doc_status(doc_id) == "new"
        assert ben.doc_status(doc_id, "ana") == "done"
        assert ben.done_doc_ids() == [doc_id]
        assert ben.done_doc_ids(annotator="ben") == []
