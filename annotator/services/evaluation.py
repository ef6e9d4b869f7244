"""How good are the suggestions? Compare a project's suggestions with a gold file.

Gold articles (our JSONL) are matched to project documents by their text hash.
Predictions are the project's suggester spans (any origin other than ``human`` and
``import``, whatever their status now: a suggestion a person rejected was still
suggested).

Entities: precision, recall and F1 per label and micro-averaged overall, for exact
matches (same start, end and label) and for overlap matches (same label and at
least one shared character; each gold span matches at most one prediction).

Stances (gold stances are whole sentences, one per sentence, target and holder):
for each target, *candidate recall* (the share of gold stances with a suggestion
for their target over their sentence, whatever its label: what the annotator does
not have to find by hand), label accuracy over the gold stances (a gold stance with
no such suggestion counts as wrong), macro-F1 over the stance labels, where a
missed gold stance is a false negative and a suggestion over a sentence with no
gold stance for that target is a false positive, and *holder agreement* (of the
found gold stances with a holder, the share whose suggestion names the same
holder: overlapping spans, or the same last word, so "Scholz" agrees with "Olaf
Scholz").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.core.errors import AnnotatorError, Errors
from annotator.core.model import ORIGIN_HUMAN, ORIGIN_IMPORT, Span, SpanDraft
from annotator.core.scheme import Scheme
from annotator.core.text import text_hash
from annotator.formats.readers import read_jsonl
from annotator.storage import Project


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, float | int]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4),
                "tp": self.tp, "fp": self.fp, "fn": self.fn, "support": self.tp + self.fn}


@dataclass
class StanceScores:
    gold: int = 0
    correct: int = 0
    suggested: int = 0
    by_label: dict[str, PRF] = field(default_factory=dict)
    candidates: int = 0  # gold stances with a suggestion for their target over their sentence
    holders_gold: int = 0  # found gold stances that name a holder
    holders_agreed: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.gold if self.gold else 0.0

    @property
    def candidate_recall(self) -> float:
        return self.candidates / self.gold if self.gold else 0.0

    @property
    def holder_agreement(self) -> float:
        return self.holders_agreed / self.holders_gold if self.holders_gold else 0.0

    @property
    def macro_f1(self) -> float:
        return sum(p.f1 for p in self.by_label.values()) / len(self.by_label) if self.by_label else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"gold": self.gold, "suggested": self.suggested, "correct": self.correct,
                "accuracy": round(self.accuracy, 4), "macro_f1": round(self.macro_f1, 4),
                "candidates": self.candidates, "candidate_recall": round(self.candidate_recall, 4),
                "holders": self.holders_gold, "holder_agreement": round(self.holder_agreement, 4),
                "labels": {k: v.to_dict() for k, v in self.by_label.items()}}


@dataclass
class EvaluationReport:
    gold_path: str
    documents: int = 0
    unmatched_gold: int = 0
    unsuggested: int = 0
    entity_exact: dict[str, PRF] = field(default_factory=dict)
    entity_overlap: dict[str, PRF] = field(default_factory=dict)
    stance_targets: dict[str, StanceScores] = field(default_factory=dict)
    stance_overall: StanceScores = field(default_factory=StanceScores)

    @staticmethod
    def _micro(table: dict[str, PRF]) -> PRF:
        return PRF(sum(p.tp for p in table.values()), sum(p.fp for p in table.values()),
                   sum(p.fn for p in table.values()))

    @property
    def entity_exact_overall(self) -> PRF:
        return self._micro(self.entity_exact)

    @property
    def entity_overlap_overall(self) -> PRF:
        return self._micro(self.entity_overlap)

    def to_dict(self) -> dict[str, Any]:
        return {
            "gold": self.gold_path, "documents": self.documents, "unmatched_gold": self.unmatched_gold,
            "unsuggested": self.unsuggested,
            "entities": {
                "exact": {"labels": {k: v.to_dict() for k, v in sorted(self.entity_exact.items())},
                          "overall": self.entity_exact_overall.to_dict()},
                "overlap": {"labels": {k: v.to_dict() for k, v in sorted(self.entity_overlap.items())},
                            "overall": self.entity_overlap_overall.to_dict()},
            },
            "stances": {"targets": {k: v.to_dict() for k, v in self.stance_targets.items()},
                        "overall": self.stance_overall.to_dict()},
        }


def _is_suggestion(span: Span) -> bool:
    return span.origin not in (ORIGIN_HUMAN, ORIGIN_IMPORT)


def score_entities(gold: Iterable[tuple[int, int, str]], predicted: Iterable[tuple[int, int, str]], *,
                   exact: dict[str, PRF], overlap: dict[str, PRF]) -> None:
    """Add one document's entity counts to the per-label tables."""
    gold = sorted(set(gold))
    predicted = sorted(set(predicted))
    gold_set = set(gold)
    pred_set = set(predicted)
    for s, e, label in gold:
        exact.setdefault(label, PRF())
        overlap.setdefault(label, PRF())
        if (s, e, label) in pred_set:
            exact[label].tp += 1
        else:
            exact[label].fn += 1
    for s, e, label in predicted:
        exact.setdefault(label, PRF())
        overlap.setdefault(label, PRF())
        if (s, e, label) not in gold_set:
            exact[label].fp += 1
    used: set[int] = set()
    matched_pred: set[int] = set()
    for s, e, label in gold:
        hit = next((k for k, (ps, pe, pl) in enumerate(predicted)
                    if k not in used and pl == label and ps < e and s < pe), None)
        if hit is None:
            overlap[label].fn += 1
        else:
            used.add(hit)
            matched_pred.add(hit)
            overlap[label].tp += 1
    for k, (_s, _e, label) in enumerate(predicted):
        if k not in matched_pred:
            overlap[label].fp += 1


def score_stances(gold: Sequence[SpanDraft], predicted: Sequence[SpanDraft], *,
                  labels: Sequence[str], targets: dict[str, StanceScores], overall: StanceScores,
                  text: str = "") -> None:
    """Add one document's stance counts: gold and predictions are sentence spans with
    targets (and holders as offsets into ``text``)."""

    def ensure(name: str) -> StanceScores:
        if name not in targets:
            targets[name] = StanceScores(by_label={lab: PRF() for lab in labels})
        return targets[name]

    if not overall.by_label:
        overall.by_label = {lab: PRF() for lab in labels}
    claimed: set[int] = set()
    for g in gold:
        scores = ensure(g.target or "")
        best, best_overlap = None, 0
        for k, p in enumerate(predicted):
            if p.target != g.target or k in claimed:
                continue
            shared = min(g.end, p.end) - max(g.start, p.start)
            if shared > best_overlap and shared * 2 >= min(g.end - g.start, p.end - p.start):
                best, best_overlap = k, shared
        for table in (scores, overall):
            table.gold += 1
            if g.label in table.by_label:
                pass
            else:
                table.by_label[g.label] = PRF()
        if best is None:
            for table in (scores, overall):
                table.by_label[g.label].fn += 1
            continue
        claimed.add(best)
        label = predicted[best].label
        agreed = g.holder is not None and _same_holder(text, g.holder, predicted[best].holder)
        for table in (scores, overall):
            table.suggested += 1
            table.candidates += 1
            if g.holder is not None:
                table.holders_gold += 1
                table.holders_agreed += agreed
            table.by_label.setdefault(label, PRF())
            if label == g.label:
                table.correct += 1
                table.by_label[label].tp += 1
            else:
                table.by_label[label].fp += 1
                table.by_label[g.label].fn += 1
    for k, p in enumerate(predicted):
        if k in claimed:
            continue
        for table in (ensure(p.target or ""), overall):
            table.suggested += 1
            table.by_label.setdefault(p.label, PRF()).fp += 1


def _same_holder(text: str, gold: tuple[int, int], found: tuple[int, int] | None) -> bool:
    if found is None:
        return False
    if gold[0] < found[1] and found[0] < gold[1]:
        return True

    def last_word(span: tuple[int, int]) -> str:
        words = text[span[0]:span[1]].replace("’", "'").split()
        return words[-1].removesuffix("'s").lower() if words else ""

    return bool(text) and last_word(gold) == last_word(found) != ""


def _as_drafts(spans: Sequence[Span]) -> list[SpanDraft]:
    """Stored stance spans as drafts with their holders' offsets."""
    offsets = {s.id: (s.start, s.end) for s in spans}
    return [SpanDraft(s.start, s.end, s.label, s.layer, target=s.target,
                      holder=offsets.get(s.holder_span_id) if s.holder_span_id else None)
            for s in spans if s.layer == "stance"]


def evaluate_project(project: Project, *, gold_path: str | Path) -> EvaluationReport:
    """Compare the project's suggestions with the gold file (see the module notes)."""
    gold_path = Path(gold_path)
    scheme = project.scheme()
    labels = scheme.label_names("stance") or ["FAVOR", "AGAINST", "NEUTRAL"]
    report = EvaluationReport(str(gold_path))
    for target in scheme.target_names():
        report.stance_targets[target] = StanceScores(by_label={lab: PRF() for lab in labels})
    report.stance_overall = StanceScores(by_label={lab: PRF() for lab in labels})
    for _line, item in read_jsonl(gold_path, scheme=scheme):
        if isinstance(item, AnnotatorError):
            raise item
        doc_id = project.doc_id_for_text_hash(text_hash(item.text))
        if doc_id is None:
            report.unmatched_gold += 1
            continue
        report.documents += 1
        spans = [s for s in project.spans(doc_id) if _is_suggestion(s)]
        if not spans and not project.has_suggestion_run(doc_id):
            report.unsuggested += 1
        gold_entities = [(d.start, d.end, d.label) for d in item.spans if d.layer == "entity"]
        pred_entities = [(s.start, s.end, s.label) for s in spans if s.layer == "entity"]
        score_entities(gold_entities, pred_entities, exact=report.entity_exact, overlap=report.entity_overlap)
        score_stances([d for d in item.spans if d.layer == "stance"], _as_drafts(spans),
                      labels=labels, targets=report.stance_targets, overall=report.stance_overall, text=item.text)
    if report.documents == 0:
        raise AnnotatorError(Errors.E302, path=gold_path)
    return report


def format_report(report: EvaluationReport) -> str:
    """The report as plain-text tables."""
    lines = [f"Gold: {report.gold_path}: {report.documents} article(s) matched"
             + (f", {report.unmatched_gold} not in the project" if report.unmatched_gold else "")
             + (f"; {report.unsuggested} matched article(s) have no suggestions yet (run 'annotator suggest')"
                if report.unsuggested else "")]
    for kind, table, overall in (("exact", report.entity_exact, report.entity_exact_overall),
                                 ("overlap", report.entity_overlap, report.entity_overlap_overall)):
        lines.append("")
        lines.append(f"Entities ({kind} match)")
        lines.append(f"  {'label':<10} {'P':>6} {'R':>6} {'F1':>6} {'gold':>6} {'sugg':>6}")
        for label, prf in sorted(table.items()):
            lines.append(f"  {label:<10} {prf.precision:6.3f} {prf.recall:6.3f} {prf.f1:6.3f} "
                         f"{prf.tp + prf.fn:6d} {prf.tp + prf.fp:6d}")
        lines.append(f"  {'overall':<10} {overall.precision:6.3f} {overall.recall:6.3f} {overall.f1:6.3f} "
                     f"{overall.tp + overall.fn:6d} {overall.tp + overall.fp:6d}")
    lines.append("")
    lines.append("Stances (sentence level, per target)")
    label_names = list(report.stance_overall.by_label)
    header = f"  {'target':<32} {'gold':>5} {'sugg':>5} {'recall':>6} {'acc':>6} {'mF1':>6} {'holder':>6} " + " ".join(
        f"{('F1 ' + lab)[:10]:>10}" for lab in label_names)
    lines.append(header)
    lines.append("  (recall: gold stances with a suggestion for their target over their sentence, any label; "
                 "acc: with the right label; holder: found ones naming the gold holder)")
    rows = [*report.stance_targets.items(), ("overall", report.stance_overall)]
    for name, sc in rows:
        lines.append(f"  {name[:32]:<32} {sc.gold:5d} {sc.suggested:5d} {sc.candidate_recall:6.3f} "
                     f"{sc.accuracy:6.3f} {sc.macro_f1:6.3f} {sc.holder_agreement:6.3f} "
                     + " ".join(f"{sc.by_label[lab].f1 if lab in sc.by_label else 0.0:10.3f}"
                                for lab in label_names))
    return "\n".join(lines)


# ---- comparing suggesters on a gold file -------------------------------------------------------


@dataclass
class Comparison:
    """Two (or more) suggesters scored on the same gold articles."""

    gold_path: str
    suggesters: list[str]
    reports: list[Any]

    def to_dict(self) -> dict[str, Any]:
        return {"gold": self.gold_path,
                "suggesters": [{"model": m, **r.to_dict()} for m, r in zip(self.suggesters, self.reports)]}


def compare_suggesters(project: Project, *, gold_path: str | Path, models: Sequence[str],
                       progress: Callable[[int, int], None] | None = None) -> Comparison:
    """Score the suggesters of several ``model`` settings on the gold articles.

    Each suggester runs on the gold texts directly (nothing is stored in the
    project), with the project's scheme, cues and pattern setting; the scores are
    :mod:`annotator.services.evaluation`'s (exact/overlap entity P/R/F, stance
    accuracy and macro-F1 per target).
    """
    from annotator.services.suggesting import project_suggester

    gold_path = Path(gold_path)
    scheme = project.scheme()
    items = read_gold(gold_path, scheme)
    reports = []
    total = len(items) * len(models)
    for n, model in enumerate(models):
        # The models themselves: the gold articles' own decisions may be in the
        # project, and memory would recite them.
        suggester = project_suggester(project, model=model, memory=False)

        def step(done: int, _total: int, offset: int = n * len(items)) -> None:
            if progress is not None:
                progress(offset + done, total)

        reports.append(evaluate_suggester(suggester, items, gold_path=gold_path, scheme=scheme, progress=step))
    return Comparison(str(gold_path), [str(m) for m in models], reports)


def read_gold(gold_path: str | Path, scheme: Scheme) -> list[Any]:
    """The gold articles of a file (E302 when it holds none)."""
    items = []
    for _line, item in read_jsonl(Path(gold_path), scheme=scheme):
        if isinstance(item, AnnotatorError):
            raise item
        items.append(item)
    if not items:
        raise AnnotatorError(Errors.E302, path=gold_path)
    return items


def evaluate_suggester(suggester: Any, items: Sequence[Any], *, gold_path: str | Path, scheme: Scheme,
                       progress: Callable[[int, int], None] | None = None) -> EvaluationReport:
    """Score one suggester on gold articles (see :func:`read_gold`), storing nothing."""
    labels = scheme.label_names("stance") or ["FAVOR", "AGAINST", "NEUTRAL"]
    report = EvaluationReport(f"{gold_path} [{suggester.name}]")
    for target in scheme.target_names():
        report.stance_targets[target] = StanceScores(by_label={lab: PRF() for lab in labels})
    report.stance_overall = StanceScores(by_label={lab: PRF() for lab in labels})
    for done, (item, drafts) in enumerate(zip(items, suggester.suggest(it.text for it in items)), 1):
        report.documents += 1
        score_entities([(d.start, d.end, d.label) for d in item.spans if d.layer == "entity"],
                       [(d.start, d.end, d.label) for d in drafts if d.layer == "entity"],
                       exact=report.entity_exact, overlap=report.entity_overlap)
        score_stances([d for d in item.spans if d.layer == "stance"], [d for d in drafts if d.layer == "stance"],
                      labels=labels, targets=report.stance_targets, overall=report.stance_overall, text=item.text)
        if progress is not None:
            progress(done, len(items))
    return report


def format_comparison(comparison: Comparison) -> str:
    """The comparison as one plain-text table, a column pair per suggester."""
    reports = comparison.reports
    names = [f"[{i + 1}] {m}" for i, m in enumerate(comparison.suggesters)]
    lines = [f"Gold: {comparison.gold_path}: {reports[0].documents if reports else 0} article(s)"]
    lines += [f"  {n}: {r.gold_path.rsplit(' [', 1)[-1].rstrip(']')}" for n, r in zip(names, reports)]
    head = "".join(f" {'[' + str(i + 1) + '] P':>8} {'R':>6} {'F1':>6}" for i in range(len(reports)))
    for kind in ("exact", "overlap"):
        lines += ["", f"Entities ({kind} match)", f"  {'label':<10}{head}"]
        tables = [r.entity_exact if kind == "exact" else r.entity_overlap for r in reports]
        overall = [r.entity_exact_overall if kind == "exact" else r.entity_overlap_overall for r in reports]
        for label in sorted(set().union(*tables)):
            prfs = [t.get(label) for t in tables]
            lines.append(f"  {label:<10}" + "".join(
                f" {p.precision if p else 0:8.3f} {p.recall if p else 0:6.3f} {p.f1 if p else 0:6.3f}" for p in prfs))
        lines.append(f"  {'overall':<10}" + "".join(
            f" {p.precision:8.3f} {p.recall:6.3f} {p.f1:6.3f}" for p in overall))
    lines += ["", "Stances (sentence level)",
              f"  {'target':<32}" + "".join(f" {'[' + str(i + 1) + '] rec':>9} {'acc':>6} {'mF1':>6}"
                                            for i in range(len(reports)))]
    targets = list(dict.fromkeys(t for r in reports for t in r.stance_targets))
    for target in [*targets, "overall"]:
        cells = []
        for r in reports:
            sc = r.stance_overall if target == "overall" else r.stance_targets.get(target)
            cells.append(f" {sc.candidate_recall if sc else 0:9.3f} {sc.accuracy if sc else 0:6.3f} "
                         f"{sc.macro_f1 if sc else 0:6.3f}")
        lines.append(f"  {target[:32]:<32}" + "".join(cells))
    return "\n".join(lines)
