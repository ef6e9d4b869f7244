"""Review: settle where annotators disagree, and keep the result as its own layer.

An article that two or more annotators marked done is reviewed place by place. A
*place* is a group of overlapping spans of one layer across the annotators; each
annotator's *version* of it is their accepted spans there (possibly none). Where
all versions are equal the place is an agreement, and is pre-accepted; otherwise
it is a :class:`Disagreement` of one kind: a span only some marked, a different
label, boundary, stance target or holder.

The result is stored under the reserved annotator ``adjudicated``: the chosen
version's spans as accepted spans, and the other versions' spans as rejected ones,
so that a place where the reviewer chose "no span" is still known to be settled.
When every place of an article is settled, the article is marked done for
``adjudicated``, which is what ``annotator export --annotator adjudicated`` (and
the default export of a team project) takes.

Every decision is a :class:`~annotator.services.session.Command` (one transaction,
undoable), so the window puts it on its one undo stack.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from annotator.core.model import ADJUDICATED, ORIGIN_HUMAN, Document, Span
from annotator.services.session import Change, Command
from annotator.storage import Project

__all__ = ["ADJUDICATED", "Disagreement", "Place", "ReviewSession", "Version", "reviewable_doc_ids", "unreviewed_doc_ids"]


def reviewable_doc_ids(project: Project) -> list[int]:
    """Articles marked done by two or more annotators (the reviewed layer not counted)."""
    return [r[0] for r in project.conn.execute(
        "SELECT doc_id FROM doc_status WHERE status = 'done' AND annotator != ?"
        " GROUP BY doc_id HAVING count(*) >= 2 ORDER BY doc_id", (ADJUDICATED,))]


def unreviewed_doc_ids(project: Project) -> list[int]:
    """Reviewable articles whose review is not finished."""
    settled = set(project.done_doc_ids(annotator=ADJUDICATED))
    return [d for d in reviewable_doc_ids(project) if d not in settled]


@dataclass(frozen=True)
class Version:
    """One annotator's spans in a place (empty: they marked nothing there)."""

    annotator: str
    spans: tuple[Span, ...]
    #: (start, end, label, target, holder offsets) of each span, sorted: equal
    #: signatures are equal versions.
    signature: tuple[tuple, ...]


@dataclass
class Place:
    doc_id: int
    layer: str
    start: int
    end: int
    versions: list[Version]

    @property
    def agreed(self) -> bool:
        return len({v.signature for v in self.versions}) == 1

    @property
    def kind(self) -> str:
        """What the versions disagree on, in words."""
        if self.agreed:
            return "agreement"
        present = [v for v in self.versions if v.spans]
        if len(present) < len(self.versions):
            who = ", ".join(v.annotator for v in present)
            return f"marked by {who} only"
        ranges = {tuple((s[0], s[1]) for s in v.signature) for v in present}
        targets = {tuple(s[3] for s in v.signature) for v in present}
        labels = {tuple(s[2] for s in v.signature) for v in present}
        if len(ranges) > 1:
            return "different boundaries" + (" and labels" if len(labels) > 1 else "")
        if self.layer == "stance" and len(targets) > 1:
            return "different targets"
        if len(labels) > 1:
            return "different stance labels" if self.layer == "stance" else "different labels"
        return "different holders"


@dataclass
class Disagreement(Place):
    pass


def _signature(spans: Sequence[Span], by_id: dict[int, Span]) -> tuple[tuple, ...]:
    out = []
    for s in spans:
        holder = by_id.get(s.holder_span_id) if s.holder_span_id is not None else None
        out.append((s.start, s.end, s.label, s.target, (holder.start, holder.end) if holder else None))
    return tuple(sorted(out, key=lambda t: (t[0], t[1], t[2], t[3] or "")))


def overlap_groups(versions: dict[str, Sequence[Span]], layer: str) -> list[list[tuple[Span, str]]]:
    """Spans of ``layer`` from every annotator, as (span, annotator), grouped so
    that overlapping spans (directly or through others) share a group; text order."""
    tagged = sorted(((s, who) for who in sorted(versions) for s in versions[who] if s.layer == layer),
                    key=lambda t: (t[0].start, t[0].end))
    groups: list[list[tuple[Span, str]]] = []
    reach = -1
    for span, who in tagged:
        if groups and span.start < reach:
            groups[-1].append((span, who))
            reach = max(reach, span.end)
        else:
            groups.append([(span, who)])
            reach = span.end
    return groups


def places(doc_id: int, versions: dict[str, list[Span]], by_id: dict[int, Span]) -> list[Place]:
    """The places of one article: overlapping spans of a layer grouped across
    annotators, entities first, in text order."""
    out: list[Place] = []
    names = sorted(versions)
    for layer in ("entity", "stance"):
        for group in overlap_groups(versions, layer):
            per_who = {who: tuple(s for s, w in group if w == who) for who in names}
            vs = [Version(who, per_who[who], _signature(per_who[who], by_id)) for who in names]
            place_cls = Place if len({v.signature for v in vs}) == 1 else Disagreement
            out.append(place_cls(doc_id, layer, min(s.start for s, _ in group), max(s.end for s, _ in group), vs))
    return out


class _Write(Command):
    """Replace the reviewed layer in some places with given spans; undo restores it."""

    def __init__(self, review: ReviewSession, doc_id: int, writes: list[tuple[Place, list[Span], list[Span]]],
                 label: str) -> None:
        super().__init__(review.project, doc_id)
        self.review = review
        self.writes = writes
        self.label = label
        self._removed: list[Span] = []
        self._added: list[int] = []
        self._status_before: str | None = None

    def _do(self) -> Change:
        project = self.project
        self._removed, self._added = [], []
        touched: list[Span] = []
        for place, _accepted, _rejected in self.writes:
            for old in self.review.settled_spans(place):
                self._removed.append(project.delete_span(old.id, action="review.replace"))
        # Entities first: a stance's holder is looked up among the reviewed entities.
        for _place, accepted, rejected in sorted(self.writes, key=lambda w: w[0].layer != "entity"):
            rows = [self._copy(s, "accepted") for s in accepted] + [self._copy(s, "rejected") for s in rejected]
            self._added += project.insert_span_rows(self.doc_id, rows, action="review.settle")
            touched += rows
        self._status_before = project.doc_status(self.doc_id, ADJUDICATED)
        status = "done" if self.review.all_settled(self.doc_id) else "in_progress"
        if status != self._status_before:
            project.put_doc_status(self.doc_id, ADJUDICATED, status, action="review.status")
        return Change(self.doc_id, [s.id for s in self._removed] + list(self._added),
                      [(s.start, s.end) for s in touched + self._removed], doc_status=status)

    def _copy(self, span: Span, status: str) -> Span:
        holder = None
        if span.layer == "stance" and span.holder_span_id is not None:
            try:
                original = self.project.span(span.holder_span_id)
            except KeyError:
                original = None
            if original is not None:
                holder = self.project.conn.execute(
                    "SELECT id FROM spans WHERE doc_id = ? AND annotator = ? AND layer = 'entity' AND status = 'accepted'"
                    ' AND start = ? AND "end" = ? ORDER BY id LIMIT 1',
                    (self.doc_id, ADJUDICATED, original.start, original.end)).fetchone()
                holder = holder[0] if holder else None
        return replace(span, id=None, doc_id=self.doc_id, status=status, annotator=ADJUDICATED,
                       origin=ORIGIN_HUMAN, holder_span_id=holder, score=None, cue=None)

    def _undo(self) -> Change:
        project = self.project
        gone = [project.delete_span(span_id, action="review.undo") for span_id in reversed(self._added)]
        for span in self._removed:
            project.restore_span(span, action="review.undo")
        if self._status_before is not None:
            project.put_doc_status(self.doc_id, ADJUDICATED, self._status_before, action="review.undo")
        return Change(self.doc_id, [s.id for s in gone + self._removed],
                      [(s.start, s.end) for s in gone + self._removed], doc_status=self._status_before)


class ReviewSession:
    """The Qt-free model behind Review mode: one article's places, the reviewer's
    decisions as commands."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.document: Document | None = None
        self.places: list[Place] = []

    @property
    def disagreements(self) -> list[Disagreement]:
        return [p for p in self.places if isinstance(p, Disagreement)]

    def doc_ids(self) -> list[int]:
        return reviewable_doc_ids(self.project)

    def load(self, doc_id: int) -> Document:
        """Open an article: group every finished annotator's accepted spans into places."""
        self.document = self.project.document(doc_id)
        self.refresh()
        return self.document

    def refresh(self) -> None:
        if self.document is not None:
            self.places = self.places_of(self.document.id)

    def places_of(self, doc_id: int) -> list[Place]:
        statuses = self.project.doc_statuses(doc_id)
        names = sorted(w for w, st in statuses.items() if st == "done" and w != ADJUDICATED)
        spans = self.project.spans(doc_id)
        by_id = {s.id: s for s in spans}
        versions = {w: [s for s in spans if s.annotator == w and s.status == "accepted"] for w in names}
        return places(doc_id, versions, by_id)

    def settled_spans(self, place: Place) -> list[Span]:
        """The reviewed layer's spans (accepted or rejected) inside a place."""
        return [s for s in self.project.spans(place.doc_id, statuses=["accepted", "rejected"], layer=place.layer)
                if s.annotator == ADJUDICATED and s.start < place.end and place.start < s.end]

    def settled(self, place: Place) -> bool:
        return bool(self.settled_spans(place))

    def chosen(self, place: Place) -> list[str]:
        """Who the settled version of a place follows ([] when not settled; ["edited"]
        when it follows nobody exactly)."""
        rows = self.settled_spans(place)
        if not rows:
            return []
        by_id = {s.id: s for s in self.project.spans(place.doc_id)}
        accepted = _signature([s for s in rows if s.status == "accepted"], by_id)
        who = [v.annotator for v in place.versions if v.signature == accepted]
        return who or ["edited"]

    def all_settled(self, doc_id: int) -> bool:
        return all(self.settled(p) for p in self.places_of(doc_id))

    def pre_accept(self) -> Command | None:
        """Settle every agreement not settled yet (one command); None when there is none."""
        if self.document is None:
            return None
        todo = [p for p in self.places if p.agreed and not self.settled(p)]
        if not todo:
            return None
        writes = [(p, list(p.versions[0].spans), []) for p in todo]
        return _Write(self, self.document.id, writes, f"Pre-accept {len(todo)} agreement{'s' if len(todo) != 1 else ''}")

    def pick(self, place: Place, annotator: str, *, label: str | None = None) -> Command | None:
        """Settle ``place`` with ``annotator``'s version (relabelled to ``label`` when
        given: the reviewer's edit). The other versions' spans are kept as rejected."""
        version = next((v for v in place.versions if v.annotator == annotator), None)
        if version is None or self.document is None:
            return None
        chosen = [replace(s, label=label) if label else s for s in version.spans]
        keys = {(s.start, s.end, s.label, s.target) for s in chosen}
        rejected: list[Span] = []
        for other in place.versions:
            for s in other.spans:
                key = (s.start, s.end, s.label, s.target)
                if key not in keys:
                    keys.add(key)
                    rejected.append(s)
        what = "no span" if not chosen else ", ".join(f"{s.label} '{self.document.text[s.start:s.end][:30]}'" for s in chosen)
        name = f"Review: {'edit' if label else 'take'} {annotator}'s version ({what})"
        return _Write(self, self.document.id, [(place, chosen, rejected)], name)
