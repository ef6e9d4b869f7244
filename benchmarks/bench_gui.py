"""Window benchmarks: UI-thread stalls, article rendering, one decision.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui.py [first] [stall] [render]``

Prints, each measured in this run (medians of several repeats):

1. the longest UI-thread stall while suggestions run in the background over a
   project of a few dozen documents, against the 50 ms target;
2. open and render a 10,000-word article with 2,000 spans in the main window vs a
   bare ``QPlainTextEdit.setPlainText`` of the same text (ratio);
3. accept one suggestion from the keyboard (durable commit and repaint) vs a bare
   durable SQLite ``UPDATE`` of one row (WAL, ``synchronous=FULL``) (ratio, target
   under 20x);
4. first start: from opening the window on a fresh default project (the sample
   articles, nothing suggested yet) until the open article shows its suggestions
   (target under 5 s).
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

STALL_TARGET_MS = 50.0
ACCEPT_TARGET_RATIO = 20.0
FIRST_HIGHLIGHT_TARGET_S = 5.0
REPEATS = 5


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def _pump(app, until=None, timeout: float = 120.0) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        app.processEvents()
        if until is None or until():
            return
        time.sleep(0.002)
    raise TimeoutError("benchmark step did not finish")


def bench_stall(app, tmp: Path) -> None:
    from annotator.gui.app import settle_memory, start_suggestions
    from tests.gui.scenes import build_many_docs_project, build_window
    from tests.gui.stall import StallMeter

    project = build_many_docs_project(tmp / "stall.db", copies=3)
    doc_ids = [d.id for d in project.iter_documents()]
    window = build_window(project, doc_ids[0])
    window.resize(1280, 800)
    window.show()
    _pump(app)
    settle_memory()  # as annotator.gui.app.open_window() does once the window is up
    meter = StallMeter(interval_ms=5)
    meter.start()
    started = time.perf_counter()
    task = start_suggestions(window, project.path)
    if task is None:
        raise RuntimeError("start_suggestions started no background task")
    kind = "suggestions"
    _pump(app, lambda: not task.is_running() and task.state != "running")
    meter.stop()
    elapsed = time.perf_counter() - started
    verdict = "meets" if meter.longest_stall_ms < STALL_TARGET_MS else "MISSES"
    print(f"stall: background {kind} over {len(doc_ids)} documents took {elapsed:.2f} s; "
          f"longest UI-thread stall {meter.longest_stall_ms:.1f} ms "
          f"({meter.longest_stall_ms / STALL_TARGET_MS:.2f} x the {STALL_TARGET_MS:.0f} ms target: {verdict}); "
          f"{meter.gaps_over_50ms} stalls over 50 ms in {meter.ticks} ticks")
    window.close()
    window.deleteLater()
    project.close()


def _big_article_project(tmp: Path, *, paragraph_words: int | None = 100):
    """A 10,000-word article with 2,000 spans (entities, some stances), half accepted.

    ``paragraph_words``: words per paragraph (news articles run 30 to 150); None
    makes the whole article one paragraph, the worst case for Qt's own text
    painting (it lays out and draws a paragraph as a whole).
    """
    import re

    from annotator.core.assets import sample_corpus_dir
    from annotator.core.model import SpanDraft
    from annotator.core.text import text_hash
    from annotator.storage import NewDocument, open_project

    bodies = [a.read_text(encoding="utf-8").partition("\n")[2]
              for a in sorted((sample_corpus_dir() / "articles").glob("*.txt"))]
    words: list[str] = []
    i = 0
    while len(words) < 10_000:
        words.extend(bodies[i % len(bodies)].split())
        i += 1
    words = words[:10_000]
    if paragraph_words is None:
        text = " ".join(words)
    else:
        text = "\n".join(" ".join(words[i:i + paragraph_words]) for i in range(0, len(words), paragraph_words))
    name = "big-one-paragraph.db" if paragraph_words is None else "big.db"
    project = open_project(tmp / name, create=True, annotator="bench")
    (doc_id,), _ = project.add_documents([NewDocument(text=text, title="A 10,000-word article",
                                                      text_hash=text_hash(text))])
    labels = project.scheme().label_names("entity")
    drafts: list[SpanDraft] = []
    offsets = [m.span() for m in re.finditer(r"\S+", text)]
    for n, (start, end) in enumerate(offsets[::5][:1_950]):
        drafts.append(SpanDraft(start, end, labels[n % len(labels)], layer="entity", score=0.8, origin="bench"))
    targets = project.scheme().target_names()
    for n in range(50):
        s = offsets[n * 190][0]
        e = offsets[n * 190 + 30][1]
        drafts.append(SpanDraft(s, e, ("FAVOR", "AGAINST", "NEUTRAL")[n % 3], layer="stance",
                                target=targets[n % len(targets)], score=0.7, cue="said", origin="bench"))
    project.store_suggestions(doc_id, "bench", drafts)
    spans = project.spans(doc_id)
    project.set_span_statuses([s.id for s in spans[::2]], "accepted")
    return project, doc_id, text


def bench_render(app, tmp: Path) -> None:
    from PySide6.QtWidgets import QPlainTextEdit

    project, doc_id, text = _big_article_project(tmp)
    n_spans = len(project.spans(doc_id))
    from annotator.gui.main_window import MainWindow

    bare_samples = []
    for _ in range(REPEATS):
        edit = QPlainTextEdit()
        edit.resize(900, 700)
        edit.show()
        _pump(app)
        t0 = time.perf_counter()
        edit.setPlainText(text)
        edit.repaint()
        app.processEvents()
        bare_samples.append(time.perf_counter() - t0)
        edit.close()
        edit.deleteLater()
    window = MainWindow(project)
    window.resize(1280, 800)
    window.show()
    _pump(app)
    other = next((d.id for d in project.iter_documents() if d.id != doc_id), None)
    samples = []
    for _ in range(REPEATS):
        if other is not None:
            window.editor.load_document(other)
            _pump(app)
        t0 = time.perf_counter()
        window.editor.load_document(doc_id)
        window.repaint()
        app.processEvents()
        samples.append(time.perf_counter() - t0)
    bare, ours = _median(bare_samples), _median(samples)
    print(f"render: open + render 10,000 words (paragraphs of 100) with {n_spans} spans {ours * 1000:.1f} ms "
          f"vs bare setPlainText {bare * 1000:.1f} ms: ratio {ours / bare:.1f}x")
    bare_update = _bare_update(tmp)
    bench_accept(app, window, project, doc_id, bare_update, "paragraphs of 100 words")
    window.close()
    window.deleteLater()
    project.close()
    project, doc_id, _text = _big_article_project(tmp, paragraph_words=None)
    window = MainWindow(project)
    window.resize(1280, 800)
    window.show()
    window.editor.load_document(doc_id)
    _pump(app)
    bench_accept(app, window, project, doc_id, bare_update, "one 10,000-word paragraph, worst case", target=False)
    window.close()
    window.deleteLater()
    project.close()


def _bare_update(tmp: Path) -> float:
    path = tmp / "bare.db"
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS spans (id INTEGER PRIMARY KEY, status TEXT)")
    conn.executemany("INSERT INTO spans (status) VALUES (?)", [("suggested",)] * 2000)
    samples = []
    for i in range(1, REPEATS * 4 + 1):
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE spans SET status = 'accepted' WHERE id = ?", (i,))
        conn.execute("COMMIT")
        samples.append(time.perf_counter() - t0)
    conn.close()
    return _median(samples)


def bench_accept(app, window, project, doc_id: int, bare: float, layout: str, *, target: bool = True) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    target = window.editor.view
    samples = []
    for _ in range(REPEATS * 2):
        before = len(project.spans(doc_id, statuses=["accepted"]))
        window.activateWindow()
        target.setFocus()
        for _tab in range(20):  # focus the next suggestion (Tab also visits accepted spans)
            QTest.keyClick(target, Qt.Key.Key_Tab)
            app.processEvents()
            focused = window.session.focused
            if focused is not None and focused.status == "suggested":
                break
        t0 = time.perf_counter()
        QTest.keyClick(target, Qt.Key.Key_A)
        app.processEvents()  # delivers the repaint the decision asked for (only what changed)
        samples.append(time.perf_counter() - t0)
        if len(project.spans(doc_id, statuses=["accepted"])) != before + 1:
            raise RuntimeError("the A key did not accept the focused suggestion")
    ours = _median(samples)
    ratio = ours / bare
    verdict = ("meets" if ratio < ACCEPT_TARGET_RATIO else "MISSES") if target else "no target"
    print(f"accept ({layout}): one suggestion accepted (durable commit + repaint) {ours * 1000:.2f} ms "
          f"vs bare durable UPDATE {bare * 1000:.2f} ms: ratio {ratio:.1f}x "
          f"(target < {ACCEPT_TARGET_RATIO:.0f}x: {verdict})")


def bench_first_highlight(app, tmp: Path) -> None:
    """A first start: the default project is created from the sample articles and
    suggested in the background; the clock runs until the open article shows
    suggestions (the child process, the pipeline load and its first document)."""
    from annotator.gui.app import open_window

    os.environ["ANNOTATOR_HOME"] = str(tmp / "first-home")
    t0 = time.perf_counter()
    window, project, created = open_window(None)
    if not created:
        raise RuntimeError("the default project already existed: not a first start")
    opened = time.perf_counter() - t0
    _pump(app, lambda: bool(window.editor.view.spans_shown()), timeout=120.0)
    shown = time.perf_counter() - t0
    verdict = "meets" if shown < FIRST_HIGHLIGHT_TARGET_S else "MISSES"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"first highlight: window up in {opened:.2f} s, the open article's suggestions shown after "
          f"{shown:.2f} s ({project.document_count()} "
          f"sample articles; target < {FIRST_HIGHLIGHT_TARGET_S:.0f} s: {verdict}; "
          f"load average {load:.1f} on {os.cpu_count()} CPUs during the run)")
    import shiboken6

    from annotator.gui.workers import cancel_all, wait_all

    cancel_all()
    _pump(app, lambda: wait_all(0.01), timeout=60.0)
    window.close()
    shiboken6.delete(window)
    project.close()


def main() -> None:
    from annotator.gui.app import apply_theme, ensure_app

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        os.environ.setdefault("ANNOTATOR_HOME", str(tmp / "home"))
        # Window layouts saved during the run must not become the user's.
        os.environ["XDG_CONFIG_HOME"] = str(tmp / "config")
        from annotator.gui.workers import prepare_subprocesses

        prepare_subprocesses()  # as annotator.gui.app.run() does before the window opens
        app = ensure_app()
        apply_theme(app, "light", follow_system=False)
        only = sys.argv[1:]
        if not only or "first" in only:
            bench_first_highlight(app, tmp)
        if not only or "stall" in only:
            bench_stall(app, tmp)
        if not only or "render" in only or "accept" in only:
            bench_render(app, tmp)


if __name__ == "__main__":
    main()
