"""Scale-out: the same generated articles suggested by one process, by spaCy's
``n_process`` (``--workers 2``) and by a Dask LocalCluster (``--engine dask --local 2``).

Each engine starts from a copy of the same fresh project and suggests every
document end to end (reading, the pipeline, our rules, storing). The baseline is
the single-process run in the same invocation; the figures are docs/s and the
ratio to it (target on a 2-core machine: >= 1.7 for both parallel engines), plus
the share of the run the single writer spent storing results, which must stay
small for the writer not to be the bottleneck.

Pipeline load and cluster start are outside the timed part (they happen once per
run, whatever the corpus size); the corpus reaches each engine cold.

Run: ``python benchmarks/bench_scale.py [--docs 2000] [--model auto] [--workers 2]``
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from annotator.core.text import text_hash
from annotator.nlp.pipelines import resolve
from annotator.services import distributed
from annotator.services.suggesting import project_suggester, suggest_project
from annotator.storage import NewDocument, open_project

PEOPLE = ["Olaf Scholz", "Emmanuel Macron", "Kaja Kallas", "Mark Rutte", "Volodymyr Zelensky", "Donald Tusk",
          "Giorgia Meloni", "Pedro Sanchez", "Ursula von der Leyen", "Antonio Guterres"]
PLACES = ["Berlin", "Paris", "Tallinn", "The Hague", "Kyiv", "Warsaw", "Rome", "Madrid", "Brussels", "Geneva"]
ORGS = ["NATO", "the European Union", "the United Nations", "the Bundestag", "the Kremlin", "the IMF"]
VERBS = ["said", "warned", "argued", "told reporters", "insisted", "added"]
CLAIMS = [
    "sending Western troops to Ukraine would be a dangerous mistake",
    "more US military aid to Ukraine is essential for European security",
    "long-range strikes into Russia should not be ruled out",
    "Ukraine's future lies in NATO and the door must stay open",
    "new sanctions on Russia are overdue and must be enforced",
    "the talks on Tuesday had been constructive but no date was agreed",
]


def article(i: int, sentences: int) -> str:
    rng = random.Random(i)
    lines = [f"Report {i}: {rng.choice(PEOPLE)} in {rng.choice(PLACES)}"]
    for _ in range(sentences):
        lines.append(f"{rng.choice(PEOPLE)}, speaking in {rng.choice(PLACES)} after a meeting of "
                     f"{rng.choice(ORGS)}, {rng.choice(VERBS)} that {rng.choice(CLAIMS)}.")
    return "\n".join(lines)


def make_project(path: Path, n_docs: int, sentences: int, model: str) -> None:
    with open_project(path, create=True, annotator="bench") as project:
        project.add_documents(NewDocument(text=t, title=t.split("\n")[0], text_hash=text_hash(t))
                              for t in (article(i, sentences) for i in range(n_docs)))
        project.set_setting("model", model)


def run_local(path: Path, workers: int, batch_size: int) -> tuple[float, float, int, int]:
    with open_project(path) as project:
        suggester = project_suggester(project)
        start = time.perf_counter()
        summary = suggest_project(project, suggester=suggester, workers=workers, batch_size=batch_size)
        return time.perf_counter() - start, summary.write_seconds, summary.documents, summary.tokens


def run_dask(path: Path, workers: int, batch_size: int, shard_size: int) -> tuple[float, float, int, int]:
    client = distributed.connect(local=workers)
    try:
        with open_project(path) as project:
            suggester = project_suggester(project)
            # Warm the workers' pipelines as the other engines' are warm (loaded above).
            spec, _ = distributed.suggester_spec(project, suggester, None)
            client.run(distributed.worker_suggester, spec)
            start = time.perf_counter()
            summary = distributed.suggest_project_dask(project, client=client, suggester=suggester,
                                                       batch_size=batch_size, shard_size=shard_size)
            return time.perf_counter() - start, summary.write_seconds, summary.documents, summary.tokens
    finally:
        distributed.close_client(client)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000, help="generated articles")
    parser.add_argument("--sentences", type=int, default=20, help="sentences per article (~30 tokens each)")
    parser.add_argument("--model", default="auto", help="pipeline: auto, rules, a package or a folder")
    parser.add_argument("--workers", type=int, default=2, help="processes for the parallel engines")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--shard-size", type=int, default=64)
    args = parser.parse_args(argv)
    model = resolve(args.model)
    print(f"pipeline: {model}; {args.docs} articles of {args.sentences} sentences; "
          f"{args.workers} workers; {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base.db"
        make_project(base, args.docs, args.sentences, model)
        runs = {}
        for name in ("single process", f"--workers {args.workers}", f"dask --local {args.workers}"):
            path = Path(tmp) / f"{len(runs)}.db"
            shutil.copyfile(base, path)
            if name == "single process":
                runs[name] = run_local(path, 1, args.batch_size)
            elif name.startswith("--workers"):
                runs[name] = run_local(path, args.workers, args.batch_size)
            else:
                runs[name] = run_dask(path, args.workers, args.batch_size, args.shard_size)
    baseline = runs["single process"][0]
    print(f"{'engine':<18} {'docs/s':>9} {'tokens/s':>10} {'ratio':>7} {'writing':>8}")
    for name, (seconds, writing, docs, tokens) in runs.items():
        assert docs == args.docs, f"{name} suggested {docs} of {args.docs} documents"
        print(f"{name:<18} {docs / seconds:9.1f} {tokens / seconds:10.0f} {baseline / seconds:7.2f} "
              f"{100 * writing / seconds:7.1f}%")
    print("ratio: docs/s against the single process in this run (target >= 1.70 on 2 cores); "
          "writing: the single writer's share of the run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
