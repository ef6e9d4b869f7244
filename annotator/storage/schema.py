"""The project schema, built step by step with sqlite-utils ``Migrations``.

Note for developers: never edit a migration that has shipped; add a new one. Each
step runs in one transaction together with its record in ``_sqlite_migrations``.
A project whose record lists a step this code does not know was written by a newer
version and is refused before anything is written (``E003``).
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

#: Written to the SQLite header (PRAGMA application_id) so a project is recognised
#: without guessing from table names: the bytes spell "ANNO".
APPLICATION_ID = 0x414E4E4F

migrations = Migrations("annotator")


@migrations()
def m001_initial(db: Database) -> None:
    statements = [
        f"PRAGMA application_id = {APPLICATION_ID}",
        """CREATE TABLE documents (
            id INTEGER PRIMARY KEY,
            text TEXT NOT NULL,
            title TEXT NOT NULL DEFAULT '',
            source TEXT,
            meta TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(meta)),
            text_hash TEXT NOT NULL UNIQUE,
            length INTEGER NOT NULL CHECK (length = length(text) AND length > 0),
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )""",
        # Per-document counters for the document list, kept by triggers so that the
        # list can sort by them over millions of rows without scanning spans.
        """CREATE TABLE doc_stats (
            doc_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
            n_accepted INTEGER NOT NULL DEFAULT 0,
            n_suggested INTEGER NOT NULL DEFAULT 0,
            n_rejected INTEGER NOT NULL DEFAULT 0,
            last_edit TEXT
        )""",
        """CREATE TABLE spans (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            layer TEXT NOT NULL CHECK (layer IN ('entity', 'stance')),
            label TEXT NOT NULL CHECK (length(label) > 0),
            target TEXT,
            holder_span_id INTEGER REFERENCES spans(id) ON DELETE SET NULL,
            origin TEXT NOT NULL,
            score REAL CHECK (score IS NULL OR (score >= 0 AND score <= 1)),
            cue TEXT,
            status TEXT NOT NULL CHECK (status IN ('suggested', 'accepted', 'rejected')),
            annotator TEXT,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            CHECK (start >= 0 AND start < "end"),
            CHECK (layer = 'stance' OR (target IS NULL AND holder_span_id IS NULL))
        )""",
        'CREATE INDEX spans_doc ON spans(doc_id, start, "end")',
        "CREATE INDEX spans_status ON spans(status, layer)",
        # A CHECK cannot read another table, so the upper bound is a trigger.
        """CREATE TRIGGER spans_within_text_insert BEFORE INSERT ON spans
           WHEN NEW."end" > (SELECT length FROM documents WHERE id = NEW.doc_id)
           BEGIN SELECT RAISE(ABORT, 'span end beyond the end of the text'); END""",
        """CREATE TRIGGER spans_within_text_update BEFORE UPDATE OF start, "end", doc_id ON spans
           WHEN NEW."end" > (SELECT length FROM documents WHERE id = NEW.doc_id)
           BEGIN SELECT RAISE(ABORT, 'span end beyond the end of the text'); END""",
        """CREATE TRIGGER documents_stats AFTER INSERT ON documents
           BEGIN INSERT INTO doc_stats (doc_id) VALUES (NEW.id); END""",
        """CREATE TRIGGER spans_stats_insert AFTER INSERT ON spans BEGIN
             UPDATE doc_stats SET
               n_accepted = n_accepted + (NEW.status = 'accepted'),
               n_suggested = n_suggested + (NEW.status = 'suggested'),
               n_rejected = n_rejected + (NEW.status = 'rejected'),
               last_edit = CASE WHEN NEW.origin = 'human' OR NEW.status != 'suggested'
                                THEN NEW.updated_at ELSE last_edit END
             WHERE doc_id = NEW.doc_id;
           END""",
        """CREATE TRIGGER spans_stats_update AFTER UPDATE OF status ON spans BEGIN
             UPDATE doc_stats SET
               n_accepted = n_accepted + (NEW.status = 'accepted') - (OLD.status = 'accepted'),
               n_suggested = n_suggested + (NEW.status = 'suggested') - (OLD.status = 'suggested'),
               n_rejected = n_rejected + (NEW.status = 'rejected') - (OLD.status = 'rejected'),
               last_edit = NEW.updated_at
             WHERE doc_id = NEW.doc_id;
           END""",
        """CREATE TRIGGER spans_stats_delete AFTER DELETE ON spans BEGIN
             UPDATE doc_stats SET
               n_accepted = n_accepted - (OLD.status = 'accepted'),
               n_suggested = n_suggested - (OLD.status = 'suggested'),
               n_rejected = n_rejected - (OLD.status = 'rejected')
             WHERE doc_id = OLD.doc_id;
           END""",
        """CREATE TABLE doc_status (
            doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            annotator TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('new', 'in_progress', 'done', 'skipped')),
            updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            PRIMARY KEY (doc_id, annotator)
        )""",
        "CREATE INDEX doc_status_by_status ON doc_status(annotator, status)",
        """CREATE TABLE labels (
            layer TEXT NOT NULL CHECK (layer IN ('entity', 'stance')),
            name TEXT NOT NULL,
            colour TEXT NOT NULL,
            hotkey TEXT,
            description TEXT NOT NULL DEFAULT '',
            position INTEGER NOT NULL,
            PRIMARY KEY (layer, name)
        )""",
        """CREATE TABLE label_map (
            model_label TEXT PRIMARY KEY,
            label TEXT
        )""",
        """CREATE TABLE stance_targets (
            name TEXT PRIMARY KEY,
            keywords TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(keywords)),
            aliases TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(aliases)),
            description TEXT NOT NULL DEFAULT '',
            position INTEGER NOT NULL
        )""",
        """CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL CHECK (json_valid(value))
        )""",
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            annotator TEXT,
            action TEXT NOT NULL,
            doc_id INTEGER,
            span_id INTEGER,
            before TEXT CHECK (before IS NULL OR json_valid(before)),
            after TEXT CHECK (after IS NULL OR json_valid(after))
        )""",
        # The log is append-only: the database itself refuses edits and deletions.
        """CREATE TRIGGER events_no_update BEFORE UPDATE ON events
           BEGIN SELECT RAISE(ABORT, 'the events log is append-only'); END""",
        """CREATE TRIGGER events_no_delete BEFORE DELETE ON events
           BEGIN SELECT RAISE(ABORT, 'the events log is append-only'); END""",
        "CREATE INDEX events_doc ON events(doc_id)",
        # Which suggester version has pre-annotated which document (resumable runs).
        """CREATE TABLE suggestion_runs (
            doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            suggester TEXT NOT NULL,
            at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            n_spans INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (doc_id, suggester)
        )""",
    ]
    for sql in statements:
        db.execute(sql)
    db["documents"].enable_fts(["title", "text"], fts_version="FTS5", create_triggers=True, tokenize="unicode61 remove_diacritics 2")



@migrations()
def m002_document_list(db: Database) -> None:
    """Indexes that let the document list sort and filter a million rows through
    ``ORDER BY ... LIMIT`` windows instead of full sorts (see services/doclist.py)."""
    statements = [
        # Titles sort case-insensitively; the implicit rowid tail breaks ties by id.
        "CREATE INDEX documents_title ON documents(title COLLATE NOCASE)",
        # doc_stats.doc_id is the rowid, so each of these orders ties by document id.
        "CREATE INDEX doc_stats_accepted ON doc_stats(n_accepted)",
        "CREATE INDEX doc_stats_suggested ON doc_stats(n_suggested)",
        # Never-edited documents have no last_edit; sorting on ifnull() keeps keyset
        # comparisons free of NULL special cases.
        "CREATE INDEX doc_stats_last_edit ON doc_stats(ifnull(last_edit, ''))",
        # One annotator's documents of one status, in id order (status filter and sort).
        "CREATE INDEX doc_status_segment ON doc_status(annotator, status, doc_id)",
        # Documents that hold a span of a label (label filter).
        "CREATE INDEX spans_label ON spans(label, status, doc_id)",
        # Marking a document done or skipped is an edit too: "last edit" would
        # otherwise only move with span decisions.
        """CREATE TRIGGER doc_status_last_edit_insert AFTER INSERT ON doc_status BEGIN
             UPDATE doc_stats SET last_edit = NEW.updated_at WHERE doc_id = NEW.doc_id;
           END""",
        """CREATE TRIGGER doc_status_last_edit_update AFTER UPDATE OF status ON doc_status BEGIN
             UPDATE doc_stats SET last_edit = NEW.updated_at WHERE doc_id = NEW.doc_id;
           END""",
    ]
    for sql in statements:
        db.execute(sql)


#: What a decided entity span teaches: its exact string (cut from the document by
#: the same code-point offsets Python uses: SQLite's substr counts characters),
#: its label, and whether a person said it is (1) or is not (0) that label.
_MEMORY_ROW = """SELECT NEW.id, NEW.doc_id, substr(d.text, NEW.start + 1, NEW."end" - NEW.start), NEW.label,
                  NEW.status = 'accepted'
           FROM documents d WHERE d.id = NEW.doc_id"""


@migrations()
def m003_decision_memory(db: Database) -> None:
    """Decision memory: one row per entity span a person (or an import) decided.

    Triggers keep it in step with ``spans`` whatever writes them (the window, an
    import, undo, another process), so undoing a decision un-teaches it and
    nothing has to remember to call a service. ``memory_state.generation`` moves on
    every change, so a suggester can tell cheaply that its copy is stale.
    """
    statements = [
        """CREATE TABLE memory (
            span_id INTEGER PRIMARY KEY,
            doc_id INTEGER NOT NULL,
            text TEXT NOT NULL,
            label TEXT NOT NULL,
            verdict INTEGER NOT NULL CHECK (verdict IN (0, 1))
        )""",
        "CREATE INDEX memory_text ON memory(text, label)",
        "CREATE INDEX memory_doc ON memory(doc_id)",
        """CREATE TABLE memory_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            generation INTEGER NOT NULL
        )""",
        "INSERT INTO memory_state (id, generation) VALUES (1, 0)",
        f"""CREATE TRIGGER memory_span_insert AFTER INSERT ON spans
           WHEN NEW.layer = 'entity' AND NEW.status != 'suggested' BEGIN
             INSERT OR REPLACE INTO memory (span_id, doc_id, text, label, verdict) {_MEMORY_ROW};
             UPDATE memory_state SET generation = generation + 1;
           END""",
        f"""CREATE TRIGGER memory_span_update AFTER UPDATE OF status, label, start, "end" ON spans
           WHEN NEW.layer = 'entity' AND (OLD.status != 'suggested' OR NEW.status != 'suggested') BEGIN
             DELETE FROM memory WHERE span_id = OLD.id;
             INSERT INTO memory (span_id, doc_id, text, label, verdict) {_MEMORY_ROW}
               AND NEW.status != 'suggested';
             UPDATE memory_state SET generation = generation + 1;
           END""",
        """CREATE TRIGGER memory_span_delete AFTER DELETE ON spans
           WHEN OLD.layer = 'entity' AND OLD.status != 'suggested' BEGIN
             DELETE FROM memory WHERE span_id = OLD.id;
             UPDATE memory_state SET generation = generation + 1;
           END""",
        # Projects that already hold decisions remember them from the start.
        """INSERT INTO memory (span_id, doc_id, text, label, verdict)
           SELECT s.id, s.doc_id, substr(d.text, s.start + 1, s."end" - s.start), s.label, s.status = 'accepted'
           FROM spans s JOIN documents d ON d.id = s.doc_id
           WHERE s.layer = 'entity' AND s.status != 'suggested'""",
    ]
    for sql in statements:
        db.execute(sql)


def known_migration_names() -> list[str]:
    return [m.name for m in migrations._migrations]
