"""``annotator train``: refuses small projects with E601, trains, saves, switches."""

from __future__ import annotations

import json

from click.testing import CliRunner

import annotator.cli._train  # noqa: F401 (registers the command until the package imports it)
from annotator.cli import cli
from annotator.services.training import MIN_DOCUMENTS
from annotator.storage import open_project
from tests.services.training_corpus import write_generated


def _import(tmp_path, project_path, n):
    runner = CliRunner()
    data = write_generated(tmp_path / "gen.jsonl", n)
    result = runner.invoke(cli, ["import", str(data), "--project", str(project_path)])
    assert result.exit_code == 0, result.output
    return runner


def test_train_has_help():
    result = CliRunner().invoke(cli, ["train", "--help"])
    assert result.exit_code == 0
    assert "--base" in result.output and "--max-minutes" in result.output and "Example" in result.output


def test_too_few_finished_documents(tmp_path, project_path):
    runner = _import(tmp_path, project_path, MIN_DOCUMENTS - 2)
    result = runner.invoke(cli, ["train", "--project", str(project_path)])
    assert result.exit_code == 1
    assert "[E601]" in result.output
    assert f"Too few finished documents to train: {MIN_DOCUMENTS - 2}" in result.output


def test_unknown_component(tmp_path, project_path):
    runner = _import(tmp_path, project_path, MIN_DOCUMENTS)
    result = runner.invoke(cli, ["train", "--project", str(project_path), "--components", "ner,parser"])
    assert result.exit_code == 1
    assert "[E603]" in result.output and "parser" in result.output


def test_train_saves_reports_and_switches_the_project(tmp_path, project_path):
    import spacy

    runner = _import(tmp_path, project_path, 8)
    out = tmp_path / "my-model"
    result = runner.invoke(cli, ["train", "--project", str(project_path), "--components", "ner",
                                 "--max-steps", "3", "--out", str(out), "--use", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["model_path"] == str(out)
    assert summary["components"] == ["ner"]
    assert summary["steps"] == {"ner": 3}
    assert {row["label"] for row in summary["labels"]} >= {"PERSON", "GPE"}
    assert "[ner] step 4/3" not in result.stderr and "[ner] step 3/3" in result.stderr
    assert spacy.load(out).meta["annotator"]["dev_documents"] == summary["dev_documents"]
    with open_project(project_path) as project:
        assert project.setting("model") == str(out)
    shown = runner.invoke(cli, ["config", "--project", str(project_path), "--json"])
    assert json.loads(shown.output)["model"] == str(out)


def test_plain_text_summary(tmp_path, project_path):
    runner = _import(tmp_path, project_path, 8)
    result = runner.invoke(cli, ["train", "--project", str(project_path), "--components", "stance",
                                 "--max-steps", "2"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Saved en_annotator_project 0.1.0 to ")
    assert any(line.split()[:2] == ["stance", "macro"] for line in lines)
    assert f"annotator config --project {project_path} --model" in result.stdout
    with open_project(project_path) as project:
        assert project.setting("model", "auto") == "auto"
