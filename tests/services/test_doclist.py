"""The document list query: windows, filters, sorting, navigation and safe search,
checked against orders computed in Python from the same project."""

from __future__ import annotations

import re
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.core.errors import AnnotatorError
from annotator.core.model import DOC_STATUSES, Span, SpanDraft
from annotator.core.text import text_hash
from annotator.services.doclist import (
    SORT_KEYS,
    DocFilter,
    DocumentQuery,
    fts_query,
)
from annotator.storage import NewDocument
from annotator.storage.queue import set_certainty
from annotator.storage.schema import migrations
from tests.synthetic import generate_synthetic_documents, query_plan

ARTICLES = [
    ("Paris and Warsaw split on trainers", "France said sanctions on Russia must stay. Poland disagreed."),
    ("beta: aid debate", "Congress debated military aid to Ukraine for hours."),
    ("", "Untitled wire copy about NATO membership talks in Vilnius."),
    ("Émile's column", "Sanctioned banks and sanctions lists grew again."),
    ("alpha report", "Long-range strikes into Russia were discussed by ministers."),
    ("Alpha report", "Western troops in Ukraine: the debate continues."),
    ("Zeta notes", "Nothing about military matters; only trade."),
    ("gamma", "Military aid and sanctions, both at once."),
]


@pytest.fixture
def listed(project):
    """A project with hand-written articles, statuses of two annotators, spans of
    every status, and generated articles after them."""
    docs = [NewDocument(text=text, title=title, text_hash=text_hash(text)) for title, text in ARTICLES]
    ids, _ = project.add_documents(docs)
    project.set_doc_status(ids[0], "done")
    project.set_doc_status(ids[1], "skipped")
    project.set_doc_status(ids[4], "new")  # an explicit 'new' row counts as new
    project.add_span(ids[2], Span(0, 8, "ORG"))
    project.add_span(ids[5], Span(0, 7, "PERSON"))
    project.store_suggestions(ids[6], "rules-1", [SpanDraft(0, 7, "ORG"), SpanDraft(8, 13, "GPE")])
    rejected = project.store_suggestions(ids[7], "rules-1", [SpanDraft(0, 8, "PERSON")])
    assert rejected == 1
    span_id = project.spans(ids[7])[0].id
    project.update_span(span_id, status="rejected")
    with project.write():
        project.conn.execute(
            "INSERT INTO doc_status (doc_id, annotator, status) VALUES (?, 'someone else', 'done')", (ids[3],)
        )
    generate_synthetic_documents(project, count=240)
    for doc_id, value in ((ids[6], 0.3), (ids[2], 0.3), (ids[5], 0.8), (ids[0], 0.0)):
        set_certainty(project, doc_id, value)
    return project


def _reference(project):
    """Every document with its sort keys, read plainly (small projects only)."""
    rows = project.conn.execute(
        "SELECT d.id, d.title, d.text, ifnull(ds.status, 'new'), s.n_accepted, s.n_suggested,"
        " ifnull(s.last_edit, ''), s.certainty FROM documents d JOIN doc_stats s ON s.doc_id = d.id"
        " LEFT JOIN doc_status ds ON ds.doc_id = d.id AND ds.annotator = ?",
        (project.annotator,),
    ).fetchall()
    labels: dict[int, set[str]] = {}
    for doc_id, label in project.conn.execute(
        "SELECT doc_id, label FROM spans WHERE status IN ('accepted', 'suggested')"
    ):
        labels.setdefault(doc_id, set()).add(label)
    return [
        {"id": r[0], "title": r[1], "text": r[2], "status": r[3], "accepted": r[4], "suggestions": r[5],
         "last_edit": r[6], "uncertainty": r[7], "labels": labels.get(r[0], set())}
        for r in rows
    ]


def _nocase(text: str) -> str:
    return "".join(c.lower() if c.isascii() else c for c in text)


def _sort_key(sort: str):
    if sort == "id":
        return lambda r: (r["id"],)
    if sort == "title":
        return lambda r: (_nocase(r["title"]), r["id"])
    if sort == "status":
        return lambda r: (DOC_STATUSES.index(r["status"]), r["id"])
    return lambda r: (r[sort], r["id"])


def _expected(rows, sort, descending, predicate=lambda r: True):
    chosen = [r for r in rows if predicate(r)]
    return [r["id"] for r in sorted(chosen, key=_sort_key(sort), reverse=descending)]


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("sort", SORT_KEYS)
def test_windows_follow_the_sort_order(listed, sort, descending):
    expected = _expected(_reference(listed), sort, descending)
    query = DocumentQuery(listed, sort=sort, descending=descending)
    assert query.count() == len(expected) == 248
    assert query.ids(0, 1000) == expected
    # Windows from both halves (the far half is read backwards) join up exactly.
    pieces = [query.ids(offset, 37) for offset in range(0, len(expected), 37)]
    assert [i for piece in pieces for i in piece] == expected
    assert query.ids(len(expected) - 5, 50) == expected[-5:]
    assert query.ids(len(expected), 10) == []


@pytest.mark.parametrize(
    "doc_filter, predicate",
    [
        (DocFilter(status="new"), lambda r: r["status"] == "new"),
        (DocFilter(status="done"), lambda r: r["status"] == "done"),
        (DocFilter(status="skipped"), lambda r: r["status"] == "skipped"),
        (DocFilter(status="in_progress"), lambda r: r["status"] == "in_progress"),
        (DocFilter(label="ORG"), lambda r: "ORG" in r["labels"]),
        (DocFilter(label="PERSON", layer="entity"), lambda r: "PERSON" in r["labels"]),
        (DocFilter(label="ORG", status="new"), lambda r: "ORG" in r["labels"] and r["status"] == "new"),
    ],
)
@pytest.mark.parametrize("sort", ["id", "title", "status", "accepted", "last_edit"])
def test_filters_select_the_matching_documents(listed, doc_filter, predicate, sort):
    rows = _reference(listed)
    for descending in (False, True):
        expected = _expected(rows, sort, descending, predicate)
        query = DocumentQuery(listed, filter=doc_filter, sort=sort, descending=descending)
        assert query.count() == len(expected)
        assert query.ids(0, 500) == expected
        assert query.ids(len(expected) // 2, 3) == expected[len(expected) // 2:len(expected) // 2 + 3]


def test_rejected_spans_and_other_annotators_do_not_count(listed):
    rows = {r["id"]: r for r in _reference(listed)}
    person_docs = DocumentQuery(listed, filter=DocFilter(label="PERSON")).ids(0, 100)
    # The eighth article's PERSON suggestion was rejected; only the sixth keeps one.
    assert [rows[i]["title"] for i in person_docs] == ["Alpha report"]
    done = DocumentQuery(listed, filter=DocFilter(status="done")).ids(0, 1000)
    assert "Émile's column" not in {rows[i]["title"] for i in done}


def _tokens(text: str) -> list[str]:
    import unicodedata

    folded = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    return re.findall(r"[^\W_]+", folded)


@pytest.mark.parametrize(
    "search, predicate",
    [
        ("sanctions", lambda t: "sanctions" in t),
        ("SANCTIONS", lambda t: "sanctions" in t),
        ("sanction*", lambda t: any(w.startswith("sanction") for w in t)),
        ('"military aid"', lambda t: any(t[i:i + 2] == ["military", "aid"] for i in range(len(t)))),
        ("military aid", lambda t: "military" in t and "aid" in t),
        ("military AND aid", lambda t: "military" in t and "aid" in t),
        ("nato OR vilnius", lambda t: "nato" in t or "vilnius" in t),
        ("military NOT aid", lambda t: "military" in t and "aid" not in t),
        ("(nato OR strikes) NOT russia", lambda t: ("nato" in t or "strikes" in t) and "russia" not in t),
        ("emile", lambda t: "emile" in t),
        ("trainers", lambda t: "trainers" in t),
    ],
)
def test_search_matches_title_and_text(listed, search, predicate):
    rows = _reference(listed)
    expected = _expected(rows, "id", False, lambda r: predicate(_tokens(r["title"] + " " + r["text"])))
    query = DocumentQuery(listed, filter=DocFilter(search=search))
    assert query.count() == len(expected) > 0
    assert query.ids(0, 1000) == expected


def test_search_combines_with_status_and_sort(listed):
    rows = _reference(listed)
    expected = _expected(rows, "title", True, lambda r: "sanctions" in _tokens(r["text"]) and r["status"] == "done")
    query = DocumentQuery(listed, filter=DocFilter(search="sanctions", status="done"), sort="title", descending=True)
    assert query.ids(0, 1000) == expected != []


@pytest.mark.parametrize(
    "text, reason",
    [
        ('"unclosed phrase', "quotation mark is not closed"),
        ("OR aid", "OR needs a word before it"),
        ("aid OR", "OR needs a word after it"),
        ("NOT aid", "NOT needs a word before it"),
        ("aid NOT", "NOT needs a word after it"),
        ("aid AND AND troops", "AND needs a word before it"),
        ("(aid OR troops", "parenthesis is not closed"),
        ("aid)", "closing parenthesis has no opening one"),
        ("()", "parentheses are empty"),
        ("*", "'*' must follow a word"),
    ],
)
def test_malformed_search_is_a_coded_error(listed, text, reason):
    with pytest.raises(AnnotatorError) as info:
        DocumentQuery(listed, filter=DocFilter(search=text))
    assert info.value.code == "E501"
    assert reason in str(info.value)


@pytest.mark.parametrize(
    "text",
    ['title:sanctions', 'NEAR(aid troops)', '^aid', '+aid', 'aid; DROP TABLE documents; --', "a'b", "{title}: x",
     "aid -troops", 'col:"x"*', "sanctions*:"],
)
def test_fts_syntax_in_user_text_is_searched_as_words(listed, text):
    query = DocumentQuery(listed, filter=DocFilter(search=text))
    query.count()
    query.ids(0, 10)
    assert listed.conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 248


def test_fts_query_quotes_every_term():
    assert fts_query("") is None
    assert fts_query("  ; , ") is None
    assert fts_query("aid") == '"aid"'
    assert fts_query('aid "troops in" sanc*') == '("aid" AND "troops in" AND "sanc"*)'
    assert fts_query("a OR b c NOT d") == '("a" OR ("b" AND ("c" NOT "d")))'
    assert fts_query('say "he said ""no"""') is not None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.sampled_from(list('ab ORNTAD"()*:^-+{}\'\\é')), max_size=24))
def test_any_user_text_is_either_a_query_or_an_e501(project, text):
    try:
        match = fts_query(text)
    except AnnotatorError as exc:
        assert exc.code == "E501"
        return
    if match is not None:
        # SQLite accepts whatever the parser writes.
        project.conn.execute("SELECT count(*) FROM documents_fts WHERE documents_fts MATCH ?", (match,)).fetchone()


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("sort", SORT_KEYS)
def test_next_doc_id_and_position_follow_the_list(listed, sort, descending):
    expected = _expected(_reference(listed), sort, descending)
    query = DocumentQuery(listed, sort=sort, descending=descending)
    for index in (0, 1, 5, 7, 8, 120, len(expected) - 2, len(expected) - 1):
        doc_id = expected[index]
        assert query.position(doc_id) == index
        for step in (1, -1, 3, -4):
            target = index + step
            wanted = expected[target] if 0 <= target < len(expected) else None
            assert query.next_doc_id(doc_id, step) == wanted


@pytest.mark.parametrize("sort", ["id", "status", "title", "last_edit"])
def test_next_doc_id_from_a_document_the_filter_hides(listed, sort):
    first = DocumentQuery(listed, filter=DocFilter(status="new"), sort=sort).ids(0, 1)[0]
    listed.set_doc_status(first, "done")  # marked done, and the annotator moves on
    rows = _reference(listed)
    order = _expected(rows, sort, False)
    statuses = {r["id"]: r["status"] for r in rows}
    wanted = next((i for i in order[order.index(first) + 1:] if statuses[i] == "new"), None)
    # In id and title order new documents follow; in status and last-edit order the
    # document moved to the end, so none does.
    assert (wanted is not None) == (sort in ("id", "title"))
    query = DocumentQuery(listed, filter=DocFilter(status="new"), sort=sort)
    assert query.position(first) is None
    assert query.next_doc_id(first, 1) == wanted


def test_counts_are_cached_until_invalidated(listed):
    query = DocumentQuery(listed, filter=DocFilter(status="done"))
    before = query.count()
    doc_id = DocumentQuery(listed, filter=DocFilter(status="new")).ids(0, 1)[0]
    listed.set_doc_status(doc_id, "done")
    assert query.count() == before
    query.invalidate()
    assert query.count() == before + 1
    counts = DocumentQuery(listed).status_counts()
    assert sum(counts.values()) == 248
    assert counts["done"] == before + 1


def test_rows_carry_the_list_columns(listed):
    rows = {r["id"]: r for r in _reference(listed)}
    query = DocumentQuery(listed, sort="accepted", descending=True)
    for row in query.rows(0, 20):
        ref = rows[row.id]
        assert row.status == ref["status"]
        assert row.n_accepted == ref["accepted"]
        assert row.n_suggested == ref["suggestions"]
        assert (row.last_edit or "") == ref["last_edit"]
        assert row.title == (ref["title"] or ref["text"][:120])
    untitled = next(r for r in rows.values() if r["title"] == "")
    assert query.rows_for([untitled["id"]])[0].title.startswith("Untitled wire copy")


@pytest.mark.parametrize("sort", ["id", "title", "accepted", "suggestions", "last_edit"])
def test_unfiltered_orders_are_index_walks(listed, sort):
    for descending in (False, True):
        plan = query_plan(DocumentQuery(listed, sort=sort, descending=descending))
        assert not any("TEMP B-TREE" in step for step in plan), plan


def test_status_order_is_index_backed_per_segment(listed):
    plan = query_plan(DocumentQuery(listed, sort="status"))
    assert not any("TEMP B-TREE" in step for step in plan), plan
    assert any("doc_status_segment" in step for step in plan)


def test_unknown_sort_or_status_is_refused(listed):
    with pytest.raises(ValueError):
        DocumentQuery(listed, sort="colour")
    with pytest.raises(ValueError):
        DocumentQuery(listed, filter=DocFilter(status="finished"))


def test_document_list_migration_adds_its_indexes_once(project):
    names = {r[0] for r in project.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"documents_title", "doc_stats_accepted", "doc_stats_suggested", "doc_stats_last_edit",
            "doc_status_segment", "spans_label"} <= names
    schema = project.conn.execute("SELECT group_concat(sql) FROM sqlite_master").fetchone()[0]
    migrations.apply(project.db)
    assert project.conn.execute("SELECT group_concat(sql) FROM sqlite_master").fetchone()[0] == schema
    assert "m002_document_list" in [m.name for m in migrations.applied(project.db)]


def test_generated_documents_are_real_articles(project):
    assert generate_synthetic_documents(project, count=250) == 250
    assert project.document_count() == 250
    assert DocumentQuery(project, filter=DocFilter(status="done")).count() == 25
    assert DocumentQuery(project, filter=DocFilter(label="ORG")).count() == 2
    assert DocumentQuery(project, filter=DocFilter(search="nato")).count() == 50
    titles = [r.title for r in DocumentQuery(project, sort="title").rows(0, 250)]
    assert len(set(titles)) == 250
    with pytest.raises(sqlite3.IntegrityError):
        generate_synthetic_documents(project, count=5, start=1)
