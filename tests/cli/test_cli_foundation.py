"""The command line: help for every command, import/stats, and clean failures."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from annotator.__main__ import cli


def _commands(group: click.Group, prefix=()):
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


@pytest.mark.parametrize("path", [p for p, _ in _commands(cli)], ids=lambda p: " ".join(p))
def test_every_command_has_help_and_an_example(path):
    result = CliRunner().invoke(cli, [*path, "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    command = dict(_commands(cli))[path]
    assert command.help and command.help.strip(), f"{path} has no help text"
    assert "Example:" in command.help, f"{path} help has no example"
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden and param.name not in ("help",):
            assert param.help, f"option {param.opts} of {' '.join(path)} has no help"


def test_import_then_stats_then_reimport(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i, city in enumerate(["Kyiv", "Odesa", "Kharkiv"]):
        (corpus / f"{i}.txt").write_text(f"Report from {city}\nFighting near {city} continued.\n", encoding="utf-8")
    db = tmp_path / "demo.db"
    runner = CliRunner()
    first = runner.invoke(cli, ["import", str(corpus), "--project", str(db)], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "Imported 3 article(s)" in first.output
    stats = runner.invoke(cli, ["stats", "--project", str(db), "--json"], catch_exceptions=False)
    assert json.loads(stats.output)["documents"]["total"] == 3
    again = runner.invoke(cli, ["import", str(corpus), "--project", str(db)], catch_exceptions=False)
    assert "Imported 0 article(s)" in again.output and "3 duplicate(s)" in again.output
    assert "Nothing new" in again.output


def test_malformed_jsonl_line_exits_nonzero_naming_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "Kyiv news."}\n{"text": oops}\n', encoding="utf-8")
    db = tmp_path / "p.db"
    result = CliRunner().invoke(cli, ["import", str(path), "--project", str(db)])
    assert result.exit_code == 1
    assert f"{path}:2" in result.output and "[E204]" in result.output
    assert "Traceback" not in result.output
    stats = CliRunner().invoke(cli, ["stats", "--project", str(db), "--json"], catch_exceptions=False)
    assert json.loads(stats.output)["documents"]["total"] == 0

    report = tmp_path / "rejected.jsonl"
    ok = CliRunner().invoke(cli, ["import", str(path), "--project", str(db), "--skip-invalid", "--report", str(report)])
    assert ok.exit_code == 0 and "1 invalid" in ok.output
    assert json.loads(report.read_text())["line"] == 2


def test_init_with_custom_scheme_and_validation(tmp_path):
    labels = tmp_path / "labels.toml"
    labels.write_text('[[entity]]\nname = "SHIP"\ncolour = "#123456"\nhotkey = "1"\n'
                      '[[entity]]\nname = "PORT"\ncolour = "#654321"\nhotkey = "1"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["init", "--project", str(tmp_path / "p.db"), "--labels", str(labels)])
    assert result.exit_code == 1 and "[E101]" in result.output and "already used by SHIP" in result.output
    labels.write_text(labels.read_text().replace('hotkey = "1"\n[[entity]]', 'hotkey = "2"\n[[entity]]', 1)
                      .replace('"#654321"\nhotkey = "1"', '"#654321"\nhotkey = "2"'), encoding="utf-8")
    labels.write_text('[[entity]]\nname = "SHIP"\ncolour = "#123456"\nhotkey = "1"\n'
                      '[[entity]]\nname = "PORT"\ncolour = "#654321"\nhotkey = "2"\n'
                      '[model_labels]\nFAC = "PORT"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["init", "--project", str(tmp_path / "p.db"), "--labels", str(labels)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "2 entity labels" in result.output


def test_opening_a_foreign_file_is_a_clean_error(tmp_path):
    path = tmp_path / "photo.db"
    path.write_bytes(b"\x89PNG not a database")
    result = CliRunner().invoke(cli, ["stats", "--project", str(path)])
    assert result.exit_code == 1 and "[E001]" in result.output and "Traceback" not in result.output


def test_python_dash_m_and_headless_imports():
    """`python -m annotator --help` works, and the CLI imports neither Qt nor spaCy."""
    out = subprocess.run([sys.executable, "-m", "annotator", "--help"], capture_output=True, text=True, check=True)
    assert "import" in out.stdout
    probe = ("import sys, annotator.cli, annotator.services.importing, annotator.storage;"
             "print(sorted(m for m in ('PySide6', 'spacy', 'thinc') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


def test_sample_corpus_imports_every_article_once(tmp_path, sample_corpus_path):
    db = tmp_path / "demo.db"
    runner = CliRunner()
    first = runner.invoke(cli, ["import", str(sample_corpus_path), "--project", str(db), "--json"],
                          catch_exceptions=False)
    summary = json.loads(first.stdout)
    articles = sorted((sample_corpus_path / "articles").glob("*.txt"))
    assert len(articles) >= 12
    assert summary["imported"] == len(articles) and summary["invalid"] == 0
    stats = json.loads(runner.invoke(cli, ["stats", "--project", str(db), "--json"]).stdout)
    assert stats["documents"]["total"] == len(articles)
    again = json.loads(runner.invoke(cli, ["import", str(sample_corpus_path), "--project", str(db), "--json"]).stdout)
    assert again["imported"] == 0 and again["duplicates"] == summary["imported"] + summary["duplicates"]


def test_gold_file_is_valid_and_matches_the_articles(tmp_path, sample_corpus_path):
    from annotator.core.text import text_hash
    from annotator.services.importing import import_paths
    from annotator.storage import open_project

    gold = sample_corpus_path / "gold.jsonl"
    with open_project(tmp_path / "gold.db", create=True) as project:
        summary = import_paths(project, [gold])
        assert summary.imported >= 6 and summary.invalid == 0
        assert len(project.done_doc_ids(annotator="gold")) == summary.imported
        article_hashes = {
            text_hash(p.read_text(encoding="utf-8").replace("\r\n", "\n"))
            for p in (sample_corpus_path / "articles").glob("*.txt")
        }
        gold_hashes = {r[0] for r in project.conn.execute("SELECT text_hash FROM documents")}
        assert gold_hashes <= article_hashes
        layers = {r[0] for r in project.conn.execute("SELECT DISTINCT layer FROM spans")}
        assert layers == {"entity", "stance"}
