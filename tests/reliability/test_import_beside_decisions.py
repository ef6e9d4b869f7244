"""A large import beside a person deciding: the import commits in short batches,
no decision is lost or reordered, and a file stays all-or-nothing (a bad record,
a cancel or a SIGKILL mid-file leaves none of it)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from annotator.core.errors import AnnotatorError
from annotator.core.model import Span
from annotator.core.text import text_hash
from annotator.services.importing import ImportCancelled, import_paths
from annotator.storage import NewDocument, open_project
from annotator.storage import project as project_module
from tests.reliability.deciding import Decider, check_kept, seed


def _articles(path, n, *, spans=20, bad_line=None, tag="a"):
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            words = " ".join(f"w{i}x{j}" for j in range(spans * 3))
            text = f"Kyiv {tag} {i}. {words}."
            ents = [{"start": 0, "end": 4, "label": "GPE", "text": "Kyiv"}]
            pos = text.index(" w") + 1
            for j in range(spans - 1):
                word = f"w{i}x{j * 3}"
                pos = text.index(word, pos)
                ents.append({"start": pos, "end": pos + len(word), "label": "ORG", "text": word})
                pos += len(word)
            record = {"title": f"{tag} {i}", "text": text, "entities": ents}
            if bad_line is not None and i + 1 == bad_line:
                record = {"title": "no text here"}
            fh.write(json.dumps(record) + "\n")
    return path


def _seed(path, n=4):
    with open_project(path, create=True) as project:
        texts = [f"Kyiv and Lviv, report {i}: talks went on." for i in range(n)]
        project.add_documents([NewDocument(t, f"seed {i}", text_hash(t)) for i, t in enumerate(texts)])


def test_import_beside_a_deciding_process_loses_no_decision(tmp_path):
    path = tmp_path / "p.db"
    seed(path, docs=200, suggestions=25)  # 5,000 decisions: enough for 100 s at one every 20 ms
    source = _articles(tmp_path / "big.jsonl", 2500)
    stop = tmp_path / "stop"
    decider = Decider(path, stop=stop, least=20, pace=0.02)
    importer = subprocess.Popen([sys.executable, "-m", "annotator", "import", str(source), "--project", str(path)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _out, err = importer.communicate(timeout=600)
    stop.touch()
    decisions = decider.finish(timeout=300)
    assert importer.returncode == 0, err
    assert "Traceback" not in err
    during = [d for d in decisions if d["during_import"]]
    assert during, "no decision was made while the import ran"
    assert check_kept(path, decisions) == 0  # each in the file, once, in the order made
    with open_project(path) as project:
        assert project.document_count() == 200 + 2500
        assert project.conn.execute("SELECT state FROM import_runs").fetchall() == [("done",)]
        assert project.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    waits = sorted(d["wait"] for d in during)
    print(f"{len(decisions)} decisions, {len(during)} during the import; wait for the write lock during the import:"
          f" median {waits[len(waits) // 2] * 1000:.0f} ms, 95th percentile {waits[int(len(waits) * 0.95)] * 1000:.0f} ms,"
          f" max {waits[-1] * 1000:.0f} ms")


def test_bulk_import_keeps_the_same_counters_as_the_span_triggers(tmp_path):
    source = _articles(tmp_path / "a.jsonl", 30, spans=5)
    bulk, rows = tmp_path / "bulk.db", tmp_path / "rows.db"
    with open_project(bulk, create=True) as project:
        import_paths(project, [source])
        got = project.conn.execute("SELECT * FROM doc_stats ORDER BY doc_id").fetchall()
        names = [c[1] for c in project.conn.execute("PRAGMA table_info(doc_stats)")]
    with open_project(rows, create=True) as project:  # one span at a time, through the triggers
        for line in source.read_text().splitlines():
            record = json.loads(line)
            (doc_id,), _ = project.add_documents([NewDocument(record["text"], record["title"], text_hash(record["text"]))])
            for e in record["entities"]:
                project.add_span(doc_id, Span(e["start"], e["end"], e["label"], status="accepted", origin="import"))
        want = project.conn.execute("SELECT * FROM doc_stats ORDER BY doc_id").fetchall()
    edit = names.index("last_edit")
    strip = [tuple(v for k, v in enumerate(row) if k != edit) + (row[edit] is None,) for row in got]
    assert strip == [tuple(v for k, v in enumerate(row) if k != edit) + (row[edit] is None,) for row in want]


def test_a_bad_record_after_many_batches_leaves_nothing_of_the_file(tmp_path):
    path = tmp_path / "p.db"
    _seed(path)
    source = _articles(tmp_path / "bad.jsonl", 400, spans=3, bad_line=400)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with open_project(path) as project:
        with pytest.raises(AnnotatorError) as err:
            import_paths(project, [source])
        assert err.value.code == "E205" and err.value.line == 400
        assert project.document_count() == 4
        assert project.conn.execute("SELECT count(*) FROM import_runs").fetchone()[0] == 0
    # Every record is read before the first batch is written: refused untouched.
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_a_batch_the_database_refuses_after_earlier_batches_undoes_the_file(tmp_path):
    path = tmp_path / "p.db"
    _seed(path)
    source = _articles(tmp_path / "a.jsonl", 300, spans=3)
    with open_project(path) as project:
        # The database's own bounds check refuses the 250th article's span (the
        # file itself is fine): earlier batches are already committed by then.
        project.conn.execute("""CREATE TRIGGER refuse_250 BEFORE INSERT ON documents
                                WHEN NEW.title = 'a 249' BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END""")
        with pytest.raises(AnnotatorError) as err:
            import_paths(project, [source])
        assert err.value.code == "E221" and err.value.line == 250
        assert project.document_count() == 4
        assert project.conn.execute("SELECT count(*) FROM spans").fetchone()[0] == 0
        assert project.conn.execute("SELECT state FROM import_runs").fetchall() == [("undone",)]


def test_a_cancelled_import_keeps_a_document_a_person_already_decided_on(tmp_path):
    path = tmp_path / "p.db"
    _seed(path)
    source = _articles(tmp_path / "a.jsonl", 300, spans=3)
    with open_project(path) as project, open_project(path, annotator="ana") as person:
        seen = {"n": 0}

        def cancelled() -> bool:  # after a few batches, a person works on an imported article, then cancel
            seen["n"] += 1
            if seen["n"] == 300 + 200:  # the first 300 calls are the check of every record
                doc_id = project.last_doc_id()
                person.add_span(doc_id, Span(0, 4, "GPE", status="accepted"))
                seen["kept"] = doc_id
            return seen["n"] > 300 + 200

        with pytest.raises(ImportCancelled):
            import_paths(project, [source], cancelled=cancelled)
        assert project.document_count() == 5
        assert "ana" in {s.annotator for s in person.spans(seen["kept"])}


def test_an_import_killed_mid_file_is_undone_by_the_next_open(tmp_path):
    path = tmp_path / "p.db"
    _seed(path)
    source = _articles(tmp_path / "big.jsonl", 3000, spans=10)
    importer = subprocess.Popen([sys.executable, "-m", "annotator", "import", str(source), "--project", str(path)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:  # wait until some batches are committed
        conn = sqlite3.connect(path)
        try:
            n = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        except sqlite3.OperationalError:
            n = 0
        finally:
            conn.close()
        if n > 200 or importer.poll() is not None:
            break
        time.sleep(0.05)
    assert importer.poll() is None, "the import ended before it could be killed"
    os.kill(importer.pid, signal.SIGKILL)
    importer.wait(30)
    with open_project(path) as project:  # the dead run is undone on open
        assert project.document_count() == 4
        assert project.conn.execute("SELECT state FROM import_runs").fetchall() == [("undone",)]
        assert project.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_busy_error_names_this_process_import_or_stays_neutral(tmp_path, monkeypatch):
    path = tmp_path / "p.db"
    _seed(path)
    monkeypatch.setattr(project_module, "BUSY_TIMEOUT_S", 0.3)
    with open_project(path) as importer, open_project(path) as window:
        importer.activity = "the import of big.jsonl"
        with importer.write(), pytest.raises(AnnotatorError) as err:
            window.set_doc_status(1, "done")
        assert err.value.code == "E005"
        assert "the import of big.jsonl" in err.value.message and "window" not in err.value.message
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import sqlite3, sys, time
        c = sqlite3.connect(sys.argv[1], isolation_level=None)
        c.execute("BEGIN IMMEDIATE")
        print("held", flush=True)
        time.sleep(30)
    """), str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with open_project(path) as window, pytest.raises(AnnotatorError) as err:
            window.set_doc_status(1, "done")
        assert err.value.code == "E005" and "another program" in err.value.message
    finally:
        holder.kill()
        holder.wait()


def test_a_waiting_write_tries_every_millisecond_then_slows_down(tmp_path, monkeypatch):
    """The gaps between an import's batches last a few milliseconds: a writer that
    polls every 4 ms misses several in a row (a decision then waits 150-250 ms
    beside a large import); polling every millisecond it gets in at the next one.
    A lock held long is polled less often."""
    import threading

    path = tmp_path / "p.db"
    _seed(path)
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.8, lambda: holder.execute("COMMIT"))
    pauses: list[tuple[float, float]] = []
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        pauses.append((time.monotonic(), seconds))
        real_sleep(seconds)

    with open_project(path) as window:
        monkeypatch.setattr(time, "sleep", sleep)
        release.start()
        window.set_doc_status(1, "done")
        monkeypatch.undo()
        assert window.doc_status(1) == "done"
    release.join()
    holder.close()
    first = pauses[0][0]
    early = [s for at, s in pauses if at - first < 0.45]
    late = [s for at, s in pauses if at - first > 0.55]
    assert len(early) > 20 and max(early) <= 0.001
    assert late and min(late) > 0.001


def test_one_fast_batch_does_not_lengthen_the_next_past_what_recent_batches_cost():
    from collections import deque

    from annotator.services.importing import BATCH_LOCK_SECONDS, SIZE_MEMORY, _next_batch_size

    recent: deque[float] = deque(maxlen=SIZE_MEMORY)
    per_article = 0.001  # a busy machine: 40 articles hold the lock 40 ms
    size = int(BATCH_LOCK_SECONDS / per_article)
    for _ in range(SIZE_MEMORY):
        size = _next_batch_size(size, size * per_article, recent)
    assert size == 40
    # One batch runs four times faster (a moment with a core to itself): the next is
    # not doubled, since the machine is likely busy again at once.
    size = _next_batch_size(size, size * per_article / 4, recent)
    assert size == 40
    # Fast for as long as the memory reaches: the size grows again, at most doubling.
    for _ in range(SIZE_MEMORY):
        size = _next_batch_size(size, size * per_article / 4, recent)
    assert 40 < size <= 160
    # A slow batch shrinks the next at once.
    assert _next_batch_size(size, size * per_article * 2, recent) == int(BATCH_LOCK_SECONDS / (per_article * 2))


def test_the_write_lock_stays_free_a_moment_between_two_batches(tmp_path):
    """The records of a file are kept from its check, so the next batch is ready at
    once: without a pause the import took the lock back within half a millisecond,
    and a decision polling every millisecond missed gap after gap (170 ms waits
    beside 2,500 articles)."""
    from annotator.services.importing import BATCH_GAP_SECONDS

    path = tmp_path / "p.db"
    _seed(path)
    source = _articles(tmp_path / "a.jsonl", 400, spans=20)
    taken: list[float] = []
    stored: list[float] = []
    with open_project(path) as project:
        take_lock, add = project._begin_immediate, project.add_documents

        def timed_take_lock() -> None:
            take_lock()
            taken.append(time.perf_counter())

        def timed_add(*args, **kwargs):
            try:
                return add(*args, **kwargs)
            finally:
                stored.append(time.perf_counter())  # the batch's commit comes after this

        project._begin_immediate = timed_take_lock
        project.add_documents = timed_add
        summary = import_paths(project, [source])
    assert summary.imported == 400 and len(stored) >= 3
    # Each batch's rows, then the lock taken again for the next batch (the last
    # taking is the run's end, not a batch).
    for done, next_taken in zip(stored[:-1], taken[1:len(stored)]):
        assert next_taken - done >= BATCH_GAP_SECONDS
