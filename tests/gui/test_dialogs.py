"""Import and export dialogs run their service in the background with progress and
cancel; the shortcut sheet lists every key of the action registry; about."""

from __future__ import annotations

from PySide6.QtCore import Qt

from annotator.gui.dialogs import AboutDialog, ExportDialog, ImportDialog, export_formats


def _articles(folder, n, words=40):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        body = " ".join(f"word{i}x{j}" for j in range(words))
        (folder / f"{i:04d}.txt").write_text(f"Article {i}\n{body}.\n", encoding="utf-8")
    return folder


def test_import_dialog_imports_the_sample_articles(qtbot, project, sample_corpus_path):
    dialog = ImportDialog(project, paths=[sample_corpus_path / "articles"])
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.imported, timeout=20_000) as blocker:
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    summary = blocker.args[0]
    n_files = len(list((sample_corpus_path / "articles").glob("*.txt")))
    assert summary.imported == n_files
    assert project.document_count() == n_files  # the UI thread's connection sees the worker's commits
    qtbot.waitUntil(lambda: dialog.outcome == "succeeded", timeout=5000)
    assert "Import finished" in dialog.progress_text.text()
    assert dialog.close_button.isVisible()


def test_import_dialog_cancel_keeps_whole_files_only(qtbot, project, tmp_path):
    folder = _articles(tmp_path / "many", 400)
    dialog = ImportDialog(project, paths=[folder])
    qtbot.addWidget(dialog)
    dialog.show()
    task = dialog.start()
    qtbot.waitUntil(lambda: task.last_progress[0] > 0, timeout=20_000)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=20_000)
    assert dialog.outcome == "cancelled"
    assert 0 < project.document_count() < 400
    assert "Cancelled" in dialog.progress_text.text()


def test_import_dialog_shows_a_coded_error(qtbot, project, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"title": "no text"}\n', encoding="utf-8")
    dialog = ImportDialog(project, paths=[bad])
    qtbot.addWidget(dialog)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=20_000)
    assert dialog.outcome == "failed"
    assert "E205" in dialog.progress_text.text()
    assert "bad.jsonl:2" in dialog.progress_text.text()
    assert project.document_count() == 0


def test_import_dialog_skip_invalid_reports(qtbot, project, tmp_path):
    bad = tmp_path / "mixed.jsonl"
    bad.write_text('{"text": "fine article"}\n{"title": "no text"}\n', encoding="utf-8")
    dialog = ImportDialog(project, paths=[bad])
    qtbot.addWidget(dialog)
    dialog.skip_invalid.setChecked(True)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=20_000)
    assert dialog.outcome == "succeeded"
    assert dialog.summary.imported == 1 and dialog.summary.invalid == 1
    assert project.document_count() == 1


def test_about_dialog_names_the_project(qtbot, project):
    dialog = AboutDialog(project=project, pipeline="rules only")
    qtbot.addWidget(dialog)
    assert str(project.path) in dialog.info_text
    assert "PySide6" in dialog.info_text


def test_export_dialog_lists_the_registered_formats(qtbot, project):
    dialog = ExportDialog(project)
    qtbot.addWidget(dialog)
    names = [f.name for f in export_formats()]
    assert [dialog.format_box.itemData(i) for i in range(dialog.format_box.count())] == names
    assert {"spacy", "jsonl", "prodigy", "doccano", "conll"} <= set(names)


def test_export_dialog_exports_in_the_background_and_shows_the_summary(qtbot, project, tmp_path):
    import json

    from annotator.core.model import Span
    from annotator.core.text import text_hash
    from annotator.storage import NewDocument

    text = "Kaja Kallas visited Kyiv on Monday."
    (doc_id,), _ = project.add_documents([NewDocument(text, "Kallas in Kyiv", text_hash(text))])
    project.add_span(doc_id, Span(0, 11, "PERSON"))
    project.add_span(doc_id, Span(20, 24, "GPE"))
    project.set_doc_status(doc_id, "done")
    dialog = ExportDialog(project)
    qtbot.addWidget(dialog)
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("jsonl"))
    out = tmp_path / "out"
    dialog.out_edit.setText(str(out))
    dialog.start()
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=30_000)
    assert dialog.outcome == "succeeded", dialog.progress_text.text()
    (written,) = [p for p in dialog.result.files if p.suffix == ".jsonl"]
    record = json.loads(written.read_text(encoding="utf-8"))
    assert [(e["text"], e["label"]) for e in record["entities"]] == [("Kaja Kallas", "PERSON"), ("Kyiv", "GPE")]
    assert "Export finished" in dialog.progress_text.text()
    assert "Done with undecided suggestions" not in dialog.progress_text.text()


def _export_done_article_with_an_undecided_suggestion(qtbot, project, out, fmt: str) -> str:
    """Export, through the dialog, one done article holding an accepted entity and
    a suggestion nobody decided; returns the summary the dialog shows."""
    from annotator.core.model import Span
    from annotator.core.text import text_hash
    from annotator.storage import NewDocument

    text = "Kaja Kallas visited Kyiv on Monday."
    (doc_id,), _ = project.add_documents([NewDocument(text, "Kallas in Kyiv", text_hash(text))])
    project.add_span(doc_id, Span(0, 11, "PERSON"))
    project.add_span(doc_id, Span(20, 24, "GPE", status="suggested"))
    project.set_doc_status(doc_id, "done")
    dialog = ExportDialog(project)
    qtbot.addWidget(dialog)
    dialog.format_box.setCurrentIndex(dialog.format_box.findData(fmt))
    dialog.out_edit.setText(str(out))
    dialog.start()
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=30_000)
    assert dialog.outcome == "succeeded", dialog.progress_text.text()
    return dialog.progress_text.text()


def test_export_summary_counts_done_articles_with_undecided_suggestions(qtbot, project, tmp_path):
    shown = _export_done_article_with_an_undecided_suggestion(qtbot, project, tmp_path / "out", "jsonl")
    assert "Done with undecided suggestions" in shown and "1 article, 1 suggestion (exported as unknown" in shown


def test_export_summary_shows_prodigy_tasks_left_out_of_training(qtbot, project, tmp_path):
    shown = _export_done_article_with_an_undecided_suggestion(qtbot, project, tmp_path / "out", "prodigy")
    assert "Prodigy records answered &quot;ignore&quot; (left out of training)" in shown  # HTML-escaped
    assert "1: 1 holds a suggestion nobody accepted or rejected" in shown


def test_export_dialog_shows_a_coded_error_when_nothing_is_done(qtbot, project, tmp_path):
    dialog = ExportDialog(project)
    qtbot.addWidget(dialog)
    dialog.out_edit.setText(str(tmp_path / "out"))
    dialog.start()
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=30_000)
    assert dialog.outcome == "failed"
    assert "E401" in dialog.progress_text.text()


def test_shortcut_sheet_lists_every_key_of_the_registry(qtbot, project):
    from annotator.gui.actions import action_specs
    from annotator.gui.dialogs import ShortcutSheet

    specs = action_specs(project.scheme())
    sheet = ShortcutSheet(specs)
    qtbot.addWidget(sheet)
    registry_keys = sorted(k for s in specs for k in s.shortcuts)
    assert sorted(sheet.key_texts()) == registry_keys
    for key in ("F1", "Tab", "Ctrl+Shift+A", "Alt+Shift+Right", "Ctrl+2", "1", "T", "H"):
        assert key in registry_keys
    with_keys = sum(1 for s in specs if s.shortcuts)
    assert sheet.visible_rows() == with_keys
    qtbot.keyClicks(sheet.filter, "stance")
    assert 0 < sheet.visible_rows() < with_keys


def test_import_and_export_dialogs_take_the_offset_unit_and_status(qtbot, project, tmp_path):
    """A doccano file made in the browser (UTF-16 offsets after an emoji) imports
    on the right characters, marked done as chosen; the export dialog writes the
    chosen unit and says how many spans a browser would show shifted."""
    import json

    text = "Rally \U0001F4AA in Kyiv: Kaja Kallas spoke."
    path = tmp_path / "doccano.jsonl"
    path.write_text(json.dumps({"text": text, "label": [[12, 16, "GPE"], [18, 29, "PERSON"]]}, ensure_ascii=False)
                    + "\n", encoding="utf-8")
    dialog = ImportDialog(project, paths=[path])
    qtbot.addWidget(dialog)
    dialog.offsets.setCurrentIndex(dialog.offsets.findData("utf16"))
    dialog.mark_status.setCurrentIndex(dialog.mark_status.findData("in_progress"))
    with qtbot.waitSignal(dialog.imported, timeout=20_000):
        dialog.start()
    (doc,) = project.iter_documents()
    assert [doc.text[s.start:s.end] for s in project.spans(doc.id)] == ["Kyiv", "Kaja Kallas"]
    assert [r[0] for r in project.conn.execute("SELECT status FROM doc_status")] == ["in_progress"]
    qtbot.waitUntil(lambda: dialog.outcome == "succeeded", timeout=5000)
    assert "UTF-16 code units (2 span(s) moved to code points)" in dialog.progress_text.text()

    export_dialog = ExportDialog(project)
    qtbot.addWidget(export_dialog)
    export_dialog.format_box.setCurrentIndex(export_dialog.format_box.findData("doccano"))
    export_dialog.done_only.setChecked(False)
    export_dialog.offsets.setCurrentIndex(export_dialog.offsets.findData("codepoints"))
    export_dialog.out_edit.setText(str(tmp_path / "out"))
    export_dialog.start()
    qtbot.waitUntil(lambda: export_dialog.outcome is not None, timeout=30_000)
    assert export_dialog.outcome == "succeeded", export_dialog.progress_text.text()
    shown = export_dialog.progress_text.text()
    assert "code points" in shown and "Shown shifted in a browser tool" in shown
    assert export_dialog.result.extra["browser_shifted"] == 2
