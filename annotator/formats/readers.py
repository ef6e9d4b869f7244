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
from annotator.formats import labelstudio
from annotator.formats.decode import decode_bytes, read_text_file, sniff_encoding
from annotator.formats.records import Record, check_text, parse_record, title_from_text
from annotator.formats.tokens import (
    looks_like_conll,
    looks_like_iob,
    read_conll_records,
    read_iob_records,
)

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
    """The reader for ``path``: what its content looks like first, then its extension."""
    return READERS[detect_format(path)]


def detect_format(path: Path) -> str:
    """The name of the reader for ``path``.

    The first lines decide before the extension does: JSON Lines, a JSON
    document, CoNLL/IOB token columns, spaCy's ``word|TAG`` lines or fastText's
    ``__label__`` lines are recognised in a file of any name (a CoNLL file saved
    as ``.txt`` is read as CoNLL, not as one article full of tags). CSV/TSV and
    ``.spacy`` go by their extension. A file that looks like none of them is read
    by its extension, or refused (E212).
    """
    ext = path.suffix.lower()
    if ext == ".spacy" or ext in (".csv", ".tsv"):
        return EXTENSIONS[ext]
    sniffed = _sniff(_head_lines(path), ext)
    if sniffed:
        return sniffed
    name = EXTENSIONS.get(ext)
    if name is None:
        raise AnnotatorError(Errors.E212, path=path, suffix=path.suffix or "(none)")
    return name


def _head_lines(path: Path, size: int = 16384) -> list[str]:
    """The first complete lines of a text file ([] for binary or undecodable files)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(size)
        enc = sniff_encoding(head[:8192], path=path)
        full = len(head) < size
        text = head.decode(enc, errors="replace").lstrip("\ufeff")
    except (AnnotatorError, OSError, LookupError):
        return []
    lines = text.splitlines()
    return lines if full or len(lines) < 2 else lines[:-1]


def _sniff(lines: list[str], ext: str) -> str | None:
    first = next((ln.strip() for ln in lines if ln.strip()), "")
    if not first:
        return None
    if first.startswith("__label__"):
        return "fasttext"
    if first[0] in "[{":
        if ext in (".jsonl", ".ndjson"):
            return "jsonl"
        try:
            json.loads(first)
        except (json.JSONDecodeError, RecursionError):
            return "json"
        more = [ln.strip() for ln in lines if ln.strip()][1:2]
        # One complete value on the first line: JSON Lines, unless a .json file holds only that value.
        return "json" if ext == ".json" and not (more and more[0][0] in "[{") else "jsonl"
    if looks_like_conll(lines[:200]):
        return "conll"
    if looks_like_iob(lines[:50]):
        return "iob"
    return None


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def _json_depth_ok(raw: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a JSON text nests at most ``limit`` deep, read from the text alone:
    string literals are cut out and only the brackets left are walked (both in
    C but for the bracket loop, which is as long as the record's structure, not
    its text). Also right for text that does not parse."""
    depth = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub("", raw)):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                return False
        else:
            depth -= 1
    return True


def _value_depth_ok(value: object, opening: int, limit: int = MAX_JSON_DEPTH) -> bool | None:
    """Whether a parsed value nests at most ``limit`` deep, when the value can
    tell: False when it nests deeper (its text does too); True when it holds as
    many arrays and objects as its text has ``[`` and ``{`` (none is inside a
    string or under a repeated key that a later one replaced, so the value nests
    exactly as its text); otherwise None, and only the text can tell."""
    if type(value) is not dict and type(value) is not list:
        return None
    containers = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        containers += 1
        for child in item.values() if type(item) is dict else item:
            if type(child) is dict or type(child) is list:
                stack.append((child, depth + 1))
    return True if containers == opening else None


def _loads(raw: str, *, path: Path, line: int | None) -> object:
    # No more opening brackets than the limit cannot nest deeper than it. With
    # more, hostile nesting stops the parser at Python's recursion limit, and the
    # depth is then read from the parsed value (or, when it cannot tell, the text).
    opening = raw.count("[") + raw.count("{")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        if opening > MAX_JSON_DEPTH and not _json_depth_ok(raw):
            raise AnnotatorError(Errors.E219, path=path, line=line, limit=MAX_JSON_DEPTH) from None
        raise AnnotatorError(Errors.E204, path=path, line=line, reason=f"{exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise AnnotatorError(Errors.E219, path=path, line=line, limit=MAX_JSON_DEPTH) from None
    if opening > MAX_JSON_DEPTH:
        fits = _value_depth_ok(value, opening)
        if fits is False or (fits is None and not _json_depth_ok(raw)):
            raise AnnotatorError(Errors.E219, path=path, line=line, limit=MAX_JSON_DEPTH)
    return value


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


def _record(obj: object, *, path: Path, line: int, scheme: Scheme | None, offsets: str | None) -> Record:
    """One JSON value of a .jsonl/.json file as a record: ours, Prodigy's, doccano's,
    a Label Studio task or JSON-MIN item, or spaCy's ``[text, {"entities": ...}]`` pair."""
    kind = None
    if labelstudio.is_task(obj):
        obj = labelstudio.flatten_task(obj, scheme)  # type: ignore[arg-type]
        if obj["text"] is None:
            raise AnnotatorError(Errors.E235, path=path, line=line, fields=", ".join(obj["meta"]) or "none")
        kind = "labelstudio"
    elif labelstudio.is_min_row(obj):
        obj = labelstudio.flatten_min(obj, scheme)  # type: ignore[arg-type]
        kind = "labelstudio"
    elif isinstance(obj, list) and len(obj) == 2 and isinstance(obj[0], str) and isinstance(obj[1], dict):
        obj, kind = _spacy_pair(obj[0], obj[1], path=path, line=line), "ours"
    return parse_record(obj, path=path, line=line, scheme=scheme, default_title=f"{path.stem} #{line}",
                        offsets=offsets, kind=kind)


def _spacy_pair(text: str, annotations: dict, *, path: Path, line: int) -> dict:
    """spaCy's v2-style training pair: entities as ``[start, end, label]`` (code points)."""
    entities = []
    given = annotations.get("entities") or []
    if not isinstance(given, list):
        raise AnnotatorError(Errors.E220, path=path, line=line, field="entities", value=given,
                             expected="a list of [start, end, label]")
    for ent in given:
        if not isinstance(ent, list | tuple) or len(ent) != 3:
            raise AnnotatorError(Errors.E220, path=path, line=line, field="entities", value=ent,
                                 expected="[start, end, label]")
        entities.append({"start": ent[0], "end": ent[1], "label": ent[2]})
    meta = {"cats": annotations["cats"]} if annotations.get("cats") else {}
    return {"text": text, "entities": entities, "meta": meta}


@reader("jsonl", extensions=(".jsonl", ".ndjson"))
def read_jsonl(path: Path, *, scheme: Scheme | None, encoding: str | None = None,
               max_record_bytes: int = MAX_RECORD_BYTES, offsets: str | None = None, **_: object) -> Iterator[Item]:
    """One JSON value per line: ours, Prodigy's, doccano's, Label Studio's, spaCy's
    training pairs. Blank lines are skipped."""
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
            yield number, _record(obj, path=path, line=number, scheme=scheme, offsets=offsets)
        except AnnotatorError as exc:
            yield number, exc
    if not any_line:
        yield None, AnnotatorError(Errors.E203, path=path)


@reader("json", extensions=(".json",))
def read_json(path: Path, *, scheme: Scheme | None, encoding: str | None = None,
              max_record_bytes: int = MAX_RECORD_BYTES, offsets: str | None = None, **_: object) -> Iterator[Item]:
    """A JSON array of article objects (ours, Label Studio's JSON and JSON-MIN
    exports …), or a single article object (read whole: use JSONL for large
    collections). spaCy's v2 JSON training format is refused by name (E232)."""
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
    if items and isinstance(items[0], dict) and "paragraphs" in items[0] and "text" not in items[0]:
        yield None, AnnotatorError(Errors.E232, path=path, kind="spaCy v2 JSON training data (documents with 'paragraphs')",
                                   advice="Convert it with 'python -m spacy convert FILE OUTPUT_DIR' and import "
                                          "the .spacy file that writes.")
        return
    for number, obj in enumerate(items, 1):
        # The per-article limit of the other readers: only a file over it can hold an article over it.
        if size > max_record_bytes:
            record_size = len(json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogatepass"))
            if record_size > max_record_bytes:
                yield number, AnnotatorError(Errors.E217, path=path, line=number, size=record_size,
                                             limit=max_record_bytes)
                continue
        try:
            yield number, _record(obj, path=path, line=number, scheme=scheme, offsets=offsets)
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
             max_record_bytes: int = MAX_RECORD_BYTES, offsets: str | None = None, **_: object) -> Iterator[Item]:
    """A ``text`` column (required), an optional ``title``; other columns go to meta,
    except Label Studio's region columns (a JSON list of ``{start, end, text,
    labels}`` per row, as its CSV/TSV exports write them), which become spans.
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
            if labelstudio.is_min_row(fields):
                try:
                    yield number, parse_record(labelstudio.flatten_min(fields, scheme), path=path, line=number,
                                               scheme=scheme, default_title=f"{path.stem} #{number}",
                                               offsets=offsets, kind="labelstudio")
                except AnnotatorError as exc:
                    yield number, exc
                continue
            text = fields.pop("text")
            title = fields.pop("title", "")
            try:
                text = normalise_newlines(check_text(text, path=path, line=number))
            except AnnotatorError as exc:
                yield number, exc
                continue
            yield number, Record(text=text, title=title.strip() or title_from_text(text, f"{path.stem} #{number}"),
                                 meta=fields, path=str(path), line=number)


def _parsed(items: Iterator[tuple[int | None, object]], *, path: Path, scheme: Scheme | None) -> Iterator[Item]:
    """Records from the record dicts (our shape) another reader built."""
    for number, obj in items:
        if isinstance(obj, AnnotatorError):
            yield number, obj
            continue
        fallback = f"{path.stem} #{number}"
        text = obj.get("text") if isinstance(obj, dict) else None
        try:
            yield number, parse_record(obj, path=path, line=number, scheme=scheme, kind="ours",
                                       default_title=title_from_text(text, fallback) if isinstance(text, str) else fallback)
        except AnnotatorError as exc:
            yield number, exc


def _text_lines(path: Path, encoding: str | None, max_record_bytes: int) -> Iterator[tuple[int, str | AnnotatorError]]:
    for number, raw in _lines(path, encoding=encoding, max_bytes=max_record_bytes):
        yield number, raw.rstrip("\r\n") if isinstance(raw, str) else raw


def _stop_on_errors(lines: Iterator[tuple[int, str | AnnotatorError]], errors: list[Item]) -> Iterator[tuple[int, str]]:
    for number, raw in lines:
        if isinstance(raw, AnnotatorError):
            errors.append((number, raw))
            return
        yield number, raw


def _token_reader(parse: Callable[..., Iterator], path: Path, scheme: Scheme | None, encoding: str | None,
                  max_record_bytes: int) -> Iterator[Item]:
    errors: list[Item] = []
    any_record = False
    lines = _stop_on_errors(_text_lines(path, encoding, max_record_bytes), errors)
    for item in _parsed(parse(lines, path=path, max_chars=max_record_bytes), path=path, scheme=scheme):
        any_record = True
        yield item
    yield from errors
    if not any_record and not errors:
        yield None, AnnotatorError(Errors.E203, path=path)


@reader("conll", extensions=(".conll", ".conll2003"))
def read_conll(path: Path, *, scheme: Scheme | None, encoding: str | None = None,
               max_record_bytes: int = MAX_RECORD_BYTES, **_: object) -> Iterator[Item]:
    """CoNLL token columns (see :mod:`annotator.formats.tokens`)."""
    yield from _token_reader(read_conll_records, path, scheme, encoding, max_record_bytes)


@reader("iob", extensions=(".iob",))
def read_iob(path: Path, *, scheme: Scheme | None, encoding: str | None = None,
             max_record_bytes: int = MAX_RECORD_BYTES, **_: object) -> Iterator[Item]:
    """spaCy's ``word|TAG`` sentences; a ``.iob`` file in CoNLL columns is read as CoNLL."""
    if looks_like_conll(_head_lines(path)[:200]):
        yield from read_conll(path, scheme=scheme, encoding=encoding, max_record_bytes=max_record_bytes)
        return
    yield from _token_reader(read_iob_records, path, scheme, encoding, max_record_bytes)


@reader("docbin", extensions=(".spacy",))
def read_docbin(path: Path, *, scheme: Scheme | None, max_record_bytes: int = MAX_RECORD_BYTES,
                **_: object) -> Iterator[Item]:
    """A spaCy DocBin (see :mod:`annotator.formats.docbin`)."""
    from annotator.formats.docbin import docbin_records

    yield from _parsed(docbin_records(path, max_bytes=8 * max_record_bytes), path=path, scheme=scheme)


@reader("fasttext", extensions=())
def read_fasttext(path: Path, **_: object) -> Iterator[Item]:
    """fastText classification lines hold document labels, not spans: refused by name."""
    yield None, AnnotatorError(Errors.E232, path=path, kind="fastText classification data ('__label__' lines)",
                               advice="It holds document labels, not spans: import the texts (.txt, .csv or "
                                      ".jsonl) and label them here.")


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
