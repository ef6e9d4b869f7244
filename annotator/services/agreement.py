"""Inter-annotator agreement of a team project.

Only articles that the annotators of a pair both marked done are compared, and
only their accepted spans; the reviewed layer (``adjudicated``) is never an
annotator here. What is measured, per pair of annotators and overall:

- **entity span F1**, exact (same start, end and label) and overlap (same label,
  ranges overlap, each span matched at most once, largest overlap first), per label
  and over all labels. F1 is symmetric: it does not matter who is taken as reference.
- **Cohen's kappa of entity labels** on the spans both annotators marked: spans are
  paired regardless of label as for overlap F1, and the pairs' labels compared.
- **stance F1 and Cohen's kappa** per (sentence, target): a unit is a sentence and
  a target that either annotator gave a stance; an annotator who gave none there
  says ``NONE``. F1 counts units with the same label.
- **Krippendorff's alpha** (nominal) when three or more annotators finished the same
  articles: entity units are groups of overlapping spans (a coder without a span in
  the group gives no value), stance units as above (``NONE`` for a finished annotator
  without a stance there).
- **per article**: the pairs' mean figures and the number of places where the
  finished annotators' versions differ, least agreement first.

Kappa uses scikit-learn's ``cohen_kappa_score`` and alpha the ``krippendorff``
package. Both are undefined when every value is the same single category; the
figure is then None (the observed agreement is still given).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from annotator.core.errors import AnnotatorError, Errors
from annotator.core.model import ADJUDICATED, Span
from annotator.services.adjudication import Disagreement, overlap_groups, places
from annotator.storage import Project

__all__ = [
    "AgreementReport",
    "LabelAgreement",
    "agreement",
    "cohen_kappa",
    "entity_units",
    "krippendorff_alpha",
    "label_agreement",
    "match_by_overlap",
    "span_f1_counts",
    "stance_units",
]

NONE = "NONE"


# -- measures on plain spans ------------------------------------------------------------


def _overlap(a: Span, b: Span) -> int:
    return min(a.end, b.end) - max(a.start, b.start)


def match_by_overlap(a: Sequence[Span], b: Sequence[Span], *, same_label: bool = False) -> list[tuple[Span, Span]]:
    """Pairs of overlapping spans, each span used at most once, the largest overlap
    first (ties: earlier spans first); with ``same_label`` only equal labels pair."""
    candidates = sorted(
        ((_overlap(x, y), i, j) for i, x in enumerate(a) for j, y in enumerate(b)
         if _overlap(x, y) > 0 and (not same_label or x.label == y.label)),
        key=lambda t: (-t[0], t[1], t[2]))
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs = []
    for _, i, j in candidates:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.append((a[i], b[j]))
    return pairs


def span_f1_counts(a: Sequence[Span], b: Sequence[Span]) -> dict[str, dict[str, int]]:
    """Per label: ``{"exact": matches, "overlap": matches, "a": count, "b": count}``."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"exact": 0, "overlap": 0, "a": 0, "b": 0})
    for s in a:
        counts[s.label]["a"] += 1
    for s in b:
        counts[s.label]["b"] += 1
    remaining = [(s.start, s.end, s.label) for s in b]
    for s in a:
        key = (s.start, s.end, s.label)
        if key in remaining:
            remaining.remove(key)
            counts[s.label]["exact"] += 1
    for x, _ in match_by_overlap(a, b, same_label=True):
        counts[x.label]["overlap"] += 1
    return dict(counts)


def f1(matches: int, n_a: int, n_b: int) -> float | None:
    """2 * matches / (n_a + n_b); None when neither annotator marked anything."""
    return 2 * matches / (n_a + n_b) if n_a + n_b else None


def cohen_kappa(labels_a: Sequence[str], labels_b: Sequence[str]) -> float | None:
    """Cohen's kappa (scikit-learn); None when undefined (no unit, or one category only)."""
    if not labels_a or len(set(labels_a) | set(labels_b)) < 2:
        return None
    from sklearn.metrics import cohen_kappa_score

    return float(cohen_kappa_score(list(labels_a), list(labels_b)))


def krippendorff_alpha(units: Sequence[dict[str, str]], coders: Sequence[str]) -> float | None:
    """Nominal Krippendorff's alpha (the ``krippendorff`` package) of ``units``, each
    a mapping coder -> value (a coder absent from a unit gave no value); None when
    undefined (fewer than two values in all, or no unit with two values)."""
    import numpy as np

    values = sorted({v for unit in units for v in unit.values()})
    pairable = [u for u in units if len(u) >= 2]
    if len(values) < 2 or not pairable:
        return None
    import krippendorff

    code = {v: float(i) for i, v in enumerate(values)}
    data = np.full((len(coders), len(pairable)), np.nan)
    for j, unit in enumerate(pairable):
        for i, coder in enumerate(coders):
            if coder in unit:
                data[i, j] = code[unit[coder]]
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def entity_units(versions: dict[str, Sequence[Span]]) -> list[dict[str, str]]:
    """Groups of overlapping entity spans across annotators, each as annotator ->
    label (of the annotator's longest span in the group)."""
    units = []
    for group in overlap_groups(versions, "entity"):
        unit: dict[str, Span] = {}
        for span, who in group:
            if who not in unit or span.end - span.start > unit[who].end - unit[who].start:
                unit[who] = span
        units.append({who: s.label for who, s in unit.items()})
    return units


def stance_units(spans: Sequence[Span], sentence_of: Any) -> dict[tuple[tuple[int, int], str | None], str]:
    """(sentence, target) -> stance label of one annotator; ``sentence_of(pos)`` gives
    the (start, end) of the sentence holding a position. The first stance (in text
    order) wins where one annotator gave two."""
    units: dict[tuple[tuple[int, int], str | None], str] = {}
    for s in sorted(spans, key=lambda s: (s.start, s.end)):
        units.setdefault((sentence_of(s.start) or (s.start, s.end), s.target), s.label)
    return units


# -- the project's figures --------------------------------------------------------------


@dataclass
class _Tally:
    """Counts that add up over documents (and pairs) before becoming figures."""

    entity: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: {"exact": 0, "overlap": 0, "a": 0, "b": 0}))
    stance: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: {"exact": 0, "a": 0, "b": 0}))
    entity_labels: tuple[list[str], list[str]] = field(default_factory=lambda: ([], []))
    stance_labels: tuple[list[str], list[str]] = field(default_factory=lambda: ([], []))
    documents: int = 0

    def add(self, a: Sequence[Span], b: Sequence[Span], sentence_of: Any) -> None:
        ents_a = [s for s in a if s.layer == "entity"]
        ents_b = [s for s in b if s.layer == "entity"]
        for label, c in span_f1_counts(ents_a, ents_b).items():
            for k, v in c.items():
                self.entity[label][k] += v
        for x, y in match_by_overlap(ents_a, ents_b):
            self.entity_labels[0].append(x.label)
            self.entity_labels[1].append(y.label)
        units_a = stance_units([s for s in a if s.layer == "stance"], sentence_of)
        units_b = stance_units([s for s in b if s.layer == "stance"], sentence_of)
        for unit in sorted(set(units_a) | set(units_b), key=lambda u: (u[0], u[1] or "")):
            la, lb = units_a.get(unit, NONE), units_b.get(unit, NONE)
            self.stance_labels[0].append(la)
            self.stance_labels[1].append(lb)
            if la != NONE:
                self.stance[la]["a"] += 1
            if lb != NONE:
                self.stance[lb]["b"] += 1
            if la == lb:
                self.stance[la]["exact"] += 1
        self.documents += 1

    def figures(self, *, kappa: bool = True) -> dict[str, Any]:
        """The figures of the counts so far; without ``kappa`` (one article's
        figures) the kappas are left out (None), which saves most of the time."""
        def totals(table: dict[str, dict[str, int]], key: str) -> float | None:
            return f1(sum(c[key] for c in table.values()), sum(c["a"] for c in table.values()),
                      sum(c["b"] for c in table.values()))

        ea, eb = self.entity_labels
        sa, sb = self.stance_labels
        return {
            "documents": self.documents,
            "entity": {
                "f1_exact": totals(self.entity, "exact"), "f1_overlap": totals(self.entity, "overlap"),
                "kappa": cohen_kappa(ea, eb) if kappa else None, "matched_spans": len(ea),
                "observed": sum(x == y for x, y in zip(ea, eb)) / len(ea) if ea else None,
                "labels": {label: {"f1_exact": f1(c["exact"], c["a"], c["b"]),
                                   "f1_overlap": f1(c["overlap"], c["a"], c["b"]), "a": c["a"], "b": c["b"]}
                           for label, c in sorted(self.entity.items())},
            },
            "stance": {
                "f1": totals(self.stance, "exact"), "kappa": cohen_kappa(sa, sb) if kappa else None, "units": len(sa),
                "observed": sum(x == y for x, y in zip(sa, sb)) / len(sa) if sa else None,
                "labels": {label: {"f1": f1(c["exact"], c["a"], c["b"]), "a": c["a"], "b": c["b"]}
                           for label, c in sorted(self.stance.items())},
            },
        }

    def merge(self, other: _Tally) -> None:
        for mine, theirs in ((self.entity, other.entity), (self.stance, other.stance)):
            for label, c in theirs.items():
                for k, v in c.items():
                    mine[label][k] += v
        for mine, theirs in ((self.entity_labels, other.entity_labels), (self.stance_labels, other.stance_labels)):
            mine[0].extend(theirs[0])
            mine[1].extend(theirs[1])
        self.documents += other.documents


@dataclass
class AgreementReport:
    annotators: list[str]
    pairs: list[dict[str, Any]]
    overall: dict[str, Any]
    alpha: dict[str, float | None] | None
    articles: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"annotators": self.annotators, "pairs": self.pairs, "overall": self.overall,
                "alpha": self.alpha, "articles": self.articles}


@dataclass(frozen=True)
class LabelAgreement:
    """How far annotators agree on one label (all pairs, all articles both finished)."""

    layer: str
    label: str
    #: Span F1 (stance: per (sentence, target) unit F1) with exact matches.
    f1_exact: float | None
    #: Span F1 counting overlapping spans of the label as matches (stances: as exact).
    f1_overlap: float | None
    #: How many spans (units) of the label the annotators marked, summed over the pairs.
    support: int

    def to_dict(self) -> dict[str, Any]:
        return {"layer": self.layer, "label": self.label, "f1_exact": self.f1_exact,
                "f1_overlap": self.f1_overlap, "support": self.support}


def finished_versions(project: Project) -> dict[int, dict[str, list[Span]]]:
    """Documents finished by two or more annotators: annotator -> accepted spans."""
    finished: dict[int, list[str]] = defaultdict(list)
    for doc_id, who in project.conn.execute(
            "SELECT doc_id, annotator FROM doc_status WHERE status = 'done' AND annotator != ? ORDER BY doc_id, annotator",
            (ADJUDICATED,)):
        finished[doc_id].append(who)
    out: dict[int, dict[str, list[Span]]] = {}
    for doc_id, names in finished.items():
        if len(names) < 2:
            continue
        spans = project.spans(doc_id, statuses=["accepted"])
        out[doc_id] = {who: [s for s in spans if s.annotator == who] for who in names}
    return out


def _sentence_finder(text: str) -> Any:
    """``sentence_of(pos)``, tokenizing the text only when first asked (articles
    without stances never are)."""
    from annotator.services.session import TokenIndex

    index: list[TokenIndex] = []

    def sentence_of(pos: int) -> tuple[int, int] | None:
        if not index:
            index.append(TokenIndex(text))
        return index[0].sentence_at(pos)

    return sentence_of


def agreement(project: Project) -> AgreementReport:
    """The agreement figures of ``project`` (see the module notes); E705 when no
    article was finished by two annotators."""
    versions = finished_versions(project)
    if not versions:
        raise AnnotatorError(Errors.E705, path=project.path,
                             reason="no article is marked done by two or more annotators (merge their projects first)")
    pair_tallies: dict[tuple[str, str], _Tally] = defaultdict(_Tally)
    alpha_entities: list[dict[str, str]] = []
    alpha_stances: list[dict[str, str]] = []
    articles = []
    for doc_id, by_who in versions.items():
        document = project.document(doc_id)
        sentence_of = _sentence_finder(document.text)
        names = sorted(by_who)
        doc_tally_figures = []
        for a, b in itertools.combinations(names, 2):
            tally = _Tally()
            tally.add(by_who[a], by_who[b], sentence_of)
            pair_tallies[(a, b)].merge(tally)
            doc_tally_figures.append(tally.figures(kappa=False))
        ents = entity_units({w: [s for s in v if s.layer == "entity"] for w, v in by_who.items()})
        per_who = {w: stance_units([s for s in v if s.layer == "stance"], sentence_of) for w, v in by_who.items()}
        stance_keys = sorted(set().union(*per_who.values()), key=lambda u: (u[0], u[1] or ""))
        stances = [{w: per_who[w].get(k, NONE) for w in names} for k in stance_keys]
        alpha_entities += ents
        alpha_stances += stances
        all_spans = {s.id: s for v in by_who.values() for s in v}
        disagreements = sum(isinstance(p, Disagreement) for p in places(doc_id, by_who, all_spans))
        articles.append({
            "doc_id": doc_id, "title": document.title, "annotators": names,
            "entity_f1_exact": _mean(f["entity"]["f1_exact"] for f in doc_tally_figures),
            "entity_f1_overlap": _mean(f["entity"]["f1_overlap"] for f in doc_tally_figures),
            "stance_f1": _mean(f["stance"]["f1"] for f in doc_tally_figures),
            "disagreements": disagreements,
        })
    articles.sort(key=lambda a: (-a["disagreements"], _sort_value(a["entity_f1_exact"]), a["doc_id"]))
    pairs = []
    everyone = _Tally()
    for (a, b), tally in sorted(pair_tallies.items()):
        pairs.append({"a": a, "b": b, **tally.figures()})
        everyone.merge(tally)
    overall = everyone.figures()
    overall["entity"]["kappa_mean_of_pairs"] = _mean(p["entity"]["kappa"] for p in pairs)
    overall["stance"]["kappa_mean_of_pairs"] = _mean(p["stance"]["kappa"] for p in pairs)
    annotators = sorted({w for by_who in versions.values() for w in by_who})
    alpha = None
    if len(annotators) >= 3:
        alpha = {"entity": krippendorff_alpha(alpha_entities, annotators),
                 "stance": krippendorff_alpha(alpha_stances, annotators)}
    return AgreementReport(annotators, pairs, overall, alpha, articles)


def label_agreement(project: Project) -> list[LabelAgreement]:
    """Per-label agreement of the project over all pairs of annotators and the
    articles each pair finished (entity labels first, then stance labels, in scheme
    order); an empty list when no article was finished by two annotators."""
    try:
        report = agreement(project)
    except AnnotatorError:
        return []
    scheme = project.scheme()
    entity, stance = report.overall["entity"]["labels"], report.overall["stance"]["labels"]
    out = []
    for name in scheme.label_names("entity"):
        if name in entity:
            c = entity[name]
            out.append(LabelAgreement("entity", name, c["f1_exact"], c["f1_overlap"], c["a"] + c["b"]))
    for name in scheme.label_names("stance"):
        if name in stance:
            c = stance[name]
            out.append(LabelAgreement("stance", name, c["f1"], c["f1"], c["a"] + c["b"]))
    return out


def _mean(values: Any) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def _sort_value(value: float | None) -> float:
    return 2.0 if value is None else value
