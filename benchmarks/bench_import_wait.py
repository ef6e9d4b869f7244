"""Benchmark: how long a window's decision waits while ``annotator import`` runs.

Generates a JSONL file of ``--records`` articles (default 150,000) in our format
with :func:`bench_import.generate`: short news items of ``--spans`` entities
(default 8: about 750 characters, a paragraph or two, the size of a wire brief),
every entity with its offsets and text. Then, in the same run, on one project:

- ``baseline``: a second process (its own connection, deciding through the
  window's :class:`~annotator.services.session.AnnotationSession`, see
  ``tests/reliability/deciding.py``) accepts or rejects suggestions, one decision
  every ``--pace`` seconds (default 0.05), with no import running;
- ``import``: the same while the real CLI (``python -m annotator import``, a
  subprocess) imports the file into that project.

Each decision's time is the wall time of the call that writes it, its commit
included (what a key press waits for). It prints the median, 95th and 99th
percentile and the max for both, their ratio to the baseline, the import's
duration and rate, the load average, and counts every decision in the file
afterwards ("lost: 0", or it fails).

The deciding process does what the window does about WAL checkpoints: its
commits never run one, a thread checkpoints every 30 s (``annotator.gui.checkpoints``).
``--decider-autocheckpoint`` lets its commits run SQLite's automatic checkpoint
instead (as the window did before), for a comparison. Either way it prints how
many decisions ran a checkpoint inside their own call (read and wrote over 1 MB).

``--batch-log FILE`` runs the importer with its batches timed (start, seconds
holding the write lock, articles) into FILE as JSON lines, and lists the
batches beside the slowest decisions.

Run: ``python benchmarks/bench_import_wait.py [--records 150000] [--spans 8] [--pace 0.05]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_import import generate  # noqa: E402

from tests.reliability.deciding import Decider, check_kept, seed  # noqa: E402

#: The importer with each batch's hold of the write lock logged (the real CLI otherwise).
TIMED_IMPORT = textwrap.dedent("""
    import json, sys, time
    from annotator.services import importing
    from annotator.storage.project import Project
    log = open(sys.argv[1], "a", buffering=1)
    store, retry, commit = importing._store_batch, Project._with_busy_retry, [0.0]
    def timed_commit(self, fn):
        start = time.perf_counter()
        try:
            return retry(self, fn)
        finally:
            commit[0] = time.perf_counter() - start
    Project._with_busy_retry = timed_commit
    def sched():  # ns on a core, ns waiting for one (Linux); the rest of the wall time is blocked (I/O)
        try:
            with open("/proc/thread-self/schedstat") as fh:
                return [int(x) for x in fh.read().split()[:2]]
        except OSError:
            return [0, 0]
    def timed(project, batch, **kw):
        start, before = time.time(), sched()
        seconds = store(project, batch, **kw)
        after = sched()
        log.write(json.dumps({"at": start, "seconds": seconds, "commit": commit[0], "articles": len(batch),
                              "cpu": (after[0] - before[0]) / 1e9, "runqueue": (after[1] - before[1]) / 1e9,
                              "checkpoint": checkpoints[-1] if checkpoints else None}) + "\\n")
        return seconds
    importing._store_batch = timed
    from tests.reliability.deciding import watch_checkpoints
    checkpoints, watched = [], []
    def watched_store(project, batch, **kw):  # the checkpoints the import's own commits run, timed
        if not watched:
            watched.append(watch_checkpoints(project.conn, checkpoints))
        checkpoints.clear()
        return timed(project, batch, **kw)
    importing._store_batch = watched_store
    from annotator.__main__ import main
    main(sys.argv[2:])
""")


def _load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _figures(waits: list[float]) -> dict[str, float]:
    waits = sorted(waits)
    q = statistics.quantiles(waits, n=100, method="inclusive") if len(waits) > 1 else waits * 99
    return {"median": statistics.median(waits), "p95": q[94], "p99": q[98], "max": waits[-1]}


def _line(name: str, waits: list[float], base: dict[str, float] | None = None) -> str:
    f = _figures(waits)
    text = f"{name:9} {len(waits):5} decisions  " + "  ".join(f"{k} {v * 1000:6.1f} ms" for k, v in f.items())
    if base:
        text += "   vs baseline: " + "  ".join(f"{k} {v / base[k]:.1f}x" for k, v in f.items())
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=150_000)
    parser.add_argument("--spans", type=int, default=8)
    parser.add_argument("--pace", type=float, default=0.05, help="seconds between two decisions")
    parser.add_argument("--baseline", type=int, default=300, help="decisions made with no import running")
    parser.add_argument("--decider-autocheckpoint", action="store_true",
                        help="the deciding connection's commits run SQLite's automatic WAL checkpoint")
    parser.add_argument("--batch-log", type=Path, help="log the importer's batches into this file")
    parser.add_argument("--decisions", type=Path, help="write every decision (JSON lines) into this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        source = tmpdir / "articles.jsonl"
        generate(source, articles=args.records, spans=args.spans)
        size_mb = source.stat().st_size / 1e6
        project = tmpdir / "project.db"
        seed(project, docs=800, suggestions=25)  # 20,000 decisions: enough for 15 minutes at 20 a second
        print(f"{args.records:,} records x {args.spans} entity spans ({size_mb:.0f} MB of JSONL); "
              f"a decision every {args.pace * 1000:.0f} ms; the decider's commits "
              + ("run SQLite's automatic checkpoint" if args.decider_autocheckpoint else "never checkpoint"))

        print(f"baseline: {_load()}")
        auto = args.decider_autocheckpoint
        baseline = Decider(project, count=args.baseline, pace=args.pace, autocheckpoint=auto).finish()

        stop = tmpdir / "stop"
        decider = Decider(project, stop=stop, least=20, pace=args.pace, autocheckpoint=auto)
        load_before = _load()
        command = ["-m", "annotator"]
        if args.batch_log:
            args.batch_log.unlink(missing_ok=True)
            command = ["-c", TIMED_IMPORT, str(args.batch_log)]
        started = time.perf_counter()
        root = str(Path(__file__).resolve().parents[1])
        importer = subprocess.run([sys.executable, *command, "import", str(source), "--project", str(project)],
                                  capture_output=True, text=True,
                                  env=dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])))
        seconds = time.perf_counter() - started
        load_after = _load()
        stop.touch()
        beside = decider.finish()
        assert importer.returncode == 0, importer.stderr[-3000:]

        lost = check_kept(project, baseline + beside)
        if args.decisions:
            args.decisions.write_text("".join(json.dumps(d) + "\n" for d in baseline + beside))
        during = [d for d in beside if d["during_import"]]
        base = _figures([d["wait"] for d in baseline])
        print(f"import: {seconds:.1f} s, {args.records / seconds:,.0f} records/s "
              f"(at its start {load_before}; at its end {load_after})")
        print(_line("baseline", [d["wait"] for d in baseline]))
        print(_line("import", [d["wait"] for d in during], base))
        print(f"lost: {lost}")
        print(_checkpoints(during, args.decider_autocheckpoint))
        if args.batch_log:
            _explain(args.batch_log, during)


#: A decision's call that read and wrote more than this ran a WAL checkpoint: its own
#: commit writes a few pages (tens of KB); a checkpoint copies the WAL's frames
#: (the auto-checkpoint starts at 1,000 pages, 4 MB) into the database file.
CHECKPOINT_BYTES = 1_000_000


def _checkpoints(decisions: list[dict], auto: bool) -> str:
    """How many decisions ran a WAL checkpoint inside their own call, and what they waited."""
    big = [d for d in decisions if min(d.get("read", 0), d.get("written", 0)) > CHECKPOINT_BYTES]
    text = f"decisions whose call read and wrote over 1 MB (a checkpoint's copy): {len(big)} of {len(decisions)}"
    if not auto:
        return text + "; their commits never checkpoint (wal_autocheckpoint = 0)"
    ran = sorted((d for d in decisions if d.get("checkpoint")), key=lambda d: -d["wait"])
    text += f"; decisions whose commit ran the automatic checkpoint: {len(ran)}"
    if ran:
        seconds = sorted(d["checkpoint"]["seconds"] for d in ran)
        busy = sum(d["checkpoint"]["rc"] != 0 for d in ran)
        text += (f" ({busy} found another connection checkpointing; checkpoint median {statistics.median(seconds) * 1000:.1f} ms, max {seconds[-1] * 1000:.1f} ms; "
                 f"WAL of {min(d['checkpoint']['frames'] for d in ran)}-{max(d['checkpoint']['frames'] for d in ran)} "
                 f"frames; those decisions' waits: median {statistics.median(d['wait'] for d in ran) * 1000:.1f} ms, "
                 f"max {ran[0]['wait'] * 1000:.1f} ms)")
    return text


def _explain(log: Path, decisions: list[dict]) -> None:
    """The batches around each of the slowest decisions."""
    batches = [json.loads(line) for line in log.read_text().splitlines()]
    held = sorted(b["seconds"] for b in batches)
    print(f"{len(batches)} batches: lock held median {statistics.median(held) * 1000:.0f} ms, "
          f"max {held[-1] * 1000:.0f} ms; sizes {min(b['articles'] for b in batches)}-"
          f"{max(b['articles'] for b in batches)} articles")
    done = sorted(b["checkpoint"]["seconds"] for b in batches if b.get("checkpoint"))
    if done:
        print(f"the import's commits ran {len(done)} automatic checkpoints: median {statistics.median(done) * 1000:.0f} ms, "
              f"max {done[-1] * 1000:.0f} ms")
    long = [b for b in batches if b["seconds"] > 0.1]
    if long:
        total = sum(b["seconds"] for b in long)
        cpu, queue = sum(b["cpu"] for b in long), sum(b["runqueue"] for b in long)
        print(f"{len(long)} batches held the lock over 100 ms: {cpu / total:.0%} of that time on a core, "
              f"{queue / total:.0%} waiting for a core, {1 - (cpu + queue) / total:.0%} blocked (I/O)")
    for d in sorted(decisions, key=lambda d: -d["wait"])[:5]:
        end = d["at"] + d["wait"]
        near = [b for b in batches if b["at"] < end and b["at"] + b["seconds"] > d["at"] - 0.1]
        print(f"decision of {d['wait'] * 1000:.0f} ms ({d['lock'] * 1000:.0f} ms waiting for the lock, commit "
              f"{d['commit'] * 1000:.0f} ms, on a core {d['cpu'] * 1000:.0f}, waiting for one {d['runqueue'] * 1000:.0f}"
              + (", beside its own background checkpoint" if d["beside_idle_checkpoint"] else "")
              + (f", its commit ran a checkpoint of {d['checkpoint']['seconds'] * 1000:.0f} ms" if d["checkpoint"] else "")
              + f", {d['written'] / 1e6:.2f} MB written, WAL {d['wal_before'] / 1e6:.1f}"
              f"->{d['wal_after'] / 1e6:.1f} MB) beside batches "
              + ", ".join(f"[{(b['at'] - d['at']) * 1000:+.0f} ms, held {b['seconds'] * 1000:.0f} ms "
                          f"(commit {b['commit'] * 1000:.0f}, on a core {b['cpu'] * 1000:.0f}, waiting for one "
                          f"{b['runqueue'] * 1000:.0f}), {b['articles']} articles"
                          + (f", then a checkpoint of {b['checkpoint']['seconds'] * 1000:.0f} ms" if b.get("checkpoint") else "")
                          + "]" for b in near))


if __name__ == "__main__":
    main()
