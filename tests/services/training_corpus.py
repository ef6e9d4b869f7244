"""Training data for the training tests and the benchmark: the sample corpus's gold
articles plus generated ones, imported as finished documents into a real project.

Generated articles are built sentence by sentence from templates, so every entity
and stance offset is known by construction (no annotation is guessed); a seed makes
them reproducible.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from annotator.services.importing import import_paths
from annotator.storage import Project

PEOPLE = ["Emmanuel Macron", "Olaf Scholz", "Joe Biden", "Donald Tusk", "Jens Stoltenberg", "Mark Rutte",
          "Kaja Kallas", "Antony Blinken", "Annalena Baerbock", "Rishi Sunak", "Giorgia Meloni", "Petr Fiala"]
ORGS = ["NATO", "the Pentagon", "the European Commission", "the Bundestag", "the Kremlin", "Congress",
        "the White House", "the G7"]
PLACES = ["Ukraine", "Russia", "France", "Germany", "Poland", "Kyiv", "Moscow", "Washington", "Brussels",
          "Paris", "Berlin", "Warsaw"]
NORPS = ["Ukrainian", "Russian", "French", "German", "Polish", "Western", "European", "American"]
DATES = ["on Monday", "on Tuesday", "last week", "in February", "on 26 February", "this spring"]
TARGETS = {
    "Western troops in Ukraine": ("sending troops to Ukraine", "a deployment of Western soldiers"),
    "US military aid to Ukraine": ("the aid package for Kyiv", "more American weapons for Ukraine"),
    "Long-range strikes into Russia": ("strikes deep inside Russia", "long-range missiles against Russian bases"),
    "Ukraine joining NATO": ("NATO membership for Ukraine", "an invitation to join the alliance"),
    "Sanctions on Russia": ("new sanctions on Moscow", "seizing frozen Russian assets"),
}
STANCE_VERBS = {
    "FAVOR": ["strongly supports", "called for", "backed", "argued for"],
    "AGAINST": ["firmly rejected", "warned against", "opposed", "ruled out"],
    "NEUTRAL": ["said talks would continue on", "declined to comment on", "noted the debate over"],
}


class _Writer:
    """Builds one article's text and its spans with exact offsets."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.entities: list[dict] = []
        self.stances: list[dict] = []

    def add(self, text: str, label: str | None = None) -> tuple[int, int]:
        start = self.length
        self.parts.append(text)
        self.length += len(text)
        if label is not None:
            self.entities.append({"start": start, "end": self.length, "label": label, "text": text})
        return start, self.length

    @property
    def text(self) -> str:
        return "".join(self.parts)


def generated_article(rng: random.Random, index: int) -> dict:
    """One finished article: a title line and a few paragraphs with entities and stances."""
    w = _Writer()
    person = rng.choice(PEOPLE)
    w.add(person, "PERSON")
    w.add(" visits ")
    w.add(rng.choice(PLACES), "GPE")
    w.add(f" for talks, report {index}\n")
    for _ in range(rng.randint(3, 6)):
        target, (phrase_a, phrase_b) = rng.choice(sorted(TARGETS.items()))
        label = rng.choice(sorted(STANCE_VERBS))
        start = w.length
        speaker = rng.choice(PEOPLE)
        holder = w.add(speaker, "PERSON")
        w.add(" " + rng.choice(STANCE_VERBS[label]) + " " + rng.choice((phrase_a, phrase_b)) + " ")
        w.add(rng.choice(DATES), "DATE")
        w.add(", according to officials in ")
        w.add(rng.choice(PLACES), "GPE")
        w.add(".")
        w.stances.append({"start": start, "end": w.length, "label": label, "target": target,
                          "text": w.text[start:w.length], "holder": {"start": holder[0], "end": holder[1]}})
        w.add(" ")
        w.add(rng.choice(ORGS).removeprefix("the "), "ORG")
        w.add(" and ")
        w.add(rng.choice(NORPS), "NORP")
        w.add(" diplomats met in ")
        w.add(rng.choice(PLACES), "GPE")
        w.add(" " + rng.choice(DATES) + ".\n")
    text = w.text.rstrip()
    return {"title": text.split("\n", 1)[0], "text": text, "status": "done", "annotator": "tester",
            "entities": [e for e in w.entities if e["end"] <= len(text)],
            "stances": [s for s in w.stances if s["end"] <= len(text)]}


def write_generated(path: Path, n: int, *, seed: int = 7) -> Path:
    """``n`` generated finished articles in our JSONL at ``path``."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps(generated_article(rng, i), ensure_ascii=False) + "\n")
    return path


def fill_project(project: Project, folder: Path, *, generated: int = 12, gold: Path | None = None,
                 seed: int = 7) -> int:
    """Import ``gold`` (the sample corpus's gold file) and ``generated`` articles as
    finished documents; returns the number of finished documents."""
    paths = []
    if gold is not None:
        paths.append(gold)
    if generated:
        paths.append(write_generated(folder / "generated.jsonl", generated, seed=seed))
    import_paths(project, paths)
    return len(project.done_doc_ids())
