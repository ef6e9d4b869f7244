"""Stance suggestions on the held-out articles: the rules only, a stance model
only, and both.

The model is trained from the decisions an annotator working from the sample
corpus would have made (``replay_gold``: its gold stances accepted, the other
rule suggestions rejected), never from the held-out articles; it is then run on
tests/heldout/ukraine (the default targets) and tests/heldout/newtopic (targets
written for a new topic: the model never saw them). Prints, per set and mode,
candidate recall, label accuracy and macro-F1, and the seconds each mode took
against the rules-only run of the same set (the baseline of this run).

    python benchmarks/bench_stance.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from annotator.nlp.suggester import load_suggester  # noqa: E402
from annotator.services.evaluation import evaluate_suggester, read_gold  # noqa: E402
from annotator.services.projects import create_project, load_scheme  # noqa: E402
from annotator.services.stance_learning import replay_gold, train_from_project  # noqa: E402

SETS = {
    "in-domain (tests/heldout/ukraine)": (ROOT / "tests/heldout/ukraine/gold.jsonl", None),
    "new topic (tests/heldout/newtopic)": (ROOT / "tests/heldout/newtopic/gold.jsonl",
                                           ROOT / "tests/heldout/newtopic/targets.toml"),
}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        project = create_project(Path(tmp) / "sample.db")
        suggester = load_suggester("auto", scheme=project.scheme())
        replay_gold(project, ROOT / "sample_corpus/gold.jsonl", suggester=suggester)
        trained = train_from_project(project, save=False, use=False)
        project.close()
        print(f"stance model: {trained.train} sample-corpus decisions, replayed and trained in "
              f"{time.perf_counter() - started:.1f} s; on the stance labels of its {trained.heldout} held-out "
              f"decisions the model with the rules labels {trained.model_accuracy:.3f} right, the rules alone "
              f"{trained.rules_accuracy:.3f}")
    print(f"{'set':<36} {'mode':<11} {'recall':>7} {'acc':>7} {'mF1':>7} {'holder':>7} {'time':>7}")
    for name, (gold, targets) in SETS.items():
        scheme = load_scheme(targets=targets)
        items = read_gold(gold, scheme)
        base = None
        for mode in ("rules", "model", "both"):
            suggester = load_suggester("auto", scheme=scheme)
            if mode != "rules":
                suggester.use_stance_model(trained.model, mode)
            t0 = time.perf_counter()
            report = evaluate_suggester(suggester, items, gold_path=gold, scheme=scheme)
            seconds = time.perf_counter() - t0
            base = base or seconds
            sc = report.stance_overall
            print(f"{name:<36} {mode:<11} {sc.candidate_recall:7.3f} {sc.accuracy:7.3f} {sc.macro_f1:7.3f} "
                  f"{sc.holder_agreement:7.3f} {seconds / base:6.2f}x")


if __name__ == "__main__":
    main()
