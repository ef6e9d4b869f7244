"""A simulated annotator: replays gold articles through the session service the
window uses, and counts the decisions it had to make.

For each article, in order: the article is suggested (:func:`suggest_document`,
what the window's look-ahead does, decision memory included), then the simulated
annotator

1. corrects or rejects every wrong suggestion: a suggestion on a gold span's exact
   offsets is relabelled (and, for a stance, retargeted) in one decision,
   anything else is rejected;
2. writes every gold span still missing, one decision each;
3. accepts the remaining (right) suggestions with one "accept all" decision;
4. marks the article done (one decision).

With the decision memory on, the article is suggested again after each decision
that teaches (the window does the same in the background), so a name corrected
once is right for its later occurrences in the same article. With retraining on,
:func:`annotator.services.retraining.retrain` runs whenever it is due, as the
window's background retraining would, and the next articles are suggested by the
model it switched to. Without suggestions, the annotator writes every gold span.

Each article reports the suggestion F1 (exact offsets and label; for stances,
also the target) of what was suggested when it was opened, and the decisions made.
Stance holders are not replayed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.core.text import text_hash
from annotator.formats.readers import reader_for
from annotator.services.session import AnnotationSession, CorrectSpanCommand, SetStatusCommand
from annotator.services.suggesting import project_suggester, suggest_document
from annotator.storage import NewDocument, Project

EntityKey = tuple[int, int, str]
StanceKey = tuple[int, int, str, str]


@dataclass
class GoldArticle:
    title: str
    text: str
    entities: set[EntityKey] = field(default_factory=set)
    stances: set[StanceKey] = field(default_factory=set)


@dataclass
class ArticleResult:
    index: int
    decisions: int
    entity_f1: float | None
    stance_f1: float | None
    suggested: int = 0
    retrained: str = ""


def read_gold(path: Path, *, scheme: Any) -> list[GoldArticle]:
    """Gold articles from any file the importer reads (our JSONL, CoNLL, ...)."""
    articles = []
    for _line, record in reader_for(path)(path, scheme=scheme):
        if isinstance(record, Exception):
            raise record
        article = GoldArticle(record.title, record.text)
        for d in record.spans:
            if d.layer == "entity":
                article.entities.add((d.start, d.end, d.label))
            elif d.target:
                article.stances.add((d.start, d.end, d.label, d.target))
        articles.append(article)
    return articles


def f1(predicted: set, gold: set) -> float | None:
    if not predicted and not gold:
        return None
    return 2 * len(predicted & gold) / (len(predicted) + len(gold))


class Replay:
    """One simulated annotator on one project.

    Parameters
    ----------
    project:
        A project holding no documents of the corpus yet.
    mode:
        ``"none"`` (no suggestions), ``"frozen"`` (the project's model, no memory,
        no retraining) or ``"learning"`` (memory, and retraining when
        ``retrain`` is given).
    layers:
        The layers the gold annotates (a CoNLL corpus has no stances: stance
        suggestions are then left alone and not counted).
    suggester:
        The suggester to start from (the project's by default).
    retrain:
        Called with the project after each article when retraining is on; returns
        (whether it switched the model, a note to report); after a switch the
        suggester is rebuilt from the project.
    """

    def __init__(self, project: Project, *, mode: str, layers: Sequence[str] = ("entity", "stance"),
                 suggester: Any = None, retrain: Callable[[Project], tuple[bool, str]] | None = None) -> None:
        if mode not in ("none", "frozen", "learning"):
            raise ValueError(mode)
        self.project = project
        self.mode = mode
        self.layers = tuple(layers)
        self.memory = mode == "learning"
        self.retrain = retrain if mode == "learning" else None
        self.suggester = None if mode == "none" else (suggester or project_suggester(project, memory=self.memory))
        self.session = AnnotationSession(project, char_mode=True)
        self._doc: Any = None

    def run(self, articles: Sequence[GoldArticle], *, on_article: Callable[[ArticleResult], None] | None = None
            ) -> list[ArticleResult]:
        ids, _ = self.project.add_documents(
            [NewDocument(text=a.text, title=a.title, text_hash=text_hash(a.text)) for a in articles])
        results = []
        for index, (doc_id, gold) in enumerate(zip(ids, articles), start=1):
            result = self.article(index, doc_id, gold)
            if self.retrain is not None:
                switched, result.retrained = self.retrain(self.project)
                if switched:
                    self.suggester = project_suggester(self.project, memory=True)
            results.append(result)
            if on_article is not None:
                on_article(result)
        return results

    # -- one article ---------------------------------------------------------------

    def _suggest(self, doc_id: int) -> None:
        if self.suggester is None:
            return
        if self._doc is None:
            self._doc = self.suggester.nlp(self.project.document(doc_id).text)
        suggest_document(self.project, self.suggester, doc_id, doc=self._doc, memory=self.memory)
        self.session.reload_spans()

    def _pending(self) -> list[Any]:
        return [s for s in self.session.spans() if s.status == "suggested" and s.layer in self.layers]

    def _right(self, span: Any, gold: GoldArticle) -> bool:
        if span.layer == "entity":
            return (span.start, span.end, span.label) in gold.entities
        return (span.start, span.end, span.label, span.target) in gold.stances

    def _fix(self, span: Any, gold: GoldArticle) -> int:
        """Correct or reject one wrong suggestion; returns the decisions it took."""
        if span.layer == "entity":
            labels = [g[2] for g in gold.entities if (g[0], g[1]) == (span.start, span.end)]
            if labels:
                self.session.run(self.session.relabel(labels[0], span))
                return 1
        else:
            wanted = [g for g in gold.stances if (g[0], g[1]) == (span.start, span.end)]
            if wanted:
                _s, _e, label, target = wanted[0]
                changes = {k: v for k, v in (("label", label), ("target", target)) if getattr(span, k) != v}
                self.session.run(CorrectSpanCommand(self.project, span.doc_id, span, changes, "Correct stance"))
                return len(changes)
        self.session.run(self.session.reject(span))
        return 1

    def _missing(self, gold: GoldArticle) -> list[tuple[str, tuple]]:
        covered_e = {(s.start, s.end, s.label) for s in self.session.spans("entity")}
        covered_s = {(s.start, s.end, s.label, s.target) for s in self.session.spans("stance")}
        missing: list[tuple[str, tuple]] = []
        if "entity" in self.layers:
            missing += [("entity", g) for g in sorted(gold.entities - covered_e)]
        if "stance" in self.layers:
            missing += [("stance", g) for g in sorted(gold.stances - covered_s)]
        return missing

    def article(self, index: int, doc_id: int, gold: GoldArticle) -> ArticleResult:
        self._doc = None
        self.session.load(doc_id)
        self._suggest(doc_id)
        shown = self._pending()
        result = ArticleResult(
            index, 0,
            entity_f1=f1({(s.start, s.end, s.label) for s in shown if s.layer == "entity"}, gold.entities)
            if "entity" in self.layers else None,
            stance_f1=f1({(s.start, s.end, s.label, s.target) for s in shown if s.layer == "stance"}, gold.stances)
            if "stance" in self.layers else None,
            suggested=len(shown))
        while True:
            wrong = next((s for s in self._pending() if not self._right(s, gold)), None)
            if wrong is not None:
                result.decisions += self._fix(wrong, gold)
            else:
                missing = self._missing(gold)
                if not missing:
                    break
                layer, g = missing[0]
                target = g[3] if layer == "stance" else None
                command = self.session.create(g[0], g[1], layer, g[2], target=target)
                assert command is not None, f"cannot write {g} in article {index}"
                self.session.run(command)
                result.decisions += 1
            if self.memory:
                self._suggest(doc_id)
        right = self._pending()
        if right:
            self.session.run(SetStatusCommand(self.project, doc_id, right, "accepted", "Accept all"))
            result.decisions += 1
        self.session.run(self.session.set_doc_status("done"))
        result.decisions += 1
        return result


def halves(results: Sequence[ArticleResult]) -> tuple[int, int]:
    """Decisions in the first and the second half of the articles."""
    middle = len(results) // 2
    return sum(r.decisions for r in results[:middle]), sum(r.decisions for r in results[middle:])
