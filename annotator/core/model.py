"""Domain objects: plain dataclasses with no behaviour tied to storage or Qt."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Layer = Literal["entity", "stance"]
Status = Literal["suggested", "accepted", "rejected"]
DocStatus = Literal["new", "in_progress", "done", "skipped"]

LAYERS: tuple[str, ...] = ("entity", "stance")
SPAN_STATUSES: tuple[str, ...] = ("suggested", "accepted", "rejected")
DOC_STATUSES: tuple[str, ...] = ("new", "in_progress", "done", "skipped")

ORIGIN_HUMAN = "human"
ORIGIN_IMPORT = "import"

#: The reserved annotator under which a review stores the settled version of
#: articles that several annotators finished (see services/adjudication.py).
ADJUDICATED = "adjudicated"

#: Project setting written by ``annotator merge``: the files merged into the project.
#: The window then shows each person their own spans (and the pending
#: suggestions), so nobody's decision changes another annotator's record.
TEAM_SETTING = "team.merged"


@dataclass(frozen=True, slots=True)
class Document:
    id: int
    text: str
    title: str
    source: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    text_hash: str = ""


@dataclass(slots=True)
class Span:
    """A labelled ``[start, end)`` code-point range of a document's text."""

    start: int
    end: int
    label: str
    layer: Layer = "entity"
    id: int | None = None
    doc_id: int | None = None
    target: str | None = None
    holder_span_id: int | None = None
    origin: str = ORIGIN_HUMAN
    score: float | None = None
    cue: str | None = None
    status: Status = "accepted"
    annotator: str | None = None

    def key(self) -> tuple[int, int, str, str, str | None]:
        return (self.start, self.end, self.layer, self.label, self.target)

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class SpanDraft:
    """A span read from a file or proposed by a suggester, not yet stored.

    ``holder`` is the (start, end) of the entity that holds a stance, when known.
    """

    start: int
    end: int
    label: str
    layer: Layer = "entity"
    target: str | None = None
    holder: tuple[int, int] | None = None
    score: float | None = None
    cue: str | None = None
    origin: str | None = None
