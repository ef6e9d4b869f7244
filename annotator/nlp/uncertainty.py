"""How unsure a document's suggestions are, for the "most useful article next"
order (what Prodigy's ``teach`` and INCEpTION's active learning put first).

spaCy's entity recogniser gives no probabilities, so entity uncertainty comes
from what is known to be contested: a string people decided both ways (a memory
conflict) and a string where memory overrode the model. Stances carry scores:
one near 0.5 is on the decision boundary. A document's certainty is 1 minus the
mean of its three most uncertain suggestions, so one with several borderline
suggestions comes before one with a single one; 1 means nothing to learn there.
"""

from __future__ import annotations

from collections.abc import Iterable

from annotator.core.model import SpanDraft
from annotator.nlp.memory import ORIGIN_MEMORY

__all__ = ["certainty", "draft_uncertainty"]

#: Suggestions that count towards a document's certainty.
TOP = 3


def draft_uncertainty(draft: SpanDraft) -> float:
    """0 (sure) .. 1 (a coin toss) for one suggestion."""
    cue = draft.cue or ""
    if cue.startswith("memory: conflicting"):
        return 1.0
    if draft.origin == ORIGIN_MEMORY and "(the model said " in cue:
        return 0.5
    if draft.layer == "stance" and draft.score is not None:
        return 1.0 - abs(2.0 * float(draft.score) - 1.0)
    return 0.0


def certainty(drafts: Iterable[SpanDraft]) -> float:
    worst = sorted((draft_uncertainty(d) for d in drafts), reverse=True)[:TOP]
    worst += [0.0] * (TOP - len(worst))
    return round(1.0 - sum(worst) / TOP, 4)
