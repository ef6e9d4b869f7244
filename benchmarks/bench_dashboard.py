"""Benchmark: opening the Dashboard on a 100,000-article project vs a 1,000-article one.

Both projects are generated in the same run with sqlite-utils ``insert_all``
(:func:`annotator.services.synthetic.generate_activity`: six suggestions per
article, 60% of the articles decided by three annotators over working days, each
decision logged), then opened again on a fresh connection for each repetition. The
measured span is what a user waits for: build the :class:`DashboardView`, show it,
compute the figures (background thread, summary tables) and paint the first tab
(``QWidget.grab``). Figures that scanned spans or events would grow a hundredfold
with the project; summary tables keep the ratio near 1.

matplotlib is imported (and the first figure drawn) once before timing; that
one-off cost is printed separately.

Run: ``QT_QPA_PLATFORM=offscreen python benchmarks/bench_dashboard.py [--large 100000] [--small 1000] [--repeat 3]
[--workdir DIR]`` (with ``--workdir``, generated projects are kept there and reused by the next run).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _generate(path: Path, count: int) -> tuple[float, dict[str, int]]:
    from annotator.services.synthetic import generate_activity
    from annotator.storage import open_project

    start = time.perf_counter()
    with open_project(path, create=True, annotator="bench") as project:
        counts = generate_activity(project, articles=count, annotators=3)
    return time.perf_counter() - start, counts


def _open_dashboard(app, path: Path) -> tuple[float, float, float, dict[str, float]]:
    """Seconds to open the project, to show the dashboard with its first tab painted,
    and the CPU seconds the process spent on the latter (less moved by other load)."""
    from annotator.gui.dashboard_view import DashboardView
    from annotator.storage import open_project

    start = time.perf_counter()
    project = open_project(path, annotator="bench")
    opened = time.perf_counter()
    cpu = time.process_time()
    view = DashboardView(project)
    view.resize(1280, 860)
    view.show()
    while view.dash is None:
        app.processEvents()
        time.sleep(0.001)
    pixmap = view.grab()
    painted = time.perf_counter()
    cpu = time.process_time() - cpu
    assert not pixmap.isNull() and view.dash.progress.total > 0
    timings = dict(view.dash.timings_ms)
    view.close()
    view.deleteLater()
    app.processEvents()
    project.close()
    return opened - start, painted - opened, cpu, timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, help="keep the generated projects here and reuse them")
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        folder = args.workdir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        small, large = folder / f"dashboard-{args.small}.db", folder / f"dashboard-{args.large}.db"
        for path, n in ((small, args.small), (large, args.large)):
            if path.exists():
                print(f"reusing {path}")
                continue
            seconds, counts = _generate(path, n)
            print(f"generated {n:,} articles in {seconds:.1f} s: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))

        started = time.perf_counter()
        _open_dashboard(app, small)  # imports matplotlib and draws the first figures once
        print(f"first dashboard of the process (matplotlib import included): {time.perf_counter() - started:.2f} s")

        results: dict[str, list[float]] = {"small": [], "large": []}
        cpus: dict[str, list[float]] = {"small": [], "large": []}
        timings: dict[str, dict[str, float]] = {}
        for _ in range(args.repeat):
            for name, path in (("small", small), ("large", large)):
                _opened, shown, cpu, timing = _open_dashboard(app, path)
                results[name].append(shown)
                cpus[name].append(cpu)
                timings[name] = timing
        s, lg = statistics.median(results["small"]), statistics.median(results["large"])
        cs, cl = statistics.median(cpus["small"]), statistics.median(cpus["large"])
        print(f"dashboard shown with figures, median of {args.repeat}: "
              f"{args.small:,} articles {s * 1000:.0f} ms, {args.large:,} articles {lg * 1000:.0f} ms "
              f"-> ratio {lg / s:.2f}x for {args.large / args.small:.0f}x the articles")
        print(f"  CPU time of the process: {cs * 1000:.0f} ms vs {cl * 1000:.0f} ms -> ratio {cl / cs:.2f}x")
        for name in ("small", "large"):
            print(f"  figure queries ({name}): " + ", ".join(f"{k} {v:.0f} ms" for k, v in timings[name].items()))
        print(f"target: under 1 s on {args.large:,} articles: {'met' if lg < 1.0 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
