"""Team work with one project file per person: split a project, merge the copies back.

``assign`` writes one project per annotator: every article of a shared overlap (so
that agreement can be measured) plus a share of the rest, with the pending
suggestions but none of anyone's decisions. ``merge`` brings such copies (or any
projects with the same scheme) into one team project:

- articles are matched by text hash; a new one is copied with its title, source and meta;
- every annotator's decisions (accepted and rejected spans) and document statuses
  are kept under their own name, so two people's spans on one article coexist,
  and each article's events log comes along (every line once);
- a decision that is already there is not written again: merging the same copy twice
  changes nothing;
- where the target already holds a *different* decision of the same annotator for
  the same place (same layer, offsets and stance target), or a status that is not a
  step forward, the target is kept and the difference is reported as a conflict;
- schemes (label names of both layers and stance targets) must be equal, else the
  merge is refused (E107) naming the difference;
- the whole merge is one transaction: an error leaves the target as it was, and a
  target that the merge created is removed.
"""

from __future__ import annotations

import os
import random
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from annotator.core.errors import AnnotatorError, Errors
from annotator.core.model import ADJUDICATED, TEAM_SETTING, Span
from annotator.core.scheme import Scheme
from annotator.storage import Project, open_project

Progress = Callable[[int, int, str], None]

__all__ = ["AssignSummary", "MergeSummary", "assign", "check_annotator_name", "merge", "scheme_difference"]

_NAME = re.compile(r"^\w[\w.-]{0,63}$")
#: A status that moves a document forward may replace an earlier one when merging.
_FORWARD = {"new": 0, "in_progress": 1, "done": 2, "skipped": 2}


def check_annotator_name(name: str, *, allow_reserved: bool = False) -> str:
    """``name`` stripped, or E704 when it cannot name an annotator (and a file)."""
    name = (name or "").strip()
    if not _NAME.match(name):
        raise AnnotatorError(Errors.E704, name=name,
                             reason="use 1 to 64 letters, digits, '.', '_' or '-' (no spaces), starting with a letter or digit")
    if name == ADJUDICATED and not allow_reserved:
        raise AnnotatorError(Errors.E704, name=name, reason="it is reserved for the reviewed version of articles")
    return name


def scheme_difference(a: Scheme, b: Scheme, *, a_name: str, b_name: str) -> str | None:
    """What differs between two schemes' label names and stance targets, in words;
    None when they match (colours, keys and order do not matter)."""
    parts = []
    for what, names_a, names_b in (
        ("entity labels", a.label_names("entity"), b.label_names("entity")),
        ("stance labels", a.label_names("stance"), b.label_names("stance")),
        ("stance targets", a.target_names(), b.target_names()),
    ):
        only_a, only_b = sorted(set(names_a) - set(names_b)), sorted(set(names_b) - set(names_a))
        if only_a:
            parts.append(f"{what} only in {a_name}: {', '.join(only_a)}")
        if only_b:
            parts.append(f"{what} only in {b_name}: {', '.join(only_b)}")
    return "; ".join(parts) or None


def _copy_spans(project: Project, doc_id: int, spans: Sequence[Span], id_map: dict[int, int], *, action: str) -> None:
    """Store copies of another project's spans in document ``doc_id``, entities first
    so that each stance's holder is pointed at its copy; ``id_map`` (old id to new id,
    filled with the copies) also maps holders that are already here."""
    for s in sorted(spans, key=lambda s: (s.layer != "entity", s.id)):
        holder = id_map.get(s.holder_span_id) if s.holder_span_id is not None else None
        [new_id] = project.insert_span_rows(doc_id, [replace(s, id=None, doc_id=doc_id, holder_span_id=holder)],
                                            action=action)
        id_map[s.id] = new_id


# -- merge ----------------------------------------------------------------------------


@dataclass
class MergeSummary:
    target: Path
    created: bool = False
    documents_added: int = 0
    documents_matched: int = 0
    spans_added: int = 0
    suggestions_added: int = 0
    statuses_added: int = 0
    events_added: int = 0
    sources: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"target": str(self.target), "created": self.created, "documents_added": self.documents_added,
                "documents_matched": self.documents_matched, "spans_added": self.spans_added,
                "suggestions_added": self.suggestions_added, "statuses_added": self.statuses_added,
                "events_added": self.events_added,
                "sources": self.sources, "conflicts": self.conflicts}


def _slot(span: Span) -> tuple:
    return (span.layer, span.start, span.end, span.target)


def _value(span: Span, by_id: dict[int, Span]) -> tuple:
    holder = by_id.get(span.holder_span_id) if span.holder_span_id is not None else None
    return (span.label, span.status, (holder.start, holder.end) if holder else None)


def _describe_values(values: Sequence[tuple]) -> str:
    return ", ".join(f"{label} ({status})" + (f" held by {h[0]}-{h[1]}" if h else "") for label, status, h in values)


def _remove_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = Path(f"{path}{suffix}")
        if candidate.exists():
            candidate.unlink()


def merge(sources: Sequence[str | Path], *, into: str | Path, progress: Progress | None = None) -> MergeSummary:
    """Merge the projects ``sources`` into ``into`` (created when missing, with the
    first source's scheme and settings). All or nothing; see the module notes."""
    into = Path(into)
    source_paths = [Path(p) for p in sources]
    for path in source_paths:
        if into.exists() and path.exists() and path.resolve() == into.resolve():
            raise AnnotatorError(Errors.E701, path=path)
    opened: list[Project] = []
    target: Project | None = None
    created = not (into.exists() and into.stat().st_size > 0)
    try:
        for path in source_paths:
            opened.append(open_project(path))
        first = opened[0]
        if not created:
            target = open_project(into)
        for project, path in zip(opened, source_paths):
            reference, ref_name = (target.scheme(), into.name) if target is not None else (first.scheme(), source_paths[0].name)
            difference = scheme_difference(reference, project.scheme(), a_name=ref_name, b_name=path.name)
            if difference:
                raise AnnotatorError(Errors.E107, path=path, difference=difference)
        if target is None:
            target = open_project(into, create=True, scheme=first.scheme())
        summary = MergeSummary(target=into, created=created)
        total = sum(p.document_count() for p in opened)
        done = 0
        with target.write():
            if created:
                for key, value in first.conn.execute("SELECT key, value FROM settings"):
                    target.conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, value))
            for project, path in zip(opened, source_paths):
                before = (summary.documents_added, summary.spans_added, summary.statuses_added, len(summary.conflicts))
                for document in project.iter_documents():
                    _merge_document(project, document, target, summary, source_name=path.name)
                    done += 1
                    if progress is not None:
                        progress(done, total, document.title)
                record = {"path": str(path), "documents_added": summary.documents_added - before[0],
                          "spans_added": summary.spans_added - before[1],
                          "statuses_added": summary.statuses_added - before[2],
                          "conflicts": len(summary.conflicts) - before[3], "annotators": project.annotators()}
                summary.sources.append(record)
                target.log_event("project.merge", after=record)
            merged = target.setting(TEAM_SETTING, []) or []
            for path in source_paths:
                if path.name not in merged:
                    merged.append(path.name)
            target.conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, json(?))",
                                (TEAM_SETTING, _json(merged)))
        return summary
    except BaseException:
        if target is not None:
            target.close()
            target = None
            if created:
                _remove_files(into)
        raise
    finally:
        for project in opened:
            project.close()
        if target is not None:
            target.close()


def _merge_document(source: Project, document: Any, target: Project, summary: MergeSummary, *, source_name: str) -> None:
    doc_id = target.doc_id_for_text_hash(document.text_hash)
    if doc_id is None:
        doc_id = target.insert_document_row(document)
        summary.documents_added += 1
    else:
        summary.documents_matched += 1
    incoming = source.spans(document.id)
    existing = target.spans(doc_id)
    in_by_id = {s.id: s for s in incoming}
    here_by_id = {s.id: s for s in existing}
    id_map: dict[int, int] = {}

    # Suggestions: one pending copy per (offsets, layer, label, target).
    pending = {s.key(): s.id for s in existing if s.status == "suggested"}
    new_suggestions = []
    for s in incoming:
        if s.annotator is not None or s.status != "suggested":
            continue
        if s.key() in pending:
            id_map[s.id] = pending[s.key()]
        else:
            new_suggestions.append(s)
            pending[s.key()] = -1

    # Decisions, grouped by annotator and place.
    groups_in: dict[tuple, list[Span]] = defaultdict(list)
    groups_here: dict[tuple, list[Span]] = defaultdict(list)
    for s in incoming:
        if s.annotator is not None:
            groups_in[(s.annotator, _slot(s))].append(s)
    for s in existing:
        if s.annotator is not None:
            groups_here[(s.annotator, _slot(s))].append(s)
    new_decisions: list[Span] = []
    for key, spans in groups_in.items():
        here = groups_here.get(key, [])
        if not here:
            new_decisions += spans
            continue
        values_in = sorted(_value(s, in_by_id) for s in spans)
        values_here = sorted(_value(s, here_by_id) for s in here)
        by_value = {_value(s, here_by_id): s.id for s in here}
        for s in spans:
            id_map[s.id] = by_value.get(_value(s, in_by_id), here[0].id)
        if values_in != values_here:
            annotator, (layer, start, end, stance_target) = key
            summary.conflicts.append({
                "kind": "span", "source": source_name, "document": document.title, "text_hash": document.text_hash,
                "annotator": annotator, "layer": layer, "start": start, "end": end, "target": stance_target,
                "text": document.text[start:end], "kept": _describe_values(values_here),
                "incoming": _describe_values(values_in)})

    _copy_spans(target, doc_id, new_suggestions + new_decisions, id_map, action="span.merge")
    summary.suggestions_added += len(new_suggestions)
    summary.spans_added += len(new_decisions)

    statuses_here = target.doc_statuses(doc_id)
    for annotator, status in source.doc_statuses(document.id).items():
        current = statuses_here.get(annotator)
        if current == status:
            continue
        if current is None or _FORWARD[status] > _FORWARD[current]:
            target.put_doc_status(doc_id, annotator, status, action="document.merge")
            summary.statuses_added += 1
        else:
            summary.conflicts.append({
                "kind": "status", "source": source_name, "document": document.title,
                "text_hash": document.text_hash, "annotator": annotator, "kept": current, "incoming": status})
    for suggester, n_spans in source.suggestion_runs(document.id):
        target.record_suggestion_run(doc_id, suggester, n_spans)

    # The history comes along too (each line once, with its time and author), its
    # span ids pointing at the copies here.
    seen = {(at, who, action, before, after) for at, who, action, _, before, after in target.document_events(doc_id)}
    history = [(at, who, action, id_map.get(span_id) if span_id is not None else None, before, after)
               for at, who, action, span_id, before, after in source.document_events(document.id)
               if (at, who, action, before, after) not in seen]
    target.append_events(doc_id, history)
    summary.events_added += len(history)


# -- assign ---------------------------------------------------------------------------


@dataclass
class AssignSummary:
    files: dict[str, Path] = field(default_factory=dict)
    documents: dict[str, int] = field(default_factory=dict)
    shared: int = 0
    total: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"files": {k: str(v) for k, v in self.files.items()}, "documents": self.documents,
                "shared": self.shared, "total": self.total}


def plan_assignment(doc_ids: Sequence[int], names: Sequence[str], *, overlap: float, seed: int = 0) -> tuple[list[int], dict[str, list[int]]]:
    """(shared ids, ids per annotator): ``round(n * overlap)`` articles, drawn with
    ``random.Random(seed)``, go to everyone; the rest are dealt out in turn."""
    ids = sorted(doc_ids)
    random.Random(seed).shuffle(ids)
    n_shared = round(len(ids) * overlap)
    if overlap > 0 and len(names) > 1 and ids:
        n_shared = max(n_shared, 1)
    shared = sorted(ids[:n_shared])
    own: dict[str, list[int]] = {name: list(shared) for name in names}
    for i, doc_id in enumerate(ids[n_shared:]):
        own[names[i % len(names)]].append(doc_id)
    return shared, {name: sorted(v) for name, v in own.items()}


def assign(project: Project, *, to: Sequence[str], overlap: float = 0.2, out: str | Path | None = None,
           seed: int = 0, progress: Progress | None = None) -> AssignSummary:
    """Write one project per annotator in ``to`` (``STEM.NAME.db`` in ``out``, or
    beside the project): the shared overlap plus a share of the rest, with the
    scheme, the settings and the pending suggestions. All files or none."""
    if not 0.0 <= overlap <= 1.0:
        raise AnnotatorError(Errors.E703, value=overlap)
    names = [check_annotator_name(n) for n in to]
    if not names:
        raise AnnotatorError(Errors.E704, name="", reason="give at least one name, e.g. --to ana,ben")
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise AnnotatorError(Errors.E704, name=dup, reason="it is given twice")
    folder = Path(out) if out is not None else (project.path.parent if project.path else Path.cwd())
    stem = project.path.stem if project.path else "project"
    files = {name: folder / f"{stem}.{name}.db" for name in names}
    for path in files.values():
        if path.exists():
            raise AnnotatorError(Errors.E702, path=path)
    folder.mkdir(parents=True, exist_ok=True)
    doc_ids = _all_doc_ids(project)
    shared, plan = plan_assignment(doc_ids, names, overlap=overlap, seed=seed)
    summary = AssignSummary(shared=len(shared), total=len(doc_ids))
    parts = {name: path.with_name(f".{path.name}.part") for name, path in files.items()}
    settings = list(project.conn.execute("SELECT key, value FROM settings"))
    total = sum(len(v) for v in plan.values())
    done = 0
    try:
        for name, ids in plan.items():
            _remove_files(parts[name])
            with open_project(parts[name], create=True, scheme=project.scheme(), annotator=name) as copy, copy.write():
                for key, value in settings:
                    copy.conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, value))
                for doc_id in ids:
                    document = project.document(doc_id)
                    new_id = copy.insert_document_row(document)
                    _copy_spans(copy, new_id, project.spans(doc_id, statuses=["suggested"]), {}, action="span.assign")
                    for suggester, n_spans in project.suggestion_runs(doc_id):
                        copy.record_suggestion_run(new_id, suggester, n_spans)
                    done += 1
                    if progress is not None:
                        progress(done, total, document.title)
                copy.conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('team.assignment', json(?))",
                                  (_json({"annotator": name, "from": project.path.name if project.path else None,
                                          "shared": len(shared), "documents": len(ids), "seed": seed}),))
                copy.log_event("project.assign", after={"annotator": name, "documents": len(ids), "shared": len(shared)})
            summary.documents[name] = len(ids)
        for name in names:
            os.replace(parts[name], files[name])
            summary.files[name] = files[name]
    except BaseException:
        for name in names:
            _remove_files(parts[name])
        raise
    return summary


def _all_doc_ids(project: Project) -> list[int]:
    return [r[0] for r in project.conn.execute("SELECT id FROM documents ORDER BY id")]


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)
