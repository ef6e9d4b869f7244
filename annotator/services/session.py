"""The annotation session: one open article, its spans, and every decision on them.

An :class:`AnnotationSession` is the Qt-free model behind the annotation window. It
holds the open document, a cache of its spans, the token and sentence boundaries of
its text, and the focused span. Every decision is a command object
(:class:`Command`) with ``do()`` and ``undo()``; each writes through
:class:`~annotator.storage.project.Project` in one transaction, so it is durable
when the call returns, and reports what it changed as a :class:`Change` so that a
view repaints only the affected ranges.

Note for developers: offsets here are code points (Python string indices). The
view converts Qt's UTF-16 positions before calling in; nothing in this module knows
about UTF-16. Commands address spans by id and carry their document id, so they can
be undone after the user has moved on to another article.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from annotator.core.model import ORIGIN_HUMAN, TEAM_SETTING, Document, Span
from annotator.core.scheme import Scheme
from annotator.core.text import LONG_TEXT, sentence_chunks, strip_span
from annotator.nlp.stance import TargetMatcher, best_target
from annotator.nlp.tokens import blank_pipeline, warm_up
from annotator.storage.project import Project

__all__ = [
    "AnnotationSession",
    "Change",
    "Command",
    "TokenIndex",
    "CHAR_MODE_SETTING",
    "warm_up",
]

#: Project setting: ``True`` lets selections end anywhere instead of on token edges.
CHAR_MODE_SETTING = "gui.char_selection"

#: Entity labels that can hold a stance (a person, an organisation, a country, a people).
HOLDER_LABELS = ("PERSON", "ORG", "GPE", "NORP")

_VISIBLE = ("suggested", "accepted")


class TokenIndex:
    """Token and sentence boundaries of one text, for snapping and stepping.

    Parameters
    ----------
    text:
        The document text.
    nlp:
        A spaCy ``Language`` that tokenizes and sets sentence starts; the blank
        English pipeline with a sentencizer when not given.
    """

    def __init__(self, text: str, nlp: Any | None = None) -> None:
        nlp = nlp or blank_pipeline()
        self.starts: list[int] = []
        self.ends: list[int] = []
        sents = []
        # A long article goes through in sentence-aligned pieces (spaCy refuses
        # texts over nlp.max_length); offsets are mapped back onto the whole text.
        pieces = [(0, text)] if len(text) <= min(LONG_TEXT, nlp.max_length) else sentence_chunks(text)
        for offset, piece in pieces:
            doc = nlp(piece)
            for t in doc:
                if not t.is_space:
                    self.starts.append(offset + t.idx)
                    self.ends.append(offset + t.idx + len(t))
            for sent in doc.sents:
                # A line break always ends a sentence: a title line without a full
                # stop is a sentence of its own, never the start of the first body one.
                pos, stop = offset + sent.start_char, offset + sent.end_char
                while pos < stop:
                    brk = text.find("\n", pos, stop)
                    end = stop if brk < 0 else brk
                    s, e = strip_span(text, pos, end)
                    if s < e:
                        sents.append((s, e))
                    pos = end + 1
        self.sentences = sents
        self._sent_starts = [s for s, _ in sents]

    def snap(self, start: int, end: int) -> tuple[int, int] | None:
        """Widen ``[start, end)`` to whole tokens; None when it covers no token."""
        # First token whose end lies after start; last token whose start lies before end.
        i = bisect.bisect_right(self.ends, start)
        j = bisect.bisect_left(self.starts, end) - 1
        if i >= len(self.starts) or j < i:
            return None
        return self.starts[i], self.ends[j]

    def step_start(self, start: int, end: int, step: int) -> int | None:
        """The token start ``step`` tokens from ``start`` (it must stay before ``end``)."""
        return self._step(self.starts, start, step, lambda pos: pos < end)

    def step_end(self, start: int, end: int, step: int) -> int | None:
        """The token end ``step`` tokens from ``end`` (it must stay after ``start``)."""
        return self._step(self.ends, end, step, lambda pos: pos > start)

    @staticmethod
    def _step(edges: list[int], pos: int, step: int, ok: Callable[[int], bool]) -> int | None:
        i = bisect.bisect_left(edges, pos)
        on_edge = i < len(edges) and edges[i] == pos
        # Off an edge (character mode) the first step lands on the nearest edge.
        k = i + step if on_edge or step < 0 else i + step - 1
        if 0 <= k < len(edges) and ok(edges[k]):
            return edges[k]
        return None

    def sentence_at(self, pos: int) -> tuple[int, int] | None:
        """The sentence containing (or nearest before) code point ``pos``."""
        if not self.sentences:
            return None
        i = max(bisect.bisect_right(self._sent_starts, pos) - 1, 0)
        return self.sentences[i]


@dataclass(slots=True)
class Change:
    """What a command changed: the view refreshes these and nothing else.

    Attributes
    ----------
    doc_id:
        The document the command belongs to.
    span_ids:
        Spans whose row was written (added, updated or deleted).
    ranges:
        Code-point ranges (before and after the change) that need repainting.
    doc_status:
        The document's new status when the command changed it.
    focus:
        The span to focus afterwards, when the command has a preference.
    """

    doc_id: int
    span_ids: list[int] = field(default_factory=list)
    ranges: list[tuple[int, int]] = field(default_factory=list)
    doc_status: str | None = None
    focus: int | None = None


class Command:
    """A decision that can be done, undone and redone, each in one transaction.

    Subclasses implement :meth:`_do` and :meth:`_undo`; :meth:`do` and
    :meth:`undo` wrap them in one ``Project.write()`` transaction (nested writes in
    between become savepoints) and return the :class:`Change`.
    """

    #: Sentence-case name shown in the Edit menu ("Undo Accept PERSON 'Macron'").
    label: str = "Edit"

    def __init__(self, project: Project, doc_id: int) -> None:
        self.project = project
        self.doc_id = doc_id

    @property
    def subject(self) -> int | None:
        """The id of the span the decision is about (the one to focus when it is
        undone), when it names one span."""
        return None

    def do(self) -> Change:
        with self.project.write():
            return self._do()

    def undo(self) -> Change:
        with self.project.write():
            return self._undo()

    def _do(self) -> Change:  # pragma: no cover - abstract
        raise NotImplementedError

    def _undo(self) -> Change:  # pragma: no cover - abstract
        raise NotImplementedError

    def _change(self, spans: Iterable[Span], focus: int | None = None) -> Change:
        spans = list(spans)
        return Change(self.doc_id, [s.id for s in spans if s.id is not None],
                      [(s.start, s.end) for s in spans], focus=focus)


class SetStatusCommand(Command):
    """Accept or reject spans (one, or every remaining suggestion)."""

    def __init__(self, project: Project, doc_id: int, spans: Sequence[Span], status: str, label: str,
                 *, focus_after: int | None = None) -> None:
        super().__init__(project, doc_id)
        self.spans = list(spans)
        self.status = status
        self.label = label
        self.focus_after = focus_after
        self._previous: list[tuple[int, str]] = []

    @property
    def subject(self) -> int | None:
        return self.spans[0].id if len(self.spans) == 1 else None

    def _do(self) -> Change:
        action = "span.accept" if self.status == "accepted" else "span.reject"
        self._previous = self.project.set_span_statuses([s.id for s in self.spans], self.status, action=action)
        self.project.touch_document(self.doc_id)
        return self._change(self.spans, focus=self.focus_after)

    def _undo(self) -> Change:
        self.project.restore_span_statuses(self._previous, action="span.status.undo")
        focus = self.spans[0].id if len(self.spans) == 1 else None
        return self._change(self.spans, focus=focus)


class CreateSpanCommand(Command):
    """Add a span a person wrote (accepted, origin ``human``)."""

    def __init__(self, project: Project, doc_id: int, span: Span, label: str) -> None:
        super().__init__(project, doc_id)
        self.span = span
        self.label = label
        self._stored: Span | None = None

    @property
    def subject(self) -> int | None:
        return self.span.id

    def _do(self) -> Change:
        if self._stored is None:
            self._stored = self.project.add_span(self.doc_id, self.span)
        else:  # redo keeps the id, so later commands that name it still work
            self._stored = self.project.restore_span(self._stored, action="span.add")
        return self._change([self._stored], focus=self._stored.id)

    def _undo(self) -> Change:
        assert self._stored is not None
        before = self.project.delete_span(self._stored.id, action="span.add.undo")
        return self._change([before])


class CorrectSpanCommand(Command):
    """Relabel, resize or retarget a span.

    A suggestion is not edited: a human span with the corrected fields is written
    and the suggestion is marked rejected, so it stays in the history. A stance
    that named the suggestion as its holder is pointed at the new span. A span a
    person already owns is updated in place.
    """

    def __init__(self, project: Project, doc_id: int, span: Span, changes: dict[str, Any], label: str) -> None:
        super().__init__(project, doc_id)
        self.span = span
        self.changes = changes
        self.label = label
        self._new: Span | None = None
        self._moved_holders: list[int] = []

    @property
    def subject(self) -> int | None:
        return self.span.id

    @property
    def replaces_suggestion(self) -> bool:
        return self.span.status == "suggested"

    def _do(self) -> Change:
        old = self.span
        if not self.replaces_suggestion:
            changes = dict(self.changes)
            if old.origin != ORIGIN_HUMAN:
                # The corrected fields are a person's decision now, whoever proposed the span.
                changes["origin"] = ORIGIN_HUMAN
            before, after = self.project.update_span(old.id, action="span.correct", **changes)
            return self._change([before, after], focus=after.id)
        if self._new is None:
            draft = replace(old, id=None, origin=ORIGIN_HUMAN, status="accepted", annotator=None, **self.changes)
            self._new = self.project.add_span(self.doc_id, draft)
        else:
            self._new = self.project.restore_span(self._new, action="span.add")
        self.project.update_span(old.id, action="span.correct", status="rejected")
        self._moved_holders = []
        moved: list[Span] = []
        if old.layer == "entity":
            for stance in self.project.spans(self.doc_id, layer="stance"):
                if stance.holder_span_id == old.id:
                    self.project.update_span(stance.id, action="span.holder", holder_span_id=self._new.id)
                    self._moved_holders.append(stance.id)
                    moved.append(stance)
        # The stances now name the new span as holder: they are part of what changed.
        return self._change([old, self._new, *moved], focus=self._new.id)

    def _undo(self) -> Change:
        old = self.span
        if not self.replaces_suggestion:
            restore = {k: getattr(old, k) for k in (*self.changes, "origin")}
            before, after = self.project.update_span(old.id, action="span.correct.undo", **restore)
            return self._change([before, after], focus=old.id)
        assert self._new is not None
        moved = []
        for stance_id in self._moved_holders:
            moved.append(self.project.update_span(stance_id, action="span.holder.undo", holder_span_id=old.id)[1])
        self.project.delete_span(self._new.id, action="span.correct.undo")
        self.project.update_span(old.id, action="span.correct.undo", status=old.status)
        return self._change([old, self._new, *moved], focus=old.id)


class LinkHolderCommand(Command):
    """Set the holder of a stance; a suggested holder is accepted with it."""

    def __init__(self, project: Project, doc_id: int, stance: Span, holder: Span | None, label: str) -> None:
        super().__init__(project, doc_id)
        self.stance = stance
        self.holder = holder
        self.label = label

    @property
    def subject(self) -> int | None:
        return self.stance.id

    def _spans(self) -> list[Span]:
        return [self.stance] + ([self.holder] if self.holder is not None else [])

    def _do(self) -> Change:
        if self.holder is not None and self.holder.status == "suggested":
            self.project.update_span(self.holder.id, action="span.accept", status="accepted")
        self.project.update_span(self.stance.id, action="span.holder",
                                 holder_span_id=self.holder.id if self.holder is not None else None)
        return self._change(self._spans(), focus=self.stance.id)

    def _undo(self) -> Change:
        self.project.update_span(self.stance.id, action="span.holder.undo",
                                 holder_span_id=self.stance.holder_span_id)
        if self.holder is not None and self.holder.status == "suggested":
            self.project.update_span(self.holder.id, action="span.accept.undo", status="suggested")
        return self._change(self._spans(), focus=self.stance.id)


class DocStatusCommand(Command):
    """Mark the article done or skipped for the current annotator."""

    def __init__(self, project: Project, doc_id: int, status: str, label: str) -> None:
        super().__init__(project, doc_id)
        self.status = status
        self.label = label
        self._previous: str | None = None

    def _do(self) -> Change:
        self._previous = self.project.set_doc_status(self.doc_id, self.status)
        return Change(self.doc_id, doc_status=self.status)

    def _undo(self) -> Change:
        assert self._previous is not None
        self.project.set_doc_status(self.doc_id, self._previous)
        return Change(self.doc_id, doc_status=self._previous)


def _quote(text: str, limit: int = 30) -> str:
    text = " ".join(text.split())
    return f"'{text}'" if len(text) <= limit else f"'{text[: limit - 1]}…'"


class AnnotationSession:
    """The open article and the decisions made on it (no Qt).

    Parameters
    ----------
    project:
        The UI thread's project.
    char_mode:
        Let selections end anywhere; the project setting ``gui.char_selection``
        decides when not given.
    nlp:
        The pipeline used for token and sentence boundaries (spaCy's blank
        English tokenizer with a sentencizer by default, loaded on first use).

    The methods named after decisions (:meth:`accept`, :meth:`relabel`, ...) build a
    :class:`Command` (or return None when there is nothing to do); :meth:`run`
    executes one and :meth:`apply` brings the cache up to date with its change.
    """

    def __init__(self, project: Project, *, char_mode: bool | None = None, nlp: Any | None = None) -> None:
        self.project = project
        self.scheme: Scheme = project.scheme()
        self.char_mode = bool(project.setting(CHAR_MODE_SETTING, False)) if char_mode is None else char_mode
        self._nlp = nlp
        self._target_matcher: TargetMatcher | None = None
        self.document: Document | None = None
        self._spans: dict[int, Span] = {}
        #: Span ids in reading order, kept while no span appears, vanishes or moves.
        self._order: list[int] | None = None
        self._tokens: TokenIndex | None = None
        self.focused_id: int | None = None
        #: When set, only this annotator's spans are shown (Review mode shows the
        #: reviewed layer being built); None shows every suggested and accepted span.
        self.only_annotator: str | None = None
        self.team = bool(project.setting(TEAM_SETTING))

    # -- the open document ------------------------------------------------------

    @property
    def doc_id(self) -> int | None:
        return self.document.id if self.document else None

    @property
    def text(self) -> str:
        return self.document.text if self.document else ""

    def load(self, doc_id: int) -> Document:
        """Open a document: its text and its suggested and accepted spans."""
        self.document = self.project.document(doc_id)
        self._spans = self._visible(doc_id)
        self._order = None
        self._tokens = None
        self.focused_id = None
        return self.document

    def reload_spans(self) -> None:
        """Re-read the spans (suggestions may have arrived from a background run)."""
        if self.document is not None:
            old = self.focused
            self._spans = self._visible(self.document.id)
            self._order = None
            if self.focused_id not in self._spans:
                follower = self.equivalent_span(old) if old is not None else None
                self.focused_id = follower.id if follower is not None else None

    def equivalent_span(self, span: Span) -> Span | None:
        """The visible span that stands for ``span`` after the spans were re-read:
        the one with its id, else one claiming the same (start, end, layer, label,
        target), else the nearest one of its layer at that place."""
        if span.id in self._spans:
            return self._spans[span.id]
        key = span.key()
        same = [s for s in self._spans.values() if s.key() == key]
        if same:
            return min(same, key=lambda s: s.status != span.status)
        near = [s for s in self._spans.values()
                if s.layer == span.layer and s.start < span.end and span.start < s.end]
        return min(near, key=lambda s: (abs(s.start - span.start) + abs(s.end - span.end), s.id), default=None)

    def _shown(self, span: Span) -> bool:
        if span.status not in _VISIBLE:
            return False
        if self.only_annotator is not None:
            return span.annotator == self.only_annotator
        # In a merged team project each person sees (and so can change) only their own work.
        return not self.team or span.annotator is None or span.annotator == self.project.annotator

    def _visible(self, doc_id: int) -> dict[int, Span]:
        return {s.id: s for s in self.project.spans(doc_id, statuses=_VISIBLE) if self._shown(s)}

    def spans(self, layer: str | None = None) -> list[Span]:
        """Visible spans (suggested and accepted) in reading order."""
        if self._order is None:
            ordered = sorted(self._spans.values(), key=lambda s: (s.start, -s.end, s.layer != "stance", s.id))
            self._order = [s.id for s in ordered]
        spans = [self._spans[i] for i in self._order]
        return spans if layer is None else [s for s in spans if s.layer == layer]

    def counts(self) -> tuple[int, int]:
        """(accepted, suggested) spans of the open document."""
        pending = sum(1 for s in self._spans.values() if s.status == "suggested")
        return len(self._spans) - pending, pending

    def span(self, span_id: int | None) -> Span | None:
        return self._spans.get(span_id) if span_id is not None else None

    @property
    def focused(self) -> Span | None:
        return self.span(self.focused_id)

    def doc_status(self) -> str:
        return self.project.doc_status(self.document.id) if self.document else "new"

    @property
    def tokens(self) -> TokenIndex:
        if self._tokens is None:
            self._tokens = TokenIndex(self.text, self._nlp)
        return self._tokens

    def span_text(self, span: Span) -> str:
        return self.text[span.start:span.end]

    # -- selection and focus ------------------------------------------------------

    def snap(self, start: int, end: int) -> tuple[int, int] | None:
        """The range a selection labels: whole tokens (or stripped characters in
        character mode); None when it holds no text."""
        start, end = sorted((max(0, start), min(len(self.text), end)))
        if self.char_mode:
            start, end = strip_span(self.text, start, end)
            return (start, end) if start < end else None
        return self.tokens.snap(start, end)

    def focus(self, span_id: int | None) -> Span | None:
        self.focused_id = span_id if span_id in self._spans else None
        return self.focused

    def focus_step(self, step: int, from_pos: int | None = None) -> Span | None:
        """Move the focus to the next (``step`` > 0) or previous span, wrapping.

        With nothing focused, ``from_pos`` (the reading position, a code point)
        says where to continue: the first span starting there or after it, or the
        last one starting before it; without it, the first or the last span.
        """
        order = self.spans()
        if not order:
            return self.focus(None)
        ids = [s.id for s in order]
        if self.focused_id in ids:
            i = (ids.index(self.focused_id) + step) % len(ids)
        elif from_pos is not None:
            starts = [s.start for s in order]
            i = (bisect.bisect_left(starts, from_pos) if step > 0 else bisect.bisect_left(starts, from_pos) - 1)
            i %= len(ids)
        else:
            i = 0 if step > 0 else len(ids) - 1
        return self.focus(ids[i])

    def _next_suggestion_after(self, span: Span) -> int | None:
        """The next pending suggestion in Tab order after ``span``, wrapping round.

        Tab order, not position: two stances on one sentence (two targets) have
        the same range, and the second must still be visited after the first.
        """
        order = self.spans()
        ids = [s.id for s in order]
        i = ids.index(span.id) if span.id in ids else bisect.bisect_left(
            [(s.start, -s.end) for s in order], (span.start, -span.end)) - 1
        for s in order[i + 1:] + order[:max(i, 0)]:
            if s.status == "suggested" and s.id != span.id:
                return s.id
        return None

    # -- decisions -----------------------------------------------------------------

    def _describe(self, span: Span) -> str:
        return f"{span.label} {_quote(self.span_text(span))}"

    def accept(self, span: Span | None = None) -> Command | None:
        span = span or self.focused
        if span is None or span.status == "accepted":
            return None
        return SetStatusCommand(self.project, span.doc_id, [span], "accepted", f"Accept {self._describe(span)}",
                                focus_after=self._next_suggestion_after(span) or span.id)

    def reject(self, span: Span | None = None) -> Command | None:
        span = span or self.focused
        if span is None:
            return None
        name = "Reject suggestion" if span.status == "suggested" else "Delete span"
        return SetStatusCommand(self.project, span.doc_id, [span], "rejected", f"{name} {self._describe(span)}",
                                focus_after=self._next_suggestion_after(span))

    def accept_all(self) -> Command | None:
        pending = [s for s in self.spans() if s.status == "suggested"]
        if not pending or self.document is None:
            return None
        n = len(pending)
        return SetStatusCommand(self.project, self.document.id, pending, "accepted",
                                f"Accept all {n} suggestion{'s' if n != 1 else ''}")

    def create(self, start: int, end: int, layer: str, label: str, *, target: str | None = None) -> Command | None:
        """Label a range (snapped first). An identical suggestion is accepted instead
        of duplicated; an identical accepted span makes this a no-op."""
        if self.document is None or self.scheme.label(layer, label) is None:
            return None
        snapped = self.snap(start, end)
        if snapped is None:
            return None
        start, end = snapped
        if layer == "stance" and target is None:
            target = self.guess_target(start, end)
        for s in self._spans.values():
            if (s.start, s.end, s.layer, s.label) == (start, end, layer, label) and (layer == "entity" or s.target == target):
                return self.accept(s)
        span = Span(start, end, label, layer, doc_id=self.document.id, target=target, origin=ORIGIN_HUMAN,
                    status="accepted", annotator=self.only_annotator or self.project.annotator)
        what = f"{label} {_quote(self.text[start:end])}" if layer == "entity" else f"{label} stance"
        return CreateSpanCommand(self.project, self.document.id, span, f"Add {what}")

    def relabel(self, label: str, span: Span | None = None) -> Command | None:
        span = span or self.focused
        if span is None or span.label == label or self.scheme.label(span.layer, label) is None:
            return None
        return CorrectSpanCommand(self.project, span.doc_id, span, {"label": label}, f"Relabel to {label}")

    def set_target(self, target: str | None, span: Span | None = None) -> Command | None:
        span = span or self.focused
        if span is None or span.layer != "stance" or span.target == target:
            return None
        return CorrectSpanCommand(self.project, span.doc_id, span, {"target": target},
                                  f"Set target to {_quote(target or 'none', 40)}")

    def resize(self, edge: str, step: int, span: Span | None = None) -> Command | None:
        """Move the focused span's ``"start"`` or ``"end"`` by ``step`` tokens
        (characters in character mode)."""
        span = span or self.focused
        if span is None:
            return None
        if self.char_mode:
            new = (span.start + step, span.end) if edge == "start" else (span.start, span.end + step)
            new = strip_span(self.text, max(0, new[0]), min(len(self.text), new[1]))
            if new[0] >= new[1] or new == (span.start, span.end):
                return None
            start, end = new
        elif edge == "start":
            start, end = self.tokens.step_start(span.start, span.end, step), span.end
            if start is None:
                return None
        else:
            start, end = span.start, self.tokens.step_end(span.start, span.end, step)
            if end is None:
                return None
        grows = (start < span.start) if edge == "start" else (end > span.end)
        return CorrectSpanCommand(self.project, span.doc_id, span, {"start": start, "end": end},
                                  "Grow span" if grows else "Shrink span")

    def link_holder(self, holder: Span | None, stance: Span | None = None) -> Command | None:
        """Link ``holder`` to the stance (None: the stance has no holder)."""
        stance = stance or self.focused
        if stance is None or stance.layer != "stance" or (holder is not None and holder.layer != "entity"):
            return None
        if stance.holder_span_id == (holder.id if holder is not None else None):
            return None
        if holder is None:
            return LinkHolderCommand(self.project, stance.doc_id, stance, None, "Remove holder")
        if stance.status == "suggested":
            # The stance becomes a person's decision: accept it with the link.
            return _Sequence(self.project, stance.doc_id, [
                SetStatusCommand(self.project, stance.doc_id, [stance], "accepted", ""),
                LinkHolderCommand(self.project, stance.doc_id, stance, holder, ""),
            ], f"Link holder {_quote(self.span_text(holder))}")
        return LinkHolderCommand(self.project, stance.doc_id, stance, holder,
                                 f"Link holder {_quote(self.span_text(holder))}")

    def set_doc_status(self, status: str) -> Command | None:
        if self.document is None:
            return None
        label = {"done": "Mark article done", "skipped": "Skip article", "in_progress": "Reopen article"}.get(
            status, f"Mark article {status}")
        return DocStatusCommand(self.project, self.document.id, status, label)

    # -- stance helpers ------------------------------------------------------------

    def sentence_at(self, pos: int) -> tuple[int, int] | None:
        return self.tokens.sentence_at(pos) if self.text else None

    def named_target(self, start: int, end: int) -> str | None:
        """The scheme target the range speaks about (aliases, keywords and the
        target's names on word boundaries, as the stance suggester matches them)."""
        if self._target_matcher is None or self._target_matcher.targets != tuple(self.scheme.targets):
            self._target_matcher = TargetMatcher(self.scheme.targets)
        return best_target(self._target_matcher.find(self.text[start:end]), self._target_matcher)

    def guess_target(self, start: int, end: int) -> str | None:
        """The target a new stance on ``[start, end)`` most likely has.

        The scheme target the passage names (keywords, aliases); else the target
        of the nearest stance before it in the same paragraph; else the one the
        article's stances take most often; else the one its title names. The
        same kind of sentence gets a target the same way wherever it is.
        """
        named = self.named_target(start, end)
        if named is not None:
            return named
        para_start = self.text.rfind("\n", 0, start) + 1
        stances = [s for s in self._spans.values() if s.layer == "stance" and s.target]
        before = [s for s in stances if para_start <= s.start and s.end <= start]
        if before:
            return max(before, key=lambda s: (s.end, s.id or 0)).target
        if stances:
            counts: dict[str, int] = {}
            for s in stances:
                counts[s.target] = counts.get(s.target, 0) + 1  # type: ignore[index]
            return max(counts, key=lambda t: (counts[t], -self.scheme.target_names().index(t)
                                              if t in self.scheme.target_names() else 0))
        first_line = self.text.find("\n")
        return self.named_target(0, first_line) if first_line > 0 else None

    def holder_candidates(self, stance: Span | None = None) -> list[Span]:
        """Every entity that can hold the stance, one per distinct name, nearest first.

        Eligible: entities labelled one of :data:`HOLDER_LABELS`. A name that occurs
        several times is offered once, by its occurrence nearest to the stance
        (the current holder's own occurrence for the current holder's name).
        """
        stance = stance or self.focused
        if stance is None:
            return []

        def distance(s: Span) -> int:
            if s.start < stance.end and stance.start < s.end:
                return 0
            return stance.start - s.end if s.end <= stance.start else s.start - stance.end

        ents = [s for s in self._spans.values() if s.layer == "entity" and s.label in HOLDER_LABELS]
        ents.sort(key=lambda s: (s.id != stance.holder_span_id, distance(s), s.start))
        seen: set[str] = set()
        out: list[Span] = []
        for s in ents:
            name = " ".join(self.span_text(s).split()).casefold()
            if name not in seen:
                seen.add(name)
                out.append(s)
        rank = {label: i for i, label in enumerate(HOLDER_LABELS)}
        out.sort(key=lambda s: (distance(s), rank[s.label], s.start))
        return out

    def context_of(self, span: Span, width: int = 90) -> str:
        """The sentence around ``span``, on one line, cut to about ``width`` characters."""
        sent = self.sentence_at(span.start) or (span.start, span.end)
        text = " ".join(self.text[sent[0]:sent[1]].split())
        if len(text) <= width:
            return text
        at = self.text[sent[0]:span.start].count(" ")  # rough position of the span in the sentence
        words = text.split(" ")
        lo = max(0, at - 6)
        cut = " ".join(words[lo:])
        cut = ("…" if lo else "") + cut
        return cut if len(cut) <= width else cut[: width - 1] + "…"

    # -- running commands ----------------------------------------------------------

    def run(self, command: Command) -> Change:
        """Do ``command`` (durable on return) and update the cache."""
        return self.apply(command.do())

    def apply(self, change: Change) -> Change:
        """Bring the cache up to date with a change that was just written."""
        if self.document is not None and change.doc_id == self.document.id:
            for span_id in change.span_ids:
                try:
                    span = self.project.span(span_id)
                except KeyError:
                    span = None
                old = self._spans.get(span_id)
                if span is None or not self._shown(span):
                    if self._spans.pop(span_id, None) is not None:
                        self._order = None
                else:
                    if old is None or (old.start, old.end, old.layer) != (span.start, span.end, span.layer):
                        self._order = None
                    self._spans[span_id] = span
            if change.focus is not None or self.focused_id not in self._spans:
                self.focus(change.focus)
        return change


class _Sequence(Command):
    """Several commands as one decision (one transaction, one undo step)."""

    def __init__(self, project: Project, doc_id: int, parts: list[Command], label: str) -> None:
        super().__init__(project, doc_id)
        self.parts = parts
        self.label = label

    def _do(self) -> Change:
        return _merge(self.doc_id, [p.do() for p in self.parts])

    def _undo(self) -> Change:
        return _merge(self.doc_id, [p.undo() for p in reversed(self.parts)])


def _merge(doc_id: int, changes: list[Change]) -> Change:
    merged = Change(doc_id)
    for c in changes:
        merged.span_ids += [i for i in c.span_ids if i not in merged.span_ids]
        merged.ranges += c.ranges
        merged.doc_status = c.doc_status or merged.doc_status
        merged.focus = c.focus if c.focus is not None else merged.focus
    return merged
