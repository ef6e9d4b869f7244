"""spaCy training machinery: configs, spaCy's own training loop with a progress
logger registered in spaCy's registry, DocBin statistics, evaluation and the
saved config (see :mod:`annotator.services.training` for what is trained on what).

Progress comes from the logger ``annotator.TrainingProgress.v1``: it reports each
step, and every evaluation's losses and dev score; it raises
:class:`TrainingCancelled` when ``cancelled()`` turns true, and stops the run
(keeping the best checkpoint) when the step limit or the time budget is reached.
"""

from __future__ import annotations

import io
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotator.core.errors import AnnotatorError, Errors

if TYPE_CHECKING:
    from spacy.language import Language

Progress = Callable[["TrainProgress"], None]


def load(name_or_path: str | Path) -> Language:
    """``spacy.load``."""
    import spacy

    return spacy.load(name_or_path)


def blank(lang: str) -> Language:
    """``spacy.blank``."""
    import spacy

    return spacy.blank(lang)


def load_config(path: str | Path) -> Any:
    """A spaCy training config file."""
    import spacy.util

    return spacy.util.load_config(path)


LOGGER_NAME = "annotator.TrainingProgress.v1"


DEFAULT_EVAL_FREQUENCY = 100


class TrainingCancelled(Exception):
    """Raised when ``cancelled()`` turns true; no pipeline is saved."""


class StopRun(Exception):
    """The step limit is reached or the time budget spent: stop the run and keep
    its best checkpoint."""


@dataclass
class TrainProgress:
    """One progress report.

    ``phase`` is "export", "init", "ner", "stance", "evaluate" or "save"; ``step``
    counts from 1 within the phase's run; ``loss`` and ``score`` are those of the
    last evaluation (None before the first).
    """

    phase: str
    message: str = ""
    step: int = 0
    max_steps: int | None = None
    epoch: int = 0
    loss: float | None = None
    score: float | None = None
    docs_seen: int = 0
    seconds: float = 0.0
    #: True when this step scored the dev split (a new learning-curve point).
    evaluated: bool = False


@dataclass(frozen=True)
class CurvePoint:
    """The dev score of ``component`` after ``docs_seen`` training documents."""

    component: str
    step: int
    docs_seen: int
    score: float


@dataclass(frozen=True)
class LabelScore:
    """Precision, recall and F1 of one label on the held-out split."""

    component: str
    label: str
    precision: float
    recall: float
    f1: float
    support: int


_RUNS: dict[str, RunHooks] = {}


_RUNS_LOCK = threading.Lock()


class RunHooks:
    """What the registered logger reports to, for one spaCy training run."""

    def __init__(self, *, phase: str, progress: Progress | None, cancelled: Callable[[], bool] | None,
                 deadline: float | None, max_steps: int, words_per_doc: float) -> None:
        self.phase = phase
        self.progress = progress
        self.cancelled = cancelled
        self.deadline = deadline
        self.max_steps = max_steps
        self.words_per_doc = max(words_per_doc, 1.0)
        self.curve: list[CurvePoint] = []
        self.steps = 0
        self.loss: float | None = None
        self.score: float | None = None
        self.started = time.perf_counter()
        self.time_up = False

    def log_step(self, info: dict[str, Any] | None) -> None:
        self.steps += 1
        docs_seen = 0
        epoch = 0
        evaluated = False
        if info is not None:
            docs_seen = round(info.get("words", 0) / self.words_per_doc)
            epoch = int(info.get("epoch", 0))
            losses = info.get("losses") or {}
            self.loss = float(sum(losses.values())) if losses else None
            if info.get("score") is not None:
                self.score = float(info["score"])
                self.curve.append(CurvePoint(self.phase, int(info["step"]), docs_seen, self.score))
                evaluated = True
        if self.progress is not None:
            self.progress(TrainProgress(
                self.phase, f"training {self.phase}: step {self.steps}", step=self.steps,
                max_steps=self.max_steps, epoch=epoch, loss=self.loss, score=self.score,
                docs_seen=docs_seen or (self.curve[-1].docs_seen if self.curve else 0),
                seconds=time.perf_counter() - self.started, evaluated=evaluated))
        if self.cancelled is not None and self.cancelled():
            raise TrainingCancelled()
        if self.steps >= self.max_steps:
            raise StopRun()
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.time_up = True
            raise StopRun()

    def finalize(self) -> None:
        pass


def register_logger() -> None:
    import spacy

    @spacy.registry.loggers(LOGGER_NAME)
    def progress_logger(run: str):  # noqa: ANN202 (spaCy logger factory)
        def setup(nlp, stdout, stderr):  # noqa: ANN001, ANN202, ARG001
            hooks = _RUNS[run]
            return hooks.log_step, hooks.finalize

        return setup


def set_common_training(config: Any, *, train: Path, dev: Path, run: str, max_steps: int, seed: int) -> None:
    config["paths"]["train"] = str(train)
    config["paths"]["dev"] = str(dev)
    training = config["training"]
    training["max_steps"] = max_steps
    training["eval_frequency"] = max(1, min(DEFAULT_EVAL_FREQUENCY, max_steps // 5))
    training["seed"] = seed
    training["logger"] = {"@loggers": LOGGER_NAME, "run": run}


def ner_config(config: Any, base: Language | None, base_name: str | None) -> Any:
    """``config`` (spaCy's ``init config`` for a recogniser) set up to fine-tune the
    recogniser of ``base`` with its other components frozen, or as it is without one."""
    if base is None:
        return config
    if "ner" not in base.pipe_names:
        raise AnnotatorError(Errors.E602, name=base_name, pipes=", ".join(base.pipe_names) or "none")
    components: dict[str, Any] = {name: {"source": base_name} for name in base.pipe_names}
    listened = any("ner" in getattr(proc, "listening_components", ()) for _n, proc in base.pipeline)
    if listened:
        # The recogniser gets its own copy of the shared embedding layer, so it can
        # learn while the tagger and parser keep theirs frozen.
        components["ner"]["replace_listeners"] = ["model.tok2vec"]
    config["components"] = components
    config["nlp"]["pipeline"] = list(base.pipe_names)
    config["nlp"]["tokenizer"] = dict(base.config["nlp"]["tokenizer"])
    config["training"]["frozen_components"] = [n for n in base.pipe_names if n != "ner"]
    config["training"]["annotating_components"] = []
    config["initialize"]["vectors"] = base_name if len(base.vocab.vectors) else None
    # Only the recogniser learns, so only its scores choose the best checkpoint (the
    # frozen tagger and parser would score 0 on documents without tags or trees).
    weights = config["training"]["score_weights"]
    for name in base.pipe_names:
        for key in base.get_pipe_meta(name).default_score_weights:
            if not key.startswith("ents_"):
                weights[key] = None
    return config


def spacy_run(config: Any, *, hooks: RunHooks, work: Path, run: str) -> tuple[Path, Language]:
    """Train one config with spaCy's loop; returns (best checkpoint, nlp) ."""
    from spacy.training.initialize import init_nlp
    from spacy.training.loop import train as spacy_train

    output = work / f"run-{hooks.phase}"
    output.mkdir(parents=True, exist_ok=True)
    with _RUNS_LOCK:
        _RUNS[run] = hooks
    try:
        nlp = init_nlp(config, use_gpu=-1)
        try:
            spacy_train(nlp, output, use_gpu=-1, stdout=io.StringIO(), stderr=io.StringIO())
        except StopRun:
            pass
    finally:
        with _RUNS_LOCK:
            _RUNS.pop(run, None)
    best = output / "model-best"
    return (best if best.exists() else output / "model-last"), nlp


def docbin_stats(path: Path) -> tuple[int, int, Counter[str], Counter[str]]:
    """(documents, words, entity label counts, category counts) of a DocBin file."""
    import spacy
    from spacy.tokens import DocBin

    vocab = spacy.blank("xx").vocab
    n = words = 0
    ents: Counter[str] = Counter()
    cats: Counter[str] = Counter()
    for doc in DocBin().from_disk(path).get_docs(vocab):
        n += 1
        words += len(doc)
        ents.update(e.label_ for e in doc.ents)
        cats.update(k for k, v in doc.cats.items() if v >= 0.5)
    return n, words, ents, cats


def evaluate_on(nlp: Language, path: Path) -> dict[str, Any]:
    from spacy.training import Corpus

    return nlp.evaluate(list(Corpus(str(path))(nlp)))


def label_scores(component: str, per_type: dict[str, dict[str, float]] | None,
                  support: Counter[str]) -> list[LabelScore]:
    rows = []
    for label in sorted(set(per_type or {}) | set(support)):
        s = (per_type or {}).get(label) or {}
        rows.append(LabelScore(component, label, round(float(s.get("p", 0.0) or 0.0), 4),
                               round(float(s.get("r", 0.0) or 0.0), 4), round(float(s.get("f", 0.0) or 0.0), 4),
                               int(support.get(label, 0))))
    return rows


def fix_saved_config(path: Path) -> None:
    """The saved config names spaCy's console logger and no training files, so the
    pipeline loads (and retrains with ``spacy train``) without this module or the
    temporary data."""
    import spacy.util

    config = spacy.util.load_config(path / "config.cfg", interpolate=False)
    config["training"]["logger"] = {"@loggers": "spacy.ConsoleLogger.v1", "progress_bar": False}
    config["paths"]["train"] = None
    config["paths"]["dev"] = None
    config.to_disk(path / "config.cfg")
