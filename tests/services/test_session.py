"""The Qt-free annotation session: snapping, focus and every decision with undo."""

from __future__ import annotations

import pytest

from annotator.core.model import SpanDraft
from annotator.core.text import text_hash
from annotator.services.session import AnnotationSession, TokenIndex
from annotator.storage.project import NewDocument

TEXT = ("Macron said on Monday that France was not ruling out sending troops to Ukraine. "
        "Trump disagreed in Washington.")


def _add_doc(project, text=TEXT, title="Troops"):
    ids, _ = project.add_documents([NewDocument(text=text, title=title, text_hash=text_hash(text))])
    return ids[0]


def _at(text, word, nth=0):
    start = -1
    for _ in range(nth + 1):
        start = text.index(word, start + 1)
    return start, start + len(word)


@pytest.fixture
def session(project, blank_nlp):
    doc_id = _add_doc(project)
    m, f, u = _at(TEXT, "Macron"), _at(TEXT, "France"), _at(TEXT, "Ukraine")
    sent = (0, TEXT.index(".") + 1)
    project.store_suggestions(doc_id, "test-suggester", [
        SpanDraft(*m, "PERSON", score=0.9),
        SpanDraft(*f, "GPE", score=0.8),
        SpanDraft(*u, "GPE"),
        SpanDraft(*sent, "FAVOR", layer="stance", target="Western troops in Ukraine", holder=m,
                  cue="not ruling out", score=0.7),
    ])
    s = AnnotationSession(project, nlp=blank_nlp)
    s.load(doc_id)
    return s


def _row(project, span_id):
    return project.conn.execute('SELECT status, label, start, "end", origin FROM spans WHERE id=?',
                                (span_id,)).fetchone()


def test_tokens_snap_and_step(blank_nlp):
    idx = TokenIndex("Jean-Noël Barrot's visit, 🎉 today.", blank_nlp)
    text = "Jean-Noël Barrot's visit, 🎉 today."
    b = text.index("Barrot")
    # A selection cutting into a token widens to the whole token.
    assert idx.snap(b + 2, b + 4) == (b, b + 6)
    # Selections of whitespace only hold no token.
    sp = text.index(" visit")
    assert idx.snap(sp, sp + 1) is None
    v = text.index("visit")
    assert idx.step_start(v, v + 5, -1) == text.index("'s")
    assert idx.step_end(b, b + 6, 1) == text.index("'s") + 2
    assert idx.step_start(v, v + 5, 1) is None  # would leave no token


def test_suggestions_visible_on_load(session):
    labels = [(s.layer, s.label, s.status) for s in session.spans()]
    assert ("entity", "PERSON", "suggested") in labels
    assert ("stance", "FAVOR", "suggested") in labels
    stance = session.spans("stance")[0]
    assert stance.holder_span_id == session.spans("entity")[0].id


def test_accept_then_undo_redo(session, project):
    macron = session.spans("entity")[0]
    cmd = session.accept(macron)
    assert cmd.label == "Accept PERSON 'Macron'"
    change = session.run(cmd)
    assert _row(project, macron.id)[0] == "accepted"
    assert change.ranges == [(macron.start, macron.end)]
    session.apply(cmd.undo())
    assert _row(project, macron.id)[0] == "suggested"
    session.apply(cmd.do())
    assert session.span(macron.id).status == "accepted"
    assert project.conn.execute("SELECT count(*) FROM events WHERE span_id=?", (macron.id,)).fetchone()[0] == 3


def test_reject_moves_focus_to_next_suggestion(session, project):
    first = session.focus_step(1)
    cmd = session.reject()
    assert cmd.label.startswith("Reject suggestion")
    session.run(cmd)
    assert _row(project, first.id)[0] == "rejected"
    assert session.span(first.id) is None
    assert session.focused is not None and session.focused.status == "suggested"


def test_relabel_suggestion_writes_human_span(session, project):
    france = next(s for s in session.spans("entity") if s.label == "GPE")
    cmd = session.relabel("ORG", france)
    assert cmd.label == "Relabel to ORG"
    change = session.run(cmd)
    new_id = change.focus
    assert _row(project, france.id)[0] == "rejected"
    assert _row(project, new_id) == ("accepted", "ORG", france.start, france.end, "human")
    session.apply(cmd.undo())
    assert _row(project, france.id)[0] == "suggested"
    assert project.conn.execute("SELECT count(*) FROM spans WHERE id=?", (new_id,)).fetchone()[0] == 0
    session.apply(cmd.do())
    assert _row(project, new_id)[1] == "ORG"  # redo keeps the id


def test_correcting_a_suggested_holder_moves_the_stance_link(session, project):
    macron = session.spans("entity")[0]
    stance = session.spans("stance")[0]
    cmd = session.resize("end", 1, macron)
    assert cmd.label == "Grow span"
    new_id = session.run(cmd).focus
    assert project.span(stance.id).holder_span_id == new_id
    session.apply(cmd.undo())
    assert project.span(stance.id).holder_span_id == macron.id


def test_correct_accepted_span_in_place(session, project):
    macron = session.spans("entity")[0]
    session.run(session.accept(macron))
    cmd = session.resize("end", 1, session.span(macron.id))
    session.run(cmd)
    assert _row(project, macron.id)[3] == _at(TEXT, "said")[1]
    session.apply(cmd.undo())
    assert _row(project, macron.id)[3] == macron.end
    shrink = session.resize("start", 1, session.span(macron.id))
    assert shrink is None  # a one-token span cannot lose its only token


def test_create_snaps_and_accepts_duplicate_suggestion(session, project):
    w = _at(TEXT, "Washington")
    cmd = session.create(w[0] + 2, w[1] - 3, "entity", "GPE")
    assert cmd.label == "Add GPE 'Washington'"
    new_id = session.run(cmd).focus
    assert _row(project, new_id) == ("accepted", "GPE", w[0], w[1], "human")
    session.apply(cmd.undo())
    assert project.conn.execute("SELECT count(*) FROM spans WHERE id=?", (new_id,)).fetchone()[0] == 0
    u = _at(TEXT, "Ukraine")
    again = session.create(*u, "entity", "GPE")
    assert again.label == "Accept GPE 'Ukraine'"


def test_stance_of_sentence_with_guessed_target(session, project):
    pos = TEXT.index("Trump") + 2
    sent = session.sentence_at(pos)
    assert TEXT[sent[0]:sent[1]] == "Trump disagreed in Washington."
    cmd = session.create(*sent, "stance", "AGAINST")
    span_id = session.run(cmd).focus
    assert project.span(span_id).layer == "stance"
    cmd = session.set_target("US military aid to Ukraine")
    session.run(cmd)
    assert project.span(span_id).target == "US military aid to Ukraine"


def test_link_suggested_holder_accepts_it(session, project):
    trump = project.add_span(session.doc_id, __import__("annotator.core.model", fromlist=["Span"]).Span(
        *_at(TEXT, "Trump"), "PERSON", status="suggested", origin="test-suggester"))
    session.reload_spans()
    stance = session.focus(session.spans("stance")[0].id)
    candidates = session.holder_candidates()
    assert candidates[0].label == "PERSON"
    names = [session.span_text(c) for c in candidates]
    assert "Trump" in names and len(names) == len(set(names))
    assert {c.label for c in candidates} <= {"PERSON", "ORG", "GPE", "NORP"}
    cmd = session.link_holder(session.span(trump.id))
    session.run(cmd)
    assert project.span(stance.id).holder_span_id == trump.id
    assert project.span(trump.id).status == "accepted"
    assert project.span(stance.id).status == "accepted"
    session.apply(cmd.undo())
    assert project.span(trump.id).status == "suggested"
    assert project.span(stance.id).holder_span_id == stance.holder_span_id
    assert project.span(stance.id).status == "suggested"


def test_accept_all_and_mark_done(session, project):
    cmd = session.accept_all()
    assert cmd.label == "Accept all 4 suggestions"
    session.run(cmd)
    assert project.conn.execute("SELECT count(*) FROM spans WHERE status='suggested'").fetchone()[0] == 0
    done = session.set_doc_status("done")
    session.run(done)
    assert project.doc_status(session.doc_id) == "done"
    session.apply(done.undo())
    assert project.doc_status(session.doc_id) == "in_progress"
    session.apply(cmd.undo())
    assert project.conn.execute("SELECT count(*) FROM spans WHERE status='suggested'").fetchone()[0] == 4


def test_char_mode_keeps_partial_selection(project, blank_nlp):
    doc_id = _add_doc(project)
    s = AnnotationSession(project, char_mode=True, nlp=blank_nlp)
    s.load(doc_id)
    assert s.snap(1, 4) == (1, 4)
    assert s.snap(6, 7) is None  # only a space


ARTICLE = ("Allies split over a peacekeeping force\n"
           "Speaking in Oslo on Friday, the minister said the peacekeepers would need a clear mandate.\n"
           "\"We have said what we will do,\" she said. The Pentagon announced a new assistance package.\n")


def test_guess_target_matches_words_not_substrings(project, blank_nlp):
    """'said' holds 'aid' and a reported-speech sentence is not about military aid;
    a keyword's trailing '*' is a prefix, not a literal star."""
    doc_id = _add_doc(project, text=ARTICLE, title="Allies split")
    s = AnnotationSession(project, nlp=blank_nlp)
    s.load(doc_id)
    quote = ARTICLE.index('"We have')
    assert s.named_target(quote, ARTICLE.index(" The Pentagon")) is None
    second = ARTICLE.index("Speaking")
    assert s.named_target(second, ARTICLE.index("\n", second)) == "Western troops in Ukraine"  # peacekeep*
    pentagon = ARTICLE.index("The Pentagon")
    assert s.named_target(pentagon, len(ARTICLE)) == "US military aid to Ukraine"  # assistance
    assert s.named_target(0, ARTICLE.index("\n")) == "Western troops in Ukraine"  # the headline
    # A new stance on a passage naming no target takes the headline's (no stances yet).
    assert s.guess_target(quote, ARTICLE.index(" The Pentagon")) == "Western troops in Ukraine"


def test_relabel_accepted_model_span_records_a_human_origin(session, project):
    macron = session.spans("entity")[0]
    session.run(session.accept(macron))
    assert _row(project, macron.id)[4] == "test-suggester"
    cmd = session.relabel("ORG", session.span(macron.id))
    session.run(cmd)
    assert _row(project, macron.id)[1::3] == ("ORG", "human")
    assert project.span(macron.id).annotator == "tester"
    session.apply(cmd.undo())
    assert _row(project, macron.id)[1::3] == ("PERSON", "test-suggester")


def test_each_decision_names_the_span_it_is_about(session):
    """Undo of a decision that never reached the project focuses its span again."""
    france = next(s for s in session.spans() if session.span_text(s) == "France")
    assert session.accept(france).subject == france.id
    assert session.relabel("LOC", france).subject == france.id
    stance = next(s for s in session.spans() if s.layer == "stance")
    assert session.link_holder(None, stance).subject == stance.id  # its suggested holder taken off
    assert session.accept_all().subject is None  # several spans: none in particular
