"""Stance suggestions: per sentence, toward which target, which label, held by whom.

Recall comes first: every sentence that speaks about a target and has someone
holding a position gets a suggestion (a missing one costs the annotator a search
through the article, a wrong label one key). The rules, in order:

1. **Targets.** A sentence is about a target when it contains one of the target's
   aliases (strong) or keywords (weaker): case-insensitive, on word boundaries, a
   trailing ``*`` matching a prefix, and the last word of a keyword also matching
   its common inflections ("invitation" finds "inviting"). A target is also found
   by entities: when every proper name of the target's name ("Ukraine", "NATO" in
   "Ukraine joining NATO") is an entity of the sentence. A sentence that names no
   target takes the target of the previous sentence of its paragraph, else the
   target the article named last (an earlier paragraph, a transcript's question),
   else the one its headline names; and, when it differs, the article's main
   target (the headline's, or the one named most). Such a stance needs a holder.
2. **Cues.** Phrases of the cue lexicon (``resources/cues.toml`` plus the project's
   setting ``cues``) each give a label and a weight. A cue is *negated* by a negator
   just before it ("did not rule out"), by a negating verb that governs it
   ("refused to exclude"), or, with a dependency parse, by a ``neg`` dependent of
   the cue or of the verb it completes ("does not plan to send"); a negated cue
   gives its ``negated`` label. Hedges ("could", "probably") weaken a cue.
   Non-committal cues ("declined to say whether") silence the cues in their scope.
3. **Which target a cue is about.** With a parse: the targets inside the cue's
   syntactic scope (its subtree, not crossing into coordinated or adverbial
   clauses); without: the targets in the cue's clause (between punctuation). A cue
   with no target in scope goes to the nearest target, with a penalty.
4. **Holder.** The subject of the cue's verb, of the reporting verb that governs
   it or of the sentence, resolved to the entity span that covers it: a pronoun or
   a title ("he", "the chancellor") to the last person named before it, a relative
   pronoun to the noun it attaches to, "I"/"we" in a quote to the quote's speaker.
   Without a parse: the person next to the reporting verb, or the entity that
   opens the sentence. A quote that continues the previous one keeps its speaker,
   and every sentence of a quotation is held by the speaker named where it closes
   ('"... . ...," he said'); "a spokesman" is someone new, "the spokesman" not; a
   wire dateline ("TOKYO (Kyodo) —") holds nothing;
   a transcript line ("MURPHY: ...") is held by its speaker unless it reports
   someone else (the broadcast's own HOST, ANCHOR, ... hold nothing). Entities
   coordinated with the holder ("Poland and Estonia said") each get the stance.
5. **Label and score.** Each cue's effective weight is its lexicon weight, lowered
   by hedging, by distance from the sentence's main verb and by the penalties
   above. The label with the strongest cue wins. With no cue, a holder who took a
   position on the target earlier in the article keeps it (score 0.3); otherwise
   the suggestion is NEUTRAL at score 0.2. Questions take no stance.

The score is the rule system's heuristic confidence in [0, 1]: it grows with the
winning cue's effective weight and with a found holder, and falls when cues for
other labels compete. It orders suggestions (strong evidence first) and lets the
window show weak ones faintly; it is not a calibrated probability (a stance model
trained on the project's decisions gives probabilities: see
:mod:`annotator.nlp.stance_model`).
"""

from __future__ import annotations

import bisect
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotator.core.assets import resource_path
from annotator.core.errors import AnnotatorError, Errors
from annotator.core.model import SpanDraft
from annotator.core.scheme import Scheme, Target
from annotator.core.text import strip_span

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

STANCE_RULES_VERSION = "2"
STANCE_ORIGIN = f"stance-rules {STANCE_RULES_VERSION}"
STANCE_LABELS = ("FAVOR", "AGAINST", "NEUTRAL")
_FLIP = {"FAVOR": "AGAINST", "AGAINST": "FAVOR", "NEUTRAL": "NEUTRAL"}
_QUOTES = "\"“”«»„'‘’"
_PERSONAL = {"he", "she", "him", "her", "his"}
_FIRST_PERSON = {"i", "we", "me", "us", "my", "our"}
_RELATIVE = {"who", "which", "that", "whom", "whose"}
_HOLDER_LABELS = ("PERSON", "ORG", "GPE", "NORP")
_INDEFINITE = {"a", "an", "another", "one", "some", "any"}
_SCOPE_STOP_DEPS = {"conj", "advcl", "parataxis", "cc"}
_AUXILIARIES = {"do", "does", "did", "has", "have", "had", "will", "would", "could", "can", "is", "are", "was",
                "were", "should", "must", "may", "might"}
#: Role nouns that name a person already introduced ("the chancellor said").
_TITLES = {"minister", "president", "chancellor", "premier", "senator", "governor", "secretary", "spokesman",
           "spokeswoman", "spokesperson", "leader", "general", "ambassador", "chairman", "chairwoman", "chair",
           "commissioner", "mayor", "king", "queen", "envoy", "official", "lawmaker", "congressman",
           "congresswoman", "speaker", "diplomat", "negotiator", "chief", "head", "director", "founder",
           "co-founder", "candidate", "deputy", "politician"}
#: Transcript labels of the people who run a broadcast: they hold no stance.
_ROLE_LABELS = {"HOST", "ANCHOR", "PRESENTER", "NEWSREADER", "CORRESPONDENT", "REPORTER", "INTERVIEWER",
                "MODERATOR", "NARRATOR", "Q", "A", "QUESTION", "ANSWER", "ANNOUNCER", "VOICEOVER", "CALLER"}
_SPEAKER_LABEL = re.compile(r"^([A-Z][A-Z.'’\- ]{1,40}?)(?: \([^)\n]{0,40}\))?:[ \t]", re.MULTILINE)
#: A wire dateline opening a paragraph: "BERLIN, May 20 (Reuters) - ", "TOKYO (Kyodo) — ".
_DATELINE = re.compile(r"^[A-Z][A-Z.'’ -]{1,30}?(?:,\s+[A-Z][a-z]{2,9}\.?\s+\d{1,2})?\s*(?:\([^)\n]{1,30}\))?\s*[-—–]{1,2}\s",
                       re.MULTILINE)
_CLAUSE_BREAKS = {",", ";", ":", "—", "–", "but", "while", "although", "though", "and"}


# -- the cue lexicon ---------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Cue:
    phrase: str
    label: str
    weight: float = 0.6
    negated: str | None = None  # label when negated; "" drops; None = default flip
    commits: bool = True

    def label_when(self, negated: bool) -> str | None:
        if not negated:
            return self.label
        if self.negated is None:
            return _FLIP.get(self.label, self.label)
        return self.negated or None


class PhraseSet:
    """Phrases of words (``*`` = prefix, ``_`` = any token) matched on lowercase tokens.

    Matching is greedy left to right and prefers the longest phrase at each start.
    """

    def __init__(self, items: Iterable[tuple[str, Any]]) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], Any]]] = {}
        self._by_prefix3: dict[str, list[tuple[tuple[str, ...], Any]]] = {}
        for phrase, value in items:
            words = tuple(phrase.lower().split())
            if not words:
                continue
            first = words[0]
            if first.endswith("*"):
                self._by_prefix3.setdefault(first[:3], []).append((words, value))
            else:
                self._by_first.setdefault(first, []).append((words, value))
        for table in (self._by_first, self._by_prefix3):
            for entries in table.values():
                entries.sort(key=lambda e: -len(e[0]))

    @staticmethod
    def _word_matches(word: str, token: str) -> bool:
        if word == "_":
            return True
        if word.endswith("*"):
            return token.startswith(word[:-1])
        return token == word

    def _match_at(self, lowers: Sequence[str], i: int) -> tuple[int, Any] | None:
        best: tuple[int, Any] | None = None
        candidates = self._by_first.get(lowers[i], []) + self._by_prefix3.get(lowers[i][:3], [])
        for words, value in candidates:
            n = len(words)
            if i + n > len(lowers) or (best is not None and n <= best[0] - i):
                continue
            if all(self._word_matches(w, lowers[i + k]) for k, w in enumerate(words)):
                best = (i + n, value)
        return best

    def find(self, lowers: Sequence[str]) -> list[tuple[int, int, Any]]:
        hits: list[tuple[int, int, Any]] = []
        i = 0
        while i < len(lowers):
            m = self._match_at(lowers, i)
            if m is None:
                i += 1
                continue
            hits.append((i, m[0], m[1]))
            i = m[0]
        return hits


@dataclass
class CueLexicon:
    """The cue lexicon (format documented in ``resources/cues.toml``)."""

    version: str
    cues: list[Cue]
    reporting_verbs: list[str]
    negators: list[str]
    negating_verbs: list[str]
    hedges: list[str]
    extended: bool = False
    _sets: dict[str, PhraseSet] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: str | Path | None = None, *, extra: dict[str, Any] | None = None,
             labels: Sequence[str] = STANCE_LABELS) -> CueLexicon:
        """Read the bundled (or given) lexicon and add a project's extra entries."""
        path = Path(path) if path is not None else resource_path("cues.toml")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise AnnotatorError(Errors.E305, path=path, reason=str(exc)) from None
        lexicon = cls._parse(data, path=path, labels=labels)
        if extra:
            more = cls._parse({"version": "0", **extra}, path="project setting 'cues'", labels=labels)
            lexicon.cues += more.cues
            lexicon.reporting_verbs += more.reporting_verbs
            lexicon.negators += more.negators
            lexicon.negating_verbs += more.negating_verbs
            lexicon.hedges += more.hedges
            lexicon.extended = True
        return lexicon

    @staticmethod
    def _parse(data: Any, *, path: str | Path, labels: Sequence[str]) -> CueLexicon:
        def bad(reason: str) -> AnnotatorError:
            return AnnotatorError(Errors.E305, path=path, reason=reason)

        if not isinstance(data, dict):
            raise bad("the top level must be a table")
        known = {"version", "cue", "reporting_verbs", "negators", "negating_verbs", "hedges"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise bad(f"unknown key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(known))}")
        lists: dict[str, list[str]] = {}
        for key in ("reporting_verbs", "negators", "negating_verbs", "hedges"):
            value = data.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                raise bad(f"'{key}' must be a list of words or phrases")
            for v in value:
                _check_phrase(v, bad)
            lists[key] = [v.strip() for v in value]
        cues: list[Cue] = []
        entries = data.get("cue", [])
        if not isinstance(entries, list):
            raise bad("'cue' must be a list of tables")
        for n, entry in enumerate(entries, 1):
            if not isinstance(entry, dict):
                raise bad(f"cue {n} must be a table with phrase and label")
            phrase = entry.get("phrase")
            if not isinstance(phrase, str) or not phrase.strip():
                raise bad(f"cue {n} needs a non-empty 'phrase'")
            _check_phrase(phrase, bad)
            label = entry.get("label")
            if label not in labels:
                raise bad(f"cue {phrase!r}: label {label!r} is not one of {', '.join(labels)}")
            weight = entry.get("weight", 0.6)
            if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= 1:
                raise bad(f"cue {phrase!r}: weight must be a number between 0 and 1")
            negated = entry.get("negated")
            if negated is not None and negated != "" and negated not in labels:
                raise bad(f"cue {phrase!r}: negated label {negated!r} is not one of {', '.join(labels)}")
            commits = entry.get("commits", True)
            if not isinstance(commits, bool):
                raise bad(f"cue {phrase!r}: commits must be true or false")
            extra_keys = set(entry) - {"phrase", "label", "weight", "negated", "commits"}
            if extra_keys:
                raise bad(f"cue {phrase!r}: unknown key(s) {', '.join(sorted(extra_keys))}")
            cues.append(Cue(phrase.strip(), label, float(weight), negated, commits))
        return CueLexicon(str(data.get("version", "0")), cues, lists["reporting_verbs"], lists["negators"],
                          lists["negating_verbs"], lists["hedges"])

    def phrase_set(self, name: str) -> PhraseSet:
        if name not in self._sets:
            if name == "cues":
                items: list[tuple[str, Any]] = [(c.phrase, c) for c in self.cues]
            else:
                items = [(p, p) for p in getattr(self, name)]
            self._sets[name] = PhraseSet(items)
        return self._sets[name]


def _check_phrase(phrase: str, bad: Any) -> None:
    for word in phrase.split():
        if word.endswith("*") and len(word) < 4:
            raise bad(f"{phrase!r}: a prefix needs at least three letters before '*'")


# -- targets -----------------------------------------------------------------------------

def _inflected(word: str) -> str:
    """A regex for a keyword's last word and its common inflections."""
    lower = word.lower()
    if lower.endswith("ations"):
        stem, tails = word[:-6], "ations|ation|e|es|ed|ing"
    elif lower.endswith("ation"):
        stem, tails = word[:-5], "ations|ation|e|es|ed|ing"
    elif lower.endswith("ing") and len(word) > 5:
        stem, tails = word[:-3], "ing|s|ed|e|es"
    elif lower.endswith("s") and not lower.endswith("ss") and len(word) > 3:
        stem, tails = word[:-1], "s|es"
    elif lower.endswith("e"):
        stem, tails = word[:-1], "e|es|ed|ing"
    else:
        stem, tails = word, "s|es|ed|ing"
    return f"{re.escape(stem)}(?:{tails})?" if stem != word or tails else re.escape(word)


def _phrase_regex(phrase: str) -> str:
    words = phrase.split()
    parts = [re.escape(w) for w in words[:-1]]
    last = words[-1]
    if last.endswith("*"):
        parts.append(re.escape(last[:-1]) + r"\w*")
    elif len(last) > 2 and last[-1].isalpha():
        parts.append(_inflected(last))
    else:
        parts.append(re.escape(last))
    return r"[\s\-]+".join(parts)


@dataclass(frozen=True, slots=True)
class TargetMatch:
    target: str
    start: int  # character offsets in the document
    end: int
    strength: float  # 1.0 alias, 0.8 keyword, 0.5 entities


class TargetMatcher:
    """Finds the project's stance targets in text (see the module notes)."""

    def __init__(self, targets: Sequence[Target]) -> None:
        self.targets = tuple(targets)
        self._alias: list[tuple[str, re.Pattern[str]]] = []
        self._keyword: list[tuple[str, re.Pattern[str]]] = []
        self._names: list[tuple[str, tuple[str, ...], str]] = []
        for t in self.targets:
            aliases = [a for a in (*t.aliases, t.name) if a.strip()]  # the name itself names the target
            if aliases:
                self._alias.append((t.name, _compile(aliases)))
            if t.keywords:
                self._keyword.append((t.name, _compile(t.keywords)))
            words = re.findall(r"[\w'’-]+", t.name)
            later = tuple(w for w in words[1:] if w[:1].isupper())
            self._names.append((t.name, later, words[0] if words else ""))

    def find(self, text: str, offset: int = 0, entity_texts: Iterable[str] = ()) -> list[TargetMatch]:
        found: list[TargetMatch] = []
        for strength, table in ((1.0, self._alias), (0.8, self._keyword)):
            for name, regex in table:
                for m in regex.finditer(text):
                    found.append(TargetMatch(name, offset + m.start(), offset + m.end(), strength))
        ents = set(entity_texts)
        if ents and not found:  # names alone are weak evidence: only when no keyword speaks
            for name, later, first in self._names:
                required = list(later)
                if first[:1].isupper() and (first.isupper() or first in ents):
                    required.append(first)
                if len(required) >= 2 and all(w in ents for w in required) and not any(
                        f.target == name for f in found):
                    for w in required:
                        pos = text.find(w)
                        if pos >= 0:
                            found.append(TargetMatch(name, offset + pos, offset + pos + len(w), 0.5))
        return found


def best_target(matches: Sequence[TargetMatch], matcher: TargetMatcher) -> str | None:
    """The target with the most evidence among ``matches`` (summed strengths; the
    scheme's order breaks ties), or None."""
    if not matches:
        return None
    score: dict[str, float] = {}
    for m in matches:
        score[m.target] = score.get(m.target, 0.0) + m.strength
    order = {t.name: i for i, t in enumerate(matcher.targets)}
    return max(score, key=lambda name: (score[name], -order.get(name, 0)))


def _compile(phrases: Sequence[str]) -> re.Pattern[str]:
    alternatives = sorted((_phrase_regex(p) for p in phrases), key=len, reverse=True)
    return re.compile(r"(?<![\w])(?:" + "|".join(alternatives) + r")(?![\w])", re.IGNORECASE)


# -- the suggester -----------------------------------------------------------------------

@dataclass(slots=True)
class _Evidence:
    cue: str
    label: str
    weight: float
    head: int  # token index in the doc
    start: int
    end: int
    negated: bool
    commits: bool
    neg_start: int | None = None  # where the negation begins (token index), for the cue text


@dataclass(slots=True)
class _SentenceResult:
    targets: list[str]
    holder: tuple[int, int] | None
    quoted: bool


class StanceSuggester:
    """Suggests sentence-level stances (see the module notes for the rules).

    Parameters
    ----------
    scheme:
        Gives the targets and the stance labels (cues whose label the scheme lacks
        are ignored).
    lexicon:
        The cue lexicon; the bundled one by default.
    """

    def __init__(self, *, scheme: Scheme, lexicon: CueLexicon | None = None) -> None:
        self.scheme = scheme
        self.lexicon = lexicon or CueLexicon.load()
        self.labels = set(scheme.label_names("stance"))
        self.matcher = TargetMatcher(scheme.targets)
        self.origin = STANCE_ORIGIN
        self._cues = self.lexicon.phrase_set("cues")
        self._negators = self.lexicon.phrase_set("negators")
        self._negating = self.lexicon.phrase_set("negating_verbs")
        self._hedges = self.lexicon.phrase_set("hedges")
        self._reporting = self.lexicon.phrase_set("reporting_verbs")
        self._sent_start = 0
        self._text = ""
        self._label_at: dict[tuple[int, int], str] = {}
        self._speakers: dict[int, tuple[int, int]] = {}
        self._quote_speakers: dict[int, tuple[int, int]] = {}  # sentence start -> the quotation's speaker
        self._speech_starts: dict[int, int] = {}  # line start -> where a transcript speaker's speech begins
        self._positions: dict[tuple[str, str], str] = {}  # (holder, target) -> the holder's last label
        self._last_holder: tuple[int, int] | None = None  # the holder of the last stance suggested

    # ---- public

    def suggest(self, doc: Doc, entities: Sequence[SpanDraft] = ()) -> list[SpanDraft]:
        """Stance drafts for ``doc``; ``entities`` are the document's entity drafts
        (holders are linked to them; see :meth:`speaker_entities` for transcripts)."""
        if not self.matcher.targets or not self.labels:
            return []
        parsed = doc.has_annotation("DEP")
        text = self._text = doc.text  # Doc.text joins every token: build it once
        ents = sorted((e for e in entities if e.layer == "entity"), key=lambda e: (e.start, e.end))
        self._label_at = {(e.start, e.end): e.label for e in ents}
        self._speakers = self._line_speakers(text, ents)
        # A dateline names where the story was filed, not who holds a stance.
        datelines = [(m.start(), m.end()) for m in _DATELINE.finditer(text)]
        if datelines:
            starts = [a for a, _b in datelines]

            def in_dateline(pos: int) -> bool:
                k = bisect.bisect_right(starts, pos) - 1
                return k >= 0 and pos < datelines[k][1]

            ents = [e for e in ents if not in_dateline(e.start)]
        self._quote_speakers = self._inside_quotes(doc, text, ents)
        self._positions = {}
        self._last_holder = None
        ent_starts = [e.start for e in ents]
        drafts: list[SpanDraft] = []
        prev: _SentenceResult | None = None
        prev_end = 0
        title_targets: list[str] = []
        topic: list[str] = []  # the targets most recently named in the article
        mentions: dict[str, float] = {}  # how much the article has said about each target
        for n, sent in enumerate(doc.sents):
            s_start, s_end = strip_span(text, sent.start_char, sent.end_char)
            s_start = self._speech_starts.get(s_start, s_start)  # "MURPHY: I think ...": the speech
            if s_start >= s_end:
                continue
            same_paragraph = prev is not None and "\n" not in text[prev_end:s_start]
            if not any(ch.isalpha() for ch in text[s_start:s_end]):
                # A closing quote mark (or other bare punctuation) the sentence
                # splitter left on its own: it ends the sentence before, and is
                # never a stance by itself.
                if same_paragraph:
                    drafts = [replace(d, end=s_end) if d.end == prev_end and d.layer == "stance" else d
                              for d in drafts]
                    prev_end = s_end
                continue
            sent_text = text[s_start:s_end]
            lo = bisect.bisect_left(ent_starts, s_start)
            hi = bisect.bisect_left(ent_starts, s_end)
            sent_ents = [e for e in ents[lo:hi] if e.end <= s_end]
            matches = self.matcher.find(sent_text, s_start, (text[e.start:e.end] for e in sent_ents))
            if n == 0:
                title_targets = _dominant(matches)
                line_end = text.find("\n", s_start)
                if (line_end < 0 or line_end <= s_end) and text[s_end - 1] not in ".!?\"”’'":
                    # A headline: it states the article's topic, nobody's stance.
                    prev, prev_end = _SentenceResult([], None, False), s_end
                    topic = title_targets
                    for name in title_targets:
                        mentions[name] = mentions.get(name, 0.0) + 2.0
                    continue
            out: list[SpanDraft] = []
            # A sentence that names no target speaks about the one just named, or about
            # the article's main one (its headline's, or the one it names most).
            main = max(mentions, key=lambda k: mentions[k]) if mentions else None
            context = list(topic or title_targets)
            if main is not None and main not in context:
                context.append(main)
            result = self._sentence(doc, sent, s_start, s_end, matches, sent_ents, ents, ent_starts, parsed,
                                    prev if same_paragraph else None, context, out)
            drafts += out
            if matches:
                topic = result.targets
                for m in matches:
                    mentions[m.target] = mentions.get(m.target, 0.0) + m.strength
            prev, prev_end = result, s_end
        return drafts

    def speaker_entities(self, text: str, entities: Sequence[SpanDraft]) -> list[SpanDraft]:
        """PERSON drafts for the speaker labels of a transcript ("MURPHY:" at the
        start of a line) that no entity covers yet, so stances can name them."""
        if "PERSON" not in set(self.scheme.label_names("entity")):
            return []
        covered = [(e.start, e.end) for e in entities if e.layer == "entity"]
        extra = []
        for start, end in _speaker_labels(text):
            if not any(a < end and start < b for a, b in covered):
                extra.append(SpanDraft(start, end, "PERSON", "entity", origin=self.origin))
        return extra

    # ---- one sentence

    def _line_speakers(self, text: str, ents: list[SpanDraft]) -> dict[int, tuple[int, int]]:
        """Line start -> the entity of the line's transcript speaker label."""
        speakers: dict[int, tuple[int, int]] = {}
        self._speech_starts = {}
        for start, end in _speaker_labels(text):
            colon = text.find(":", end)
            speech = colon + 1
            while speech < len(text) and text[speech] in " \t":
                speech += 1
            self._speech_starts[text.rfind("\n", 0, start) + 1] = speech
            ent = next((e for e in ents if e.start < end and start < e.end and e.label in _HOLDER_LABELS), None)
            if ent is not None:
                speakers[text.rfind("\n", 0, start) + 1] = (ent.start, ent.end)
        return speakers

    def _inside_quotes(self, doc: Doc, text: str, ents: list[SpanDraft]) -> dict[int, tuple[int, int]]:
        """Sentence start -> the speaker of the quotation it sits in, for quotations of
        several sentences whose speaker is named after they close ('"... . ...," he
        said'): the person named after the closing mark, or the pronoun there."""
        found: dict[int, tuple[int, int]] = {}
        if not any(q in text for q in '"“”'):
            return found
        open_since: list[int] = []  # starts of the sentences inside the open quotation
        is_open = False
        paragraph = -1
        for sent in doc.sents:
            start, end = strip_span(text, sent.start_char, sent.end_char)
            if start >= end:
                continue
            line = text.rfind("\n", 0, start)
            if line != paragraph:
                paragraph, is_open, open_since = line, False, []
            if is_open:
                open_since.append(start)
            for k in range(start, end):
                c = text[k]
                if c in '"“”':
                    closing = c == "”" or (c == '"' and is_open)
                    if closing and is_open and open_since:
                        speaker = self._speaker_after(text, ents, k + 1, end)
                        if speaker is not None:
                            for s_start in open_since:
                                if s_start < k:
                                    found[s_start] = speaker
                        open_since = []
                    is_open = not closing
                    if is_open and not open_since:
                        open_since = [start] if k - start <= 1 else []
            if not is_open:
                open_since = []
        return found

    @staticmethod
    def _speaker_after(text: str, ents: list[SpanDraft], pos: int, end: int) -> tuple[int, int] | None:
        """The speaker named in the reporting clause after a closing quotation mark."""
        clause = text[pos:end]
        if not re.match(r"^[\s,.]*\S", clause) or len(clause) > 160:
            return None
        people = [e for e in ents if pos <= e.start < end and e.label in _HOLDER_LABELS]
        pronoun = re.search(r"\b(he|she)\b", clause, re.IGNORECASE)
        if people and (pronoun is None or people[0].start < pos + pronoun.start()):
            return (people[0].start, people[0].end)
        if pronoun is not None:
            before = [e for e in ents if e.end <= pos and e.label == "PERSON"]
            if before:
                return (before[-1].start, before[-1].end)
        return None

    def _sentence(self, doc: Doc, sent: Span, s_start: int, s_end: int, matches: list[TargetMatch],
                  sent_ents: list[SpanDraft], ents: list[SpanDraft], ent_starts: list[int], parsed: bool,
                  prev: _SentenceResult | None, topic: list[str], out: list[SpanDraft]) -> _SentenceResult:
        tokens = list(sent)
        lowers = [t.lower_ for t in tokens]
        base = self._sent_start = sent.start
        text = self._text
        # A quote: the sentence opens with a quotation mark (or a tokenizer left the
        # opening mark with the previous sentence, right before this one).
        quoted = text[s_start] in _QUOTES or (s_start > 0 and text[s_start - 1] in _QUOTES)
        evidence = self._evidence(tokens, lowers, base, parsed)
        reporting = [(base + i, base + j) for i, j, _ in self._reporting.find(lowers)]
        hedges = [base + i for i, _j, _ in self._hedges.find(lowers)]
        speaker = self._speakers.get(text.rfind("\n", 0, s_start) + 1)
        in_quote = self._quote_speakers.get(s_start)
        if in_quote is not None and not reporting:
            speaker, quoted = in_quote, True  # inside a quotation: its speaker, named where it closes
        carry = list(prev.targets) if prev and prev.targets else []
        carry += [name for name in topic if name not in carry][:max(0, 2 - len(carry))]
        carried = not matches
        if carried and not carry:
            return _SentenceResult([], self._holder_of(doc, None, reporting, sent_ents, ents, ent_starts, parsed,
                                                       prev, quoted, sent, speaker), quoted)
        token_starts = [t.idx for t in tokens]
        by_target: dict[str, list[tuple[str, float, _Evidence | None]]] = {}
        targets_here = sorted({m.target for m in matches}, key=lambda name: self.matcher_index(name))
        match_tokens: dict[str, list[int]] = {}
        for m in matches:
            i = base + max(0, bisect.bisect_right(token_starts, m.start) - 1)
            match_tokens.setdefault(m.target, []).append(i)
        strength = {name: max(m.strength for m in matches if m.target == name) for name in targets_here}
        silenced = self._silenced(doc, evidence, parsed)
        for k, ev in enumerate(evidence):
            if k in silenced:
                continue
            if carried:
                assigned = [(name, 0.6) for name in carry]
            else:
                scope = self._scope(doc, ev, parsed, sent)
                inside = [name for name in targets_here if any(lo <= i < hi for i in match_tokens[name]
                                                              for lo, hi in scope)]
                strong = [name for name in targets_here if strength[name] >= 0.8]
                if inside:
                    assigned = [(name, strength[name]) for name in inside]
                elif parsed and carry and ev.weight >= 0.5 and not set(carry) & set(inside):
                    # "welcomed the move": the cue speaks about the topic under discussion.
                    assigned = [(name, 0.6) for name in carry]
                elif len(strong) == 1:
                    assigned = [(strong[0], 0.8 * strength[strong[0]])]
                elif strong:
                    nearest = min(strong, key=lambda name: min(abs(i - ev.head) for i in match_tokens[name]))
                    assigned = [(nearest, 0.7 * strength[nearest])]
                else:
                    assigned = []
                assigned = [(name, f) for name, f in assigned if strength_ok(name, f, strength)]
            hedge_factor = 0.75 if any(ev.start - 6 <= h < ev.end + 3 and not ev.start <= h < ev.end
                                       for h in hedges) else 1.0
            depth_factor = 1.0 / (1.0 + 0.25 * _depth(doc[ev.head])) if parsed else 1.0
            for name, factor in assigned:
                by_target.setdefault(name, []).append(
                    (ev.label, ev.weight * factor * hedge_factor * depth_factor, ev))
        holder_cache: dict[int | None, tuple[int, int] | None] = {}

        def holder_for(head: int | None) -> tuple[int, int] | None:
            if head not in holder_cache:
                holder_cache[head] = self._holder_of(doc, head, reporting, sent_ents, ents, ent_starts, parsed,
                                                     prev, quoted, sent, speaker)
            return holder_cache[head]

        sentence_holder = holder_for(None)
        # A sentence takes a position when someone is reported, quoted or is the subject;
        # a question takes none.
        speaks = bool(reporting) or quoted or speaker is not None or any(ev.commits for ev in evidence)
        asks = text[s_end - 1] == "?" or text[max(s_start, s_end - 2):s_end] in ('?"', "?”", "?'")
        emitted: list[str] = []
        for name in ([] if asks else carry if carried else targets_here):
            votes = [v for v in by_target.get(name, []) if v[0] in self.labels]
            best_by_label: dict[str, tuple[float, _Evidence | None]] = {}
            for label, weight, ev in votes:
                if label not in best_by_label or weight > best_by_label[label][0]:
                    best_by_label[label] = (weight, ev)
            if best_by_label:
                label = max(best_by_label, key=lambda lab: best_by_label[lab][0])
                weight, ev = best_by_label[label]
                rival = max((w for lab, (w, _) in best_by_label.items() if lab != label), default=0.0)
                holder = holder_for(ev.head if ev is not None else None) or sentence_holder
                if carried and (holder is None or weight < 0.15):
                    continue  # a stance on a target the sentence does not name needs someone holding it
                score = 0.3 + 0.55 * weight + (0.1 if holder else 0.0) - 0.35 * rival
                cue = doc[ev.start:ev.end].text if ev is not None else ""
                if ev is not None and ev.negated:
                    cue = f"negated: {_negation_context(doc, ev, sent.start)}"
            else:
                # Recall first: a holder speaking about the target gets a suggestion even
                # without a cue: the holder's earlier position on it, or NEUTRAL, faintly.
                holder = sentence_holder
                if holder is None or not speaks:
                    continue
                known = self._positions.get((_holder_key(text, holder), name))
                if known is not None and known in self.labels:
                    label, score, cue = known, 0.3, "no stance cue; the holder's position earlier in the article"
                elif "NEUTRAL" in self.labels:
                    label, score, cue = "NEUTRAL", 0.2, "reported speech, no stance cue"
                else:
                    continue
            score = round(min(0.95, max(0.05, score)), 3)
            if carried:
                cue += " (target from context)"
            holders = self._coordinated(doc, holder, ents, ent_starts, sent) if parsed and holder else [holder]
            for h in holders:
                out.append(SpanDraft(s_start, s_end, label, "stance", target=name, holder=h, score=score,
                                     cue=cue.strip(), origin=self.origin))
                if h is not None:
                    self._last_holder = h
                    if label != "NEUTRAL":
                        self._positions[(_holder_key(text, h), name)] = label
            emitted.append(name)
        return _SentenceResult(targets_here or (carry if emitted else []), sentence_holder, quoted)

    def _coordinated(self, doc: Doc, holder: tuple[int, int], ents: list[SpanDraft], ent_starts: list[int],
                     sent: Span) -> list[tuple[int, int]]:
        """The holder and the entities coordinated with it ("the Social Democrats and
        the Greens said"): one stance each."""
        tok = next((t for t in sent if t.idx <= holder[0] < t.idx + len(t)), None)
        if tok is None:
            return [holder]
        found = [holder]
        head = tok
        while head.dep_ in ("compound", "amod", "det") and head.head.i != head.i:
            head = head.head
        for conj in head.conjuncts:
            k = bisect.bisect_right(ent_starts, conj.idx) - 1
            while k >= 0 and ents[k].end > conj.idx:
                e = ents[k]
                if e.start <= conj.idx and e.label in _HOLDER_LABELS and (e.start, e.end) not in found:
                    found.append((e.start, e.end))
                    break
                k -= 1
        return found

    def matcher_index(self, name: str) -> int:
        return next((i for i, t in enumerate(self.matcher.targets) if t.name == name), 0)

    # ---- cues, negation, scope

    def _evidence(self, tokens: list[Token], lowers: list[str], base: int, parsed: bool) -> list[_Evidence]:
        negator_at = {base + i: (base + j) for i, j, _ in self._negators.find(lowers)}
        negating = self._negating.find(lowers)
        cue_hits = self._cues.find(lowers)
        found: list[_Evidence] = []
        covered: set[int] = set()
        for i, j, cue in cue_hits:
            if cue.label not in STANCE_LABELS:
                continue
            start, end = base + i, base + j
            covered.update(range(start, end))
            head = _phrase_head(tokens[i:j]) if parsed else start
            neg_start = self._negation(tokens, i, j, head, negator_at, negating, base, parsed)
            negated = neg_start is not None
            label = cue.label_when(negated)
            if label is None:
                continue
            found.append(_Evidence(cue.phrase, label, cue.weight, head, start, end, negated, cue.commits,
                                   neg_start))
        # A negating verb that negates no cue ("refused to extend ...") is itself a refusal.
        for i, j, _phrase in negating:
            if base + i in covered:
                continue
            if any(base + i < ev.start <= base + i + 4 or (parsed and _governs(tokens[i], ev.head)) for ev in found):
                continue
            head = _phrase_head(tokens[i:j]) if parsed else base + i
            found.append(_Evidence(" ".join(lowers[i:j]), "AGAINST", 0.4, head, base + i, base + j, False, True))
        if parsed:
            found += self._negated_predicates(tokens, found)
        return found

    def _negated_predicates(self, tokens: list[Token], found: list[_Evidence]) -> list[_Evidence]:
        """Negated verbs with no cue of their own ("will not go", "no soldiers would fight"):
        saying that something will not happen is a stance against it."""
        heads = {ev.head for ev in found}
        spans = [(ev.start, ev.end) for ev in found]
        extra: list[_Evidence] = []
        for tok in tokens:
            if tok.dep_ == "neg" and tok.head.pos_ in ("VERB", "AUX"):
                verb, neg = tok.head, tok
            elif tok.dep_ == "det" and tok.lower_ in ("no", "neither") and tok.head.dep_ in ("nsubj", "nsubjpass"):
                verb, neg = tok.head.head, tok
            else:
                continue
            if verb.i in heads or any(a <= verb.i < b for a, b in spans):
                continue
            if verb.lemma_ in ("say", "tell", "know", "be") and verb.pos_ != "VERB":
                continue
            heads.add(verb.i)
            start = min(neg.i, verb.i)
            extra.append(_Evidence(f"negated {verb.lower_}", "AGAINST", 0.45, verb.i, verb.i, verb.i + 1, True,
                                   True, start))
        return extra

    def _negation(self, tokens: list[Token], i: int, j: int, head: int, negator_at: dict[int, int],
                  negating: list[tuple[int, int, Any]], base: int, parsed: bool) -> int | None:
        """Token index where a negation of the cue ``tokens[i:j]`` begins, or None."""
        start = base + i
        noun_cue = parsed and tokens[0].doc[head].pos_ in ("NOUN", "PROPN")
        # A negator or negating verb shortly before the cue, in the same clause.
        for k in range(max(0, i - 3), i):
            if tokens[k].is_punct or (noun_cue and tokens[k].lower_ == "not"):
                continue
            if (base + k in negator_at and negator_at[base + k] <= start
                    and not any(tokens[m].is_punct for m in range(k, i))):
                return base + k
        for a, b, _ in negating:
            if b <= i and i - b <= 2 and not any(tokens[m].is_punct for m in range(b, i)):
                return base + a
        if not parsed:
            return None
        tok = tokens[0].doc[head]
        seen = 0
        while seen < 3:
            neg = next((c for c in tok.children if c.dep_ == "neg"), None)
            if neg is not None and not (noun_cue and tok.i == head):
                return min(neg.i, start)
            # "No soldiers will be sent", "not one more dollar should go": a negative
            # determiner or quantifier on the subject.
            for c in tok.children:
                if c.dep_ in ("nsubj", "nsubjpass"):
                    det = next((d for d in c.subtree if d.i < c.i and (
                        (d.dep_ == "det" and d.lower_ in ("no", "neither"))
                        or (d.lower_ == "not" and d.head.dep_ in ("nummod", "amod", "det", "quantmod"))
                        or (d.lower_ == "not" and d.head.i == c.i))), None)
                    if det is not None:
                        return min(det.i, start)
            if tok.dep_ not in ("xcomp", "acomp", "attr", "aux", "auxpass", "dobj") or tok.head.i == tok.i:
                break
            tok = tok.head
            if _in_phrase_set(self._negating, tok):
                return min(tok.i, start)
            seen += 1
        return None

    def _silenced(self, doc: Doc, evidence: list[_Evidence], parsed: bool) -> set[int]:
        """Committal cues inside the scope of a non-committal one are ignored."""
        quiet: set[int] = set()
        for nc in (e for e in evidence if not e.commits):
            for k, ev in enumerate(evidence):
                if not ev.commits and ev is nc:
                    continue
                if not ev.commits:
                    continue
                if parsed:
                    inside = ev.head != nc.head and ev.head in _subtree_without(doc[nc.head], _SCOPE_STOP_DEPS)
                else:
                    inside = nc.end <= ev.start <= nc.end + 12
                if inside:
                    quiet.add(k)
        return quiet

    def _scope(self, doc: Doc, ev: _Evidence, parsed: bool, sent: Span) -> list[tuple[int, int]]:
        if parsed:
            head = doc[ev.head]
            root = head
            # Nouns and adjectives speak about their clause: "pose a threat", "is irreversible".
            if head.pos_ in ("NOUN", "ADJ", "PROPN") and head.dep_ in ("dobj", "attr", "acomp", "pobj", "oprd"):
                root = head.head if head.dep_ != "pobj" else head.head.head
            return _contiguous(_subtree_without(root, _SCOPE_STOP_DEPS | {"ccomp"} if root.i != head.i
                                                else _SCOPE_STOP_DEPS))
        # Without a parse: the clause around the cue, between breaks.
        lo = ev.start
        while lo > sent.start and doc[lo - 1].lower_ not in _CLAUSE_BREAKS:
            lo -= 1
        hi = ev.end
        while hi < sent.end and doc[hi].lower_ not in _CLAUSE_BREAKS:
            hi += 1
        return [(lo, hi)]

    # ---- holder

    def _last_holder_entity(self, ents: list[SpanDraft], before: int) -> SpanDraft | None:
        """The entity that held the last stance suggested before ``before``."""
        if self._last_holder is None or self._last_holder[1] > before:
            return None
        return next((e for e in ents if (e.start, e.end) == self._last_holder), None)

    def _holder_of(self, doc: Doc, head: int | None, reporting: list[tuple[int, int]], sent_ents: list[SpanDraft],
                   ents: list[SpanDraft], ent_starts: list[int], parsed: bool, prev: _SentenceResult | None,
                   quoted: bool, sent: Span | None = None,
                   speaker: tuple[int, int] | None = None) -> tuple[int, int] | None:
        def entity_at(char: int) -> SpanDraft | None:
            k = bisect.bisect_right(ent_starts, char) - 1
            while k >= 0 and ents[k].start <= char:
                if ents[k].end > char and ents[k].label in _HOLDER_LABELS:
                    return ents[k]
                k -= 1
            return None

        def last_person_before(char: int) -> SpanDraft | None:
            k = bisect.bisect_left(ent_starts, char) - 1
            while k >= 0:
                if ents[k].label == "PERSON" and ents[k].end <= char and ents[k].end - ents[k].start > 1:
                    return ents[k]
                k -= 1
            return None

        def resolve(tok: Token) -> SpanDraft | None | bool:
            lower = tok.lower_
            if lower in _FIRST_PERSON:
                return False  # the speaker: keep looking up for the reporting verb
            if lower in _PERSONAL:
                # "he said": the person named last, else whoever held the last stance
                # (a pipeline may have tagged the person as something else).
                return last_person_before(tok.idx) or self._last_holder_entity(ents, tok.idx)
            if lower in _RELATIVE and tok.head.dep_ == "relcl":
                return resolve(tok.head.head)
            ent = entity_at(tok.idx)
            if ent is not None and ent.label == "PERSON":
                return ent
            # "Kremlin spokesman Dmitry Peskov", "a Pentagon spokesman": look inside the phrase.
            inner = [entity_at(c.idx) for c in tok.subtree if c.i != tok.i]
            inner = [e for e in inner if e is not None]
            person = next((e for e in inner if e.label == "PERSON"), None)
            if person is None and ent is None and lower in _TITLES and not any(
                    c.dep_ == "det" and c.lower_ in _INDEFINITE for c in tok.children):
                # "the chancellor said": the nearest person named before ("a spokesman"
                # is someone new).
                return last_person_before(tok.idx) or self._last_holder_entity(ents, tok.idx)
            return person or ent or (inner[0] if inner else None)

        candidates: list[SpanDraft] = []
        if parsed:
            starts = [doc[head]] if head is not None else []
            starts += [doc[a] for a, _b in reporting]
            if sent is not None:
                starts.append(sent.root)
            for tok in starts:
                steps = 0
                while steps < 8:
                    subjects = [c for c in tok.children if c.dep_ in ("nsubj", "nsubjpass")]
                    if not subjects and tok.dep_ == "relcl":
                        subjects = [tok.head]  # "Medvedev, who wrote that ...": the noun the clause describes
                    # A parse may give a verb two subjects (a dateline and the person): a person first.
                    resolved = [got for got in (resolve(c) for c in subjects if c.i != tok.i) if got]
                    resolved.sort(key=lambda e: e.label != "PERSON")
                    if resolved:
                        candidates.append(resolved[0])
                        if resolved[0].label == "PERSON":
                            break
                    if tok.head.i == tok.i:
                        break
                    tok = tok.head
                    steps += 1
                if candidates and candidates[-1].label == "PERSON":
                    break
            # "said Fico", "according to the minister": the agent after the verb.
            if not candidates:
                for a, _b in reporting:
                    for c in doc[a].children:
                        if c.dep_ in ("nsubj", "agent", "pobj", "dobj") and c.i > a:
                            got = resolve(c)
                            if got:
                                candidates.append(got)
        else:
            for a, b in reporting:
                last = doc[b - 1]
                after = [e for e in sent_ents if e.start >= last.idx + len(last)][:1]
                if after and after[0].label == "PERSON" and after[0].start - (last.idx + len(last)) <= 2:
                    candidates.append(after[0])
                before = [e for e in sent_ents if e.end <= doc[a].idx and e.label in _HOLDER_LABELS]
                candidates += [e for e in reversed(before) if e.label == "PERSON"][:1]
                for k in range(max(self._sent_start, a - 3), a):
                    if doc[k].lower_ in _PERSONAL or doc[k].lower_ in _TITLES:
                        found = last_person_before(doc[k].idx)
                        if found:
                            candidates.append(found)
                candidates += before[-1:]
            if head is not None:
                people = [e for e in sent_ents if e.label == "PERSON" and e.end <= doc[head].idx]
                candidates += people[-1:]
            if not candidates and sent is not None:
                # The sentence's subject: an entity among its first words, or a pronoun.
                first = next((t for t in sent[:6] if not t.is_punct), None)
                opening = [e for e in sent_ents if e.label in _HOLDER_LABELS and e.start <= sent[min(5, len(sent) - 1)].idx]
                if opening:
                    candidates.append(opening[0])
                elif first is not None and first.lower_ in _PERSONAL:
                    found = last_person_before(first.idx)
                    if found:
                        candidates.append(found)
        chosen = next((c for c in candidates if c.label == "PERSON"), candidates[0] if candidates else None)
        if quoted and not reporting and prev is not None and prev.quoted and prev.holder:
            return prev.holder  # a quote that goes on: its speaker says it, whoever its subject is
        if speaker is not None and (chosen is None or not reporting):
            return speaker  # a transcript line or a quotation: its speaker says it, unless it reports another
        if chosen is not None:
            return (chosen.start, chosen.end)
        if quoted and prev is not None and prev.quoted and prev.holder:
            return prev.holder
        if quoted and prev is not None and prev.holder and not reporting:
            return prev.holder  # a quote after the sentence that introduced its speaker
        return None


# -- helpers -----------------------------------------------------------------------------

def _speaker_labels(text: str) -> list[tuple[int, int]]:
    """Offsets of the transcript speaker labels ("MURPHY:", "VAN DER STRAETEN (recorded):")
    at the starts of lines, without the broadcast's own roles (HOST, ANCHOR, ...)."""
    found = []
    for m in _SPEAKER_LABEL.finditer(text):
        name = m.group(1).strip()
        if name and name.upper() == name and name not in _ROLE_LABELS and any(c.isalpha() for c in name):
            found.append((m.start(1), m.start(1) + len(name)))
    return found


def _holder_key(text: str, span: tuple[int, int]) -> str:
    """Who a holder is across mentions: the last word of its name ("Olaf Scholz" = "SCHOLZ")."""
    words = text[span[0]:span[1]].replace("’", "'").split()
    return words[-1].removesuffix("'s").lower() if words else ""


def strength_ok(name: str, factor: float, strength: dict[str, float]) -> bool:
    """Entity-only target matches need the cue to speak about them directly."""
    return strength.get(name, 1.0) > 0.5 or factor >= 0.5


def _dominant(matches: list[TargetMatch]) -> list[str]:
    if not matches:
        return []
    score: dict[str, float] = {}
    for m in matches:
        score[m.target] = score.get(m.target, 0.0) + m.strength
    best = max(score.values())
    top = [name for name, s in score.items() if s == best]
    return top if len(top) == 1 else []


def _phrase_head(tokens: Sequence[Token]) -> int:
    inside = {t.i for t in tokens}
    for t in tokens:
        if t.head.i not in inside or t.head.i == t.i:
            return t.i
    return tokens[0].i


def _depth(tok: Token) -> int:
    depth = 0
    while tok.head.i != tok.i and depth < 10:
        if tok.dep_ not in ("xcomp", "aux", "auxpass", "prep", "pcomp", "acomp", "ccomp"):
            depth += 1
        tok = tok.head
    return depth


def _governs(ancestor: Token, index: int) -> bool:
    return ancestor.left_edge.i <= index <= ancestor.right_edge.i and any(
        t.i == index for t in ancestor.subtree)


def _subtree_without(root: Token, stop: set[str]) -> list[int]:
    keep: list[int] = []
    stack = [root]
    while stack:
        tok = stack.pop()
        keep.append(tok.i)
        stack.extend(c for c in tok.children if c.dep_ not in stop)
    return sorted(keep)


def _contiguous(indices: list[int]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for i in indices:
        if ranges and ranges[-1][1] == i:
            ranges[-1] = (ranges[-1][0], i + 1)
        else:
            ranges.append((i, i + 1))
    return ranges


def _in_phrase_set(phrases: PhraseSet, tok: Token) -> bool:
    return bool(phrases.find([tok.lower_]))


def _negation_context(doc: Doc, ev: _Evidence, sent_start: int) -> str:
    start = ev.start if ev.neg_start is None else min(ev.neg_start, ev.start)
    if start > sent_start and doc[start - 1].lower_ in _AUXILIARIES:
        start -= 1  # "did not rule out" reads better than "not rule out"
    if ev.start - start > 6:  # a distant negation: show both ends
        return f"{doc[start].text} ... {doc[ev.start:ev.end].text}"
    return doc[start:ev.end].text
