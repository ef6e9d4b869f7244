"""The figures behind the dashboard and the shareable report, without Qt.

Every figure is an aggregate query in SQLite over the project's current state
(``spans``, ``doc_status``) and its append-only ``events`` log, so a project of a
hundred thousand articles is summarised without loading its rows into Python;
Python only reshapes the grouped rows (a few per annotator, label or day).

What each figure means:

- **Progress**: documents each annotator has marked done, cumulated over the time
  they were marked (``doc_status.updated_at``; a document reopened later no longer
  counts). Times are grouped by hour when every mark falls within two days, by day
  within a year, by month beyond.
- **Speed**: decisions per minute of active work. A *decision* is one span a person
  accepted, rejected, added, corrected or linked to a holder (an "accept all" of ten
  suggestions is ten decisions; correcting a suggestion is one, although it writes
  two events). The time between two consecutive decisions of one annotator counts
  as work when it is at most :data:`IDLE_GAP_SECONDS` (five minutes: long enough for
  reading a long article, short enough to drop breaks); longer gaps are idle and
  dropped, with the decision after them. Decisions are grouped in ten-minute clock
  windows; each window with at least :data:`MIN_WINDOW_SECONDS` of work gives one
  rate, and the median and quartiles are taken over those windows.
- **Labels**: accepted spans per layer and label, and stances per target and label.
- **Suggestion quality**: for every suggestion a person decided on, its outcome:
  *accepted* as suggested, *corrected* (relabelled, resized or retargeted: a person
  kept the place but changed it) or *rejected*; undone decisions do not count. Rates
  per label, per origin (the suggester name and version stored with the span) and
  per origin over time (the time of the last decision on the span).
- **Learning curves**: the dev score against training documents seen, from the
  ``meta.json`` of every pipeline trained for the project.
- **Agreement**: per label, the span F1 between annotators (exact and overlapping
  matches) over the articles two or more of them finished, from
  :func:`annotator.services.agreement.label_agreement`. It compares spans article
  by article, so it is computed only when asked for (``with_agreement``).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from annotator.storage import Project, schema

__all__ = [
    "IDLE_GAP_SECONDS",
    "MIN_WINDOW_SECONDS",
    "Dashboard",
    "compute",
    "origin_kind",
]

#: A pause longer than this between two decisions of one annotator is idle time
#: (the summary table is kept with this value; :func:`speed_from_log` takes others).
IDLE_GAP_SECONDS = float(schema.IDLE_GAP_SECONDS)
#: A ten-minute window with less work than this gives no rate of its own (a rate
#: from one or two quick decisions says nothing about a person's pace).
MIN_WINDOW_SECONDS = 60.0
#: ``substr(at, 1, 15)`` of an ISO time is "YYYY-MM-DDTHH:M": ten-minute windows.
_WINDOW_CHARS = 15

#: Events that are one decision each (see the module docstring).
_DECISION_ACTIONS = schema.DECISION_ACTIONS

OUTCOMES = ("accepted", "corrected", "rejected")


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def origin_kind(origin: str) -> str:
    """The family of a suggestion's origin: ``memory``, ``rules``, ``import`` or ``model``."""
    low = origin.lower()
    if low == "import":
        return "import"
    if "memory" in low:
        return "memory"
    if "rule" in low:
        return "rules"
    return "model"


def _bucket_chars(first: str | None, last: str | None) -> tuple[int, str]:
    """How much of an ISO time to keep so that a time range gives a readable
    number of groups: (13, "hour"), (10, "day") or (7, "month")."""
    if not first or not last:
        return 10, "day"
    try:
        span = (_parse(last) - _parse(first)).total_seconds()
    except ValueError:
        return 10, "day"
    if span <= 2 * 86400:
        return 13, "hour"
    if span <= 366 * 86400:
        return 10, "day"
    return 7, "month"


def _parse(iso: str) -> datetime:
    iso = iso.rstrip("Z")
    return datetime.fromisoformat(iso).replace(tzinfo=UTC)


def bucket_start(bucket: str) -> datetime:
    """The start of a time group written as an ISO prefix ("2026-11-30T10",
    "2026-11-30", "2026-11")."""
    if len(bucket) == 13:
        return _parse(bucket + ":00")
    if len(bucket) == 7:
        return _parse(bucket + "-01")
    return _parse(bucket[:10])


@dataclass
class Progress:
    total: int
    done_any: int
    #: ``hour``, ``day`` or ``month``: the width of the groups in ``cumulative``.
    unit: str
    #: Per annotator: (group start as ISO prefix, documents done up to that group).
    cumulative: dict[str, list[tuple[str, int]]]
    #: Per annotator: documents per status (``in_progress``, ``done``, ``skipped``).
    statuses: dict[str, dict[str, int]]


@dataclass
class Speed:
    annotator: str
    decisions: int
    #: Decisions that follow another one of the same person within the idle gap.
    timed: int
    active_minutes: float
    #: Timed decisions per active minute over everything.
    overall: float | None
    median: float | None
    q1: float | None
    q3: float | None
    #: One rate (decisions per minute) per ten-minute window with enough work.
    windows: list[float] = field(default_factory=list)


@dataclass
class QualityRow:
    layer: str
    label: str
    origin: str
    outcome: str
    bucket: str
    n: int


@dataclass
class Quality:
    unit: str
    rows: list[QualityRow]

    def _group(self, key: Callable[[QualityRow], str]) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for r in self.rows:
            counts = out.setdefault(key(r), dict.fromkeys(OUTCOMES, 0))
            counts[r.outcome] += r.n
        return dict(sorted(out.items()))

    def by_label(self) -> dict[str, dict[str, int]]:
        """Outcome counts per ``layer:label``."""
        return self._group(lambda r: f"{r.layer}:{r.label}")

    def by_origin(self) -> dict[str, dict[str, int]]:
        return self._group(lambda r: r.origin)

    def over_time(self) -> dict[str, list[tuple[str, dict[str, int]]]]:
        """Per origin, outcome counts per time group, in time order."""
        out: dict[str, dict[str, dict[str, int]]] = {}
        for r in self.rows:
            counts = out.setdefault(r.origin, {}).setdefault(r.bucket, dict.fromkeys(OUTCOMES, 0))
            counts[r.outcome] += r.n
        return {origin: sorted(buckets.items()) for origin, buckets in sorted(out.items())}

    def total(self) -> int:
        return sum(r.n for r in self.rows)


def rates(counts: dict[str, int]) -> dict[str, float]:
    """Outcome shares (0 to 1) of a count dict; all zero when nothing was decided."""
    n = sum(counts.get(o, 0) for o in OUTCOMES)
    return {o: (counts.get(o, 0) / n if n else 0.0) for o in OUTCOMES}


@dataclass
class LearningCurve:
    model: str
    path: str
    trained_at: str
    component: str
    #: (training documents seen, dev score) in training order.
    points: list[tuple[int, float]]


@dataclass
class Dashboard:
    project: str | None
    annotator: str
    generated_at: str
    progress: Progress
    speed: list[Speed]
    #: layer -> label -> accepted spans
    labels: dict[str, dict[str, int]]
    #: stance target -> stance label -> accepted stances
    stance_targets: dict[str, dict[str, int]]
    quality: Quality
    learning_curves: list[LearningCurve]
    #: Per label (layer, label, f1_exact, f1_overlap, support); None when not computed
    #: or not computable (``agreement_note`` says why).
    agreement: list[dict[str, Any]] | None
    agreement_note: str
    #: How long each figure's queries took, in milliseconds.
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The raw numbers, JSON-ready (``annotator report --json``)."""
        data = asdict(self)
        data["quality"] = {
            "unit": self.quality.unit,
            "by_label": self.quality.by_label(),
            "by_origin": {o: {**c, "kind": origin_kind(o)} for o, c in self.quality.by_origin().items()},
            "over_time": {o: [{"time": b, **c} for b, c in rows] for o, rows in self.quality.over_time().items()},
        }
        data["progress"]["cumulative"] = {
            who: [{"time": b, "done": n} for b, n in rows] for who, rows in self.progress.cumulative.items()}
        data["learning_curves"] = [
            {**{k: v for k, v in asdict(c).items() if k != "points"},
             "points": [{"docs_seen": d, "score": s} for d, s in c.points]} for c in self.learning_curves]
        data["definitions"] = {
            "idle_gap_seconds": IDLE_GAP_SECONDS,
            "rate_window_minutes": 10,
            "min_window_active_seconds": MIN_WINDOW_SECONDS,
        }
        return data


# ---- the figures ---------------------------------------------------------------------------------


def progress(project: Project) -> Progress:
    """Documents done per annotator over time, from the ``stats_done`` summary the
    ``doc_status`` table keeps (per hour)."""
    conn = project.conn
    total = project.document_count()
    done_any = conn.execute("SELECT count(DISTINCT doc_id) FROM doc_status WHERE status = 'done'").fetchone()[0]
    first, last = conn.execute("SELECT min(hour), max(hour) FROM stats_done WHERE n > 0").fetchone()
    chars, unit = _bucket_chars(first and first + ":00", last and last + ":00")
    cumulative: dict[str, list[tuple[str, int]]] = {}
    for who, bucket, n in conn.execute(
        f"""SELECT annotator, b, sum(n) OVER (PARTITION BY annotator ORDER BY b) FROM (
              SELECT annotator, substr(hour, 1, {chars}) AS b, sum(n) AS n
              FROM stats_done WHERE n > 0 GROUP BY annotator, b)
            ORDER BY annotator, b"""
    ):
        cumulative.setdefault(who, []).append((bucket, n))
    statuses: dict[str, dict[str, int]] = {}
    for who, status, n in conn.execute(
        "SELECT annotator, status, count(*) FROM doc_status WHERE status != 'new' GROUP BY annotator, status"
    ):
        statuses.setdefault(who, {"in_progress": 0, "done": 0, "skipped": 0})[status] = n
    return Progress(total, done_any, unit, cumulative, statuses)


def speed(project: Project, *, min_window: float = MIN_WINDOW_SECONDS) -> list[Speed]:
    """Decisions per active minute per annotator, from the summary table the
    events log keeps (``stats_decisions``; idle gap :data:`IDLE_GAP_SECONDS`)."""
    rows = project.conn.execute(
        "SELECT annotator, n, timed, active FROM stats_decisions ORDER BY annotator, bucket").fetchall()
    return _speeds(rows, min_window)


def speed_from_log(project: Project, *, idle_gap: float = IDLE_GAP_SECONDS,
                   min_window: float = MIN_WINDOW_SECONDS) -> list[Speed]:
    """:func:`speed` computed from the events log itself, with any idle gap (one
    pass over the log: slower on a large project, used to check the summary)."""
    rows = project.conn.execute(
        f"""WITH d AS (
              SELECT coalesce(annotator, '') AS who, at, julianday(at) * 86400.0 AS t FROM events
              WHERE action IN ({_sql_list(_DECISION_ACTIONS)})
                AND NOT (action = 'span.correct' AND json_extract(after, '$.status') = 'rejected')
            ), g AS (
              SELECT who, at, t - lag(t) OVER (PARTITION BY who ORDER BY t) AS gap FROM d
            )
            SELECT who, count(*), coalesce(sum(gap BETWEEN 0 AND :idle), 0),
                   total(CASE WHEN gap BETWEEN 0 AND :idle THEN gap END)
            FROM g GROUP BY who, substr(at, 1, {_WINDOW_CHARS}) ORDER BY who, substr(at, 1, {_WINDOW_CHARS})""",
        {"idle": idle_gap},
    ).fetchall()
    return _speeds(rows, min_window)


def _speeds(rows: list[tuple[str, int, int, float]], min_window: float) -> list[Speed]:
    """Per annotator, from (annotator, decisions, timed decisions, active seconds)
    rows of consecutive ten-minute windows."""
    by_who: dict[str, list[tuple[int, int, float]]] = {}
    for who, n, timed, active in rows:
        by_who.setdefault(who, []).append((n, timed or 0, active or 0.0))
    out = []
    for who, windows in sorted(by_who.items()):
        decisions = sum(w[0] for w in windows)
        timed = sum(w[1] for w in windows)
        active = sum(w[2] for w in windows)
        window_rates = [t / (a / 60.0) for _n, t, a in windows if a >= min_window and a > 0 and t]
        overall = timed / (active / 60.0) if active > 0 and timed else None
        if len(window_rates) >= 2:
            q1, median, q3 = statistics.quantiles(window_rates, n=4, method="inclusive")
        elif window_rates:
            q1 = median = q3 = window_rates[0]
        else:
            q1 = median = q3 = overall
        out.append(Speed(who or "(unknown)", decisions, timed, round(active / 60.0, 3), overall,
                         median, q1, q3, window_rates))
    return out


def labels(project: Project) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """(accepted spans per layer and label, accepted stances per target and label),
    from the ``stats_labels`` summary the spans table keeps."""
    by_layer: dict[str, dict[str, int]] = {}
    by_target: dict[str, dict[str, int]] = {}
    for layer, label, target, n in project.conn.execute(
        "SELECT layer, label, target, n FROM stats_labels WHERE n > 0 ORDER BY layer, label, target"
    ):
        layer_counts = by_layer.setdefault(layer, {})
        layer_counts[label] = layer_counts.get(label, 0) + n
        if layer == "stance":
            by_target.setdefault(target or "(no target)", {})[label] = n
    return by_layer, by_target


def quality(project: Project) -> Quality:
    """Outcomes of the suggestions people decided on (see the module docstring),
    from the ``stats_outcome_counts`` summary the events log keeps (per hour)."""
    conn = project.conn
    first, last = conn.execute("SELECT min(hour), max(hour) FROM stats_outcome_counts WHERE n > 0").fetchone()
    chars, unit = _bucket_chars(first and first + ":00", last and last + ":00")
    rows = conn.execute(
        f"""SELECT layer, label, origin, outcome, substr(hour, 1, {chars}) AS b, sum(n)
            FROM stats_outcome_counts WHERE n > 0
            GROUP BY layer, label, origin, outcome, b ORDER BY b"""
    ).fetchall()
    return Quality(unit, [QualityRow(*r) for r in rows])


def learning_curves(project: Project, *, models_dir: Path | None = None) -> list[LearningCurve]:
    """Curves recorded in the ``meta.json`` of the project's trained pipelines: the
    folder beside the project, plus the pipeline the project uses when it is a folder."""
    folders: list[Path] = []
    if models_dir is None and project.path is not None:
        models_dir = project.path.parent / f"{project.path.stem}-models"
    if models_dir is not None and models_dir.is_dir():
        folders.extend(sorted(p for p in models_dir.iterdir() if (p / "meta.json").is_file()))
    setting = project.setting("model", "auto")
    if isinstance(setting, str) and setting not in ("auto", "rules"):
        chosen = Path(setting)
        if (chosen / "meta.json").is_file() and chosen.resolve() not in {f.resolve() for f in folders}:
            folders.append(chosen)
    curves: list[LearningCurve] = []
    for folder in folders:
        try:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            info = meta["annotator"]
            name = f"{info['name']} {info['version']}"
            points: dict[str, list[tuple[int, float]]] = {}
            for row in info.get("learning_curve", []):
                points.setdefault(str(row["component"]), []).append((int(row["docs_seen"]), float(row["score"])))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not a pipeline annotator trained, or a damaged one: not a curve
        for component, pts in points.items():
            curves.append(LearningCurve(name, str(folder), str(info.get("trained_at", "")), component, pts))
    curves.sort(key=lambda c: (c.trained_at, c.model, c.component))
    return curves


def agreement(project: Project) -> tuple[list[dict[str, Any]] | None, str]:
    """Per-label agreement of the annotators who finished the same articles; (None,
    why not) when no article was finished by two of them."""
    from annotator.services.agreement import label_agreement

    rows = [row.to_dict() for row in label_agreement(project)]
    if not rows:
        return None, ("Agreement needs articles finished by two or more annotators "
                      "(merge their projects with 'annotator merge').")
    return rows, ""


def compute(project: Project, *, models_dir: Path | None = None, with_agreement: bool = True) -> Dashboard:
    """Every figure of the dashboard, each from its own aggregate queries (without
    ``with_agreement``, the agreement figure is left for :func:`agreement`)."""
    timings: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        try:
            return fn()
        finally:
            timings[name] = round((time.perf_counter() - started) * 1000.0, 1)

    prog = timed("progress", lambda: progress(project))
    spd = timed("speed", lambda: speed(project))
    by_layer, by_target = timed("labels", lambda: labels(project))
    qual = timed("quality", lambda: quality(project))
    curves = timed("learning_curves", lambda: learning_curves(project, models_dir=models_dir))
    agree, note = (timed("agreement", lambda: agreement(project)) if with_agreement
                   else (None, "Agreement is being computed…"))
    return Dashboard(
        project=str(project.path) if project.path else None,
        annotator=project.annotator,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        progress=prog, speed=spd, labels=by_layer, stance_targets=by_target, quality=qual,
        learning_curves=curves, agreement=agree, agreement_note=note, timings_ms=timings,
    )
