"""Label Studio tasks out, so a team can go on labelling in Label Studio.

``labelstudio.json`` is a list of tasks: ``data`` (``text``, ``title``,
``article_id``), ``annotations`` (one per article that is done or has accepted
spans: its accepted spans as ``labels`` regions) and ``predictions`` (the
pending suggestions, each region with its ``score``, the prediction with their
mean). ``labeling-config.xml`` is the matching labelling interface: a ``ner``
Labels control with the entity labels, a ``stance`` Labels control with one
label per stance and target (``AGAINST|Harbor Bill``), a ``holder`` relation
(from the holding entity to the stance) and the ``text`` object.

Offsets count UTF-16 code units by default, as Label Studio's browser does;
every region also carries its ``text``, so our importer checks and detects the
unit on the way back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import quoteattr

from annotator.core.scheme import Scheme
from annotator.formats.export import (
    OFFSET_DEFAULTS,
    ExportItem,
    ExportOptions,
    ExportReport,
    OffsetWriter,
    atomic_text,
    exporter,
    inside,
)
from annotator.formats.records import HOLDER_RELATION, STANCE_SEP

if TYPE_CHECKING:
    from spacy.language import Language

CONFIG_NAME = "labeling-config.xml"
ENTITY_CONTROL = "ner"
STANCE_CONTROL = "stance"
TEXT_OBJECT = "text"


def labeling_config(scheme: Scheme, extra_stance_labels: Iterable[str] = ()) -> str:
    """The labelling interface for ``scheme`` (plus any stance labels met in the
    data whose target is not in the scheme)."""
    lines = ["<View>", f'  <Labels name="{ENTITY_CONTROL}" toName="{TEXT_OBJECT}">']
    for label in scheme.entity_labels:
        lines.append(f"    <Label value={quoteattr(label.name)} background={quoteattr(label.colour)}/>")
    lines.append("  </Labels>")
    lines.append(f'  <Labels name="{STANCE_CONTROL}" toName="{TEXT_OBJECT}">')
    names = [f"{label.name}{STANCE_SEP}{target}" for label in scheme.stance_labels for target in scheme.target_names()]
    names += [n for n in sorted(set(extra_stance_labels)) if n not in names]
    colours = {label.name: label.colour for label in scheme.stance_labels}
    for name in names:
        colour = colours.get(name.partition(STANCE_SEP)[0], "#888888")
        lines.append(f"    <Label value={quoteattr(name)} background={quoteattr(colour)}/>")
    lines.append("  </Labels>")
    lines.append(f"  <Relations><Relation value={quoteattr(HOLDER_RELATION)}/></Relations>")
    lines.append(f'  <Text name="{TEXT_OBJECT}" value="${TEXT_OBJECT}"/>')
    lines.append("</View>")
    return "\n".join(lines) + "\n"


def _region(span: Any, text: str, offsets: OffsetWriter, *, score: bool) -> dict[str, Any]:
    start, end = offsets.span(text, span.start, span.end)
    if span.layer == "stance":
        control, label = STANCE_CONTROL, f"{span.label}{STANCE_SEP}{span.target}"
    else:
        control, label = ENTITY_CONTROL, span.label
    region: dict[str, Any] = {
        "id": f"s{span.id}" if span.id is not None else f"s{span.start}-{span.end}",
        "from_name": control, "to_name": TEXT_OBJECT, "type": "labels",
        "value": {"start": start, "end": end, "text": text[span.start:span.end], "labels": [label]},
    }
    if score and span.score is not None:
        region["score"] = round(float(span.score), 4)
    return region


def _results(spans: list[Any], item: ExportItem, text: str, offsets: OffsetWriter, *, score: bool) -> list[dict[str, Any]]:
    results = [_region(s, text, offsets, score=score) for s in spans]
    ids = {(s.start, s.end): r["id"] for s, r in zip(spans, results) if s.layer == "entity"}
    for s, r in zip(spans, results):
        holder = item.holders.get(s.id) if s.layer == "stance" and s.id is not None else None
        if holder is not None and holder in ids:
            results.append({"from_id": ids[holder], "to_id": r["id"], "type": "relation", "direction": "right",
                            "labels": [HOLDER_RELATION]})
    return results


@exporter("labelstudio", description="Label Studio tasks JSON (annotations + scored predictions) and labeling-config.xml",
          tokenized=False, filename="labelstudio.json", extensions=(".json",))
def write_labelstudio(items: Iterable[ExportItem], *, folder: Path, options: ExportOptions, report: ExportReport,
                      nlp: Language | None = None) -> list[Path]:
    path = inside(folder, options.filename or "labelstudio.json")
    config_path = inside(folder, CONFIG_NAME)
    offsets = OffsetWriter(options.offsets or OFFSET_DEFAULTS["labelstudio"], report)
    stance_names: set[str] = set()
    predictions = 0
    with atomic_text(path) as fh:
        fh.write("[")
        first = True
        for item in items:
            doc = item.document
            order = sorted(item.spans, key=lambda s: (s.start, s.end, s.layer, s.label, s.target or ""))
            accepted = [s for s in order if s.status == "accepted"]
            suggested = [s for s in order if s.status == "suggested"]
            task: dict[str, Any] = {"id": doc.id,
                                    "data": {TEXT_OBJECT: doc.text, "title": doc.title, "article_id": doc.id},
                                    "annotations": [], "predictions": []}
            if accepted or item.status == "done":
                task["annotations"].append({"result": _results(accepted, item, doc.text, offsets, score=False),
                                            "was_cancelled": False, "ground_truth": False})
                for s in accepted:
                    report.count(s.layer, s.label)
            if suggested:
                scores = [s.score for s in suggested if s.score is not None]
                prediction: dict[str, Any] = {"model_version": "annotator",
                                              "result": _results(suggested, item, doc.text, offsets, score=True)}
                if scores:
                    prediction["score"] = round(sum(scores) / len(scores), 4)
                task["predictions"].append(prediction)
                predictions += len(suggested)
            stance_names.update(f"{s.label}{STANCE_SEP}{s.target}" for s in order if s.layer == "stance")
            fh.write(("\n" if first else ",\n") + json.dumps(task, ensure_ascii=False))
            first = False
            report.documents += 1
        fh.write("\n]\n")
    with atomic_text(config_path) as fh:
        fh.write(labeling_config(options.scheme, stance_names))
    report.extra["predictions"] = predictions
    return [path, config_path]
