"""Property: over random texts (emoji, CRLF, tabs, non-breaking spaces) and random
spans, every exported span's text is the stored text, and every span is either
exported or reported."""

from __future__ import annotations

import json
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.core.model import Document, Span
from annotator.core.offsets import convert_offsets
from annotator.core.text import normalise_newlines, strip_span
from annotator.formats.export import ExportItem, ExportOptions, ExportReport, get_exporter

PIECES = ["Ana", "Ruiz", "Kyiv", "NATO", "U.S.", "Inc.", "don't", "😀", "🇺🇦", "é", " ", " ", "  ", "\t", "\xa0",
          "\r\n", "\n", "\n\n", ".", ",", '"', "'", "(", ")", "-", "—", "42", "x"]


@st.composite
def documents(draw):
    text = normalise_newlines("".join(draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=40))))
    if not text.strip():
        text = "Kyiv " + text
    n = len(text)
    spans = []
    for i in range(draw(st.integers(0, 8))):
        start = draw(st.integers(0, n - 1))
        end = draw(st.integers(start + 1, n))
        layer = draw(st.sampled_from(["entity", "entity", "stance"]))
        label = "PERSON" if layer == "entity" else draw(st.sampled_from(["FAVOR", "AGAINST", "NEUTRAL"]))
        spans.append(Span(start, end, label, layer, id=i + 1, doc_id=1,
                          target="Sanctions on Russia" if layer == "stance" else None))
    return text, spans


@pytest.fixture(scope="module")
def nlp():
    import spacy

    return spacy.blank("en")


@pytest.fixture(scope="module")
def scheme():
    from annotator.services.projects import load_scheme

    return load_scheme()


def _run(name, text, spans, nlp, scheme, folder: Path):
    report = ExportReport()
    exp = get_exporter(name)
    item = ExportItem(Document(1, text, "t"), spans, status="done", annotator="ana")
    files = exp.write([item], folder=folder, options=ExportOptions(scheme=scheme), report=report,
                      nlp=nlp if exp.tokenized else None)
    return files, report


def _only_ws_or_punct(chars: str) -> bool:
    return all(c.isspace() or unicodedata.category(c).startswith("P") for c in chars)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents())
def test_exported_span_text_equals_stored_text(nlp, scheme, case):
    text, spans = case
    by_id = {s.id: s for s in spans}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # Our JSONL and doccano keep the stored offsets exactly.
        (path,), _ = _run("jsonl", text, spans, nlp, scheme, folder)
        record = json.loads(path.read_text(encoding="utf-8"))
        assert record["text"] == text
        for item in record["entities"] + record["stances"]:
            assert text[item["start"]:item["end"]] == item["text"]
        assert len(record["entities"]) + len(record["stances"]) == len(spans)
        (path,), _ = _run("doccano", text, spans, nlp, scheme, folder)
        doccano = json.loads(path.read_text(encoding="utf-8"))
        assert doccano["text"] == text
        # doccano counts UTF-16 code units: converted back, every span is where it was.
        back = [(*convert_offsets(text, [e["start_offset"], e["end_offset"]], source="utf16", target="codepoints"),
                 e["label"]) for e in doccano["entities"]]
        assert sorted(back) == sorted(
            (s.start, s.end, s.label if s.layer == "entity" else f"{s.label}|{s.target}") for s in spans)

        # spaCy: the text is byte-identical; a span is exported on its stripped
        # offsets, snapped only over whitespace/punctuation (and reported), or reported.
        from spacy.tokens import DocBin

        _, report = _run("spacy", text, spans, nlp, scheme, folder)
        (doc,) = DocBin().from_disk(folder / "train.spacy").get_docs(nlp.vocab)
        assert doc.text == text
        reported = {r["id"] for r in report.not_aligned}
        snapped = {r["id"]: (r["new_start"], r["new_end"]) for r in report.snapped}
        exported = {int(s.id_): s for key in ("sc", "stance") for s in doc.spans[key]}
        for span in spans:
            assert (span.id in reported) != (span.id in exported) or _duplicate(span, snapped, exported)
            if span.id not in exported:
                continue
            out = exported[span.id]
            assert out.text == text[out.start_char:out.end_char]
            stripped = strip_span(text, span.start, span.end)
            if span.id in snapped:
                assert snapped[span.id] == (out.start_char, out.end_char)
                lo, hi = sorted((stripped[0], out.start_char)), sorted((stripped[1], out.end_char))
                assert _only_ws_or_punct(text[lo[0]:lo[1]] + text[hi[0]:hi[1]])
            else:
                assert (out.start_char, out.end_char) == stripped == (by_id[span.id].start, by_id[span.id].end)

        # Prodigy: offsets and token indices agree with the record's own tokens.
        files, _ = _run("prodigy", text, spans, nlp, scheme, folder)
        for path in files:
            for line in path.read_text(encoding="utf-8").splitlines():
                rec = json.loads(line)
                assert "".join(t["text"] + (" " if t["ws"] else "") for t in rec["tokens"]) == text
                for sp in rec["spans"]:
                    assert rec["tokens"][sp["token_start"]]["start"] == sp["start"]
                    assert rec["tokens"][sp["token_end"]]["end"] == sp["end"]


def _duplicate(span: Span, snapped: dict, exported: dict) -> bool:
    """Entities that land on the same tokens with the same label go into doc.spans["sc"] once."""
    where = snapped.get(span.id, (span.start, span.end))
    return span.layer == "entity" and any(
        (o.start_char, o.end_char, o.label_) == (*where, span.label) for o in exported.values())
