"""Import of every supported format, and a coded error for each class of bad input."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.core.errors import AnnotatorError
from annotator.services.importing import import_paths

TEXT = "Emmanuel Macron said France would not rule out sending troops to Ukraine."


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def stored(project):
    rows = project.conn.execute(
        'SELECT d.text, s.start, s."end", s.label, s.layer, s.status, s.origin FROM spans s JOIN documents d ON d.id = s.doc_id'
        ' ORDER BY s.start'
    ).fetchall()
    return [(text[start:end], label, layer, status, origin) for text, start, end, label, layer, status, origin in rows]


def test_text_and_markdown_files(tmp_path, project):
    (tmp_path / "a.txt").write_text("Paris talks\nMacron met Tusk.\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("# Warsaw summit\r\nLeaders met in Warsaw.\r\n", encoding="utf-8")
    summary = import_paths(project, [tmp_path])
    assert (summary.imported, summary.files) == (2, 2)
    titles = sorted(r[0] for r in project.conn.execute("SELECT title FROM documents"))
    assert titles == ["Paris talks", "Warsaw summit"]
    texts = [r[0] for r in project.conn.execute("SELECT text FROM documents")]
    assert all("\r" not in t for t in texts)


def test_our_jsonl_with_entities_stances_and_holder(tmp_path, project):
    record = {
        "title": "Troops", "text": TEXT, "status": "done", "meta": {"source": "wire"},
        "entities": [{"start": 0, "end": 15, "label": "PERSON", "text": "Emmanuel Macron"},
                     {"start": 21, "end": 27, "label": "GPE", "text": "France"}],
        "stances": [{"start": 0, "end": len(TEXT), "label": "FAVOR", "target": "Western troops in Ukraine",
                     "holder": {"start": 0, "end": 15}}],
    }
    summary = import_paths(project, [write_jsonl(tmp_path / "a.jsonl", [record])])
    assert summary.imported == 1 and summary.spans == 3
    (doc_id,) = [r[0] for r in project.conn.execute("SELECT id FROM documents")]
    assert project.doc_status(doc_id) == "done"
    stance = project.spans(doc_id, layer="stance")[0]
    holder = project.span(stance.holder_span_id)
    assert (holder.start, holder.end, holder.label) == (0, 15, "PERSON")
    assert stance.target == "Western troops in Ukraine" and stance.origin == "import"
    assert project.document(doc_id).meta["source"] == "wire"


def test_prodigy_and_doccano_records(tmp_path, project):
    prodigy = {"text": TEXT, "spans": [{"start": 0, "end": 15, "label": "PERSON", "token_start": 0, "token_end": 1}],
               "answer": "accept", "_input_hash": 1, "_task_hash": 2}
    doccano = {"text": "Olaf Scholz spoke in Berlin.", "label": [[0, 11, "PERSON"], [21, 27, "GPE"]], "id": 7}
    doccano_rel = {"text": "Keir Starmer visited Paris.", "entities": [
        {"id": 1, "start_offset": 0, "end_offset": 12, "label": "PERSON"}], "relations": []}
    import_paths(project, [write_jsonl(tmp_path / "mixed.jsonl", [prodigy, doccano, doccano_rel])])
    assert sorted(s[:2] for s in stored(project)) == [
        ("Berlin", "GPE"), ("Emmanuel Macron", "PERSON"), ("Keir Starmer", "PERSON"), ("Olaf Scholz", "PERSON")]
    # Prodigy's answer "accept" marks the article done, and so do annotated doccano records.
    assert len(project.done_doc_ids()) == 3


def test_model_labels_are_mapped_by_the_scheme(tmp_path, project):
    record = {"text": "The Elysee Palace is in Paris.", "spans": [{"start": 4, "end": 17, "label": "FAC"}]}
    import_paths(project, [write_jsonl(tmp_path / "fac.jsonl", [record])])
    assert stored(project)[0][:2] == ("Elysee Palace", "LOC")


def test_crlf_offsets_are_moved_with_the_text(tmp_path, project):
    text = "Headline\r\nKaja Kallas spoke.\r\nThen Donald Tusk."
    start = text.index("Donald Tusk")
    record = {"text": text, "entities": [{"start": start, "end": start + 11, "label": "PERSON", "text": "Donald Tusk"}]}
    import_paths(project, [write_jsonl(tmp_path / "crlf.jsonl", [record])])
    assert stored(project)[0][:2] == ("Donald Tusk", "PERSON")


def test_csv_with_text_column(tmp_path, project):
    path = tmp_path / "wire.csv"
    path.write_text('title,text,source\nOne,"Macron, in Paris, spoke.",afp\nTwo,Tusk spoke.,pap\n', encoding="utf-8")
    summary = import_paths(project, [path])
    assert summary.imported == 2
    metas = sorted(json.loads(r[0])["source"] for r in project.conn.execute("SELECT meta FROM documents"))
    assert metas == ["afp", "pap"]


def test_encodings_utf16_bom_and_declared_latin1(tmp_path, project):
    (tmp_path / "u16.txt").write_bytes("Zürich talks\nA Zürich meeting.".encode("utf-16"))
    (tmp_path / "l1.txt").write_bytes("Genève talks\nA Genève meeting.".encode("latin-1"))
    import_paths(project, [tmp_path / "u16.txt"])
    with pytest.raises(AnnotatorError) as err:
        import_paths(project, [tmp_path / "l1.txt"])
    assert err.value.code == "E201" and "l1.txt" in str(err.value)
    import_paths(project, [tmp_path / "l1.txt"], encoding="latin-1")
    titles = sorted(r[0] for r in project.conn.execute("SELECT title FROM documents"))
    assert titles == ["Genève talks", "Zürich talks"]


def test_reimport_adds_nothing(tmp_path, project):
    (tmp_path / "a.txt").write_text("Paris talks\nMacron met Tusk.\n", encoding="utf-8")
    import_paths(project, [tmp_path])
    again = import_paths(project, [tmp_path])
    assert (again.imported, again.duplicates) == (0, 1)


BAD_RECORDS = [
    ("not json", "E204"),
    (json.dumps({"title": "no text"}), "E205"),
    (json.dumps({"text": TEXT, "entities": [{"start": 0, "end": 500, "label": "PERSON"}]}), "E206"),
    (json.dumps({"text": TEXT, "entities": [{"start": 5, "end": 5, "label": "PERSON"}]}), "E207"),
    (json.dumps({"text": TEXT, "entities": [{"start": "0", "end": 15, "label": "PERSON"}]}), "E208"),
    (json.dumps({"text": TEXT, "entities": [{"start": 0, "end": 15, "label": "PERSON", "text": "Emmanuel Macro"}]}), "E209"),
    (json.dumps([1, 2]), "E210"),
    (json.dumps({"text": TEXT, "entities": [{"start": 0, "end": 15, "label": "WIZARD"}]}), "E214"),
    (json.dumps({"text": TEXT, "stances": [{"start": 0, "end": 15, "label": "FAVOR", "target": "Moon landing"}]}), "E215"),
    (json.dumps({"text": TEXT, "stances": [{"start": 0, "end": 15, "label": "FAVOR", "target": "Sanctions on Russia",
                                             "holder": {"start": 0, "end": 8}}]}), "E216"),
    ('{"text": "lone \\ud800 surrogate"}', "E220"),
    ("[" * 5000 + "]" * 5000, "E219"),
]


@pytest.mark.parametrize(("bad_line", "code"), BAD_RECORDS)
def test_bad_jsonl_line_imports_nothing_and_names_file_and_line(tmp_path, project, bad_line, code):
    path = tmp_path / "news.jsonl"
    good = json.dumps({"text": "Kaja Kallas visited Kyiv."})
    path.write_text(good + "\n" + good.replace("Kyiv", "Odesa") + "\n" + bad_line + "\n", encoding="utf-8")
    with pytest.raises(AnnotatorError) as err:
        import_paths(project, [path])
    assert err.value.code == code
    assert err.value.path == str(path) and err.value.line == 3
    assert f"{path}:3" in str(err.value)
    assert project.document_count() == 0


def test_skip_invalid_imports_good_lines_and_reports_bad_ones(tmp_path, project):
    path = tmp_path / "news.jsonl"
    path.write_text(json.dumps({"text": "Kaja Kallas visited Kyiv."}) + "\n{broken\n"
                    + json.dumps({"text": "Tusk met Macron."}) + "\n", encoding="utf-8")
    report = tmp_path / "report.jsonl"
    summary = import_paths(project, [path], skip_invalid=True, report_path=report)
    assert (summary.imported, summary.invalid) == (2, 1)
    rows = [json.loads(line) for line in report.read_text().splitlines()]
    assert rows == [{"code": "E204", "path": str(path), "line": 2, "message": rows[0]["message"]}]


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("bad.txt", b"Caf\xe9 \xff\xfe talks\n", "E201"),
        ("bin.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "E202"),
        ("empty.txt", b"", "E203"),
        ("blank.jsonl", b"\n\n", "E203"),
        ("ragged.csv", b"text,source\nfine,afp\ntoo,many,fields\n", "E218"),
        ("notext.csv", b"body,source\nx,y\n", "E211"),
        ("data.xml", b"<a/>", "E212"),
    ],
)
def test_bad_files_get_coded_errors(tmp_path, project, name, content, code):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(AnnotatorError) as err:
        import_paths(project, [path])
    assert err.value.code == code and str(path) in str(err.value)
    assert project.document_count() == 0


def test_utf16_without_bom_is_detected(tmp_path, project):
    path = tmp_path / "nobom.txt"
    path.write_bytes("Kyiv talks\nLeaders met in Kyiv.".encode("utf-16-le"))
    import_paths(project, [path])
    assert project.conn.execute("SELECT title FROM documents").fetchone()[0] == "Kyiv talks"


def test_oversized_record_is_refused_without_reading_it_whole(tmp_path, project):
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"text": "x" * 5000}) + "\n", encoding="utf-8")
    with pytest.raises(AnnotatorError) as err:
        import_paths(project, [path], max_record_bytes=1000)
    assert err.value.code == "E217" and err.value.line == 1


_pieces = st.sampled_from(["Kyiv", "Macron", " ", "\r\n", "\n", "\t", "\u00a0", "😀", "🇺🇦", "e\u0301", "Ж", "."])


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(parts=st.lists(_pieces, min_size=1, max_size=30), data=st.data())
def test_import_keeps_every_span_on_its_text(tmp_path_factory, parts, data):
    """Random texts with emoji, CRLF and odd whitespace: after newline normalisation
    every imported span still covers the characters it covered in the file."""
    from annotator.storage import open_project

    text = "".join(parts)
    if not text.strip():
        text = "Kyiv " + text
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    folder = tmp_path_factory.mktemp("prop")
    path = write_jsonl(folder / "p.jsonl", [{"text": text, "entities": [
        {"start": start, "end": end, "label": "GPE", "text": text[start:end]}]}])
    with open_project(folder / "p.db", create=True) as project:
        import_paths(project, [path])
        (span_text, *_rest), = stored(project)
    assert span_text == text[start:end].replace("\r\n", "\n").replace("\r", "\n")


def test_brackets_inside_text_are_not_nesting(tmp_path, project):
    """Only real JSON structure counts toward the depth limit, not brackets in strings."""
    text = "Quoted list: " + "[{" * 100 + ' with an escaped \\" quote ' + "}]" * 100
    summary = import_paths(project, [write_jsonl(tmp_path / "brackets.jsonl", [{"text": text}])])
    assert summary.imported == 1
    assert project.conn.execute("SELECT text FROM documents").fetchone()[0] == text
