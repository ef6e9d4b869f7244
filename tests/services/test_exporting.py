"""The export service on real projects, checked by the real consumers
(``spacy debug data``, ``spacy train``, our own importer)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.core.errors import AnnotatorError
from annotator.core.model import Span
from annotator.services import exporting
from annotator.services.importing import import_paths
from annotator.storage import open_project
from tests.formats.export_corpus import articles, fill_project


def _spacy(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "spacy", *args], cwd=cwd, capture_output=True, text=True)


def test_spacy_export_passes_debug_data_and_trains_without_edits(project, tmp_path):
    project.set_setting("model", "rules")
    fill_project(project, articles(130))
    out = tmp_path / "corpus"
    summary = exporting.export(project, format="spacy", out=out, seed=1)
    assert (summary.train_documents, summary.dev_documents) == (104, 26)
    assert summary.not_aligned == [] and summary.spans["stance"] and summary.spans["entity"]["PERSON"] > 100
    report = json.loads((out / "export-report.json").read_text(encoding="utf-8"))
    assert report["documents"] == 130 and report["spans"] == summary.spans

    debug = _spacy("debug", "data", "config.cfg", "--paths.train", "train.spacy", "--paths.dev", "dev.spacy", cwd=out)
    assert debug.returncode == 0, debug.stdout + debug.stderr
    assert "misaligned tokens" not in debug.stdout and "✘" not in debug.stdout
    train = _spacy("train", "config.cfg", "--paths.train", "train.spacy", "--paths.dev", "dev.spacy",
                   "--training.max_steps", "20", "--training.eval_frequency", "10", cwd=out)
    assert train.returncode == 0, train.stdout[-3000:] + train.stderr[-3000:]
    assert "spancat" in train.stdout and "ner" in train.stdout


def test_stance_docs_train_a_textcat(project, tmp_path):
    fill_project(project, articles(40, seed=3))
    out = tmp_path / "corpus"
    summary = exporting.export(project, format="spacy", out=out, stance_docs=True)
    assert summary.extra["stance_docs"]["train"] > 0 and summary.extra["stance_docs"]["dev"] > 0
    train = _spacy("train", "stance-config.cfg", "--paths.train", "stance-train.spacy", "--paths.dev",
                   "stance-dev.spacy", "--training.max_steps", "10", "--training.eval_frequency", "5", cwd=out)
    assert train.returncode == 0, train.stdout[-3000:] + train.stderr[-3000:]
    assert "CATS_SCORE" in train.stdout


def test_only_done_documents_and_accepted_spans_by_default(project, tmp_path):
    ids = fill_project(project, articles(4), status=None)
    project.set_doc_status(ids[0], "done")
    project.set_doc_status(ids[1], "done")
    suggestion = project.add_span(ids[0], Span(0, 4, "GPE", status="suggested"))
    rejected = project.add_span(ids[0], Span(0, 3, "ORG", status="rejected"))
    summary = exporting.export(project, format="jsonl", out=tmp_path / "a.jsonl")
    lines = [json.loads(x) for x in (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()]
    assert summary.documents == 2 and [r["status"] for r in lines] == ["done", "done"]
    first = {(e["start"], e["end"], e["label"]) for e in lines[0]["entities"]}
    assert (suggestion.start, suggestion.end, "GPE") not in first and (rejected.start, rejected.end, "ORG") not in first

    exporting.export(project, format="jsonl", out=tmp_path / "b.jsonl", include_all=True, include_suggestions=True)
    lines = [json.loads(x) for x in (tmp_path / "b.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["status"] for r in lines] == ["done", "done", "new", "new"]
    assert (0, 4, "GPE") in {(e["start"], e["end"], e["label"]) for e in lines[0]["entities"]}


def test_annotator_filter(project, tmp_path):
    ids = fill_project(project, articles(3), status=None, annotator="ana")
    other = open_project(project.path, annotator="bob")
    other.add_span(ids[0], Span(0, 4, "ORG"))
    other.set_doc_status(ids[0], "done")
    project.set_doc_status(ids[1], "done")  # "tester"
    summary = exporting.export(project, format="jsonl", out=tmp_path / "bob.jsonl", annotator="bob")
    (line,) = (tmp_path / "bob.jsonl").read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    assert summary.documents == 1 and record["annotator"] == "bob" and record["status"] == "done"
    assert [(e["start"], e["end"], e["label"]) for e in record["entities"]] == [(0, 4, "ORG")]
    other.close()


def test_split_is_reproducible_by_seed_and_keeps_documents_whole(project, tmp_path):
    from spacy.tokens import DocBin

    fill_project(project, articles(30))
    texts = {}
    for run, seed in (("a", 5), ("b", 5), ("c", 6)):
        exporting.export(project, format="spacy", out=tmp_path / run, seed=seed)
        texts[run] = [sorted(d.text for d in DocBin().from_disk(tmp_path / run / f"{part}.spacy").get_docs(
            __import__("spacy").blank("en").vocab)) for part in ("train", "dev")]
    assert texts["a"] == texts["b"] != texts["c"]
    train, dev = texts["a"]
    assert len(train) == 24 and len(dev) == 6 and not set(train) & set(dev)


def test_jsonl_round_trip_is_byte_identical(project, tmp_path):
    fill_project(project, articles(12, seed=11))
    ids = [d.id for d in project.iter_documents()]
    text = "Ana Ruiz 😀 said\t\"no\"\xa0today.\nOdesa voted."
    from annotator.core.text import text_hash
    from annotator.storage.project import NewDocument

    (extra,), _ = project.add_documents([NewDocument(text=text, title="Émoji", text_hash=text_hash(text),
                                                     meta={"z": 1, "a": [1, "ü"]})])
    holder = project.add_span(extra, Span(0, 8, "PERSON"))
    project.add_span(extra, Span(0, 8, "ORG"))
    project.add_span(extra, Span(0, 36, "AGAINST", "stance", target="Sanctions on Russia", holder_span_id=holder.id))
    project.add_span(extra, Span(0, 36, "FAVOR", "stance", target="Ukraine joining NATO"))
    project.set_doc_status(extra, "done")
    project.set_doc_status(ids[0], "in_progress")
    for include_all in (False, True):
        first = tmp_path / f"first-{include_all}.jsonl"
        exporting.export(project, format="jsonl", out=first, include_all=include_all)
        fresh = open_project(tmp_path / f"fresh-{include_all}.db", create=True, annotator="someone-else")
        import_paths(fresh, [first])
        second = tmp_path / f"second-{include_all}" / "again.jsonl"
        exporting.export(fresh, format="jsonl", out=second, include_all=include_all)
        assert second.read_bytes() == first.read_bytes()
        fresh.close()
    record = json.loads(first.read_text(encoding="utf-8").splitlines()[-1])
    assert record["stances"][0]["holder"] == {"start": 0, "end": 8}
    assert record["meta"] == {"a": [1, "ü"], "source": None, "z": 1}


def test_cancel_leaves_no_files(project, tmp_path):
    fill_project(project, articles(5))
    seen = []
    with pytest.raises(exporting.ExportCancelled):
        exporting.export(project, format="spacy", out=tmp_path / "c", progress=lambda d, t, _: seen.append(d),
                         cancelled=lambda: len(seen) >= 2)
    assert [p.name for p in (tmp_path / "c").iterdir()] == []


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [({"format": "excel"}, "E403"), ({"format": "spacy", "split": 1.0}, "E404"),
     ({"format": "spacy", "annotator": "nobody"}, "E401")],
)
def test_bad_requests_have_codes(project, tmp_path, kwargs, code):
    fill_project(project, articles(3))
    with pytest.raises(AnnotatorError) as err:
        exporting.export(project, out=tmp_path / "x", **kwargs)
    assert err.value.code == code


def test_spacy_needs_two_documents_and_a_folder(project, tmp_path):
    fill_project(project, articles(1))
    with pytest.raises(AnnotatorError) as err:
        exporting.export(project, format="spacy", out=tmp_path / "x")
    assert err.value.code == "E406"
    fill_project(project, articles(3, seed=9))
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    with pytest.raises(AnnotatorError) as err:
        exporting.export(project, format="spacy", out=tmp_path / "file.txt")
    assert err.value.code == "E405"


def test_a_link_out_of_the_folder_is_refused(project, tmp_path):
    fill_project(project, articles(3))
    out = tmp_path / "out"
    out.mkdir()
    (out / "train.spacy").symlink_to(tmp_path / "stolen.spacy")
    with pytest.raises(AnnotatorError) as err:
        exporting.export(project, format="spacy", out=out)
    assert err.value.code == "E402"
    assert not (tmp_path / "stolen.spacy").exists()


def test_tokenizer_language_follows_the_project_pipeline(tmp_path):
    import spacy

    assert exporting.tokenizer_language("rules") == "en"
    folder = tmp_path / "de_pipe"
    spacy.blank("de").to_disk(folder)
    assert exporting.tokenizer_language(str(folder)) == "de"


def test_sample_corpus_gold_exports_and_trains_ner_plus_stance(project, tmp_path, sample_corpus_path):
    import_paths(project, [sample_corpus_path / "gold.jsonl"])
    out = tmp_path / "sample"
    summary = exporting.export(project, format="spacy", out=out)
    assert summary.documents == 8 and summary.dev_documents == 2
    assert summary.spans["entity"]["PERSON"] > 20 and sum(summary.spans["stance"].values()) > 50
    assert summary.not_aligned == [], summary.not_aligned
    train = _spacy("train", "config.cfg", "--paths.train", "train.spacy", "--paths.dev", "dev.spacy",
                   "--training.max_steps", "4", "--training.eval_frequency", "2", cwd=out)
    assert train.returncode == 0, train.stdout[-3000:] + train.stderr[-3000:]
    # The same gold, through our JSONL and back, loses nothing.
    first = tmp_path / "gold-again.jsonl"
    exporting.export(project, format="jsonl", out=first)
    fresh = open_project(tmp_path / "fresh.db", create=True)
    import_paths(fresh, [first])
    exporting.export(fresh, format="jsonl", out=tmp_path / "third.jsonl")
    assert (tmp_path / "third.jsonl").read_bytes() == first.read_bytes()
    originals = [json.loads(x) for x in (sample_corpus_path / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    exported = [json.loads(x) for x in first.read_text(encoding="utf-8").splitlines()]
    for old, new in zip(originals, exported):
        assert new["text"] == old["text"]
        key = lambda s: (s["start"], s["end"], s["label"], s.get("target"), json.dumps(s.get("holder")))  # noqa: E731
        assert sorted(map(key, new["entities"])) == sorted(map(key, old["entities"]))
        assert sorted(map(key, new["stances"])) == sorted(map(key, old["stances"]))
    fresh.close()


def _corpus_docs(path: Path) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """What spaCy's own training reader finds at ``path`` (a file or a folder of shards)."""
    import spacy
    from spacy.training import Corpus

    nlp = spacy.blank("en")
    return sorted((eg.reference.text, [(e.start_char, e.end_char, e.label_) for e in eg.reference.ents])
                  for eg in Corpus(path)(nlp))


def test_a_large_export_is_sharded_into_folders_that_spacy_reads_and_trains_on(project, tmp_path):
    fill_project(project, articles(40, seed=5))
    whole = exporting.export(project, format="spacy", out=tmp_path / "whole", seed=2)
    assert "shards" not in whole.extra and (tmp_path / "whole" / "train.spacy").exists()

    out = tmp_path / "sharded"
    # An earlier export with bigger shards leaves more shard files than the next one writes.
    exporting.export(project, format="spacy", out=out, seed=2, shard_mb=0.01)
    summary = exporting.export(project, format="spacy", out=out, seed=2, shard_mb=0.03)
    shards = summary.extra["shards"]
    assert shards["train"] >= 2 and shards["dev"] >= 1
    train_files = sorted((out / "train").glob("*.spacy"))
    assert [p.name for p in train_files] == [f"train-{i:04d}.spacy" for i in range(shards["train"])]
    assert not (out / "train.spacy").exists()
    config = (out / "config.cfg").read_text(encoding="utf-8")
    assert f"train = \"{out / 'train'}\"" in config and f"dev = \"{out / 'dev'}\"" in config
    # spaCy's corpus reader finds exactly the documents and entities of the one-file export.
    for part in ("train", "dev"):
        assert _corpus_docs(out / part) == _corpus_docs(tmp_path / "whole" / f"{part}.spacy")
    train = _spacy("train", "config.cfg", "--training.max_steps", "4", "--training.eval_frequency", "2", cwd=out)
    assert train.returncode == 0, train.stdout[-3000:] + train.stderr[-3000:]


def test_stale_part_files_of_a_killed_export_are_cleaned_and_files_follow_the_umask(project, tmp_path):
    import os

    from tests.reliability.leftovers import killed_leftover

    fill_project(project, articles(3))
    out = tmp_path / "out"
    out.mkdir()
    stale = killed_leftover("part", out / "annotations.jsonl")
    foreign = out / ".annotations.jsonl.mine.part"  # not named by us: never touched
    foreign.write_text("mine", encoding="utf-8")
    old = os.umask(0o022)
    try:
        summary = exporting.export(project, format="jsonl", out=out)
    finally:
        os.umask(old)
    assert not stale.exists() and foreign.read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in out.iterdir()) == [".annotations.jsonl.mine.part", "annotations.jsonl",
                                                     "export-report.json"]
    for path in [*summary.files, summary.report_path]:
        assert path.stat().st_mode & 0o777 == 0o644  # 0666 minus the umask, not 0600
    os.umask(0o007)
    try:
        exporting.export(project, format="spacy", out=tmp_path / "spacy")
    finally:
        os.umask(old)
    modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "spacy").iterdir()}
    assert modes and set(modes.values()) == {0o660}, modes


def test_undecided_suggestions_of_a_done_article_are_missing_not_o(project, tmp_path):
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    from annotator.core.text import text_hash
    from annotator.storage import NewDocument

    text = "Ana Ruiz met Piotr Wala in Kestrel Bay on Monday."
    other = "Kyiv asked for more air defence."
    ids, _ = project.add_documents([NewDocument(text, "t", text_hash(text)),
                                    NewDocument(other, "u", text_hash(other))])
    doc_id = ids[0]
    project.add_span(ids[1], Span(0, 4, "GPE"))
    project.set_doc_status(ids[1], "done")
    project.add_span(doc_id, Span(0, 8, "PERSON"))
    project.add_span(doc_id, Span(13, 23, "PERSON", status="suggested"))
    project.add_span(doc_id, Span(27, 38, "GPE", status="suggested"))
    project.set_doc_status(doc_id, "done")
    summary = exporting.export(project, format="spacy", out=tmp_path / "out")
    assert summary.extra["done_with_undecided"] == {"documents": 1, "suggestions": 2}
    report = json.loads((tmp_path / "out" / "export-report.json").read_text(encoding="utf-8"))
    assert report["done_with_undecided"] == {"documents": 1, "suggestions": 2}
    docs = [d for part in ("train", "dev") for d in DocBin().from_disk(tmp_path / "out" / f"{part}.spacy").get_docs(Vocab())]
    (doc,) = [d for d in docs if d.text == text]
    iob = {t.text: t.ent_iob_ for t in doc}
    assert (iob["Ana"], iob["Ruiz"]) == ("B", "I")
    assert iob["Piotr"] == iob["Wala"] == iob["Kestrel"] == iob["Bay"] == ""  # unknown, never "O"
    assert iob["met"] == "O" and iob["Monday"] == "O"
