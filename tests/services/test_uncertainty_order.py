"""The "most uncertain article next" order: certainty from real suggestions, the
document list sorted by it, and the window's View menu choice."""

from __future__ import annotations

from annotator.core.model import SpanDraft
from annotator.core.text import text_hash
from annotator.nlp.suggester import Suggester
from annotator.nlp.uncertainty import certainty
from annotator.services.doclist import QUEUE_ORDER_SETTING, DocumentQuery, queue_sort
from annotator.services.suggesting import suggest_project
from annotator.storage import NewDocument
from annotator.storage.queue import set_certainty

TEXTS = [
    "The weather in Brussels was mild.",
    "Scholz said Germany would not send Taurus missiles for strikes into Russia.",
    "Officials met in Oslo on Monday.",
    "Macron said he might consider sending Western troops to Ukraine.",
]


def test_certainty_is_low_for_contested_and_borderline_suggestions():
    sure = [SpanDraft(0, 4, "GPE"), SpanDraft(0, 9, "AGAINST", "stance", target="t", score=0.95)]
    borderline = [SpanDraft(0, 9, "FAVOR", "stance", target="t", score=0.52)]
    contested = [SpanDraft(0, 4, "PERSON", cue="memory: conflicting decisions (...): left to the model")]
    assert certainty([]) == 1.0
    assert certainty(contested) < certainty(borderline) < certainty(sure) < 1.0


def test_suggestions_store_certainty_and_the_list_puts_the_least_sure_first(project, blank_nlp):
    ids, _ = project.add_documents([NewDocument(text=t, title=t[:20], text_hash=text_hash(t)) for t in TEXTS])
    suggest_project(project, suggester=Suggester.from_nlp(blank_nlp, scheme=project.scheme()), doc_ids=ids[:2])
    stored = dict(project.conn.execute("SELECT doc_id, certainty FROM doc_stats"))
    assert stored[ids[0]] == 1.0  # no stance: nothing uncertain
    assert stored[ids[1]] < 1.0   # a scored stance suggestion
    set_certainty(project, ids[3], 0.1)
    query = DocumentQuery(project, sort="uncertainty")
    order = [row.id for row in query.rows(0, 10)]
    # The least sure first; ties (sure, or not suggested yet) in import order.
    assert order == [ids[3], ids[1], ids[0], ids[2]]
    assert query.next_doc_id(ids[3]) == ids[1] and query.next_doc_id(ids[1]) == ids[0]
    assert queue_sort(project) == "id"
    project.set_setting(QUEUE_ORDER_SETTING, "uncertainty")
    assert queue_sort(project) == "uncertainty"
