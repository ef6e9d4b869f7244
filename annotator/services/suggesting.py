"""Pre-annotation: suggestions for a project's documents, in bulk or just ahead of
the annotator.

Every document's suggestions are written in one short transaction
(:meth:`Project.store_suggestions`), which also records the run under the
suggester's name: an interrupted run leaves every document either fully suggested
or untouched, and the next run resumes with the documents not yet suggested by the
same suggester version. Spans a person accepted, rejected or wrote are never
changed or duplicated (the store guarantees it).

:class:`SuggestAhead` is the window's helper: a background thread, with its own
project connection and its own pipeline, that keeps the next few documents of the
annotator's queue suggested so that opening one never waits for the model.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotator.core.errors import AnnotatorError
from annotator.core.model import SpanDraft
from annotator.core.text import LONG_TEXT
from annotator.nlp.uncertainty import certainty
from annotator.services.memory import drop_overruled, sync_memory
from annotator.storage import Project, open_project
from annotator.storage.queue import set_certainty

if TYPE_CHECKING:
    from annotator.nlp.suggester import Suggester

Progress = Callable[[int, int], None]


@dataclass
class SuggestSummary:
    """What a suggestion run did."""

    suggester: str
    description: str
    rules_only: bool
    documents: int = 0
    skipped: int = 0
    spans: int = 0
    entity_spans: int = 0
    stance_spans: int = 0
    tokens: int = 0
    seconds: float = 0.0
    #: Time spent storing results (the single writer's share of ``seconds``).
    write_seconds: float = 0.0
    cancelled: bool = False
    doc_ids: list[int] = field(default_factory=list)
    #: Documents left out because the pipeline or the rules failed on them (E308),
    #: as dicts: doc_id, title, code, message.
    failed: list[dict[str, Any]] = field(default_factory=list)

    def add(self, doc_id: int, drafts: Sequence[SpanDraft], *, stored: int, tokens: int) -> None:
        """Count one suggested document."""
        self.documents += 1
        self.doc_ids.append(doc_id)
        self.spans += stored
        self.entity_spans += sum(1 for d in drafts if d.layer == "entity")
        self.stance_spans += sum(1 for d in drafts if d.layer == "stance")
        self.tokens += tokens

    @property
    def docs_per_second(self) -> float:
        return self.documents / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"suggester": self.suggester, "description": self.description, "rules_only": self.rules_only,
                "documents": self.documents, "skipped": self.skipped, "spans": self.spans,
                "entity_spans": self.entity_spans, "stance_spans": self.stance_spans, "tokens": self.tokens,
                "seconds": round(self.seconds, 3), "docs_per_second": round(self.docs_per_second, 2),
                "write_seconds": round(self.write_seconds, 3), "cancelled": self.cancelled,
                "failed": list(self.failed)}


def failure_reason(exc: BaseException) -> str:
    """An exception that stopped one document, as the one line E308 quotes (for the
    status bar and the terminal; plain text, so it crosses process boundaries)."""
    reason = f"[{exc.code}] {exc.message}" if isinstance(exc, AnnotatorError) else f"{type(exc).__name__}: {exc}"
    reason = " ".join(reason.split())
    if len(reason) > 300:
        reason = reason[:299] + "…"
    return reason


def failure_record(project: Project, doc_id: int, exc: BaseException | str) -> dict[str, Any]:
    """Why one document could not be suggested, as a coded error (E308) in plain
    data (it crosses process boundaries): doc_id, title, code, message. ``exc`` is
    the exception, or its :func:`failure_reason` when it was raised in another
    process (a Dask worker).

    Raises ``exc`` itself when it is about the whole project rather than this
    document (busy, damaged, a disk that fails): skipping documents would not help.
    """
    if isinstance(exc, AnnotatorError) and (exc.code in ("E005", "E006") or exc.code.startswith("E9")):
        raise exc
    from annotator.core.errors import Errors

    try:
        title = project.document(doc_id).title
    except Exception:  # noqa: BLE001 - the document itself may be what is broken
        title = None
    name = f"#{doc_id}" + (f" '{title}'" if title else "")
    reason = exc if isinstance(exc, str) else failure_reason(exc)
    error = AnnotatorError(Errors.E308, doc=name, reason=reason.rstrip("."))
    return {"doc_id": doc_id, "title": title, "code": error.code, "message": error.message}


def readable_texts(project: Project, doc_ids: Iterable[int],
                   failed: Callable[[int, BaseException], None]) -> Iterator[tuple[str, int]]:
    """(text, id) of each document, in order: one deleted meanwhile is passed over,
    one that cannot be read goes to ``failed`` (an error about the whole project
    is raised there)."""
    for doc_id in doc_ids:
        try:
            doc = project.document(doc_id)
        except KeyError:
            continue  # deleted meanwhile
        except Exception as exc:  # noqa: BLE001 - a stored document that cannot be read
            failed(doc_id, exc)
            continue
        yield doc.text, doc.id


@dataclass
class RunReport:
    """Where a suggestion run (local or on Dask) reports each document, suggested or
    left out: its summary, ``on_document`` and ``progress`` (documents done, stored
    or left out, of ``todo``)."""

    project: Project
    summary: SuggestSummary
    todo: int
    progress: Progress | None = None
    on_document: Callable[[int, dict[str, Any] | None], None] | None = None

    def started(self) -> None:
        if self.progress is not None:
            self.progress(0, self.todo)

    def stored(self, doc_id: int, drafts: Sequence[SpanDraft], *, stored: int, tokens: int) -> None:
        """One document's suggestions are stored."""
        self.summary.add(doc_id, drafts, stored=stored, tokens=tokens)
        self._step(doc_id, None)

    def failed(self, doc_id: int, exc: BaseException | str) -> None:
        """One document is left out (E308, see :func:`failure_record`, which raises
        an error about the whole project again)."""
        record = failure_record(self.project, doc_id, exc)
        self.summary.failed.append(record)
        self._step(doc_id, record)

    def _step(self, doc_id: int, record: dict[str, Any] | None) -> None:
        if self.on_document is not None:
            self.on_document(doc_id, record)
        if self.progress is not None:
            self.progress(self.summary.documents + len(self.summary.failed), self.todo)


def project_suggester(project: Project, *, model: str | None = None, memory: bool | None = None) -> Suggester:
    """The suggester a project is configured for (``model`` overrides the setting),
    with the project's decision memory unless ``memory`` is false."""
    from annotator.core.errors import Errors
    from annotator.nlp.suggester import load_suggester
    from annotator.services.stance_learning import project_stance_model

    cues = project.setting("cues", None)
    if cues is not None and not isinstance(cues, dict):
        raise AnnotatorError(Errors.E306, key="cues", reason="it must be an object shaped like resources/cues.toml")
    suggester = load_suggester(model or project.setting("model", "auto"), scheme=project.scheme(), cues=cues,
                               patterns=project.setting("patterns", "auto"))
    sync_memory(project, suggester, enabled=memory)
    scorer = project_stance_model(project)
    if scorer is not None:
        suggester.use_stance_model(*scorer)
    return suggester


def suggest_document(project: Project, suggester: Suggester, doc_id: int, *, doc: Any = None,
                     memory: bool | None = None) -> int:
    """Suggest one document now, with the project's current decision memory, and
    store the result (replacing its pending suggestions only). ``doc`` is the
    document already processed by ``suggester.nlp`` (its entity and stance rules
    then run again without the model). Returns the number of suggestions stored."""
    sync_memory(project, suggester, enabled=memory)
    if doc is None:
        doc = suggester.nlp(project.document(doc_id).text)
    return store_drafts(project, doc_id, suggester.name, suggester.drafts(doc))


def store_drafts(project: Project, doc_id: int, suggester: str, drafts: Sequence[SpanDraft]) -> int:
    """Store one document's suggestions, less the memory suggestions that a
    person's decisions there overrule, and how sure they are (for the "most
    uncertain next" order), in one transaction; returns the number stored."""
    drafts = drop_overruled(project, doc_id, drafts)
    with project.write():
        stored = project.store_suggestions(doc_id, suggester, drafts)
        set_certainty(project, doc_id, certainty(drafts))
    return stored




def pending_doc_ids(project: Project, suggester: str, *, only_new: bool = False,
                    doc_ids: Sequence[int] | None = None, refresh: bool = False) -> tuple[list[int], int]:
    """The documents a run of ``suggester`` still has to do, in id order, and how
    many of those asked for it skips (already suggested by that version, or started
    by a person when ``only_new``; with ``refresh``, every document nobody started)."""
    pending = project.all_doc_ids() if refresh else project.unsuggested_doc_ids(suggester)
    total_docs = project.document_count()
    if doc_ids is not None:
        wanted = set(doc_ids)
        total_docs = len(wanted)
        pending = [d for d in pending if d in wanted]
    if only_new or refresh:
        pending = project.untouched_doc_ids(pending)
    return pending, total_docs - len(pending)


def start_run(project: Project, *, suggester: Suggester | None, model: str | None, only_new: bool,
              doc_ids: Sequence[int] | None, refresh: bool, memory: bool | None
              ) -> tuple[Suggester, list[int], SuggestSummary]:
    """What every suggestion run starts with: the suggester (the project's unless
    given) with the current decision memory, the documents to do and the summary
    to fill."""
    if suggester is None:
        suggester = project_suggester(project, model=model)
    sync_memory(project, suggester, enabled=memory)
    pending, skipped = pending_doc_ids(project, suggester.name, only_new=only_new, doc_ids=doc_ids,
                                       refresh=refresh)
    return suggester, pending, SuggestSummary(suggester.name, suggester.describe(), suggester.rules_only,
                                              skipped=skipped)


def suggest_project(project: Project, *, suggester: Suggester | None = None, model: str | None = None,
                    only_new: bool = False, doc_ids: Sequence[int] | None = None, batch_size: int = 64,
                    workers: int = 1, progress: Progress | None = None,
                    cancelled: Callable[[], bool] | None = None, refresh: bool = False,
                    memory: bool | None = None,
                    on_document: Callable[[int, dict[str, Any] | None], None] | None = None) -> SuggestSummary:
    """Suggest entities and stances for the project's documents not yet suggested by
    this suggester version.

    A document that the pipeline or the rules fail on, or that cannot be read, is
    left out (unsuggested, so the next run tries it again), recorded in
    ``summary.failed`` as E308 and passed to ``on_document``; the others go on.

    Parameters
    ----------
    suggester:
        A ready suggester; by default the project's (see :func:`project_suggester`).
    only_new:
        Only documents nobody has started (no status beyond "new", no span a person
        accepted, rejected or wrote).
    doc_ids:
        Limit the run to these documents (still skipping those already suggested).
    workers:
        Processes for ``nlp.pipe`` (``n_process``); 1 runs in this process.
    progress:
        Called with (documents done, documents to do) after each document
        (stored or left out).
    cancelled:
        Polled between documents; when it returns true the run stops, keeping
        every document stored so far.
    on_document:
        Called after each document with its id and None once its suggestions
        are stored, or with its E308 record (:func:`failure_record`) when it was
        left out.
    refresh:
        Suggest again every document nobody has started, even those already
        suggested by this suggester, so that they reflect the current model and
        decision memory (started documents are left alone, as with ``only_new``).
    memory:
        Use the decision memory (default: the project setting ``memory``, on).
    """
    suggester, pending, summary = start_run(project, suggester=suggester, model=model, only_new=only_new,
                                            doc_ids=doc_ids, refresh=refresh, memory=memory)
    started = time.perf_counter()
    stop = threading.Event()
    report = RunReport(project, summary, len(pending), progress, on_document)
    report.started()
    # Reading stops with the run.
    texts = readable_texts(project, itertools.takewhile(lambda _: not stop.is_set(), pending), report.failed)
    results = suggester.suggest_with_context(texts, batch_size=batch_size, n_process=max(1, workers),
                                             on_error=report.failed)
    try:
        for doc_id, drafts, n_tokens in results:
            if cancelled is not None and cancelled():
                summary.cancelled = True
                break
            began = time.perf_counter()
            try:
                stored = store_drafts(project, doc_id, suggester.name, drafts)
            except Exception as exc:  # noqa: BLE001 - refused for this document only (else raised again)
                report.failed(doc_id, exc)
                continue
            summary.write_seconds += time.perf_counter() - began
            report.stored(doc_id, drafts, stored=stored, tokens=n_tokens)
    finally:
        stop.set()
        close = getattr(results, "close", None)
        if close is not None:
            close()
        summary.seconds = time.perf_counter() - started
    return summary


class SuggestAhead:
    """Keeps the next documents of an annotator's queue suggested, in the background.

    The worker thread opens its own connection to the project file and builds its
    own suggester (loading a pipeline takes seconds, so that too happens off the
    caller's thread). No method blocks the caller: :meth:`request` only records the
    queue and wakes the worker.

    Parameters
    ----------
    project_path:
        The project file.
    ahead:
        How many documents of the queue to keep ready.
    on_ready:
        Called (in the worker thread) with each document id once its suggestions
        are stored or found already there; a GUI re-posts it to its own thread.
    on_error:
        Called (in the worker thread) with an exception that stopped the worker
        (the pipeline could not be loaded, the project is busy or damaged).
    on_failure:
        Called (in the worker thread) with the E308 record (:func:`failure_record`)
        of a document the pipeline or the rules failed on. The worker goes on with
        the others and does not try that document again until :meth:`retry`
        (or the next session).
    skip:
        Documents known to fail already (a bulk run of this session left them
        out): not tried until :meth:`retry`.
    suggester_factory:
        Builds the suggester from the worker's ``Project``; by default the project's
        configured one (:func:`project_suggester`).
    """

    def __init__(self, project_path: str | Path, *, ahead: int = 5,
                 on_ready: Callable[[int], None] | None = None,
                 on_error: Callable[[BaseException], None] | None = None,
                 on_failure: Callable[[dict[str, Any]], None] | None = None,
                 skip: Iterable[int] = (),
                 suggester_factory: Callable[[Project], Suggester] | None = None,
                 annotator: str | None = None) -> None:
        self.project_path = Path(project_path)
        self.ahead = max(1, ahead)
        self.on_ready = on_ready
        self.on_error = on_error
        self.on_failure = on_failure
        #: document id -> its E308 record (None: known to fail from before)
        self.failed: dict[int, dict[str, Any] | None] = dict.fromkeys(skip)
        self._factory = suggester_factory or (lambda project: project_suggester(project))
        self._annotator = annotator
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._closing = False
        self._queue: list[int] = []
        self._generation = 0
        self._poked = False
        self.ready: list[int] = []
        self.suggester_name: str | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="annotator-suggest-ahead", daemon=True)
        self._thread.start()

    # ---- caller side (never blocks)

    def request(self, doc_ids: Sequence[int]) -> None:
        """The annotator's queue from the current document on; replaces the previous one."""
        with self._lock:
            self._queue = list(doc_ids)[: self.ahead]
            self._generation += 1
            self._idle.clear()
        self._wake.set()

    def poke(self) -> None:
        """A decision was made: the worker re-applies the decision memory to the
        queued documents (the open one first) if it changed. Never blocks."""
        with self._lock:
            self._poked = True
            self._idle.clear()
        self._wake.set()

    def retry(self, doc_ids: Iterable[int] | None = None) -> list[int]:
        """Try again the documents that failed (these, or all); returns their ids.
        Those in the queue are suggested at once, the others when they come up."""
        with self._lock:
            ids = [d for d in (self.failed if doc_ids is None else doc_ids) if d in self.failed]
            for doc_id in ids:
                del self.failed[doc_id]
            self._generation += 1
            self._idle.clear()
        self._wake.set()
        return ids

    def cancel(self) -> None:
        """Drop the pending queue; the document being suggested finishes or is discarded."""
        with self._lock:
            self._queue = []
            self._generation += 1
        self._wake.set()

    def close(self, *, wait: float | None = 5.0) -> None:
        """Stop the worker; ``wait`` seconds at most for it to finish its document."""
        with self._lock:
            self._closing = True
            self._queue = []
            self._generation += 1
        self._wake.set()
        if wait is not None and threading.current_thread() is not self._thread:
            self._thread.join(wait)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until the queue is done (for scripts and tests; a window never calls it)."""
        return self._idle.wait(timeout)

    # ---- worker side

    def _next(self, memory_gen: int) -> tuple[int | None, int]:
        with self._lock:
            generation = self._generation
            for doc_id in self._queue:
                if self._done.get(doc_id) == memory_gen or doc_id in self.failed:
                    continue
                return doc_id, generation
            return None, generation

    def _memory_gen(self, suggester: Suggester) -> int:
        return suggester.memory.generation if suggester.memory is not None else 0

    def _run(self) -> None:
        project: Project | None = None
        #: document id -> the memory generation its stored suggestions reflect
        self._done: dict[int, int] = {}
        #: processed documents of the queue, so memory is re-applied without the model
        self._docs: dict[int, Any] = {}
        try:
            project = open_project(self.project_path, annotator=self._annotator)
            suggester = self._factory(project)
            self.suggester_name = suggester.name
            while True:
                self._wake.wait()
                with self._lock:
                    if self._closing:
                        return
                    self._wake.clear()
                    self._poked = False
                sync_memory(project, suggester)
                while True:
                    with self._lock:
                        if self._closing:
                            return
                        poked, self._poked = self._poked, False
                    if poked:
                        sync_memory(project, suggester)
                    doc_id, generation = self._next(self._memory_gen(suggester))
                    if doc_id is None:
                        with self._lock:
                            if generation == self._generation and not self._poked:
                                self._idle.set()
                        break
                    try:
                        self._suggest_one(project, suggester, doc_id, generation)
                    except Exception as exc:  # noqa: BLE001 - this document only (else raised again)
                        self._document_failed(project, doc_id, exc)
        except BaseException as exc:  # reported, never raised into the caller's thread
            self.error = exc
            self._idle.set()
            if self.on_error is not None:
                self.on_error(exc)
        finally:
            if project is not None:
                project.close()
            self._idle.set()

    def _document_failed(self, project: Project, doc_id: int, exc: Exception) -> None:
        """Leave ``doc_id`` out until :meth:`retry`, and say why; an error about the
        whole project (busy, damaged) is raised again and stops the worker."""
        record = failure_record(project, doc_id, exc)
        self._docs.pop(doc_id, None)
        with self._lock:
            self.failed[doc_id] = record
        if self.on_failure is not None:
            self.on_failure(record)

    def _suggest_one(self, project: Project, suggester: Suggester, doc_id: int, generation: int) -> None:
        memory_gen = self._memory_gen(suggester)
        try:
            no_memory = suggester.memory is None or not len(suggester.memory)
            if not (no_memory and doc_id not in self._done and project.suggested_by(doc_id, suggester.name)):
                doc = self._docs.get(doc_id)
                if doc is None:
                    text = project.document(doc_id).text
                    if len(text) <= min(LONG_TEXT, suggester.nlp.max_length):
                        doc = suggester.nlp(text)
                # A long article goes through in pieces and is not kept.
                drafts = suggester.suggest_text(text) if doc is None else suggester.drafts(doc)
                with self._lock:
                    if generation != self._generation and doc_id not in self._queue:
                        return  # cancelled or no longer wanted: do not write
                    wanted = set(self._queue)
                for old in [d for d in self._docs if d not in wanted]:
                    del self._docs[old]
                if doc is not None:
                    self._docs[doc_id] = doc
                store_drafts(project, doc_id, suggester.name, drafts)
        except KeyError:
            pass  # the document was deleted meanwhile
        self._done[doc_id] = memory_gen
        self.ready.append(doc_id)
        if self.on_ready is not None:
            self.on_ready(doc_id)
