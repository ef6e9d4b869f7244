from __future__ import annotations

import json

import pytest

from annotator.core.errors import AnnotatorError
from annotator.nlp import pipelines


def test_rules_pipeline_has_sentences_and_gazetteer():
    loaded = pipelines.rules_pipeline()
    assert loaded.rules_only and loaded.name == "rules"
    doc = loaded.nlp("Macron flew to Kyiv\nScholz stayed in Berlin. NATO met.")
    sentences = [s.text.strip() for s in doc.sents]
    assert sentences[0] == "Macron flew to Kyiv"
    assert sentences[1] == "Scholz stayed in Berlin."
    found = {(s.text, s.label_, s.id_) for s in doc.spans[pipelines.GAZETTEER_KEY]}
    assert ("Kyiv", "GPE", "capital:kyiv") in found
    assert ("NATO", "ORG", "org:nato") in found


def test_installed_pipelines_always_offer_rules():
    names = [p.name for p in pipelines.installed_pipelines()]
    assert names[-1] == "rules"
    assert pipelines.resolve("rules") == "rules"
    assert pipelines.resolve("auto") in names


def test_unknown_model_names_are_coded_errors(tmp_path):
    with pytest.raises(AnnotatorError) as info:
        pipelines.check_model_setting("no_such_pipeline_xyz")
    assert info.value.code == "E303"
    with pytest.raises(AnnotatorError) as info:
        pipelines.load_pipeline("no_such_pipeline_xyz")
    assert info.value.code == "E303"  # checked before spaCy tries to import it
    with pytest.raises(AnnotatorError) as info:
        pipelines.check_model_setting(str(tmp_path))
    assert info.value.code == "E301"
    assert pipelines.check_model_setting(" rules ") == "rules"


def test_bad_pattern_file_names_file_and_line(tmp_path):
    path = tmp_path / "patterns.jsonl"
    path.write_text(json.dumps({"label": "GPE", "pattern": "Kyiv"}) + "\n" + '{"pattern": "x"}\n', encoding="utf-8")
    with pytest.raises(AnnotatorError) as info:
        pipelines.load_patterns(path)
    assert info.value.code == "E304" and info.value.line == 2 and str(path) in str(info.value)


def test_bundled_patterns_are_valid_and_cover_the_sections():
    patterns = pipelines.load_patterns()
    sections = {p["id"].split(":")[0] for p in patterns}
    assert {"country", "capital", "org", "leader", "weapon"} <= sections
    assert all(p["label"] != "WEAPON" or p["id"].startswith("weapon:") for p in patterns)
