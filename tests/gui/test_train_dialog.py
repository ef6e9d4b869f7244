"""The Train… dialog: trains in the background (child process), shows progress, the
learning curve and the per-label table, and switches the project's suggestions."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from annotator.gui.train_dialog import FROM_SCRATCH, SERIES_COLOURS, LearningCurve, TrainDialog
from annotator.services import training
from annotator.services.importing import import_paths
from annotator.storage import open_project
from tests.services.training_corpus import write_generated


def _project(tmp_path: Path, n: int) -> Path:
    path = tmp_path / "news.db"
    with open_project(path, create=True, annotator="tester") as project:
        import_paths(project, [write_generated(tmp_path / "gen.jsonl", n)])
    return path


def _dialog(qtbot, path: Path, **kwargs) -> TrainDialog:
    dialog = TrainDialog(path, **kwargs)
    qtbot.addWidget(dialog)
    dialog.base_combo.setCurrentText(FROM_SCRATCH)
    dialog.show()
    return dialog


def _colour_pixels(widget, colour: str) -> int:
    image = widget.grab().toImage()
    want = QColor(colour)
    hits = 0
    for x in range(0, image.width(), 2):
        for y in range(0, image.height(), 2):
            c = image.pixelColor(x, y)
            if abs(c.red() - want.red()) < 40 and abs(c.green() - want.green()) < 40 and \
                    abs(c.blue() - want.blue()) < 40:
                hits += 1
    return hits


def test_train_in_a_child_process_then_use_the_model(qtbot, tmp_path):
    path = _project(tmp_path, 8)
    dialog = _dialog(qtbot, path)
    dialog.steps_spin.setValue(5)
    selected: list[str] = []
    dialog.model_selected.connect(selected.append)
    with qtbot.waitSignal(dialog.trained, timeout=120_000) as blocker:
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
        assert not dialog.form.isEnabled()
    summary = blocker.args[0]
    assert dialog.outcome == "succeeded"
    assert summary.components == ["ner", "stance"]
    assert f"Saved {summary.origin}" in dialog.progress_text.text()
    rows = dialog.table_rows()
    assert {r[1] for r in rows if r[0] == "ner"} >= {"PERSON", "GPE", "overall"}
    assert {r[1] for r in rows if r[0] == "stance"} >= {"FAVOR", "AGAINST", "macro"}
    for row in rows:
        assert 0.0 <= float(row[4]) <= 1.0
    series = dialog.curve.series()
    assert set(series) == {"ner", "stance"} and all(len(v) >= 2 for v in series.values())
    assert _colour_pixels(dialog.curve, SERIES_COLOURS["ner"]) > 0
    assert dialog.use_button.isEnabled()
    qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    assert selected == [str(summary.model_path)]
    with open_project(path) as project:
        assert project.setting("model") == str(summary.model_path)
    dialog.grab().save(str(tmp_path / "train-dialog.png"))


def test_cancel_saves_no_model(qtbot, tmp_path):
    path = _project(tmp_path, 8)
    dialog = _dialog(qtbot, path, in_process=True)
    dialog.stance_check.setChecked(False)
    dialog.steps_spin.setValue(100_000)
    task = dialog.start()
    qtbot.waitUntil(lambda: "Training ner: step" in dialog.progress_text.text(), timeout=60_000)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=60_000)
    assert dialog.outcome == "cancelled" and task.state == "cancelled"
    assert "No model was saved" in dialog.progress_text.text()
    assert not dialog.use_button.isEnabled()
    assert list(training.models_folder(path).iterdir()) == []


def test_too_few_documents_shows_the_coded_error(qtbot, tmp_path):
    path = _project(tmp_path, training.MIN_DOCUMENTS - 1)
    dialog = _dialog(qtbot, path, in_process=True)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=30_000)
    assert dialog.outcome == "failed"
    assert "E601" in dialog.progress_text.text()
    assert dialog.form.isEnabled() and dialog.start_button.isEnabled()


def test_nothing_to_train_is_refused_before_starting(qtbot, tmp_path):
    path = _project(tmp_path, training.MIN_DOCUMENTS)
    dialog = _dialog(qtbot, path, in_process=True)
    dialog.ner_check.setChecked(False)
    dialog.stance_check.setChecked(False)
    assert dialog.start() is None
    assert "Choose what to train" in dialog.progress_text.text()


def test_learning_curve_draws_each_series(qtbot):
    curve = LearningCurve()
    qtbot.addWidget(curve)
    curve.resize(400, 240)
    assert _colour_pixels(curve, SERIES_COLOURS["stance"]) == 0
    curve.set_points([training.CurvePoint("stance", 0, 0, 0.2), training.CurvePoint("stance", 5, 40, 0.6),
                      training.CurvePoint("stance", 10, 80, 0.7)])
    assert curve.series() == {"stance": [(0, 0.2), (40, 0.6), (80, 0.7)]}
    assert _colour_pixels(curve, SERIES_COLOURS["stance"]) > 10
    assert _colour_pixels(curve, SERIES_COLOURS["ner"]) == 0


def test_window_train_action_opens_the_dialog(qtbot, project):
    from PySide6.QtWidgets import QApplication

    from tests.gui.editing import close_and_delete, open_window, seed

    seed(project)
    window = open_window(qtbot, project, register=False)
    try:
        action = window.actions_by_id["annotator.file.train"]
        assert action.shortcut().toString() == "Ctrl+Shift+T"
        action.trigger()
        dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, TrainDialog) and w.isVisible()]
        assert len(dialogs) == 1
        dialogs[0].close()
    finally:
        close_and_delete(window)
