"""Retraining while people annotate: after every N newly finished articles, train a
candidate pipeline, score it against the one in use on articles neither has been
trained on, and switch the project to it only when it is better.

* **When**: the project setting ``retrain.every`` (default 10; 0 turns it off)
  counts articles finished since the last retraining started (recorded in
  ``retrain.finished_at``).
* **Held out**: a fixed fifth of the finished articles (those whose id is a
  multiple of 5) is never trained on by a retraining, so every candidate and
  every model it replaced are scored on articles they have not seen.
* **What**: :func:`annotator.services.training.train` on the other finished
  articles (the entity recogniser), fine-tuning the recogniser of the pipeline in
  use when it has one, else from scratch; then the stance model from the
  project's stance decisions (:func:`annotator.services.stance_learning.train_from_project`),
  which switches itself on only when it beats the rules on its own held-out
  decisions.
* **Better**: entity F1 (exact match) plus stance macro-F1 on the held-out
  articles, both suggesters run without the decision memory; a tie keeps the
  current pipeline. A candidate that loses is deleted (it was made by this run).

The window runs :func:`retrain` in a child process (``annotator.gui.jobs``); the
command line keeps ``annotator train --use``.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from annotator.core.errors import AnnotatorError, Errors
from annotator.storage import Project

__all__ = ["EVERY_SETTING", "DEFAULT_EVERY", "RetrainOutcome", "held_out_split", "retraining_due",
           "mark_done", "retrain"]

EVERY_SETTING = "retrain.every"
DEFAULT_EVERY = 10
#: Finished-article count when the last retraining started.
MARK_SETTING = "retrain.finished_at"
#: Time budget (minutes) and step cap of one background retraining.
MINUTES_SETTING = "retrain.max_minutes"
STEPS_SETTING = "retrain.max_steps"
DEFAULT_MINUTES = 5.0
#: One finished article in this many (by id) is held out.
HELD_OUT_EVERY = 5


@dataclass
class RetrainOutcome:
    """What one retraining did, with the figures the status bar announces."""

    switched: bool
    model: str
    candidate: str
    current_scores: dict[str, float] = field(default_factory=dict)
    candidate_scores: dict[str, float] = field(default_factory=dict)
    train_documents: int = 0
    held_out_documents: int = 0
    seconds: float = 0.0
    #: The stance model's held-out accuracy against the rules', whether the
    #: project's suggestions now use it, or why it was not trained.
    stance: dict[str, Any] = field(default_factory=dict)

    def message(self) -> str:
        def figures(scores: dict[str, float], before: dict[str, float]) -> str:
            return (f"entities F1 {scores['entities_f1']:.2f} (in use: {before['entities_f1']:.2f}), "
                    f"stances macro-F1 {scores['stances_f1']:.2f} (in use: {before['stances_f1']:.2f})")

        head = (f"Retrained on {self.train_documents} finished articles, scored on "
                f"{self.held_out_documents} held-out: {figures(self.candidate_scores, self.current_scores)}")
        tail = (f"Now suggesting with {Path(self.candidate).name}." if self.switched
                else "Not better: kept the model in use.")
        if "model_accuracy" in self.stance:
            tail += (f" Stance model: held-out accuracy {self.stance['model_accuracy']:.2f} against the rules' "
                     f"{self.stance['rules_accuracy']:.2f}, "
                     + ("in use." if self.stance.get("used") else "the rules stay."))
        elif self.stance.get("note"):
            tail += f" Stance model: {self.stance['note']}."
        return f"{head}. {tail}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def every(project: Project) -> int:
    try:
        return max(0, int(project.setting(EVERY_SETTING, DEFAULT_EVERY)))
    except (TypeError, ValueError):
        return DEFAULT_EVERY


def held_out_split(doc_ids: list[int]) -> tuple[list[int], list[int]]:
    """(trained on, held out) of finished article ids; the held-out fifth stays the
    same as more articles are finished."""
    held = [d for d in doc_ids if d % HELD_OUT_EVERY == 0]
    return [d for d in doc_ids if d % HELD_OUT_EVERY != 0], held


def retraining_due(project: Project) -> bool:
    """Whether ``retrain.every`` articles were finished since the last retraining
    started, and there is enough to train and score on."""
    n = every(project)
    if n <= 0:
        return False
    from annotator.services.training import MIN_DOCUMENTS

    done = project.done_doc_ids()
    train_ids, held = held_out_split(done)
    if len(train_ids) < MIN_DOCUMENTS or not held:
        return False
    return len(done) - int(project.setting(MARK_SETTING, 0) or 0) >= n


def mark_done(project: Project, finished: int) -> None:
    """Record that the retraining started at ``finished`` finished articles has
    run (a cancelled one is not recorded, so it runs again next time)."""
    project.set_setting(MARK_SETTING, int(finished))


def _scores(report: Any) -> dict[str, float]:
    return {"entities_f1": round(report.entity_exact_overall.f1, 4),
            "stances_f1": round(report.stance_overall.macro_f1, 4)}


def _base_for(model: str) -> str | None:
    from annotator.nlp.pipelines import RULES, resolve

    resolved = resolve(model)
    return None if resolved == RULES else resolved


def retrain(project: Project, *, progress: Callable[[Any], None] | None = None,
            cancelled: Callable[[], bool] | None = None, max_minutes: float | None = None,
            max_steps: int | None = None, seed: int = 0) -> RetrainOutcome:
    """Train a candidate on the finished articles (less the held-out ones), score
    it and the model in use on the held-out ones, and switch when it is better.

    Raises :class:`AnnotatorError` E601 when there are too few articles, and
    ``TrainingCancelled`` when ``cancelled()`` turns true (nothing is kept).
    """
    from annotator.services.evaluation import compare_suggesters
    from annotator.services.exporting import export
    from annotator.services.training import MIN_DOCUMENTS, TrainingCancelled, train, use_model

    started = time.perf_counter()
    current = str(project.setting("model", "auto"))
    done = project.done_doc_ids()
    train_ids, held = held_out_split(done)
    if len(train_ids) < MIN_DOCUMENTS or not held:
        raise AnnotatorError(Errors.E601, found=len(train_ids), needed=MIN_DOCUMENTS)
    if max_minutes is None:
        max_minutes = float(project.setting(MINUTES_SETTING, DEFAULT_MINUTES))
    if max_steps is None:
        max_steps = project.setting(STEPS_SETTING, None)
    base = _base_for(current)
    options = dict(components=("ner",), max_minutes=max_minutes, max_steps=max_steps,
                   progress=progress, cancelled=cancelled, seed=seed, doc_ids=train_ids)
    try:
        summary = train(project, base=base, **options)
    except AnnotatorError as exc:
        if exc.code != "E602":  # the model in use has no recogniser to fine-tune
            raise
        summary = train(project, base=None, **options)
    candidate = str(summary.model_path)
    switched = False
    try:
        with tempfile.TemporaryDirectory(prefix=".retrain-") as tmp:
            written = export(project, format="jsonl", out=Path(tmp), doc_ids=held).files
            gold = next(f for f in written if Path(f).suffix == ".jsonl")
            if cancelled is not None and cancelled():
                raise TrainingCancelled()
            comparison = compare_suggesters(project, gold_path=gold, models=[current, candidate])
        before, after = (_scores(r) for r in comparison.reports)
        switched = sum(after.values()) > sum(before.values())
        if switched:
            use_model(project, model_path=candidate)
    finally:
        if not switched:
            shutil.rmtree(candidate, ignore_errors=True)
    stance = _retrain_stance(project, cancelled=cancelled)
    mark_done(project, len(done))
    return RetrainOutcome(switched, str(project.setting("model", "auto")), candidate, before, after,
                          train_documents=len(train_ids), held_out_documents=len(held),
                          seconds=time.perf_counter() - started, stance=stance)


def _retrain_stance(project: Project, *, cancelled: Callable[[], bool] | None) -> dict[str, Any]:
    """The stance model from the project's stance decisions (it switches itself on
    only when it beats the rules); its figures, or why there are none."""
    from annotator.services.stance_learning import train_from_project

    try:
        report = train_from_project(project, cancelled=cancelled)
    except AnnotatorError as exc:  # too few kinds of stance decisions yet
        return {"note": exc.message.rstrip(".")}
    figures = report.to_dict()
    return {k: figures[k] for k in ("model_accuracy", "rules_accuracy", "used", "heldout")}
