"""``annotator export``: options, summary, JSON summary and coded failures."""

from __future__ import annotations

import json

from click.testing import CliRunner

from annotator.__main__ import cli
from annotator.storage import open_project
from tests.formats.export_corpus import articles, fill_project


def _project(tmp_path, n=6):
    db = tmp_path / "p.db"
    with open_project(db, create=True, annotator="tester") as project:
        fill_project(project, articles(n))
    return db


def test_export_spacy_prints_a_summary(tmp_path):
    db = _project(tmp_path)
    out = tmp_path / "corpus"
    result = CliRunner().invoke(cli, ["export", "--project", str(db), "--format", "spacy", "--out", str(out),
                                      "--split", "0.5", "--seed", "2"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Exported 6 document(s) as spacy" in result.output and "(3 train, 3 dev)" in result.output
    assert "entity spans: DATE 6, GPE 12, ORG 6" in result.output
    assert "Overlapping entities resolved (longest kept): 0" in result.output
    assert "Spans not aligned to tokens (not exported in this format): 0" in result.output
    assert "python -m spacy train" in result.output
    assert {p.name for p in out.iterdir()} == {"train.spacy", "dev.spacy", "config.cfg", "export-report.json"}


def test_export_json_summary_and_every_format(tmp_path):
    db = _project(tmp_path)
    for fmt, name in (("jsonl", "annotations.jsonl"), ("prodigy", "prodigy.jsonl"), ("doccano", "doccano.jsonl"),
                      ("conll", "entities.conll")):
        out = tmp_path / fmt
        result = CliRunner().invoke(cli, ["export", "-p", str(db), "-f", fmt, "-o", str(out), "--json"],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        summary = json.loads(result.output[result.output.index("{"):])
        assert summary["format"] == fmt and summary["documents"] == 6
        assert str(out / name) in summary["files"]
        assert json.loads((out / "export-report.json").read_text(encoding="utf-8"))["documents"] == 6


def test_export_to_a_file_name(tmp_path):
    db = _project(tmp_path, n=2)
    target = tmp_path / "nested" / "mine.jsonl"
    result = CliRunner().invoke(cli, ["export", "-p", str(db), "-f", "jsonl", "-o", str(target)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert len(target.read_text(encoding="utf-8").splitlines()) == 2
    assert (target.parent / "export-report.json").exists()


def test_nothing_done_is_a_coded_error(tmp_path):
    db = tmp_path / "p.db"
    with open_project(db, create=True) as project:
        fill_project(project, articles(3), status=None)
    result = CliRunner().invoke(cli, ["export", "-p", str(db), "-f", "spacy", "-o", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "[E401]" in result.output and "--all" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["export", "-p", str(db), "-f", "spacy", "-o", str(tmp_path / "o"), "--all",
                                      "--split", "2"])
    assert result.exit_code == 1 and "[E404]" in result.output


def test_export_summary_counts_done_articles_with_undecided_suggestions(tmp_path):
    from annotator.core.model import Span

    db = _project(tmp_path)
    with open_project(db, annotator="tester") as project:
        doc_id = project.done_doc_ids()[0]
        project.add_span(doc_id, Span(0, 3, "ORG", status="suggested"))
    result = CliRunner().invoke(cli, ["export", "-p", str(db), "-f", "spacy", "-o", str(tmp_path / "c")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Done articles with suggestions nobody decided: 1 (1 suggestion, exported as unknown" in result.output
    clean = CliRunner().invoke(cli, ["export", "-p", str(_project(tmp_path / "b")), "-f", "jsonl",
                                     "-o", str(tmp_path / "d.jsonl")], catch_exceptions=False)
    assert clean.exit_code == 0 and "nobody decided" not in clean.output


def test_export_summary_says_which_prodigy_tasks_are_left_out_of_training(tmp_path):
    from annotator.core.model import Span
    from annotator.core.text import text_hash
    from annotator.storage import NewDocument

    db = tmp_path / "p.db"
    text = "Kaja Kallas visited Kyiv on Monday."
    with open_project(db, create=True, annotator="tester") as project:
        (doc_id,), _ = project.add_documents([NewDocument(text, "Kallas in Kyiv", text_hash(text))])
        project.add_span(doc_id, Span(0, 11, "PERSON"))
        project.add_span(doc_id, Span(20, 23, "GPE"))  # 'Kyi' ends inside the token 'Kyiv'
        project.set_doc_status(doc_id, "done")
    result = CliRunner().invoke(cli, ["export", "-p", str(db), "-f", "prodigy", "-o", str(tmp_path / "out")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert ('Prodigy records answered "ignore" (left out of training, so nothing unknown is taught as \"none\"): 1 '
            "(1 holds an entity not aligned to tokens)") in result.output
    conll = CliRunner().invoke(cli, ["export", "-p", str(db), "-f", "conll", "-o", str(tmp_path / "conll")],
                               catch_exceptions=False)
    assert ("CoNLL sentences (left out of training, so nothing unknown is taught as \"none\"): 1 "
            "(1 holds an entity not aligned to tokens)") in conll.output
