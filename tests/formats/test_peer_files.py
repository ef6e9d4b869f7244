"""Files shaped like the other tools' own examples and exports (written here, with
our own sentences): read by what they hold, not by their names, or refused by name."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.core.errors import AnnotatorError
from annotator.formats.readers import detect_format
from annotator.formats.tokens import decode_tags
from annotator.services.importing import import_paths


def _spans(project) -> list[tuple[str, str, str]]:
    rows = project.conn.execute(
        'SELECT d.text, s.start, s."end", s.label, s.layer FROM spans s JOIN documents d ON d.id = s.doc_id'
        " ORDER BY d.id, s.start, s.layer")
    return [(text[s:e], label, layer) for text, s, e, label, layer in rows]


def _texts(project) -> list[str]:
    return [r[0] for r in project.conn.execute("SELECT text FROM documents ORDER BY id")]


# doccano's CoNLL example layout: token<TAB>tag, a blank line between examples.
DOCCANO_CONLL = "Olaf\tB-PERSON\nScholz\tI-PERSON\nvisited\tO\nVilnius\tB-GPE\n.\tO\n\nNATO\tB-ORG\nmet\tO\n.\tO\n"


def test_doccano_conll_example_saved_as_txt_is_read_as_conll(tmp_path, project):
    path = tmp_path / "example.txt"
    path.write_text(DOCCANO_CONLL, encoding="utf-8")
    assert detect_format(path) == "conll"
    summary = import_paths(project, [path])
    assert summary.imported == 2 and summary.formats == {"conll": 1}
    assert _texts(project) == ["Olaf Scholz visited Vilnius .", "NATO met ."]
    assert _spans(project) == [("Olaf Scholz", "PERSON", "entity"), ("Vilnius", "GPE", "entity"),
                               ("NATO", "ORG", "entity")]


# CoNLL-2003 layout: four columns, IOB1, -DOCSTART- lines, all-caps headlines.
CONLL2003 = """-DOCSTART- -X- O O

KYIV NNP I-NP I-GPE
TALKS NNS I-NP O
STALL VBP I-VP O

Ursula NNP I-NP I-PERSON
von NNP I-NP I-PERSON
der NNP I-NP I-PERSON
Leyen NNP I-NP I-PERSON
met VBD I-VP O
Donald NNP I-NP I-PERSON
Tusk NNP I-NP I-PERSON
Kaja NNP I-NP B-PERSON
Kallas NNP I-NP I-PERSON
in IN I-PP O
Brussels NNP I-NP I-GPE
. . O O

-DOCSTART- -X- O O

NATO NNP I-NP I-ORG
SUMMIT NN I-NP O

The DT I-NP O
alliance NN I-NP O
met VBD I-VP O
. . O O
"""


def test_conll2003_file_iob1_articles_and_sentences(tmp_path, project):
    path = tmp_path / "eng.train"  # no extension we know: the content decides
    path.write_text(CONLL2003, encoding="utf-8")
    summary = import_paths(project, [path])
    assert summary.imported == 2
    first, second = _texts(project)
    assert first == "KYIV TALKS STALL\nUrsula von der Leyen met Donald Tusk Kaja Kallas in Brussels ."
    assert second == "NATO SUMMIT\nThe alliance met ."
    # IOB1: I- starts an entity after O; B- separates "Kaja Kallas" from the
    # PERSON right before it.
    assert _spans(project) == [
        ("KYIV", "GPE", "entity"), ("Ursula von der Leyen", "PERSON", "entity"), ("Donald Tusk", "PERSON", "entity"),
        ("Kaja Kallas", "PERSON", "entity"), ("Brussels", "GPE", "entity"), ("NATO", "ORG", "entity")]
    titles = [r[0] for r in project.conn.execute("SELECT title FROM documents ORDER BY id")]
    assert titles == ["KYIV TALKS STALL", "NATO SUMMIT"]


@pytest.mark.parametrize(
    ("tags", "spans"),
    [
        (["I-PER", "I-PER", "B-PER", "O", "I-LOC"], [(0, 2, "PER"), (2, 3, "PER"), (4, 5, "LOC")]),  # IOB1
        (["B-PER", "I-PER", "B-PER", "O", "B-LOC"], [(0, 2, "PER"), (2, 3, "PER"), (4, 5, "LOC")]),  # IOB2
        (["B-PER", "E-PER", "S-PER", "O", "S-LOC"], [(0, 2, "PER"), (2, 3, "PER"), (4, 5, "LOC")]),  # BIOES
        (["B-PER", "L-PER", "U-PER", "O", "U-LOC"], [(0, 2, "PER"), (2, 3, "PER"), (4, 5, "LOC")]),  # BILUO
        (["B-PER", "I-ORG", "O"], [(0, 1, "PER"), (1, 2, "ORG")]),  # a type change starts a new entity
    ],
)
def test_every_tag_scheme_decodes_to_the_same_entities(tags, spans):
    assert decode_tags(tags) == spans


# spaCy's one-sentence-a-line .iob example layout: word|POS|TAG.
SPACY_IOB = ("When|WRB|O Kaja|NNP|B-PERSON Kallas|NNP|I-PERSON came|VBD|O to|TO|O Riga|NNP|B-GPE ,|,|O "
             "nobody|NN|O noticed|VBD|O .|.|O\nNATO|NNP|B-ORG agreed|VBD|O .|.|O\n")


def test_spacy_iob_example(tmp_path, project):
    path = tmp_path / "ner-sent-per-line.iob"
    path.write_text(SPACY_IOB, encoding="utf-8")
    import_paths(project, [path])
    assert _texts(project) == ["When Kaja Kallas came to Riga , nobody noticed .", "NATO agreed ."]
    assert [s[:2] for s in _spans(project)] == [("Kaja Kallas", "PERSON"), ("Riga", "GPE"), ("NATO", "ORG")]


def test_malformed_conll_names_the_line(tmp_path, project):
    path = tmp_path / "bad.conll"
    path.write_text("Kyiv\tB-GPE\nspoke\tO\nloudly\tMAYBE\n", encoding="utf-8")
    with pytest.raises(AnnotatorError) as err:
        import_paths(project, [path])
    assert err.value.code == "E233" and err.value.line == 3 and "MAYBE" in str(err.value)
    assert project.document_count() == 0


def test_fasttext_file_is_refused_by_name(tmp_path, project):
    path = tmp_path / "train.txt"
    path.write_text("__label__favor Leaders backed the aid package.\n__label__against Critics attacked it.\n",
                    encoding="utf-8")
    with pytest.raises(AnnotatorError) as err:
        import_paths(project, [path])
    assert err.value.code == "E232" and "fastText" in str(err.value) and str(path) in str(err.value)
    assert project.document_count() == 0


def test_spacy_v2_json_training_format_is_refused_by_name(tmp_path, project):
    path = tmp_path / "train.json"
    path.write_text(json.dumps([{"id": 0, "paragraphs": [{"raw": "Tusk spoke.", "sentences": [{"tokens": [
        {"id": 0, "orth": "Tusk", "tag": "NNP", "head": 1, "dep": "nsubj", "ner": "U-PERSON"},
        {"id": 1, "orth": "spoke", "tag": "VBD", "head": 0, "dep": "ROOT", "ner": "O"},
        {"id": 2, "orth": ".", "tag": ".", "head": -1, "dep": "punct", "ner": "O"}]}]}]}]), encoding="utf-8")
    with pytest.raises(AnnotatorError) as err:
        import_paths(project, [path])
    assert err.value.code == "E232" and "spaCy v2 JSON" in str(err.value) and "spacy convert" in str(err.value)


def test_jsonl_saved_as_txt_and_spacy_training_pairs(tmp_path, project):
    path = tmp_path / "pairs.txt"
    path.write_text(json.dumps(["Kaja Kallas visited Riga.", {"entities": [[0, 11, "PERSON"], [20, 24, "GPE"]]}]) + "\n",
                    encoding="utf-8")
    assert detect_format(path) == "jsonl"
    import_paths(project, [path])
    assert [s[:2] for s in _spans(project)] == [("Kaja Kallas", "PERSON"), ("Riga", "GPE")]


@pytest.mark.parametrize("entities", [1, "0 11 PERSON", {"0": [0, 11, "PERSON"]}])
def test_a_spacy_training_pair_whose_entities_are_not_a_list_is_refused_by_line(tmp_path, project, entities):
    path = tmp_path / "pairs.jsonl"
    path.write_text(json.dumps(["Kaja Kallas visited Riga.", {"entities": entities}]) + "\n", encoding="utf-8")
    with pytest.raises(AnnotatorError) as refused:
        import_paths(project, [path])
    assert refused.value.code == "E220" and refused.value.line == 1 and "entities" in refused.value.message


def test_doccano_intent_entities_as_lists_relations_kept_duplicates_merged(tmp_path, project):
    records = [
        # intent detection + slot filling: entities as [start, end, label] lists
        {"text": "Book a flight from Vilnius to Riga", "entities": [[19, 26, "GPE"], [30, 34, "GPE"], [30, 34, "GPE"]],
         "cats": ["flight"]},
        # relation project: a relation that is not a stance holder is kept in meta
        {"text": "Kaja Kallas leads Estonia.",
         "entities": [{"id": 7, "start_offset": 0, "end_offset": 11, "label": "PERSON"},
                      {"id": 8, "start_offset": 18, "end_offset": 25, "label": "GPE"}],
         "relations": [{"id": 1, "from_id": 7, "to_id": 8, "type": "leads"}]},
    ]
    path = tmp_path / "doccano.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    summary = import_paths(project, [path])
    assert summary.merged_duplicates == 1 and summary.relations_in_meta == 1
    assert [s[:2] for s in _spans(project)] == [("Vilnius", "GPE"), ("Riga", "GPE"), ("Kaja Kallas", "PERSON"),
                                                ("Estonia", "GPE")]
    metas = [json.loads(r[0]) for r in project.conn.execute("SELECT meta FROM documents ORDER BY id")]
    assert metas[0]["doccano_cats"] == ["flight"]
    assert metas[1]["doccano_relations"] == [{"type": "leads", "from": [0, 11, "PERSON"], "to": [18, 25, "GPE"]}]
    assert len(project.done_doc_ids()) == 2  # annotated doccano records are done


def test_status_option_marks_every_article(tmp_path, project):
    path = tmp_path / "plain.jsonl"
    path.write_text(json.dumps({"text": "Tusk met Kallas.", "entities": [{"start": 0, "end": 4, "label": "PERSON"}]})
                    + "\n", encoding="utf-8")
    import_paths(project, [path], status="done")
    assert len(project.done_doc_ids()) == 1


# Label Studio's JSON export layout (formats reference §4.1), with two annotations.
def _ls_task(text: str) -> dict:
    start = text.index("Kaja Kallas")
    region = {"id": "ent-1", "from_name": "ner", "to_name": "text", "type": "labels", "origin": "manual",
              "value": {"start": start, "end": start + 11, "text": "Kaja Kallas", "labels": ["PERSON"]}}
    wrong = {**region, "value": {**region["value"], "labels": ["ORG"]}}
    return {"id": 101, "data": {"text": text, "article_id": "elm-7"},
            "annotations": [
                {"id": 1, "completed_by": 1, "was_cancelled": False, "ground_truth": True,
                 "updated_at": "2024-05-01T10:00:00Z", "result": [region]},
                {"id": 2, "completed_by": 2, "was_cancelled": False, "ground_truth": False,
                 "updated_at": "2024-05-03T10:00:00Z", "result": [wrong]},
                {"id": 3, "completed_by": 3, "was_cancelled": True, "ground_truth": True,
                 "updated_at": "2024-05-04T10:00:00Z", "result": [wrong]}],
            "predictions": [{"model_version": "x", "score": 0.5, "result": [wrong]}]}


def test_labelstudio_task_ground_truth_wins_and_predictions_stay_apart(tmp_path, project):
    text = "\U0001F4E2 Kaja Kallas spoke in Tallinn."
    path = tmp_path / "project-1-at-2024.json"
    path.write_text(json.dumps([_ls_task(text)], ensure_ascii=False), encoding="utf-8")
    summary = import_paths(project, [path])
    rows = project.conn.execute("SELECT label, status, score FROM spans ORDER BY status").fetchall()
    # The ground truth is gold; the prediction is a suggestion to review, with its score.
    assert rows == [("PERSON", "accepted", None), ("ORG", "suggested", 0.5)]
    assert summary.units == {"codepoints": 1} and summary.units_detected == 1  # region text decided
    meta = json.loads(project.conn.execute("SELECT meta FROM documents").fetchone()[0])
    assert meta["labelstudio_predictions"] == 1 and meta["labelstudio_annotations"] == 3
    assert meta["article_id"] == "elm-7" and len(project.done_doc_ids()) == 1


def test_labelstudio_task_without_text_is_refused(tmp_path, project):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([{"id": 1, "data": {"image": ""}, "annotations": []}]), encoding="utf-8")
    with pytest.raises(AnnotatorError) as err:
        import_paths(project, [path])
    assert err.value.code == "E235" and err.value.line == 1


def test_oversized_conll_article_and_broken_docbin_are_refused(tmp_path, project):
    path = tmp_path / "huge.conll"
    path.write_text("".join(f"word{i}\tO\n" for i in range(400)), encoding="utf-8")
    with pytest.raises(AnnotatorError) as err:
        import_paths(project, [path], max_record_bytes=1000)
    assert err.value.code == "E217" and err.value.line == 1
    broken = tmp_path / "train.spacy"
    broken.write_bytes(b"\x78\x9c not a docbin")
    with pytest.raises(AnnotatorError) as err:
        import_paths(project, [broken])
    assert err.value.code == "E234" and str(broken) in str(err.value)
    assert project.document_count() == 0


def test_json_lines_in_a_json_file_and_a_stance_label_without_target(tmp_path, project):
    path = tmp_path / "doccano-export.json"
    path.write_text(json.dumps({"text": "Tusk met Kallas.", "label": [[0, 4, "PERSON"]]}) + "\n"
                    + json.dumps({"text": "Kallas met Tusk.", "label": [[11, 15, "PERSON"]]}) + "\n", encoding="utf-8")
    assert detect_format(path) == "jsonl"
    assert import_paths(project, [path]).imported == 2
    bad = tmp_path / "stance.jsonl"
    bad.write_text(json.dumps({"text": "Kallas backed sanctions.", "label": [[0, 24, "FAVOR"]]}) + "\n", encoding="utf-8")
    with pytest.raises(AnnotatorError) as err:
        import_paths(project, [bad])
    assert err.value.code == "E215"


_json = st.recursive(st.none() | st.booleans() | st.integers(-3, 40) | st.text(max_size=6),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                     max_leaves=8)

_TEMPLATES = {
    "labelstudio": lambda v: {"id": 1, "data": {"text": "Tusk met Kallas."}, "annotations": [
        {"result": [{"id": v, "type": "labels", "value": {"start": 0, "end": 4, "text": "Tusk", "labels": v}},
                    {"type": "relation", "from_id": v, "to_id": "a", "labels": v}], "was_cancelled": v}]},
    "labelstudio_min": lambda v: {"text": "Tusk met Kallas.", "ner": [{"start": v, "end": 4, "labels": ["PERSON"]}],
                                  "annotator": v},
    "spacy_pair": lambda v: ["Tusk met Kallas.", {"entities": v, "cats": v}],
    "doccano": lambda v: {"text": "Tusk met Kallas.", "entities": [{"id": v, "start_offset": 0, "end_offset": 4,
                                                                     "label": "PERSON"}],
                          "relations": [{"from_id": v, "to_id": v, "type": v}]},
    "prodigy": lambda v: {"text": "Tusk met Kallas.", "meta": {"target": "Sanctions on Russia"},
                          "spans": [{"start": 0, "end": 4, "label": "FAVOR"}],
                          "relations": [{"label": "HOLDER", "head_span": v, "child_span": {"start": v, "end": 4,
                                                                                           "label": "FAVOR"}}]},
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(sorted(_TEMPLATES)), value=_json)
def test_hostile_values_in_other_tools_records_get_coded_errors(tmp_path_factory, kind, value):
    """Any JSON value in the fields other tools' records hold: imported, or
    refused with a coded error; never a traceback."""
    from annotator.storage import open_project

    folder = tmp_path_factory.mktemp("hostile")
    path = folder / "records.jsonl"
    path.write_text(json.dumps(_TEMPLATES[kind](value)) + "\n", encoding="utf-8")
    with open_project(folder / "p.db", create=True) as project:
        try:
            import_paths(project, [path])
        except AnnotatorError as exc:
            assert exc.code.startswith("E2") and exc.path == str(path)


def test_rejected_prodigy_task_brings_its_text_but_no_spans(tmp_path, project):
    path = tmp_path / "teach.jsonl"
    path.write_text(json.dumps({"text": "Tusk met Kallas.", "spans": [{"start": 9, "end": 15, "label": "ORG"}],
                                "answer": "reject", "_input_hash": 1, "_task_hash": 2}) + "\n", encoding="utf-8")
    import_paths(project, [path])
    assert _spans(project) == [] and project.document_count() == 1
    meta = json.loads(project.conn.execute("SELECT meta FROM documents").fetchone()[0])
    assert meta["prodigy_answer"] == "reject" and meta["prodigy_rejected_spans"] == 1


_token_lines = st.lists(
    st.one_of(st.just(""), st.just("-DOCSTART- -X- O O"), st.just("-DOCSTART- -X- O"),
              st.builds(lambda w, t, sep: f"{w}{sep}{t}", st.sampled_from(["Kyiv", "Tusk", "\U0001F4AA", "|", ""]),
                        st.sampled_from(["O", "B-GPE", "I-GPE", "E-PERSON", "S-ORG", "L-X", "U-PER", "B-", "I-WIZARD",
                                         "junk"]), st.sampled_from(["\t", " ", " -X- _ ", "|"])),
              st.text(max_size=12)), max_size=25)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=_token_lines, name=st.sampled_from(["f.conll", "f.iob", "f.txt", "f.tsv"]))
def test_token_files_never_crash(tmp_path_factory, lines, name):
    """Token columns of any shape: records with spans on their text, or coded errors."""
    from annotator.core.assets import default_scheme_paths
    from annotator.core.scheme import scheme_from_files
    from annotator.formats.readers import READERS

    scheme = scheme_from_files(*default_scheme_paths())
    path = tmp_path_factory.mktemp("tok") / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        fmt = detect_format(path)
    except AnnotatorError as exc:
        assert exc.code == "E212"
        return
    try:
        items = list(READERS[fmt](path, scheme=scheme))
    except AnnotatorError as exc:  # raised for the whole file (binary, encoding)
        items = [(None, exc)]
    for _line, item in items:
        if isinstance(item, AnnotatorError):
            assert item.code.startswith("E2") and item.code != "E000"
            continue
        for span in item.spans:
            assert 0 <= span.start < span.end <= len(item.text) and item.text[span.start:span.end].strip()
