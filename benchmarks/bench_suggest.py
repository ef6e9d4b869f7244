"""Throughput of ``annotator suggest`` against raw ``nlp.pipe`` of the same pipeline.

Both run in this process on the same texts (the sample corpus, repeated until
there are enough documents to time), one after the other, with the pipeline
already loaded: the baseline is ``spacy.load(name).pipe`` over the texts; the
measured run is :func:`annotator.services.suggesting.suggest_project` on a fresh
project file, end to end: reading the documents, our components, entity and stance
rules, and one committed transaction per document. The figure that matters is the
ratio (target: at least 0.9).

Run: ``python benchmarks/bench_suggest.py [--model NAME] [--docs N] [--repeat R]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from annotator.core.assets import sample_corpus_dir
from annotator.core.text import text_hash
from annotator.nlp.pipelines import RULES, resolve
from annotator.services.suggesting import project_suggester, suggest_project
from annotator.storage import NewDocument, open_project


def corpus(n_docs: int) -> list[str]:
    base = [p.read_text(encoding="utf-8") for p in sorted((sample_corpus_dir() / "articles").glob("*.txt"))]
    if not base:
        sys.exit("the sample corpus has no articles")
    # Texts must differ (the project de-duplicates by hash): number each copy.
    return [f"{base[i % len(base)]}\n(copy {i})" for i in range(n_docs)]


def raw_pipe(name: str, texts: list[str], batch_size: int) -> tuple[float, int]:
    import spacy

    nlp = spacy.blank("en") if name == RULES else spacy.load(name)
    if name == RULES:
        nlp.add_pipe("sentencizer")
    list(nlp.pipe(texts[:8]))  # warm up
    start = time.perf_counter()
    tokens = sum(len(doc) for doc in nlp.pipe(texts, batch_size=batch_size))
    return time.perf_counter() - start, tokens


def annotator_suggest(model: str, texts: list[str], batch_size: int, folder: Path, run: int) -> tuple[float, int, str]:
    path = folder / f"bench-{run}.db"
    with open_project(path, create=True, annotator="bench") as project:
        project.add_documents(NewDocument(text=t, title=f"doc {i}", text_hash=text_hash(t))
                              for i, t in enumerate(texts))
        suggester = project_suggester(project, model=model)
        list(suggester.suggest(texts[:8]))  # warm up, like the baseline
        start = time.perf_counter()
        summary = suggest_project(project, suggester=suggester, batch_size=batch_size)
        seconds = time.perf_counter() - start
        assert summary.documents == len(texts)
        return seconds, summary.tokens, suggester.describe()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="auto", help="pipeline: auto, rules, a package or a folder")
    parser.add_argument("--docs", type=int, default=240, help="documents per run")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is kept")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args(argv)
    name = resolve(args.model)
    texts = corpus(args.docs)
    raw_best = ours_best = float("inf")
    raw_tokens = our_tokens = 0
    description = ""
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.repeat):
            # Alternate the two so that machine load hits both alike.
            seconds, raw_tokens = raw_pipe(name, texts, args.batch_size)
            raw_best = min(raw_best, seconds)
            seconds, our_tokens, description = annotator_suggest(args.model, texts, args.batch_size, Path(tmp), run)
            ours_best = min(ours_best, seconds)
    n = len(texts)
    print(f"pipeline: {name}; suggester: {description}")
    print(f"documents: {n}, best of {args.repeat} runs each")
    print(f"raw nlp.pipe:       {n / raw_best:8.1f} docs/s  {raw_tokens / raw_best:10.0f} tokens/s")
    print(f"annotator suggest:  {n / ours_best:8.1f} docs/s  {our_tokens / ours_best:10.0f} tokens/s"
          "  (incl. our components, rules and database writes)")
    ratio = raw_best / ours_best
    print(f"ratio (annotator suggest / raw nlp.pipe): {ratio:.2f}  (target >= 0.90)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
