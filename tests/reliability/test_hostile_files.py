"""Hostile inputs, generated here: each one either imports correctly or is refused
with a coded error naming the file (and line), the process never crashes, memory
stays bounded, and a refused file leaves the project exactly as it was."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap

import pytest

from annotator.core.errors import AnnotatorError
from annotator.services.importing import import_paths
from annotator.storage import open_project

GOOD = json.dumps({"text": "Kaja Kallas visited Kyiv on Monday."})


def _project_state(project):
    rows = project.conn.execute("SELECT id, text_hash FROM documents ORDER BY id").fetchall()
    spans = project.conn.execute('SELECT id, start, "end", label, status FROM spans ORDER BY id').fetchall()
    return hashlib.sha256(repr((rows, spans)).encode()).hexdigest()


REFUSED = {
    "invalid-utf8.txt": (b"Caf\xc3 au lait in Kyiv\n", "E201"),
    "binary.txt": (bytes(range(256)) * 8, "E202"),
    "empty.txt": (b"", "E203"),
    "whitespace.md": (b"  \n\t\n", "E203"),
    "nul-bytes.jsonl": (GOOD.encode() + b"\n" + b'{"text": "Kyiv\x00"}\n', "E202"),
    "deep.jsonl": (b"[" * 100000 + b"]" * 100000 + b"\n", "E219"),
    "deep-object.jsonl": (b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"\n", "E219"),
    "surrogate.jsonl": (b'{"text": "Kyiv \\udc00 report"}\n', "E220"),
    "out-of-bounds.jsonl": (json.dumps({"text": "Kyiv", "entities": [{"start": 0, "end": 40, "label": "GPE"}]}).encode(), "E206"),
    "negative.jsonl": (json.dumps({"text": "Kyiv", "entities": [{"start": -2, "end": 3, "label": "GPE"}]}).encode(), "E206"),
    "float-offsets.jsonl": (json.dumps({"text": "Kyiv", "entities": [{"start": 0.0, "end": 4, "label": "GPE"}]}).encode(), "E208"),
    "bool-offsets.jsonl": (json.dumps({"text": "Kyiv", "entities": [{"start": False, "end": 4, "label": "GPE"}]}).encode(), "E208"),
    "string-entities.jsonl": (json.dumps({"text": "Kyiv", "entities": "Kyiv"}).encode(), "E220"),
    "null-text.jsonl": (json.dumps({"text": None}).encode(), "E205"),
    "number.jsonl": (b"42\n", "E210"),
    "ragged.csv": (b"text,source\nKyiv news,afp\nOdesa news,afp,extra\n", "E218"),
    "no-text-column.csv": (b"body\nKyiv\n", "E211"),
    "not-an-article.exe": (b"MZ\x90\x00", "E212"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_hostile_file_is_refused_with_a_code_and_the_project_is_unchanged(tmp_path, project, name):
    content, code = REFUSED[name]
    import_paths(project, [_write(tmp_path / "ok.jsonl", GOOD.encode() + b"\n")])
    before = _project_state(project)
    path = _write(tmp_path / name, content)
    with pytest.raises(AnnotatorError) as err:
        import_paths(project, [path])
    assert err.value.code == code
    assert str(path) in str(err.value)
    assert _project_state(project) == before


ACCEPTED = {
    "utf16-no-bom.txt": "Київ talks\nLeaders met in Kyiv.".encode("utf-16-le"),
    "utf16-be-no-bom.txt": "Kyiv talks\nLeaders met in Kyiv.".encode("utf-16-be"),
    "right-to-left.txt": "مؤتمر في كييف\nالتقى القادة في كييف يوم الاثنين. שלום".encode(),
    "combining.txt": "Cafe\u0301 talks in Kyiv\nZoe\u0308 met Noe\u0308l.".encode(),
    "overlapping.jsonl": json.dumps({"text": "Mayor Ana Ruiz spoke.", "entities": [
        {"start": 0, "end": 14, "label": "PERSON"}, {"start": 6, "end": 14, "label": "PERSON"}]}).encode(),
    "emoji.jsonl": json.dumps({"text": "🇺🇦 Kyiv 😀 update", "entities": [
        {"start": 3, "end": 7, "label": "GPE", "text": "Kyiv"}]}, ensure_ascii=False).encode(),
    "crlf.csv": b"title,text\r\nOne,\"Kyiv\r\nreport\"\r\n",
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_unusual_but_valid_file_imports_correctly(tmp_path, project, name):
    summary = import_paths(project, [_write(tmp_path / name, ACCEPTED[name])])
    assert summary.imported == 1
    (doc_id,) = [r[0] for r in project.conn.execute("SELECT id FROM documents")]
    doc = project.document(doc_id)
    assert "\r" not in doc.text and "\x00" not in doc.text
    for span in project.spans(doc_id):
        assert doc.text[span.start:span.end].strip()


def test_single_50mb_article_is_refused_without_reading_it(tmp_path, project):
    path = tmp_path / "huge.txt"
    with path.open("wb") as fh:
        fh.write(b"Huge report\n")
        fh.truncate(50 * 1024 * 1024)
    with pytest.raises(AnnotatorError) as err:
        import_paths(project, [path])
    assert err.value.code == "E217" and str(path) in str(err.value)
    assert project.document_count() == 0


def test_100mb_jsonl_line_streams_with_bounded_memory(tmp_path):
    """The oversized line is skipped in chunks: peak Python memory stays far below
    its size, and the good lines around it import with --skip-invalid."""
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        fh.write(GOOD + "\n")
        fh.write('{"text": "')
        chunk = "Kyiv " * 200_000
        for _ in range(100):
            fh.write(chunk)
        fh.write('"}\n')
        fh.write(json.dumps({"text": "Odesa port reopened."}) + "\n")
    probe = textwrap.dedent(f"""
        import tracemalloc
        from annotator.storage import open_project
        from annotator.services.importing import import_paths
        tracemalloc.start()
        with open_project({str(tmp_path / 'p.db')!r}, create=True) as project:
            summary = import_paths(project, [{str(path)!r}], skip_invalid=True,
                                   report_path={str(tmp_path / 'r.jsonl')!r})
        peak = tracemalloc.get_traced_memory()[1]
        print(summary.imported, summary.invalid, summary.errors[0].code, summary.errors[0].line, peak)
    """)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    imported, invalid, code, line, peak = out.stdout.split()
    assert (imported, invalid, code, line) == ("2", "1", "E217", "2")
    assert int(peak) < 40 * 1024 * 1024, f"peak Python memory {int(peak) / 2**20:.0f} MiB for a 100 MB line"


def test_refused_file_among_good_ones_keeps_the_earlier_files(tmp_path, project_path):
    folder = tmp_path / "in"
    folder.mkdir()
    _write(folder / "a.txt", b"Kyiv report\nText.\n")
    _write(folder / "b.jsonl", GOOD.encode() + b"\n{oops\n")
    with open_project(project_path, create=True) as project:
        with pytest.raises(AnnotatorError) as err:
            import_paths(project, [folder])
        assert err.value.line == 2
        assert [r[0] for r in project.conn.execute("SELECT title FROM documents")] == ["Kyiv report"]


def _write(path, content: bytes):
    path.write_bytes(content)
    return path
