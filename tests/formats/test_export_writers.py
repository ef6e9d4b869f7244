"""Writers on plain core objects: alignment, overlaps, and each format's own consumer."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from annotator.core.model import Document, Span
from annotator.formats.export import (
    EXPORTERS,
    ExportItem,
    ExportOptions,
    ExportReport,
    exporter_names,
    get_exporter,
    inside,
    split_documents,
)
from annotator.formats.export.align import Aligned, align, longest_first
from annotator.formats.records import parse_record

TEXT = 'Mayor Ana Ruiz of Port Elmsworth told the Tidewater Union that the Harbor Bill "will ruin our fishermen."'
TARGET = "Western troops in Ukraine"


@pytest.fixture(scope="module")
def nlp():
    import spacy

    return spacy.blank("en")


@pytest.fixture(scope="module")
def scheme():
    from annotator.services.projects import load_scheme

    return load_scheme()


def _spans(doc_id: int = 1) -> list[Span]:
    return [
        Span(0, 14, "PERSON", "entity", id=10, doc_id=doc_id),          # overlaps 'Ana Ruiz'
        Span(6, 14, "PERSON", "entity", id=11, doc_id=doc_id),
        Span(18, 32, "GPE", "entity", id=12, doc_id=doc_id),
        Span(42, 57, "ORG", "entity", id=13, doc_id=doc_id),
        Span(67, 78, "LAW", "entity", id=14, doc_id=doc_id),
        Span(79, 105, "AGAINST", "stance", id=15, doc_id=doc_id, target=TARGET, holder_span_id=11),
        Span(0, 105, "NEUTRAL", "stance", id=16, doc_id=doc_id, target="Sanctions on Russia"),
    ]


def _item(doc_id: int = 1, text: str = TEXT, spans: list[Span] | None = None, status: str = "done") -> ExportItem:
    return ExportItem(Document(doc_id, text, f"Article {doc_id}", meta={"source": "test"}),
                      _spans(doc_id) if spans is None else spans, status=status, annotator="ana",
                      holders={15: (6, 14)} if spans is None else {})


def _write(name, items, tmp_path, scheme, nlp, **options):
    report = ExportReport()
    exp = get_exporter(name)
    files = exp.write(items, folder=tmp_path, options=ExportOptions(scheme=scheme, **options), report=report,
                      nlp=nlp if exp.tokenized else None)
    return files, report


# -- alignment -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (6, 14, (6, 14, False)),          # on token boundaries
        (5, 15, (6, 14, True)),           # whitespace around: stripped
        (79, 104, (79, 104, False)),      # "." and the closing quote are separate tokens
    ],
)
def test_alignment_snaps_only_over_whitespace_and_punctuation(nlp, start, end, expected):
    result = align(nlp.make_doc(TEXT), Span(start, end, "X"))
    assert isinstance(result, Aligned)
    assert (result.start_char, result.end_char, result.snapped) == expected


def test_a_span_that_cuts_a_word_is_not_aligned_and_says_why(nlp):
    assert align(nlp.make_doc(TEXT), Span(7, 14, "X")) == "starts inside the token 'Ana'"
    assert "ends inside the token 'Elmsworth'" in align(nlp.make_doc(TEXT), Span(18, 27, "X"))
    assert align(nlp.make_doc("a  \n  b"), Span(1, 5, "X")) == "the span holds only whitespace"


def test_tokenizer_exception_is_snapped_when_only_punctuation_differs(nlp):
    text = "Shares of Tidewater Union Inc. fell."
    result = align(nlp.make_doc(text), Span(10, 29, "ORG"))  # 'Tidewater Union Inc' inside the token 'Inc.'
    assert isinstance(result, Aligned) and text[result.start_char:result.end_char] == "Tidewater Union Inc."


def test_longest_first_is_deterministic_and_reports_what_it_dropped(nlp):
    doc = nlp.make_doc(TEXT)
    spans = [Span(6, 14, "PERSON", id=2), Span(0, 14, "PERSON", id=1), Span(0, 9, "ORG", id=3),
             Span(18, 32, "GPE", id=4)]
    results = []
    for order in (spans, list(reversed(spans))):
        kept, dropped = longest_first([align(doc, s) for s in order])
        results.append(([a.span.id for a in kept], [(d.span.id, k.span.id) for d, k in dropped]))
    assert results[0] == results[1] == ([1, 4], [(3, 1), (2, 1)])


# -- registry and paths ---------------------------------------------------------


def test_registry_lists_every_format_and_the_cli_offers_the_same():
    from annotator.cli._export import FORMATS

    assert exporter_names() == list(EXPORTERS)
    assert set(FORMATS) == set(EXPORTERS) == {"spacy", "jsonl", "prodigy", "doccano", "conll", "labelstudio"}


def test_paths_never_leave_the_folder(tmp_path):
    from annotator.core.errors import AnnotatorError

    assert inside(tmp_path, "train.spacy") == (tmp_path / "train.spacy").resolve()
    for bad in ("../x.jsonl", "/etc/x.jsonl"):
        with pytest.raises(AnnotatorError) as err:
            inside(tmp_path, bad)
        assert err.value.code == "E402"
    (tmp_path / "link.jsonl").symlink_to(tmp_path.parent / "elsewhere.jsonl")
    with pytest.raises(AnnotatorError):
        inside(tmp_path, "link.jsonl")


def test_split_is_by_document_and_reproducible():
    ids = list(range(1, 51))
    first = split_documents(ids, split=0.8, seed=3)
    assert first == split_documents(reversed(ids), split=0.8, seed=3)
    assert first != split_documents(ids, split=0.8, seed=4)
    train, dev = first
    assert len(train) == 40 and len(dev) == 10 and not set(train) & set(dev) and set(train) | set(dev) == set(ids)
    assert split_documents([1, 2], split=0.9, seed=0)[1]  # two documents: one goes to dev


# -- spaCy DocBin ----------------------------------------------------------------


def test_docbin_holds_ents_spans_stances_and_holders(tmp_path, nlp, scheme):
    from spacy.tokens import DocBin

    items = [_item(1), _item(2, status="in_progress")]
    files, report = _write("spacy", items, tmp_path, scheme, nlp, dev_ids=frozenset({2}))
    assert {p.name for p in files} == {"train.spacy", "dev.spacy", "config.cfg"}
    (train,) = DocBin().from_disk(tmp_path / "train.spacy").get_docs(nlp.vocab)
    (dev,) = DocBin().from_disk(tmp_path / "dev.spacy").get_docs(nlp.vocab)
    assert train.text == TEXT
    assert [(e.text, e.label_) for e in train.ents] == [
        ("Mayor Ana Ruiz", "PERSON"), ("Port Elmsworth", "GPE"), ("Tidewater Union", "ORG"), ("Harbor Bill", "LAW")]
    assert [(s.text, s.id_) for s in train.spans["sc"]][:2] == [("Mayor Ana Ruiz", "10"), ("Ana Ruiz", "11")]
    stance = train.spans["stance"]
    assert [(s.text, s.label_, s.kb_id_, s.id_) for s in stance] == [
        (TEXT, "NEUTRAL", "Sanctions on Russia", "16"),
        ('"will ruin our fishermen."', "AGAINST", TARGET, "15")]
    assert stance.attrs["holders"] == {"15": [6, 14]}
    assert [(o["doc_id"], o["id"], o["kept_id"]) for o in report.overlaps] == [(1, 11, 10), (2, 11, 10)]
    # Finished: every other token is O; unfinished: left missing, not "no entity".
    assert train[6].ent_iob_ == "O"
    assert dev[6].ent_iob_ == ""
    assert report.spans == {"entity": {"GPE": 2, "LAW": 2, "ORG": 2, "PERSON": 4}, "stance": {"AGAINST": 2, "NEUTRAL": 2}}


def test_article_without_stances_still_has_an_empty_stance_group(tmp_path, nlp, scheme):
    from spacy.tokens import DocBin

    items = [_item(1, spans=[Span(6, 14, "PERSON", id=1, doc_id=1)]), _item(2, spans=[])]
    _write("spacy", items, tmp_path, scheme, nlp, dev_ids=frozenset({2}))
    (doc,) = DocBin().from_disk(tmp_path / "dev.spacy").get_docs(nlp.vocab)
    assert "stance" in doc.spans and len(doc.spans["stance"]) == 0
    assert doc.has_annotation("ENT_IOB") and not doc.ents


def test_config_widens_the_suggester_and_fixes_score_weights(tmp_path, nlp, scheme):
    from thinc.api import Config

    _write("spacy", [_item(1), _item(2)], tmp_path, scheme, nlp, dev_ids=frozenset({2}))
    config = Config().from_disk(tmp_path / "config.cfg")
    assert config["nlp"]["pipeline"] == ["tok2vec", "ner", "spancat"]
    assert config["components"]["spancat"]["spans_key"] == "stance"
    suggester = config["components"]["spancat"]["suggester"]
    assert suggester["@misc"] == "spacy.ngram_range_suggester.v1"
    lengths = [len(nlp.make_doc(TEXT)), len(nlp.make_doc('"will ruin our fishermen."'))]
    assert (suggester["min_size"], suggester["max_size"]) == (min(lengths), max(lengths))
    weights = config["training"]["score_weights"]
    assert weights["spans_sc_f"] is None and weights["spans_stance_f"] == 0.5 and weights["ents_f"] == 0.5


def test_stance_docs_are_one_hot_per_unit_and_target(tmp_path, nlp, scheme):
    from spacy.tokens import DocBin

    files, report = _write("spacy", [_item(1), _item(2)], tmp_path, scheme, nlp, dev_ids=frozenset({2}),
                           stance_docs=True)
    assert {"stance-train.spacy", "stance-dev.spacy", "stance-config.cfg"} <= {p.name for p in files}
    docs = list(DocBin().from_disk(tmp_path / "stance-train.spacy").get_docs(nlp.vocab))
    assert [d.text for d in docs] == [f"Sanctions on Russia: {TEXT}", f'{TARGET}: "will ruin our fishermen."']
    assert docs[1].cats == {"FAVOR": 0.0, "AGAINST": 1.0, "NEUTRAL": 0.0}
    assert list(docs[1].user_data["annotator"]["holder"]) == [6, 14]
    assert report.extra["stance_docs"] == {"train": 2, "dev": 2}


# -- JSONL formats ---------------------------------------------------------------


def test_our_jsonl_record_reads_back_with_our_importer(tmp_path, scheme, nlp):
    files, report = _write("jsonl", [_item(1)], tmp_path, scheme, nlp)
    line = files[0].read_text(encoding="utf-8")
    obj = json.loads(line)
    assert list(obj) == ["title", "text", "meta", "status", "annotator", "entities", "stances"]
    assert obj["stances"][1] == {"start": 79, "end": 105, "label": "AGAINST", "target": TARGET,
                                 "text": '"will ruin our fishermen."', "holder": {"start": 6, "end": 14}}
    record = parse_record(obj, path="x.jsonl", line=1, scheme=None)
    assert sorted((d.start, d.end, d.label, d.layer, d.target, d.holder) for d in record.spans) == sorted(
        (s.start, s.end, s.label, s.layer, s.target, (6, 14) if s.id == 15 else None) for s in _spans())


def test_prodigy_records_rebuild_the_text_from_tokens(tmp_path, scheme, nlp):
    from spacy.tokens import Doc

    files, report = _write("prodigy", [_item(1), _item(2)], tmp_path, scheme, nlp)
    records = [json.loads(line) for line in files[0].read_text(encoding="utf-8").splitlines()]
    stance_records = [json.loads(line) for line in files[1].read_text(encoding="utf-8").splitlines()]
    assert len(records) == 2 and len(stance_records) == 4
    for rec in records + stance_records:
        doc = Doc(nlp.vocab, words=[t["text"] for t in rec["tokens"]], spaces=[t["ws"] for t in rec["tokens"]])
        assert doc.text == rec["text"] == TEXT
        for sp in rec["spans"]:
            rebuilt = doc[sp["token_start"]:sp["token_end"] + 1]
            assert (rebuilt.start_char, rebuilt.end_char) == (sp["start"], sp["end"])
        assert rec["answer"] == "accept" and isinstance(rec["_input_hash"], int) and -2**31 <= rec["_task_hash"] < 2**31
    assert records[0]["_input_hash"] == stance_records[0]["_input_hash"]
    assert len({r["_task_hash"] for r in records[:1] + stance_records[:2]}) == 3
    assert stance_records[0]["meta"]["target"] == "Sanctions on Russia"
    # The entity records are re-importable Prodigy data for our own importer.
    parsed = parse_record(records[0], path="p.jsonl", line=1, scheme=None)
    assert parsed.status == "done"
    assert [(d.start, d.end, d.label) for d in parsed.spans] == [(0, 14, "PERSON"), (18, 32, "GPE"), (42, 57, "ORG"),
                                                                  (67, 78, "LAW")]


def test_doccano_lines_follow_doccano_import_rules(tmp_path, scheme, nlp):
    text = "Odesa 🌊 talks: Ana Ruiz met Owen Marsh."
    spans = [Span(15, 23, "PERSON", id=1, doc_id=3), Span(0, 5, "GPE", id=2, doc_id=3),
             Span(28, 38, "PERSON", id=3, doc_id=3)]
    files, report = _write("doccano", [_item(3, text=text, spans=spans)], tmp_path, scheme, nlp)
    (line,) = files[0].read_text(encoding="utf-8").splitlines()
    obj = json.loads(line)
    # doccano's relation JSONL: entities with ids, sorted, start < end; no top-level
    # "id" key (it would shadow doccano's). Offsets count UTF-16 units, as its browser does.
    assert [(e["start_offset"], e["end_offset"], e["label"]) for e in obj["entities"]] == [
        (0, 5, "GPE"), (16, 24, "PERSON"), (29, 39, "PERSON")]
    assert obj["relations"] == [] and "id" not in obj and obj["text"] == text
    utf16 = text.encode("utf-16-le")
    assert [utf16[2 * e["start_offset"]:2 * e["end_offset"]].decode("utf-16-le") for e in obj["entities"]] == [
        "Odesa", "Ana Ruiz", "Owen Marsh"]
    assert (report.extra["offsets"], report.extra["browser_shifted"]) == ("utf16", 0)
    record = parse_record(obj, path="d.jsonl", line=1, scheme=scheme)
    assert [(d.start, d.end, d.label) for d in record.spans] == [(0, 5, "GPE"), (15, 23, "PERSON"), (28, 38, "PERSON")]
    assert record.unit == "utf16" and record.moved == 2
    # Written in code points, the two spans after the emoji would show shifted in the browser.
    _files, report = _write("doccano", [_item(3, text=text, spans=spans)], tmp_path, scheme, nlp, offsets="codepoints")
    assert (report.extra["offsets"], report.extra["browser_shifted"]) == ("codepoints", 2)


def test_conll_is_read_by_spacy_convert(tmp_path, scheme, nlp):
    from spacy.tokens import DocBin

    second = "Piotr Wala left Valdora.\n\nHe met Clara Holm in Kestrel Bay on Monday."
    items = [_item(1), _item(2, text=second, spans=[
        Span(0, 10, "PERSON", id=1, doc_id=2), Span(16, 23, "GPE", id=2, doc_id=2),
        Span(33, 43, "PERSON", id=3, doc_id=2), Span(47, 58, "GPE", id=4, doc_id=2)])]
    files, report = _write("conll", items, tmp_path, scheme, nlp)
    out = tmp_path / "converted"
    out.mkdir()
    result = subprocess.run([sys.executable, "-m", "spacy", "convert", str(files[0]), str(out), "-c", "conll"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    docs = list(DocBin().from_disk(out / "entities.spacy").get_docs(nlp.vocab))
    assert len(docs) == 2
    assert [(e.text, e.label_) for e in docs[0].ents] == [
        ("Mayor Ana Ruiz", "PERSON"), ("Port Elmsworth", "GPE"), ("Tidewater Union", "ORG"), ("Harbor Bill", "LAW")]
    assert [(e.text, e.label_) for e in docs[1].ents] == [
        ("Piotr Wala", "PERSON"), ("Valdora", "GPE"), ("Clara Holm", "PERSON"), ("Kestrel Bay", "GPE")]
    assert [s.text for s in docs[1].sents] == ["Piotr Wala left Valdora .", "He met Clara Holm in Kestrel Bay on Monday ."]
    assert [o["id"] for o in report.overlaps] == [11]


UNALIGNED_TEXT = "Piotr Wala left Valdora.\n\nHe met Clara Holm in Kestrel Bay on Monday."


def _unaligned_item() -> ExportItem:
    # "lara Holm" cuts the token "Clara": it cannot be put on tokens.
    spans = [Span(0, 10, "PERSON", id=1, doc_id=3), Span(34, 43, "PERSON", id=2, doc_id=3),
             Span(47, 58, "GPE", id=3, doc_id=3)]
    return _item(3, text=UNALIGNED_TEXT, spans=spans)


def test_unaligned_entity_tokens_stay_missing_in_the_docbin(tmp_path, nlp, scheme):
    from spacy.tokens import DocBin

    _files, report = _write("spacy", [_unaligned_item(), _item(1)], tmp_path, scheme, nlp, dev_ids=frozenset({1}))
    assert [(r["id"], r["text"]) for r in report.not_aligned] == [(2, "lara Holm")]
    (doc,) = DocBin().from_disk(tmp_path / "train.spacy").get_docs(nlp.vocab)
    iob = {t.text: t.ent_iob_ for t in doc if not t.is_space}
    assert iob["Clara"] == "" and iob["Holm"] == ""  # missing, never "O"
    assert (iob["Piotr"], iob["Wala"], iob["Kestrel"], iob["Bay"]) == ("B", "I", "B", "I")
    assert iob["met"] == "O" and iob["Monday"] == "O"  # the document is done: the rest is O
    # spaCy's own reading of the training example: None (missing: no loss) for those tokens.
    from spacy.training import Example

    tags = Example(nlp.make_doc(doc.text), doc).get_aligned_ner()
    words = [t.text for t in doc]
    assert tags[words.index("Clara")] is None and tags[words.index("Holm")] is None
    assert tags[words.index("met")] == "O"


def test_conll_leaves_out_the_sentence_of_an_unaligned_entity(tmp_path, scheme, nlp):
    from spacy.tokens import DocBin

    files, report = _write("conll", [_unaligned_item()], tmp_path, scheme, nlp)
    written = files[0].read_text(encoding="utf-8")
    assert "Piotr -X- _ B-PERSON" in written and "Valdora -X- _ O" in written
    assert "Clara" not in written and "Kestrel" not in written  # never written as O
    (left,) = report.extra["conll_sentences_left_out"]
    assert UNALIGNED_TEXT[left["start"]:left["end"]] == "He met Clara Holm in Kestrel Bay on Monday."
    out = tmp_path / "converted"
    out.mkdir()
    result = subprocess.run([sys.executable, "-m", "spacy", "convert", str(files[0]), str(out), "-c", "conll"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    (doc,) = DocBin().from_disk(out / "entities.spacy").get_docs(nlp.vocab)
    assert [(e.text, e.label_) for e in doc.ents] == [("Piotr Wala", "PERSON")]
    assert [t.text for t in doc] == ["Piotr", "Wala", "left", "Valdora", "."]


# -- Prodigy: tokens of unknown entity status are never accepted as "no entity" ----------

UNDECIDED_TEXT = "Olaf Scholz spoke in Berlin. Sanctions on Russia must stay."


def _undecided_item() -> ExportItem:
    # "Berlin" is a suggestion nobody accepted or rejected in a done article.
    item = _item(4, text=UNDECIDED_TEXT, spans=[Span(0, 11, "PERSON", id=1, doc_id=4)])
    item.undecided = [Span(21, 27, "GPE", "entity", id=2, doc_id=4, status="suggested")]
    return item


def _prodigy_training_docs(path, nlp) -> list:
    """What Prodigy's ``data-to-spacy`` makes of manual NER tasks (formats.md 2.4):
    the doc rebuilt from ``tokens``/``ws``, only ``accept`` answers, every token
    outside a span ``O``."""
    from spacy.tokens import Doc

    docs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if rec.get("answer") != "accept":
            continue
        doc = Doc(nlp.vocab, words=[t["text"] for t in rec["tokens"]], spaces=[t["ws"] for t in rec["tokens"]])
        doc.set_ents([doc.char_span(s["start"], s["end"], label=s["label"]) for s in rec["spans"]],
                     default="outside")
        docs.append(doc)
    return docs


def test_prodigy_answers_ignore_where_entity_status_is_unknown(tmp_path, scheme, nlp):
    from annotator.formats.export.align import UNALIGNED_REASON, UNDECIDED_REASON

    files, report = _write("prodigy", [_item(1), _unaligned_item(), _undecided_item()], tmp_path, scheme, nlp)
    records = {r["meta"]["article_id"]: r for r in map(json.loads, files[0].read_text(encoding="utf-8").splitlines())}
    assert records[1]["answer"] == "accept" and "ignored_because" not in records[1]["meta"]
    assert (records[3]["answer"], records[3]["meta"]["ignored_because"]) == ("ignore", UNALIGNED_REASON)
    assert (records[4]["answer"], records[4]["meta"]["ignored_because"]) == ("ignore", UNDECIDED_REASON)
    # The spans are still there, for a person who opens the task in Prodigy.
    assert [s["label"] for s in records[3]["spans"]] == ["PERSON", "GPE"]
    assert report.extra["prodigy_records_ignored"] == [
        {"doc_id": 3, "view": "ner_manual", "reason": UNALIGNED_REASON},
        {"doc_id": 4, "view": "ner_manual", "reason": UNDECIDED_REASON}]
    # Prodigy's training conversion sees only the clean article: "Clara Holm" and
    # "Berlin" are never trained as O.
    docs = _prodigy_training_docs(files[0], nlp)
    assert [d.text for d in docs] == [TEXT]
    assert not [t for d in docs for t in d if t.text in ("Clara", "Holm", "Berlin")]
    assert [(e.text, e.label_) for e in docs[0].ents] == [
        ("Mayor Ana Ruiz", "PERSON"), ("Port Elmsworth", "GPE"), ("Tidewater Union", "ORG"), ("Harbor Bill", "LAW")]


def test_prodigy_keeps_the_answer_of_articles_not_done(tmp_path, scheme, nlp):
    items = [_unaligned_item(), _undecided_item()]
    items[0].status, items[1].status = "in_progress", "skipped"
    files, report = _write("prodigy", items, tmp_path, scheme, nlp)
    first, second = map(json.loads, files[0].read_text(encoding="utf-8").splitlines())
    assert "answer" not in first and second["answer"] == "ignore"
    assert "ignored_because" not in first["meta"] and "ignored_because" not in second["meta"]
    assert "prodigy_records_ignored" not in report.extra


def test_prodigy_stance_records_of_an_article_with_an_unaligned_stance_are_ignored(tmp_path, scheme, nlp):
    spans = _spans(5) + [Span(80, 88, "FAVOR", "stance", id=17, doc_id=5, target="Harbor Bill")]  # cuts 'will'
    files, report = _write("prodigy", [_item(1), _item(5, spans=spans)], tmp_path, scheme, nlp)
    entity_records = [json.loads(line) for line in files[0].read_text(encoding="utf-8").splitlines()]
    assert [r["answer"] for r in entity_records] == ["accept", "accept"]  # the entities are all known
    stance_records = [json.loads(line) for line in files[1].read_text(encoding="utf-8").splitlines()]
    answers = [(r["meta"]["article_id"], r["answer"], r["meta"].get("ignored_because")) for r in stance_records]
    reason = "its article holds a stance not aligned to tokens"
    assert answers == [(1, "accept", None), (1, "accept", None), (5, "ignore", reason), (5, "ignore", reason)]
    assert [(r["view"], r["target"]) for r in report.extra["prodigy_records_ignored"]] == [
        ("spans_manual", "Sanctions on Russia"), ("spans_manual", TARGET)]


def test_prodigy_marker_brings_the_article_back_done_unless_a_person_answered(tmp_path, scheme, nlp):
    files, _report = _write("prodigy", [_unaligned_item()], tmp_path, scheme, nlp)
    (record,) = map(json.loads, files[0].read_text(encoding="utf-8").splitlines())
    parsed = parse_record(record, path="p.jsonl", line=1, scheme=None)
    assert parsed.status == "done" and "ignored_because" not in parsed.meta
    assert [(d.start, d.end, d.label) for d in parsed.spans] == [(0, 10, "PERSON"), (47, 58, "GPE")]
    # Accepted later in Prodigy: the answer wins (done), the marker still does not pile up.
    accepted = parse_record({**record, "answer": "accept"}, path="p.jsonl", line=1, scheme=None)
    assert accepted.status == "done" and "ignored_because" not in accepted.meta
    # An "ignore" without our marker is a skipped task.
    plain = {**record, "meta": {k: v for k, v in record["meta"].items() if k != "ignored_because"}}
    assert parse_record(plain, path="p.jsonl", line=1, scheme=None).status == "skipped"
