"""Decision memory: what people decided about exact strings, applied to suggestions.

Every entity a person accepted, corrected or wrote teaches "this string is LABEL";
every rejection teaches "this string is not LABEL" (the rows come from the
project's ``memory`` table, kept by triggers on its spans). When suggesting:

* a string with one taught label (and no rejection of that label) gets it, wherever
  it occurs as whole tokens, whatever the model said: memory beats the model,
  except that it never cuts a longer model entity holding it ("Macron" inside
  "Emmanuel Macron" leaves the longer entity as the model labelled it);
* a model entity whose string was only ever rejected with the model's label is
  dropped;
* a string decided both ways (accepted and rejected with one label, or accepted
  with two labels) is left to the model, and its suggestion says so in its cue.

Strings are compared with whitespace collapsed, and case-insensitively for name
labels (PERSON, GPE, ...): "KYIV" in a headline is the "Kyiv" of the body. Labels
of quantities and times (DATE, MONEY, ...) compare case and all ("May" the month
is not "may"). Article counts are summed over the spellings of one string.

A person's decision in the open article still beats memory: the suggestion
service drops memory suggestions that overlap a span decided in that article.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from annotator.core.model import SpanDraft

__all__ = ["ORIGIN_MEMORY", "DecisionMemory", "Verdict", "is_name_label", "memory_key"]

ORIGIN_MEMORY = "memory"

#: Entity labels that are not names: their strings compare case-sensitively.
NON_NAME_LABELS = frozenset({"DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"})

_SPACES = re.compile(r"\s+")
_LEAD = re.compile(r"\w+|\S")


def is_name_label(label: str) -> bool:
    return label not in NON_NAME_LABELS


def memory_key(text: str, *, fold: bool) -> str:
    key = _SPACES.sub(" ", text.strip())
    return key.casefold() if fold else key


def _lead(key: str) -> str:
    m = _LEAD.match(key)
    return m.group(0).casefold() if m else ""


def _articles(n: int) -> str:
    return f"{n} article{'s' if n != 1 else ''}"


@dataclass(slots=True)
class Verdict:
    """What memory says about one string."""

    accepted: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)

    @property
    def conflict(self) -> bool:
        return len(self.accepted) > 1 or any(label in self.rejected for label in self.accepted)

    @property
    def label(self) -> str | None:
        """The one label taught for the string (None when none, or conflicting)."""
        if len(self.accepted) == 1 and not self.conflict:
            return next(iter(self.accepted))
        return None

    def explain(self) -> str:
        """One line for a tooltip: "you labelled this GPE in 3 articles"."""
        if self.conflict:
            said = [f"{label} in {_articles(n)}" for label, n in sorted(self.accepted.items())]
            said += [f"not {label} in {_articles(n)}" for label, n in sorted(self.rejected.items())]
            return "conflicting decisions (" + ", ".join(said) + "): left to the model"
        if self.label is not None:
            return f"you labelled this {self.label} in {_articles(self.accepted[self.label])}"
        return "you rejected this as " + ", ".join(f"{label} in {_articles(n)}"
                                                    for label, n in sorted(self.rejected.items()))

    def _add(self, label: str, positive: bool, n: int) -> None:
        table = self.accepted if positive else self.rejected
        table[label] = table.get(label, 0) + n
        if table[label] <= 0:
            del table[label]


class DecisionMemory:
    """An in-memory index of decided strings, built from the project's memory rows.

    Parameters
    ----------
    rows:
        (string, label, is-that-label, number of articles) tuples
        (:func:`annotator.storage.memory.memory_rows`).
    generation:
        The project's memory generation the rows were read at.
    """

    def __init__(self, rows: Iterable[tuple[str, str, bool, int]] = (), *, generation: int = 0) -> None:
        self.generation = generation
        self._counts: dict[tuple[str, str, bool], int] = {}
        self._folded: dict[str, Verdict] = {}
        self._exact: dict[str, Verdict] = {}
        # For the scan: the leading word of every string that ever had one taught
        # label, and the longest such string (a longer candidate cannot match).
        # Both only grow: a stale entry costs a lookup, never a wrong answer.
        self._leads: set[str] = set()
        self._max_chars = 0
        self.update(rows)

    def update(self, rows: Iterable[tuple[str, str, bool, int]], *, generation: int | None = None) -> None:
        """Apply rows as they are now: each gives the number of articles for one
        (string, label, verdict); 0 removes it (a decision was un-taught)."""
        for text, label, positive, n in rows:
            fold = is_name_label(label)
            key = memory_key(text, fold=fold)
            if not key:
                continue
            raw = (text, label, bool(positive))
            old = self._counts.pop(raw, 0)
            if n > 0:
                self._counts[raw] = n
            if n == old:
                continue
            table = self._folded if fold else self._exact
            verdict = table.setdefault(key, Verdict())
            verdict._add(label, bool(positive), n - old)
            if not verdict.accepted and not verdict.rejected:
                del table[key]
            elif verdict.label is not None:
                self._leads.add(_lead(key))
                self._max_chars = max(self._max_chars, len(key))
        if generation is not None:
            self.generation = generation

    def __len__(self) -> int:
        return len(self._folded) + len(self._exact)

    def verdict(self, text: str) -> Verdict | None:
        """What memory says about ``text`` (None when it was never decided)."""
        folded = self._folded.get(memory_key(text, fold=True))
        exact = self._exact.get(memory_key(text, fold=False))
        if folded is None or exact is None:
            return folded or exact
        merged = Verdict(dict(folded.accepted), dict(folded.rejected))
        for label, n in exact.accepted.items():
            merged._add(label, True, n)
        for label, n in exact.rejected.items():
            merged._add(label, False, n)
        return merged

    def find(self, text: str, tokens: Sequence[tuple[int, int]]) -> list[tuple[int, int, Verdict]]:
        """Occurrences of taught strings in ``text``, as whole tokens: the longest at
        each position, left to right, never overlapping."""
        found: list[tuple[int, int, Verdict]] = []
        if not self._leads:
            return found
        limit = 2 * self._max_chars + 8  # room for runs of whitespace the key collapsed
        i, n = 0, len(tokens)
        while i < n:
            start = tokens[i][0]
            if _lead(text[start:tokens[i][1]]) not in self._leads:
                i += 1
                continue
            best: tuple[int, int, Verdict] | None = None
            best_j = i
            j = i
            while j < n and tokens[j][1] - start <= limit:
                verdict = self.verdict(text[start:tokens[j][1]])
                if verdict is not None and verdict.label is not None:
                    best, best_j = (start, tokens[j][1], verdict), j
                j += 1
            if best is None:
                i += 1
            else:
                found.append(best)
                i = best_j + 1
        return found

    def apply(self, text: str, tokens: Sequence[tuple[int, int]], drafts: Sequence[SpanDraft]) -> list[SpanDraft]:
        """The entity drafts of ``drafts`` with memory applied (stance drafts pass
        through unchanged), in text order."""
        if not len(self):
            return list(drafts)
        entities = [d for d in drafts if d.layer == "entity"]
        others = [d for d in drafts if d.layer != "entity"]
        found = self.find(text, tokens)
        taken = {(s, e) for s, e, _v in found}
        # A remembered string inside a longer model entity ("Macron" in "Emmanuel
        # Macron") never cuts it: the longer entity stays, with the model's label.
        longer = [d for d in entities if (d.start, d.end) not in taken
                  and not any(d.start < e and s < d.end and not (d.start <= s and e <= d.end) for s, e in taken)]
        inner = {(s, e) for s, e in taken if any(d.start <= s and e <= d.end for d in longer)}
        found = [f for f in found if (f[0], f[1]) not in inner]
        taken -= inner
        out: list[SpanDraft] = []
        for d in entities:
            if (d.start, d.end) in taken:
                continue  # memory's own suggestion below replaces it
            if any(d.start < e and s < d.end for s, e in taken):
                continue  # memory beats a model entity it overlaps without lying inside it
            verdict = self.verdict(text[d.start:d.end])
            if verdict is None:
                out.append(d)
            elif verdict.conflict:
                out.append(replace(d, cue=f"memory: {verdict.explain()}"))
            elif verdict.label is None and d.label in verdict.rejected:
                continue  # only ever rejected with this label
            else:
                out.append(d)
        model_labels = {(d.start, d.end): d.label for d in entities}
        for s, e, verdict in found:
            label = verdict.label
            assert label is not None
            cue = verdict.explain()
            said = model_labels.get((s, e))
            if said is not None and said != label:
                cue += f" (the model said {said})"
            out.append(SpanDraft(s, e, label, "entity", origin=ORIGIN_MEMORY, cue=cue))
        out.sort(key=lambda d: (d.start, d.end))
        return out + others
