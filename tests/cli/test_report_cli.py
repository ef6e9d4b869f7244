"""``annotator report``: one self-contained HTML file, or the raw numbers as JSON."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner

from annotator.cli import cli
from annotator.core.model import SpanDraft
from annotator.core.text import text_hash
from annotator.services.session import AnnotationSession
from annotator.storage import open_project
from annotator.storage.project import NewDocument

TEXT = "Macron said on Monday that France was not ruling out sending troops to Ukraine."
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def worked_project(project_path, blank_nlp):
    with open_project(project_path, create=True, annotator="ana") as project:
        (doc,), _ = project.add_documents([NewDocument(text=TEXT, title="T", text_hash=text_hash(TEXT))])
        project.store_suggestions(doc, "en_core_web_sm 3.8.0", [
            SpanDraft(0, 6, "PERSON"), SpanDraft(27, 33, "GPE"), SpanDraft(71, 78, "GPE")])
        s = AnnotationSession(project, nlp=blank_nlp)
        s.load(doc)
        spans = s.spans()
        s.run(s.accept(spans[0]))
        s.run(s.reject(spans[1]))
        s.run(s.relabel("LOC", spans[2]))
        s.run(s.set_doc_status("done"))
    return project_path


class _Refs(HTMLParser):
    """Every attribute value and inline style an HTML parser sees."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(k, v or "") for k, v in attrs]
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def test_report_is_one_offline_html_file(worked_project, tmp_path):
    out = tmp_path / "report.html"
    result = CliRunner().invoke(cli, ["report", "--project", str(worked_project), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    # Well-formed (it parses as XML too), and an HTML parser sees the same structure.
    root = ET.fromstring(text.split("\n", 1)[1])
    svgs = root.findall(f".//{SVG}svg")
    sections = root.findall(".//{http://www.w3.org/1999/xhtml}section")
    assert len(svgs) == len(sections) == 9
    refs = _Refs()
    refs.feed(text)
    assert refs.tags.count("svg") == 9 and "script" not in refs.tags and "img" not in refs.tags
    # Nothing to load: no attribute points at the network (namespace names are not
    # fetched), no CSS url() or @import, every internal reference is a fragment.
    loading = [(k, v) for k, v in refs.attrs if k in ("src", "href", "xlink:href", "srcset", "data", "poster")]
    assert all(v.startswith("#") for _, v in loading), loading
    assert not any(re.search(r"url\(\s*['\"]?(https?:|//)|@import", s) for s in refs.styles)
    assert not re.search(r"(src|href)\s*=\s*['\"]?\s*(https?:)?//", text)
    for svg in svgs:  # every plot has its text as text, and clip paths of its own
        assert svg.findall(f".//{SVG}text")
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert len(ids) == len(set(ids))
    # The figures are in it: the page shows what was decided.
    assert "1 of 1 done" in text
    assert "en_core_web_sm 3.8.0" in text


def test_report_json_has_the_raw_numbers(worked_project, tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["report", "--project", str(worked_project), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["quality"]["by_origin"]["en_core_web_sm 3.8.0"] == {
        "accepted": 1, "corrected": 1, "rejected": 1, "kind": "model"}
    assert data["labels"] == {"entity": {"PERSON": 1, "LOC": 1}}
    assert data["progress"]["done_any"] == 1
    out = tmp_path / "numbers.json"
    result = runner.invoke(cli, ["report", "--project", str(worked_project), "--json", "--out", str(out)])
    assert result.exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["quality"] == data["quality"]


def test_dark_report_and_empty_project(project_path, tmp_path):
    open_project(project_path, create=True).close()
    out = tmp_path / "dark.html"
    result = CliRunner().invoke(cli, ["report", "-p", str(project_path), "--out", str(out), "--theme", "dark"])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    ET.fromstring(text.split("\n", 1)[1])
    assert "No article is marked done yet." in text
    assert "background: #1e1f22" in text and "color-scheme: dark" in text


@pytest.mark.parametrize("where", ["folder", "missing-dir"])
def test_report_refuses_a_bad_out_path_with_a_coded_error(worked_project, tmp_path, where):
    out = tmp_path if where == "folder" else tmp_path / "nope" / "report.html"
    result = CliRunner().invoke(cli, ["report", "-p", str(worked_project), "--out", str(out)])
    assert result.exit_code == 1
    assert "Error [E801]" in result.output and "Traceback" not in result.output
    assert list(tmp_path.glob("*.part")) == []


def test_report_of_a_missing_project_is_a_coded_error(tmp_path):
    result = CliRunner().invoke(cli, ["report", "-p", str(tmp_path / "none.db"), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 1 and "Error [E213]" in result.output
    assert not (tmp_path / "none.db").exists()


def test_report_shows_agreement_of_a_merged_project(project_path, tmp_path):
    from tests.services.team_data import TROOPS, add_doc, annotate

    with open_project(project_path, create=True) as project:
        doc = add_doc(project)
        annotate(project, doc, "ana", [("Paris", "GPE"), ("Berlin", "ORG")], [(0, TROOPS, "FAVOR")])
        annotate(project, doc, "ben", [("Paris", "GPE"), ("Berlin", "GPE")], [(0, TROOPS, "FAVOR")])
    out = tmp_path / "team.html"
    result = CliRunner().invoke(cli, ["report", "-p", str(project_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    section = out.read_text(encoding="utf-8").split('<section id="agreement">')[1].split("</section>")[0]
    # GPE: Paris matches, Berlin does not: 2*1 / (1 + 2).
    assert "<td>entity</td><td>GPE</td><td>0.67</td>" in section
    assert "Agreement needs" not in section


def test_report_never_imports_qt(worked_project, tmp_path):
    import subprocess
    import sys

    code = ("import sys\nfrom click.testing import CliRunner\nfrom annotator.cli import cli\n"
            f"r = CliRunner().invoke(cli, ['report', '-p', {str(worked_project)!r}, '--out', {str(tmp_path / 'r.html')!r}])\n"
            "assert r.exit_code == 0, r.output\n"
            "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'matplotlib.backends.backend_qt'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    assert (tmp_path / "r.html").stat().st_size > 10_000
