"""Crash safety: a scripted annotation session (the services the window uses:
``AnnotationSession`` and its commands) runs in a child process and is killed with
SIGKILL at random moments. After each kill the project passes
``PRAGMA integrity_check``, every decision whose call had returned is there, and
no decision is half-applied. A power-loss-like snapshot (the database and its WAL
copied while the writer is frozen mid-session) opens cleanly too.

The default run kills 3 sessions; the ``slow`` suite kills 20.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from annotator.core.model import SpanDraft
from annotator.core.text import text_hash
from annotator.storage import NewDocument, open_project

N_DOCS = 40
SUGGESTIONS_PER_DOC = 30

CHILD = textwrap.dedent("""
    import json, random, sys
    from annotator.services.session import AnnotationSession
    from annotator.storage import open_project

    path, seed, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    project = open_project(path, annotator="crash")
    session = AnnotationSession(project, char_mode=True)
    out = sys.stdout
    doc_ids = [r[0] for r in project.conn.execute("SELECT id FROM documents ORDER BY id")]
    made = 0
    while made < n:
        doc_id = rng.choice(doc_ids)
        session.load(doc_id)
        pending = [s for s in session.spans() if s.status == "suggested"]
        kind = rng.choice(["create", "accept", "correct", "done"] if pending else ["create", "done"])
        if kind == "create":
            start = rng.randrange(0, len(session.text) - 3)
            cmd = session.create(start, start + 3, "entity", "DATE")
            if cmd is None or type(cmd).__name__ != "CreateSpanCommand":
                continue
            change = session.run(cmd)
            record = {"kind": kind, "span": cmd._stored.id, "start": start}
        elif kind == "accept":
            span = rng.choice(pending)
            session.run(session.accept(span))
            record = {"kind": kind, "span": span.id}
        elif kind == "correct":
            span = rng.choice(pending)
            cmd = session.relabel("ORG", span)
            session.run(cmd)
            record = {"kind": kind, "old": span.id, "new": cmd._new.id}
        else:
            session.run(session.set_doc_status("done"))
            record = {"kind": kind, "doc": doc_id}
        out.write(json.dumps(record) + "\\n")
        out.flush()
        made += 1
""")


def _make_project(path):
    with open_project(path, create=True) as project:
        docs = []
        for i in range(N_DOCS):
            words = " ".join(f"Word{i}x{j}" for j in range(SUGGESTIONS_PER_DOC))
            docs.append(NewDocument(f"Report {i}. {words}.", f"doc {i}", text_hash(f"Report {i}. {words}.")))
        ids, _ = project.add_documents(docs)
        for doc_id in ids:
            text = project.document(doc_id).text
            drafts, pos = [], text.index("Word")
            for _ in range(SUGGESTIONS_PER_DOC):
                end = text.index(" ", pos) if " " in text[pos:] else len(text) - 1
                drafts.append(SpanDraft(pos, end, "PERSON"))
                pos = end + 1
            project.store_suggestions(doc_id, "seed@1", drafts)


def _check(path, records):
    with open_project(path) as project:
        conn = project.conn
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for rec in records:
            if rec["kind"] == "create":
                row = conn.execute("SELECT status, origin, label FROM spans WHERE id = ?", (rec["span"],)).fetchone()
                assert row == ("accepted", "human", "DATE"), rec
            elif rec["kind"] == "accept":
                assert conn.execute("SELECT status FROM spans WHERE id = ?", (rec["span"],)).fetchone() == (
                    "accepted",), rec
            elif rec["kind"] == "correct":
                assert conn.execute("SELECT status FROM spans WHERE id = ?", (rec["old"],)).fetchone() == (
                    "rejected",), rec
                assert conn.execute("SELECT status, label FROM spans WHERE id = ?", (rec["new"],)).fetchone() == (
                    "accepted", "ORG"), rec
            else:
                assert project.doc_status(rec["doc"], "crash") == "done", rec
        # Not half-applied: a correction rejects a suggestion and writes its
        # replacement together, so the two sets of offsets are the same.
        rejected = set(conn.execute(
            "SELECT doc_id, start, \"end\" FROM spans WHERE status = 'rejected' AND origin = 'seed@1'"))
        replacements = set(conn.execute(
            "SELECT doc_id, start, \"end\" FROM spans WHERE origin = 'human' AND label = 'ORG'"))
        assert rejected == replacements
        for doc_id, n_acc, n_sug in conn.execute("SELECT doc_id, n_accepted, n_suggested FROM doc_stats"):
            real = conn.execute("SELECT coalesce(sum(status='accepted'), 0), coalesce(sum(status='suggested'), 0)"
                                " FROM spans WHERE doc_id = ?", (doc_id,)).fetchone()
            assert (n_acc, n_sug) == real


def _run_and_kill(tmp_path, seed):
    path = tmp_path / f"kill-{seed}.db"
    _make_project(path)
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    rng = random.Random(seed)
    proc = subprocess.Popen([sys.executable, str(script), str(path), str(seed), "1000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    kill_after = rng.randint(20, 950)
    records = []
    for line in proc.stdout:
        records.append(json.loads(line))
        if len(records) >= kill_after:
            time.sleep(rng.random() * 0.05)  # land somewhere inside the next decision
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    stderr = proc.stderr.read()
    assert proc.returncode == -signal.SIGKILL, f"child ended by itself: {proc.returncode}\n{stderr}"
    # Lines written after the last one read may still sit in the pipe: they are
    # decisions that returned too, so they must be there as well.
    records += [json.loads(line) for line in proc.stdout.read().splitlines() if line.strip()]
    _check(path, records)
    return len(records)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkill_mid_session_loses_nothing(tmp_path, seed):
    assert _run_and_kill(tmp_path, seed) >= 20


@pytest.mark.slow
def test_twenty_sigkills_lose_nothing(tmp_path):
    counts = [_run_and_kill(tmp_path, seed) for seed in range(100, 120)]
    assert len(counts) == 20 and min(counts) >= 20  # each run checked at least 20 returned decisions
    print(f"\n20/20 killed sessions intact; decisions checked per run: {counts}")


def test_power_loss_snapshot_of_db_and_wal_opens_with_every_earlier_decision(tmp_path):
    path = tmp_path / "live.db"
    _make_project(path)
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    proc = subprocess.Popen([sys.executable, str(script), str(path), "7", "1000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    records = []
    try:
        for line in proc.stdout:
            records.append(json.loads(line))
            if len(records) >= 150:
                os.kill(proc.pid, signal.SIGSTOP)  # freeze the writer mid-session: the files as a power cut leaves them
                break
        snapshot = tmp_path / "snapshot.db"
        for suffix in ("", "-wal"):
            if os.path.exists(str(path) + suffix):
                shutil.copyfile(str(path) + suffix, str(snapshot) + suffix)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    _check(snapshot, records)
