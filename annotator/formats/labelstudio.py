"""Label Studio's exports in: JSON (tasks), JSON-MIN and CSV/TSV rows.

Each is flattened into our record shape (``text``, ``entities``, ``stances``
with their texts, ``meta``) and then validated by
:func:`~annotator.formats.records.parse_record` like every other record, so the
offset unit is detected from the region texts.

Which annotation wins when a task has several: the one marked ``ground_truth``,
else the most recently updated one; cancelled annotations (``was_cancelled``)
never count. ``predictions`` are model output, not gold: the latest one comes
back as ``suggestions`` (spans to review, with their scores), never as annotations. A region's label ``STANCE|target`` is a
stance (as our export writes it); a ``relation`` labelled ``holder`` from an
entity region to a stance region gives the stance its holder.
"""

from __future__ import annotations

import json
from typing import Any

from annotator.core.scheme import Scheme
from annotator.formats.records import HOLDER_RELATION, split_stance_label

#: Keys of a JSON-MIN / CSV row that are bookkeeping, not data or regions.
MIN_BOOKKEEPING = ("id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time")


def is_task(obj: Any) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("data"), dict) and (
        "annotations" in obj or "predictions" in obj or "completions" in obj or "id" in obj)


def _regions(value: Any) -> list[dict[str, Any]] | None:
    """A JSON-MIN / CSV region list (``[{start, end, text, labels}]``), else None."""
    if isinstance(value, str) and value.startswith("[{"):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    if isinstance(value, list) and value and all(
            isinstance(v, dict) and "start" in v and "end" in v and ("labels" in v or "hypertextlabels" in v)
            for v in value):
        return value
    return None


def is_min_row(obj: Any) -> bool:
    return isinstance(obj, dict) and "text" in obj and "data" not in obj and any(
        _regions(v) is not None for k, v in obj.items()
        if k != "text" and (isinstance(v, list) or (isinstance(v, str) and v.startswith("[{"))))  # else not regions


def _text_field(data: dict[str, Any]) -> tuple[str | None, str | None]:
    if isinstance(data.get("text"), str):
        return "text", data["text"]
    for key, value in data.items():
        if isinstance(value, str) and value.strip() and key not in ("title", "article_id"):
            return key, value
    return None, None


def _add_region(out: dict[str, list], region_id: Any, value: dict[str, Any], scheme: Scheme | None,
                ids: dict[Any, dict[str, Any]]) -> None:
    labels = value.get("labels") or value.get("hypertextlabels") or []
    if isinstance(labels, str):
        labels = [labels]
    start, end, text, key = value.get("start"), value.get("end"), value.get("text"), _key(region_id)
    for full in labels if isinstance(labels, list) else [labels]:
        layer, label, target = split_stance_label(full, scheme)
        span = {"start": start, "end": end, "label": label}
        if isinstance(text, str):
            span["text"] = text
        if layer == "stance":
            span["target"] = target
            out["stances"].append(span)
        else:
            out["entities"].append(span)
        if key is not None:
            ids.setdefault(key, span)


def _key(value: Any) -> str | int | None:
    """A region or relation id usable as a key (ids of other types match nothing)."""
    return value if isinstance(value, str | int) and not isinstance(value, bool) else None


def _winner(annotations: list[Any]) -> dict[str, Any] | None:
    usable = [a for a in annotations if isinstance(a, dict) and not a.get("was_cancelled")]
    if not usable:
        return None
    truth = [a for a in usable if a.get("ground_truth")]
    pool = truth or usable
    return max(enumerate(pool), key=lambda ia: (str(ia[1].get("updated_at") or ia[1].get("created_at") or ""), ia[0]))[1]


def flatten_task(obj: dict[str, Any], scheme: Scheme | None) -> dict[str, Any]:
    """Our record shape for one Label Studio task."""
    data = obj["data"]
    key, text = _text_field(data)
    meta = {k: v for k, v in data.items() if k not in (key, "title")}
    if "id" in obj:
        meta["labelstudio_id"] = obj["id"]
    record: dict[str, Any] = {"text": text, "meta": meta, "entities": [], "stances": []}
    if isinstance(data.get("title"), str):
        record["title"] = data["title"]
    annotations = obj.get("annotations", obj.get("completions")) or []
    predictions = obj.get("predictions") or []
    if isinstance(predictions, list) and predictions:
        meta["labelstudio_predictions"] = len(predictions)
        record["suggestions"] = _prediction_spans(predictions, scheme)
    winner = _winner(annotations if isinstance(annotations, list) else [])
    if winner is None:
        return record
    if isinstance(annotations, list) and len(annotations) > 1:
        meta["labelstudio_annotations"] = len(annotations)
    if winner.get("completed_by") is not None:
        meta["labelstudio_completed_by"] = winner["completed_by"]
    ids: dict[Any, dict[str, Any]] = {}
    relations = []
    result = winner.get("result")
    for item in result if isinstance(result, list) else []:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "relation":
            relations.append(item)
        elif isinstance(item.get("value"), dict) and "start" in item["value"]:
            _add_region(record, item.get("id"), item["value"], scheme, ids)
    _link_holders(record, relations, ids)
    return record


def _prediction_spans(predictions: list[Any], scheme: Scheme | None) -> list[dict[str, Any]]:
    """The regions of the latest prediction as our span dicts, each with its score
    (the region's, else the prediction's)."""
    usable = [p for p in predictions if isinstance(p, dict) and isinstance(p.get("result"), list)]
    if not usable:
        return []
    prediction = usable[-1]
    out: dict[str, list] = {"entities": [], "stances": []}
    for item in prediction["result"]:
        if isinstance(item, dict) and isinstance(item.get("value"), dict) and "start" in item["value"]:
            before = len(out["entities"]) + len(out["stances"])
            _add_region(out, None, item["value"], scheme, {})
            score = item.get("score", prediction.get("score"))
            for span in (out["entities"] + out["stances"])[before:]:
                span["score"] = score
    return [{**e, "layer": "entity"} for e in out["entities"]] + [{**s, "layer": "stance"} for s in out["stances"]]


def _link_holders(record: dict[str, Any], relations: list[dict[str, Any]], ids: dict[Any, dict[str, Any]]) -> None:
    others = []
    stance_ids = {id(s) for s in record["stances"]}
    for rel in relations:
        labels = [str(x).lower() for x in rel.get("labels")] if isinstance(rel.get("labels"), list) else []
        source, dest = ids.get(_key(rel.get("from_id"))), ids.get(_key(rel.get("to_id")))
        if (HOLDER_RELATION in labels and source is not None and dest is not None
                and id(dest) in stance_ids and id(source) not in stance_ids):
            dest["holder"] = {"start": source["start"], "end": source["end"]}
        else:
            others.append({"from_id": _key(rel.get("from_id")), "to_id": _key(rel.get("to_id")),
                           "labels": labels})
    if others:
        record["meta"]["labelstudio_relations"] = others


def flatten_min(obj: dict[str, Any], scheme: Scheme | None) -> dict[str, Any]:
    """Our record shape for one JSON-MIN item or CSV/TSV row."""
    record: dict[str, Any] = {"text": obj.get("text"), "meta": {}, "entities": [], "stances": []}
    ids: dict[Any, dict[str, Any]] = {}
    for key, value in obj.items():
        if key == "text":
            continue
        regions = _regions(value)
        if regions is not None:
            for region in regions:
                _add_region(record, None, region, scheme, ids)
        elif key == "title" and isinstance(value, str):
            record["title"] = value
        elif key == "id":
            record["meta"]["labelstudio_id"] = value
        else:
            record["meta"][key] = value
    return record
