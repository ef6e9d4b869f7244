"""The Dashboard in the window: opened from the View menu, refreshed live, readable in
both themes, and screenshots of each tab for people to look at (artifacts/screenshots/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication

from annotator.gui.app import apply_theme
from annotator.gui.dashboard_view import PAGES, DashboardView
from annotator.services.synthetic import generate_activity
from annotator.storage import open_project
from tests.gui.editing import close_and_delete, open_window, seed
from tests.gui.test_screenshot import _distinct_colours

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def _open_dashboard(qtbot, window) -> DashboardView:
    window.actions_by_id["annotator.view.dashboard"].trigger()
    qtbot.waitUntil(lambda: window.dashboard is not None and window.dashboard.dash is not None, timeout=30_000)
    return window.dashboard


def _accept_first_suggestion(window) -> None:
    span = next(s for s in window.session.spans() if s.status == "suggested")
    window.editor.run_command(window.session.accept(span))


def test_view_menu_opens_the_dashboard_and_it_follows_decisions(qtbot, project, project_path):
    seed(project)
    window = open_window(qtbot, project, register=False)
    try:
        action = window.actions_by_id["annotator.view.dashboard"]
        assert action.shortcut().toString() == "F9"
        view_menu = next(m for m in window.menuBar().findChildren(type(window.menuBar().addMenu("x")))
                         if m.title() == "&View")
        assert action in view_menu.actions()
        view = _open_dashboard(qtbot, window)
        view.BACKGROUND_DELAY_MS = view.REFRESH_DELAY_MS  # offscreen, no window is ever active
        dock = window.findChild(type(window.palette_dock), "DashboardDock")
        assert dock.isVisible()
        assert view.dash.progress.total == 2 and view.dash.quality.total() == 0
        assert "0</b> decisions" in view.summary.text()

        # A decision in this window: the figures follow without pressing anything;
        # a plot whose numbers did not move (no article was finished) is not redrawn.
        drawers = {key: canvas._draw for key, canvas in view.canvases.items()}
        with qtbot.waitSignal(view.refreshed, timeout=30_000):
            _accept_first_suggestion(window)
        assert view.canvases["progress"]._draw is drawers["progress"]
        assert view.canvases["quality_origins"]._draw is not drawers["quality_origins"]
        assert view.dash.quality.by_origin() == {"test-suggester": {"accepted": 1, "corrected": 0, "rejected": 0}}
        assert "1</b> decisions" in view.summary.text()

        # A decision from another process (another connection): the window's change
        # watch notices it and the dashboard follows.
        other = open_project(project_path, annotator="ben")
        try:
            doc = other.conn.execute("SELECT doc_id FROM spans WHERE status = 'suggested' ORDER BY id").fetchone()[0]
            span_id = other.conn.execute(
                "SELECT id FROM spans WHERE status = 'suggested' AND doc_id = ? ORDER BY id", (doc,)).fetchone()[0]
            other.set_span_statuses([span_id], "rejected", action="span.reject")
        finally:
            other.close()
        with qtbot.waitSignal(view.refreshed, timeout=30_000):
            assert window.check_external_changes()
        assert view.dash.quality.by_origin()["test-suggester"]["rejected"] == 1
        assert {s.annotator for s in view.dash.speed} == {"tester", "ben"}

        # "Save report…" writes the same figures as one HTML file (in a child process).
        out = project_path.parent / "from-window.html"
        task = view.save_report(out)
        qtbot.waitUntil(lambda: task.state not in ("pending", "running"), timeout=60_000)
        assert task.state == "succeeded", view.updated.text()
        assert "Report saved" in view.updated.text()
        assert out.read_text(encoding="utf-8").count("<svg ") == 9

        # Esc in the dashboard hides it; F9 brings it back.
        from PySide6.QtCore import Qt

        view.tabs.setFocus()
        qtbot.keyClick(view.tabs, Qt.Key.Key_Escape)
        assert not dock.isVisible()
        action.trigger()
        assert dock.isVisible()

        # F9 again hides it (docked here); changes while hidden wait until it shows.
        dock.setFloating(False)
        action.trigger()
        assert not dock.isVisible()
        view.schedule_refresh()
        assert not view._timer.isActive()
        with qtbot.waitSignal(view.refreshed, timeout=30_000):
            action.trigger()
        assert dock.isVisible()
    finally:
        close_and_delete(window)


def _rich_project(path: Path):
    """A project with history from three annotators, two of whom finished the same
    article, and two trained pipelines' learning curves beside it."""
    from tests.services.team_data import AID, TROOPS, add_doc, annotate

    project = open_project(path, create=True, annotator="annotator1")
    generate_activity(project, articles=1500, annotators=3)
    doc = add_doc(project)
    annotate(project, doc, "annotator1", [("Paris", "GPE"), ("Macron", "PERSON"), ("Berlin", "ORG")],
             [(0, TROOPS, "FAVOR"), (2, AID, "NEUTRAL")])
    annotate(project, doc, "annotator2", [("Paris", "GPE"), ("Macron on", "PERSON"), ("Berlin", "GPE")],
             [(0, TROOPS, "FAVOR"), (3, AID, "AGAINST")])
    models = path.parent / f"{path.stem}-models"
    for version, scores in (("0.1.0", [0.31, 0.52, 0.58, 0.61]), ("0.2.0", [0.44, 0.63, 0.7, 0.73, 0.74])):
        folder = models / f"annotator_news-{version}"
        folder.mkdir(parents=True)
        curve = [{"component": "ner", "step": 100 * (i + 1), "docs_seen": 120 * (i + 1), "score": s}
                 for i, s in enumerate(scores)]
        curve += [{"component": "stance", "step": 100 * (i + 1), "docs_seen": 90 * (i + 1), "score": s * 0.8}
                  for i, s in enumerate(scores)]
        (folder / "meta.json").write_text(json.dumps({"lang": "en", "name": "annotator_news", "version": version,
                                                      "annotator": {"name": "annotator_news", "version": version,
                                                                    "components": ["ner", "stance"],
                                                                    "trained_at": f"2026-04-0{version[2]}T09:00:00Z",
                                                                    "learning_curve": curve}}), encoding="utf-8")
    return project


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_dashboard_screenshots(qtbot, qapp, tmp_path, theme):
    apply_theme(qapp, theme, follow_system=False)
    project = _rich_project(tmp_path / "team.db")
    view = DashboardView(project)
    qtbot.addWidget(view)
    try:
        view.resize(1280, 860)
        with qtbot.waitSignal(view.refreshed, timeout=60_000):
            view.show()
        SHOTS.mkdir(parents=True, exist_ok=True)
        background = view.canvases["progress"].theme.background
        for index, (title, keys) in enumerate(PAGES):
            view.tabs.setCurrentIndex(index)
            if keys == ("agreement",):
                qtbot.waitUntil(lambda: view.dash.agreement is not None, timeout=60_000)
            for _ in range(3):
                QCoreApplication.processEvents()
            image = view.grab().toImage()
            name = title.replace("&", "").lower()
            out = SHOTS / f"dashboard-{name}{'-dark' if theme == 'dark' else ''}.png"
            assert image.save(str(out), "PNG")
            assert _distinct_colours(image) > 60, name
            for key in keys:  # every plot on the tab was drawn, in the theme's colours
                canvas = view.canvases[key]
                assert canvas.figure.axes, key
                assert canvas.theme.name == theme
                assert canvas.figure.get_facecolor()[:3] == pytest.approx(_rgb(background), abs=0.01)
        assert view.dash.agreement and {r["label"] for r in view.dash.agreement} >= {"GPE", "PERSON"}
        assert len(view.dash.learning_curves) == 4
    finally:
        apply_theme(qapp, "light", follow_system=False)
        view.close()
        project.close()


def _rgb(colour: str) -> tuple[float, float, float]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i:i + 2], 16) / 255 for i in (0, 2, 4))


def test_dashboard_opens_on_a_large_generated_project(qtbot, tmp_path):
    """The 100,000-article figure is benchmarks/bench_dashboard.py's; the default
    suite uses 5,000 articles (30,000 spans, ~20,000 events) to stay quick."""
    path = tmp_path / "large.db"
    with open_project(path, create=True, annotator="bench") as project:
        counts = generate_activity(project, articles=5000, annotators=3)
    assert counts["documents"] == 5000
    project = open_project(path, annotator="bench")
    try:
        view = DashboardView(project)
        qtbot.addWidget(view)
        view.resize(1200, 800)
        with qtbot.waitSignal(view.refreshed, timeout=60_000):
            view.show()
        assert view.dash.progress.total == 5000
        assert sum(s.decisions for s in view.dash.speed) > 10_000
        image = view.grab().toImage()
        assert _distinct_colours(image) > 40
        view.close()
    finally:
        project.close()


@pytest.mark.parametrize("points", [[(0, 0.1)], [(0, 0.1), (1, 0.4)], [(0, 0.2), (1, 0.3), (2, 0.5)],
                                    [(i * 7, i / 200) for i in range(150)]])
def test_learning_curve_ticks_are_distinct_integers(qtbot, points):
    from annotator.gui.train_dialog import LearningCurve

    curve = LearningCurve()
    qtbot.addWidget(curve)
    curve.resize(420, 240)
    for docs, score in points:
        curve.add_point("ner", docs, score)
    curve.grab()
    (ax,) = curve.figure.axes
    low, high = ax.get_xlim()
    labels = [t.get_text() for t, v in zip(ax.get_xticklabels(), ax.get_xticks()) if low <= v <= high]
    assert labels and len(labels) == len(set(labels)), labels  # never "0 0 0 1 1"
    assert all(lab.replace(",", "").isdigit() for lab in labels), labels
