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


#: A pause longer than this between two decisions of one annotator is idle time
#: (the dashboard's speed figure; see services/dashboard.py).
IDLE_GAP_SECONDS = 300

#: Events that are one decision each. Correcting a suggestion writes the new span
#: ("span.add") and marks the suggestion rejected ("span.correct"): one decision,
#: so a "span.correct" whose "after" status is rejected is not counted again.
DECISION_ACTIONS = ("span.accept", "span.reject", "span.add", "span.correct", "span.holder")
_DECISION_WHEN = f"""NEW.action IN ({", ".join(f"'{a}'" for a in DECISION_ACTIONS)})
      AND NOT (NEW.action = 'span.correct' AND json_extract(NEW.after, '$.status') = 'rejected')"""


def _stats_triggers(source: str, *, temp: bool = False) -> list[str]:
    """Triggers that keep the dashboard's summary tables up to date as rows are
    added to ``source`` (the events log, or a replay of it when the tables are
    first filled). Each runs in the transaction of the decision that fires it."""
    create = "CREATE TEMP TRIGGER" if temp else "CREATE TRIGGER"
    p = f"{source}_"
    is_known = "EXISTS (SELECT 1 FROM stats_outcomes WHERE span_id = NEW.span_id)"
    was_suggestion = f"(json_extract(NEW.before, '$.status') = 'suggested' OR {is_known})"
    # The origin as suggested: correcting an accepted suggestion in place makes the
    # span a person's (origin "human"); the event's "before" still names the suggester.
    origin = "coalesce(json_extract(NEW.before, '$.origin'), s.origin)"
    return [
        # Speed: decisions, timed decisions and seconds of work per annotator and
        # ten-minute window ("YYYY-MM-DDTHH:M"); the gap since the same person's
        # previous decision counts as work when it is at most the idle gap.
        f"""{create} {p}stats_decisions AFTER INSERT ON {source} WHEN {_DECISION_WHEN}
        BEGIN
          INSERT INTO stats_decisions (annotator, bucket, n, timed, active)
          SELECT who, substr(NEW.at, 1, 15), 1,
                 coalesce(gap BETWEEN 0 AND {IDLE_GAP_SECONDS}, 0),
                 CASE WHEN gap BETWEEN 0 AND {IDLE_GAP_SECONDS} THEN gap ELSE 0 END
          FROM (SELECT coalesce(NEW.annotator, '') AS who,
                       julianday(NEW.at) * 86400.0
                       - (SELECT t FROM stats_last_decision WHERE annotator = coalesce(NEW.annotator, '')) AS gap)
          WHERE true
          ON CONFLICT (annotator, bucket) DO UPDATE SET
            n = n + 1, timed = timed + excluded.timed, active = active + excluded.active;
          INSERT INTO stats_last_decision (annotator, t) VALUES (coalesce(NEW.annotator, ''), julianday(NEW.at) * 86400.0)
          ON CONFLICT (annotator) DO UPDATE SET t = max(t, excluded.t);
        END""",
        # Suggestion outcomes: back to "suggested" (an undo) means undecided again.
        f"""{create} {p}stats_outcome_undecided AFTER INSERT ON {source}
        WHEN NEW.span_id IS NOT NULL AND json_extract(NEW.after, '$.status') = 'suggested'
        BEGIN DELETE FROM stats_outcomes WHERE span_id = NEW.span_id; END""",
        # A correction (relabel, resize, retarget) of a suggestion, or of a
        # suggestion already accepted, stays a correction until it is undone.
        f"""{create} {p}stats_outcome_corrected AFTER INSERT ON {source}
        WHEN NEW.span_id IS NOT NULL AND NEW.action = 'span.correct' AND {was_suggestion}
        BEGIN
          INSERT INTO stats_outcomes (span_id, layer, label, origin, outcome, hour)
          SELECT s.id, s.layer, coalesce(json_extract(NEW.before, '$.label'), s.label), {origin}, 'corrected',
                 substr(NEW.at, 1, 13)
          FROM spans s WHERE s.id = NEW.span_id AND {origin} != 'human'
          ON CONFLICT (span_id) DO UPDATE SET outcome = 'corrected', hour = excluded.hour;
        END""",
        # Accepted or rejected as suggested (or deleted after an accept).
        f"""{create} {p}stats_outcome_decided AFTER INSERT ON {source}
        WHEN NEW.span_id IS NOT NULL AND NEW.action NOT IN ('span.correct', 'span.holder', 'span.holder.undo')
          AND json_extract(NEW.after, '$.status') IN ('accepted', 'rejected') AND {was_suggestion}
        BEGIN
          INSERT INTO stats_outcomes (span_id, layer, label, origin, outcome, hour)
          SELECT s.id, s.layer, s.label, {origin}, json_extract(NEW.after, '$.status'), substr(NEW.at, 1, 13)
          FROM spans s WHERE s.id = NEW.span_id AND {origin} != 'human'
          ON CONFLICT (span_id) DO UPDATE SET outcome = excluded.outcome, hour = excluded.hour
            WHERE outcome != 'corrected';
        END""",
    ]


@migrations()
def m004_dashboard_stats(db: Database) -> None:
    """Summary tables for the dashboard, kept by triggers, so that its figures read
    a few hundred grouped rows instead of scanning every span and event of a large
    project (see services/dashboard.py). Filled from the existing log once."""
    statements = [
        """CREATE TABLE stats_decisions (
            annotator TEXT NOT NULL,
            bucket TEXT NOT NULL,
            n INTEGER NOT NULL,
            timed INTEGER NOT NULL,
            active REAL NOT NULL,
            PRIMARY KEY (annotator, bucket)
        ) WITHOUT ROWID""",
        """CREATE TABLE stats_last_decision (
            annotator TEXT PRIMARY KEY,
            t REAL NOT NULL
        )""",
        # One row per suggestion a person decided on: its outcome as it stands.
        """CREATE TABLE stats_outcomes (
            span_id INTEGER PRIMARY KEY,
            layer TEXT NOT NULL,
            label TEXT NOT NULL,
            origin TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'corrected', 'rejected')),
            hour TEXT NOT NULL
        )""",
        """CREATE TABLE stats_outcome_counts (
            layer TEXT NOT NULL,
            label TEXT NOT NULL,
            origin TEXT NOT NULL,
            outcome TEXT NOT NULL,
            hour TEXT NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (layer, label, origin, outcome, hour)
        ) WITHOUT ROWID""",
        """CREATE TRIGGER stats_outcomes_insert AFTER INSERT ON stats_outcomes BEGIN
             INSERT INTO stats_outcome_counts VALUES (NEW.layer, NEW.label, NEW.origin, NEW.outcome, NEW.hour, 1)
             ON CONFLICT (layer, label, origin, outcome, hour) DO UPDATE SET n = n + 1;
           END""",
        """CREATE TRIGGER stats_outcomes_delete AFTER DELETE ON stats_outcomes BEGIN
             UPDATE stats_outcome_counts SET n = n - 1 WHERE (layer, label, origin, outcome, hour)
               = (OLD.layer, OLD.label, OLD.origin, OLD.outcome, OLD.hour);
           END""",
        """CREATE TRIGGER stats_outcomes_update AFTER UPDATE ON stats_outcomes BEGIN
             UPDATE stats_outcome_counts SET n = n - 1 WHERE (layer, label, origin, outcome, hour)
               = (OLD.layer, OLD.label, OLD.origin, OLD.outcome, OLD.hour);
             INSERT INTO stats_outcome_counts VALUES (NEW.layer, NEW.label, NEW.origin, NEW.outcome, NEW.hour, 1)
             ON CONFLICT (layer, label, origin, outcome, hour) DO UPDATE SET n = n + 1;
           END""",
        # Accepted spans per layer, label and stance target.
        """CREATE TABLE stats_labels (
            layer TEXT NOT NULL,
            label TEXT NOT NULL,
            target TEXT NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (layer, label, target)
        ) WITHOUT ROWID""",
        """CREATE TRIGGER stats_labels_insert AFTER INSERT ON spans WHEN NEW.status = 'accepted' BEGIN
             INSERT INTO stats_labels VALUES (NEW.layer, NEW.label, coalesce(NEW.target, ''), 1)
             ON CONFLICT (layer, label, target) DO UPDATE SET n = n + 1;
           END""",
        """CREATE TRIGGER stats_labels_delete AFTER DELETE ON spans WHEN OLD.status = 'accepted' BEGIN
             UPDATE stats_labels SET n = n - 1
             WHERE (layer, label, target) = (OLD.layer, OLD.label, coalesce(OLD.target, ''));
           END""",
        """CREATE TRIGGER stats_labels_update AFTER UPDATE OF status, layer, label, target ON spans
           WHEN OLD.status = 'accepted' OR NEW.status = 'accepted' BEGIN
             UPDATE stats_labels SET n = n - 1
             WHERE OLD.status = 'accepted' AND (layer, label, target) = (OLD.layer, OLD.label, coalesce(OLD.target, ''));
             INSERT INTO stats_labels SELECT NEW.layer, NEW.label, coalesce(NEW.target, ''), 1
             WHERE NEW.status = 'accepted'
             ON CONFLICT (layer, label, target) DO UPDATE SET n = n + 1;
           END""",
        # Documents marked done per annotator and hour (as they stand: a document
        # reopened later leaves its hour), and done documents in id order.
        """CREATE TABLE stats_done (
            annotator TEXT NOT NULL,
            hour TEXT NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (annotator, hour)
        ) WITHOUT ROWID""",
        """CREATE TRIGGER stats_done_insert AFTER INSERT ON doc_status WHEN NEW.status = 'done' BEGIN
             INSERT INTO stats_done VALUES (NEW.annotator, substr(NEW.updated_at, 1, 13), 1)
             ON CONFLICT (annotator, hour) DO UPDATE SET n = n + 1;
           END""",
        """CREATE TRIGGER stats_done_delete AFTER DELETE ON doc_status WHEN OLD.status = 'done' BEGIN
             UPDATE stats_done SET n = n - 1 WHERE (annotator, hour) = (OLD.annotator, substr(OLD.updated_at, 1, 13));
           END""",
        """CREATE TRIGGER stats_done_update AFTER UPDATE ON doc_status
           WHEN OLD.status = 'done' OR NEW.status = 'done' BEGIN
             UPDATE stats_done SET n = n - 1
             WHERE OLD.status = 'done' AND (annotator, hour) = (OLD.annotator, substr(OLD.updated_at, 1, 13));
             INSERT INTO stats_done SELECT NEW.annotator, substr(NEW.updated_at, 1, 13), 1 WHERE NEW.status = 'done'
             ON CONFLICT (annotator, hour) DO UPDATE SET n = n + 1;
           END""",
        """INSERT INTO stats_done SELECT annotator, substr(updated_at, 1, 13), count(*) FROM doc_status
           WHERE status = 'done' GROUP BY 1, 2""",
        "CREATE INDEX doc_status_done ON doc_status(status, doc_id)",
        """INSERT INTO stats_labels SELECT layer, label, coalesce(target, ''), count(*) FROM spans
           WHERE status = 'accepted' GROUP BY 1, 2, 3""",
        # Fill the decision and outcome tables by replaying the log through the
        # same triggers, attached to a temporary copy.
        "CREATE TEMP TABLE replay AS SELECT * FROM events WHERE 0",
        *_stats_triggers("replay", temp=True),
        "INSERT INTO replay SELECT * FROM events ORDER BY id",
        "DROP TABLE temp.replay",
        *_stats_triggers("events"),
    ]
    for sql in statements:
        db.execute(sql)


@migrations()
def m005_uncertainty_order(db: Database) -> None:
    """How sure the suggester was about each document (1: sure, or not suggested
    yet; 0: unsure), for the "most uncertain next" order of the document list."""
    for sql in ("ALTER TABLE doc_stats ADD COLUMN certainty REAL NOT NULL DEFAULT 1",
                "CREATE INDEX doc_stats_certainty ON doc_stats(certainty)"):
        db.execute(sql)


@migrations()
def m006_import_runs(db: Database) -> None:
    """Imports commit in small batches (so a decision never waits long for the
    write lock) yet a file stays all-or-nothing: each file is a run, and the
    document ids of each committed batch are recorded under it until the run is
    done. A run that failed, was cancelled or whose process died is undone from
    these ranges (see ``Project.abort_import``)."""
    statements = [
        """CREATE TABLE import_runs (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            pid INTEGER NOT NULL,
            host TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('running', 'done', 'undone')),
            started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )""",
        """CREATE TABLE import_run_docs (
            run_id INTEGER NOT NULL REFERENCES import_runs(id) ON DELETE CASCADE,
            first_doc_id INTEGER NOT NULL,
            last_doc_id INTEGER NOT NULL
        )""",
        "CREATE INDEX import_run_docs_run ON import_run_docs(run_id)",
        "CREATE INDEX import_runs_running ON import_runs(state) WHERE state = 'running'",
        # Deleting a span (replacing suggestions, undoing an import) looks up the
        # stances that name it as their holder (ON DELETE SET NULL): without this
        # index, a scan of every span for each one deleted.
        "CREATE INDEX spans_holder ON spans(holder_span_id) WHERE holder_span_id IS NOT NULL",
    ]
    for sql in statements:
        db.execute(sql)


@migrations()
def m007_memory_strings(db: Database) -> None:
    """The decision memory per string: for each (string, label, verdict) the number
    of articles that taught it, kept by triggers on ``memory``, and the memory
    generation of its last change, so a suggester reads only what changed since
    its copy instead of every decision (large projects hold millions)."""
    statements = [
        # One index serves both the per-string counts and the lookups m003's served.
        "DROP INDEX memory_text",
        "DROP INDEX memory_doc",
        "CREATE INDEX memory_doc_key ON memory(text, label, verdict, doc_id)",
        """CREATE TABLE memory_strings (
            text TEXT NOT NULL,
            label TEXT NOT NULL,
            verdict INTEGER NOT NULL,
            articles INTEGER NOT NULL DEFAULT 0,
            gen INTEGER NOT NULL,
            PRIMARY KEY (text, label, verdict)
        )""",
        "CREATE INDEX memory_strings_gen ON memory_strings(gen)",
        """CREATE TRIGGER memory_strings_insert AFTER INSERT ON memory BEGIN
             INSERT INTO memory_strings (text, label, verdict, articles, gen)
               VALUES (NEW.text, NEW.label, NEW.verdict, 1, (SELECT generation FROM memory_state WHERE id = 1))
               ON CONFLICT (text, label, verdict) DO UPDATE SET gen = excluded.gen,
                 articles = articles + NOT EXISTS (SELECT 1 FROM memory WHERE text = NEW.text AND label = NEW.label
                   AND verdict = NEW.verdict AND doc_id = NEW.doc_id AND span_id != NEW.span_id);
           END""",
        """CREATE TRIGGER memory_strings_delete AFTER DELETE ON memory BEGIN
             UPDATE memory_strings SET gen = (SELECT generation FROM memory_state WHERE id = 1),
               articles = articles - NOT EXISTS (SELECT 1 FROM memory WHERE text = OLD.text AND label = OLD.label
                                                 AND verdict = OLD.verdict AND doc_id = OLD.doc_id)
               WHERE text = OLD.text AND label = OLD.label AND verdict = OLD.verdict;
           END""",
        """INSERT INTO memory_strings (text, label, verdict, articles, gen)
           SELECT text, label, verdict, count(DISTINCT doc_id), (SELECT generation FROM memory_state WHERE id = 1)
           FROM memory GROUP BY text, label, verdict""",
    ]
    for sql in statements:
        db.execute(sql)


#: Insert triggers whose per-row upkeep a bulk load does set-wise instead: an
#: import batch stores thousands of spans in one statement, and these triggers
#: (the bound check, document counters, label counts, decision memory) cost over
#: three times the insert itself, even when a WHEN clause stops them early.
#: ``Project.add_documents`` drops them inside its own savepoint, inserts, runs
#: ``BULK_UPKEEP`` over the new rows and creates them again from their stored SQL
#: before the savepoint ends: no other connection ever sees them missing (a
#: failure rolls the savepoint back, triggers included). The price: another
#: connection re-reads the schema once per committed batch (under a millisecond).
BULK_TRIGGERS = ("spans_within_text_insert", "spans_stats_insert", "stats_labels_insert", "memory_span_insert",
                 "memory_strings_insert")

#: Insert triggers of the events log that a bulk load's ``document.import``
#: events never satisfy (their WHEN clauses need a decision action or a span):
#: dropped the same way around those inserts, with nothing to do in their place.
IMPORT_EVENT_TRIGGERS = ("events_stats_decisions", "events_stats_outcome_undecided", "events_stats_outcome_corrected",
                         "events_stats_outcome_decided")

#: The upkeep of ``BULK_TRIGGERS`` for every span with an id above ``:after``
#: (all of them in documents new in the same transaction), set-wise.
#: NOT INDEXED keeps each statement on a rowid range of the new rows: an index on
#: status or doc_id would have it visit every span of the project, every batch.
BULK_UPKEEP = {
    "bounds": """SELECT count(*) FROM spans AS s NOT INDEXED JOIN documents d ON d.id = s.doc_id
                 WHERE s.id > :after AND s."end" > d.length""",
    "doc_stats": """UPDATE doc_stats SET
               n_accepted = n_accepted + c.accepted,
               n_suggested = n_suggested + c.suggested,
               n_rejected = n_rejected + c.rejected,
               last_edit = coalesce(c.last_edit, doc_stats.last_edit)
             FROM (SELECT doc_id, sum(status = 'accepted') AS accepted, sum(status = 'suggested') AS suggested,
                          sum(status = 'rejected') AS rejected,
                          max(CASE WHEN origin = 'human' OR status != 'suggested' THEN updated_at END) AS last_edit
                   FROM spans NOT INDEXED WHERE id > :after GROUP BY doc_id) AS c
             WHERE doc_stats.doc_id = c.doc_id""",
    "labels": """INSERT INTO stats_labels (layer, label, target, n)
             SELECT layer, label, coalesce(target, ''), count(*) FROM spans NOT INDEXED
             WHERE id > :after AND status = 'accepted' GROUP BY 1, 2, 3
             ON CONFLICT (layer, label, target) DO UPDATE SET n = n + excluded.n""",
    "memory": """INSERT INTO memory (span_id, doc_id, text, label, verdict)
             SELECT s.id, s.doc_id, substr(d.text, s.start + 1, s."end" - s.start), s.label, s.status = 'accepted'
             FROM spans AS s NOT INDEXED JOIN documents d ON d.id = s.doc_id
             WHERE s.id > :after AND s.layer = 'entity' AND s.status != 'suggested'""",
    # The new spans belong to new documents: their articles simply add up.
    "memory_strings": """INSERT INTO memory_strings (text, label, verdict, articles, gen)
             SELECT text, label, verdict, count(DISTINCT doc_id), (SELECT generation FROM memory_state WHERE id = 1)
             FROM memory NOT INDEXED WHERE span_id > :after GROUP BY text, label, verdict
             ON CONFLICT (text, label, verdict) DO UPDATE SET articles = articles + excluded.articles,
               gen = excluded.gen""",
    "memory_generation": "UPDATE memory_state SET generation = generation + 1",
}


def known_migration_names() -> list[str]:
    return [m.name for m in migrations._migrations]
