"""Team work end to end: split a project, two annotators in two processes, merge,
agreement, review and the reviewed export."""

from __future__ import annotations

import json

import pytest

from annotator.core.errors import AnnotatorError
from annotator.core.model import ADJUDICATED
from annotator.services import agreement, exporting, teams
from annotator.services.adjudication import ReviewSession, unreviewed_doc_ids
from annotator.services.session import AnnotationSession
from annotator.storage import open_project
from tests.services.team_data import HOUSE, MACRON, build_team, copy_project


@pytest.fixture(scope="module")
def team_files(tmp_path_factory, sample_corpus_path):
    return build_team(tmp_path_factory.mktemp("team"), sample_corpus_path)


@pytest.fixture
def team(team_files, tmp_path):
    """A fresh copy of the merged team project for each test."""
    return copy_project(team_files["team"], tmp_path / "team.db")


def _decisions(project, who):
    return sorted((project.document(s.doc_id).title[:5], project.document(s.doc_id).text[s.start:s.end][:25], s.layer,
                   s.label, s.target) for d in project.done_doc_ids(annotator=who)
                  for s in project.spans(d, statuses=["accepted"]) if s.annotator == who)


def _count(project, table):
    """Rows of a table (for events: other than the merges' own log lines)."""
    where = " WHERE action != 'project.merge'" if table == "events" else ""
    return project.conn.execute(f"SELECT count(*) FROM {table}{where}").fetchone()[0]


def test_assign_gives_everyone_the_overlap_and_deals_the_rest(project, sample_corpus_path, tmp_path):
    from annotator.services.importing import import_paths

    import_paths(project, [sample_corpus_path])
    n = project.document_count()
    summary = teams.assign(project, to=["ana", "ben", "cyd"], overlap=0.25, out=tmp_path / "split")
    shared = round(n * 0.25)
    assert summary.shared == shared and summary.total == n
    sets = {}
    for who, path in summary.files.items():
        assert path.name == f"project.{who}.db"
        with open_project(path) as copy:
            sets[who] = {d.text_hash for d in copy.iter_documents()}
            assert copy.setting("team.assignment")["annotator"] == who
            assert copy.scheme().label_names("entity") == project.scheme().label_names("entity")
    common = sets["ana"] & sets["ben"] & sets["cyd"]
    assert len(common) == shared
    assert set().union(*sets.values()) == {d.text_hash for d in project.iter_documents()}
    assert sum(len(s) for s in sets.values()) == n + 2 * shared
    with pytest.raises(AnnotatorError) as err:  # never overwrites
        teams.assign(project, to=["ana"], overlap=0.25, out=tmp_path / "split")
    assert err.value.code == "E702"
    for bad, code in ((["adjudicated"], "E704"), (["a b"], "E704"), (["ana", "ana"], "E704")):
        with pytest.raises(AnnotatorError) as err:
            teams.assign(project, to=bad, overlap=0.2, out=tmp_path / "other")
        assert err.value.code == code
    assert not (tmp_path / "other").exists() or not list((tmp_path / "other").iterdir())


def test_merge_keeps_both_annotators_work_and_is_idempotent(team_files, team):
    summary = team_files["merge"]
    assert summary.conflicts == [] and summary.created
    with open_project(team_files["ana"]) as ana, open_project(team_files["ben"]) as ben, open_project(team) as merged:
        assert merged.document_count() == ana.document_count() == 12
        assert {d.text_hash for d in merged.iter_documents()} == {d.text_hash for d in ana.iter_documents()}
        # Each annotator's decisions come through unchanged, side by side.
        assert _decisions(merged, "ana") == _decisions(ana, "ana") and len(_decisions(ana, "ana")) == 5
        assert _decisions(merged, "ben") == _decisions(ben, "ben") and len(_decisions(ben, "ben")) == 7
        # ben's correction (GPE -> ORG on a span he wrote) is one human ORG span.
        paris = [s for d in merged.done_doc_ids(annotator="ben") for s in merged.spans(d, statuses=["accepted"])
                 if s.annotator == "ben" and merged.document(d).text[s.start:s.end] == "Paris"]
        assert [(s.label, s.origin) for s in paris] == [("ORG", "human")]
        # Each annotator's history of the article is in the team file, once.
        macron_here = next(d.id for d in merged.iter_documents() if d.title == MACRON)
        macron_ana = next(d.id for d in ana.iter_documents() if d.title == MACRON)
        history = [e[:3] for e in merged.document_events(macron_here) if e[1] == "ana"]
        assert history == [e[:3] for e in ana.document_events(macron_ana) if e[1] == "ana"] and len(history) >= 5
        before = {t: _count(merged, t) for t in ("documents", "spans", "doc_status", "events")}
        # In the window each person sees only their own spans of the merged project.
        session = AnnotationSession(merged)
        macron = next(d.id for d in merged.iter_documents() if d.title == MACRON)
        session.load(macron)
        assert session.team and {s.annotator for s in session.spans()} <= {None, "lead"}
        merged.annotator = "ben"
        session.load(macron)
        assert {s.annotator for s in session.spans()} == {"ben"} and len(session.spans()) == 6
    again = teams.merge([team_files["ana"], team_files["ben"], team_files["ana"]], into=team)
    assert (again.documents_added, again.spans_added, again.statuses_added, again.events_added,
            again.conflicts) == (0, 0, 0, 0, [])
    with open_project(team) as merged:
        assert {t: _count(merged, t) for t in before} == before


def test_merge_reports_conflicts_and_keeps_the_team_version(team_files, team, tmp_path):
    changed = copy_project(team_files["ana"], tmp_path / "ana-later.db")
    with open_project(changed, annotator="ana") as copy:
        doc = next(d for d in copy.iter_documents() if d.title == MACRON)
        paris = next(s for s in copy.spans(doc.id, statuses=["accepted"]) if doc.text[s.start:s.end] == "Paris")
        copy.update_span(paris.id, label="LOC")
        copy.set_doc_status(doc.id, "skipped")
    summary = teams.merge([changed], into=team)
    kinds = sorted((c["kind"], c["kept"], c["incoming"]) for c in summary.conflicts)
    assert kinds == [("span", "GPE (accepted)", "LOC (accepted)"), ("status", "done", "skipped")]
    with open_project(team) as merged:
        doc_id = merged.doc_id_for_text_hash(doc.text_hash)
        labels = {s.label for s in merged.spans(doc_id) if s.annotator == "ana" and doc.text[s.start:s.end] == "Paris"}
        assert labels == {"GPE"} and merged.doc_status(doc_id, "ana") == "done"


def test_merge_refuses_other_schemes_and_is_all_or_nothing(team_files, team, tmp_path):
    other = tmp_path / "other.db"
    with open_project(other, create=True) as project:
        scheme = project.scheme()
        from dataclasses import replace

        project.save_scheme(replace(scheme, entity_labels=tuple(lab for lab in scheme.entity_labels if lab.name != "NORP")))
    new_target = tmp_path / "new-team.db"
    with pytest.raises(AnnotatorError) as err:
        teams.merge([team_files["ana"], other], into=new_target)
    assert err.value.code == "E107" and "NORP" in str(err.value) and "other.db" in str(err.value)
    assert not new_target.exists()
    not_a_project = tmp_path / "notes.db"
    not_a_project.write_text("not sqlite", encoding="utf-8")
    with open_project(team) as merged:
        before = {t: _count(merged, t) for t in ("documents", "spans", "doc_status", "events")}
    with pytest.raises(AnnotatorError) as err:
        teams.merge([team_files["ben"], not_a_project], into=team)
    assert err.value.code == "E001"
    with open_project(team) as merged:
        assert {t: _count(merged, t) for t in before} == before
    with pytest.raises(AnnotatorError) as err:
        teams.merge([team], into=team)
    assert err.value.code == "E701"


def test_agreement_on_the_merged_project_equals_hand_computed(team):
    with open_project(team) as project:
        report = agreement.agreement(project)
    [pair] = report.pairs
    ent, st = pair["entity"], pair["stance"]
    assert pair["documents"] == 2
    # ana: E. Macron PERSON, Paris GPE, Olaf Scholz PERSON, Mike Johnson PERSON (4)
    # ben: E. Macron PERSON, Paris ORG, Scholz PERSON, Donald Tusk PERSON, Mike Johnson PERSON (5)
    # exact: Macron, Johnson -> 2*2/9; overlap adds Scholz -> 2*3/9.
    assert ent["f1_exact"] == pytest.approx(4 / 9)
    assert ent["f1_overlap"] == pytest.approx(6 / 9)
    # Matched pairs P/P, GPE/ORG, P/P, P/P: po = 3/4, pe = (3/4)^2 = 9/16 -> kappa = 3/7.
    assert ent["kappa"] == pytest.approx(3 / 7)
    # Units (quote, troops) FAVOR/FAVOR and (no soldiers, troops) NONE/AGAINST:
    # po = 1/2, pe = 1/4 -> kappa = 1/3; F1 = 2*1/(1+2).
    assert st["kappa"] == pytest.approx(1 / 3) and st["f1"] == pytest.approx(2 / 3)
    assert report.articles[0]["title"] == MACRON and report.articles[0]["disagreements"] == 4
    assert report.articles[1]["title"] == HOUSE and report.articles[1]["disagreements"] == 0


def _settle(review, doc_id, choices):
    """Pre-accept the agreements, then take ``choices[text of the place]``'s version."""
    review.load(doc_id)
    pre = review.pre_accept()
    if pre is not None:
        pre.do()
    commands = []
    for place in review.disagreements:
        text = review.document.text[place.start:place.end]
        who = next(v for k, v in choices.items() if text.startswith(k))
        command = review.pick(place, who)
        command.do()
        commands.append(command)
    return commands


def test_review_then_export_holds_exactly_the_reviewed_spans(team, tmp_path):
    with open_project(team, annotator="lead") as project:
        with pytest.raises(AnnotatorError) as err:
            exporting.export(project, format="jsonl", out=tmp_path / "refused.jsonl")
        assert err.value.code == "E407" and MACRON in str(err.value) and HOUSE in str(err.value)
        review = ReviewSession(project)
        macron = next(d.id for d in project.iter_documents() if d.title == MACRON)
        house = next(d.id for d in project.iter_documents() if d.title == HOUSE)
        review.load(macron)
        assert [p.kind for p in review.disagreements] == [
            "different labels", "different boundaries", "marked by ben only", "marked by ben only"]
        commands = _settle(review, macron, {"Paris": "ben", "Olaf Scholz": "ana", "Donald Tusk": "ana",
                                            'No European or NATO': "ben"})
        assert project.doc_status(macron, ADJUDICATED) == "done"
        # Undo the last pick: the article needs review again; redo settles it.
        commands[-1].undo()
        assert project.doc_status(macron, ADJUDICATED) == "in_progress"
        assert unreviewed_doc_ids(project) == [macron, house]
        commands[-1].do()
        _settle(review, house, {})
        assert unreviewed_doc_ids(project) == []
        expected = sorted([
            (MACRON, "Emmanuel Macron", "PERSON", None), (MACRON, "Paris", "ORG", None),
            (MACRON, "Olaf Scholz", "PERSON", None), (HOUSE, "Mike Johnson", "PERSON", None),
            (MACRON, "QUOTE", "FAVOR", "Western troops in Ukraine"),
            (MACRON, "NO", "AGAINST", "Western troops in Ukraine")])
        for kwargs, name in (({"annotator": ADJUDICATED}, "adjudicated.jsonl"), ({}, "default.jsonl")):
            summary = exporting.export(project, format="jsonl", out=tmp_path / name, **kwargs)
            records = [json.loads(line) for line in (tmp_path / name).read_text(encoding="utf-8").splitlines()]
            assert summary.documents == 2
            got = []
            for r in records:
                assert r["annotator"] == ADJUDICATED and r["status"] == "done"
                got += [(r["title"], e["text"], e["label"], None) for e in r["entities"]]
                got += [(r["title"], "QUOTE" if "ruled out" in s["text"] else "NO", s["label"], s["target"])
                        for s in r["stances"]]
            assert sorted(got) == expected


@pytest.mark.slow
def test_reviewed_spacy_export_trains_with_spacy_train(team, tmp_path):
    import subprocess
    import sys

    with open_project(team, annotator="lead") as project:
        review = ReviewSession(project)
        for title, choices in ((MACRON, {"Paris": "ben", "Olaf Scholz": "ana", "Donald Tusk": "ben",
                                         "No European or NATO": "ben"}), (HOUSE, {})):
            _settle(review, next(d.id for d in project.iter_documents() if d.title == title), choices)
        summary = exporting.export(project, format="spacy", out=tmp_path / "gold")  # the reviewed layer by default
    assert (summary.train_documents, summary.dev_documents) == (1, 1) and summary.not_aligned == []
    assert summary.spans["entity"] == {"ORG": 1, "PERSON": 4}
    train = subprocess.run([sys.executable, "-m", "spacy", "train", "config.cfg", "--paths.train", "train.spacy",
                            "--paths.dev", "dev.spacy", "--training.max_steps", "4", "--training.eval_frequency", "2"],
                           cwd=tmp_path / "gold", capture_output=True, text=True)
    assert train.returncode == 0, train.stdout[-3000:] + train.stderr[-3000:]
    assert "ner" in train.stdout


def test_stance_holders_survive_merge_and_review(tmp_path):
    from annotator.core.model import Span
    from tests.services.team_data import TROOPS, add_doc, at, sentence

    files = {}
    for who, holder in (("ana", "Macron"), ("ben", "Scholz")):
        files[who] = tmp_path / f"{who}.db"
        with open_project(files[who], create=True, annotator=who) as project:
            doc = add_doc(project)
            with project.write():
                ids = project.insert_span_rows(doc, [Span(*at("Macron"), "PERSON", annotator=who),
                                                     Span(*at("Scholz"), "PERSON", annotator=who)])
                held = ids[0] if holder == "Macron" else ids[1]
                project.insert_span_rows(doc, [Span(*sentence(0), "FAVOR", "stance", target=TROOPS, annotator=who,
                                                    holder_span_id=held)])
            project.put_doc_status(doc, who, "done")
    team = tmp_path / "team.db"
    teams.merge([files["ana"], files["ben"]], into=team)
    with open_project(team, annotator="lead") as project:
        doc_id = project.iter_documents().__next__().id
        text = project.document(doc_id).text
        for who, holder in (("ana", "Macron"), ("ben", "Scholz")):
            [stance] = [s for s in project.spans(doc_id, layer="stance") if s.annotator == who]
            held = project.span(stance.holder_span_id)
            assert (held.annotator, text[held.start:held.end]) == (who, holder)
        review = ReviewSession(project)
        review.load(doc_id)
        review.pre_accept().do()
        [place] = review.disagreements
        assert place.kind == "different holders"
        review.pick(place, "ben").do()
        assert project.doc_status(doc_id, ADJUDICATED) == "done"
        exporting.export(project, format="jsonl", out=tmp_path / "gold.jsonl", annotator=ADJUDICATED)
    [record] = [json.loads(line) for line in (tmp_path / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    [stance] = record["stances"]
    assert text[stance["holder"]["start"]:stance["holder"]["end"]] == "Scholz"
    assert sorted(e["text"] for e in record["entities"]) == ["Macron", "Scholz"]


def test_editing_the_reviewed_layer_in_the_article_keeps_it_reviewed(team):
    with open_project(team, annotator="lead") as project:
        house = next(d.id for d in project.iter_documents() if d.title == HOUSE)
        _settle(ReviewSession(project), house, {})
        session = AnnotationSession(project)
        session.only_annotator = ADJUDICATED  # what Review mode shows in the article
        session.load(house)
        [johnson] = session.spans()
        session.run(session.relabel("ORG", johnson))
        text = session.text
        start = text.index("Kyiv")
        session.run(session.create(start, start + 4, "entity", "GPE"))
        shown = sorted((text[s.start:s.end], s.label, s.annotator) for s in session.spans())
        assert shown == [("Kyiv", "GPE", ADJUDICATED), ("Mike Johnson", "ORG", ADJUDICATED)]
        session.run(session.reject(session.spans()[0]))
        rows = {(text[s.start:s.end], s.status) for s in project.spans(house) if s.annotator == ADJUDICATED}
        assert ("Kyiv", "rejected") in rows or ("Mike Johnson", "rejected") in rows
        # The events log names the reviewer.
        assert project.document_events(house)[-1][1] == "lead"
