"""The team commands from the command line: assign, merge, agreement."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from annotator.__main__ import cli
from annotator.storage import open_project
from tests.services.team_data import AID, TROOPS, add_doc, annotate


@pytest.fixture
def copies(tmp_path):
    """Two annotators' copies of a one-article project, annotated differently."""
    paths = {}
    for who, ents, stances in (
            ("ana", [("Paris", "GPE"), ("Macron", "PERSON"), ("Berlin", "ORG")],
             [(0, TROOPS, "FAVOR"), (1, TROOPS, "AGAINST"), (2, AID, "NEUTRAL")]),
            ("ben", [("Paris", "GPE"), ("Macron on", "PERSON"), ("Berlin", "GPE"), ("Tusk", "PERSON")],
             [(0, TROOPS, "FAVOR"), (1, TROOPS, "AGAINST"), (3, AID, "AGAINST")])):
        paths[who] = tmp_path / f"{who}.db"
        with open_project(paths[who], create=True, annotator=who) as project:
            annotate(project, add_doc(project), who, ents, stances)
    return paths


def test_merge_then_agreement_text_and_json(copies, tmp_path):
    team = tmp_path / "team.db"
    runner = CliRunner()
    result = runner.invoke(cli, ["merge", str(copies["ana"]), str(copies["ben"]), "--into", str(team)],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Created" in result.output and "1 new article(s)" in result.output
    again = runner.invoke(cli, ["merge", str(copies["ana"]), "--into", str(team), "--json"], catch_exceptions=False)
    assert json.loads(again.stdout)["spans_added"] == 0
    text = runner.invoke(cli, ["agreement", "--project", str(team)], catch_exceptions=False)
    assert text.exit_code == 0, text.output
    assert "ana / ben: 1 article(s)" in text.output
    assert "F1 exact 0.286  overlap 0.571  kappa 0.500 on 3 matched span(s)" in text.output
    assert "kappa 0.333 on 4 (sentence, target) unit(s)" in text.output
    data = json.loads(runner.invoke(cli, ["agreement", "--project", str(team), "--json"]).stdout)
    assert data["pairs"][0]["entity"]["labels"]["GPE"]["f1_exact"] == pytest.approx(2 / 3)


def test_assign_and_clean_errors(copies, tmp_path):
    runner = CliRunner()
    out = tmp_path / "split"
    result = runner.invoke(cli, ["assign", "--project", str(copies["ana"]), "--to", "cyd,dee", "--overlap", "1",
                                 "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["ana.cyd.db", "ana.dee.db"]
    for args, code in ((["assign", "--project", str(copies["ana"]), "--to", "x", "--overlap", "2"], "E703"),
                       (["merge", str(tmp_path / "missing.db"), "--into", str(tmp_path / "t.db")], "E213"),
                       (["agreement", "--project", str(copies["ana"])], "E705")):
        bad = runner.invoke(cli, args)
        assert bad.exit_code == 1 and f"[{code}]" in bad.output and "Traceback" not in bad.output
