"""An article over spaCy's 1,000,000-character limit beside normal ones: it is
suggested (in sentence-aligned pieces, offsets mapped back), exported by every
format that tokenizes, opened for snapping, and never stops the other articles.

The pipeline is spaCy's blank English one with our rules (gazetteer and stance
cues): the real recogniser is not the point here, the length is.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from annotator.__main__ import cli
from annotator.core.errors import AnnotatorError
from annotator.core.model import Span
from annotator.core.text import sentence_chunks, text_hash
from annotator.formats.readers import read_json
from annotator.nlp.suggester import Suggester
from annotator.services.session import TokenIndex
from annotator.services.suggesting import SuggestAhead, suggest_project
from annotator.storage import NewDocument, open_project

CLAIM = "Scholz said Germany would not send Taurus missiles to Ukraine."
FILLER = ("The committee reconvened afterwards, deliberating budgetary appropriations, infrastructure maintenance, procurement transparency, municipal administration and consultations extensively. ")
NORMAL = [
    "Macron said he did not rule out sending Western troops to Ukraine.",
    "Fico opposed new sanctions on Russia.",
    "The weather in Brussels was mild.",
]


def long_article() -> str:
    """1.2 million characters; the claim sits at the start, past the middle and at the very end."""
    block = FILLER * (560_000 // len(FILLER))
    text = f"{CLAIM}\n\n{block}\n{CLAIM} {block}\n\n{CLAIM}"
    while len(text) < 1_200_000:
        text = f"{FILLER}{text}"
    return text


@pytest.fixture(scope="module")
def big_text() -> str:
    return long_article()


def claim_offsets(text: str) -> list[int]:
    found, at = [], text.find(CLAIM)
    while at != -1:
        found.append(at)
        at = text.find(CLAIM, at + 1)
    return found


def fill(project, big_text) -> tuple[list[int], int]:
    texts = [NORMAL[0], big_text, *NORMAL[1:]]
    ids, _ = project.add_documents(NewDocument(text=t, title=t[:30], text_hash=text_hash(t)) for t in texts)
    return ids, ids[1]


def test_sentence_chunks_join_back_and_cut_after_sentences(big_text):
    pieces = sentence_chunks(big_text)
    assert "".join(piece for _, piece in pieces) == big_text
    assert all(big_text[offset:offset + len(piece)] == piece for offset, piece in pieces)
    assert max(len(piece) for _, piece in pieces) <= 50_000
    # Every cut falls after a sentence end and the whitespace that follows it.
    for offset, _piece in pieces[1:]:
        before = big_text[:offset].rstrip()
        assert before[-1] in ".!?" and big_text[offset - 1].isspace()


def test_suggest_project_suggests_a_long_article_and_every_other(project, blank_nlp, big_text):
    ids, big = fill(project, big_text)
    suggester = Suggester.from_nlp(blank_nlp, scheme=project.scheme())
    summary = suggest_project(project, suggester=suggester)
    assert summary.documents == len(ids) and not summary.cancelled
    for doc_id in ids:
        assert project.suggested_by(doc_id, suggester.name)
    spans = project.spans(big, statuses=["suggested"])
    persons = sorted(s.start for s in spans if s.layer == "entity" and big_text[s.start:s.end] == "Scholz")
    assert persons == claim_offsets(big_text)  # offsets mapped back from each piece
    assert persons[-1] > 1_000_000
    stances = [s for s in spans if s.layer == "stance"]
    assert sorted((s.start, s.end) for s in stances) == [(at, at + len(CLAIM)) for at in claim_offsets(big_text)]
    # A stance holder found in a late piece points at the entity in the whole text.
    holders = {s.holder_span_id for s in stances} - {None}
    for span_id in holders:
        holder = project.span(span_id)
        assert big_text[holder.start:holder.end] == "Scholz"


def test_look_ahead_suggests_the_long_article(project_path, project, blank_nlp, big_text):
    ids, big = fill(project, big_text)
    errors: list[BaseException] = []
    ahead = SuggestAhead(project_path, ahead=5, on_error=errors.append,
                         suggester_factory=lambda p: Suggester.from_nlp(blank_nlp, scheme=p.scheme()))
    try:
        ahead.request([big, *ids])
        assert ahead.wait_idle(120)
    finally:
        ahead.close()
    assert not errors and ahead.error is None
    assert set(ahead.ready) == set(ids)
    assert project.spans(big, statuses=["suggested"], layer="entity")


def test_token_index_snaps_at_the_end_of_a_long_article(blank_nlp, big_text):
    index = TokenIndex(big_text, blank_nlp)
    at = claim_offsets(big_text)[-1]
    assert index.snap(at + 1, at + 3) == (at, at + len("Scholz"))
    assert (at, at + len(CLAIM)) in index.sentences


def _done_project(tmp_path, big_text):
    db = tmp_path / "long.db"
    with open_project(db, create=True, annotator="tester") as project:
        ids, big = fill(project, big_text)
        for doc_id in ids:
            text = project.document(doc_id).text
            for at in claim_offsets(text):
                project.add_span(doc_id, Span(at, at + len("Scholz"), "PERSON", "entity"))
            project.set_doc_status(doc_id, "done")
    return db, big


def test_cli_suggest_and_token_exports_handle_a_long_article(tmp_path, big_text):
    import spacy
    from spacy.tokens import DocBin

    db, _big = _done_project(tmp_path, big_text)
    runner = CliRunner()
    result = runner.invoke(cli, ["suggest", "--project", str(db), "--model", "rules", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{"):])
    assert summary["documents"] == 4
    for fmt in ("spacy", "prodigy", "conll"):
        out = tmp_path / fmt
        result = runner.invoke(cli, ["export", "-p", str(db), "-f", fmt, "-o", str(out), "--json"])
        assert result.exit_code == 0, (fmt, result.output)
        assert "Traceback" not in result.output
    nlp = spacy.blank("en")
    docs = [d for part in ("train", "dev") for d in DocBin().from_disk(tmp_path / "spacy" / f"{part}.spacy")
            .get_docs(nlp.vocab)]
    (long_doc,) = [d for d in docs if len(d.text) > 1_000_000]
    assert long_doc.text == big_text
    assert [e.start_char for e in long_doc.ents] == claim_offsets(big_text)
    conll = (tmp_path / "conll" / "entities.conll").read_text(encoding="utf-8")
    # Each claim also holds suggestions nobody decided (Germany, Ukraine): never
    # written as O, its sentence is left out and reported, in the long article too.
    assert "Germany -X- _ O" not in conll
    report = json.loads((tmp_path / "conll" / "export-report.json").read_text(encoding="utf-8"))
    left = [r for r in report["conll_sentences_left_out"] if r["doc_id"] == _big]
    assert all(any(r["start"] <= at < r["end"] for r in left) for at in claim_offsets(big_text))
    assert {r["reason"] for r in left} == {"holds a suggestion nobody accepted or rejected"}
    assert report["done_with_undecided"]["documents"] == 4
    prodigy = [json.loads(line) for line in (tmp_path / "prodigy" / "prodigy.jsonl").open(encoding="utf-8")]
    (record,) = [r for r in prodigy if len(r["text"]) > 1_000_000]
    tokens = record["tokens"]
    assert all(record["text"][t["start"]:t["end"]] == t["text"] for t in tokens[-50:])
    assert [s["start"] for s in record["spans"]] == claim_offsets(big_text)


def test_json_file_obeys_the_per_article_limit(tmp_path):
    path = tmp_path / "articles.json"
    small = {"text": "A short article about Ukraine.", "title": "small"}
    huge = {"text": "word " * 400, "title": "huge"}
    path.write_text(json.dumps([small, huge, small | {"text": "Another short one."}]), encoding="utf-8")
    results = list(read_json(path, scheme=None, max_record_bytes=1000))
    assert [type(r).__name__ for _n, r in results] == ["Record", "AnnotatorError", "Record"]
    error = results[1][1]
    assert isinstance(error, AnnotatorError) and error.code == "E217" and error.line == 2
    single = tmp_path / "one.json"
    single.write_text(json.dumps(huge), encoding="utf-8")
    ((_n, refused),) = list(read_json(single, scheme=None, max_record_bytes=1000))
    assert isinstance(refused, AnnotatorError) and refused.code == "E217"
