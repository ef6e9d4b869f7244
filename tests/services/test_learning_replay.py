"""A cheap replay of the learning benchmark (benchmarks/bench_learning.py): on a
corpus that repeats names the model does not know, the simulated annotator needs
fewer decisions with the decision memory than without it, and suggestions get
better article after article."""

from __future__ import annotations

import random

from annotator.nlp.suggester import Suggester
from annotator.storage import open_project
from tests.services.replay import GoldArticle, Replay, halves

NAMES = [("Ilse Brandvold", "PERSON"), ("Tomas Ekerot", "PERSON"), ("Varnholt", "ORG"),
         ("Kessimar", "GPE"), ("Lund Marine", "ORG")]


def corpus(n: int, seed: int = 3) -> list[GoldArticle]:
    rng = random.Random(seed)
    articles = []
    for i in range(n):
        parts, entities = [], set()
        length = 0
        for _ in range(4):
            name, label = rng.choice(NAMES)
            other, other_label = rng.choice(NAMES)
            for piece, piece_label in ((name, label), (" met ", None), (other, other_label),
                                       (f" on day {i}. ", None)):
                if piece_label:
                    entities.add((length, length + len(piece), piece_label))
                parts.append(piece)
                length += len(piece)
        text = "".join(parts).strip()
        articles.append(GoldArticle(f"Report {i}", text, {e for e in entities if e[1] <= len(text)}))
    return articles


def run(tmp_path, mode: str, blank_nlp) -> list:
    with open_project(tmp_path / f"{mode}.db", create=True, annotator="sim") as project:
        suggester = Suggester.from_nlp(blank_nlp, scheme=project.scheme())
        return Replay(project, mode=mode, layers=("entity",), suggester=suggester).run(corpus(8))


def test_memory_saves_decisions_on_repeated_strings(tmp_path, blank_nlp):
    none, frozen, learning = (run(tmp_path, mode, blank_nlp) for mode in ("none", "frozen", "learning"))
    gold = sum(len(a.entities) for a in corpus(8))
    # Without suggestions every entity is written, plus "done" per article.
    assert sum(r.decisions for r in none) == gold + 8
    # The rules know none of these names: suggestions do not help without memory.
    assert sum(r.decisions for r in frozen) >= sum(r.decisions for r in none)
    assert sum(r.decisions for r in learning) < sum(r.decisions for r in frozen)
    first, second = halves(learning)
    assert second < halves(none)[1] * 0.7
    # Suggestion F1: nothing in the first article, near perfect once the names are known.
    assert learning[0].entity_f1 == 0.0 and learning[-1].entity_f1 > 0.9
