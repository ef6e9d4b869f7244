"""A person deciding in another process, at a steady pace, through the window's service.

Used by ``test_import_beside_decisions.py`` and ``benchmarks/bench_import_wait.py``.
:func:`seed` makes a project whose articles carry suggestions; :class:`Decider`
runs this file as a child process (its own connection, like a window), which
opens each article in an :class:`~annotator.services.session.AnnotationSession`
and accepts (every fifth: rejects) its suggestions one decision at a time, one
every ``pace`` seconds, timing each ``session.run(command)`` (the write, its
commit and the cache update, what a key press waits for). It prints one JSON
line per decision and stops when the stop file exists (after at least
``least`` decisions) or after ``count`` decisions. Like the window, its commits
never run the WAL checkpoint: a thread checkpoints every 30 s on a connection of
its own (``autocheckpoint=True``: SQLite's automatic checkpoint on commit, as the
window did before). :func:`check_kept` counts them in the file afterwards. It fails (exit status 1) when the seeded suggestions run
out first.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

DECIDER_ANNOTATOR = "ana"
SUGGESTER = "seed"


def _seed_text(i: int, words: int) -> str:
    names = ["Kyiv", "Lviv", "Warsaw", "Berlin", "Paris", "Odesa"]
    return f"Report {i}: " + " and ".join(names[j % len(names)] for j in range(words)) + "."


def seed(path: Path, *, docs: int = 40, suggestions: int = 25) -> None:
    """A new project of ``docs`` articles with ``suggestions`` pending entity
    suggestions each (``docs * suggestions`` decisions can be made)."""
    from annotator.core.model import SpanDraft
    from annotator.core.text import text_hash
    from annotator.storage import NewDocument, open_project

    texts = [_seed_text(i, suggestions) for i in range(docs)]
    with open_project(path, create=True) as project:
        ids, _ = project.add_documents([NewDocument(t, f"seed {i}", text_hash(t)) for i, t in enumerate(texts)])
        batch = []
        for doc_id, text in zip(ids, texts):
            drafts, pos = [], text.index(": ") + 2
            for _ in range(suggestions):
                end = min(e for e in (text.find(" ", pos), text.find(".", pos)) if e > 0)
                drafts.append(SpanDraft(pos, end, "GPE"))
                pos = end + len(" and ")
            batch.append((doc_id, drafts))
        project.store_suggestion_batch(SUGGESTER, batch)


class Decider:
    """This file running as a child process; :meth:`finish` returns its decisions."""

    def __init__(self, path: Path, *, stop: Path | None = None, least: int = 20, count: int | None = None,
                 pace: float = 0.05, autocheckpoint: bool = False) -> None:
        args = [sys.executable, __file__, str(path), "--least", str(least), "--pace", str(pace)]
        if autocheckpoint:
            args.append("--autocheckpoint")
        if stop is not None:
            args += ["--stop", str(stop)]
        if count is not None:
            args += ["--count", str(count)]
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]) + os.pathsep
                   + os.environ.get("PYTHONPATH", ""))
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        ready = self.proc.stdout.readline()  # after the imports, before the first decision
        if ready.strip() != "ready":
            self.proc.kill()
            raise AssertionError(f"the decider did not start: {ready}{self.proc.stderr.read()[-3000:]}")
        # Read as it comes: a full pipe would stop the decider at its next print.
        self.lines: list[str] = []
        self._reader = threading.Thread(target=lambda: self.lines.extend(self.proc.stdout), daemon=True)
        self._reader.start()

    def finish(self, timeout: float = 600) -> list[dict]:
        self.proc.wait(timeout=timeout)
        self._reader.join(timeout=60)
        err = self.proc.stderr.read()
        assert self.proc.returncode == 0 and "Traceback" not in err, err[-3000:]
        return [json.loads(line) for line in self.lines]


def check_kept(path: Path, decisions: list[dict]) -> int:
    """Every decision is in the file, once, in the order it was made: the span has
    the status decided and the events log holds each, in order. Returns how many
    are missing (0), raising AssertionError with the details otherwise."""
    from annotator.storage import open_project

    with open_project(path) as project:
        logged = [r[0] for r in project.conn.execute(
            "SELECT span_id FROM events WHERE annotator = ? AND action IN ('span.accept', 'span.reject') ORDER BY id",
            (DECIDER_ANNOTATOR,))]
        status = dict(project.conn.execute(
            "SELECT id, status FROM spans WHERE annotator = ? OR id IN (SELECT span_id FROM events WHERE annotator = ?)",
            (DECIDER_ANNOTATOR, DECIDER_ANNOTATOR)).fetchall())
    made = [d["span"] for d in decisions]
    lost = [d for d in decisions if status.get(d["span"]) != d["status"]]
    assert not lost and logged == made, (
        f"{len(lost)} decision(s) lost of {len(decisions)}, {len(logged)} logged; first lost: {lost[:3]}")
    return len(lost)


def watch_checkpoints(conn, record: list) -> bool:
    """Make ``conn``'s commits checkpoint exactly as SQLite's automatic checkpoint
    does (a passive checkpoint once the WAL holds 1,000 frames), and append to
    ``record`` what each one did: ``{"rc": SQLite's result (5: another connection
    was checkpointing), "frames": in the WAL, "copied": frames copied so far,
    "seconds": its time}``. Instruments the benchmark only: it reaches
    the connection's ``sqlite3*`` through CPython 3.11's object layout and installs
    a WAL hook (``sqlite3_wal_hook``, which replaces the default one it imitates).
    Returns False, changing nothing, when that is not possible here."""
    import ctypes
    import sqlite3
    import time

    try:
        import _sqlite3

        lib = ctypes.CDLL(_sqlite3.__file__)  # and libsqlite3, which it links to
        db = ctypes.c_void_p.from_address(id(conn) + 2 * ctypes.sizeof(ctypes.c_void_p)).value
        lib.sqlite3_db_filename.argtypes, lib.sqlite3_db_filename.restype = [ctypes.c_void_p, ctypes.c_char_p], ctypes.c_char_p
        name = conn.execute("PRAGMA database_list").fetchone()[2]
        if not db or lib.sqlite3_db_filename(db, b"main") != name.encode():
            return False
    except (OSError, AttributeError, ValueError, sqlite3.Error):
        return False
    hook_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int)
    lib.sqlite3_wal_hook.argtypes = [ctypes.c_void_p, hook_type, ctypes.c_void_p]
    lib.sqlite3_wal_hook.restype = ctypes.c_void_p
    lib.sqlite3_wal_checkpoint_v2.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int,
                                              ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int)]

    def hook(_arg, handle, schema, frames):
        if frames >= 1000:  # SQLite's default wal_autocheckpoint
            log, copied = ctypes.c_int(-1), ctypes.c_int(-1)
            start = time.perf_counter()
            rc = lib.sqlite3_wal_checkpoint_v2(handle, schema, 0, ctypes.byref(log), ctypes.byref(copied))  # PASSIVE
            record.append({"rc": rc, "frames": log.value, "copied": copied.value,
                           "seconds": time.perf_counter() - start, "at": time.time()})
        return 0

    watch_checkpoints._hooks = [*getattr(watch_checkpoints, "_hooks", []), hook_type(hook)]  # kept alive
    lib.sqlite3_wal_hook(db, watch_checkpoints._hooks[-1], None)
    return True


def _io() -> tuple[int, int]:
    """Bytes this thread has read and written through system calls so far (Linux;
    (0, 0) elsewhere): a commit that runs the WAL checkpoint reads and writes the
    whole WAL (megabytes), a decision's own commit a few pages."""
    try:
        with open("/proc/thread-self/io") as fh:
            fields = dict(line.split(": ") for line in fh.read().splitlines())
        return int(fields["rchar"]), int(fields["wchar"])
    except (OSError, KeyError, ValueError):
        return 0, 0


def _sched() -> tuple[float, float]:
    """Seconds this thread has spent on a core and waiting for one (Linux; 0 elsewhere)."""
    try:
        with open("/proc/thread-self/schedstat") as fh:
            on_core, waiting = fh.read().split()[:2]
        return int(on_core) / 1e9, int(waiting) / 1e9
    except (OSError, ValueError):
        return 0.0, 0.0


def _size(path: Path) -> int:
    try:
        return path.stat().st_size  # a stat opens nothing: it cannot drop SQLite's locks
    except OSError:
        return 0


#: (start, end or None while running) of the decider's background checkpoints.
IDLE_CHECKPOINTS: list[list] = []


def _main() -> None:
    import argparse
    import time

    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--stop", help="stop once this file exists")
    parser.add_argument("--least", type=int, default=20)
    parser.add_argument("--count", type=int)
    parser.add_argument("--pace", type=float, default=0.05)
    parser.add_argument("--autocheckpoint", action="store_true")
    args = parser.parse_args()

    from annotator.services.session import AnnotationSession
    from annotator.storage import checkpoint_wal, open_project

    wal = Path(args.path + "-wal")
    with open_project(args.path, annotator=DECIDER_ANNOTATOR) as project:
        session = AnnotationSession(project)
        done = threading.Event()
        if not args.autocheckpoint:  # as the window does (annotator.gui.checkpoints)
            project.skip_checkpoints_on_commit()

            def checkpoints() -> None:
                while not done.wait(30.0):
                    IDLE_CHECKPOINTS.append([time.time(), None])
                    checkpoint_wal(args.path)
                    IDLE_CHECKPOINTS[-1][1] = time.time()

            checkpointer = threading.Thread(target=checkpoints, daemon=True)
            checkpointer.start()
            try:
                _decide(args, project, session, wal)
            finally:
                done.set()
                checkpointer.join()
        else:
            checkpoints: list = []
            if not watch_checkpoints(project.conn, checkpoints):
                checkpoints = None
            _decide(args, project, session, wal, checkpoints)


def _decide(args, project, session, wal: Path, checkpoints: list | None = None) -> None:
    import time

    take_lock, locked = project._begin_immediate, [0.0]

    def timed_lock() -> None:  # how much of a decision's time is the wait for the write lock
        start = time.perf_counter()
        take_lock()
        locked[0] += time.perf_counter() - start

    project._begin_immediate = timed_lock
    commit_retry, committed = project._with_busy_retry, [0.0]

    def timed_commit(fn):  # the COMMIT alone (Project.write commits through _with_busy_retry)
        start = time.perf_counter()
        try:
            return commit_retry(fn)
        finally:
            committed[0] += time.perf_counter() - start

    project._with_busy_retry = timed_commit
    doc_ids = project.all_doc_ids()
    print("ready", flush=True)
    made, next_at = 0, time.monotonic()

    def enough() -> bool:
        if args.count is not None:
            return made >= args.count
        return made >= args.least and (args.stop is None or os.path.exists(args.stop))

    for doc_id in doc_ids:
        session.load(doc_id)
        for span in [s for s in session.spans() if s.status == "suggested"]:
            if enough():
                return
            running = project.conn.execute(
                "SELECT count(*) FROM import_runs WHERE state = 'running'").fetchone()[0]
            status = "rejected" if made % 5 == 4 else "accepted"
            command = session.reject(span) if status == "rejected" else session.accept(span)
            locked[0] = committed[0] = 0.0
            if checkpoints:
                checkpoints.clear()
            io_before, wal_before, sched_before = _io(), _size(wal), _sched()
            at, start = time.time(), time.perf_counter()
            session.run(command)
            wait = time.perf_counter() - start
            io_after, sched_after = _io(), _sched()
            beside = any(s < at + wait and (e is None or e > at) for s, e in IDLE_CHECKPOINTS)
            print(json.dumps({"span": span.id, "status": status, "wait": wait, "lock": locked[0],
                              "commit": committed[0], "during_import": bool(running), "at": at,
                              "read": io_after[0] - io_before[0], "written": io_after[1] - io_before[1],
                              "wal_before": wal_before, "wal_after": _size(wal),
                              "checkpoint": checkpoints[-1] if checkpoints else None,
                              "cpu": sched_after[0] - sched_before[0], "runqueue": sched_after[1] - sched_before[1],
                              "beside_idle_checkpoint": beside}), flush=True)
            made += 1
            next_at = max(next_at + args.pace, time.monotonic())  # no burst after a long wait
            time.sleep(max(0.0, next_at - time.monotonic()))
    if not enough():
        sys.exit(f"the seeded suggestions ran out after {made} decisions: seed more (seed(docs=...))")


if __name__ == "__main__":
    _main()
