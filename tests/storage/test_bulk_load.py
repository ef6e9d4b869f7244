"""Bulk loads: ``Project.add_documents`` (what an import batch calls) does the
upkeep of the span insert triggers set-wise. Every table those triggers keep
must end up exactly as row-by-row writes leave it, the triggers must be back
afterwards, and a batch the database refuses must leave no trace."""

from __future__ import annotations

import sqlite3

import pytest

from annotator.core.model import Span, SpanDraft
from annotator.core.text import text_hash
from annotator.storage import NewDocument, open_project
from annotator.storage.schema import BULK_TRIGGERS, IMPORT_EVENT_TRIGGERS

NAMES = [("Kyiv", "GPE"), ("Olena Shevchuk", "PERSON"), ("NATO", "ORG"), ("Warsaw", "GPE"), ("Kyiv", "LOC")]


def _documents(count: int) -> list[NewDocument]:
    """Articles with entities (a few strings in many articles, one string under
    two labels, some twice in one article), stances with and without holders,
    and some marked done."""
    docs = []
    for i in range(count):
        parts, drafts = [f"Report {i}: "], []
        for k in range(3 + i % 4):
            name, label = NAMES[(i + k) % len(NAMES)]
            start = sum(map(len, parts))
            parts.append(name)
            drafts.append(SpanDraft(start, start + len(name), label))
            parts.append(" met officials. ")
        sentence_start = sum(map(len, parts))
        parts.append("Olena Shevchuk said the aid must continue.")
        holder = (sentence_start, sentence_start + len("Olena Shevchuk"))
        if i % 3 == 0:
            drafts.append(SpanDraft(*holder, "PERSON"))
        stance_holder = holder if i % 3 == 0 else None
        drafts.append(SpanDraft(sentence_start, sum(map(len, parts)), "FAVOR", layer="stance",
                                target="US military aid to Ukraine", holder=stance_holder))
        text = "".join(parts)
        docs.append(NewDocument(text=text, title=f"Report {i}", text_hash=text_hash(text), spans=drafts,
                                status="done" if i % 5 == 0 else None))
    return docs


def _kept_by_triggers(project) -> dict[str, object]:
    q = project.conn.execute
    return {
        "doc_stats": q("SELECT doc_id, n_accepted, n_suggested, n_rejected, last_edit IS NOT NULL FROM doc_stats"
                       " ORDER BY doc_id").fetchall(),
        "labels": q("SELECT layer, label, target, n FROM stats_labels WHERE n != 0 ORDER BY 1, 2, 3").fetchall(),
        "memory": q("SELECT doc_id, text, label, verdict FROM memory ORDER BY 1, 2, 3, 4").fetchall(),
        "strings": q("SELECT text, label, verdict, articles FROM memory_strings ORDER BY 1, 2, 3").fetchall(),
        "spans": q('SELECT doc_id, start, "end", layer, label, target, holder_span_id IS NOT NULL, status'
                   " FROM spans ORDER BY 1, 2, 3, 4, 5").fetchall(),
    }


def _triggers(project) -> list[tuple[str, str]]:
    return project.conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name").fetchall()


def _earlier_decision(project) -> None:
    """A person's decision before the import: the imported articles add to it."""
    text = "Kyiv hosted the talks."
    [doc_id], _ = project.add_documents([NewDocument(text=text, title="Earlier", text_hash=text_hash(text))])
    project.add_span(doc_id, Span(0, 4, "GPE", status="accepted"))


def test_a_bulk_load_keeps_every_table_as_row_by_row_writes_do(tmp_path):
    docs = _documents(60)
    with open_project(tmp_path / "bulk.db", create=True, annotator="ana") as bulk, \
            open_project(tmp_path / "rows.db", create=True, annotator="ana") as rows:
        fresh_triggers = _triggers(bulk)
        for project in (bulk, rows):
            _earlier_decision(project)
        generation_before = bulk.conn.execute("SELECT generation FROM memory_state").fetchone()[0]

        # In batches, as an import commits them; the last as suggestions to review.
        bulk.add_documents(docs[:25])
        bulk.add_documents(docs[25:50])
        bulk.add_documents(docs[50:], span_status="suggested")
        # The reference: the same articles, their spans stored one row at a time
        # (every trigger fires per row).
        ids, _ = rows.add_documents([NewDocument(text=d.text, title=d.title, text_hash=d.text_hash, status=d.status)
                                     for d in docs])
        for n, (doc_id, doc) in enumerate(zip(ids, docs)):
            rows.merge_spans(doc_id, doc.spans, span_status="suggested" if n >= 50 else "accepted")

        expected = _kept_by_triggers(rows)
        assert _kept_by_triggers(bulk) == expected
        assert expected["strings"] and any(n > 1 for *_k, n in expected["strings"])
        assert any(holder for *_s, holder, _status in expected["spans"])
        assert {status for *_s, status in expected["spans"]} == {"accepted", "suggested"}
        assert _triggers(bulk) == fresh_triggers
        assert bulk.conn.execute("SELECT generation FROM memory_state").fetchone()[0] > generation_before
        # A suggester's copy taken before the load sees every string it taught.
        changed = {r[0] for r in bulk.conn.execute("SELECT text FROM memory_strings WHERE gen >= ?",
                                                   (generation_before,))}
        assert changed == {name for name, _label in NAMES}


def test_triggers_are_back_for_the_next_write_by_any_connection(tmp_path):
    path = tmp_path / "p.db"
    with open_project(path, create=True, annotator="ana") as project:
        [doc_id], _ = project.add_documents(_documents(1))
        before = project.conn.execute("SELECT n_accepted FROM doc_stats WHERE doc_id = ?", (doc_id,)).fetchone()[0]
    other = sqlite3.connect(path)
    with other:
        other.execute("INSERT INTO spans (doc_id, start, \"end\", layer, label, origin, status, annotator)"
                      " VALUES (?, 0, 6, 'entity', 'ORG', 'human', 'accepted', 'ben')", (doc_id,))
    assert other.execute("SELECT n_accepted FROM doc_stats WHERE doc_id = ?", (doc_id,)).fetchone()[0] == before + 1
    assert other.execute("SELECT count(*) FROM memory WHERE doc_id = ? AND text = 'Report'", (doc_id,)).fetchone()[0] == 1
    with pytest.raises(sqlite3.IntegrityError, match="beyond the end"), other:
        other.execute("INSERT INTO spans (doc_id, start, \"end\", layer, label, origin, status)"
                      " VALUES (?, 0, 100000, 'entity', 'ORG', 'human', 'accepted')", (doc_id,))
    other.close()


def test_a_batch_the_database_refuses_leaves_no_trace(tmp_path):
    with open_project(tmp_path / "p.db", create=True, annotator="ana") as project:
        _earlier_decision(project)
        triggers = _triggers(project)
        before = _kept_by_triggers(project)
        good, bad = _documents(2)
        # Offsets past the end of the text: a caller that skipped the file checks.
        bad.spans.append(SpanDraft(0, len(bad.text) + 5, "GPE"))
        with pytest.raises(sqlite3.IntegrityError, match="beyond the end"):
            project.add_documents([good, bad])
        assert _triggers(project) == triggers
        assert _kept_by_triggers(project) == before
        assert project.conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 1


def test_every_bulk_trigger_exists_in_a_new_project(tmp_path):
    """The lists name real triggers: a renamed one would silently fire per row."""
    with open_project(tmp_path / "p.db", create=True) as project:
        names = {name for name, _sql in _triggers(project)}
    assert set(BULK_TRIGGERS) <= names
    assert set(IMPORT_EVENT_TRIGGERS) <= names
    assert {n for n in names if n.startswith("events_stats")} == set(IMPORT_EVENT_TRIGGERS)


def _summaries(project) -> dict[str, list[tuple]]:
    tables = [r[0] for r in project.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND (name LIKE 'stats%' OR name LIKE 'memory%')"
        " ORDER BY name")]
    return {t: project.conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}


def test_the_event_triggers_a_bulk_load_drops_do_nothing_for_its_events(tmp_path):
    """Written with every trigger in place, an import's ``document.import``
    event changes no summary: dropping those triggers around such events loses
    nothing. (A decision's event does change them: the check can fail.)"""
    with open_project(tmp_path / "p.db", create=True, annotator="ana") as project:
        _earlier_decision(project)
        [doc_id], _ = project.add_documents(_documents(1))
        before = _summaries(project)
        insert = ("INSERT INTO events (annotator, action, doc_id, span_id, after) VALUES (?, ?, ?, ?, ?)")
        with project.write():
            project.conn.execute(insert, ("ben", "document.import", doc_id, None,
                                          '{"title": "Report 0", "spans": 5, "status": "done"}'))
        assert _summaries(project) == before
        with project.write():
            project.conn.execute(insert, ("ben", "span.accept", doc_id, 1, '{"status": "accepted"}'))
        assert _summaries(project) != before


def test_spans_of_a_bulk_load_carry_the_usual_timestamps(tmp_path):
    import re

    with open_project(tmp_path / "p.db", create=True, annotator="ana") as project:
        _earlier_decision(project)
        project.add_documents(_documents(3))
        stamps = project.conn.execute("SELECT created_at, updated_at FROM spans ORDER BY id").fetchall()
    pattern = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
    assert len(stamps) > 10
    assert all(pattern.fullmatch(c) and pattern.fullmatch(u) for c, u in stamps)
    # Loaded after the earlier decision, never before it.
    assert min(c for c, _u in stamps[1:]) >= stamps[0][0]


def test_a_file_too_large_to_keep_in_memory_is_read_again_with_the_same_result(tmp_path, monkeypatch):
    """Records checked before anything is written are kept for storing them; past
    the memory budget the file is read a second time instead, to the same end."""
    import json

    from annotator.services import importing

    source = tmp_path / "articles.jsonl"
    with source.open("w", encoding="utf-8") as fh:
        for doc in _documents(30):
            fh.write(json.dumps({"title": doc.title, "text": doc.text, "entities": [
                {"start": d.start, "end": d.end, "label": d.label} for d in doc.spans if d.layer == "entity"]}) + "\n")
    calls = []
    for fmt, read in list(importing.READERS.items()):
        def counted(*args, _read=read, **kwargs):  # the real reader, its passes counted
            calls.append(1)
            return _read(*args, **kwargs)
        monkeypatch.setitem(importing.READERS, fmt, counted)
    results, reads = [], []
    for budget in (importing.KEEP_CHECKED_BYTES, 2_000):
        monkeypatch.setattr(importing, "KEEP_CHECKED_BYTES", budget)
        calls.clear()
        with open_project(tmp_path / f"p{budget}.db", create=True, annotator="ana") as project:
            summary = importing.import_paths(project, [source])
            results.append((summary.imported, summary.spans, _kept_by_triggers(project)))
        reads.append(len(calls))
    assert results[0][0] == 30 and results[0][1] > 90
    assert results[0] == results[1]
    assert reads == [1, 2]
