"""How much annotation time suggestions save, and how much learning adds: a
simulated annotator replays gold corpora article by article through the session
service the window uses (``tests/services/replay.py``: fix or reject wrong
suggestions, write what is missing, accept the rest at once, mark done).

Three runs per corpus, each on a fresh project:

* ``none``: no suggestions at all (every gold span is written by hand);
* ``frozen``: the project's model as installed, no decision memory, no retraining;
* ``learning``: decision memory on, and background retraining as the window does it
  (after every ``--retrain-every`` finished articles, kept only when it beats the
  model in use on held-out articles).

Corpora: the sample corpus's gold articles (entities and stances; the stance rules
and the gazetteer were written with these articles in view, so its figures are
in-sample), and a CoNLL-2003-style file of news briefs this benchmark generates
(entities only: IOB2 tags, read back through the project's CoNLL reader) whose
people, companies and places are invented, repeat with a skewed frequency, and
are therefore unknown to any shipped model or gazetteer.

Printed per article: decisions needed by each run and the suggestion F1 (exact
offsets and label; stances also need the target) of ``frozen`` and ``learning``;
then totals and the second half of each corpus, where learning has had time to pay
off. The goal on the sample corpus: the second half needs at least 30% fewer
decisions than with no suggestions, and fewer than with the frozen model.

Run: ``python benchmarks/bench_learning.py [--model auto] [--generated 40]
[--retrain-every 10] [--retrain-steps 200]``
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotator.core.assets import sample_corpus_dir  # noqa: E402
from annotator.services.retraining import EVERY_SETTING, retrain, retraining_due  # noqa: E402
from annotator.storage import open_project  # noqa: E402
from tests.services.replay import Replay, halves, read_gold  # noqa: E402

MODES = ("none", "frozen", "learning")

PEOPLE = ["Ilse Brandvold", "Tomas Ekerot", "Maren Solheid", "Piet Vandamme", "Jorunn Aske",
          "Karel Mostert", "Ines Fabregat", "Oskar Lindqvist"]
ORGS = ["Varnholt Shipping", "Lund Marine", "Estrel Bank", "Kova Energy", "Northmere Rail"]
PLACES = ["Kessimar", "Ostrava", "Rovenna", "Tallinn", "Brakel", "Ghent"]
VERBS = ["said", "told reporters", "warned", "confirmed", "announced"]
TOPICS = ["the merger talks would resume", "prices would rise again", "the port stayed closed",
          "the contract was signed", "no decision had been taken"]


def _zipf(rng: random.Random, items: list[str]) -> str:
    weights = [1 / (rank + 1) for rank in range(len(items))]
    return rng.choices(items, weights=weights)[0]


def _tokens(text: str) -> list[str]:
    out = []
    for word in text.split():
        tail = []
        while word and word[-1] in ".,":
            tail.insert(0, word[-1])
            word = word[:-1]
        if word:
            out.append(word)
        out += tail
    return out


def write_conll(path: Path, n: int, *, seed: int = 11) -> Path:
    """``n`` generated briefs in CoNLL-2003 columns (token, POS, chunk, IOB2 tag)."""
    rng = random.Random(seed)
    lines = []
    for i in range(n):
        lines += ["-DOCSTART- -X- -X- O", ""]
        for _ in range(rng.randint(3, 6)):
            pieces: list[tuple[str, str | None]] = [
                (_zipf(rng, PEOPLE), "PERSON"), (" of ", None), (_zipf(rng, ORGS), "ORG"),
                (f" {rng.choice(VERBS)} in ", None), (_zipf(rng, PLACES), "GPE"),
                (f" on day {i} that {rng.choice(TOPICS)} .", None)]
            for text, label in pieces:
                for k, token in enumerate(_tokens(text)):
                    tag = "O" if label is None else ("B-" if k == 0 else "I-") + label
                    lines.append(f"{token} X O {tag}")
            lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_corpus(name: str, gold_path: Path, *, layers: tuple[str, ...], model: str, retrain_every: int,
               retrain_steps: int, folder: Path) -> dict[str, list]:
    results: dict[str, list] = {}
    for mode in MODES:
        started = time.perf_counter()
        with open_project(folder / f"{name}-{mode}.db", create=True, annotator="simulated") as project:
            project.set_setting("model", model)
            project.set_setting(EVERY_SETTING, retrain_every)
            articles = read_gold(gold_path, scheme=project.scheme())

            def retrain_when_due(project) -> tuple[bool, str]:
                if not retraining_due(project):
                    return False, ""
                outcome = retrain(project, max_steps=retrain_steps)
                return outcome.switched, ("switched" if outcome.switched else "kept") + (
                    f" (held-out entity F1 {outcome.candidate_scores['entities_f1']:.2f}"
                    f" vs {outcome.current_scores['entities_f1']:.2f})")

            replay = Replay(project, mode=mode, layers=layers, retrain=retrain_when_due)
            results[mode] = replay.run(articles)
        print(f"  {name}/{mode}: {len(articles)} articles in {time.perf_counter() - started:.0f} s",
              file=sys.stderr)
    return results


def _f1(value: float | None) -> str:
    return "   –" if value is None else f"{value:.2f}"


def report(name: str, results: dict[str, list], layers: tuple[str, ...]) -> dict[str, float]:
    print(f"\n## {name}\n")
    head = "article | decisions none | frozen | learning | entity F1 frozen | learning"
    if "stance" in layers:
        head += " | stance F1 frozen | learning"
    print(head + " | retraining")
    for rows in zip(*(results[m] for m in MODES)):
        none, frozen, learning = rows
        line = (f"{none.index:7d} | {none.decisions:14d} | {frozen.decisions:6d} | {learning.decisions:8d} | "
                f"{_f1(frozen.entity_f1):>16} | {_f1(learning.entity_f1):>8}")
        if "stance" in layers:
            line += f" | {_f1(frozen.stance_f1):>16} | {_f1(learning.stance_f1):>8}"
        print(line + f" | {learning.retrained}")
    totals = {m: sum(r.decisions for r in results[m]) for m in MODES}
    second = {m: halves(results[m])[1] for m in MODES}
    print(f"\ntotal decisions: none {totals['none']}, frozen {totals['frozen']}, learning {totals['learning']}")
    print(f"second half:     none {second['none']}, frozen {second['frozen']}, learning {second['learning']}")
    saved_none = 1 - second["learning"] / second["none"] if second["none"] else 0.0
    saved_frozen = 1 - second["learning"] / second["frozen"] if second["frozen"] else 0.0
    print(f"second half, learning vs none: {saved_none:.0%} fewer decisions; vs frozen: {saved_frozen:.0%} fewer")
    return {"saved_vs_none": saved_none, "saved_vs_frozen": saved_frozen}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="auto", help="the model setting of the projects (default: auto)")
    parser.add_argument("--generated", type=int, default=40, help="generated CoNLL-style articles (0: none)")
    parser.add_argument("--retrain-every", type=int, default=10, help="finished articles between retrainings")
    parser.add_argument("--retrain-steps", type=int, default=200, help="training steps of one retraining")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-learning-") as tmp:
        folder = Path(tmp)
        sample = run_corpus("sample corpus (in-sample)", sample_corpus_dir() / "gold.jsonl",
                            layers=("entity", "stance"), model=args.model, retrain_every=args.retrain_every,
                            retrain_steps=args.retrain_steps, folder=folder)
        goal = report("sample corpus (in-sample: the rules were written with it in view)", sample,
                      ("entity", "stance"))
        if args.generated:
            conll = write_conll(folder / "briefs.conll", args.generated)
            generated = run_corpus("generated CoNLL briefs", conll, layers=("entity",), model=args.model,
                                   retrain_every=args.retrain_every, retrain_steps=args.retrain_steps,
                                   folder=folder)
            report(f"generated CoNLL-2003-style briefs ({args.generated}, invented names)", generated,
                   ("entity",))
    met = goal["saved_vs_none"] >= 0.30 and goal["saved_vs_frozen"] > 0
    print(f"\nsample corpus goal (second half >= 30% fewer than none, fewer than frozen): "
          f"{'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
