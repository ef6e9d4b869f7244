"""Pre-annotation on a Dask cluster: the same suggestions as :func:`suggest_project`,
computed by many worker processes on one or many machines.

How the work is split:

* The client (this process) is the only one that touches the project file. It
  reads the documents still to suggest in shards of consecutive ids, sends each
  shard's texts to the cluster as one task, and stores each finished shard in one
  transaction (:meth:`Project.store_suggestion_batch`), with the same rules as a
  single-process run: spans a person decided are never changed or duplicated, and
  a run that stops (Ctrl-C, a cancel, a crash) keeps every stored shard and
  resumes with the rest.
* A worker builds the suggester once per process (:func:`worker_suggester`
  caches it) and returns compact records: per document its id, its drafts as
  plain tuples and its token count. A document the pipeline or the rules fail
  on is left out exactly as in a local run (the rest of its ``nlp.pipe`` batch
  goes through again one at a time) and comes back as its id and the failure
  in one line; the client reports it as E308 and stores the rest of the shard.
* Only a bounded number of shards is in flight at a time, so the client's memory
  does not grow with the corpus.

The workers need the same Python environment as the client (annotator, spaCy and
the pipeline package; on a cluster, the same image). A pipeline given as a folder
(one made by ``annotator train``) is packed once by the client and unpacked on any
worker that does not have that folder.

A worker that dies is replaced by Dask, which runs its unfinished shards again
elsewhere; a shard's result reaches the client once, and storing it again would
replace, not duplicate, its suggestions.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tarfile
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import astuple, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotator.core.errors import AnnotatorError, Errors
from annotator.core.model import SpanDraft
from annotator.core.scheme import Scheme
from annotator.nlp.uncertainty import certainty
from annotator.services.memory import drop_overruled
from annotator.services.suggesting import (
    Progress,
    RunReport,
    SuggestSummary,
    failure_reason,
    readable_texts,
    start_run,
)
from annotator.storage import Project
from annotator.storage.memory import memory_rows
from annotator.storage.queue import set_certainty

if TYPE_CHECKING:
    from annotator.nlp.suggester import Suggester

#: Documents per task. Small enough that a lost worker costs little and a shard's
#: transaction is short; large enough that scheduling costs nothing beside spaCy.
DEFAULT_SHARD_SIZE = 64

#: A draft as it travels back from a worker (the fields of :class:`SpanDraft`, in order).
DraftRecord = tuple
#: One document's result: (document id, draft records, number of tokens).
DocRecord = tuple[int, list[DraftRecord], int]
#: A document left out: (document id, the failure as :func:`failure_reason` words it).
FailedRecord = tuple[int, str]


@dataclass(frozen=True)
class SuggesterSpec:
    """What a worker needs to build the client's suggester (all plain, picklable data)."""

    model: str
    scheme: Scheme
    cues: dict[str, Any] | None
    patterns: str
    #: Name and SHA-256 of the pipeline folder the client ships, when the model is a folder.
    folder_name: str | None = None
    folder_digest: str | None = None
    #: The client's decision memory: (string, label, verdict, articles) rows and
    #: the generation they were read at (which alone enters the cache key).
    memory: tuple[tuple[str, str, bool, int], ...] = ()
    memory_generation: int = -1

    def key(self) -> str:
        return hashlib.sha256(repr((self.model, self.scheme, self.cues, self.patterns,
                                    self.folder_digest, self.memory_generation)).encode()).hexdigest()


@dataclass(frozen=True)
class ShardResult:
    suggester: str
    records: list[DocRecord]
    seconds: float
    worker_pid: int
    failed: list[FailedRecord] = field(default_factory=list)


# ---- worker side ---------------------------------------------------------------

_WORKER_CACHE: dict[str, Suggester] = {}
_WORKER_LOCK = threading.Lock()


def _unpack_folder(archive: bytes, digest: str, name: str) -> Path:
    """The shipped pipeline folder, unpacked once per machine under the temp folder."""
    root = Path(tempfile.gettempdir()) / "annotator-pipelines" / digest
    target = root / name
    if (target / "meta.json").exists():
        return target
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=root))
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r") as tar:
        tar.extractall(staging, filter="data")
    try:
        os.replace(staging / name, target)
    except OSError:
        if not (target / "meta.json").exists():  # another worker won the race otherwise
            raise
    return target


def worker_suggester(spec: SuggesterSpec, archive: bytes | None = None) -> Suggester:
    """The suggester for ``spec`` in this worker process, built on first use."""
    from annotator.nlp.suggester import load_suggester

    key = spec.key()
    with _WORKER_LOCK:
        suggester = _WORKER_CACHE.get(key)
        if suggester is None:
            model = spec.model
            if spec.folder_digest is not None and not (Path(model) / "meta.json").exists():
                if archive is None:
                    raise AnnotatorError(Errors.E352, model=model)
                model = str(_unpack_folder(archive, spec.folder_digest, spec.folder_name or "pipeline"))
            suggester = load_suggester(model, scheme=spec.scheme, cues=spec.cues, patterns=spec.patterns)
            if spec.memory_generation >= 0:
                from annotator.nlp.memory import DecisionMemory

                suggester.memory = DecisionMemory(spec.memory, generation=spec.memory_generation)
            _WORKER_CACHE[key] = suggester
    return suggester


def suggest_shard(spec: SuggesterSpec, items: Sequence[tuple[str, int]], archive: bytes | None = None,
                  batch_size: int = 64) -> ShardResult:
    """Suggestions for one shard of (text, document id) pairs; runs on a worker.

    A document the pipeline or the rules fail on is left out of the records and
    listed in ``failed``; the others go on."""
    started = time.perf_counter()
    suggester = worker_suggester(spec, archive)
    failed: list[FailedRecord] = []
    found = suggester.suggest_with_context(items, batch_size=batch_size,
                                           on_error=lambda doc_id, exc: failed.append((doc_id, failure_reason(exc))))
    records = [(doc_id, [astuple(d) for d in drafts], n_tokens) for doc_id, drafts, n_tokens in found]
    return ShardResult(suggester.name, records, time.perf_counter() - started, os.getpid(), failed)


# ---- client side ---------------------------------------------------------------


def pack_folder(folder: Path) -> tuple[bytes, str]:
    """A pipeline folder as tar bytes, with the SHA-256 of those bytes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(folder, arcname=folder.name)
    data = buffer.getvalue()
    return data, hashlib.sha256(data).hexdigest()[:16]


def connect(*, scheduler: str | None = None, local: int | None = None, timeout: str = "20s"):
    """A Dask client: to a running scheduler, or to a new local cluster of ``local`` workers.

    The caller closes it (and its cluster) with :func:`close_client`.
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise AnnotatorError(Errors.E350, reason=str(exc)) from exc
    if scheduler:
        try:
            return Client(scheduler, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise AnnotatorError(Errors.E351, address=scheduler, reason=str(exc) or type(exc).__name__) from exc
    cluster = LocalCluster(n_workers=max(1, local or 1), threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None, silence_logs=logging.ERROR)
    return Client(cluster)


def close_client(client) -> None:
    cluster = client.cluster if getattr(client, "cluster", None) is not None and _owns_cluster(client) else None
    client.close()
    if cluster is not None:
        cluster.close()


def _owns_cluster(client) -> bool:
    from dask.distributed import LocalCluster

    return isinstance(client.cluster, LocalCluster)


def _shards(doc_ids: Sequence[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(doc_ids), size):
        yield list(doc_ids[i:i + size])


def suggest_project_dask(project: Project, *, client, suggester: Suggester | None = None,
                         model: str | None = None, only_new: bool = False,
                         doc_ids: Sequence[int] | None = None, shard_size: int = DEFAULT_SHARD_SIZE,
                         batch_size: int = 64, in_flight: int | None = None,
                         progress: Progress | None = None,
                         cancelled: Callable[[], bool] | None = None, refresh: bool = False,
                         memory: bool | None = None,
                         on_document: Callable[[int, dict[str, Any] | None], None] | None = None
                         ) -> SuggestSummary:
    """Suggest the project's documents on the cluster behind ``client``.

    Same parameters and summary as :func:`annotator.services.suggesting.suggest_project`,
    plus ``shard_size`` (documents per task) and ``in_flight`` (shards queued on the
    cluster at a time; by default two per worker thread plus one). The summary's
    ``write_seconds`` is the time the client spent storing results. A document
    the pipeline or the rules fail on is left out as in a local run (E308 in
    ``summary.failed`` and to ``on_document``) and the rest of its shard is stored;
    ``cancelled`` is polled between shards.
    """
    from dask.distributed import as_completed

    suggester, pending, summary = start_run(project, suggester=suggester, model=model, only_new=only_new,
                                            doc_ids=doc_ids, refresh=refresh, memory=memory)
    spec, archive = suggester_spec(project, suggester, model)
    threads = sum(client.nthreads().values()) or 1
    limit = max(1, in_flight or 2 * threads + 1)
    started = time.perf_counter()
    report = RunReport(project, summary, len(pending), progress, on_document)
    report.started()
    archive_future = client.scatter(archive, broadcast=True) if archive is not None else None
    run = uuid.uuid4().hex[:8]
    shards = _shards(pending, max(1, shard_size))
    queue = as_completed()
    index = 0

    def submit_next() -> bool:
        nonlocal index
        ids = next(shards, None)
        if ids is None:
            return False
        items = list(readable_texts(project, ids, report.failed))
        queue.add(client.submit(suggest_shard, spec, items, archive_future, batch_size,
                                key=f"annotator-suggest-{run}-{index}", pure=False, retries=1))
        index += 1
        return True

    try:
        for _ in range(limit):
            if not submit_next():
                break
        for future in queue:
            result: ShardResult = future.result()
            future.release()
            if result.suggester != suggester.name:
                raise AnnotatorError(Errors.E353, worker=result.suggester, client=suggester.name)
            if cancelled is not None and cancelled():
                summary.cancelled = True
                break
            _store_shard(project, suggester.name, result, report)
            submit_next()
    finally:
        for future in list(queue.futures):
            future.cancel()
        summary.seconds = time.perf_counter() - started
    return summary


def _store_shard(project: Project, name: str, result: ShardResult, report: RunReport) -> None:
    batch = [(doc_id, drop_overruled(project, doc_id, [SpanDraft(*r) for r in records]))
             for doc_id, records, _ in result.records]
    began = time.perf_counter()
    with project.write():
        stored = project.store_suggestion_batch(name, batch)
        for doc_id, drafts in batch:
            set_certainty(project, doc_id, certainty(drafts))
    report.summary.write_seconds += time.perf_counter() - began
    for (doc_id, drafts), (_, _, n_tokens), n in zip(batch, result.records, stored):
        report.stored(doc_id, drafts, stored=n, tokens=n_tokens)
    for doc_id, reason in result.failed:
        report.failed(doc_id, reason)


def suggester_spec(project: Project, suggester: Suggester, model: str | None) -> tuple[SuggesterSpec, bytes | None]:
    from annotator.nlp.pipelines import resolve

    setting = resolve(model or project.setting("model", "auto"))
    remembered = ((tuple(memory_rows(project)), suggester.memory.generation)
                  if suggester.memory is not None else ((), -1))
    spec = SuggesterSpec(model=setting, scheme=project.scheme(), cues=project.setting("cues", None),
                         patterns=suggester.patterns, memory=remembered[0], memory_generation=remembered[1])
    folder = Path(setting)
    if (folder / "meta.json").is_file():
        archive, digest = pack_folder(folder.resolve())
        spec = replace(spec, model=str(folder.resolve()), folder_name=folder.resolve().name, folder_digest=digest)
        return spec, archive
    return spec, None
