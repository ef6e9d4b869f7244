"""The label palette and the status bar, as real widgets."""

from __future__ import annotations

from PySide6.QtCore import Qt

from annotator.gui.palette import LabelPalette
from annotator.gui.status import RULES_ONLY_NOTE, StatusBar
from annotator.gui.workers import run_in_background


def test_palette_lists_every_label_with_its_hotkey_and_clicking_emits(qtbot, project):
    scheme = project.scheme()
    palette = LabelPalette(scheme)
    qtbot.addWidget(palette)
    palette.show()
    shown = {(b.label.layer, b.label.name): b.label.hotkey for b in palette.buttons()}
    expected = {(lab.layer, lab.name): lab.hotkey for lab in scheme.entity_labels + scheme.stance_labels}
    assert shown == expected
    assert shown[("entity", "PERSON")] == "1"
    with qtbot.waitSignal(palette.label_chosen) as blocker:
        qtbot.mouseClick(palette.button("stance", "AGAINST"), Qt.MouseButton.LeftButton)
    assert blocker.args == ["stance", "AGAINST"]
    palette.set_active("entity", "GPE")
    assert palette.active() == ("entity", "GPE")
    assert "Countries" in palette.button("entity", "GPE").toolTip()


def test_horizontal_palette_has_the_same_buttons(qtbot, project):
    palette = LabelPalette(project.scheme(), orientation=Qt.Orientation.Horizontal)
    qtbot.addWidget(palette)
    assert len(palette.buttons()) == len(project.scheme().entity_labels) + len(project.scheme().stance_labels)


def test_status_bar_progress_pipeline_and_work(qtbot, project):
    bar = StatusBar()
    qtbot.addWidget(bar)
    bar.show()
    bar.refresh_progress(project)
    assert (bar.done, bar.total) == (0, 0)
    bar.set_progress(3, 12)
    assert "3" in bar.progress_label.text() and "12" in bar.progress_label.text()
    bar.set_pipeline(None, rules_only=True)
    assert RULES_ONLY_NOTE in bar.pipeline_text()
    assert bar.pipeline.property("rulesOnly") is True
    bar.set_pipeline("en_core_web_sm 3.8.0")
    assert bar.pipeline_text() == "pipeline: en_core_web_sm 3.8.0"
    assert bar.pipeline.property("rulesOnly") is False

    import threading
    gate = threading.Event()

    def work(task):
        task.progress(2, 5, "two")
        gate.wait(5)
        task.check_cancelled()
        return 5

    task = run_in_background(work)
    bar.track(task, "Suggesting")
    qtbot.waitUntil(lambda: "2/5" in bar.work_label.text(), timeout=5000)
    assert bar.work.isVisible() and bar.work_cancel.isVisible()
    assert bar.work_label.text().startswith("Suggesting")
    bar.cancel_current()
    gate.set()
    qtbot.waitUntil(lambda: not bar.work.isVisible(), timeout=5000)
    assert task.state == "cancelled"
    assert not bar.busy()
