"""Out to another tool's format and back: Label Studio (checked with its own
converter), Prodigy and doccano stances with holders, spaCy DocBins (ours and
``spacy convert``'s), and the round-trip matrix over every format we both write
and read."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from annotator.core.model import SpanDraft
from annotator.services.exporting import export
from annotator.services.importing import import_paths
from annotator.storage import open_project

MACRON = "Emmanuel Macron said France would not rule out sending troops to Ukraine. Donald Tusk backed him."
KYIV = ("Kyiv \U0001F4AA rally: Volodymyr Zelensky thanked donors for the aid. "
        "Olaf Scholz said sanctions on Russia must stay.")


def _ent(text: str, needle: str, label: str) -> dict:
    start = text.index(needle)
    return {"start": start, "end": start + len(needle), "label": label, "text": needle}


def _records() -> list[dict]:
    first_sentence = MACRON[:MACRON.index(".") + 1]
    second = KYIV[KYIV.index("Olaf"):]
    return [
        {"title": "Troops debate", "text": MACRON, "status": "done",
         "entities": [_ent(MACRON, "Emmanuel Macron", "PERSON"), _ent(MACRON, "France", "GPE"),
                      _ent(MACRON, "Ukraine", "GPE"), _ent(MACRON, "Donald Tusk", "PERSON")],
         "stances": [{**_ent(MACRON, first_sentence, "FAVOR"), "target": "Western troops in Ukraine",
                      "holder": {"start": 0, "end": 15}}]},
        {"title": "Kyiv rally", "text": KYIV, "status": "done",
         "entities": [_ent(KYIV, "Kyiv", "GPE"), _ent(KYIV, "Volodymyr Zelensky", "PERSON"),
                      _ent(KYIV, "Olaf Scholz", "PERSON"), _ent(KYIV, "Russia", "GPE")],
         "stances": [{**_ent(KYIV, second, "FAVOR"), "target": "Sanctions on Russia",
                      "holder": {"start": KYIV.index("Olaf"), "end": KYIV.index("Olaf") + 11}}]},
    ]


@pytest.fixture
def source(tmp_path, project):
    path = tmp_path / "source.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _records()), encoding="utf-8")
    import_paths(project, [path])
    return project


def _layers(project, *, statuses=("accepted",)) -> dict[str, Counter]:
    """Spans by layer as (title, span text, label, target, holder text)."""
    out: dict[str, Counter] = {"entity": Counter(), "stance": Counter()}
    for doc in project.iter_documents():
        spans = project.spans(doc.id)
        by_id = {s.id: s for s in spans}
        for s in spans:
            if s.status not in statuses:
                continue
            holder = by_id.get(s.holder_span_id)
            out[s.layer][(doc.text[s.start:s.end], s.label, s.target,
                          doc.text[holder.start:holder.end] if holder else None)] += 1
    return out


def _reimport(tmp_path, name: str, files, **options):
    project = open_project(tmp_path / f"{name}.db", create=True, annotator="tester")
    summary = import_paths(project, files, **options)
    return project, summary


# -- Label Studio ------------------------------------------------------------------


def test_labelstudio_export_tasks_config_and_round_trip(tmp_path, source):
    doc_id = source.iter_documents().__next__().id
    start = MACRON.index("sending")
    source.store_suggestions(doc_id, "test-suggester", [SpanDraft(start, start + 7, "PERSON", score=0.42)])
    summary = export(source, format="labelstudio", out=tmp_path / "ls")
    tasks_path, config_path = summary.files
    tasks = json.loads(tasks_path.read_text(encoding="utf-8"))
    assert [t["data"]["title"] for t in tasks] == ["Troops debate", "Kyiv rally"]
    first = tasks[0]
    regions = [r for r in first["annotations"][0]["result"] if r["type"] == "labels"]
    assert {r["from_name"] for r in regions} == {"ner", "stance"}
    for region in regions:
        assert MACRON[region["value"]["start"]:region["value"]["end"]] == region["value"]["text"]
    stance = next(r for r in regions if r["from_name"] == "stance")
    assert stance["value"]["labels"] == ["FAVOR|Western troops in Ukraine"]
    (relation,) = [r for r in first["annotations"][0]["result"] if r["type"] == "relation"]
    assert relation["to_id"] == stance["id"] and relation["labels"] == ["holder"]
    (prediction,) = first["predictions"]
    assert prediction["score"] == 0.42 and prediction["result"][0]["value"]["text"] == "sending"
    config = config_path.read_text(encoding="utf-8")
    assert '<Label value="FAVOR|Sanctions on Russia"' in config and '<Text name="text" value="$text"/>' in config
    # UTF-16 offsets in the emoji article: the browser's unit.
    kyiv = tasks[1]["annotations"][0]["result"][0]["value"]
    assert kyiv["text"] == "Kyiv" and summary.extra["offsets"] == "utf16"
    scholz = next(r["value"] for r in tasks[1]["annotations"][0]["result"] if r.get("value", {}).get("text") == "Olaf Scholz")
    assert scholz["start"] == KYIV.index("Olaf") + 1

    again, imported = _reimport(tmp_path, "ls", [tasks_path])
    assert _layers(again) == _layers(source)
    assert imported.units == {"utf16": 2} and len(again.done_doc_ids()) == 2
    # The prediction comes back as a suggestion to review, with its score.
    assert imported.suggestions == 1
    (suggestion,) = [s for d in again.iter_documents() for s in again.spans(d.id) if s.status == "suggested"]
    assert (suggestion.start, suggestion.label, suggestion.score) == (start, "PERSON", 0.42)
    again.close()


def test_labelstudio_converter_outputs_import(tmp_path, source):
    """Label Studio's own converter reads our tasks and config; its JSON-MIN,
    CSV, TSV and CONLL2003 outputs import back with every entity."""
    converter_mod = pytest.importorskip("label_studio_sdk.converter")
    # The converter slices Python strings with the offsets it is given (code points).
    summary = export(source, format="labelstudio", out=tmp_path / "ls", offsets="codepoints")
    tasks_path, config_path = summary.files
    converter = converter_mod.Converter(config=str(config_path), project_dir=str(tmp_path), download_resources=False)
    outputs = {}
    converter.convert_to_json_min(str(tasks_path), str(tmp_path / "min"), is_dir=False)
    outputs["json_min"] = tmp_path / "min" / "result.json"
    converter.convert_to_csv(str(tasks_path), str(tmp_path / "csv"), is_dir=False, sep=",")
    outputs["csv"] = next((tmp_path / "csv").glob("*.csv"))
    converter.convert_to_csv(str(tasks_path), str(tmp_path / "tsv"), is_dir=False, sep="\t")
    tsv = next((tmp_path / "tsv").glob("*.csv"))
    outputs["tsv"] = tsv.rename(tsv.with_suffix(".tsv"))
    converter.convert_to_conll2003(str(tasks_path), str(tmp_path / "conll"), is_dir=False)
    outputs["conll2003"] = tmp_path / "conll" / "result.conll"

    want = _layers(source)
    for name, path in outputs.items():
        again, imported = _reimport(tmp_path, name, [path])
        got = _layers(again)
        if name == "conll2003":
            # Tokens re-joined by spaces; only the first Labels control (entities) is
            # written; its tokenizer keeps a sentence's full stop on the word before
            # it ("Ukraine."), and a whole token is tagged.
            assert sorted((t.rstrip("."), label) for t, label, _g, _h in got["entity"]) == sorted(
                (t, label) for t, label, _g, _h in want["entity"]), name
        else:
            # JSON-MIN and CSV drop relations (holders); every span stays.
            assert got["entity"] == want["entity"], name
            assert Counter({k[:3]: n for k, n in got["stance"].items()}) == Counter(
                {k[:3]: n for k, n in want["stance"].items()}), name
            titles = sorted(d.title for d in again.iter_documents())
            assert titles == ["Kyiv rally", "Troops debate"], name
        assert len(again.done_doc_ids()) == 2, name
        again.close()


# -- Prodigy and doccano: stances with holders ----------------------------------------


@pytest.mark.parametrize("fmt", ["prodigy", "doccano"])
def test_stances_and_holders_survive(tmp_path, source, fmt):
    summary = export(source, format=fmt, out=tmp_path / fmt)
    again, imported = _reimport(tmp_path, fmt, summary.files)
    assert _layers(again) == _layers(source)
    assert sorted(d.title for d in again.iter_documents()) == ["Kyiv rally", "Troops debate"]
    assert len(again.done_doc_ids()) == 2
    if fmt == "prodigy":
        assert imported.duplicates == 2 and imported.merged_into_existing == 2  # the stances, added to their articles
    again.close()


def test_prodigy_tasks_ignored_for_unknown_tokens_come_back_done(tmp_path, source):
    """A done article with an entity that cuts a token, another with a suggestion
    nobody decided: both go out as "ignore" (never trained as O), the summary says
    why, and our import brings both back done with their spans and a clean meta."""
    from annotator.core.model import Span

    troops, kyiv = source.iter_documents()
    start = MACRON.index("sending")
    source.add_span(troops.id, Span(start, start + 12, "ORG"))  # 'sending troo' ends inside 'troops'
    start = KYIV.index("donors")
    source.store_suggestions(kyiv.id, "test-suggester", [SpanDraft(start, start + 6, "PERSON", score=0.5)])
    summary = export(source, format="prodigy", out=tmp_path / "prodigy")
    records = [json.loads(line) for line in summary.files[0].read_text(encoding="utf-8").splitlines()]
    assert [(r["answer"], r["meta"]["ignored_because"]) for r in records] == [
        ("ignore", "holds an entity not aligned to tokens"), ("ignore", "holds a suggestion nobody accepted or rejected")]
    assert summary.left_out_of_training() == [('Prodigy records answered "ignore"', 2,
                                               "1 holds a suggestion nobody accepted or rejected; "
                                               "1 holds an entity not aligned to tokens")]
    report = json.loads(summary.report_path.read_text(encoding="utf-8"))
    assert [r["doc_id"] for r in report["prodigy_records_ignored"]] == [troops.id, kyiv.id]

    again, _imported = _reimport(tmp_path, "prodigy-ignored", summary.files)
    assert len(again.done_doc_ids()) == 2
    want = _layers(source)
    del want["entity"][("sending troo", "ORG", None, None)]  # not aligned: not in any token format
    assert _layers(again) == want
    assert all("ignored_because" not in doc.meta for doc in again.iter_documents())
    again.close()


# -- spaCy DocBin ------------------------------------------------------------------


def test_our_spacy_export_reimports_entities_stances_and_holders(tmp_path, source):
    summary = export(source, format="spacy", out=tmp_path / "sp", split=0.5)
    bins = [p for p in summary.files if p.suffix == ".spacy"]
    again, imported = _reimport(tmp_path, "spacy", bins, status="done")
    assert imported.formats == {"docbin": 2}
    assert _layers(again) == _layers(source)
    again.close()


def test_spacy_convert_output_imports(tmp_path, project):
    conll = tmp_path / "news.conll"
    conll.write_text("-DOCSTART- -X- O O\n\nKaja NNP B-NP B-PERSON\nKallas NNP I-NP I-PERSON\nvisited VBD B-VP O\n"
                     "Riga NNP B-NP B-GPE\n. . O O\n\n", encoding="utf-8")
    out = tmp_path / "converted"
    out.mkdir()
    subprocess.run([sys.executable, "-m", "spacy", "convert", str(conll), str(out), "-c", "conll"],
                   check=True, capture_output=True)
    (path,) = out.glob("*.spacy")
    summary = import_paths(project, [path])
    assert summary.imported == 1
    (doc,) = project.iter_documents()
    assert doc.text.strip() == "Kaja Kallas visited Riga ."
    assert sorted((doc.text[s.start:s.end], s.label) for s in project.spans(doc.id)) == [
        ("Kaja Kallas", "PERSON"), ("Riga", "GPE")]


# -- the matrix ----------------------------------------------------------------------

#: What each format carries through export -> import.
CARRIES = {"jsonl": ("entity", "stance", "holder"), "prodigy": ("entity", "stance", "holder"),
           "doccano": ("entity", "stance", "holder"), "labelstudio": ("entity", "stance", "holder"),
           "spacy": ("entity", "stance", "holder"), "conll": ("entity",)}


def _view(layers: dict[str, Counter], carries: tuple[str, ...], *, texts: bool) -> dict[str, Counter]:
    out = {}
    for layer in ("entity", "stance"):
        if layer not in carries:
            continue
        out[layer] = Counter({(k[0] if texts else None, k[1], k[2], k[3] if "holder" in carries else None): n
                              for k, n in layers[layer].items()})
    return out


@pytest.mark.parametrize("fmt", list(CARRIES))
def test_round_trip_matrix(tmp_path, source, fmt, capsys):
    """export -> import -> export keeps every span the format carries."""
    first = export(source, format=fmt, out=tmp_path / "one", split=0.5)
    files = [p for p in first.files if p.suffix != ".cfg" and p.name != "labeling-config.xml"]
    again, _ = _reimport(tmp_path, fmt, files, status="done")
    second = export(again, format=fmt, out=tmp_path / "two", split=0.5)
    # CoNLL re-joins tokens with spaces: span texts stay, the article text does not.
    assert _view(_layers(again), CARRIES[fmt], texts=True) == _view(_layers(source), CARRIES[fmt], texts=True)
    assert second.spans == first.spans
    with capsys.disabled():
        print(f"\n  round trip {fmt}: " + ", ".join(
            f"{layer} {sum(n.values())}" for layer, n in sorted(first.spans.items())) + " spans kept")
    again.close()


@pytest.mark.slow
@pytest.mark.parametrize(("first", "second"), [(a, b) for a in CARRIES for b in CARRIES if a != b])
def test_cross_format_matrix(tmp_path, source, first, second):
    """export A -> import -> export B -> import keeps every span both A and B carry."""
    carries = tuple(x for x in CARRIES[first] if x in CARRIES[second])
    one = export(source, format=first, out=tmp_path / "one", split=0.5)
    middle, _ = _reimport(tmp_path, "middle", [p for p in one.files if p.suffix not in (".cfg", ".xml")])
    two = export(middle, format=second, out=tmp_path / "two", split=0.5)
    last, _ = _reimport(tmp_path, "last", [p for p in two.files if p.suffix not in (".cfg", ".xml")])
    assert _view(_layers(last), carries, texts=True) == _view(_layers(source), carries, texts=True)
    middle.close()
    last.close()
