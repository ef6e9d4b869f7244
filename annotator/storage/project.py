"""The project store: documents, spans, statuses, the scheme and the events log.

Note for developers: every public method that writes is one committed transaction
(durable when it returns: WAL with ``synchronous=FULL``), and logs what it did to
the append-only ``events`` table in the same transaction. Writes start with
``BEGIN IMMEDIATE`` so that a second process waits for the lock (busy timeout)
instead of failing half-way through. A ``Project`` belongs to the thread that
opened it; background workers open their own.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from annotator.core.errors import AnnotatorError, Errors
from annotator.core.model import ADJUDICATED, DOC_STATUSES, ORIGIN_HUMAN, Document, Span, SpanDraft
from annotator.core.scheme import Label, Scheme, Target
from annotator.storage.schema import (
    APPLICATION_ID,
    BULK_TRIGGERS,
    BULK_UPKEEP,
    IMPORT_EVENT_TRIGGERS,
    known_migration_names,
    migrations,
)

BUSY_TIMEOUT_S = 10.0

#: A writer waiting for the lock tries again every millisecond for this long (an
#: import leaves gaps of only a few milliseconds between its batches), then every
#: ``LOCK_POLL_SLOW_S`` (the lock is held by something long: it does not spin).
LOCK_POLL_FAST_FOR_S = 0.5
LOCK_POLL_FAST_S = 0.001
LOCK_POLL_SLOW_S = 0.004


def lock_poll_pause(waited: float) -> float:
    """How long a writer that has waited ``waited`` seconds for the lock sleeps before trying again."""
    return LOCK_POLL_FAST_S if waited < LOCK_POLL_FAST_FOR_S else LOCK_POLL_SLOW_S

#: A decision takes the span over for the person who made it, except a span of the
#: reviewed layer, which stays in that layer (the events log names the reviewer).
_KEEP_REVIEWED = f"CASE WHEN annotator = '{ADJUDICATED}' THEN annotator ELSE ? END"

_SPAN_COLUMNS = 'id, doc_id, start, "end", layer, label, target, holder_span_id, origin, score, cue, status, annotator'


@dataclass(slots=True)
class NewDocument:
    """An article ready to be stored, with the spans that came with it."""

    text: str
    title: str
    text_hash: str
    source: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    spans: list[SpanDraft] = field(default_factory=list)
    status: str | None = None
    annotator: str | None = None


#: A project file up to this size (with its WAL) gets a full ``PRAGMA quick_check``
#: when a process first opens it: about 5 ms per MB (66 ms for 12.5 MB on a busy
#: 2-core machine). Bigger files are checked before export and training instead,
#: where the wait is expected.
QUICK_CHECK_MAX_BYTES = 32 * 1024 * 1024

_SQLITE_NOTADB = getattr(sqlite3, "SQLITE_NOTADB", 26)

# The project files this process has open, by (device, inode), with how many
# connections. SQLite's locks belong to the process and any close() of the file
# drops them all, so a file in here must never be opened outside SQLite.
_open_files: dict[tuple[int, int], int] = {}
_open_files_lock = threading.Lock()
# What each open file's write lock is held for, when a connection of this
# process holds it and said what it was doing (``Project.activity``): E005 names it.
_write_holders: dict[tuple[int, int] | None, str] = {}


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _file_key(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)  # a stat opens nothing: it cannot drop a lock
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def is_open_in_this_process(path: str | Path) -> bool:
    """Whether a connection of this process has the project at ``path`` open.

    Code that would read or copy the file itself must not do so then (the
    close would drop this process's SQLite locks); go through SQLite instead.
    """
    key = _file_key(Path(path))
    with _open_files_lock:
        return key is not None and _open_files.get(key, 0) > 0


def touches_open_project(path: str | Path) -> bool:
    """Whether ``path`` is a project file this process has open, or one of its
    ``-wal``, ``-shm`` or ``-journal`` files: reading it with a plain file handle
    would drop this process's SQLite locks when the handle closes."""
    path = Path(path)
    if is_open_in_this_process(path):
        return True
    for suffix in ("-wal", "-shm", "-journal"):
        if path.name.endswith(suffix) and is_open_in_this_process(path.with_name(path.name[: -len(suffix)])):
            return True
    return False


def _register_open(path: Path) -> tuple[int, int] | None:
    key = _file_key(path)
    if key is not None:
        with _open_files_lock:
            _open_files[key] = _open_files.get(key, 0) + 1
    return key


def _unregister_open(key: tuple[int, int] | None) -> None:
    if key is None:
        return
    with _open_files_lock:
        left = _open_files.get(key, 0) - 1
        if left > 0:
            _open_files[key] = left
        else:
            _open_files.pop(key, None)


def _file_size_with_wal(path: Path) -> int:
    size = 0
    for part in (path, path.with_name(path.name + "-wal")):
        try:
            size += part.stat().st_size
        except OSError:
            pass
    return size


def _quick_check(conn: sqlite3.Connection, path: Path | None) -> None:
    """Raise E006 when SQLite finds the file damaged (``PRAGMA quick_check``)."""
    try:
        rows = conn.execute("PRAGMA quick_check(5)").fetchall()
    except sqlite3.DatabaseError as exc:
        raise AnnotatorError(Errors.E006, path=path, reason=str(exc)) from None
    problems = [r[0] for r in rows if r[0] != "ok"]
    if problems:
        raise AnnotatorError(Errors.E006, path=path, reason="; ".join(problems)[:300])


# SQLite's primary result codes for "cannot write here".
_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN = 3, 8, 10, 13, 14


def storage_error(exc: sqlite3.Error, path: Path | None, *, action: str) -> AnnotatorError | None:
    """A coded error for an SQLite failure that is not damage: a full disk (E901),
    a project file or folder that cannot be written (E902: SQLite needs to
    create the ``-wal`` and ``-shm`` files beside the project), or a failed read or
    write (E905: a file size limit, a failing disk). None for others."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    reason = str(exc)
    if code == _SQLITE_FULL:
        return AnnotatorError(Errors.E901, path=path, action=action, reason=reason)
    if code == _SQLITE_IOERR:
        return AnnotatorError(Errors.E905, path=path, action=action, reason=reason)
    writable = path is None or (os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK)))
    if code in (_SQLITE_PERM, _SQLITE_READONLY) or (code == _SQLITE_CANTOPEN and not writable):
        where = "the project's folder" if path is not None and not os.access(path.parent, os.W_OK) else "the project file"
        return AnnotatorError(Errors.E902, path=path, action=action, reason=f"{where} is read-only: {reason}")
    return None


def _check_existing_file(path: Path) -> None:
    """Refuse a file that is not one of our projects, a damaged one or one we
    could not take over without changing it, before anything writes to it.

    Everything is read through SQLite (a read-only connection), never with a plain
    file handle: in a process that already has the project open, closing such a
    handle would silently drop that process's locks (see DESIGN.md, "POSIX locks").
    """
    if is_open_in_this_process(path):
        return  # checked when this process first opened it, and held open since
    try:
        ro = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
    except sqlite3.Error as exc:
        raise AnnotatorError(Errors.E004, path=path, reason=str(exc)) from None
    try:
        try:
            app_id = ro.execute("PRAGMA application_id").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            if getattr(exc, "sqlite_errorcode", None) == _SQLITE_NOTADB:
                raise AnnotatorError(Errors.E001, path=path) from None
            raise
        if app_id != APPLICATION_ID:
            raise AnnotatorError(Errors.E002, path=path)
        has_table = ro.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='_sqlite_migrations'"
        ).fetchone()
        names = (
            [r[0] for r in ro.execute("SELECT name FROM _sqlite_migrations WHERE migration_set='annotator'")]
            if has_table
            else []
        )
        unknown = [n for n in names if n not in known_migration_names()]
        if unknown:
            raise AnnotatorError(Errors.E003, path=path, name=unknown[0])
        if not names and ro.execute("SELECT 1 FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' LIMIT 1").fetchone():
            # Our application id, but tables we did not make: migrating would fail
            # half-way after switching the file to WAL. Refuse it as it is.
            raise AnnotatorError(Errors.E002, path=path)
        if _file_size_with_wal(path) <= QUICK_CHECK_MAX_BYTES:
            _quick_check(ro, path)
    except sqlite3.DatabaseError as exc:
        raise storage_error(exc, path, action="open the project") or AnnotatorError(
            Errors.E006, path=path, reason=str(exc)) from None
    finally:
        ro.close()


def open_project(path: str | Path, *, create: bool = False, scheme: Scheme | None = None, annotator: str | None = None) -> Project:
    """Open (or, with ``create=True``, create) the project stored in ``path``.

    A new project gets ``scheme`` (or the bundled default scheme).
    """
    path = Path(path)
    exists = path.exists() and path.stat().st_size > 0
    if exists:
        _check_existing_file(path)
    elif not create:
        raise AnnotatorError(Errors.E213, path=path)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    except sqlite3.Error as exc:
        raise AnnotatorError(Errors.E004, path=path, reason=str(exc)) from None
    project = Project(conn, path=path, annotator=annotator)
    try:
        project._initialise(seed_scheme=scheme)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise storage_error(exc, path, action="open the project") or AnnotatorError(
            Errors.E006, path=path, reason=str(exc)) from None
    except BaseException:
        conn.close()
        raise
    project._open_key = _register_open(path)
    if not project.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'import_runs'").fetchone():
        return project
    try:
        if project.conn.execute("SELECT 1 FROM import_runs WHERE state = 'running' LIMIT 1").fetchone():
            project.undo_dead_imports()
    except (sqlite3.Error, AnnotatorError):
        pass  # a read-only or busy project: the dead import is undone by a later open
    return project


def checkpoint_wal(path: str | Path) -> tuple[int, int, int]:
    """Copy the frames of the project's WAL into the database file without waiting
    for anyone (``PRAGMA wal_checkpoint(PASSIVE)``), on a connection of its own.

    For a process whose deciding connection does not checkpoint on commit
    (:meth:`Project.skip_checkpoints_on_commit`): run it from a thread that no key
    press waits for. A passive checkpoint takes no write lock, so a decision made
    meanwhile is not held up; it copies what no reader still needs and the rest
    waits for the next one. Once every frame is copied, the next commit starts the
    WAL again from its beginning, so the file stops growing.

    Returns SQLite's ``(busy, frames in the WAL, frames copied)``: busy is 1 when
    another connection was checkpointing (nothing done; the next call does it).
    Raises :class:`sqlite3.Error` when the file cannot be opened or written.
    """
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_S)
    try:
        busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return busy, frames, copied
    finally:
        conn.close()  # not the last connection (the caller's stays open): the WAL is kept


def default_annotator() -> str:
    import getpass

    try:
        return getpass.getuser() or "annotator"
    except Exception:  # no user database entry (containers)
        return "annotator"


class Project:
    """One open project file. Use :func:`open_project` to get one."""

    def __init__(self, conn: sqlite3.Connection, *, path: Path | None = None, annotator: str | None = None) -> None:
        self.conn = conn
        self.db = Database(conn)
        self.path = path
        self.annotator = annotator or default_annotator()
        self._scheme: Scheme | None = None
        self._open_key: tuple[int, int] | None = None
        #: What this connection is doing, named by E005 when another connection of
        #: this process waits too long for the lock it holds ("the import of x.jsonl").
        self.activity: str | None = None
        #: How long a write waits for the lock before E005 (None: BUSY_TIMEOUT_S).
        self.lock_timeout: float | None = None

    # -- lifecycle -------------------------------------------------------------

    def _initialise(self, *, seed_scheme: Scheme | None) -> None:
        self.conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        self.conn.execute("PRAGMA foreign_keys = ON")
        if self.path is not None:
            self.conn.execute("PRAGMA journal_mode = WAL")
        # FULL: a decision survives power loss once its call has returned.
        self.conn.execute("PRAGMA synchronous = FULL")
        fresh = not self.db["labels"].exists()
        if migrations.pending(self.db):
            self._with_busy_retry(lambda: migrations.apply(self.db))
        if fresh:
            if seed_scheme is None:
                from annotator.core.assets import default_scheme_paths
                from annotator.core.scheme import scheme_from_files

                seed_scheme = scheme_from_files(*default_scheme_paths())
            self.save_scheme(seed_scheme)
            self.set_setting("model", "auto")

    def skip_checkpoints_on_commit(self) -> None:
        """This connection's commits never run the WAL checkpoint.

        SQLite runs its automatic checkpoint (``wal_autocheckpoint``, 1,000 pages)
        in whichever connection's commit finds the WAL past that size, with the
        commit's caller waiting while it copies the WAL into the database file and
        syncs it (tens to hundreds of milliseconds beside an import). A connection
        whose commits a person waits for (the window's decisions) sets this and
        checkpoints from elsewhere with :func:`checkpoint_wal`; connections that
        write in batches (imports, suggestions) keep the automatic checkpoint.
        Durability is unchanged: each commit is still synced to the WAL. Closing the
        last connection to the file still checkpoints it.
        """
        self.conn.execute("PRAGMA wal_autocheckpoint = 0")

    def close(self) -> None:
        try:
            self.conn.close()
        except sqlite3.Error:
            pass
        key, self._open_key = self._open_key, None
        _unregister_open(key)

    def quick_check(self) -> None:
        """Raise E006 when the file is damaged (``PRAGMA quick_check``): run it
        before work that reads every row (export, training)."""
        _quick_check(self.conn, self.path)

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _with_busy_retry(self, fn):
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() > deadline:
                    raise self._busy_error() from None
                time.sleep(0.05)

    def _busy_error(self, seconds: float | None = None) -> AnnotatorError:
        """E005, naming what holds the lock when it is this process."""
        with _open_files_lock:
            holder = _write_holders.get(self._open_key) if self._open_key is not None else None
        if holder is None:
            holder = "another program (an annotator window or command, or an SQLite tool)"
        return AnnotatorError(Errors.E005, path=self.path, holder=holder, seconds=f"{seconds or BUSY_TIMEOUT_S:g}")

    @contextmanager
    def waiting_at_most(self, seconds: float) -> Iterator[None]:
        """Writes in the block give up (E005) after ``seconds`` without the lock."""
        previous, self.lock_timeout = self.lock_timeout, seconds
        try:
            yield
        finally:
            self.lock_timeout = previous

    def _begin_immediate(self) -> None:
        """Take the write lock, polling every millisecond or two.

        SQLite's own busy handler sleeps up to 100 ms between tries, and a writer
        that commits in small batches (an import) takes the lock again at once:
        a waiter sleeping that long can miss every gap. Polling often, a waiting
        decision gets the lock in the first gap between two batches.
        """
        timeout = BUSY_TIMEOUT_S if self.lock_timeout is None else self.lock_timeout
        started = time.monotonic()
        self.conn.execute("PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    self.conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) and "busy" not in str(exc):
                        raise
                waited = time.monotonic() - started
                if waited > timeout:
                    raise self._busy_error(timeout)
                time.sleep(lock_poll_pause(waited))
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")

    @contextmanager
    def write(self) -> Iterator[Database]:
        """One transaction (``BEGIN IMMEDIATE``); nested calls become savepoints."""
        if self.conn.in_transaction:
            with self.db.atomic():
                yield self.db
            return
        held = False
        try:
            self._begin_immediate()
            held = self._open_key is not None
            if held:
                with _open_files_lock:
                    _write_holders[self._open_key] = self.activity or "another task of this program"
            try:
                with self.db.atomic():
                    yield self.db
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.rollback()
                raise
            else:
                self._with_busy_retry(self.conn.commit)
        except sqlite3.OperationalError as exc:
            if self.conn.in_transaction:
                self.conn.rollback()
            # A full disk or a read-only file: the transaction is rolled back whole.
            raise storage_error(exc, self.path, action="save to the project") or exc from None
        finally:
            if held:
                with _open_files_lock:
                    _write_holders.pop(self._open_key, None)

    # -- imports in batches ------------------------------------------------------

    def begin_import(self, source: str) -> int:
        """Start an import run (committed at once); batches stored with
        ``add_documents(import_run=...)`` belong to it until :meth:`finish_import`."""
        import socket

        with self.write():
            cur = self.conn.execute("INSERT INTO import_runs (source, pid, host, state) VALUES (?, ?, ?, 'running')",
                                    (source, os.getpid(), socket.gethostname()))
            return cur.lastrowid

    def finish_import(self, run_id: int) -> None:
        with self.write():
            self.conn.execute("UPDATE import_runs SET state = 'done' WHERE id = ?", (run_id,))
            self.conn.execute("DELETE FROM import_run_docs WHERE run_id = ?", (run_id,))

    def abort_import(self, run_id: int, *, batch: int = 200) -> tuple[int, list[int]]:
        """Undo an unfinished import run: delete its documents, a few hundred per
        transaction (so decisions elsewhere never wait long), except those a
        person has already worked on, which are kept. Returns (deleted, kept ids)."""
        ranges = self.conn.execute(
            "SELECT first_doc_id, last_doc_id FROM import_run_docs WHERE run_id = ? ORDER BY first_doc_id",
            (run_id,)).fetchall()
        deleted = 0
        kept: list[int] = []
        for first, last in ranges:
            for lo in range(first, last + 1, batch):
                hi = min(lo + batch - 1, last)
                with self.write():
                    touched = {r[0] for r in self.conn.execute(
                        "SELECT DISTINCT doc_id FROM events WHERE doc_id BETWEEN ? AND ? AND action != 'document.import'",
                        (lo, hi))}
                    kept.extend(sorted(touched))
                    marks = ",".join("?" * len(touched))
                    cur = self.conn.execute(
                        f"DELETE FROM documents WHERE id BETWEEN ? AND ? AND id NOT IN ({marks})",
                        (lo, hi, *sorted(touched)))
                    deleted += cur.rowcount
        with self.write():
            self.conn.execute("UPDATE import_runs SET state = 'undone' WHERE id = ?", (run_id,))
            self.conn.execute("DELETE FROM import_run_docs WHERE run_id = ?", (run_id,))
            self._log("import.undone", after={"run": run_id, "deleted": deleted, "kept": kept[:100]})
        return deleted, kept

    def undo_dead_imports(self) -> int:
        """Undo the runs of imports whose process died (killed mid-file) on this
        machine; returns how many. Runs of live processes, or of other machines
        (a shared folder), are left alone."""
        import socket

        if not self.db["import_runs"].exists():
            return 0
        rows = self.conn.execute("SELECT id, pid, host FROM import_runs WHERE state = 'running'").fetchall()
        host = socket.gethostname()
        undone = 0
        for run_id, pid, run_host in rows:
            if run_host != host or _process_alive(pid):
                continue
            self.abort_import(run_id)
            undone += 1
        return undone

    def _log(self, action: str, *, doc_id: int | None = None, span_id: int | None = None,
             before: Any = None, after: Any = None) -> None:
        self.conn.execute(
            "INSERT INTO events (annotator, action, doc_id, span_id, before, after) VALUES (?, ?, ?, ?, ?, ?)",
            (self.annotator, action, doc_id, span_id,
             None if before is None else json.dumps(before, ensure_ascii=False),
             None if after is None else json.dumps(after, ensure_ascii=False)),
        )

    # -- scheme and settings ---------------------------------------------------

    def save_scheme(self, scheme: Scheme) -> None:
        with self.write():
            self.conn.execute("DELETE FROM labels")
            self.conn.execute("DELETE FROM label_map")
            self.conn.execute("DELETE FROM stance_targets")
            for layer in ("entity", "stance"):
                for pos, lab in enumerate(scheme.labels(layer)):
                    self.conn.execute(
                        "INSERT INTO labels (layer, name, colour, hotkey, description, position) VALUES (?,?,?,?,?,?)",
                        (layer, lab.name, lab.colour, lab.hotkey, lab.description, pos),
                    )
            for model_label, label in scheme.model_labels.items():
                self.conn.execute("INSERT INTO label_map (model_label, label) VALUES (?, ?)", (model_label, label))
            for pos, t in enumerate(scheme.targets):
                self.conn.execute(
                    "INSERT INTO stance_targets (name, keywords, aliases, description, position) VALUES (?,?,?,?,?)",
                    (t.name, json.dumps(list(t.keywords)), json.dumps(list(t.aliases)), t.description, pos),
                )
            self._log("scheme.save", after={"entity": scheme.label_names("entity"), "stance": scheme.label_names("stance"),
                                            "targets": scheme.target_names()})
        self._scheme = None

    def scheme(self) -> Scheme:
        if self._scheme is None:
            rows = self.conn.execute(
                "SELECT layer, name, colour, hotkey, description FROM labels ORDER BY layer, position"
            ).fetchall()
            entity = tuple(Label(r[1], r[0], r[2], r[3], r[4]) for r in rows if r[0] == "entity")
            stance = tuple(Label(r[1], r[0], r[2], r[3], r[4]) for r in rows if r[0] == "stance")
            mapping = {r[0]: r[1] for r in self.conn.execute("SELECT model_label, label FROM label_map")}
            targets = tuple(
                Target(r[0], tuple(json.loads(r[1])), tuple(json.loads(r[2])), r[3])
                for r in self.conn.execute(
                    "SELECT name, keywords, aliases, description FROM stance_targets ORDER BY position"
                )
            )
            self._scheme = Scheme(entity, stance, mapping, targets)
        return self._scheme

    def setting(self, key: str, default: Any = None) -> Any:
        row = self.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_setting(self, key: str, value: Any) -> None:
        with self.write():
            before = self.setting(key)
            self.conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )
            self._log("setting.set", before={key: before}, after={key: value})

    # -- documents -------------------------------------------------------------

    def has_text_hash(self, text_hash: str) -> bool:
        return self.conn.execute("SELECT 1 FROM documents WHERE text_hash = ?", (text_hash,)).fetchone() is not None

    def add_documents(self, docs: Iterable[NewDocument], *, span_status: str = "accepted", origin: str = "import",
                      import_run: int | None = None, known: set[str] | None = None) -> tuple[list[int], int]:
        """Store documents and their spans in the caller's transaction (or one of
        its own). Returns (new ids, duplicates); duplicates (of the project or of
        an earlier document in ``docs``) are skipped by text hash.

        Rows go in with one ``executemany`` per table, the upkeep of the insert
        triggers done set-wise (see ``_bulk_load``); documents with stance holders
        take the row-by-row path, since a holder needs its entity's id.
        ``import_run`` records the new ids under an unfinished import (see
        :meth:`begin_import`). ``known``: which of the texts' hashes the project
        already holds, when the caller has just read them in the same transaction.
        """
        docs = list(docs)
        with self.write():
            # The caller may have looked the hashes up already, in this transaction.
            known = set(known) if known is not None else self.known_text_hashes([d.text_hash for d in docs])
            fresh: list[NewDocument] = []
            duplicates = 0
            for doc in docs:
                if doc.text_hash in known:
                    duplicates += 1
                    continue
                known.add(doc.text_hash)
                fresh.append(doc)
            if not fresh:
                return [], duplicates
            first = self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM documents").fetchone()[0]
            ids = list(range(first, first + len(fresh)))
            self.conn.executemany(
                "INSERT INTO documents (id, text, title, source, meta, text_hash, length) VALUES (?,?,?,?,?,?,?)",
                [(doc_id, doc.text, doc.title, doc.source, json.dumps(doc.meta, ensure_ascii=False), doc.text_hash,
                  len(doc.text)) for doc_id, doc in zip(ids, fresh)])
            # One time for the whole batch (the column default, taken once).
            now = self.conn.execute("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')").fetchone()[0]
            with self._bulk_load():
                rows: list[tuple[Any, ...]] = []
                for doc_id, doc in zip(ids, fresh):
                    annotator = doc.annotator or self.annotator
                    if any(d.holder for d in doc.spans):
                        self._insert_drafts(doc_id, doc.spans, status=span_status, origin=origin, annotator=annotator)
                        continue
                    span_annotator = annotator if span_status != "suggested" else None
                    rows.extend((doc_id, d.start, d.end, d.layer, d.label, d.target, None, d.origin or origin, d.score,
                                 d.cue, span_status, span_annotator, now, now) for d in doc.spans)
                self.conn.executemany(
                    "INSERT INTO spans (doc_id, start, \"end\", layer, label, target, holder_span_id, origin, score, cue,"
                    " status, annotator, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
            self.conn.executemany(
                "INSERT INTO doc_status (doc_id, annotator, status) VALUES (?, ?, ?)",
                [(doc_id, doc.annotator or self.annotator, doc.status) for doc_id, doc in zip(ids, fresh)
                 if doc.status in DOC_STATUSES and doc.status != "new"])
            with self._triggers_dropped(IMPORT_EVENT_TRIGGERS):
                self.conn.executemany(
                    "INSERT INTO events (annotator, action, doc_id, after) VALUES (?, 'document.import', ?, ?)",
                    [(self.annotator, doc_id, json.dumps({"title": doc.title, "spans": len(doc.spans),
                                                          "status": doc.status}, ensure_ascii=False))
                     for doc_id, doc in zip(ids, fresh)])
            if import_run is not None:
                self.conn.execute("INSERT INTO import_run_docs (run_id, first_doc_id, last_doc_id) VALUES (?, ?, ?)",
                                  (import_run, ids[0], ids[-1]))
        return ids, duplicates

    @contextmanager
    def _triggers_dropped(self, names: Sequence[str]) -> Iterator[None]:
        """Drop the triggers ``names`` for the block and create them again from
        their stored SQL as it ends. Call it inside a write: a failure rolls the
        enclosing savepoint back, triggers included, so no other connection ever
        sees them missing."""
        marks = ",".join("?" * len(names))
        saved = self.conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks})", tuple(names)).fetchall()
        for name, _sql in saved:
            self.conn.execute(f"DROP TRIGGER {name}")
        try:
            yield
        finally:
            # Also on an error (the savepoint's rollback would bring them back):
            # the schema stays whole even for a caller that goes on.
            if self.conn.in_transaction:
                present = {r[0] for r in self.conn.execute(
                    f"SELECT name FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks})", tuple(names))}
                for name, sql in saved:
                    if name not in present:
                        self.conn.execute(sql)

    @contextmanager
    def _bulk_load(self) -> Iterator[None]:
        """Spans inserted in the block (all of them for documents new in this
        transaction) skip the per-row upkeep of their insert triggers, done once
        for all of them as the block ends (see ``schema.BULK_TRIGGERS``)."""
        after = self.conn.execute("SELECT coalesce(max(id), 0) FROM spans").fetchone()[0]
        with self._triggers_dropped(BULK_TRIGGERS):
            yield
            args = {"after": after}
            beyond = self.conn.execute(BULK_UPKEEP["bounds"], args).fetchone()[0]
            if beyond:
                raise sqlite3.IntegrityError(f"span end beyond the end of the text ({beyond} span(s))")
            self.conn.execute(BULK_UPKEEP["doc_stats"], args)
            self.conn.execute(BULK_UPKEEP["labels"], args)
            if self.conn.execute(BULK_UPKEEP["memory"], args).rowcount > 0:
                self.conn.execute(BULK_UPKEEP["memory_strings"], args)
                self.conn.execute(BULK_UPKEEP["memory_generation"])

    def known_text_hashes(self, hashes: Sequence[str]) -> set[str]:
        """Which of ``hashes`` belong to documents of the project."""
        known: set[str] = set()
        for i in range(0, len(hashes), 500):
            chunk = list(hashes[i:i + 500])
            known.update(r[0] for r in self.conn.execute(
                f"SELECT text_hash FROM documents WHERE text_hash IN ({','.join('?' * len(chunk))})", chunk))
        return known

    def merge_spans(self, doc_id: int, drafts: Sequence[SpanDraft], *, span_status: str = "accepted",
                    origin: str = "import", annotator: str | None = None) -> int:
        """Add to an existing document the drafts it does not hold yet (same offsets,
        layer, label and target, in any status: a span someone rejected is not
        brought back). Returns how many were added."""
        existing = {
            (r[0], r[1], r[2], r[3], r[4]) for r in self.conn.execute(
                'SELECT start, "end", layer, label, target FROM spans WHERE doc_id = ?', (doc_id,))
        }
        new = [d for d in drafts if (d.start, d.end, d.layer, d.label, d.target) not in existing]
        if not new:
            return 0
        with self.write():
            ids = self._insert_drafts(doc_id, new, status=span_status, origin=origin, annotator=annotator or self.annotator)
            self._log("document.merge_spans", doc_id=doc_id, after={"spans": len(ids)})
        return len(ids)

    def _insert_drafts(self, doc_id: int, drafts: Sequence[SpanDraft], *, status: str, origin: str, annotator: str | None) -> list[int]:
        """Insert entity drafts first so stance holders can point at them."""
        ids_by_offsets: dict[tuple[int, int], int] = {}
        new_ids: list[int] = []
        for draft in sorted(drafts, key=lambda d: d.layer != "entity"):
            holder_id = ids_by_offsets.get(draft.holder) if draft.holder else None
            if draft.layer == "stance" and draft.holder and holder_id is None:
                row = self.conn.execute(
                    "SELECT id FROM spans WHERE doc_id=? AND layer='entity' AND start=? AND \"end\"=? AND status != 'rejected' ORDER BY id DESC LIMIT 1",
                    (doc_id, draft.holder[0], draft.holder[1]),
                ).fetchone()
                holder_id = row[0] if row else None
            cur = self.conn.execute(
                "INSERT INTO spans (doc_id, start, \"end\", layer, label, target, holder_span_id, origin, score, cue, status, annotator)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (doc_id, draft.start, draft.end, draft.layer, draft.label, draft.target, holder_id,
                 draft.origin or origin, draft.score, draft.cue, status, annotator if status != "suggested" else None),
            )
            if draft.layer == "entity":
                ids_by_offsets.setdefault((draft.start, draft.end), cur.lastrowid)
            new_ids.append(cur.lastrowid)
        return new_ids

    def document(self, doc_id: int) -> Document:
        row = self.conn.execute(
            "SELECT id, text, title, source, meta, text_hash FROM documents WHERE id = ?", (doc_id,)
        ).fetchone()
        if row is None:
            raise KeyError(doc_id)
        return Document(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5])

    def doc_id_for_text_hash(self, text_hash: str) -> int | None:
        row = self.conn.execute("SELECT id FROM documents WHERE text_hash = ?", (text_hash,)).fetchone()
        return row[0] if row else None

    def spans_mark(self, doc_id: int) -> tuple[int, int | None, str | None]:
        """A cheap fingerprint of a document's spans (count, newest id, latest
        update): it changes whenever any of them is added, decided or removed."""
        return tuple(self.conn.execute(
            "SELECT count(*), max(id), max(updated_at) FROM spans WHERE doc_id = ?", (doc_id,)).fetchone())

    def last_doc_id(self) -> int:
        """The newest document's id (0 when there is none): documents are only
        ever added, so a new value means new documents."""
        return self.conn.execute("SELECT coalesce(max(id), 0) FROM documents").fetchone()[0]

    def data_version(self) -> int:
        """Changes when another connection (another process or window) commits to
        the project; the window polls it to refresh what it shows."""
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def document_count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM documents").fetchone()[0]

    def all_doc_ids(self) -> list[int]:
        """Every document id, in import order."""
        return [r[0] for r in self.conn.execute("SELECT id FROM documents ORDER BY id")]

    def iter_documents(self, *, doc_ids: Iterable[int] | None = None, batch: int = 500) -> Iterator[Document]:
        """Documents in id order, fetched in batches (bounded memory)."""
        if doc_ids is not None:
            for doc_id in doc_ids:
                yield self.document(doc_id)
            return
        last = 0
        while True:
            rows = self.conn.execute(
                "SELECT id, text, title, source, meta, text_hash FROM documents WHERE id > ? ORDER BY id LIMIT ?",
                (last, batch),
            ).fetchall()
            if not rows:
                return
            for r in rows:
                yield Document(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5])
            last = rows[-1][0]

    # -- spans -----------------------------------------------------------------

    @staticmethod
    def _span(row: Sequence[Any]) -> Span:
        return Span(id=row[0], doc_id=row[1], start=row[2], end=row[3], layer=row[4], label=row[5], target=row[6],
                    holder_span_id=row[7], origin=row[8], score=row[9], cue=row[10], status=row[11], annotator=row[12])

    def spans(self, doc_id: int, *, statuses: Iterable[str] | None = None, layer: str | None = None) -> list[Span]:
        sql = f"SELECT {_SPAN_COLUMNS} FROM spans WHERE doc_id = ?"
        params: list[Any] = [doc_id]
        if statuses is not None:
            statuses = list(statuses)
            sql += f" AND status IN ({','.join('?' * len(statuses))})"
            params += statuses
        if layer is not None:
            sql += " AND layer = ?"
            params.append(layer)
        sql += ' ORDER BY start, "end" DESC, id'
        return [self._span(r) for r in self.conn.execute(sql, params)]

    def span(self, span_id: int) -> Span:
        row = self.conn.execute(f"SELECT {_SPAN_COLUMNS} FROM spans WHERE id = ?", (span_id,)).fetchone()
        if row is None:
            raise KeyError(span_id)
        return self._span(row)

    @staticmethod
    def _span_dict(span: Span) -> dict[str, Any]:
        return {"start": span.start, "end": span.end, "layer": span.layer, "label": span.label, "target": span.target,
                "holder_span_id": span.holder_span_id, "status": span.status, "origin": span.origin}

    def add_span(self, doc_id: int, span: Span) -> Span:
        """Store one span written or accepted by a person; one transaction."""
        with self.write():
            cur = self.conn.execute(
                "INSERT INTO spans (doc_id, start, \"end\", layer, label, target, holder_span_id, origin, score, cue, status, annotator)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (doc_id, span.start, span.end, span.layer, span.label, span.target, span.holder_span_id,
                 span.origin or ORIGIN_HUMAN, span.score, span.cue, span.status, span.annotator or self.annotator),
            )
            stored = self.span(cur.lastrowid)
            self._log("span.add", doc_id=doc_id, span_id=stored.id, after=self._span_dict(stored))
            self._touch_doc(doc_id)
        return stored

    def update_span(self, span_id: int, *, action: str = "span.update", **changes: Any) -> tuple[Span, Span]:
        """Change fields of one span (status, label, start, end, target, holder_span_id, origin).
        Returns (before, after); one transaction."""
        allowed = {"status", "label", "start", "end", "target", "holder_span_id", "origin"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)}")
        with self.write():
            before = self.span(span_id)
            if changes:
                sets = ", ".join(f'"{k}" = ?' for k in changes)
                self.conn.execute(
                    f"UPDATE spans SET {sets}, annotator = {_KEEP_REVIEWED}, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?",
                    [*changes.values(), self.annotator, span_id],
                )
            after = self.span(span_id)
            self._log(action, doc_id=before.doc_id, span_id=span_id, before=self._span_dict(before), after=self._span_dict(after))
            self._touch_doc(before.doc_id)
        return before, after

    def delete_span(self, span_id: int, *, action: str = "span.delete") -> Span:
        """Remove a span row (used to undo the creation of a span); one transaction."""
        with self.write():
            before = self.span(span_id)
            self.conn.execute("DELETE FROM spans WHERE id = ?", (span_id,))
            self._log(action, doc_id=before.doc_id, span_id=span_id, before=self._span_dict(before))
        return before

    def restore_span(self, span: Span, *, action: str = "span.restore") -> Span:
        """Re-insert a deleted span under its old id (ids are never reused)."""
        with self.write():
            self.conn.execute(
                "INSERT INTO spans (id, doc_id, start, \"end\", layer, label, target, holder_span_id, origin, score, cue, status, annotator)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (span.id, span.doc_id, span.start, span.end, span.layer, span.label, span.target, span.holder_span_id,
                 span.origin, span.score, span.cue, span.status, span.annotator),
            )
            self._log(action, doc_id=span.doc_id, span_id=span.id, after=self._span_dict(span))
        return self.span(span.id)

    def set_span_statuses(self, span_ids: Sequence[int], status: str, *, action: str = "span.bulk_status") -> list[tuple[int, str]]:
        """Set many spans' status in one transaction; returns (id, previous status) pairs."""
        previous: list[tuple[int, str]] = []
        with self.write():
            for span_id in span_ids:
                row = self.conn.execute("SELECT status, doc_id FROM spans WHERE id = ?", (span_id,)).fetchone()
                if row is None or row[0] == status:
                    continue
                previous.append((span_id, row[0]))
                self.conn.execute(
                    f"UPDATE spans SET status = ?, annotator = {_KEEP_REVIEWED}, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?",
                    (status, self.annotator, span_id),
                )
                self._log(action, doc_id=row[1], span_id=span_id, before={"status": row[0]}, after={"status": status})
        return previous

    def restore_span_statuses(self, previous: Sequence[tuple[int, str]], *, action: str = "span.bulk_status.undo") -> None:
        with self.write():
            for span_id, status in previous:
                row = self.conn.execute("SELECT status, doc_id FROM spans WHERE id = ?", (span_id,)).fetchone()
                if row is None:
                    continue
                self.conn.execute(
                    "UPDATE spans SET status = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?",
                    (status, span_id),
                )
                self._log(action, doc_id=row[1], span_id=span_id, before={"status": row[0]}, after={"status": status})

    def touch_document(self, doc_id: int) -> None:
        """Record that a person worked on the document ('new' becomes 'in_progress');
        one transaction, or part of the caller's."""
        with self.write():
            self._touch_doc(doc_id)

    def _touch_doc(self, doc_id: int) -> None:
        """A person worked on the document: 'new' becomes 'in_progress'."""
        self.conn.execute(
            "INSERT INTO doc_status (doc_id, annotator, status) VALUES (?, ?, 'in_progress')"
            " ON CONFLICT(doc_id, annotator) DO UPDATE SET status = 'in_progress', updated_at = excluded.updated_at"
            " WHERE doc_status.status = 'new'",
            (doc_id, self.annotator),
        )

    # -- suggestions -----------------------------------------------------------

    def suggested_by(self, doc_id: int, suggester: str) -> bool:
        return self.conn.execute(
            "SELECT 1 FROM suggestion_runs WHERE doc_id = ? AND suggester = ?", (doc_id, suggester)
        ).fetchone() is not None

    def unsuggested_doc_ids(self, suggester: str, *, limit: int | None = None, after_id: int = 0) -> list[int]:
        sql = ("SELECT id FROM documents WHERE id > ? AND id NOT IN (SELECT doc_id FROM suggestion_runs WHERE suggester = ?)"
               " ORDER BY id")
        params: list[Any] = [after_id, suggester]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [r[0] for r in self.conn.execute(sql, params)]

    def store_suggestions(self, doc_id: int, suggester: str, drafts: Sequence[SpanDraft]) -> int:
        """Replace the document's pending suggestions from ``suggester``'s family with
        new ones, never touching spans a person accepted, rejected or wrote, and never
        duplicating one: a draft whose (start, end, layer, label, target) matches an
        existing span of any status is skipped. A pending suggestion identical to a
        new draft is kept as it is (same id), so suggesting a document again while it
        is open does not move the annotator's focus. Returns the number stored."""
        with self.write():
            return self._store_suggestions(doc_id, suggester, drafts)

    def store_suggestion_batch(self, suggester: str,
                               batch: Sequence[tuple[int, Sequence[SpanDraft]]]) -> list[int]:
        """:meth:`store_suggestions` for several documents in one transaction (a
        distributed run's shard); returns the number stored per document. A document
        deleted meanwhile is passed over (0)."""
        with self.write():
            live = {r[0] for r in self.conn.execute(
                f"SELECT id FROM documents WHERE id IN ({','.join('?' * len(batch))})", [d for d, _ in batch])}
            return [self._store_suggestions(doc_id, suggester, drafts) if doc_id in live else 0
                    for doc_id, drafts in batch]

    def _store_suggestions(self, doc_id: int, suggester: str, drafts: Sequence[SpanDraft]) -> int:
        """The body of :meth:`store_suggestions`, inside the caller's transaction.

        A pending suggestion is matched to a draft by what it claims (start, end,
        layer, label, target, and a stance's holder offsets): a match keeps its row
        and id, and only its origin, score and cue are brought up to date; pending
        rows no draft matches are deleted and drafts nothing matches are inserted.
        Ids held elsewhere (the window's focus, undo history) stay valid for every
        suggestion that did not change."""
        existing = {
            (r[0], r[1], r[2], r[3], r[4])
            for r in self.conn.execute(
                'SELECT start, "end", layer, label, target FROM spans WHERE doc_id = ? AND status != \'suggested\'',
                (doc_id,),
            )
        }
        rows = self.conn.execute(
            'SELECT s.id, s.start, s."end", s.layer, s.label, s.target, h.start, h."end", s.origin, s.score, s.cue'
            ' FROM spans s LEFT JOIN spans h ON h.id = s.holder_span_id'
            ' WHERE s.doc_id = ? AND s.status = \'suggested\' ORDER BY s.id',
            (doc_id,),
        ).fetchall()
        pending: dict[tuple, tuple] = {}
        for r in rows:
            holder = (r[6], r[7]) if r[3] == "stance" and r[6] is not None else None
            pending.setdefault((*r[1:6], holder), (r[0], r[8], r[9], r[10]))
        keep: list[tuple[int, SpanDraft]] = []
        fresh = []
        seen: set[tuple] = set()
        for d in drafts:
            key = (d.start, d.end, d.layer, d.label, d.target)
            own = (*key, d.holder if d.layer == "stance" else None)  # one stance per holder
            if key in existing or own in seen:
                continue
            seen.add(own)
            same = pending.pop(own, None)
            if same is None:
                fresh.append(d)
                continue
            span_id, origin, score, cue = same
            keep.append((span_id, d))
            if (d.origin or suggester, d.score, d.cue) != (origin, score, cue):
                self.conn.execute(
                    "UPDATE spans SET origin = ?, score = ?, cue = ?,"
                    " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?",
                    (d.origin or suggester, d.score, d.cue, span_id))
        kept_ids = {k[0] for k in keep}
        stale = [r[0] for r in rows if r[0] not in kept_ids]
        for i in range(0, len(stale), 500):
            chunk = stale[i:i + 500]
            self.conn.execute(f"DELETE FROM spans WHERE id IN ({','.join('?' * len(chunk))})", chunk)
        self._insert_drafts(doc_id, fresh, status="suggested", origin=suggester, annotator=None)
        # A kept stance whose holder row went (ON DELETE SET NULL) points at the
        # entity now at the holder's offsets.
        for span_id, d in keep:
            if d.layer == "stance" and d.holder:
                self.conn.execute(
                    "UPDATE spans SET holder_span_id = (SELECT id FROM spans WHERE doc_id = ? AND layer = 'entity'"
                    " AND start = ? AND \"end\" = ? AND status != 'rejected' ORDER BY id DESC LIMIT 1)"
                    " WHERE id = ? AND holder_span_id IS NULL",
                    (doc_id, d.holder[0], d.holder[1], span_id))
        stored = len(fresh) + len(keep)
        self.conn.execute(
            "INSERT INTO suggestion_runs (doc_id, suggester, n_spans) VALUES (?, ?, ?)"
            " ON CONFLICT(doc_id, suggester) DO UPDATE SET n_spans = excluded.n_spans, at = excluded.at",
            (doc_id, suggester, stored),
        )
        return stored

    def has_suggestion_run(self, doc_id: int) -> bool:
        """Whether any suggester has pre-annotated the document."""
        return self.conn.execute("SELECT 1 FROM suggestion_runs WHERE doc_id = ?", (doc_id,)).fetchone() is not None

    def untouched_doc_ids(self, doc_ids: Sequence[int]) -> list[int]:
        """The documents of ``doc_ids`` nobody has started: no status beyond 'new'
        and no span a person decided."""
        busy: set[int] = set()
        for i in range(0, len(doc_ids), 500):
            chunk = list(doc_ids[i:i + 500])
            marks = ",".join("?" * len(chunk))
            busy.update(r[0] for r in self.conn.execute(
                f"SELECT doc_id FROM doc_status WHERE status != 'new' AND doc_id IN ({marks})"
                f" UNION SELECT doc_id FROM spans WHERE status != 'suggested' AND doc_id IN ({marks})",
                chunk + chunk))
        return [d for d in doc_ids if d not in busy]

    # -- document status -------------------------------------------------------

    def doc_status(self, doc_id: int, annotator: str | None = None) -> str:
        row = self.conn.execute(
            "SELECT status FROM doc_status WHERE doc_id = ? AND annotator = ?", (doc_id, annotator or self.annotator)
        ).fetchone()
        return row[0] if row else "new"

    def set_doc_status(self, doc_id: int, status: str) -> str:
        """Set this annotator's status of a document; returns the previous one."""
        if status not in DOC_STATUSES:
            raise ValueError(status)
        with self.write():
            before = self.doc_status(doc_id)
            self.conn.execute(
                "INSERT INTO doc_status (doc_id, annotator, status) VALUES (?, ?, ?)"
                " ON CONFLICT(doc_id, annotator) DO UPDATE SET status = excluded.status,"
                " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
                (doc_id, self.annotator, status),
            )
            self._log("document.status", doc_id=doc_id, before={"status": before}, after={"status": status})
        return before

    def adjacent_doc_id(self, doc_id: int, step: int = 1) -> int | None:
        """The document ``step`` places after (or, negative, before) ``doc_id`` in id order."""
        if step >= 0:
            sql = "SELECT id FROM documents WHERE id > ? ORDER BY id LIMIT 1 OFFSET ?"
        else:
            sql = "SELECT id FROM documents WHERE id < ? ORDER BY id DESC LIMIT 1 OFFSET ?"
        row = self.conn.execute(sql, (doc_id, max(abs(step) - 1, 0))).fetchone()
        return row[0] if row else None

    def first_open_doc_id(self) -> int | None:
        """The first document this annotator has not marked done or skipped (else the first)."""
        row = self.conn.execute(
            "SELECT id FROM documents WHERE id NOT IN (SELECT doc_id FROM doc_status WHERE annotator = ?"
            " AND status IN ('done', 'skipped')) ORDER BY id LIMIT 1", (self.annotator,),
        ).fetchone()
        if row is None:
            row = self.conn.execute("SELECT id FROM documents ORDER BY id LIMIT 1").fetchone()
        return row[0] if row else None

    def done_doc_ids(self, *, annotator: str | None = None) -> list[int]:
        """Documents marked done (by ``annotator``, or by anyone)."""
        if annotator:
            rows = self.conn.execute(
                "SELECT DISTINCT doc_id FROM doc_status WHERE status = 'done' AND annotator = ? ORDER BY doc_id", (annotator,)
            )
        else:
            rows = self.conn.execute("SELECT DISTINCT doc_id FROM doc_status WHERE status = 'done' ORDER BY doc_id")
        return [r[0] for r in rows]

    # -- statistics ------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        total = self.document_count()
        by_status: dict[str, int] = {s: 0 for s in DOC_STATUSES}
        marked = 0
        for status, n in self.conn.execute(
            "SELECT status, count(*) FROM doc_status WHERE annotator = ? GROUP BY status", (self.annotator,)
        ):
            by_status[status] = n
            marked += n
        by_status["new"] += total - marked
        done_any = self.conn.execute("SELECT count(DISTINCT doc_id) FROM doc_status WHERE status = 'done'").fetchone()[0]
        spans: dict[str, dict[str, dict[str, int]]] = {}
        for layer, label, status, n in self.conn.execute(
            "SELECT layer, label, status, count(*) FROM spans GROUP BY layer, label, status ORDER BY layer, label, status"
        ):
            spans.setdefault(layer, {}).setdefault(label, {"suggested": 0, "accepted": 0, "rejected": 0})[status] = n
        return {
            "project": str(self.path) if self.path else None,
            "annotator": self.annotator,
            "documents": {"total": total, "by_status": by_status, "done_by_anyone": done_any},
            "spans": spans,
            "model": self.setting("model", "auto"),
        }

    # -- team work (merge, assign, review) ----------------------------------------

    def doc_statuses(self, doc_id: int) -> dict[str, str]:
        """Every annotator's status of one document."""
        return dict(self.conn.execute("SELECT annotator, status FROM doc_status WHERE doc_id = ?", (doc_id,)))

    def annotators(self) -> list[str]:
        """Everyone who decided a span or set a document status, sorted."""
        return [r[0] for r in self.conn.execute(
            "SELECT annotator FROM spans WHERE annotator IS NOT NULL UNION SELECT annotator FROM doc_status ORDER BY 1")]

    def insert_document_row(self, document: Document) -> int:
        """Store a copy of another project's document (same text, title, source,
        meta and hash) in the caller's transaction; returns its id here."""
        cur = self.conn.execute(
            "INSERT INTO documents (text, title, source, meta, text_hash, length) VALUES (?,?,?,?,?,?)",
            (document.text, document.title, document.source, json.dumps(document.meta, ensure_ascii=False),
             document.text_hash, len(document.text)),
        )
        self._log("document.copy", doc_id=cur.lastrowid, after={"title": document.title})
        return cur.lastrowid

    def insert_span_rows(self, doc_id: int, spans: Sequence[Span], *, action: str = "span.copy") -> list[int]:
        """Store complete spans (annotator, status, origin and holder id as given) in
        the caller's transaction; returns their new ids in order."""
        ids = []
        for span in spans:
            cur = self.conn.execute(
                "INSERT INTO spans (doc_id, start, \"end\", layer, label, target, holder_span_id, origin, score, cue, status, annotator)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (doc_id, span.start, span.end, span.layer, span.label, span.target, span.holder_span_id,
                 span.origin, span.score, span.cue, span.status, span.annotator),
            )
            ids.append(cur.lastrowid)
            self._log(action, doc_id=doc_id, span_id=cur.lastrowid, after=self._span_dict(replace(span, id=cur.lastrowid)))
        return ids

    def put_doc_status(self, doc_id: int, annotator: str, status: str, *, action: str = "document.status") -> str:
        """Set ``annotator``'s status of a document (another person's, when merging or
        reviewing); returns the previous one. One transaction, or part of the caller's."""
        if status not in DOC_STATUSES:
            raise ValueError(status)
        with self.write():
            before = self.doc_status(doc_id, annotator)
            self.conn.execute(
                "INSERT INTO doc_status (doc_id, annotator, status) VALUES (?, ?, ?)"
                " ON CONFLICT(doc_id, annotator) DO UPDATE SET status = excluded.status,"
                " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
                (doc_id, annotator, status),
            )
            self._log(action, doc_id=doc_id, before={"status": before, "annotator": annotator},
                      after={"status": status, "annotator": annotator})
        return before

    def suggestion_runs(self, doc_id: int) -> list[tuple[str, int]]:
        return [(r[0], r[1]) for r in self.conn.execute(
            "SELECT suggester, n_spans FROM suggestion_runs WHERE doc_id = ?", (doc_id,))]

    def record_suggestion_run(self, doc_id: int, suggester: str, n_spans: int) -> None:
        """Note a suggester's run on a document (copied from another project); keeps an existing note."""
        self.conn.execute("INSERT OR IGNORE INTO suggestion_runs (doc_id, suggester, n_spans) VALUES (?, ?, ?)",
                          (doc_id, suggester, n_spans))

    def document_events(self, doc_id: int) -> list[tuple]:
        """The events log of one document: (at, annotator, action, span_id, before, after), oldest first."""
        return [tuple(r) for r in self.conn.execute(
            "SELECT at, annotator, action, span_id, before, after FROM events WHERE doc_id = ? ORDER BY id", (doc_id,))]

    def append_events(self, doc_id: int, rows: Sequence[tuple]) -> None:
        """Append another project's log lines (as :meth:`document_events` gives them)
        to document ``doc_id``, keeping their time and author; caller's transaction."""
        self.conn.executemany(
            "INSERT INTO events (at, annotator, action, doc_id, span_id, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(at, who, action, doc_id, span_id, before, after) for at, who, action, span_id, before, after in rows])

    def log_event(self, action: str, *, doc_id: int | None = None, after: Any = None) -> None:
        """Record a project-level action (a merge, a split) in the caller's transaction."""
        self._log(action, doc_id=doc_id, after=after)
