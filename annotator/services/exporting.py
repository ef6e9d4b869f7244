"""Export: choose documents and spans from a project and hand them to a writer.

What is exported by default: documents marked done (by ``annotator``, or by
anyone) and their accepted spans. ``include_all`` adds every other document (the
spaCy export then leaves their unlabelled tokens *missing*, never "no entity");
``include_suggestions`` adds pending suggestions. Spans with the same offsets,
layer, label and target (two annotators agreeing) are written once.

The tokenizer (token-based formats) is ``spacy.blank(lang)`` for the language of
the project's pipeline: it is what the generated ``config.cfg`` trains with (its
``[nlp.tokenizer]`` is spaCy's default for the language), so the stored tokens
and the tokens ``spacy train`` re-creates agree; for English it splits text
exactly as ``en_core_web_sm`` does. The language comes from the pipeline's
meta (an installed package or a folder) without loading its components.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.core.errors import AnnotatorError, Errors, os_error
from annotator.core.files import clean_stale_parts, create_part_file
from annotator.core.model import ADJUDICATED, Span
from annotator.formats.export import (
    REPORT_NAME,
    ExportItem,
    ExportOptions,
    ExportReport,
    atomic_text,
    get_exporter,
    inside,
    split_documents,
)
from annotator.nlp.tokens import make_tokenizer_nlp, tokenizer_language
from annotator.storage import Project

Progress = Callable[[int, int, str], None]


class ExportCancelled(Exception):
    """Raised when ``cancelled()`` turns true; no output file is left half-written."""


@dataclass
class ExportSummary:
    format: str
    folder: Path
    documents: int = 0
    train_documents: int = 0
    dev_documents: int = 0
    spans: dict[str, dict[str, int]] = field(default_factory=dict)
    overlaps: list[dict[str, Any]] = field(default_factory=list)
    not_aligned: list[dict[str, Any]] = field(default_factory=list)
    snapped: list[dict[str, Any]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    report_path: Path | None = None
    tokenizer: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format, "folder": str(self.folder), "documents": self.documents,
            "train_documents": self.train_documents, "dev_documents": self.dev_documents,
            "spans": self.spans, "overlaps_resolved": self.overlaps, "not_aligned": self.not_aligned,
            "snapped": self.snapped, "files": [str(p) for p in self.files],
            "report": str(self.report_path) if self.report_path else None, "tokenizer": self.tokenizer,
            **self.extra,
        }

    def left_out_of_training(self) -> list[tuple[str, int, str]]:
        """What this export kept out of training because some tokens' entity status
        is unknown: (what, how many, how many for each reason), e.g.
        ``('Prodigy records answered "ignore"', 2, "1 holds an entity not aligned to tokens; 1 ...")``."""
        out = []
        for key, what in LEFT_OUT_OF_TRAINING.items():
            entries = self.extra.get(key) or []
            if entries:
                reasons = Counter(e["reason"] for e in entries)
                out.append((what, len(entries), "; ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))))
        return out


#: Report entries that list what an export left out of training (their tokens'
#: entity status is unknown), and what they are called in a summary.
LEFT_OUT_OF_TRAINING = {"conll_sentences_left_out": "CoNLL sentences",
                        "prodigy_records_ignored": 'Prodigy records answered "ignore"'}


def resolve_output(out: str | Path, *, format: str) -> tuple[Path, str | None]:
    """(folder, file name) for ``out``: the spaCy format always writes a folder; the
    single-file formats take a file path with a known extension, or a folder."""
    exp = get_exporter(format)
    out = Path(out)
    if exp.default_filename is not None and out.suffix.lower() in exp.extensions and not out.is_dir():
        return out.parent, out.name
    if out.exists() and not out.is_dir():
        raise AnnotatorError(Errors.E405, path=out, format=format)
    return out, exp.default_filename


def _doc_statuses(project: Project) -> dict[int, dict[str, str]]:
    statuses: dict[int, dict[str, str]] = {}
    for row in project.db["doc_status"].rows:
        statuses.setdefault(row["doc_id"], {})[row["annotator"]] = row["status"]
    return statuses


def _who(project: Project, statuses: dict[str, str], spans: list[Span], annotator: str | None) -> str | None:
    """The annotator whose status the export records for a document."""
    if annotator:
        return annotator
    done = sorted(a for a, s in statuses.items() if s == "done")
    if done:
        return project.annotator if project.annotator in done else done[0]
    if statuses:
        return project.annotator if project.annotator in statuses else sorted(statuses)[0]
    counts = Counter(s.annotator for s in spans if s.annotator)
    if counts:
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    return None


def choose_spans(all_spans: list[Span], *, annotator: str | None, include_suggestions: bool) -> list[Span]:
    """Accepted spans (of ``annotator`` when given), plus suggestions when asked,
    one per (start, end, layer, label, target)."""
    chosen: list[Span] = []
    seen: set[tuple] = set()
    for span in sorted(all_spans, key=lambda s: (s.id is None, s.id or 0)):
        if span.status == "accepted":
            if annotator and span.annotator != annotator:
                continue
        elif not (span.status == "suggested" and include_suggestions):
            continue
        if span.key() in seen:
            continue
        seen.add(span.key())
        chosen.append(span)
    chosen.sort(key=lambda s: (s.start, s.end, s.layer, s.label, s.target or ""))
    return chosen


def _holders(spans: list[Span], all_spans: list[Span]) -> dict[int, tuple[int, int]]:
    by_id = {s.id: s for s in all_spans}
    exported_entities = {(s.start, s.end) for s in spans if s.layer == "entity"}
    holders: dict[int, tuple[int, int]] = {}
    for s in spans:
        if s.layer == "stance" and s.holder_span_id in by_id and s.id is not None:
            holder = by_id[s.holder_span_id]
            if (holder.start, holder.end) in exported_entities:
                holders[s.id] = (holder.start, holder.end)
    return holders


def team_layers(project: Project) -> dict[int, str] | None:
    """Whose spans each finished article of a team project exports: the reviewed
    layer (``adjudicated``) where the article was finished by several annotators,
    else the one annotator who finished it. None for a project where no article was
    finished by two annotators; E407 naming the articles whose review is missing."""
    from annotator.services.adjudication import reviewable_doc_ids, unreviewed_doc_ids

    if not reviewable_doc_ids(project):
        return None
    missing = unreviewed_doc_ids(project)
    if missing:
        titles = [f"{project.document(d).title or '(untitled)'} (#{d})" for d in missing[:8]]
        more = f" and {len(missing) - 8} more" if len(missing) > 8 else ""
        raise AnnotatorError(Errors.E407, path=project.path, articles="; ".join(titles) + more)
    layers: dict[int, str] = {}
    for doc_id, who in project.conn.execute(
            "SELECT doc_id, annotator FROM doc_status WHERE status = 'done' ORDER BY doc_id, annotator = ? DESC, annotator",
            (ADJUDICATED,)):
        layers.setdefault(doc_id, who)
    return layers


def select_doc_ids(project: Project, *, annotator: str | None, include_all: bool) -> list[int]:
    if include_all:
        return [doc.id for doc in project.iter_documents()]
    return project.done_doc_ids(annotator=annotator)


def export(project: Project, *, format: str, out: str | Path, split: float = 0.8, seed: int = 0,
           annotator: str | None = None, include_all: bool = False, include_suggestions: bool = False,
           stance_docs: bool = False, shard_mb: float | None = None, progress: Progress | None = None,
           cancelled: Callable[[], bool] | None = None, offsets: str | None = None,
           doc_ids: Sequence[int] | None = None) -> ExportSummary:
    """Export the project's annotations as ``format`` into ``out``.

    Parameters
    ----------
    format:
        A registered exporter: ``spacy``, ``jsonl``, ``prodigy``, ``doccano``, ``conll``.
    out:
        A folder (created if needed); single-file formats also take a file path.
        Every written file stays inside the folder (E402).
    split, seed:
        spaCy only: the share of documents for training and the seed of the
        (document-level, reproducible) shuffle.
    annotator:
        Only this annotator's done documents and accepted spans (``adjudicated``:
        the reviewed version). Without it, a team project (articles finished by
        several annotators) exports each article's reviewed version, or the work of
        the one annotator who finished it, and is refused (E407) while an article
        still needs review.
    offsets:
        The offset unit of the JSON formats (``codepoints``, ``utf16``,
        ``graphemes``); default: what the format's tool counts in. The summary's
        ``offsets`` says which was written and ``browser_shifted`` how many spans a
        browser tool (counting UTF-16 units) would show on other characters.
    shard_mb:
        spaCy only: split a DocBin into numbered shards in a folder once it would
        pass this many megabytes (default 512; spaCy cannot write one over 2 GB).
    progress:
        Called as ``progress(done, total, title)`` after each document.
    doc_ids:
        Only these of the documents the other options select (background
        retraining keeps a held-out set out of the training data this way).

    Returns
    -------
    ExportSummary
        Documents, spans per layer and label, overlaps resolved, spans not aligned,
        files written; the same report is written to ``export-report.json``.
    """
    exp = get_exporter(format)
    if not 0.0 < split < 1.0:
        raise AnnotatorError(Errors.E404, value=split)
    try:
        folder, filename = resolve_output(out, format=format)
    except OSError as exc:
        raise os_error(exc, action="use the output path", path=out) from None
    project.quick_check()  # a damaged file says E006 here, not a traceback half-way
    layers = team_layers(project) if annotator is None else None
    only = None if doc_ids is None else set(doc_ids)
    doc_ids = [d for d in select_doc_ids(project, annotator=annotator, include_all=include_all)
               if only is None or d in only]
    if not doc_ids:
        if annotator == ADJUDICATED:
            raise AnnotatorError(Errors.E401, reason="no article has been reviewed to the end yet (View > Review "
                                                     "disagreements in the window)")
        who = f" by {annotator}" if annotator else ""
        raise AnnotatorError(Errors.E401, reason=f"no document is marked done{who} (use --all to export every document)")
    train_ids, dev_ids = split_documents(doc_ids, split=split, seed=seed)
    if format == "spacy" and (not train_ids or not dev_ids):
        raise AnnotatorError(Errors.E406, found=len(doc_ids))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _check_folder_writable(folder)
    except OSError as exc:
        raise os_error(exc, action="create the output folder", path=folder) from None
    clean_stale_parts(folder)
    report_path = inside(folder, REPORT_NAME)
    scheme = project.scheme()
    lang = tokenizer_language(project.setting("model", "auto")) if exp.tokenized else "en"
    nlp = make_tokenizer_nlp(lang) if exp.tokenized else None
    options = ExportOptions(scheme=scheme, dev_ids=frozenset(dev_ids), stance_docs=stance_docs,
                            filename=filename, lang=lang, offsets=offsets)
    # Label Studio keeps suggestions apart from annotations (as scored predictions).
    include_suggestions = include_suggestions or format == "labelstudio"
    if shard_mb is not None:
        options.shard_bytes = max(1, int(shard_mb * 1024 * 1024))
    report = ExportReport()
    statuses = _doc_statuses(project)

    # Done articles that still held suggestions nobody decided (their tokens are
    # exported as missing, not as "no entity").
    pending_in_done = {"documents": 0, "suggestions": 0}

    def items() -> Iterator[ExportItem]:
        wanted = set(doc_ids)
        total = len(doc_ids)
        done = 0
        source = project.iter_documents() if len(wanted) > total // 2 else project.iter_documents(doc_ids=doc_ids)
        for document in source:
            if document.id not in wanted:
                continue
            if cancelled is not None and cancelled():
                raise ExportCancelled()
            all_spans = project.spans(document.id)
            layer = layers.get(document.id) if layers is not None else annotator
            spans = choose_spans(all_spans, annotator=layer, include_suggestions=include_suggestions)
            doc_statuses = statuses.get(document.id, {})
            who = _who(project, doc_statuses, spans, layer)
            status = doc_statuses.get(who, "new") if who else "new"
            chosen = {s.id for s in spans}
            undecided = [s for s in all_spans if s.status == "suggested" and s.id not in chosen]
            if status == "done" and undecided:
                pending_in_done["documents"] += 1
                pending_in_done["suggestions"] += len(undecided)
            yield ExportItem(document, spans, status=status, annotator=who, holders=_holders(spans, all_spans),
                             undecided=[s for s in undecided if s.layer == "entity"])
            done += 1
            if progress is not None:
                progress(done, total, document.title)

    try:
        files = exp.write(items(), folder=folder, options=options, report=report, nlp=nlp)
    except OSError as exc:
        raise os_error(exc, action=f"write the export into {folder} (no file of it was left half-written)") from None
    report.extra["done_with_undecided"] = pending_in_done
    summary = ExportSummary(
        format=format, folder=folder, documents=report.documents,
        train_documents=len(train_ids) if format == "spacy" else report.documents,
        dev_documents=len(dev_ids) if format == "spacy" else 0,
        spans={layer: dict(sorted(labels.items())) for layer, labels in sorted(report.spans.items())},
        overlaps=report.overlaps, not_aligned=report.not_aligned, snapped=report.snapped, files=list(files),
        report_path=report_path, tokenizer=f"spacy.blank({lang!r})" if exp.tokenized else None, extra=report.extra,
    )
    try:
        with atomic_text(report_path) as fh:
            fh.write(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2) + "\n")
    except OSError as exc:
        raise os_error(exc, action="write the export report (the data files were written)",
                       path=report_path) from None
    return summary


def _check_folder_writable(folder: Path) -> None:
    """Raise the ``OSError`` of creating a file in ``folder`` (read-only, full, /proc)
    before any document is read: a temporary file is made and removed."""
    probe = create_part_file(folder / "write-test")
    probe.unlink()


def formats() -> list[tuple[str, str]]:
    """(name, description) of every export format, for the CLI and the window."""
    from annotator.formats.export import EXPORTERS, exporter_names

    return [(name, EXPORTERS[name].description) for name in exporter_names()]
