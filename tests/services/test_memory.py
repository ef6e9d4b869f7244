"""Decision memory through the real session service, the real store and a real
suggester (spaCy's blank English pipeline with a deliberately wrong gazetteer,
so that the model's mistakes are known)."""

from __future__ import annotations

import json

import pytest

from annotator.core.text import text_hash
from annotator.nlp.memory import ORIGIN_MEMORY, DecisionMemory
from annotator.nlp.suggester import Suggester
from annotator.services.importing import import_paths
from annotator.services.memory import MEMORY_SETTING, load_memory
from annotator.services.session import AnnotationSession
from annotator.services.suggesting import SuggestAhead, suggest_document, suggest_project
from annotator.storage import NewDocument, open_project
from annotator.storage.memory import memory_generation

TEXTS = [
    "Officials in Kyiv met on Monday. Kyiv said the talks were useful.",
    "The mayor of Kyiv spoke to Oleksandr Syrskyi about the front.",
    "KYIV WELCOMES AID. OLEKSANDR SYRSKYI visited the front in May.",
    "Nothing here is a name, may it stay so.",
]

#: The "model": a gazetteer that takes the city for a person.
WRONG = [{"label": "PERSON", "pattern": "Kyiv"}, {"label": "PERSON", "pattern": [{"LOWER": "kyiv"}]}]


@pytest.fixture
def ids(project):
    new, _ = project.add_documents([NewDocument(text=t, title=t[:20], text_hash=text_hash(t)) for t in TEXTS])
    return new


@pytest.fixture
def suggester(blank_nlp, project):
    return Suggester.from_nlp(blank_nlp, scheme=project.scheme(), patterns_list=WRONG)


def entities(project, doc_id, status="suggested"):
    text = project.document(doc_id).text
    return {(text[s.start:s.end], s.label, s.origin): s for s in project.spans(doc_id, statuses=[status], layer="entity")}


def suggestion_for(project, doc_id, string):
    text = project.document(doc_id).text
    found = [s for s in project.spans(doc_id, statuses=["suggested"], layer="entity") if text[s.start:s.end] == string]
    return found


def test_a_correction_changes_the_open_and_every_later_article_and_undo_unteaches(project, ids, suggester):
    suggest_project(project, suggester=suggester)
    assert {(k[0], k[1]) for k in entities(project, ids[0])} == {("Kyiv", "PERSON")}
    session = AnnotationSession(project)
    session.load(ids[0])
    first = session.spans("entity")[0]
    correction = session.relabel("GPE", first)
    session.run(correction)
    # The open article: its other "Kyiv" follows the correction once re-suggested.
    suggest_document(project, suggester, ids[0])
    (other,) = suggestion_for(project, ids[0], "Kyiv")
    assert (other.label, other.origin) == ("GPE", ORIGIN_MEMORY)
    assert other.cue == "you labelled this GPE in 1 article (the model said PERSON)"
    # Later articles: exact string, and in capitals (GPE is a name label).
    for doc_id, string in ((ids[1], "Kyiv"), (ids[2], "KYIV")):
        suggest_document(project, suggester, doc_id)
        (span,) = suggestion_for(project, doc_id, string)
        assert (span.label, span.origin) == ("GPE", ORIGIN_MEMORY)
    # Undo un-teaches: the model's label comes back.
    session.apply(correction.undo())
    assert not load_memory(project)
    suggest_document(project, suggester, ids[1])
    (span,) = suggestion_for(project, ids[1], "Kyiv")
    assert (span.label, span.origin) == ("PERSON", "pattern:PERSON")


def test_a_rejection_drops_the_string_and_a_new_name_is_found_everywhere(project, ids, suggester):
    suggest_project(project, suggester=suggester)
    session = AnnotationSession(project)
    session.load(ids[0])
    session.run(session.reject(session.spans("entity")[0]))
    text = project.document(ids[1]).text
    start = text.index("Oleksandr Syrskyi")
    session.load(ids[1])
    session.run(session.create(start, start + len("Oleksandr Syrskyi"), "entity", "PERSON"))
    for doc_id in ids[1:3]:
        suggest_document(project, suggester, doc_id)
    # "Kyiv" was only ever rejected as PERSON: no PERSON suggestion for it any more.
    assert not suggestion_for(project, ids[1], "Kyiv")
    assert not suggestion_for(project, ids[2], "KYIV")
    (syrskyi,) = suggestion_for(project, ids[2], "OLEKSANDR SYRSKYI")
    assert (syrskyi.label, syrskyi.origin) == ("PERSON", ORIGIN_MEMORY)
    # A person's decision in the article beats memory: an overlapping span stays alone.
    session.load(ids[2])
    text = project.document(ids[2]).text
    start = text.index("SYRSKYI")
    session.run(session.create(start, start + len("SYRSKYI"), "entity", "PERSON"))
    suggest_document(project, suggester, ids[2])
    assert not suggestion_for(project, ids[2], "OLEKSANDR SYRSKYI")


def test_strings_decided_both_ways_are_left_to_the_model_and_marked(project, ids, suggester):
    suggest_project(project, suggester=suggester)
    session = AnnotationSession(project)
    session.load(ids[0])
    one, two = session.spans("entity")
    session.run(session.accept(one))
    session.run(session.relabel("GPE", two))
    suggest_document(project, suggester, ids[1])
    (span,) = suggestion_for(project, ids[1], "Kyiv")
    assert span.label == "PERSON" and span.origin == "pattern:PERSON"
    assert span.cue == ("memory: conflicting decisions (GPE in 1 article, PERSON in 1 article, "
                        "not PERSON in 1 article): left to the model")


def test_labels_of_quantities_compare_case_and_all():
    memory = DecisionMemory([("May", "DATE", True, 2), ("Kyiv", "GPE", True, 1)])
    assert memory.verdict("May").label == "DATE"
    assert memory.verdict("may") is None
    assert memory.verdict("kyiv").label == "GPE"
    assert memory.verdict("K yiv") is None
    text = "In may and in May, kyiv  and Kyiv."
    tokens = [(m.start(), m.end()) for m in __import__("re").finditer(r"\w+|[^\w\s]", text)]
    found = [(text[s:e], v.label) for s, e, v in memory.find(text, tokens)]
    assert found == [("May", "DATE"), ("kyiv", "GPE"), ("Kyiv", "GPE")]


def test_imported_finished_work_teaches_and_the_setting_turns_memory_off(project, ids, suggester, tmp_path):
    text = "Kyiv hosted the meeting."
    finished = tmp_path / "finished.jsonl"
    finished.write_text(json.dumps({"text": text, "status": "done",
                                    "entities": [{"start": 0, "end": 4, "label": "GPE"}]}) + "\n")
    generation = memory_generation(project)
    import_paths(project, [finished])
    assert memory_generation(project) > generation
    suggest_project(project, suggester=suggester, doc_ids=[ids[1]])
    (span,) = suggestion_for(project, ids[1], "Kyiv")
    assert (span.label, span.origin) == ("GPE", ORIGIN_MEMORY)
    project.set_setting(MEMORY_SETTING, False)
    suggest_project(project, suggester=suggester, doc_ids=[ids[1]], refresh=True)
    (span,) = suggestion_for(project, ids[1], "Kyiv")
    assert span.label == "PERSON"


def test_a_remembered_name_never_cuts_a_longer_model_entity_holding_it():
    import re

    from annotator.core.model import SpanDraft

    memory = DecisionMemory([("Macron", "PERSON", True, 1), ("Paris", "GPE", True, 1)])
    text = "Emmanuel Macron met Macron's aides in Paris Hilton and in Paris."
    tokens = [(m.start(), m.end()) for m in re.finditer(r"\w+|[^\w\s]", text)]

    def at(word: str, nth: int = 0) -> tuple[int, int]:
        start = -1
        for _ in range(nth + 1):
            start = text.index(word, start + 1)
        return start, start + len(word)

    model = [SpanDraft(*at("Emmanuel Macron"), "PERSON", score=0.8),
             SpanDraft(*at("Paris Hilton"), "ORG", score=0.6)]
    out = {(text[d.start:d.end], d.label, d.origin) for d in memory.apply(text, tokens, model)}
    assert out == {
        ("Emmanuel Macron", "PERSON", None),   # kept whole, not cut to "Macron"
        ("Macron", "PERSON", ORIGIN_MEMORY),   # the lone occurrence is memory's
        ("Paris Hilton", "ORG", None),         # the model's label: memory is about "Paris"
        ("Paris", "GPE", ORIGIN_MEMORY),
    }


def test_resuggesting_keeps_identical_pending_suggestions(project, ids, suggester):
    suggest_project(project, suggester=suggester)
    before = {s.id for s in project.spans(ids[0], statuses=["suggested"])}
    suggest_document(project, suggester, ids[0])
    assert {s.id for s in project.spans(ids[0], statuses=["suggested"])} == before


def test_existing_decisions_are_remembered_when_the_schema_is_upgraded(project_path):
    project = open_project(project_path, create=True, annotator="tester")
    (doc_id,), _ = project.add_documents([NewDocument(text="Kyiv spoke.", title="t", text_hash=text_hash("Kyiv"))])
    project.conn.execute("INSERT INTO spans (doc_id, start, \"end\", layer, label, origin, status)"
                         " VALUES (?, 0, 4, 'entity', 'GPE', 'human', 'accepted')", (doc_id,))
    project.conn.commit()
    # Back to the schema before the memory: no table, no triggers, no migration record.
    with project.conn:
        for trigger in ("memory_span_insert", "memory_span_update", "memory_span_delete"):
            project.conn.execute(f"DROP TRIGGER {trigger}")
        for table in ("memory", "memory_state", "memory_strings"):
            project.conn.execute(f"DROP TABLE {table}")
        project.conn.execute("DELETE FROM _sqlite_migrations WHERE name IN"
                             " ('m003_decision_memory', 'm007_memory_strings')")
    project.close()
    with open_project(project_path) as reopened:
        assert load_memory(reopened).verdict("kyiv").label == "GPE"


def test_suggest_ahead_reapplies_memory_to_the_open_article_after_a_decision(project, project_path, ids,
                                                                              blank_nlp):
    helper = SuggestAhead(project_path, ahead=3, annotator="tester",
                          suggester_factory=lambda p: Suggester.from_nlp(blank_nlp, scheme=p.scheme(),
                                                                         patterns_list=WRONG))
    try:
        helper.request(ids[:2])
        assert helper.wait_idle(30)
        assert suggestion_for(project, ids[1], "Kyiv")[0].label == "PERSON"
        session = AnnotationSession(project)
        session.load(ids[0])
        session.run(session.relabel("GPE", session.spans("entity")[0]))
        helper.poke()
        assert helper.wait_idle(30)
        assert helper.error is None
        assert [s.label for s in suggestion_for(project, ids[0], "Kyiv")] == ["GPE"]
        assert [s.label for s in suggestion_for(project, ids[1], "Kyiv")] == ["GPE"]
    finally:
        helper.close()


def test_a_suggesters_copy_follows_every_change_by_reading_only_what_changed(project, ids, suggester):
    from annotator.services.memory import sync_memory
    from annotator.storage.memory import memory_rows

    suggest_project(project, suggester=suggester)
    session = AnnotationSession(project)
    steps = []
    session.load(ids[0])
    first, second = session.spans("entity")
    steps.append(session.relabel("GPE", first))
    steps.append(session.accept(second))
    session.load(ids[1])
    text = project.document(ids[1]).text
    start = text.index("Oleksandr")
    steps.append(session.create(start, start + len("Oleksandr Syrskyi"), "entity", "PERSON"))

    def same_as_a_fresh_load():
        copy, fresh = suggester.memory, load_memory(project)
        for string in ("Kyiv", "KYIV", "Oleksandr Syrskyi", "oleksandr syrskyi"):
            assert copy.verdict(string) == fresh.verdict(string), string
        assert len(copy) == len(fresh)

    done = []
    for command in steps:
        before = memory_generation(project)
        session.run(command)
        done.append(command)
        assert len(memory_rows(project, since=before)) <= 2  # the strings just decided, not all
        assert sync_memory(project, suggester) and not sync_memory(project, suggester)
        same_as_a_fresh_load()
    assert suggester.memory.verdict("Kyiv").conflict
    for command in reversed(done):
        session.apply(command.undo())
        sync_memory(project, suggester)
        same_as_a_fresh_load()
    assert not len(suggester.memory)
