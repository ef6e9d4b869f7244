"""Benchmark: first paint of the document list with 1,000,000 documents vs 1,000.

Both projects are generated in the same run (``generate_synthetic_documents``), then
opened again on a fresh connection for each repetition. The measured span is what a
user waits for: build :class:`DocumentListPanel`, show it, and paint it into a pixmap
(``QWidget.grab``). A lazy list costs the same at both sizes apart from ``count(*)``;
a list that loaded every row would show a ratio near 1000.

Run: ``python benchmarks/bench_doclist.py [--large 1000000] [--small 1000] [--repeat 5]``
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
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _generate(path: Path, count: int) -> float:
    from annotator.storage import open_project
    from tests.synthetic import generate_synthetic_documents

    start = time.perf_counter()
    with open_project(path, create=True, annotator="bench") as project:
        generate_synthetic_documents(project, count=count)
    return time.perf_counter() - start


def _first_paint(app, path: Path, *, sort_column: int | None = None) -> tuple[float, float]:
    """Seconds to open the project, and to build, show and paint the panel."""
    from PySide6.QtCore import Qt

    from annotator.gui.document_list import DocumentListPanel
    from annotator.storage import open_project

    start = time.perf_counter()
    project = open_project(path, annotator="bench")
    opened = time.perf_counter()
    panel = DocumentListPanel(project)
    panel.resize(900, 700)
    if sort_column is not None:
        panel.view.sortByColumn(sort_column, Qt.SortOrder.DescendingOrder)
    panel.show()
    app.processEvents()
    pixmap = panel.grab()
    painted = time.perf_counter()
    assert not pixmap.isNull() and panel.model.rowCount() > 0
    panel.close()
    panel.deleteLater()
    app.processEvents()
    project.close()
    return opened - start, painted - opened


def _scroll_to_end(app, path: Path) -> float:
    from annotator.gui.document_list import DocumentListPanel
    from annotator.storage import open_project

    project = open_project(path, annotator="bench")
    panel = DocumentListPanel(project)
    panel.resize(900, 700)
    panel.show()
    app.processEvents()
    start = time.perf_counter()
    panel.view.scrollToBottom()
    app.processEvents()
    panel.grab()
    elapsed = time.perf_counter() - start
    panel.close()
    panel.deleteLater()
    app.processEvents()
    project.close()
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix="bench-doclist-") as tmp:
        paths = {n: Path(tmp) / f"docs-{n}.db" for n in (args.small, args.large)}
        for n, path in paths.items():
            print(f"generated {n:>9,} documents in {_generate(path, n):6.1f} s")
        _first_paint(app, paths[args.small])  # warm up Qt (fonts, styles)

        results: dict[tuple[int, str], list[float]] = {}
        for _ in range(args.repeat):
            for n, path in paths.items():
                opened, painted = _first_paint(app, path)
                results.setdefault((n, "open"), []).append(opened)
                results.setdefault((n, "paint"), []).append(painted)
                _, sorted_paint = _first_paint(app, path, sort_column=0)
                results.setdefault((n, "paint sorted by title"), []).append(sorted_paint)
                results.setdefault((n, "scroll to the end"), []).append(_scroll_to_end(app, path))

        def median_ms(n: int, what: str) -> float:
            return statistics.median(results[(n, what)]) * 1000

        print(f"\nmedian of {args.repeat} runs        {args.small:>12,} docs {args.large:>12,} docs    ratio")
        for what in ("paint", "paint sorted by title", "scroll to the end", "open"):
            small, large = median_ms(args.small, what), median_ms(args.large, what)
            print(f"{what:<28} {small:>12.1f} ms {large:>12.1f} ms {large / small:8.2f}x")
        ratio = median_ms(args.large, "paint") / median_ms(args.small, "paint")
        print(f"\nfirst paint of the document list, {args.large:,} vs {args.small:,} documents: "
              f"{ratio:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
