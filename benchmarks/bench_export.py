"""Export benchmark: 10,000 annotated documents to ``.spacy``.

Run: ``.venv/bin/python benchmarks/bench_export.py [N_DOCS]``

Measures, in the same run and on the same documents:

* **export**: ``annotator.services.exporting.export(format="spacy")`` from a project
  file (reads documents and spans from SQLite, aligns and checks every span,
  resolves overlaps, writes train/dev DocBins, the config and the report);
* **baseline**: what a hand-written script does with the same texts and offsets
  already in memory, producing the same content: ``nlp.make_doc``, ``char_span``
  for each span, ``doc.ents``, ``doc.spans["sc"]`` and ``doc.spans["stance"]``, one
  ``DocBin`` written to disk (each span group costs spaCy a msgpack call per doc,
  so both sides write the same groups).

Prints both times (best of a few repeats) and the ratio baseline / export
(1.0 = as fast as the bare baseline; the target is at least 0.7).
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET = 0.7
REPEATS = 3
NAMES = ["Ana Ruiz", "Tomas Berg", "Lena Okafor", "Piotr Wala", "Mira Santos", "Jonas Keller", "Irena Novak"]
PLACES = ["Port Elmsworth", "Valdora", "Kestrel Bay", "Marrowfield", "Lindholm"]
ORGS = ["the Tidewater Union", "the Northern Council", "Meridian Bank", "the Coastal Alliance"]
TARGETS = ["Sanctions on Russia", "Ukraine joining NATO", "US military aid to Ukraine"]


def make_corpus(n: int, seed: int = 1) -> list[tuple[str, list[tuple[int, int, str]], list[tuple[int, int, str, str]]]]:
    """Articles of a few sentences with entity and stance offsets known by construction."""
    rng = random.Random(seed)
    corpus = []
    for i in range(n):
        parts: list[str] = []
        ents: list[tuple[int, int, str]] = []
        stances: list[tuple[int, int, str, str]] = []
        pos = 0

        def add(text: str, label: str | None = None, parts=parts, ents=ents) -> None:
            nonlocal pos
            if label:
                ents.append((pos, pos + len(text), label))
            parts.append(text)
            pos += len(text)

        add(f"Report {i}: ")
        for _ in range(rng.randint(3, 6)):
            start = pos
            add(rng.choice(NAMES), "PERSON")
            add(" met officials from ")
            add(rng.choice(ORGS), "ORG")
            add(" in ")
            add(rng.choice(PLACES), "GPE")
            add(rng.choice([" and said the plan was sound.", " and rejected the plan outright.",
                            " to discuss the proposal."]))
            if rng.random() < 0.5:
                stances.append((start, pos, rng.choice(["FAVOR", "AGAINST", "NEUTRAL"]), rng.choice(TARGETS)))
            add(" ")
        corpus.append(("".join(parts).strip(), ents, stances))
    return corpus


def build_project(path: Path, corpus) -> None:
    from annotator.core.model import SpanDraft
    from annotator.core.text import text_hash
    from annotator.storage import open_project
    from annotator.storage.project import NewDocument

    with open_project(path, create=True, annotator="bench") as project:
        project.set_setting("model", "rules")
        docs = [NewDocument(text=text, title=text[:30], text_hash=text_hash(text), status="done",
                            spans=[SpanDraft(s, e, lab, "entity") for s, e, lab in ents]
                            + [SpanDraft(s, e, lab, "stance", target=t) for s, e, lab, t in stances])
                for text, ents, stances in corpus]
        project.add_documents(docs)


def baseline(corpus, out: Path) -> float:
    import spacy
    from spacy.tokens import DocBin

    start = time.perf_counter()
    nlp = spacy.blank("en")
    docbin = DocBin()
    for text, ents, stances in corpus:
        doc = nlp.make_doc(text)
        doc.ents = [doc.char_span(s, e, label=lab) for s, e, lab in ents]
        doc.spans["sc"] = list(doc.ents)
        doc.spans["stance"] = [doc.char_span(s, e, label=lab, kb_id=t) for s, e, lab, t in stances]
        docbin.add(doc)
    docbin.to_disk(out / "baseline.spacy")
    return time.perf_counter() - start


def exported(db: Path, out: Path) -> float:
    from annotator.services import exporting
    from annotator.storage import open_project

    start = time.perf_counter()
    with open_project(db) as project:
        summary = exporting.export(project, format="spacy", out=out)
    elapsed = time.perf_counter() - start
    assert not summary.not_aligned, summary.not_aligned[:3]
    return elapsed


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    import spacy  # noqa: F401  (imported once, outside both timings)

    corpus = make_corpus(n)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        db = tmp_path / "bench.db"
        build_project(db, corpus)
        base_times, export_times = [], []
        for i in range(REPEATS):
            base_times.append(baseline(corpus, tmp_path))
            export_times.append(exported(db, tmp_path / f"out{i}"))
    base, exp = min(base_times), min(export_times)
    ratio = base / exp
    print(f"documents:                    {n}")
    print(f"baseline (make_doc + DocBin): {base:.2f} s")
    print(f"annotator export --format spacy: {exp:.2f} s")
    print(f"ratio baseline/export: {ratio:.2f} (target >= {TARGET}) {'OK' if ratio >= TARGET else 'BELOW TARGET'}")


if __name__ == "__main__":
    main()
