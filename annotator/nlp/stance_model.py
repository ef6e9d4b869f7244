"""A stance model learned from a project's decisions: sentence x target -> label.

The rules (:mod:`annotator.nlp.stance`) propose the candidates: every sentence that
speaks about a target. This model scores each candidate with spaCy's ``textcat``
(the default BOW + CNN ensemble, exclusive classes) over the text
``"{target}: {sentence}"``, the SemEval-2016 Task 6 / P-Stance layout the spaCy
export also writes. It learns the stance labels from the stances people accepted,
corrected or wrote, and, when the project has enough of them, the decision itself:
a candidate people rejected without putting another stance for its target there
is the class :data:`NO_STANCE`.

Entry points (the training service and background retraining call these):

* :func:`train_stance_model` (examples -> :class:`StanceModel`),
* :meth:`StanceModel.score` (pairs -> probabilities), :meth:`StanceModel.rescore`
  (rule drafts -> drafts labelled by the model, or by the rules where the model is
  unsure: the ``combine`` modes below),
* :meth:`StanceModel.to_disk` / :meth:`StanceModel.load`.

No sentence-embedding model is needed: ``textcat`` trains from the project's own
text in seconds on a CPU.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotator.core.errors import AnnotatorError, Errors
from annotator.core.model import SpanDraft

if TYPE_CHECKING:
    from spacy.language import Language

#: The class of a candidate people rejected: no stance toward this target here.
NO_STANCE = "NO_STANCE"
#: How a model and the rules combine (see :meth:`StanceModel.rescore`).
COMBINE_MODES = ("model", "both")
STANCE_MODEL_VERSION = "1"
_META = "stance-model.json"


@dataclass(frozen=True, slots=True)
class StanceExample:
    """One decision: a sentence, a target, and the label people gave it (or NO_STANCE)."""

    sentence: str
    target: str
    label: str


def model_text(target: str, sentence: str) -> str:
    """The text the model reads for a candidate."""
    return f"{target}: {' '.join(sentence.split())}"


@dataclass
class StanceModel:
    """A trained stance classifier and what it was trained on."""

    nlp: Language
    labels: tuple[str, ...]
    examples: int
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"stance-model {STANCE_MODEL_VERSION}.{self.meta.get('digest', '0')}"

    def score(self, pairs: Sequence[tuple[str, str]], *, batch_size: int = 64) -> list[dict[str, float]]:
        """Class probabilities for each (target, sentence) pair."""
        textcat = self.nlp.get_pipe("textcat")
        docs = (self.nlp.make_doc(model_text(t, s)) for t, s in pairs)
        return [{k: float(v) for k, v in doc.cats.items()} for doc in textcat.pipe(docs, batch_size=batch_size)]

    def rescore(self, text: str, drafts: Sequence[SpanDraft], *, combine: str = "both",
                labels: Sequence[str] | None = None) -> list[SpanDraft]:
        """Label and score the rules' stance candidates in ``text``.

        ``combine="model"``: the model's most probable stance label wins (NO_STANCE
        only lowers the score). ``"both"``: the model decides where it is confident
        (probability >= 0.5) or where the rules found no cue (their score <= 0.3);
        elsewhere the rules' label stands, scored by the model's probability of it.
        Entity drafts pass through unchanged.
        """
        if combine not in COMBINE_MODES:
            raise ValueError(f"combine must be one of {COMBINE_MODES}")
        stances = [d for d in drafts if d.layer == "stance" and d.target]
        if not stances:
            return list(drafts)
        allowed = set(labels or self.labels) - {NO_STANCE}
        probs = self.score([(d.target or "", text[d.start:d.end]) for d in stances])
        new: dict[int, SpanDraft] = {}
        for d, p in zip(stances, probs):
            picked = combine_label(d.label, d.score, p, allowed, combine)
            if picked is None:
                continue
            chosen, chosen_p = picked
            none = p.get(NO_STANCE, 0.0)
            score = round(max(0.01, min(0.99, chosen_p * (1.0 - none))), 4)
            new[id(d)] = replace(d, label=chosen, score=score,
                                 cue=f"{self.name}: {chosen} {chosen_p:.2f} (rules: {d.label}, {d.cue})",
                                 origin=f"{d.origin or 'stance-rules'} + {self.name}")
        return [new.get(id(d), d) for d in drafts]

    def to_disk(self, path: str | Path) -> Path:
        """Save the pipeline and its meta to the folder ``path``."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.nlp.to_disk(path)
        (path / _META).write_text(json.dumps({"labels": list(self.labels), "examples": self.examples,
                                              **self.meta}, indent=2), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> StanceModel:
        """Load a model saved by :meth:`to_disk` (E307 when the folder is not one)."""
        import spacy

        path = Path(path)
        try:
            meta = json.loads((path / _META).read_text(encoding="utf-8"))
            nlp = spacy.load(path)
        except (OSError, ValueError, KeyError) as exc:
            raise AnnotatorError(Errors.E307, folder=path, reason=str(exc)) from None
        if "textcat" not in nlp.pipe_names:
            raise AnnotatorError(Errors.E307, folder=path, reason="the pipeline has no textcat component")
        labels = tuple(meta.pop("labels", ()))
        examples = int(meta.pop("examples", 0))
        return cls(nlp, labels, examples, meta)


def combine_label(rules_label: str | None, rules_score: float | None, probs: dict[str, float],
                  allowed: set[str] | Sequence[str], combine: str) -> tuple[str, float] | None:
    """The label (and its probability) a candidate gets: see :meth:`StanceModel.rescore`."""
    choices = {k: v for k, v in probs.items() if k in allowed and k != NO_STANCE}
    if not choices:
        return None
    label, prob = max(choices.items(), key=lambda kv: kv[1])
    rules_unsure = rules_label is None or (rules_score or 0.0) <= 0.3
    if combine == "model" or prob >= 0.5 or rules_unsure or rules_label not in choices:
        return label, prob
    return rules_label, choices[rules_label]


def train_stance_model(examples: Sequence[StanceExample], *, labels: Sequence[str], epochs: int = 12,
                       seed: int = 0, progress: Callable[[int, int], None] | None = None,
                       cancelled: Callable[[], bool] | None = None) -> StanceModel:
    """Train a textcat on ``examples`` (labels outside ``labels`` + NO_STANCE are
    ignored). Deterministic for a given seed. Raises E620 when fewer than two classes
    have examples."""
    import spacy
    from spacy.training import Example
    from spacy.util import compounding, fix_random_seed, minibatch

    classes = [*labels, NO_STANCE]
    usable = [e for e in examples if e.label in classes and e.sentence.strip() and e.target]
    present = sorted({e.label for e in usable})
    if len(present) < 2:
        raise AnnotatorError(Errors.E620, found=len(usable), classes=", ".join(present) or "none")
    if not any(e.label == NO_STANCE for e in usable):
        classes = list(labels)
    fix_random_seed(seed)
    nlp = spacy.blank("en")
    textcat = nlp.add_pipe("textcat")  # spaCy's default: TextCatEnsemble (bag of words + CNN)
    for label in classes:
        textcat.add_label(label)
    data = [Example.from_dict(nlp.make_doc(model_text(e.target, e.sentence)),
                              {"cats": {c: float(c == e.label) for c in classes}}) for e in usable]
    optimizer = nlp.initialize(lambda: data)
    rng = random.Random(seed)
    for epoch in range(epochs):
        if cancelled is not None and cancelled():
            break
        rng.shuffle(data)
        for batch in minibatch(data, size=compounding(4.0, 32.0, 1.5)):
            nlp.update(batch, sgd=optimizer, drop=0.2)
        if progress is not None:
            progress(epoch + 1, epochs)
    counts: dict[str, int] = {}
    for e in usable:
        counts[e.label] = counts.get(e.label, 0) + 1
    digest = hashlib.sha256(json.dumps([model_text(e.target, e.sentence) + "\t" + e.label for e in usable]
                                       + [seed, epochs]).encode()).hexdigest()[:8]
    return StanceModel(nlp, tuple(classes), len(usable), {"counts": counts, "seed": seed, "epochs": epochs,
                                                          "digest": digest})
