"""Background work: callbacks run in the UI thread, progress is coalesced, cancel works,
errors reach the UI, and a worker opens its own project."""

from __future__ import annotations

import threading

from annotator.gui.workers import TaskCancelled, live_tasks, run_in_background
from annotator.storage import open_project


def test_result_and_progress_arrive_in_the_ui_thread(qtbot):
    ui_thread = threading.get_ident()
    seen_threads: list[int] = []
    progress: list[tuple[int, int, str]] = []
    results: list[object] = []

    def work(task, n):
        assert threading.get_ident() != ui_thread
        for i in range(1, n + 1):
            task.progress(i, n, f"item {i}")
        return sum(range(n + 1))

    def on_progress(done, total, text):
        seen_threads.append(threading.get_ident())
        progress.append((done, total, text))

    def on_done(value):
        seen_threads.append(threading.get_ident())
        results.append(value)

    task = run_in_background(work, 5000, on_progress=on_progress, on_done=on_done)
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    assert results == [sum(range(5001))]
    assert set(seen_threads) == {ui_thread}
    # Coalesced: far fewer deliveries than reports, and the final figures always arrive.
    assert 1 <= len(progress) < 5000
    assert progress[-1] == (5000, 5000, "item 5000")
    assert task.state == "succeeded"
    assert task not in live_tasks()


def test_cancel_stops_the_function_and_reports_cancelled(qtbot):
    started = threading.Event()
    steps: list[int] = []
    outcome: list[str] = []

    def work(task):
        started.set()
        for i in range(10_000):
            task.check_cancelled()
            steps.append(i)
            threading.Event().wait(0.001)
        return "finished"

    task = run_in_background(work, on_done=lambda v: outcome.append("done"),
                             on_cancelled=lambda: outcome.append("cancelled"))
    assert started.wait(5)
    task.cancel()
    qtbot.waitUntil(lambda: bool(outcome), timeout=5000)
    assert outcome == ["cancelled"]
    assert task.state == "cancelled"
    assert len(steps) < 10_000


def test_an_error_reaches_the_ui_with_its_traceback(qtbot):
    errors: list[BaseException] = []

    def work(task):
        raise ValueError("bad input in row 3")

    run_in_background(work, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert isinstance(errors[0], ValueError)
    assert "row 3" in str(errors[0])
    assert "ValueError" in errors[0].__traceback_text__


def test_posted_items_are_never_coalesced(qtbot):
    items: list[object] = []
    finished: list[object] = []

    def work(task):
        for i in range(300):
            task.post(i)
        return None

    run_in_background(work, on_item=items.append, on_done=finished.append)
    qtbot.waitUntil(lambda: bool(finished), timeout=5000)
    assert items == list(range(300))


def test_worker_opens_its_own_project(qtbot, project):
    project.set_setting("model", "rules")
    counts: list[object] = []

    def work(task, path):
        own = open_project(path)
        try:
            return own.setting("model")
        finally:
            own.close()

    run_in_background(work, project.path, on_done=counts.append)
    qtbot.waitUntil(lambda: bool(counts), timeout=5000)
    assert counts == ["rules"]


def test_owner_destroyed_cancels_and_silences(qtbot):
    from PySide6.QtWidgets import QWidget

    owner = QWidget()
    gate = threading.Event()
    calls: list[str] = []

    def work(task):
        gate.wait(5)
        if task.cancelled():
            raise TaskCancelled()
        return 1

    task = run_in_background(work, on_done=lambda v: calls.append("done"),
                             on_cancelled=lambda: calls.append("cancelled"), parent=owner)
    owner.deleteLater()
    qtbot.waitUntil(lambda: task.cancelled(), timeout=5000)
    gate.set()
    assert task.wait(5)
    qtbot.waitUntil(lambda: task not in live_tasks(), timeout=5000)
    assert calls == []


def test_a_subprocess_job_reports_a_coded_error_with_its_code(qtbot, tmp_path):
    from annotator.core.errors import AnnotatorError
    from annotator.gui.jobs import suggest_job
    from annotator.gui.workers import run_in_subprocess

    bogus = tmp_path / "notes.db"
    bogus.write_text("not a database", encoding="utf-8")
    errors: list[BaseException] = []
    run_in_subprocess(suggest_job, str(bogus), None, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=60_000)
    assert isinstance(errors[0], AnnotatorError)
    assert errors[0].code == "E001"
    assert "notes.db" in str(errors[0])


def test_the_open_article_is_suggested_before_the_others(qtbot, tmp_path):
    """First start: the article on screen gets its highlights first, not after a batch."""
    from annotator.core.assets import sample_corpus_dir
    from annotator.gui.jobs import suggest_job
    from annotator.gui.workers import run_in_subprocess
    from annotator.services.importing import import_paths
    from annotator.storage import open_project

    path = tmp_path / "first.db"
    with open_project(path, create=True, annotator="ana") as project:
        import_paths(project, [sample_corpus_dir() / "articles"])
        ids = [d.id for d in project.iter_documents()]
    open_doc = ids[len(ids) // 2]
    stored: list[int] = []
    summaries: list[dict] = []
    run_in_subprocess(suggest_job, str(path), None, first=open_doc,
                      on_item=lambda item: stored.append(item) if isinstance(item, int) else None,
                      on_done=summaries.append)
    qtbot.waitUntil(lambda: bool(summaries), timeout=180_000)
    assert stored[0] == open_doc
    assert sorted(stored) == sorted(ids)
    assert summaries[0]["documents"] == len(ids) and sorted(summaries[0]["doc_ids"]) == sorted(ids)
