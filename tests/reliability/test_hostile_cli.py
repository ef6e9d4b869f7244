"""Hostile environments and arguments for the command line: full disks, read-only
projects, broken characters, impossible paths, files that vanish, absurd nesting,
a Python package passed as a pipeline, hostile search text.

Each case asserts a coded error (``Error [E…]``), exit status 1, no traceback, and
the project byte-for-byte unchanged. Commands run in a real child process
(``python -m annotator``), so the exit status and the printed text are what a user
gets. A full disk is a small tmpfs mounted for the test, and read-only places are
read-only bind mounts (or ``chattr +i``) when the tests run as root (root ignores
permission bits), permission bits otherwise; a file size limit (``RLIMIT_FSIZE``)
stands in for a full disk where nothing can be mounted.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.core.errors import AnnotatorError
from annotator.core.model import Span
from annotator.services.doclist import DocFilter, DocumentQuery
from annotator.services.importing import import_paths
from annotator.storage import open_project
from tests.reliability.environments import fill_disk, read_only_file, read_only_folder, tmpfs

ARTICLES = [{"title": f"Article {i}", "text": f"Minister Ana Ruiz visited Valdora on day {i}. " * 3}
            for i in range(6)]
#: Every case tried, by outcome, for RELIABILITY.md's figures (printed at the end of the run).
OUTCOMES: dict[str, str] = {}


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def cli(*args: str | Path, cwd: Path | None = None, limit_file_bytes: int | None = None
        ) -> subprocess.CompletedProcess:
    """Run ``python -m annotator ARGS`` in a child process."""

    def limit() -> None:  # pragma: no cover (runs in the child)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_bytes, limit_file_bytes))

    return subprocess.run([sys.executable, "-m", "annotator", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300, preexec_fn=limit if limit_file_bytes else None,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})


def refused(result: subprocess.CompletedProcess, code: str, *, case: str) -> None:
    output = result.stdout + result.stderr
    OUTCOMES[case] = "traceback" if "Traceback" in output else ("refused" if result.returncode == 1 else "other")
    assert "Traceback" not in output, output
    assert result.returncode == 1, output
    assert f"Error [{code}]" in result.stderr, output


def unchanged(project: Path, before: str) -> None:
    assert digest(project) == before
    assert not Path(f"{project}-wal").exists() or Path(f"{project}-wal").stat().st_size == 0


def make_project(folder: Path, *, done: int = 0, repeat: int = 1) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "p.db"
    with open_project(db, create=True, annotator="tester") as project:
        source = folder / "seed.jsonl"
        source.write_text("".join(json.dumps(a | {"text": a["text"] * repeat}) + "\n" for a in ARTICLES),
                          encoding="utf-8")
        import_paths(project, [source])
        source.unlink()
        for doc_id in range(1, done + 1):
            text = project.document(doc_id).text
            start = text.index("Ana Ruiz")
            project.add_span(doc_id, Span(start, start + 8, "PERSON", "entity"))
            project.set_doc_status(doc_id, "done")
    return db


@pytest.fixture
def db(tmp_path) -> Path:
    return make_project(tmp_path / "proj", done=6)


def write_jsonl(path: Path, records: list[dict] | list[str]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records), encoding="utf-8")
    return path


# -- broken characters ---------------------------------------------------------------------

SURROGATES = [
    ('{"text": "A lone surrogate in the title.", "title": "Kyiv \\ud800"}', "title"),
    ('{"text": "A lone surrogate in the meta.", "meta": {"source": "wire \\udc00"}}', "meta.source"),
    ('{"text": "A lone surrogate in a meta key.", "meta": {"\\ud83d": 1}}', "meta key"),
    ('{"text": "A lone surrogate in a top-level key.", "\\udfff": "x"}', "meta key"),
]


@pytest.mark.parametrize(("line", "field"), SURROGATES, ids=[f for _, f in SURROGATES])
def test_lone_surrogates_in_title_meta_and_keys_are_refused(tmp_path, db, line, field):
    before = digest(db)
    path = write_jsonl(tmp_path / "bad.jsonl", [json.dumps({"text": "A good article first."}), line])
    result = cli("import", path, "--project", db)
    refused(result, "E220", case=f"lone surrogate in {field}")
    assert f"bad.jsonl:2: Field '{field}'" in result.stderr
    unchanged(db, before)


def test_skip_invalid_keeps_the_records_around_lone_surrogates(tmp_path, db):
    good = [json.dumps({"text": "The first good article."}), json.dumps({"text": "The last good article."})]
    path = write_jsonl(tmp_path / "mixed.jsonl", [good[0], *(line for line, _ in SURROGATES), good[1]])
    report = tmp_path / "report.jsonl"
    result = cli("import", path, "--project", db, "--skip-invalid", "--report", report, "--json")
    assert result.returncode == 0 and "Traceback" not in result.stdout + result.stderr, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["imported"], summary["invalid"]) == (2, len(SURROGATES))
    assert [json.loads(line)["line"] for line in report.read_text(encoding="utf-8").splitlines()] == [2, 3, 4, 5]
    OUTCOMES["lone surrogates with --skip-invalid"] = "refused"


# -- impossible paths ------------------------------------------------------------------------

LONG_NAME = "n" * 256  # one byte over the usual limit of a file name


def path_cases(tmp: Path) -> list[tuple[str, list[str | Path], str]]:
    (tmp / "a-file").write_text("not a folder", encoding="utf-8")
    good = write_jsonl(tmp / "good.jsonl", [{"text": "A new article that would be imported."}])
    return [
        ("export --out below a regular file", ["export", "-f", "jsonl", "--out", tmp / "a-file" / "out"], "E903"),
        ("export spacy --out below a regular file", ["export", "-f", "spacy", "--out", tmp / "a-file" / "o"], "E903"),
        ("train --out below a regular file", ["train", "--out", tmp / "a-file" / "model"], "E903"),
        ("export --out with a 256-byte name", ["export", "-f", "jsonl", "--out", tmp / LONG_NAME], "E903"),
        ("export to a 256-byte file name", ["export", "-f", "conll", "--out", tmp / f"{LONG_NAME}.conll"], "E903"),
        ("import a 256-byte file name", ["import", tmp / f"{LONG_NAME}.jsonl"], "E903"),
        ("export --out in /proc", ["export", "-f", "jsonl", "--out", "/proc/self/annotator-out"], "E903"),
        ("import a /proc file", ["import", "/proc/self/status"], "E212"),
        ("import --report in /proc (checked before the import)",
         ["import", good, "--skip-invalid", "--report", "/proc/self/report.jsonl"], "E903"),
        ("import --report below a regular file (checked before the import)",
         ["import", good, "--skip-invalid", "--report", tmp / "a-file" / "report.jsonl"], "E903"),
        ("import --report with a 256-byte name (checked before the import)",
         ["import", good, "--skip-invalid", "--report", tmp / LONG_NAME], "E903"),
    ]


def test_impossible_paths_are_refused_before_anything_changes(tmp_path, db):
    before = digest(db)
    for case, args, code in path_cases(tmp_path):
        result = cli(*args, "--project", db)
        refused(result, code, case=case)
        unchanged(db, before)
    assert not list(tmp_path.glob("**/.*.part"))


def test_a_project_path_that_cannot_exist_is_refused(tmp_path):
    for case, project, code in [("project with a 256-byte name", tmp_path / f"{LONG_NAME}.db", "E903"),
                                ("project in /proc", Path("/proc/self/annotator.db"), "E004"),
                                ("project below a regular file", tmp_path / "a-file" / "p.db", "E903")]:
        (tmp_path / "a-file").write_text("x", encoding="utf-8")
        good = write_jsonl(tmp_path / "good.jsonl", [{"text": "An article."}])
        refused(cli("import", good, "--project", project), code, case=case)


def test_a_file_deleted_during_import_imports_nothing_of_it(tmp_path, project):
    folder = tmp_path / "batch"
    folder.mkdir()
    first = write_jsonl(folder / "a.jsonl", [{"text": "The first file's article."}])
    second = write_jsonl(folder / "b.jsonl", [{"text": "The second file's article."}])
    third = write_jsonl(folder / "c.jsonl", [{"text": "The third file's article."}])

    def delete_the_next(done: int, total: int, path: str) -> None:
        if path == str(first):
            second.unlink()  # gone between listing the folder and reading it

    with pytest.raises(AnnotatorError) as info:
        import_paths(project, [folder], progress=delete_the_next)
    assert info.value.code == "E904" and info.value.path == str(second)
    assert [d.text for d in project.iter_documents()] == ["The first file's article."]
    # With --skip-invalid the other files go on, and the report says which one vanished.
    second.write_text(json.dumps({"text": "The second file's article."}) + "\n", encoding="utf-8")
    summary = import_paths(project, [folder], skip_invalid=True, report_path=tmp_path / "r.jsonl",
                           progress=delete_the_next)
    assert summary.invalid == 1 and summary.errors[0].code == "E904"
    assert sorted(d.text for d in project.iter_documents()) == [
        "The first file's article.", "The third file's article."]
    assert third.exists()
    OUTCOMES["a file deleted during import"] = "refused"


# -- absurd nesting, a package that is not a pipeline ----------------------------------------


@pytest.mark.parametrize("kind", ["json", "toml"])
def test_labels_nested_5000_deep_are_refused(tmp_path, db, kind):
    before = digest(db)
    labels = tmp_path / f"labels.{kind}"
    deep = "[" * 5000 + "]" * 5000
    labels.write_text(deep if kind == "json" else f"entity = {deep}\n", encoding="utf-8")
    refused(cli("init", "--project", db, "--labels", labels), "E103", case=f"init --labels {kind} nested 5,000 deep")
    unchanged(db, before)
    refused(cli("init", "--project", tmp_path / "new.db", "--labels", labels), "E103",
            case=f"init --labels {kind} nested 5,000 deep, new project")
    assert not (tmp_path / "new.db").exists()


def test_an_installed_package_that_is_not_a_pipeline_is_refused_without_importing_it(db):
    before = digest(db)
    for command in (["suggest", "--model", "pip"], ["config", "--model", "pip"]):
        refused(cli(*command, "--project", db), "E303", case=f"{command[0]} --model pip")
        unchanged(db, before)
    probe = ("import sys\nfrom annotator.nlp.pipelines import load_pipeline\nfrom annotator.core.errors import "
             "AnnotatorError\ntry:\n    load_pipeline('pip')\nexcept AnnotatorError as exc:\n    print(exc.code)\n"
             "print('pip' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["E303", "False"]


# -- hostile search text ---------------------------------------------------------------------


@pytest.mark.parametrize("text", ["(" * 300 + "Valdora" + ")" * 300, "(Valdora OR " * 300 + "Ruiz" + ")" * 300,
                                  "Valdora\x00", "\x00", "Ana \x00 Ruiz"],
                         ids=["300 nested parentheses", "300 nested ORs", "NUL after a word", "NUL alone",
                              "NUL between words"])
def test_hostile_search_text_is_e501(db, text):
    before = digest(db)
    with open_project(db) as project:
        with pytest.raises(AnnotatorError) as info:
            DocumentQuery(project, filter=DocFilter(search=text)).count()
        # The deepest nesting allowed still runs through FTS5.
        allowed = "(Valdora OR " * 32 + "Ruiz" + ")" * 32
        assert DocumentQuery(project, filter=DocFilter(search=allowed)).count() == len(ARTICLES)
    assert info.value.code == "E501"
    OUTCOMES[f"search {text[:12]!r}…"] = "refused"
    unchanged(db, before)


# -- read-only projects ------------------------------------------------------------------------

#: Commands that write the project: refused with E902. Commands that only read it
#: (stats, export) may work on a read-only file; where they cannot, E902 too.
WRITERS = [["import", "{good}"], ["config", "--model", "rules"], ["suggest", "--model", "rules"]]
READERS = [["stats"], ["export", "-f", "jsonl", "--out", "{out}"]]


@pytest.mark.parametrize("where", ["folder", "file"])
def test_a_read_only_project_is_refused_as_read_only_not_damaged(tmp_path, where):
    db = make_project(tmp_path / "proj", done=2)
    good = write_jsonl(tmp_path / "good.jsonl", [{"text": "A new article."}])
    before = digest(db)
    guard = read_only_folder(db.parent) if where == "folder" else read_only_file(db)
    with guard:
        for command in WRITERS + READERS:
            args = [a.format(good=good, out=tmp_path / "out") for a in command]
            result = cli(*args, "--project", db)
            case = f"{command[0]} on a project in a read-only {where}"
            if command in READERS and result.returncode == 0:
                OUTCOMES[case] = "worked"
            else:
                refused(result, "E902", case=case)
            assert "E006" not in result.stderr and "damaged" not in result.stderr
    unchanged(db, before)


def test_export_into_a_read_only_folder_is_e902(tmp_path, db):
    out = tmp_path / "shared"
    out.mkdir()
    before = digest(db)
    with read_only_folder(out):
        refused(cli("export", "-f", "jsonl", "--out", out, "--project", db), "E902",
                case="export into a read-only folder")
    assert list(out.iterdir()) == []
    unchanged(db, before)


# -- full disks -----------------------------------------------------------------------------


def test_import_onto_a_full_disk_is_e901_and_keeps_the_project(tmp_path):
    with tmpfs(tmp_path / "disk", "2m") as disk:
        db = make_project(disk, done=1)
        before = digest(db)
        big = write_jsonl(tmp_path / "big.jsonl", [{"text": f"Article {i}. " + "Words on words. " * 400}
                                                   for i in range(400)])
        ballast = fill_disk(disk)
        ballast.write_bytes(b"\0" * (ballast.stat().st_size - 64 * 1024))  # room to open, not to import
        result = cli("import", big, "--project", db)
        refused(result, "E901", case="import onto a full disk")
        assert "please report" not in result.stderr.lower()
        ballast.unlink()
        with open_project(db) as project:
            assert project.document_count() == len(ARTICLES)
            assert project.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        unchanged(db, before)


def test_export_onto_a_full_disk_is_e901_and_leaves_no_part_file(tmp_path, db):
    before = digest(db)
    with tmpfs(tmp_path / "disk", "1m") as disk:
        fill_disk(disk)
        result = cli("export", "-f", "jsonl", "--out", disk / "out", "--project", db)
        refused(result, "E901", case="export onto a full disk")
        assert not list(disk.glob("**/*.part")) and not list(disk.glob("**/.*.part"))
    unchanged(db, before)


def test_export_over_a_file_size_limit_is_e901_and_leaves_no_part_file(tmp_path):
    """Works without root: the child process may write files of 64 KB at most
    (room for the project's -shm file, not for the export)."""
    db = make_project(tmp_path / "proj", done=6, repeat=40)
    before = digest(db)
    out = tmp_path / "out"
    result = cli("export", "-f", "prodigy", "--out", out, "--project", db, limit_file_bytes=64 * 1024)
    refused(result, "E901", case="export over a file size limit")
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]
    assert not (out / "prodigy.jsonl").exists()
    unchanged(db, before)


def test_a_decision_on_a_full_disk_is_e901_and_the_retry_saves_it(tmp_path):
    with tmpfs(tmp_path / "disk", "2m") as disk:
        db = make_project(disk)
        with open_project(db, annotator="ana") as project:
            ballast = fill_disk(disk)
            span = None
            with pytest.raises(AnnotatorError) as info:
                # Decisions until the disk refuses one (the WAL may still have room for a few).
                for _ in range(10_000):
                    span = project.add_span(1, Span(0, 8, "PERSON", "entity"))
            assert info.value.code == "E901" and "please report" not in str(info.value).lower()
            saved = len(project.spans(1))
            ballast.unlink()
            retried = project.add_span(1, Span(0, 8, "PERSON", "entity"))
            assert len(project.spans(1)) == saved + 1 and retried.id != (span.id if span else None)
            assert project.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    OUTCOMES["a decision on a full disk"] = "refused"


def test_zz_print_the_figures():
    """Prints cases tried / refused cleanly / tracebacks for RELIABILITY.md (run with -s)."""
    tried = len(OUTCOMES)
    clean = sum(1 for v in OUTCOMES.values() if v in ("refused", "worked"))
    tracebacks = sum(1 for v in OUTCOMES.values() if v == "traceback")
    print(f"\nhostile CLI cases: tried {tried}, refused cleanly {clean}, tracebacks {tracebacks}")
    assert tracebacks == 0
