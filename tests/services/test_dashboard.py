"""Dashboard figures from a scripted session match counts made by hand."""

from __future__ import annotations

import json
import time

import pytest

from annotator.core.model import SpanDraft
from annotator.core.text import text_hash
from annotator.services import dashboard
from annotator.services.session import AnnotationSession
from annotator.storage import open_project
from annotator.storage.project import NewDocument

TEXT_A = ("Macron said on Monday that France was not ruling out sending troops to Ukraine. "
          "NATO officials in Brussels declined to comment.")
TEXT_B = "Scholz met Biden in Berlin. Germany will keep its aid to Ukraine going, he said."
TEXT_C = "A quiet day in Warsaw."

MODEL = "en_core_web_sm 3.8.0"
RULES = "stance-rules 2"
MEMORY = "memory 1"
TROOPS = "Western troops in Ukraine"
AID = "US military aid to Ukraine"


def _at(text, word):
    start = text.index(word)
    return start, start + len(word)


def _add(project, text, title):
    ids, _ = project.add_documents([NewDocument(text=text, title=title, text_hash=text_hash(text))])
    return ids[0]


def _find(session, label, layer="entity"):
    return next(s for s in session.spans(layer) if s.label == label and s.status == "suggested")


@pytest.fixture
def scripted(project_path, blank_nlp):
    """Two annotators work through a small project in the real session service.

    By hand, from the script below:
      ana (document A): accept PERSON Macron, reject ORG NATO, relabel GPE France
      to LOC (a correction), accept the AGAINST stance, add GPE Brussels by hand,
      accept GPE Ukraine then undo it (not a decision that stands), mark A done.
      ben (document B): accept PERSON Scholz (memory), reject PERSON Biden
      (memory), accept GPE Berlin (model), mark B done.
      Document C stays new.
    """
    ana = open_project(project_path, create=True, annotator="ana")
    a = _add(ana, TEXT_A, "A")
    b = _add(ana, TEXT_B, "B")
    _add(ana, TEXT_C, "C")
    sent_a = (0, TEXT_A.index(".") + 1)
    ana.store_suggestions(a, MODEL, [
        SpanDraft(*_at(TEXT_A, "Macron"), "PERSON", origin=MODEL),
        SpanDraft(*_at(TEXT_A, "France"), "GPE", origin=MODEL),
        SpanDraft(*_at(TEXT_A, "Ukraine"), "GPE", origin=MODEL),
        SpanDraft(*_at(TEXT_A, "NATO"), "ORG", origin=MODEL),
        SpanDraft(*sent_a, "AGAINST", layer="stance", target=TROOPS, origin=RULES),
    ])
    ana.store_suggestions(b, MODEL, [
        SpanDraft(*_at(TEXT_B, "Scholz"), "PERSON", origin=MEMORY),
        SpanDraft(*_at(TEXT_B, "Biden"), "PERSON", origin=MEMORY),
        SpanDraft(*_at(TEXT_B, "Berlin"), "GPE", origin=MODEL),
    ])

    s = AnnotationSession(ana, nlp=blank_nlp)
    s.load(a)
    s.run(s.accept(_find(s, "PERSON")))
    s.run(s.reject(_find(s, "ORG")))
    france = next(x for x in s.spans("entity") if s.span_text(x) == "France")
    s.run(s.relabel("LOC", france))
    s.run(s.accept(_find(s, "AGAINST", "stance")))
    s.run(s.create(*_at(TEXT_A, "Brussels"), "entity", "GPE"))
    ukraine = next(x for x in s.spans("entity") if s.span_text(x) == "Ukraine")
    undone = s.accept(ukraine)
    s.run(undone)
    s.apply(undone.undo())
    s.run(s.set_doc_status("done"))

    ben = open_project(project_path, annotator="ben")
    t = AnnotationSession(ben, nlp=blank_nlp)
    t.load(b)
    t.run(t.accept(next(x for x in t.spans() if t.span_text(x) == "Scholz")))
    t.run(t.reject(next(x for x in t.spans() if t.span_text(x) == "Biden")))
    t.run(t.accept(next(x for x in t.spans() if t.span_text(x) == "Berlin")))
    t.run(t.set_doc_status("done"))
    ben.close()
    yield ana
    ana.close()


def test_progress_counts_done_articles_per_annotator(scripted):
    p = dashboard.progress(scripted)
    assert (p.total, p.done_any) == (3, 2)
    assert {who: rows[-1][1] for who, rows in p.cumulative.items()} == {"ana": 1, "ben": 1}
    assert p.unit == "hour"  # every mark falls within two days
    assert p.statuses["ana"]["done"] == 1 and p.statuses["ben"]["done"] == 1


def test_label_distribution_counts_accepted_spans(scripted):
    by_layer, by_target = dashboard.labels(scripted)
    # Macron (accepted), France as LOC (the correction), Brussels (by hand),
    # Scholz and Berlin (ben); Ukraine's accept was undone, NATO and Biden rejected.
    assert by_layer["entity"] == {"PERSON": 2, "LOC": 1, "GPE": 2}
    assert by_layer["stance"] == {"AGAINST": 1}
    assert by_target == {TROOPS: {"AGAINST": 1}}


def test_suggestion_quality_by_label_and_origin(scripted):
    q = dashboard.quality(scripted)
    assert q.by_origin() == {
        MODEL: {"accepted": 2, "corrected": 1, "rejected": 1},  # Macron, Berlin | France | NATO
        RULES: {"accepted": 1, "corrected": 0, "rejected": 0},
        MEMORY: {"accepted": 1, "corrected": 0, "rejected": 1},
    }
    # A correction counts against the label as suggested (GPE), not the new one.
    assert q.by_label() == {
        "entity:GPE": {"accepted": 1, "corrected": 1, "rejected": 0},
        "entity:ORG": {"accepted": 0, "corrected": 0, "rejected": 1},
        "entity:PERSON": {"accepted": 2, "corrected": 0, "rejected": 1},
        "stance:AGAINST": {"accepted": 1, "corrected": 0, "rejected": 0},
    }
    assert q.total() == 7
    over_time = q.over_time()
    assert set(over_time) == {MODEL, RULES, MEMORY}
    assert sum(sum(c.values()) for _, c in over_time[MODEL]) == 4


def test_speed_counts_each_decision_once(scripted):
    by_who = {s.annotator: s for s in dashboard.speed(scripted)}
    # ana: accept, reject, correct (one decision, two events), accept stance,
    # add by hand, accept Ukraine (undone afterwards, but it was done) = 6.
    assert by_who["ana"].decisions == 6
    assert by_who["ben"].decisions == 3
    # The first decision of each person has no gap before it.
    assert by_who["ana"].timed == 5 and by_who["ben"].timed == 2
    # The summary table the log keeps says what a pass over the log says.
    assert dashboard.speed_from_log(scripted) == dashboard.speed(scripted)


def test_speed_leaves_out_idle_gaps(project_path, blank_nlp):
    proj = open_project(project_path, create=True, annotator="cy")
    doc = _add(proj, TEXT_A, "A")
    proj.store_suggestions(doc, MODEL, [
        SpanDraft(*_at(TEXT_A, w), lab, origin=MODEL)
        for w, lab in (("Macron", "PERSON"), ("France", "GPE"), ("Ukraine", "GPE"), ("NATO", "ORG"))])
    s = AnnotationSession(proj, nlp=blank_nlp)
    s.load(doc)
    s.run(s.accept(_find(s, "PERSON")))
    s.run(s.accept(_find(s, "GPE")))
    time.sleep(0.6)  # a "break" longer than the idle gap used below
    s.run(s.accept(_find(s, "GPE")))
    s.run(s.reject(_find(s, "ORG")))
    (cy,) = dashboard.speed_from_log(proj, idle_gap=0.5, min_window=0.0)
    assert cy.decisions == 4
    assert cy.timed == 2  # the decision after the break starts afresh
    assert cy.active_minutes * 60 < 0.5
    (cy_all,) = dashboard.speed_from_log(proj, idle_gap=10.0, min_window=0.0)
    assert cy_all.timed == 3 and cy_all.active_minutes * 60 >= 0.6
    proj.close()


def test_speed_median_and_spread_over_windows(project):
    """Decision times written straight into the log (as a merged log would hold
    them): two ten-minute windows at 2 and 4 decisions a minute, a long lunch."""
    rows = []
    for i in range(11):  # 10:00:00 .. 10:05:00 every 30 s: 10 timed decisions in 5 min
        rows.append(f"2026-03-02T10:0{i * 30 // 60}:{i * 30 % 60:02d}.000Z")
    for i in range(21):  # 13:10:00 .. 13:15:00 every 15 s: 20 timed in 5 min (gap after lunch dropped)
        secs = i * 15
        rows.append(f"2026-03-02T13:1{secs // 60}:{secs % 60:02d}.000Z")
    for at in rows:
        project.conn.execute("INSERT INTO events (at, annotator, action, doc_id, span_id) VALUES (?, 'dee', "
                             "'span.accept', 1, 1)", (at,))
    project.conn.commit()
    (dee,) = dashboard.speed(project)
    assert dashboard.speed_from_log(project) == [dee]
    assert dee.decisions == 32 and dee.timed == 30
    assert dee.active_minutes == pytest.approx(10.0)
    assert dee.windows == pytest.approx([2.0, 4.0])
    assert (dee.q1, dee.median, dee.q3) == pytest.approx((2.5, 3.0, 3.5))
    assert dee.overall == pytest.approx(3.0)


def test_empty_project_has_every_figure(project):
    dash = dashboard.compute(project)
    assert dash.progress.total == 0 and dash.progress.cumulative == {}
    assert dash.speed == [] and dash.labels == {} and dash.quality.total() == 0
    assert dash.learning_curves == [] and dash.agreement is None and dash.agreement_note
    json.dumps(dash.to_dict())


def test_learning_curves_from_meta_json(scripted, tmp_path):
    models = tmp_path / "project-models"
    for version, scores in (("0.1.0", [0.2, 0.4]), ("0.2.0", [0.3, 0.5, 0.6])):
        folder = models / f"news-{version}"
        folder.mkdir(parents=True)
        curve = [{"component": "ner", "step": 100 * (i + 1), "docs_seen": 40 * (i + 1), "score": s}
                 for i, s in enumerate(scores)]
        meta = {"lang": "en", "name": "news", "version": version,
                "annotator": {"name": "news", "version": version, "components": ["ner"],
                              "trained_at": f"2026-03-0{version[2]}T10:00:00Z", "learning_curve": curve}}
        (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    (models / "not-a-model").mkdir()
    (models / "broken").mkdir()
    (models / "broken" / "meta.json").write_text("{", encoding="utf-8")
    curves = dashboard.learning_curves(scripted)
    assert [(c.model, c.component, c.points) for c in curves] == [
        ("news 0.1.0", "ner", [(40, 0.2), (80, 0.4)]),
        ("news 0.2.0", "ner", [(40, 0.3), (80, 0.5), (120, 0.6)]),
    ]


def test_json_numbers_match_the_figures(scripted):
    data = json.loads(json.dumps(dashboard.compute(scripted).to_dict()))
    assert data["quality"]["by_origin"][MODEL]["kind"] == "model"
    assert data["quality"]["by_origin"][RULES]["kind"] == "rules"
    assert data["quality"]["by_origin"][MEMORY]["kind"] == "memory"
    assert data["progress"]["done_any"] == 2
    assert data["definitions"]["idle_gap_seconds"] == dashboard.IDLE_GAP_SECONDS
    assert {s["annotator"]: s["decisions"] for s in data["speed"]} == {"ana": 6, "ben": 3}


def _drop_summaries(path):
    """Take a project back to before the summary tables existed (as a project made
    by an older version is), keeping its documents, spans and log."""
    import sqlite3

    conn = sqlite3.connect(path)
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'stats\\_%' ESCAPE '\\'")]
    for name in names:
        conn.execute(f"DROP TABLE {name}")
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                " AND (name LIKE 'stats\\_%' ESCAPE '\\' OR name LIKE 'events\\_stats\\_%' ESCAPE '\\')"
                                ).fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("DROP INDEX doc_status_done")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm004_dashboard_stats'")
    conn.commit()
    conn.close()


def test_summaries_of_an_older_project_are_filled_from_its_log(scripted, project_path):
    live = dashboard.compute(scripted)
    scripted.close()
    _drop_summaries(project_path)
    with open_project(project_path, annotator="ana") as upgraded:
        filled = dashboard.compute(upgraded)
    assert filled.speed == live.speed
    assert filled.quality.rows == live.quality.rows
    assert (filled.labels, filled.stance_targets) == (live.labels, live.stance_targets)
    assert filled.progress == live.progress


def test_outcomes_follow_undo_and_redo(project, blank_nlp):
    doc = _add(project, TEXT_A, "A")
    project.store_suggestions(doc, MODEL, [
        SpanDraft(*_at(TEXT_A, "Macron"), "PERSON", origin=MODEL),
        SpanDraft(*_at(TEXT_A, "France"), "GPE", origin=MODEL),
        SpanDraft(*_at(TEXT_A, "NATO"), "ORG", origin=MODEL)])
    s = AnnotationSession(project, nlp=blank_nlp)
    s.load(doc)

    def outcomes():
        return dashboard.quality(project).by_origin().get(MODEL, {})

    fix = s.relabel("LOC", next(x for x in s.spans() if s.span_text(x) == "France"))
    s.run(fix)
    assert outcomes() == {"accepted": 0, "corrected": 1, "rejected": 0}
    s.apply(fix.undo())
    assert outcomes() == {}
    s.apply(fix.do())
    assert outcomes() == {"accepted": 0, "corrected": 1, "rejected": 0}
    # Accepted as suggested, then resized in place: no longer "as suggested".
    macron = next(x for x in s.spans() if s.span_text(x) == "Macron")
    s.run(s.accept(macron))
    assert outcomes()["accepted"] == 1
    s.run(s.resize("end", 1, s.span(macron.id)))
    assert outcomes() == {"accepted": 0, "corrected": 2, "rejected": 0}
    # Accepted, then deleted: rejected in the end.
    nato = next(x for x in s.spans() if s.span_text(x) == "NATO")
    s.run(s.accept(nato))
    s.run(s.reject(s.span(nato.id)))
    assert outcomes() == {"accepted": 0, "corrected": 2, "rejected": 1}
    by_layer, _ = dashboard.labels(project)
    assert by_layer == {"entity": {"LOC": 1, "PERSON": 1}}


def test_summaries_agree_with_full_scans_on_a_generated_history(project):
    from annotator.services.synthetic import generate_activity

    counts = generate_activity(project, articles=600, annotators=3)
    assert counts["documents"] == 600 and counts["events"] > 1000
    assert dashboard.speed(project) == dashboard.speed_from_log(project)
    by_layer, _ = dashboard.labels(project)
    direct: dict[str, dict[str, int]] = {}
    for layer, label, n in project.conn.execute(
            "SELECT layer, label, count(*) FROM spans WHERE status = 'accepted' GROUP BY layer, label"):
        direct.setdefault(layer, {})[label] = n
    assert by_layer == direct
    decided = project.conn.execute(
        "SELECT count(*) FROM spans WHERE origin != 'human' AND status != 'suggested'").fetchone()[0]
    assert dashboard.quality(project).total() == decided
    done = project.conn.execute("SELECT count(*) FROM doc_status WHERE status = 'done'").fetchone()[0]
    assert sum(rows[-1][1] for rows in dashboard.progress(project).cumulative.values()) == done


def test_agreement_per_label_on_articles_two_annotators_finished(project):
    from tests.services.team_data import AID, TROOPS, add_doc, annotate

    doc = add_doc(project)
    annotate(project, doc, "ana", [("Paris", "GPE"), ("Macron", "PERSON"), ("Berlin", "ORG")],
             [(0, TROOPS, "FAVOR"), (2, AID, "NEUTRAL")])
    annotate(project, doc, "ben", [("Paris", "GPE"), ("Macron on", "PERSON"), ("Berlin", "GPE")],
             [(0, TROOPS, "FAVOR"), (3, AID, "AGAINST")])
    dash = dashboard.compute(project)
    rows = {(r["layer"], r["label"]): r for r in dash.agreement}
    # By hand: GPE exact matches Paris only, 2*1 / (1 + 2); PERSON none exact,
    # "Macron"/"Macron on" overlap, 2*1 / (1 + 1); ORG none; FAVOR both, 2*1 / (1 + 1).
    assert rows[("entity", "GPE")]["f1_exact"] == pytest.approx(2 / 3)
    assert rows[("entity", "PERSON")]["f1_exact"] == 0
    assert rows[("entity", "PERSON")]["f1_overlap"] == pytest.approx(1.0)
    assert rows[("entity", "ORG")]["f1_exact"] == 0
    assert rows[("stance", "FAVOR")]["f1_exact"] == pytest.approx(1.0)
    assert rows[("entity", "GPE")]["support"] == 3
    assert dashboard.compute(project, with_agreement=False).agreement is None
