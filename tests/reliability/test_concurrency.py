"""Two processes deciding on one project at once: no lost update, no
"database is locked" traceback (writers wait for the lock and retry)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from annotator.core.text import text_hash
from annotator.storage import NewDocument, open_project

WORKER = textwrap.dedent("""
    import sys
    from annotator.core.model import Span, SpanDraft
    from annotator.storage import open_project
    path, who, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open_project(path, annotator=who) as project:
        for i in range(n):
            doc_id = 1 + i % 5
            if who == "suggester":
                project.store_suggestions(doc_id, f"bot@{i}", [SpanDraft(0, 4, "GPE"), SpanDraft(10, 14, "GPE")])
            else:
                span = project.add_span(doc_id, Span(20 + i % 3, 24 + i % 3, "PERSON"))
                project.update_span(span.id, status="accepted")
                print(span.id, flush=True)
""")


def test_two_processes_write_the_same_project_without_losing_anything(tmp_path):
    path = tmp_path / "shared.db"
    with open_project(path, create=True) as project:
        texts = [f"Kyiv and Lviv {i}: Anna Petrenko and Oleh Marchuk spoke at length today." for i in range(5)]
        project.add_documents([NewDocument(t, f"doc {i}", text_hash(t)) for i, t in enumerate(texts)])
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    procs = [subprocess.Popen([sys.executable, str(script), str(path), who, "150"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for who in ("ana", "suggester")]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (_out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
        assert "locked" not in err and "Traceback" not in err
    written = {int(line) for line in outputs[0][0].split()}
    assert len(written) == 150
    with open_project(path) as project:
        rows = project.conn.execute(
            "SELECT id FROM spans WHERE status = 'accepted' AND annotator = 'ana'").fetchall()
        assert {r[0] for r in rows} == written
        assert project.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # The counters kept by triggers agree with the rows.
        for doc_id, n_acc, n_sug in project.conn.execute("SELECT doc_id, n_accepted, n_suggested FROM doc_stats"):
            real = project.conn.execute(
                "SELECT sum(status='accepted'), sum(status='suggested') FROM spans WHERE doc_id = ?", (doc_id,)
            ).fetchone()
            assert (n_acc, n_sug) == (real[0] or 0, real[1] or 0)
