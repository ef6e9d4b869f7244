"""Offset units on import and export: files made in browser tools (UTF-16 units,
doccano's grapheme mode) land on the right characters, and every export says
which unit it wrote."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from annotator.cli import cli
from annotator.core.errors import AnnotatorError
from annotator.core.offsets import convert_offsets
from annotator.services.exporting import export
from annotator.services.importing import import_paths

# Emoji, a flag, a ZWJ family, a decomposed ü, RTL text and CRLF line ends.
TEXT = ("Kyiv \U0001F4AA rally \U0001F1FA\U0001F1E6\r\n"
        "Volodymyr Zelensky met \U0001F468\u200d\U0001F469\u200d\U0001F467 families in Zu\u0308rich.\r\n"
        "\u0627\u0644\u0633\u0644\u0627\u0645 said Ursula von der Leyen in Warsaw.")
WANTED = [("Kyiv", "GPE"), ("Volodymyr Zelensky", "PERSON"), ("Zu\u0308rich", "GPE"),
          ("Ursula von der Leyen", "PERSON"), ("Warsaw", "GPE")]


def _offsets(unit: str) -> list[list]:
    out = []
    for needle, label in WANTED:
        start = TEXT.index(needle)
        s, e = convert_offsets(TEXT, [start, start + len(needle)], source="codepoints", target=unit)
        out.append([s, e, label])
    return out


def _stored(project) -> list[tuple[str, str]]:
    rows = project.conn.execute(
        'SELECT d.text, s.start, s."end", s.label FROM spans s JOIN documents d ON d.id = s.doc_id ORDER BY s.start')
    return [(text[s:e], label) for text, s, e, label in rows]


def _write(path, record) -> object:
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def test_doccano_browser_file_lands_on_the_right_characters(tmp_path, project):
    """doccano records carry no span text: their offsets are UTF-16 by default."""
    path = _write(tmp_path / "doccano.jsonl", {"text": TEXT, "label": _offsets("utf16")})
    summary = import_paths(project, [path])
    assert _stored(project) == WANTED
    assert summary.units == {"utf16": 1} and summary.units_detected == 0
    assert summary.moved == 4  # every span after the first emoji moved
    # Read as code points (what annotator did before), the spans would shift.
    assert _offsets("utf16") != _offsets("codepoints")


def test_doccano_grapheme_mode_file_with_declared_unit(tmp_path, project):
    path = _write(tmp_path / "graphemes.jsonl", {"text": TEXT, "label": _offsets("graphemes")})
    summary = import_paths(project, [path], offsets="graphemes")
    assert _stored(project) == WANTED
    assert summary.units == {"graphemes": 1} and summary.moved == 4


@pytest.mark.parametrize("unit", ["codepoints", "utf16", "graphemes"])
def test_span_texts_decide_the_unit(tmp_path, project, unit):
    """Records with span texts (ours, Label Studio) are checked, and their unit
    detected whatever was declared."""
    ents = [{"start": s, "end": e, "label": label, "text": needle}
            for (s, e, label), (needle, _l) in zip(_offsets(unit), WANTED)]
    path = _write(tmp_path / "ours.jsonl", {"text": TEXT, "entities": ents})
    summary = import_paths(project, [path])
    assert _stored(project) == WANTED
    assert summary.units == {unit: 1} and summary.units_detected == (unit != "codepoints")


def test_span_texts_matching_no_unit_are_refused_naming_the_record(tmp_path, project):
    good = {"text": "Kaja Kallas visited Kyiv.", "entities": [{"start": 0, "end": 11, "label": "PERSON", "text": "Kaja Kallas"}]}
    bad = {"text": TEXT, "entities": [{"start": 3, "end": 9, "label": "GPE", "text": "Kyiv"}]}
    path = tmp_path / "mixed.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(AnnotatorError) as err:
        import_paths(project, [path])
    assert err.value.code == "E230" and err.value.line == 2 and f"{path}:2" in str(err.value)
    assert "UTF-16" in str(err.value) and "grapheme" in str(err.value)
    assert project.document_count() == 0


def test_offset_inside_a_character_is_a_coded_error(tmp_path, project):
    # UTF-16 offset 6 falls between the two halves of the emoji.
    path = _write(tmp_path / "cut.jsonl", {"text": "Kyiv \U0001F4AA rally", "label": [[6, 9, "GPE"]]})
    with pytest.raises(AnnotatorError) as err:
        import_paths(project, [path])
    assert err.value.code == "E231" and "UTF-16" in str(err.value) and err.value.line == 1


@pytest.mark.parametrize(("fmt", "unit", "shifted"), [("doccano", None, 0), ("doccano", "codepoints", 4),
                                                      ("jsonl", None, 4), ("jsonl", "graphemes", 4)])
def test_export_writes_and_states_the_unit(tmp_path, project, fmt, unit, shifted):
    path = _write(tmp_path / "doccano.jsonl", {"text": TEXT, "label": _offsets("utf16")})
    import_paths(project, [path])
    summary = export(project, format=fmt, out=tmp_path / "out", offsets=unit)
    written = unit or {"doccano": "utf16", "jsonl": "codepoints"}[fmt]
    assert summary.extra["offsets"] == written and summary.extra["browser_shifted"] == shifted
    record = json.loads(summary.files[0].read_text(encoding="utf-8"))
    text = record["text"]
    pairs = ([(e["start_offset"], e["end_offset"]) for e in record["entities"]] if fmt == "doccano"
             else [(e["start"], e["end"]) for e in record["entities"]])
    back = [tuple(convert_offsets(text, pair, source=written, target="codepoints")) for pair in pairs]
    assert sorted(text[s:e] for s, e in back) == sorted(n for n, _ in WANTED)
    # Re-imported into a fresh project, every span is where it was.
    from annotator.storage import open_project

    with open_project(tmp_path / "again.db", create=True) as again:
        import_paths(again, [summary.files[0]], offsets=unit)
        assert _stored(again) == WANTED


def test_cli_summaries_state_the_unit(tmp_path):
    path = _write(tmp_path / "doccano.jsonl", {"text": TEXT, "label": _offsets("utf16"), "title": "Rally"})
    db = tmp_path / "p.db"
    runner = CliRunner()
    result = runner.invoke(cli, ["import", str(path), "--project", str(db)])
    assert result.exit_code == 0, result.output
    assert "offsets: UTF-16 code units (1 record(s))" in result.output and "4 span(s) moved" in result.output
    result = runner.invoke(cli, ["export", "--project", str(db), "--format", "doccano", "--out", str(tmp_path / "o"),
                                 "--offsets", "codepoints"])
    assert result.exit_code == 0, result.output
    assert "Offsets: code points" in result.output and "would show on other characters: 4" in result.output
    assert "will look shifted in doccano's browser" in result.output


_pieces = st.sampled_from(["Kyiv", "Tusk", " ", "\n", "\r\n", "\U0001F4AA", "\U0001F1FA\U0001F1E6",
                           "\U0001F468\u200d\U0001F469", "e\u0301", "\u0627\u0644", "."])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(_pieces, min_size=2, max_size=16), unit=st.sampled_from(["codepoints", "utf16", "graphemes"]),
       with_text=st.booleans(), data=st.data())
def test_any_unit_imports_onto_the_same_characters(tmp_path_factory, parts, unit, with_text, data):
    """Spans on word pieces of random texts, written in any unit, with or without
    span text: imported, each covers the piece it was put on."""
    from annotator.storage import open_project

    text = "".join(parts)
    starts = [sum(len(p) for p in parts[:i]) for i in range(len(parts))]
    words = [i for i, p in enumerate(parts) if p in ("Kyiv", "Tusk")]
    assume(words)
    chosen = data.draw(st.lists(st.sampled_from(words), min_size=1, max_size=3, unique=True))
    ents = []
    for i in chosen:
        s, e = convert_offsets(text, [starts[i], starts[i] + 4], source="codepoints", target=unit)
        ents.append({"start": s, "end": e, "label": "GPE" if parts[i] == "Kyiv" else "PERSON"}
                    | ({"text": parts[i]} if with_text else {}))
    folder = tmp_path_factory.mktemp("units")
    path = _write(folder / "r.jsonl", {"text": text, "entities": ents})
    with open_project(folder / "p.db", create=True) as project:
        import_paths(project, [path], offsets=None if with_text else unit)
        assert sorted(t for t, _l in _stored(project)) == sorted(parts[i] for i in chosen)
