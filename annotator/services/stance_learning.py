"""Learning stances from a project's decisions (see :mod:`annotator.nlp.stance_model`).

* :func:`stance_examples` reads the decisions: every accepted stance (accepted
  suggestions, corrections, stances people wrote or imported) is an example of its
  label; a stance suggestion people rejected without putting another stance for
  its target over that sentence is an example of :data:`NO_STANCE`.
* :func:`train_from_project` trains the model on the documents of one split and
  scores it and the rules on the stance labels people gave in the others
  (documents go whole to one side, the same for a given seed; a stance people wrote
  where the rules suggested nothing counts against the rules). The model is
  switched on for the project's suggestions (setting ``stance_model``) only when it
  beats the rules there.
* :func:`project_stance_model` loads the model a project uses, if any.

Background retraining calls :func:`train_from_project` with ``progress`` and
``cancelled``; nothing here touches Qt.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.core.errors import AnnotatorError, Errors
from annotator.core.model import ORIGIN_HUMAN, ORIGIN_IMPORT, Span
from annotator.nlp.stance_model import (
    COMBINE_MODES,
    NO_STANCE,
    StanceExample,
    StanceModel,
    combine_label,
    train_stance_model,
)
from annotator.storage import Project

#: The project setting naming the stance model in use: {"path": ..., "combine": "both"}.
STANCE_MODEL_SETTING = "stance_model"


@dataclass(frozen=True, slots=True)
class Decision:
    """One stance decision, with what the rules had suggested there (None: nothing)."""

    doc_id: int
    example: StanceExample
    rules_label: str | None
    rules_score: float | None = None


@dataclass
class StanceTrainReport:
    """What :func:`train_from_project` did and measured."""

    decisions: int = 0
    train: int = 0
    heldout: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    model_accuracy: float = 0.0
    rules_accuracy: float = 0.0
    used: bool = False
    path: str | None = None
    note: str = ""
    model: StanceModel | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"decisions": self.decisions, "train": self.train, "heldout": self.heldout, "counts": self.counts,
                "model_accuracy": round(self.model_accuracy, 4), "rules_accuracy": round(self.rules_accuracy, 4),
                "used": self.used, "path": self.path, "note": self.note}


def _suggested(span: Span) -> bool:
    return span.origin not in (ORIGIN_HUMAN, ORIGIN_IMPORT)


def stance_decisions(project: Project, *, doc_ids: Sequence[int] | None = None) -> list[Decision]:
    """The project's stance decisions (see the module notes), in document order."""
    out: list[Decision] = []
    for document in project.iter_documents(doc_ids=doc_ids):
        spans = [s for s in project.spans(document.id, layer="stance") if s.target]
        accepted = [s for s in spans if s.status == "accepted"]
        suggestions = [s for s in spans if _suggested(s)]
        text = document.text
        for s in accepted:
            if _suggested(s):
                rules, score = s.label, s.score  # the suggestion itself was accepted
            else:
                prior = [p for p in suggestions if p.target == s.target and p.overlaps(s)]
                rules, score = (prior[0].label, prior[0].score) if prior else (None, None)
            out.append(Decision(document.id, StanceExample(text[s.start:s.end], s.target or "", s.label), rules,
                                score))
        for s in suggestions:
            if s.status != "rejected" or any(a.target == s.target and a.overlaps(s) for a in accepted):
                continue
            out.append(Decision(document.id, StanceExample(text[s.start:s.end], s.target or "", NO_STANCE),
                                s.label, s.score))
    return out


def stance_examples(project: Project, *, doc_ids: Sequence[int] | None = None) -> list[StanceExample]:
    """The examples a stance model learns from (the decisions without their context)."""
    return [d.example for d in stance_decisions(project, doc_ids=doc_ids)]


def _split(decisions: Sequence[Decision], heldout: float, seed: int) -> tuple[list[Decision], list[Decision]]:
    import random

    docs = sorted({d.doc_id for d in decisions})
    random.Random(seed).shuffle(docs)
    n_held = max(1, round(len(docs) * heldout)) if len(docs) > 1 and heldout > 0 else 0
    held = set(docs[:n_held])
    return [d for d in decisions if d.doc_id not in held], [d for d in decisions if d.doc_id in held]


def model_folder(project: Project) -> Path:
    """Where a project's stance model is saved: ``<project>-models/stance-model``."""
    from annotator.services.training import models_folder

    if project.path is None:
        raise AnnotatorError(Errors.E604, reason="the project has no file to save a stance model beside")
    return models_folder(Path(project.path)) / "stance-model"


def train_from_project(project: Project, *, heldout: float = 0.2, seed: int = 0, epochs: int = 12,
                       use: bool | None = None, combine: str = "both",
                       progress: Callable[[int, int], None] | None = None,
                       cancelled: Callable[[], bool] | None = None, save: bool = True) -> StanceTrainReport:
    """Train a stance model from the project's decisions and compare it with the rules.

    ``use``: None switches the model on for the project's suggestions only when it
    beats the rules on the held-out decisions; True or False decide regardless.
    Raises E620 when the decisions hold fewer than two classes.
    """
    if combine not in COMBINE_MODES:
        raise AnnotatorError(Errors.E306, key=STANCE_MODEL_SETTING, reason=f"combine must be one of {COMBINE_MODES}")
    labels = project.scheme().label_names("stance") or ["FAVOR", "AGAINST", "NEUTRAL"]
    decisions = stance_decisions(project)
    train, held = _split(decisions, heldout, seed)
    report = StanceTrainReport(decisions=len(decisions), train=len(train), heldout=len(held))
    for d in decisions:
        report.counts[d.example.label] = report.counts.get(d.example.label, 0) + 1
    model = train_stance_model([d.example for d in train], labels=labels, epochs=epochs, seed=seed,
                               progress=progress, cancelled=cancelled)
    # Compared on what the suggestion list shows: the label of each held-out stance
    # people gave (a rejected candidate keeps its place in the list either way), as
    # the model labels it combined with the rules the way the suggestions would be.
    labelled = [d for d in held if d.example.label != NO_STANCE]
    if labelled:
        probs = model.score([(d.example.target, d.example.sentence) for d in labelled])
        predicted = [(combine_label(d.rules_label, d.rules_score, p, labels, combine) or ("", 0.0))[0]
                     for d, p in zip(labelled, probs)]
        report.model_accuracy = sum(p == d.example.label for p, d in zip(predicted, labelled)) / len(labelled)
        report.rules_accuracy = sum(d.rules_label == d.example.label for d in labelled) / len(labelled)
    else:
        report.note = "no held-out stance decisions: the model was not compared with the rules"
    report.used = (report.model_accuracy > report.rules_accuracy) if use is None else use
    report.model = model
    model.meta.update({"model_accuracy": report.model_accuracy, "rules_accuracy": report.rules_accuracy,
                       "heldout": report.heldout})
    if save:
        folder = model_folder(project)
        staging = folder.with_name(folder.name + ".part")
        shutil.rmtree(staging, ignore_errors=True)
        model.to_disk(staging)
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
        report.path = str(folder)
        if report.used:
            project.set_setting(STANCE_MODEL_SETTING, {"path": str(folder), "combine": combine,
                                                       "name": model.name})
        elif use is None and project.setting(STANCE_MODEL_SETTING, None):
            project.set_setting(STANCE_MODEL_SETTING, None)  # the rules do better now
    return report


def replay_gold(project: Project, gold_path: str | Path, *, suggester: Any = None) -> int:
    """Replay a gold file (our JSONL) as an annotator's decisions: add its articles
    (with their entities), suggest them, accept each stance suggestion a gold stance
    confirms (same target and label over the sentence), reject the others, and
    write the gold stances no suggestion found. Bootstraps a stance model from an
    annotated corpus (the bundled sample corpus, say). Returns the articles added."""
    from annotator.core.text import text_hash
    from annotator.services.evaluation import read_gold
    from annotator.services.suggesting import suggest_project
    from annotator.storage import NewDocument

    items = read_gold(gold_path, project.scheme())
    docs = [NewDocument(text=it.text, title=it.title, text_hash=text_hash(it.text), status="done",
                        spans=[d for d in it.spans if d.layer == "entity"]) for it in items]
    ids, _ = project.add_documents(docs)
    suggest_project(project, suggester=suggester, doc_ids=ids)
    accept: list[int] = []
    reject: list[int] = []
    for doc_id, item in zip(ids, items):
        gold = [d for d in item.spans if d.layer == "stance"]
        found: set[int] = set()
        for s in project.spans(doc_id, layer="stance"):
            if not _suggested(s) or s.status != "suggested":
                continue
            match = next((k for k, g in enumerate(gold) if k not in found and g.target == s.target
                          and g.label == s.label and g.start < s.end and s.start < g.end), None)
            if match is None:
                reject.append(s.id or 0)
            else:
                found.add(match)
                accept.append(s.id or 0)
        project.merge_spans(doc_id, [g for k, g in enumerate(gold) if k not in found])
    for ids_, status in ((accept, "accepted"), (reject, "rejected")):
        if ids_:
            project.set_span_statuses(ids_, status)
    return len(ids)


def project_stance_model(project: Project) -> tuple[StanceModel, str] | None:
    """The stance model the project's suggestions use and its combine mode, or None."""
    setting = project.setting(STANCE_MODEL_SETTING, None)
    if not setting:
        return None
    if not isinstance(setting, dict) or not isinstance(setting.get("path"), str):
        raise AnnotatorError(Errors.E306, key=STANCE_MODEL_SETTING,
                             reason='it must be {"path": FOLDER, "combine": "both"|"model"}')
    combine = setting.get("combine", "both")
    if combine not in COMBINE_MODES:
        raise AnnotatorError(Errors.E306, key=STANCE_MODEL_SETTING, reason=f"combine must be one of {COMBINE_MODES}")
    return StanceModel.load(setting["path"]), combine
