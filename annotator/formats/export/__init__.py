"""Writers: stored annotations out as training data.

Every format registers itself with :func:`exporter`, so the command line and the
window list the same formats from :data:`EXPORTERS`. A writer takes plain core
objects (one :class:`ExportItem` per document: the :class:`~annotator.core.model.Document`,
its chosen spans and its status), the :class:`~annotator.core.scheme.Scheme`, and,
for the token-based formats, a spaCy ``Language`` whose tokenizer the service chose.
It never sees a project: choosing documents and spans is the service's job.

Note for developers: writers write every file through :func:`atomic_write_*` into a
folder given by the service and check each path with :func:`inside` (E402), so a
cancelled or failed export never leaves a half-written file behind and never
writes outside the folder the user chose.
"""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.core.errors import AnnotatorError, Errors
from annotator.core.files import create_part_file
from annotator.core.model import Document, Span
from annotator.core.scheme import Scheme
from annotator.core.text import LONG_TEXT, sentence_chunks

#: The report of spans that were adjusted, dropped from ``doc.ents`` or not aligned,
#: written beside every export.
REPORT_NAME = "export-report.json"


@dataclass(slots=True)
class ExportItem:
    """One document as it is exported: its text, the spans chosen for it and the
    status (and annotator) the export records for it."""

    document: Document
    spans: list[Span]
    status: str = "done"
    annotator: str | None = None
    #: Offsets of each stance's holder entity, by stance span id.
    holders: dict[int, tuple[int, int]] = field(default_factory=dict)
    #: Entity suggestions still pending (nobody accepted or rejected them) that are
    #: not exported as spans: token formats leave their tokens missing, never "O".
    undecided: list[Span] = field(default_factory=list)


@dataclass(slots=True)
class ExportOptions:
    scheme: Scheme
    #: Documents that go to the dev set (spaCy only; the rest is training data).
    dev_ids: frozenset[int] = frozenset()
    stance_docs: bool = False
    #: The output file name for single-file formats (inside the folder).
    filename: str | None = None
    #: spaCy language code of the tokenizer (written into config.cfg).
    lang: str = "en"
    #: The offset unit of the JSON formats (None: each format's default, see OFFSET_DEFAULTS).
    offsets: str | None = None
    #: spaCy: the estimated size at which a DocBin is split into numbered shards
    #: (spaCy cannot serialise one over 2 GB, E870).
    shard_bytes: int = 512 * 1024 * 1024


@dataclass(slots=True)
class ExportReport:
    """What an export did, span by span where something needed deciding."""

    documents: int = 0
    #: Exported spans per layer and label.
    spans: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Entities left out of ``doc.ents`` (and of token formats) because a longer one overlapped.
    overlaps: list[dict[str, Any]] = field(default_factory=list)
    #: Spans whose edges could not be put on token boundaries; not exported in that format.
    not_aligned: list[dict[str, Any]] = field(default_factory=list)
    #: Spans moved onto token boundaries (only whitespace or punctuation changed).
    snapped: list[dict[str, Any]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def count(self, layer: str, label: str) -> None:
        labels = self.spans.setdefault(layer, {})
        labels[label] = labels.get(label, 0) + 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "spans": {layer: dict(sorted(labels.items())) for layer, labels in sorted(self.spans.items())},
            "overlaps_resolved": self.overlaps,
            "not_aligned": self.not_aligned,
            "snapped": self.snapped,
            "files": [str(p) for p in self.files],
            **self.extra,
        }


Writer = Callable[..., list[Path]]


@dataclass(frozen=True, slots=True)
class Exporter:
    name: str
    write: Writer
    description: str
    #: Needs a spaCy tokenizer (token-based formats).
    tokenized: bool
    #: Default output file name, or None when the format writes several files.
    default_filename: str | None
    extensions: tuple[str, ...] = ()


EXPORTERS: dict[str, Exporter] = {}


def exporter(name: str, *, description: str, tokenized: bool, filename: str | None,
             extensions: tuple[str, ...] = ()) -> Callable[[Writer], Writer]:
    """Register a writer under ``name``.

    The writer is called as ``write(items, folder=, options=, report=, nlp=)`` and
    returns the paths it wrote.
    """

    def register(fn: Writer) -> Writer:
        EXPORTERS[name] = Exporter(name, fn, description, tokenized, filename, extensions)
        return fn

    return register


def get_exporter(name: str) -> Exporter:
    _load_writers()
    if name not in EXPORTERS:
        raise AnnotatorError(Errors.E403, name=name, known=", ".join(sorted(EXPORTERS)))
    return EXPORTERS[name]


def exporter_names() -> list[str]:
    _load_writers()
    return list(EXPORTERS)


def _load_writers() -> None:
    from annotator.formats.export import conll, jsonl, labelstudio, spacy_bin  # noqa: F401  (register)


# -- helpers shared by the writers ------------------------------------------------


def split_documents(doc_ids: Iterable[int], *, split: float, seed: int) -> tuple[list[int], list[int]]:
    """Split whole documents into (train, dev), reproducibly for a given seed.

    The ids are sorted, shuffled by ``random.Random(seed)`` and the first
    ``round(n * split)`` go to training; with two or more documents each side gets
    at least one.
    """
    if not 0.0 < split < 1.0:
        raise AnnotatorError(Errors.E404, value=split)
    ids = sorted(set(doc_ids))
    random.Random(seed).shuffle(ids)
    n_train = round(len(ids) * split)
    if len(ids) >= 2:
        n_train = min(max(n_train, 1), len(ids) - 1)
    return sorted(ids[:n_train]), sorted(ids[n_train:])


def inside(folder: Path, name: str | Path) -> Path:
    """``folder / name``, refusing any path (``..``, absolute, symlink) that leaves ``folder`` (E402)."""
    root = Path(folder).resolve()
    path = (root / name).resolve()
    if path != root and root not in path.parents:
        raise AnnotatorError(Errors.E402, path=path, folder=root)
    return path


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` that replaces it only when the block succeeds.

    The hidden ``.part`` file is named for this process (a later export removes it
    if a kill left it behind) and gets the umask's permissions, as ``path`` will.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = create_part_file(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextmanager
def atomic_text(path: Path) -> Iterator[Any]:
    """A text file (UTF-8, ``\\n`` line ends) that appears at ``path`` only when complete."""
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8", newline="\n") as fh:
        yield fh


def tokenize(nlp: Any, text: str) -> Any:
    """``nlp.make_doc(text)`` for a text of any length.

    A text over :data:`~annotator.core.text.LONG_TEXT` characters (or the
    tokenizer's ``max_length``, which spaCy enforces with E088) is tokenized in
    sentence-aligned pieces that are joined into one ``Doc`` with the same text
    and tokens, so spans keep their offsets.
    """
    if len(text) <= min(LONG_TEXT, nlp.max_length):
        return nlp.make_doc(text)
    from spacy.tokens import Doc

    return Doc.from_docs([nlp.make_doc(piece) for _offset, piece in sentence_chunks(text)], ensure_whitespace=False)


def stable_hash32(value: str) -> int:
    """A signed 32-bit integer from SHA-256 of ``value`` (stable across runs and machines)."""
    return int.from_bytes(hashlib.sha256(value.encode("utf-8")).digest()[:4], "little", signed=True)


#: The offset unit each JSON format writes unless told otherwise: what the tool
#: that reads it counts in (doccano's and Label Studio's browsers count UTF-16
#: code units; spaCy, Prodigy and our own JSONL count code points).
OFFSET_DEFAULTS = {"jsonl": "codepoints", "prodigy": "codepoints", "doccano": "utf16", "labelstudio": "utf16"}


class OffsetWriter:
    """Writes code-point offsets in an export's unit, one text at a time, and
    counts the spans a browser tool (counting UTF-16 units) would show shifted."""

    def __init__(self, unit: str, report: ExportReport) -> None:
        from annotator.core.offsets import UTF16

        self.unit = unit
        self.report = report
        self.browser_shifted = 0
        self.spans = 0
        self._utf16 = UTF16
        self._text: str | None = None
        self._index: Any = None
        self._browser: Any = None
        report.extra["offsets"] = unit
        report.extra["browser_shifted"] = 0

    def _for(self, text: str) -> None:
        if text is not self._text:
            from annotator.core.offsets import OffsetIndex

            self._text = text
            self._index = OffsetIndex(text, self.unit)
            self._browser = OffsetIndex(text, self._utf16)

    def span(self, text: str, start: int, end: int) -> tuple[int, int]:
        """``(start, end)`` in the export's unit (a grapheme-cluster edge inside a
        cluster moves out to the cluster's edges)."""
        self._for(text)
        self.spans += 1
        out = (self.offset(text, start, edge="start"), self.offset(text, end, edge="end"))
        if out != self._browser.span_from_codepoints(start, end):
            self.browser_shifted += 1
            self.report.extra["browser_shifted"] = self.browser_shifted
        return out

    def offset(self, text: str, offset: int, *, edge: str = "start") -> int:
        from annotator.core.offsets import OffsetError

        self._for(text)
        try:
            return self._index.from_codepoints(offset)
        except OffsetError:
            # Inside a grapheme cluster: widen to the cluster that holds it.
            step = -1 if edge == "start" else 1
            while True:
                offset += step
                try:
                    return self._index.from_codepoints(offset)
                except OffsetError:
                    continue


def span_record(span: Span, text: str, reason: str, **extra: Any) -> dict[str, Any]:
    """How a span appears in the export report."""
    return {"id": span.id, "doc_id": span.doc_id, "layer": span.layer, "label": span.label,
            "start": span.start, "end": span.end, "text": text[span.start:span.end], "reason": reason, **extra}
