"""A generated project with a realistic history, for load tests and benchmarks of
the dashboard: articles, suggestions from several origins, decisions by several
annotators spread over working days (with breaks), corrections and a log of it all.

Rows go in with sqlite-utils ``insert_all`` in large batches, not through the
session: a hundred thousand articles take seconds, not hours. The history follows
the same rules as the session's (a correction is a human span plus the suggestion
marked rejected, each decision one event), so the dashboard reads it as it reads a
real project.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from annotator.core.text import text_hash
from annotator.storage import Project

__all__ = ["generate_activity"]

_TEMPLATE = ("{n}. Macron said on Monday that France was not ruling out sending troops to Ukraine. "
             "NATO officials in Brussels declined to comment, while Scholz told reporters in Berlin "
             "that Germany would keep its aid going.")
#: (word in the template, label, alternative label a correction picks)
_ENTITIES = (("Macron", "PERSON", "ORG"), ("France", "GPE", "LOC"), ("Ukraine", "GPE", "LOC"),
             ("NATO", "ORG", "NORP"), ("Brussels", "GPE", "LOC"), ("Scholz", "PERSON", "ORG"))
_ORIGINS = ("en_core_web_sm 3.8.0", "en_news 0.1.0", "en_news 0.2.0", "memory 1")
_STANCE_ORIGIN = "stance-rules 2"
_TARGETS = ("Western troops in Ukraine", "US military aid to Ukraine", "Sanctions on Russia")
_STANCES = ("FAVOR", "AGAINST", "NEUTRAL")


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


class _Clock:
    """One annotator's working time: a few seconds per decision, a break now and then,
    working days of eight hours."""

    def __init__(self, rng: random.Random, start: datetime) -> None:
        self.rng = rng
        self.t = start
        self.day_start = start

    def tick(self) -> datetime:
        self.t += timedelta(seconds=self.rng.uniform(2.0, 16.0))
        if self.rng.random() < 0.01:
            self.t += timedelta(minutes=self.rng.uniform(10, 45))
        if self.t - self.day_start > timedelta(hours=8):
            self.day_start = self.day_start + timedelta(days=1)
            self.t = self.day_start
        return self.t


def generate_activity(project: Project, *, articles: int, annotators: int = 3, done_share: float = 0.6,
                      seed: int = 12, batch: int = 20_000) -> dict[str, int]:
    """Add ``articles`` articles with six suggestions each and a decided history for
    ``done_share`` of them. Returns how many rows of each table were written."""
    rng = random.Random(seed)
    db = project.db
    first_id = project.conn.execute("SELECT ifnull(max(id), 0) FROM documents").fetchone()[0] + 1
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    people = [f"annotator{i + 1}" for i in range(annotators)]
    clocks = {who: _Clock(rng, start) for who in people}
    docs: list[dict[str, Any]] = []
    spans: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    statuses: list[dict[str, Any]] = []
    span_id = project.conn.execute("SELECT ifnull(max(id), 0) FROM spans").fetchone()[0] + 1
    counts = {"documents": 0, "spans": 0, "events": 0, "doc_status": 0}

    def flush(final: bool = False) -> None:
        if not final and len(spans) < batch:
            return
        with project.write():
            if docs:
                db["documents"].insert_all(docs, batch_size=batch)
            if spans:
                db["spans"].insert_all(spans, batch_size=batch)
            if statuses:
                db["doc_status"].insert_all(statuses, batch_size=batch)
            if events:
                db["events"].insert_all(events, batch_size=batch)
        for name, rows in (("documents", docs), ("spans", spans), ("doc_status", statuses), ("events", events)):
            counts[name] += len(rows)
            rows.clear()

    # Every row names every column: insert_all fills a missing key with NULL.
    created = _iso(start - timedelta(days=1))
    for i in range(articles):
        doc_id = first_id + i
        prefix = f"Report {doc_id}"
        text = _TEMPLATE.format(n=prefix)
        docs.append({"id": doc_id, "text": text, "title": prefix, "text_hash": text_hash(text),
                     "length": len(text), "meta": "{}", "created_at": created})
        who = people[i % len(people)]
        done = rng.random() < done_share
        origin = _ORIGINS[min(int(i / max(articles, 1) * len(_ORIGINS)), len(_ORIGINS) - 1)]
        drafts = []
        for word, label, other in _ENTITIES:
            s = text.index(word)
            drafts.append((s, s + len(word), "entity", label, None, origin, other))
        sentence_end = text.index(".", len(prefix) + 2) + 1
        drafts.append((len(prefix) + 2, sentence_end, "stance", rng.choice(_STANCES), rng.choice(_TARGETS),
                       _STANCE_ORIGIN, None))
        for s, e, layer, label, target, span_origin, other in drafts:
            row = {"id": span_id, "doc_id": doc_id, "start": s, "end": e, "layer": layer, "label": label,
                   "target": target, "origin": span_origin, "status": "suggested", "annotator": None,
                   "created_at": created, "updated_at": created}
            span_id += 1
            if done:
                at = _iso(clocks[who].tick())
                roll = rng.random()
                if roll < 0.72 or (other is None and roll < 0.85):
                    outcome = "accepted"
                elif roll < 0.85 and other is not None:
                    outcome = "corrected"
                else:
                    outcome = "rejected"
                row.update(status="accepted" if outcome == "accepted" else "rejected", annotator=who,
                           updated_at=at)
                before = json.dumps({"status": "suggested"} if outcome != "corrected" else
                                    {"label": label, "status": "suggested", "origin": span_origin})
                if outcome == "corrected":
                    spans.append({"id": span_id, "doc_id": doc_id, "start": s, "end": e, "layer": layer,
                                  "label": other, "target": target, "origin": "human", "status": "accepted",
                                  "annotator": who, "created_at": at, "updated_at": at})
                    events.append({"at": at, "annotator": who, "action": "span.add", "doc_id": doc_id,
                                   "span_id": span_id, "before": None,
                                   "after": json.dumps({"label": other, "status": "accepted", "origin": "human"})})
                    span_id += 1
                action = {"accepted": "span.accept", "rejected": "span.reject", "corrected": "span.correct"}[outcome]
                events.append({"at": at, "annotator": who, "action": action, "doc_id": doc_id,
                               "span_id": row["id"], "before": before,
                               "after": json.dumps({"status": row["status"]})})
            spans.append(row)
        if done:
            statuses.append({"doc_id": doc_id, "annotator": who, "status": "done",
                             "updated_at": _iso(clocks[who].tick())})
        elif rng.random() < 0.1:
            statuses.append({"doc_id": doc_id, "annotator": who, "status": "in_progress",
                             "updated_at": _iso(clocks[who].t)})
        flush()
    flush(final=True)
    return counts

