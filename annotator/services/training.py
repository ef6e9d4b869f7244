"""Training: a spaCy pipeline from a project's finished documents.

The training data is the export service's spaCy output (``train.spacy`` /
``dev.spacy`` and, for stances, the SemEval-style ``stance-train.spacy`` /
``stance-dev.spacy`` docs "{target}: {sentence}" with one-hot cats), so what is
trained is exactly what ``annotator export --format spacy`` writes. Training runs
spaCy's own loop (:func:`spacy.training.loop.train`) on configs from spaCy's
``init config`` (the export's :func:`training_config` / :func:`stance_config`):

* **ner**: from scratch (own ``tok2vec``), or, with ``base``, every component of
  the base pipeline sourced, the recogniser fine-tuned and the rest frozen (the
  trained pipeline keeps the base's tagger and parser, which the stance rules use).
* **stance**: an exclusive ``textcat`` trained on the stance docs in a second run
  and added to the pipeline as the component ``stance``, *disabled*: it classifies
  "{target}: {sentence}" docs, not articles, so a caller runs it explicitly
  (``nlp.get_pipe("stance")(nlp.make_doc(f"{target}: {sentence}")).cats``).
  A span categoriser over ``doc.spans["stance"]`` was the alternative; it must
  propose every n-gram up to a sentence long and cannot tell targets apart.

Progress comes from a logger registered in spaCy's registry
(``annotator.TrainingProgress.v1``): it reports each step, and every evaluation's
losses and dev score; it also raises :class:`TrainingCancelled` when ``cancelled()``
turns true, and stops the run (keeping the best checkpoint) when the time budget
is spent. The saved ``config.cfg`` names spaCy's console logger instead, so the
pipeline loads without this module.

Learning curve: training again on growing fractions of the data would multiply the
training time, so the curve records the dev score at each evaluation step against
the number of training documents seen so far (words seen divided by the mean words
of a training document; a document seen twice counts twice).

spaCy itself (configs, the loop, the logger, DocBin statistics) is driven from
:mod:`annotator.nlp.training`; this module decides what is trained on what, and
where it is saved.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from annotator.core.errors import AnnotatorError, Errors, os_error
from annotator.core.files import clean_stale_training_folders, make_training_folder
from annotator.formats.export.spacy_bin import training_config
from annotator.nlp import training as nlp_training
from annotator.nlp.suggester import STANCE_COMPONENT
from annotator.nlp.training import DEFAULT_EVAL_FREQUENCY as DEFAULT_EVAL_FREQUENCY
from annotator.nlp.training import LOGGER_NAME as LOGGER_NAME
from annotator.nlp.training import (
    CurvePoint,
    LabelScore,
    RunHooks,
    TrainingCancelled,
    TrainProgress,
    docbin_stats,
    evaluate_on,
    fix_saved_config,
    label_scores,
    ner_config,
    register_logger,
    set_common_training,
    spacy_run,
)
from annotator.storage import Project

#: Fewer finished documents than this and training refuses (E601): with a held-out
#: fifth for evaluation, smaller sets give a dev score of one or two articles.
MIN_DOCUMENTS = 5
COMPONENTS = ("ner", "stance")
DEFAULT_MAX_STEPS = 2000
#: The share of documents trained on; the rest is the held-out dev split.
SPLIT = 0.8

Progress = Callable[["TrainProgress"], None]


@dataclass
class TrainSummary:
    """What a training run produced."""

    model_path: Path
    name: str
    version: str
    base: str | None
    components: list[str]
    trained_at: str
    documents: int = 0
    train_documents: int = 0
    dev_documents: int = 0
    stance_train_documents: int = 0
    stance_dev_documents: int = 0
    scores: dict[str, float] = field(default_factory=dict)
    labels: list[LabelScore] = field(default_factory=list)
    curve: list[CurvePoint] = field(default_factory=list)
    steps: dict[str, int] = field(default_factory=dict)
    stopped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    lang: str = "en"

    @property
    def model_setting(self) -> str:
        """The value for the project's ``model`` setting that selects this pipeline."""
        return str(self.model_path)

    @property
    def package(self) -> str:
        """The package-style name ("en_" + meta name), as suggestions name the pipeline."""
        return self.name if self.name.startswith(f"{self.lang}_") else f"{self.lang}_{self.name}"

    @property
    def origin(self) -> str:
        """How suggestions from this pipeline are labelled ("package version")."""
        return f"{self.package} {self.version}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_path": str(self.model_path), "name": self.name, "version": self.version,
            "package": self.package, "lang": self.lang, "origin": self.origin, "base": self.base,
            "components": self.components, "trained_at": self.trained_at, "documents": self.documents,
            "train_documents": self.train_documents, "dev_documents": self.dev_documents,
            "stance_train_documents": self.stance_train_documents,
            "stance_dev_documents": self.stance_dev_documents,
            "scores": self.scores, "labels": [asdict(x) for x in self.labels],
            "learning_curve": [asdict(p) for p in self.curve], "steps": self.steps, "stopped": self.stopped,
            "notes": self.notes, "seconds": round(self.seconds, 2),
        }


# ---- training ----------------------------------------------------------------------------------


def models_folder(project_path: Path) -> Path:
    """Where trained pipelines of a project go: ``<project stem>-models/`` beside it."""
    return project_path.parent / f"{project_path.stem}-models"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "project"


def _next_version(folder: Path, name: str) -> str:
    taken = []
    if folder.exists():
        for child in folder.iterdir():
            m = re.fullmatch(re.escape(name) + r"-0\.(\d+)\.0", child.name)
            if m:
                taken.append(int(m.group(1)))
    return f"0.{max(taken, default=0) + 1}.0"


#: What spaCy writes into a pipeline folder besides one folder per component.
_PIPELINE_ENTRIES = {"config.cfg", "meta.json", "tokenizer", "vocab"}


def _files_under(folder: Path) -> list[str]:
    """Every file and link under ``folder``, as sorted POSIX paths relative to it."""
    found = []
    for root, dirs, files in os.walk(folder):
        rel = Path(root).relative_to(folder)
        found.extend((rel / name).as_posix() for name in files)
        found.extend((rel / name).as_posix() for name in dirs if (Path(root) / name).is_symlink())
    return sorted(found)


def _foreign_files(target: Path) -> list[str]:
    """Files in an existing output folder that a pipeline of ours did not write.

    A pipeline saved by :func:`train` lists its files in ``meta.json``
    (``annotator.files``); for one saved before that list existed, spaCy's own
    layout (config, meta, tokenizer, vocab and one folder per component) counts.
    Anything else is the user's. Raises E605 when the folder is not ours at all.
    """
    try:
        meta = json.loads((target / "meta.json").read_text(encoding="utf-8"))
        ours = isinstance(meta, dict) and isinstance(meta.get("annotator"), dict)
    except (OSError, ValueError):
        ours = False
    if not ours:
        raise AnnotatorError(Errors.E605, path=target,
                             reason="it exists and holds other files; pick a new or empty folder")
    listed = meta["annotator"].get("files")
    present = _files_under(target)
    if isinstance(listed, list):
        known = set(listed) | {"meta.json"}
        return [f for f in present if f not in known]
    entries = _PIPELINE_ENTRIES | set(meta.get("pipeline") or []) | set(meta.get("components") or []) \
        | set(meta.get("disabled") or [])
    return [f for f in present if f.split("/", 1)[0] not in entries]


def _check_replaceable(target: Path) -> None:
    """A chosen output folder is replaced only when it is empty or holds nothing
    but a pipeline this module saved: never a file of the user's (E605, E606)."""
    if not target.exists():
        return
    if not target.is_dir():
        raise AnnotatorError(Errors.E605, path=target, reason="it is a file; pick a new or empty folder")
    if not any(target.iterdir()):
        return
    foreign = _foreign_files(target)
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise AnnotatorError(Errors.E606, path=target, files=shown)


def _swap_in(staging: Path, target: Path, work: Path) -> None:
    """Put the finished pipeline at ``target`` by renames in one folder: an old
    pipeline of ours moves into the work folder (removed with it) only after it was
    checked again to hold nothing else, and comes back if the new one cannot move
    in. The user never sees a half-written or missing pipeline."""
    if not target.exists():
        os.replace(staging, target)
        return
    _check_replaceable(target)  # again: files may have been added while training ran
    old = work / "replaced"
    if not any(target.iterdir()):
        target.rmdir()
        os.replace(staging, target)
        return
    os.replace(target, old)
    foreign = _foreign_files(old)
    if foreign:  # added between the check and the move: give the folder back untouched
        os.replace(old, target)
        raise AnnotatorError(Errors.E606, path=target, files=", ".join(foreign[:5]))
    try:
        os.replace(staging, target)
    except OSError:
        os.replace(old, target)
        raise


def _record_files(folder: Path) -> None:
    """List the saved pipeline's files in its meta.json (``annotator.files``), so a
    later run into the same folder can tell them from the user's."""
    meta_path = folder / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta.setdefault("annotator", {})["files"] = [f for f in _files_under(folder) if f != "meta.json"]
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def train(project: Project, *, base: str | None = None, components: Sequence[str] = COMPONENTS,
          max_minutes: float | None = None, max_steps: int | None = None, progress: Progress | None = None,
          cancelled: Callable[[], bool] | None = None, out_dir: str | Path | None = None,
          seed: int = 0, doc_ids: Sequence[int] | None = None) -> TrainSummary:
    """Train a pipeline on the project's finished documents and save it.

    Parameters
    ----------
    base:
        An installed pipeline or a pipeline folder to fine-tune the recogniser from
        (its other components are kept, frozen); None trains from scratch.
    components:
        "ner", "stance" or both (see the module notes).
    max_minutes:
        Time budget for the whole run; when spent, each training run keeps its best
        checkpoint so far (recorded in ``summary.stopped``).
    max_steps:
        Update steps per training run (default 2000); the dev split is scored five
        times a run at least.
    progress:
        Called with a :class:`TrainProgress` at each phase and each training step.
    cancelled:
        Polled at each step; when true, :class:`TrainingCancelled` is raised and no
        pipeline is saved.
    out_dir:
        Where to save the pipeline; by default ``<project>-models/<name>-<version>``.
    doc_ids:
        Train on these of the finished documents only (the rest stays unseen).

    Returns
    -------
    TrainSummary
        Where the pipeline is, its name and version, data sizes, per-label scores on
        the dev split and the learning curve; the same figures are in the pipeline's
        ``meta.json`` under ``"annotator"``.

    Raises
    ------
    AnnotatorError
        E601 with too few finished documents, E602 for a base without a recogniser,
        E603 for an unknown component, E604 when nothing could be trained.
    """
    from annotator.services.exporting import export, tokenizer_language

    started = time.perf_counter()
    deadline = time.monotonic() + max_minutes * 60 if max_minutes else None
    wanted = [c.strip() for c in components if c.strip()]
    unknown = [c for c in wanted if c not in COMPONENTS]
    if unknown or not wanted:
        raise AnnotatorError(Errors.E603, name=", ".join(unknown) or "(none)", known=", ".join(COMPONENTS))
    done = project.done_doc_ids()
    if doc_ids is not None:
        only = set(doc_ids)
        done = [d for d in done if d in only]
    if len(done) < MIN_DOCUMENTS:
        raise AnnotatorError(Errors.E601, found=len(done), needed=MIN_DOCUMENTS)
    steps_cap = max_steps if max_steps and max_steps > 0 else DEFAULT_MAX_STEPS

    def report(phase: str, message: str) -> None:
        if progress is not None:
            progress(TrainProgress(phase, message, seconds=time.perf_counter() - started))
        if cancelled is not None and cancelled():
            raise TrainingCancelled()

    name = f"annotator_{_slug(project.path.stem)}"
    if out_dir is None:
        folder = models_folder(project.path)
        version = _next_version(folder, name)
        target = folder / f"{name}-{version}"
    else:
        target = Path(out_dir)
        version = _next_version(target.parent, name)
        _check_replaceable(target)
    summary = TrainSummary(target, name, version, base, [], datetime.now(UTC).isoformat(timespec="seconds"),
                           documents=len(done))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        clean_stale_training_folders(target.parent)
        work = make_training_folder(target.parent)
    except OSError as exc:
        raise os_error(exc, action="create the pipeline folder", path=target) from None
    try:
        report("export", f"exporting {len(done)} finished documents")
        data = work / "data"
        exported = export(project, format="spacy", out=data, split=SPLIT, seed=seed, doc_ids=done,
                          stance_docs="stance" in wanted)
        if exported.not_aligned:
            summary.notes.append(f"{len(exported.not_aligned)} span(s) could not be aligned to tokens "
                                 f"and were left out (see the export report)")
        lang = tokenizer_language(project.setting("model", "auto"))
        report("init", f"loading the base pipeline {base}" if base else "preparing the training configs")
        base_nlp = None
        if base is not None:
            try:
                base_nlp = nlp_training.load(base)
            except (OSError, ImportError, ValueError) as exc:
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise AnnotatorError(Errors.E301, name=base, reason=reason) from None
            lang = base_nlp.lang
        register_logger()
        n_train, words, _ents, _cats = docbin_stats(data / "train.spacy")
        n_dev, _w, dev_ents, _c = docbin_stats(data / "dev.spacy")
        summary.train_documents, summary.dev_documents = n_train, n_dev

        def budget(share: float) -> float | None:
            if deadline is None:
                return None
            return time.monotonic() + max(0.0, deadline - time.monotonic()) * share

        pipeline: Any | None = None
        ner_scores: dict[str, Any] = {}
        stance_todo = "stance" in wanted
        stance_config_path = data / "stance-config.cfg"
        if stance_todo and not stance_config_path.exists():
            summary.notes.append("stance not trained: " + str(
                exported.extra.get("stance_config") or "no stance annotations in the finished documents"))
            stance_todo = False
        if "ner" in wanted:
            if not sum(exported.spans.get("entity", {}).values()):
                summary.notes.append("ner not trained: the finished documents hold no entity spans")
            else:
                run = uuid.uuid4().hex
                config = ner_config(training_config(lang=lang, components=["ner"]), base_nlp, base)
                set_common_training(config, train=data / "train.spacy", dev=data / "dev.spacy", run=run,
                                 max_steps=steps_cap, seed=seed)
                hooks = RunHooks(phase="ner", progress=progress, cancelled=cancelled,
                                  deadline=budget(0.7 if stance_todo else 1.0), max_steps=steps_cap,
                                  words_per_doc=words / max(n_train, 1))
                best, _ = spacy_run(config, hooks=hooks, work=work, run=run)
                summary.curve.extend(hooks.curve)
                summary.steps["ner"] = hooks.steps
                if hooks.time_up:
                    summary.stopped["ner"] = "time budget spent; the best checkpoint is kept"
                pipeline = nlp_training.load(best)
                # The best checkpoint's dev scores, as spaCy's loop recorded them.
                ner_scores = dict(pipeline.meta.get("performance") or {})
                summary.components.append("ner")
        stance_nlp = None
        if stance_todo:
            s_train, s_words, _e, _c = docbin_stats(data / "stance-train.spacy")
            s_dev, _w, _e, s_dev_cats = docbin_stats(data / "stance-dev.spacy")
            summary.stance_train_documents, summary.stance_dev_documents = s_train, s_dev
            run = uuid.uuid4().hex
            config = nlp_training.load_config(stance_config_path)
            set_common_training(config, train=data / "stance-train.spacy", dev=data / "stance-dev.spacy",
                             run=run, max_steps=steps_cap, seed=seed)
            hooks = RunHooks(phase="stance", progress=progress, cancelled=cancelled, deadline=budget(1.0),
                              max_steps=steps_cap, words_per_doc=s_words / max(s_train, 1))
            best, _ = spacy_run(config, hooks=hooks, work=work, run=run)
            summary.curve.extend(hooks.curve)
            summary.steps["stance"] = hooks.steps
            if hooks.time_up:
                summary.stopped["stance"] = "time budget spent; the best checkpoint is kept"
            stance_nlp = nlp_training.load(best)
            if pipeline is None:
                pipeline = base_nlp if base_nlp is not None else nlp_training.blank(lang)
            textcat = stance_nlp.pipe_names[-1]
            pipeline.add_pipe(stance_nlp.get_pipe_meta(textcat).factory, name=STANCE_COMPONENT,
                              source=stance_nlp)
            pipeline.disable_pipe(STANCE_COMPONENT)
            summary.components.append("stance")
        if pipeline is None:
            raise AnnotatorError(Errors.E604, reason="; ".join(summary.notes) or "no component was trained")

        report("evaluate", "scoring the held-out split")
        if "ner" in summary.components:
            scores = ner_scores if "ents_per_type" in ner_scores else evaluate_on(pipeline, data / "dev.spacy")
            for key in ("ents_p", "ents_r", "ents_f"):
                summary.scores[key] = round(float(scores.get(key) or 0.0), 4)
            summary.labels.extend(label_scores("ner", scores.get("ents_per_type"), dev_ents))
        if stance_nlp is not None:
            scores = stance_nlp.meta.get("performance") or {}
            if "cats_f_per_type" not in scores:
                scores = evaluate_on(stance_nlp, data / "stance-dev.spacy")
            for key in ("cats_score", "cats_macro_p", "cats_macro_r", "cats_macro_f", "cats_macro_auc"):
                if scores.get(key) is not None:
                    summary.scores[f"stance_{key}"] = round(float(scores[key]), 4)
            summary.labels.extend(label_scores("stance", scores.get("cats_f_per_type"), s_dev_cats))

        report("save", f"saving the pipeline to {target}")
        summary.lang = pipeline.lang
        summary.seconds = time.perf_counter() - started
        pipeline.meta.update({
            "name": name, "version": version,
            "description": (f"Trained by annotator on {summary.train_documents} finished documents of "
                            f"{project.path.name}" + (f", fine-tuned from {base}" if base else "")),
            "performance": {**pipeline.meta.get("performance", {}), **summary.scores},
            "annotator": {**summary.to_dict(), "project": str(project.path), "export": exported.to_dict()},
        })
        staging = work / "pipeline"
        pipeline.to_disk(staging)
        fix_saved_config(staging)
        _record_files(staging)
        _swap_in(staging, target, work)
        return summary
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---- helpers for the window --------------------------------------------------------------------


def base_choices() -> list[str]:
    """Installed pipelines that can serve as ``base`` (those with a recogniser are
    not told apart here: loading each one to look would take seconds)."""
    from annotator.nlp.pipelines import installed_pipelines

    return [p.name for p in installed_pipelines() if p.source == "package"]


def use_model(project: Project, *, model_path: str | Path) -> str:
    """Switch the project's suggestions to a pipeline folder; returns the previous
    ``model`` setting. Suggestions already stored stay until the next suggestion
    run, which replaces pending ones only (never a span a person decided)."""
    from annotator.nlp.pipelines import check_model_setting

    previous = project.setting("model", "auto")
    project.set_setting("model", check_model_setting(str(model_path)))
    return previous


def load_summary(model_path: str | Path) -> TrainSummary:
    """The :class:`TrainSummary` recorded in a trained pipeline's ``meta.json`` (E605
    for a folder that annotator did not train)."""

    path = Path(model_path)
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        info = meta["annotator"]
        summary = TrainSummary(
            path, info["name"], info["version"], info.get("base"), list(info["components"]), info["trained_at"],
            documents=info["documents"], train_documents=info["train_documents"],
            dev_documents=info["dev_documents"], stance_train_documents=info.get("stance_train_documents", 0),
            stance_dev_documents=info.get("stance_dev_documents", 0), scores=dict(info.get("scores", {})),
            labels=[LabelScore(**row) for row in info.get("labels", [])],
            curve=[CurvePoint(**row) for row in info.get("learning_curve", [])],
            steps=dict(info.get("steps", {})), stopped=dict(info.get("stopped", {})),
            notes=list(info.get("notes", [])), seconds=float(info.get("seconds", 0.0)),
            lang=info.get("lang", meta.get("lang", "en")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AnnotatorError(Errors.E605, path=path, reason=f"{type(exc).__name__}: {exc}") from None
    return summary
