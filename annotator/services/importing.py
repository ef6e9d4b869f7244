"""Import: files and folders of articles into a project.

Each file is all-or-nothing: a file with any bad record imports nothing, unless
``skip_invalid`` is set, in which case the good records are imported and the bad
ones are written, with their reasons, to a report file.

A file is nevertheless committed in small batches, each holding the write lock
for a few tens of milliseconds, so that a decision in a window never waits long
behind an import. The batches belong to an import run (see
``Project.begin_import``) until the file is complete; a file that fails, is
cancelled, vanishes or whose process is killed is undone from the run's record.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from annotator.core.errors import AnnotatorError, Errors, os_error
from annotator.core.text import text_hash
from annotator.formats.readers import MAX_RECORD_BYTES, READERS, detect_format, iter_files
from annotator.formats.records import Record
from annotator.storage import NewDocument, Project, touches_open_project

Progress = Callable[[int, int, str], None]

#: The origin of suggestions that came in a file (Label Studio predictions).
SUGGESTER_IMPORT = "import:predictions"

#: How long one batch may hold the project's write lock: the batch size adapts
#: so that a decision waiting behind an import waits about this long at most.
BATCH_LOCK_SECONDS = 0.04
FIRST_BATCH = 32
MIN_BATCH = 8
MAX_BATCH = 2000
#: How many batches back the batch size looks for the slowest cost per article.
SIZE_MEMORY = 4
#: How long the write lock stays free between two batches at least: a writer
#: waiting for it tries every millisecond (``lock_poll_pause`` in storage).
BATCH_GAP_SECONDS = 0.002


@dataclass
class ImportSummary:
    files: int = 0
    imported: int = 0
    duplicates: int = 0
    invalid: int = 0
    spans: int = 0
    errors: list[AnnotatorError] = field(default_factory=list)
    report_path: Path | None = None
    doc_ids: list[int] = field(default_factory=list)
    #: Records read per offset unit, and how many of them had the unit detected from span texts.
    units: dict[str, int] = field(default_factory=dict)
    units_detected: int = 0
    #: Spans whose offsets were converted to different code-point offsets.
    moved: int = 0
    #: Exact duplicate spans merged into one.
    merged_duplicates: int = 0
    #: Spans added to articles already in the project (same text, e.g. Prodigy's stance file).
    merged_into_existing: int = 0
    #: Relations other than stance holders, kept in the articles' meta.
    relations_in_meta: int = 0
    #: Files by the format they were read as.
    formats: dict[str, int] = field(default_factory=dict)
    #: A model's spans that came with the records (Label Studio predictions), stored as suggestions.
    suggestions: int = 0

    def to_dict(self) -> dict[str, object]:
        return {"files": self.files, "imported": self.imported, "duplicates": self.duplicates,
                "invalid": self.invalid, "spans": self.spans, "formats": self.formats,
                "offsets": {"units": self.units, "detected": self.units_detected, "moved": self.moved},
                "merged_duplicate_spans": self.merged_duplicates, "merged_into_existing": self.merged_into_existing,
                "relations_in_meta": self.relations_in_meta, "suggestions": self.suggestions,
                "report": str(self.report_path) if self.report_path else None,
                "errors": [e.to_dict() for e in self.errors]}


class ImportCancelled(Exception):
    pass


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # gone already: reading it says so (E904)


def _default_report_path(project: Project) -> Path:
    base = project.path if project.path else Path("project.db")
    return base.with_name(base.stem + ".import-report.jsonl")


def _check_report_path(path: Path, *, action: str) -> None:
    """Make sure ``path`` can be written before anything is imported, so a bad
    place (a read-only folder, a name too long, /proc) is refused while the project
    is still unchanged. A file made only to try is removed again."""
    existed = path.exists()
    try:
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise os_error(exc, action=action, path=path) from None
    if not existed:
        path.unlink(missing_ok=True)


@contextmanager
def _vanished(path: Path, skip_invalid: bool, summary: ImportSummary, report_rows: list[dict[str, object]]
              ) -> Iterator[None]:
    """A file deleted (or moved) while the import reads it: E904, and nothing of it
    is imported (its transaction is rolled back); with ``skip_invalid`` the other
    files go on and the report lists it."""
    try:
        yield
    except FileNotFoundError as exc:
        error = AnnotatorError(Errors.E904, path=path, action="import the file", reason=exc.strerror or "gone")
        if not skip_invalid:
            raise error from None
        summary.invalid += 1
        summary.errors.append(error)
        report_rows.append(error.to_dict())


def _new_document(record: Record) -> NewDocument:
    meta = dict(record.meta)
    if record.path and "source" not in meta:
        meta["source"] = record.path
    return NewDocument(text=record.text, title=record.title, text_hash=text_hash(record.text),
                       source=record.path, meta=meta, spans=record.spans, status=record.status,
                       annotator=record.annotator)


def import_paths(project: Project, paths: Iterable[str | Path], *, encoding: str | None = None,
                 as_suggestions: bool = False, skip_invalid: bool = False, report_path: str | Path | None = None,
                 max_record_bytes: int = MAX_RECORD_BYTES, progress: Progress | None = None,
                 cancelled: Callable[[], bool] | None = None, offsets: str | None = None,
                 status: str | None = None) -> ImportSummary:
    """Import every file under ``paths``.

    Raises the first :class:`AnnotatorError` of a file with a bad record (that
    file imports nothing; files before it stay imported) unless ``skip_invalid``.

    ``offsets`` is the unit the files count span offsets in (``codepoints``,
    ``utf16``, ``graphemes``; default: each format's usual one, and detected from
    span texts where records carry them). ``status`` marks every imported article
    (e.g. ``done``), whatever its records say. An article whose text is already in
    the project gets the spans it does not hold yet (a Prodigy stance file after
    its entity file), never a second copy.
    """
    files = []
    for given in map(Path, paths):
        # A project open in this process must never be read with a plain file
        # handle: closing it would drop this process's SQLite locks.
        if touches_open_project(given):
            raise AnnotatorError(Errors.E222, path=given)
        files.extend(f for f in iter_files(given) if not touches_open_project(f))
    sizes = {f: _size(f) for f in files}
    total_bytes = sum(sizes.values()) or 1
    summary = ImportSummary()
    if skip_invalid:
        report_path = Path(report_path) if report_path is not None else _default_report_path(project)
        _check_report_path(report_path, action="write the import report")
    scheme = project.scheme()
    done_bytes = 0
    report_rows: list[dict[str, object]] = []
    span_status = "suggested" if as_suggestions else "accepted"
    batch_size = FIRST_BATCH
    recent: deque[float] = deque(maxlen=SIZE_MEMORY)
    previous_activity = project.activity
    for path in files:
        fmt = detect_format(path)
        read = READERS[fmt]
        summary.files += 1
        summary.formats[fmt] = summary.formats.get(fmt, 0) + 1
        with _vanished(path, skip_invalid, summary, report_rows):
            checked: list[tuple[int | None, Record | AnnotatorError]] | None = None
            if not skip_invalid:
                # A file with a bad record is refused before anything is written:
                # the project stays byte-for-byte as it was.
                checked = _check_all_records(read, path, scheme=scheme, encoding=encoding,
                                             max_record_bytes=max_record_bytes, offsets=offsets, cancelled=cancelled)
            _check_free_space(project, path, sizes[path])
            project.activity = f"the import of {path.name}"
            run = _Run(str(path))
            # Batches need not reach the disk one by one: a power cut loses at most
            # the last ones, and the unfinished run is then undone as a whole.
            project.conn.execute("PRAGMA synchronous = NORMAL")
            # Each row fires several triggers, so each statement keeps a statement
            # journal: in memory that is about a quarter faster than in temp files.
            project.conn.execute("PRAGMA temp_store = MEMORY")
            try:
                batch: list[tuple[int | None, NewDocument, Record]] = []
                items = checked if checked is not None else read(
                    path, scheme=scheme, encoding=encoding, max_record_bytes=max_record_bytes, offsets=offsets)
                for _line, item in items:
                    if cancelled is not None and cancelled():
                        raise ImportCancelled()
                    if isinstance(item, AnnotatorError):
                        if not skip_invalid:
                            raise item
                        summary.invalid += 1
                        summary.errors.append(item)
                        report_rows.append(item.to_dict())
                        continue
                    doc = _new_document(item)
                    if status is not None:
                        doc.status = status
                    if as_suggestions:
                        doc.status = None
                    batch.append((_line, doc, item))
                    if len(batch) >= batch_size:
                        seconds = _store_batch(project, batch, run=run, path=path, span_status=span_status,
                                               skip_invalid=skip_invalid, summary=summary, report_rows=report_rows)
                        batch_size = _next_batch_size(batch_size, seconds, recent)
                        batch = []
                if batch:
                    _store_batch(project, batch, run=run, path=path, span_status=span_status,
                                 skip_invalid=skip_invalid, summary=summary, report_rows=report_rows)
                project.conn.execute("PRAGMA synchronous = FULL")
                if run.id is not None:
                    project.finish_import(run.id)
            except BaseException:
                if run.id is not None:
                    project.activity = f"undoing the import of {path.name}"
                    _undo(project, run.id, summary)
                raise
            finally:
                project.activity = previous_activity
                project.conn.execute("PRAGMA synchronous = FULL")
                project.conn.execute("PRAGMA temp_store = DEFAULT")
        done_bytes += sizes[path]
        if progress is not None:
            progress(done_bytes, total_bytes, str(path))
    if report_rows:
        report_path = Path(report_path) if report_path is not None else _default_report_path(project)
        try:
            with report_path.open("w", encoding="utf-8") as fh:
                for row in report_rows:
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise os_error(exc, action=f"write the import report (the {summary.imported} article(s) "
                                       "were imported)", path=report_path) from None
        summary.report_path = report_path
    summary.doc_ids.sort()
    return summary


@dataclass
class _Run:
    """The import run of one file, started with its first new document."""

    source: str
    id: int | None = None
    #: When the last batch let go of the write lock (``time.perf_counter``).
    released: float = float("-inf")


#: Records read while checking a file are kept for storing it (instead of reading
#: the file a second time) while they take about this much memory at most.
KEEP_CHECKED_BYTES = 256 * 1024 * 1024


def _record_size(record: Record) -> int:
    """About what a read record takes in memory (text, spans, meta), in bytes."""
    return 600 + 2 * len(record.text) + 160 * (len(record.spans) + len(record.suggestions)) + 8 * len(record.meta)


def _check_all_records(read, path: Path, *, scheme, encoding, max_record_bytes, offsets,
                       cancelled: Callable[[], bool] | None,
                       keep_bytes: int | None = None) -> list[tuple[int | None, Record]] | None:
    """Read the whole file once without storing anything; raise its first error.
    Returns the records read, or None when they would take more than
    ``keep_bytes`` (default ``KEEP_CHECKED_BYTES``; the file is then read
    again to store it)."""
    keep_bytes = KEEP_CHECKED_BYTES if keep_bytes is None else keep_bytes
    kept: list[tuple[int | None, Record]] | None = []
    size = 0
    for line, item in read(path, scheme=scheme, encoding=encoding, max_record_bytes=max_record_bytes,
                           offsets=offsets):
        if cancelled is not None and cancelled():
            raise ImportCancelled()
        if isinstance(item, AnnotatorError):
            raise item
        if kept is not None:
            size += _record_size(item)
            if size > keep_bytes:
                kept = None
            else:
                kept.append((line, item))
    return kept


#: Room for the WAL and the indexes beyond the text itself: the least an import
#: can need (a real one needs more, and a disk filling up mid-file undoes it).
SPACE_MARGIN_BYTES = 256 * 1024


def _check_free_space(project: Project, path: Path, size: int) -> None:
    """Refuse (E901) before writing when the project's disk cannot hold even the
    file's text: the project is then left exactly as it was."""
    if project.path is None:
        return
    import errno
    import shutil

    try:
        free = shutil.disk_usage(Path(project.path).resolve().parent).free
    except OSError:
        return
    need = size + SPACE_MARGIN_BYTES
    if free < need:
        raise os_error(OSError(errno.ENOSPC, f"{free:,} bytes free, about {need:,} needed"),
                       action=f"import {path.name}", path=path)


def _next_batch_size(size: int, seconds: float, recent: deque[float] | None = None) -> int:
    """Aim each batch's hold of the write lock at ``BATCH_LOCK_SECONDS``.

    ``recent`` keeps the cost per article of the last few batches; the slowest of
    them sizes the next, so one batch that ran fast (a moment with a core to
    itself) does not make the next one twice as long when the machine is busy again.
    """
    per_article = max(seconds, 1e-4) / size
    if recent is not None:
        recent.append(per_article)
        per_article = max(recent)
    wanted = BATCH_LOCK_SECONDS / per_article
    return max(MIN_BATCH, min(MAX_BATCH, int(min(wanted, size * 2))))


def _store_batch(project: Project, batch: list[tuple[int | None, NewDocument, Record]], *, run: _Run, path: Path,
                 span_status: str, skip_invalid: bool, summary: ImportSummary,
                 report_rows: list[dict[str, object]]) -> float:
    """Commit one batch; returns how long it held the write lock. A batch the
    database refuses is stored again record by record to name the bad one."""
    # Leave the lock free a moment between two batches, even when the records are
    # ready at once (kept from the check), so a writer waiting for it gets in.
    pause = run.released + BATCH_GAP_SECONDS - time.perf_counter()
    if pause > 0:
        time.sleep(pause)
    start = time.perf_counter()
    started = run.id
    try:
        with project.write():
            _add(project, batch, run=run, span_status=span_status, summary=summary)
    except sqlite3.IntegrityError:
        run.id = started  # a run begun in the rolled-back batch is gone with it
        seconds = time.perf_counter() - start
        for entry in batch:
            before = run.id
            try:
                with project.write():
                    _add(project, [entry], run=run, span_status=span_status, summary=summary)
            except sqlite3.IntegrityError as exc:
                run.id = before
                error = AnnotatorError(Errors.E221, path=path, line=entry[0], reason=str(exc))
                if not skip_invalid:
                    raise error from None
                summary.invalid += 1
                summary.errors.append(error)
                report_rows.append(error.to_dict())
        run.released = time.perf_counter()
        return seconds
    run.released = time.perf_counter()
    return run.released - start


def _add(project: Project, batch: list[tuple[int | None, NewDocument, Record]], *, run: _Run, span_status: str,
         summary: ImportSummary) -> None:
    """Store a batch in the caller's transaction; count it once it is stored."""
    docs = [doc for _line, doc, _item in batch]
    known = project.known_text_hashes([d.text_hash for d in docs])
    if run.id is None and any(d.text_hash not in known for d in docs):
        run.id = project.begin_import(run.source)  # in this batch's transaction
    inserted, duplicates = project.add_documents(docs, span_status=span_status, origin="import", import_run=run.id,
                                                  known=known)
    merged = spans = suggestions = 0
    seen: set[str] = set()
    new_ids = iter(inserted)
    for _line, doc, item in batch:
        if doc.text_hash in known or doc.text_hash in seen:  # already there: add the spans it lacks
            if doc.spans:
                existing = project.doc_id_for_text_hash(doc.text_hash)
                if existing is not None:
                    added = project.merge_spans(existing, doc.spans, span_status=span_status, annotator=doc.annotator)
                    merged += added
                    spans += added
        else:
            spans += len(doc.spans)
            doc_id = next(new_ids)
            if item.suggestions:  # a model's spans that came with the article (Label Studio predictions)
                suggestions += project.store_suggestions(doc_id, SUGGESTER_IMPORT, item.suggestions)
        seen.add(doc.text_hash)
    # Counted only here, after every statement of the batch went through.
    summary.imported += len(inserted)
    summary.duplicates += duplicates
    summary.doc_ids.extend(inserted)
    summary.spans += spans
    summary.merged_into_existing += merged
    summary.suggestions += suggestions
    for _line, _doc, item in batch:
        summary.units[item.unit] = summary.units.get(item.unit, 0) + 1
        summary.units_detected += item.unit_detected
        summary.moved += item.moved
        summary.merged_duplicates += item.merged
        summary.relations_in_meta += item.relations_in_meta


def _undo(project: Project, run: int, summary: ImportSummary) -> None:
    """Take back what an unfinished file stored (its earlier batches)."""
    try:
        project.abort_import(run)
    except (sqlite3.Error, AnnotatorError):
        # Left as a running import of this process: undone by the next open
        # once this process has ended.
        return
    kept = [d for d in summary.doc_ids if project.conn.execute("SELECT 1 FROM documents WHERE id = ?", (d,)).fetchone()]
    summary.imported -= len(summary.doc_ids) - len(kept)
    summary.doc_ids = kept
