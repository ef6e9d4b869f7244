"""spaCy training data: ``train.spacy`` / ``dev.spacy`` DocBins and a ready ``config.cfg``.

One ``Doc`` per article, tokenised by the tokenizer the service passes in (the same
one the generated config trains with, so the training corpus re-tokenises to the
same tokens):

* entities in ``doc.ents``, overlaps resolved longest first (dropped ones reported);
  finished documents mark every other token ``O``, unfinished ones (``--all``)
  leave it missing so the recogniser is not taught "no entity here"; the tokens
  of an entity that cannot be aligned to tokens (listed in the report) stay
  missing too, never ``O``, and so do the tokens under an entity suggestion
  nobody decided in a finished document;
* every aligned entity also in ``doc.spans["sc"]`` (overlaps allowed there);
* stances in ``doc.spans["stance"]``: ``label_`` = FAVOR/AGAINST/NEUTRAL,
  ``kb_id_`` = target, ``id_`` = our span id; the group's ``attrs["holders"]`` maps
  a stance's id to the (start_char, end_char) of the entity holding it. The group
  is always set, so an article without stances counts as annotated.

A project too large for one DocBin (spaCy cannot serialise one over 2 GB, E870)
is written in shards: when a part's estimated size passes ``options.shard_bytes``,
its docs go to ``train/train-0000.spacy``, ``train/train-0001.spacy``, … (and the
same for dev), and ``config.cfg`` names the folders in ``paths.train`` and
``paths.dev``: spaCy's corpus reader takes every ``.spacy`` file under a folder.

``config.cfg`` comes from spaCy's own ``init config`` (ner plus spancat on the
``stance`` key), with the spancat suggester widened to the stance lengths found in
the data and the score weights fixed for the non-default spans key.

With ``stance_docs``, one extra doc per (stance span, target) in the SemEval-2016 /
P-Stance layout (text = ``"{target}: {unit}"``, one-hot ``doc.cats``) goes to
``stance-train.spacy`` / ``stance-dev.spacy`` with a ``stance-config.cfg`` for an
exclusive ``textcat``. They live in their own files because a ``textcat`` reading
the article docs (no category) would count them as wrong (``debug data`` fails,
the scorer counts false positives); the split is the articles' split.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotator.formats.export import (
    ExportItem,
    ExportOptions,
    ExportReport,
    atomic_path,
    exporter,
    inside,
    tokenize,
)
from annotator.formats.export.align import (
    align_item,
    longest_first,
    make_span,
    report_overlaps,
    unaligned_entity_tokens,
    undecided_tokens,
)

if TYPE_CHECKING:
    from spacy.language import Language

STANCE_KEY = "stance"
SC_KEY = "sc"
#: How a (unit, target) pair becomes the text of a stance doc: the classifier must
#: see the target, because one sentence can hold different stances toward two targets.
STANCE_DOC_TEMPLATE = "{target}: {text}"


@exporter("spacy", description="spaCy DocBins (train.spacy, dev.spacy) and a ready config.cfg",
          tokenized=True, filename=None)
def write_spacy(items: Iterable[ExportItem], *, folder: Path, options: ExportOptions, report: ExportReport,
                nlp: Language) -> list[Path]:
    from spacy.tokens import SpanGroup

    bins = {part: ShardedDocBin(folder, part, limit=options.shard_bytes) for part in ("train", "dev")}
    stance_bins = {part: ShardedDocBin(folder, f"stance-{part}", limit=options.shard_bytes, store_user_data=True)
                   for part in ("train", "dev")}
    stance_labels = options.scheme.label_names("stance")
    lengths: list[int] = []
    entity_labels: set[str] = set()
    seen_stance_labels: set[str] = set()
    conflicts: list[dict[str, Any]] = []
    for item in items:
        text = item.document.text
        doc = tokenize(nlp, text)
        entities, stances = align_item(doc, item.spans, report, text)
        kept, dropped = longest_first(entities)
        report_overlaps(dropped, text, report)
        unaligned = sorted({*unaligned_entity_tokens(doc, item.spans, entities, kept),
                            *undecided_tokens(doc, item.undecided, kept)})
        doc.set_ents([make_span(doc, a, label=a.span.label) for a in kept],
                     missing=[doc[i:i + 1] for i in unaligned],
                     default="outside" if item.status == "done" else "missing")
        sc = []
        seen: set[tuple[int, int, str]] = set()
        for a in entities:
            key = (a.start, a.end, a.span.label)
            if key in seen:
                continue
            seen.add(key)
            sc.append(make_span(doc, a, label=a.span.label, span_id=_sid(a.span.id)))
            report.count("entity", a.span.label)
            entity_labels.add(a.span.label)
        doc.spans[SC_KEY] = sc
        group = []
        holders: dict[str, list[int]] = {}
        for a in stances:
            span = a.span
            group.append(make_span(doc, a, label=span.label, kb_id=span.target or "", span_id=_sid(span.id)))
            if span.id in item.holders:
                holders[_sid(span.id)] = list(item.holders[span.id])
            report.count("stance", span.label)
            seen_stance_labels.add(span.label)
            lengths.append(a.end - a.start)
        doc.spans[STANCE_KEY] = SpanGroup(doc, name=STANCE_KEY, spans=group, attrs={"holders": holders})
        part = "dev" if item.document.id in options.dev_ids else "train"
        bins[part].add(doc)
        if options.stance_docs:
            for unit in _stance_docs(nlp, item, stances, stance_labels, conflicts):
                stance_bins[part].add(unit)
        report.documents += 1

    written: list[Path] = []
    for docbin in bins.values():
        written.extend(docbin.close())
    sharded = any(b.sharded for b in bins.values())
    if sharded:
        report.extra["shards"] = {part: b.shards for part, b in bins.items()}
    report.extra["paths"] = {part: str(b.corpus_path) for part, b in bins.items()}
    components = (["ner"] if entity_labels else []) + (["spancat"] if seen_stance_labels else [])
    if components:
        config = training_config(lang=options.lang, components=components,
                                 min_size=min(lengths, default=1), max_size=max(lengths, default=1))
        if sharded:
            # Absolute: spaCy resolves config paths against the folder it is run from.
            config["paths"]["train"] = str(bins["train"].corpus_path.resolve())
            config["paths"]["dev"] = str(bins["dev"].corpus_path.resolve())
        written.append(_write_config(config, inside(folder, "config.cfg")))
    else:
        report.extra["config"] = "not written: no entity or stance spans to train on"
    if options.stance_docs:
        n = {part: len(b) for part, b in stance_bins.items()}
        report.extra["stance_docs"] = n
        report.extra["stance_conflicts"] = conflicts
        for docbin in stance_bins.values():
            written.extend(docbin.close())
        if len(stance_labels) >= 2 and n["train"] and n["dev"]:
            written.append(_write_config(stance_config(lang=options.lang), inside(folder, "stance-config.cfg")))
        else:
            report.extra["stance_config"] = ("not written: textcat needs at least two stance labels "
                                             "and stance docs in both train and dev")
    return written


class ShardedDocBin:
    """A DocBin for one part (``train``, ``dev``) that splits itself into numbered
    shards once its estimated size passes ``limit``.

    Unsharded, it writes ``{name}.spacy`` as always. From the first shard on, docs
    go to ``{name}/{name}-NNNN.spacy``; shards an earlier export left there under
    those names are removed first, so spaCy, which reads every ``.spacy`` file under
    the folder, never mixes two exports. Docs are freed as each shard is written.
    """

    def __init__(self, folder: Path, name: str, *, limit: int, store_user_data: bool = False) -> None:
        self.folder = folder
        self.name = name
        self.limit = max(1, limit)
        self.store_user_data = store_user_data
        self.shards = 0
        self._bin = None
        self._size = 0
        self._count = 0
        self.written: list[Path] = []

    @property
    def sharded(self) -> bool:
        return self.shards > 0

    @property
    def corpus_path(self) -> Path:
        """What ``paths.train``/``paths.dev`` name: the file, or the shards' folder."""
        return self.folder / self.name if self.sharded else self.folder / f"{self.name}.spacy"

    def __len__(self) -> int:
        return self._count

    def add(self, doc) -> None:
        from spacy.tokens import DocBin

        size = _estimate_bytes(doc)
        if self._bin is not None and len(self._bin) and self._size + size > self.limit:
            self._flush()
        if self._bin is None:
            self._bin = DocBin(store_user_data=self.store_user_data)
            self._size = 0
        self._bin.add(doc)
        self._size += size
        self._count += 1

    def _flush(self) -> None:
        shard_dir = self.folder / self.name
        if not self.sharded:
            shard_dir.mkdir(exist_ok=True)
            for stale in shard_dir.glob(f"{self.name}-[0-9][0-9][0-9][0-9].spacy"):
                stale.unlink()
        path = inside(self.folder, f"{self.name}/{self.name}-{self.shards:04d}.spacy")
        with atomic_path(path) as tmp:
            self._bin.to_disk(tmp)
        self.written.append(path)
        self.shards += 1
        self._bin = None

    def close(self) -> list[Path]:
        """Write what is left; the files written, in order."""
        from spacy.tokens import DocBin

        if self.sharded:
            if self._bin is not None and len(self._bin):
                self._flush()
            return self.written
        path = inside(self.folder, f"{self.name}.spacy")
        with atomic_path(path) as tmp:
            (self._bin or DocBin(store_user_data=self.store_user_data)).to_disk(tmp)
        self.written.append(path)
        return self.written


def _estimate_bytes(doc) -> int:
    """What ``doc`` adds to a DocBin before compression: one uint64 per token and
    attribute (spaCy keeps about a dozen), its strings, and its span groups."""
    spans = sum(len(group) for group in doc.spans.values()) + len(doc.ents)
    return 8 * 13 * len(doc) + 2 * len(doc.text.encode("utf-8")) + 64 * spans


def _sid(span_id: int | None) -> str:
    return "" if span_id is None else str(span_id)


def _stance_docs(nlp: Language, item: ExportItem, stances: list, labels: list[str],
                 conflicts: list[dict[str, Any]]) -> list:
    """One doc per (unit, target), one-hot over the scheme's stance labels."""
    text = item.document.text
    by_unit: dict[tuple[int, int, str], list] = {}
    for a in stances:
        by_unit.setdefault((a.start_char, a.end_char, a.span.target or ""), []).append(a)
    docs = []
    for (start, end, target), units in sorted(by_unit.items()):
        found = sorted({a.span.label for a in units})
        if len(found) > 1:
            conflicts.append({"doc_id": item.document.id, "start": start, "end": end, "target": target,
                              "labels": found, "ids": sorted(a.span.id for a in units if a.span.id is not None),
                              "reason": "one unit holds different stances toward the same target; no stance doc"})
            continue
        label = found[0]
        unit = nlp.make_doc(STANCE_DOC_TEMPLATE.format(target=target, text=text[start:end]))
        unit.cats = {name: 1.0 if name == label else 0.0 for name in [*labels, *([label] if label not in labels else [])]}
        first = units[0].span
        unit.user_data["annotator"] = {
            "article_id": item.document.id, "target": target, "start": start, "end": end,
            "stance_id": first.id, "holder": list(item.holders[first.id]) if first.id in item.holders else None,
        }
        docs.append(unit)
    return docs


def training_config(*, lang: str, components: list[str], min_size: int = 1, max_size: int = 1):
    """spaCy's ``init config`` for ``components``, with spancat set up for stance spans.

    The spancat reads ``doc.spans["stance"]``; its suggester proposes every n-gram
    from the shortest to the longest stance in the data (the default 1-3-grams
    could never propose a sentence); ``spans_sc_*`` weights become null and
    ``spans_stance_f`` counts instead (spaCy issue #13090).
    """
    from spacy.cli.init_config import init_config

    config = init_config(lang=lang, pipeline=components, optimize="efficiency", gpu=False, silent=True)
    if "spancat" in components:
        config["components"]["spancat"]["spans_key"] = STANCE_KEY
        config["components"]["spancat"]["suggester"] = {
            "@misc": "spacy.ngram_range_suggester.v1", "min_size": max(1, min_size), "max_size": max(1, max_size, min_size),
        }
        weights = config["training"]["score_weights"]
        for key in ("spans_sc_f", "spans_sc_p", "spans_sc_r"):
            weights[key] = None
        share = round(1.0 / len(components), 2)
        weights[f"spans_{STANCE_KEY}_f"] = share
        weights[f"spans_{STANCE_KEY}_p"] = 0.0
        weights[f"spans_{STANCE_KEY}_r"] = 0.0
        if "ents_f" in weights:
            weights["ents_f"] = round(1.0 - share, 2)
    return config


def stance_config(*, lang: str):
    """spaCy's ``init config`` for an exclusive ``textcat`` over the stance docs."""
    from spacy.cli.init_config import init_config

    return init_config(lang=lang, pipeline=["textcat"], optimize="efficiency", gpu=False, silent=True)


def _write_config(config, path: Path) -> Path:
    with atomic_path(path) as tmp:
        config.to_disk(tmp)
    return path
