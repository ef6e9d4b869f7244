from __future__ import annotations

import threading

import pytest

from annotator.core.model import Span
from annotator.core.text import text_hash
from annotator.nlp.suggester import Suggester
from annotator.services.suggesting import SuggestAhead, suggest_project
from annotator.storage import NewDocument, open_project

TEXTS = [
    "Macron refuses to rule out Western troops in Ukraine\nMacron said he did not rule out sending troops.",
    "Vance expressed skepticism about the aid to Kyiv.",
    "Scholz said Germany would not send Taurus missiles.",
    "The weather in Brussels was mild.",
    "Fico opposed new sanctions on Russia.",
]


def add_docs(project, texts=TEXTS):
    ids, _ = project.add_documents(
        [NewDocument(text=t, title=t.split("\n")[0][:40], text_hash=text_hash(t)) for t in texts])
    return ids


@pytest.fixture
def suggester(blank_nlp, project):
    return Suggester.from_nlp(blank_nlp, scheme=project.scheme())


def run_ids(project, name):
    return {r[0] for r in project.conn.execute("SELECT doc_id FROM suggestion_runs WHERE suggester = ?", (name,))}


def test_suggest_fills_every_document_and_a_second_run_adds_nothing(project, suggester):
    ids = add_docs(project)
    seen: list[tuple[int, int]] = []
    first = suggest_project(project, suggester=suggester, progress=lambda done, total: seen.append((done, total)))
    assert first.documents == len(ids) and first.skipped == 0
    assert first.entity_spans > 0 and first.stance_spans > 0 and first.tokens > 0
    assert seen[0] == (0, len(ids)) and seen[-1] == (len(ids), len(ids))
    assert run_ids(project, suggester.name) == set(ids)
    before = project.conn.execute("SELECT count(*) FROM spans").fetchone()[0]
    assert before == first.spans
    second = suggest_project(project, suggester=suggester)
    assert (second.documents, second.skipped, second.spans) == (0, len(ids), 0)
    assert project.conn.execute("SELECT count(*) FROM spans").fetchone()[0] == before


def test_decided_spans_are_never_changed_or_duplicated(project, suggester, blank_nlp):
    (doc_id,) = add_docs(project, TEXTS[:1])
    suggest_project(project, suggester=suggester)
    suggestions = project.spans(doc_id, statuses=["suggested"])
    accepted, rejected = suggestions[0], suggestions[1]
    project.update_span(accepted.id, status="accepted")
    project.update_span(rejected.id, status="rejected")
    mine = project.add_span(doc_id, Span(0, 6, "ORG", "entity"))
    # A different suggester version re-suggests the document.
    other = Suggester.from_nlp(blank_nlp, scheme=project.scheme(), cues={"hedges": ["reportedly"]})
    assert other.name != suggester.name
    summary = suggest_project(project, suggester=other)
    assert summary.documents == 1
    after = {s.id: s for s in project.spans(doc_id)}
    for kept, status in ((accepted, "accepted"), (rejected, "rejected"), (mine, "accepted")):
        assert after[kept.id].status == status
        assert (after[kept.id].start, after[kept.id].end, after[kept.id].label) == (kept.start, kept.end, kept.label)
    keys = [s.key() for s in after.values()]
    assert len(keys) == len(set(keys))


def test_cancel_keeps_finished_documents_and_the_rest_resumes(project, suggester):
    ids = add_docs(project)
    calls = {"n": 0}

    def cancelled() -> bool:
        calls["n"] += 1
        return calls["n"] > 2

    partial = suggest_project(project, suggester=suggester, cancelled=cancelled, batch_size=1)
    assert partial.cancelled and partial.documents == 2
    assert run_ids(project, suggester.name) == set(ids[:2])
    rest = suggest_project(project, suggester=suggester)
    assert rest.documents == len(ids) - 2 and run_ids(project, suggester.name) == set(ids)


def test_interrupt_in_the_middle_of_a_run_leaves_the_project_consistent(project, suggester):
    ids = add_docs(project)

    def progress(done: int, total: int) -> None:
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        suggest_project(project, suggester=suggester, progress=progress, batch_size=2)
    done = run_ids(project, suggester.name)
    assert done == set(ids[:3])
    with_spans = {r[0] for r in project.conn.execute("SELECT DISTINCT doc_id FROM spans")}
    assert with_spans <= done
    assert not project.conn.in_transaction


def test_only_new_skips_documents_someone_started(project, suggester):
    ids = add_docs(project)
    project.set_doc_status(ids[0], "in_progress")
    project.add_span(ids[1], Span(0, 5, "PERSON", "entity"))
    summary = suggest_project(project, suggester=suggester, only_new=True)
    assert set(summary.doc_ids) == set(ids[2:])
    assert summary.skipped == 2


def test_workers_option_runs_through_nlp_pipe(project, suggester):
    ids = add_docs(project, TEXTS[:2])
    summary = suggest_project(project, suggester=suggester, workers=1, batch_size=1)
    assert summary.doc_ids == ids


def test_suggest_ahead_prepares_the_queue_in_the_background(project_path, blank_nlp):
    with open_project(project_path, create=True, annotator="tester") as project:
        ids = add_docs(project)
    ready: list[int] = []
    caller = threading.get_ident()
    threads: set[int] = set()

    def on_ready(doc_id: int) -> None:
        threads.add(threading.get_ident())
        ready.append(doc_id)

    ahead = SuggestAhead(project_path, ahead=3, on_ready=on_ready,
                         suggester_factory=lambda p: Suggester.from_nlp(blank_nlp, scheme=p.scheme()))
    try:
        ahead.request(ids)
        assert ahead.wait_idle(30)
        assert ready == ids[:3]
        assert caller not in threads
        with open_project(project_path) as check:
            assert all(check.suggested_by(d, ahead.suggester_name) for d in ids[:3])
            assert not check.suggested_by(ids[3], ahead.suggester_name)
        ahead.request(ids[3:])
        assert ahead.wait_idle(30)
        assert ready == ids
    finally:
        ahead.close()
    assert not ahead.alive and ahead.error is None


def test_suggest_ahead_cancel_and_errors(project_path, blank_nlp):
    with open_project(project_path, create=True, annotator="tester") as project:
        ids = add_docs(project)
    gate = threading.Event()

    def slow_factory(p):
        gate.wait(30)
        return Suggester.from_nlp(blank_nlp, scheme=p.scheme())

    ahead = SuggestAhead(project_path, ahead=5, suggester_factory=slow_factory)
    ahead.request(ids)  # returns at once although the suggester is still loading
    ahead.cancel()
    gate.set()
    assert ahead.wait_idle(30)
    ahead.close()
    assert ahead.ready == [] and not ahead.alive

    errors: list[BaseException] = []

    def broken(_p):
        raise RuntimeError("no pipeline")

    failing = SuggestAhead(project_path, suggester_factory=broken, on_error=errors.append)
    failing.request(ids)
    assert failing.wait_idle(30)
    failing.close()
    assert isinstance(failing.error, RuntimeError) and errors == [failing.error]
