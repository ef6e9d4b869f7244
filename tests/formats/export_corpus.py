"""Generated news-like articles with entity and stance annotations, for export tests.

Articles are assembled from sentence templates with varied (fictional) names, so
offsets are known by construction. ``spacy debug data`` wants at least 100
training documents; :func:`articles` makes as many as asked.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

PEOPLE = ["Ana Ruiz", "Tomas Berg", "Lena Okafor", "Piotr Wala", "Mira Santos", "Jonas Keller", "Irena Novak",
          "Samuel Adeyemi", "Clara Holm", "Viktor Dane", "Helga Ström", "Rafael Ortiz", "Nadia Petrenko",
          "Owen Marsh", "Yuki Tanabe", "Eliska Vrba"]
ORGS = ["the Tidewater Union", "the Northern Council", "Harbor Freight Ltd", "the Baltic Forum", "the Atlas Institute",
        "the Granite Party", "Meridian Bank", "the Coastal Alliance"]
PLACES = ["Port Elmsworth", "Valdora", "Kestrel Bay", "Marrowfield", "Ostrava", "Lindholm", "Caravel", "Brenmoor"]
DATES = ["Monday", "17 November", "last week", "in February", "on Thursday", "two years ago"]
TARGETS = ["Western troops in Ukraine", "US military aid to Ukraine", "Long-range strikes into Russia",
           "Ukraine joining NATO", "Sanctions on Russia"]
TOPIC = {
    "Western troops in Ukraine": "sending Western troops to Ukraine",
    "US military aid to Ukraine": "more US military aid for Ukraine",
    "Long-range strikes into Russia": "long-range strikes into Russia",
    "Ukraine joining NATO": "NATO membership for Ukraine",
    "Sanctions on Russia": "new sanctions on Russia",
}
STANCE_TEMPLATES = {
    "FAVOR": ['{p} said: "We fully support {t}."', "{p} argued that {t} was the right step."],
    "AGAINST": ['{p} warned: "We will never accept {t}."', "{p} rejected {t} outright."],
    "NEUTRAL": ["{p} said the council would discuss {t} later.", '{p} said: "{T} is on the agenda."'],
}


@dataclass
class Article:
    title: str
    text: str
    entities: list[tuple[int, int, str]] = field(default_factory=list)
    #: (start, end, label, target, holder (start, end) or None)
    stances: list[tuple[int, int, str, str, tuple[int, int] | None]] = field(default_factory=list)


class _Builder:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.entities: list[tuple[int, int, str]] = []

    def add(self, text: str, label: str | None = None) -> tuple[int, int]:
        start = self.length
        self.parts.append(text)
        self.length += len(text)
        if label:
            self.entities.append((start, self.length, label))
        return start, self.length

    def text(self) -> str:
        return "".join(self.parts)


def _fill(b: _Builder, template: str, values: dict[str, tuple[str, str | None]]) -> dict[str, tuple[int, int]]:
    """Append ``template`` with ``{key}`` slots replaced; returns the offsets of each slot."""
    where: dict[str, tuple[int, int]] = {}
    rest = template
    while "{" in rest:
        before, _, after = rest.partition("{")
        key, _, rest = after.partition("}")
        b.add(before)
        value, label = values[key]
        where[key] = b.add(value, label)
    b.add(rest)
    return where


def articles(n: int, *, seed: int = 7) -> list[Article]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        b = _Builder()
        person, other = rng.sample(PEOPLE, 2)
        org, place, date = rng.choice(ORGS), rng.choice(PLACES), rng.choice(DATES)
        title = f"{place} talks, report {i + 1}"
        _fill(b, "{place} talks, report {n}\n", {"place": (place, "GPE"), "n": (str(i + 1), None)})
        _fill(b, "{p} met {o} in {g} {d}. ", {"p": (person, "PERSON"), "o": (other, "PERSON"),
                                              "g": (place, "GPE"), "d": (date, "DATE")})
        _fill(b, "Officials from {org} joined the meeting.", {"org": (org, "ORG")})
        stances = []
        for _ in range(rng.randint(0, 2)):
            label = rng.choice(sorted(STANCE_TEMPLATES))
            target = rng.choice(TARGETS)
            speaker = rng.choice([person, other])
            template = rng.choice(STANCE_TEMPLATES[label])
            b.add("\n" if rng.random() < 0.3 else " ")
            start = b.length
            where = _fill(b, template, {"p": (speaker, "PERSON"), "t": (TOPIC[target], None),
                                        "T": (TOPIC[target][0].upper() + TOPIC[target][1:], None)})
            stances.append((start, b.length, label, target, where["p"]))
        b.add(" The talks continue.\n" if i % 2 else " The talks continue.")
        out.append(Article(title, b.text(), list(b.entities), stances))
    return out


def fill_project(project, arts: list[Article], *, status: str | None = "done", annotator: str | None = None) -> list[int]:
    """Store ``arts`` with their spans accepted (holders linked) and ``status``."""
    from annotator.core.model import SpanDraft
    from annotator.core.text import text_hash
    from annotator.storage.project import NewDocument

    docs = []
    for a in arts:
        drafts = [SpanDraft(s, e, label, "entity") for s, e, label in a.entities]
        drafts += [SpanDraft(s, e, label, "stance", target=t, holder=h) for s, e, label, t, h in a.stances]
        docs.append(NewDocument(text=a.text, title=a.title, text_hash=text_hash(a.text), spans=drafts,
                                status=status, annotator=annotator, meta={"source": "generated"}))
    ids, _ = project.add_documents(docs)
    return ids
