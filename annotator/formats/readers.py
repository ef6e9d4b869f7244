"""Readers: each turns one file into a stream of ``(line, Record | AnnotatorError)``.

Readers stream (JSONL is read a line at a time, with a cap on the size of one
record) so memory stays bounded on large files. Errors are yielded, not raised,
so the import service can decide between "refuse the file" and "skip and report".
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from annotator.core.errors import AnnotatorError, Errors
from annotator.core.scheme import Scheme
from annotator.core.text import normalise_newlines
from annotator.formats.decode import decode_bytes, read_text_file, sniff_encoding
from annotator.formats.records import Record, check_text, parse_record, title_from_text

#: The largest article (one JSONL line, one text file) accepted; an annotator
#: cannot label more in one view, and larger inputs are usually not articles.
MAX_RECORD_BYTES = 16 * 1024 * 1024
MAX_JSON_DEPTH = 64

Item = tuple[int | None, Record | AnnotatorError]
Reader = Callable[..., Iterator[Item]]

READERS: dict[str, Reader] = {}
EXTENSIONS: dict[str, str] = {}


def reader(name: str, *, extensions: tuple[str, ...]) -> Callable[[Reader], Reader]:
    """Register a reader for some file extensions."""

    def register(fn: Reader) -> Reader:
        READERS[name] = fn
        for ext in extensions:
            EXTENSIONS[ext] = name
        return fn

    return register


def reader_for(path: Path) -> Reader:
    name = EXTENSIONS.get(path.suffix.lower())
    if name is None:
        raise AnnotatorError(Errors.E212, path=path, suffix=path.suffix or "(none)")
    return READERS[name]


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def _json_depth_ok(raw: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Cheap pre-check so hostile nesting never reaches the parser: string
    literals are cut out and only the brackets left are walked (both in C but
    for the bracket loop, which is as long as the record's structure, not its text)."""
    depth = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub("", raw)):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                return False
        else:
            depth -= 1
    return True


def _loads(raw: str, *, path: Path, line: int | None) -> object:
    if ("[[[[" in raw or "{{" in raw or raw.count("[") + raw.count("{") > MAX_JSON_DEPTH) and not _json_depth_ok(raw):
        raise AnnotatorError(Errors.E219, path=path, line=line, limit=MAX_JSON_DEPTH)
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise AnnotatorError(Errors.E204, path=path, line=line, reason=f"{exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise AnnotatorError(Errors.E219, path=path, line=line, limit=MAX_JSON_DEPTH) from None


def _lines(path: Path, *, encoding: str | None, max_bytes: int) -> Iterator[tuple[int, str | AnnotatorError]]:
    """Lines of a text file, one at a time; a line over ``max_bytes`` is skipped
    in chunks (never held whole) and reported."""
    with path.open("rb") as fh:
        head = fh.read(8192)
        enc = encoding or sniff_encoding(head, path=path)
        fh.seek(0)
        if enc.replace("-", "").lower() not in ("utf8", "utf8sig", "ascii", "latin1", "iso88591", "cp1252"):
            # Multi-byte-unit encodings (UTF-16/32) cannot be split on b"\n".
            text = decode_bytes(fh.read(), enc, path=path)
            for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), 1):
                yield number, raw
            return
        number = 0
        offset = 0
        while True:
            raw = fh.readline(max_bytes + 1)
            if not raw:
                return
            number += 1
            if len(raw) > max_bytes and not raw.endswith(b"\n"):
                size = len(raw)
                while True:
                    chunk = fh.readline(1 << 20)
                    size += len(chunk)
                    if not chunk or chunk.endswith(b"\n"):
                        break
                offset += size
                yield number, AnnotatorError(Errors.E217, path=path, line=number, size=size, limit=max_bytes)
                continue
            try:
                line = decode_bytes(raw, enc, path=path, line=number, base_offset=offset)
            except AnnotatorError as exc:
                yield number, exc
            else:
                if number == 1 and line.startswith("\ufeff"):
                    line = line[1:]
                yield number, line
            offset += len(raw)


@reader("jsonl", extensions=(".jsonl", ".ndjson"))
def read_jsonl(path: Path, *, scheme: Scheme | None, encoding: str | None = None,
               max_record_bytes: int = MAX_RECORD_BYTES) -> Iterator[Item]:
    """One JSON object per line: ours, Prodigy's or doccano's. Blank lines are skipped."""
    any_line = False
    for number, raw in _lines(path, encoding=encoding, max_bytes=max_record_bytes):
        if isinstance(raw, AnnotatorError):
            yield number, raw
            continue
        if not raw.strip():
            continue
        any_line = True
        try:
            obj = _loads(raw, path=path, line=number)
            yield number, parse_record(obj, path=path, line=number, scheme=scheme, default_title=f"{path.stem} #{number}")
        except AnnotatorError as exc:
            yield number, exc
    if not any_line:
        yield None, AnnotatorError(Errors.E203, path=path)


@reader("json", extensions=(".json",))
def read_json(path: Path, *, scheme: Scheme | None, encoding: str | None = None,
              max_record_bytes: int = MAX_RECORD_BYTES, **_: object) -> Iterator[Item]:
    """A JSON array of article objects, or a single article object (read whole:
    use JSONL for large collections)."""
    size = path.stat().st_size
    if size > 4 * max_record_bytes:
        yield None, AnnotatorError(Errors.E217, path=path, size=size, limit=4 * max_record_bytes)
        return
    try:
        data = _loads(read_text_file(path, encoding=encoding), path=path, line=None)
    except AnnotatorError as exc:
        yield None, exc
        return
    items = data if isinstance(data, list) else [data]
    for number, obj in enumerate(items, 1):
        # The per-article limit of the other readers: only a file over it can hold an article over it.
        if size > max_record_bytes:
            record_size = len(json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogatepass"))
            if record_size > max_record_bytes:
                yield number, AnnotatorError(Errors.E217, path=path, line=number, size=record_size,
                                             limit=max_record_bytes)
                continue
        try:
            yield number, parse_record(obj, path=path, line=number, scheme=scheme, default_title=f"{path.stem} #{number}")
        except AnnotatorError as exc:
            yield number, exc


@reader("text", extensions=(".txt", ".md", ".markdown"))
def read_text(path: Path, *, scheme: Scheme | None, encoding: str | None = None,
              max_record_bytes: int = MAX_RECORD_BYTES, **_: object) -> Iterator[Item]:
    """One article per file; the title is the first non-empty line (or the file name)."""
    size = path.stat().st_size
    if size > max_record_bytes:
        yield None, AnnotatorError(Errors.E217, path=path, size=size, limit=max_record_bytes)
        return
    try:
        text = normalise_newlines(read_text_file(path, encoding=encoding))
        check_text(text, path=path, line=None)
    except AnnotatorError as exc:
        yield None, exc
        return
    yield 1, Record(text=text, title=title_from_text(text, path.stem), meta={}, path=str(path), line=1)


@reader("csv", extensions=(".csv", ".tsv"))
def read_csv(path: Path, *, scheme: Scheme | None, encoding: str | None = None,
             max_record_bytes: int = MAX_RECORD_BYTES, **_: object) -> Iterator[Item]:
    """A ``text`` column (required), an optional ``title``; other columns go to meta.
    Rows are streamed, so large files use little memory."""
    with path.open("rb") as raw:
        head = raw.read(8192)
    if not head.strip():
        yield None, AnnotatorError(Errors.E203, path=path)
        return
    try:
        enc = encoding or sniff_encoding(head, path=path)
    except AnnotatorError as exc:
        yield None, exc
        return
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    csv.field_size_limit(max_record_bytes)
    with path.open("r", encoding=enc, newline="", errors="strict") as fh:
        rows = csv.reader(fh, delimiter=delimiter)
        try:
            header = next(rows)
        except StopIteration:
            yield None, AnnotatorError(Errors.E203, path=path)
            return
        except (csv.Error, UnicodeDecodeError) as exc:
            yield 1, _csv_error(exc, path, 1, enc)
            return
        header = [h.strip().lstrip("\ufeff") for h in header]
        if "text" not in header:
            yield 1, AnnotatorError(Errors.E211, path=path, line=1, columns=", ".join(header) or "(none)")
            return
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as exc:
                yield rows.line_num, _csv_error(exc, path, rows.line_num, enc)
                return
            number = rows.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                yield number, AnnotatorError(Errors.E218, path=path, line=number, found=len(row), expected=len(header))
                continue
            fields = dict(zip(header, row))
            text = fields.pop("text")
            title = fields.pop("title", "")
            try:
                text = normalise_newlines(check_text(text, path=path, line=number))
            except AnnotatorError as exc:
                yield number, exc
                continue
            yield number, Record(text=text, title=title.strip() or title_from_text(text, f"{path.stem} #{number}"),
                                 meta=fields, path=str(path), line=number)


def _csv_error(exc: Exception, path: Path, line: int, encoding: str) -> AnnotatorError:
    if isinstance(exc, UnicodeDecodeError):
        return AnnotatorError(Errors.E201, path=path, line=line, encoding=encoding.upper(), offset=exc.start,
                              reason=exc.reason)
    if "field larger than field limit" in str(exc):
        return AnnotatorError(Errors.E217, path=path, line=line, size="over the limit of", limit=csv.field_size_limit())
    if "NUL" in str(exc):
        return AnnotatorError(Errors.E202, path=path, line=line)
    return AnnotatorError(Errors.E204, path=path, line=line, reason=str(exc))


def iter_files(path: Path) -> Iterator[Path]:
    """A file, or every importable file under a folder (sorted, hidden ones skipped)."""
    if not path.exists():
        raise AnnotatorError(Errors.E213, path=path)
    if path.is_file():
        yield path
        return
    for child in sorted(path.rglob("*")):
        rel = child.relative_to(path)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if child.is_file() and child.suffix.lower() in EXTENSIONS:
            yield child
