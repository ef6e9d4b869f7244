from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from annotator.cli import cli

ARTICLE = "Scholz rejects troops for Ukraine\nScholz said Germany would not send soldiers to Ukraine.\n"


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (folder / "b.txt").write_text("Fico opposed new sanctions on Russia.\n", encoding="utf-8")
    return folder


def run(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result


def test_suggest_with_rules_only_says_so_and_resumes(tmp_path, corpus):
    db = str(tmp_path / "demo.db")
    assert run("import", str(corpus), "--project", db).exit_code == 0
    first = run("suggest", "--project", db, "--model", "rules", "--workers", "1")
    assert first.exit_code == 0, first.output
    assert "rules only" in first.output and "Suggested 2 document(s)" in first.output
    again = run("suggest", "--project", db, "--model", "rules", "--json")
    summary = json.loads(again.stdout)
    assert summary["documents"] == 0 and summary["skipped"] == 2 and summary["rules_only"]
    stats = json.loads(run("stats", "--project", db, "--json").stdout)
    # The sentence under the headline and Fico's sentence (a headline holds nobody's stance).
    assert stats["spans"]["stance"]["AGAINST"]["suggested"] == 2


def test_config_sets_the_model_and_rejects_unknown_ones(tmp_path, corpus):
    db = str(tmp_path / "demo.db")
    assert run("init", "--project", db, "--model", "rules").exit_code == 0
    assert json.loads(run("config", "--project", db, "--json").stdout)["model"] == "rules"
    bad = run("config", "--project", db, "--model", "no_such_pipeline_xyz")
    assert bad.exit_code == 1 and "E303" in bad.output
    ok = run("config", "--project", db, "--model", "auto", "--patterns", "all")
    assert ok.exit_code == 0 and "model: auto" in ok.output and "patterns: all" in ok.output
    models = json.loads(run("models", "--project", db, "--json").stdout)
    assert models["project"]["setting"] == "auto" and models["project"]["uses"] == models["auto"]
    assert "rules" in [p["name"] for p in models["pipelines"]]


def test_evaluate_prints_tables_and_json(tmp_path, corpus):
    db = str(tmp_path / "demo.db")
    run("import", str(corpus), "--project", db)
    run("suggest", "--project", db, "--model", "rules")
    text = ARTICLE.replace("\r\n", "\n")
    start = text.index("Scholz said")
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"text": text, "entities": [{"start": 0, "end": 6, "label": "PERSON"}],
                                "stances": [{"start": start, "end": len(text) - 1, "label": "AGAINST",
                                             "target": "Western troops in Ukraine"}]}) + "\n", encoding="utf-8")
    table = run("evaluate", "--project", db, "--gold", str(gold))
    assert table.exit_code == 0 and "Entities (exact match)" in table.output and "PERSON" in table.output
    data = json.loads(run("evaluate", "--project", db, "--gold", str(gold), "--json").stdout)
    assert data["documents"] == 1
    assert data["stances"]["targets"]["Western troops in Ukraine"]["correct"] == 1
    assert data["entities"]["exact"]["labels"]["PERSON"]["tp"] == 1


@pytest.mark.parametrize("command", ["suggest", "evaluate", "models", "config"])
def test_commands_have_help(command):
    result = run(command, "--help")
    assert result.exit_code == 0 and "Example:" in result.output


def test_imported_finished_work_teaches_suggest_and_refresh_resuggests_untouched(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text("Mira Holt said the talks went well. Holt left early.\n", encoding="utf-8")
    (folder / "b.txt").write_text("MIRA HOLT and Dan Ekberg met.\n", encoding="utf-8")
    db = str(tmp_path / "demo.db")
    assert run("import", str(folder), "--project", db).exit_code == 0
    assert run("suggest", "--project", db, "--model", "rules").exit_code == 0
    stats = json.loads(run("stats", "--project", db, "--json").stdout)
    assert "PERSON" not in stats["spans"].get("entity", {})  # the gazetteer knows neither
    finished = tmp_path / "finished.jsonl"
    text = "Mira Holt met Dan Ekberg."
    finished.write_text(json.dumps({"text": text, "status": "done", "entities": [
        {"start": 0, "end": 9, "label": "PERSON"}, {"start": 14, "end": 24, "label": "PERSON"}]}) + "\n")
    assert run("import", str(finished), "--project", db).exit_code == 0
    plain = run("suggest", "--project", db, "--model", "rules", "--json")
    assert json.loads(plain.stdout)["documents"] == 1  # only the new one: the others wait for --refresh
    refreshed = run("suggest", "--project", db, "--model", "rules", "--refresh")
    assert refreshed.exit_code == 0, refreshed.output
    assert "Decision memory: 2 decided string(s)" in refreshed.output
    assert "Suggested 2 document(s)" in refreshed.output  # the finished import is not touched again
    stats = json.loads(run("stats", "--project", db, "--json").stdout)
    # "Mira Holt" in a.txt; "MIRA HOLT" and "Dan Ekberg" in b.txt; the lone "Holt" is another string.
    assert stats["spans"]["entity"]["PERSON"]["suggested"] == 3


def test_config_turns_the_decision_memory_off_and_on(tmp_path):
    db = str(tmp_path / "demo.db")
    assert run("init", "--project", db, "--model", "rules").exit_code == 0
    assert json.loads(run("config", "--project", db, "--json").stdout)["memory"] is True
    assert json.loads(run("config", "--project", db, "--no-memory", "--json").stdout)["memory"] is False
    assert json.loads(run("config", "--project", db, "--memory", "--json").stdout)["memory"] is True
    assert json.loads(run("config", "--project", db, "--json").stdout)["retrain_every"] == 10
    assert json.loads(run("config", "--project", db, "--retrain-every", "0", "--json").stdout)["retrain_every"] == 0
