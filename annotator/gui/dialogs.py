"""Dialogs: import, export (both with progress and cancel), the shortcut sheet, about.

Import and export run in the background (:mod:`annotator.gui.workers`) as the jobs
of :mod:`annotator.gui.jobs`: the job opens its own connection to the project file,
so the dialog only hands it paths and options, and the window stays usable while a
big file goes in or out.
"""

from __future__ import annotations

import html
import platform
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.core.errors import AnnotatorError
from annotator.gui.jobs import export_job, import_job
from annotator.gui.workers import BackgroundTask, run_in_background
from annotator.storage import Project

__all__ = [
    "AboutDialog",
    "BackgroundDialog",
    "ExportDialog",
    "ImportDialog",
    "ShortcutEntry",
    "ShortcutSheet",
    "export_formats",
    "shortcut_entries",
]

IMPORT_FILTER = ("Articles (*.txt *.md *.jsonl *.json *.csv *.tsv *.conll *.iob *.spacy);;All files (*)")

#: (label, value) of the offset-unit choices shared by the import and export dialogs.
OFFSET_CHOICES = (("the format's own (detected from span texts)", None), ("code points", "codepoints"),
                  ("UTF-16 code units (browser tools)", "utf16"), ("grapheme clusters (doccano grapheme mode)", "graphemes"))


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, AnnotatorError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _summary_html(rows: Sequence[tuple[str, object]]) -> str:
    cells = "".join(f"<tr><td style='padding-right:14px'>{html.escape(k)}</td>"
                    f"<td align='right'><b>{html.escape(str(v))}</b></td></tr>" for k, v in rows)
    return f"<table>{cells}</table>"


class BackgroundDialog(QDialog):
    """Shared shape of dialogs that run a service in the background: a form, a
    progress bar with text, Start / Cancel / Close. Subclasses give the job
    (:meth:`_job`) and the text of its result (:meth:`_summary`); extra widgets go
    above the buttons with :meth:`add_body_widget`."""

    #: Shown while a cancelled job winds down.
    cancelling_text = "Cancelling…"

    def __init__(self, title: str, start_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        self.task: BackgroundTask | None = None
        self.outcome: str | None = None  # succeeded | failed | cancelled
        self.error: BaseException | None = None
        self.layout_ = QVBoxLayout(self)
        self.layout_.setSpacing(10)
        self.form = QWidget(self)
        self.layout_.addWidget(self.form)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.hide()
        self.progress_text = QLabel("", self)
        self.progress_text.setWordWrap(True)
        self.progress_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.layout_.addWidget(self.progress_bar)
        self.layout_.addWidget(self.progress_text)
        self.buttons = QDialogButtonBox(self)
        self.start_button = self.buttons.addButton(start_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.close_button.hide()
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self._cancel_or_reject)
        self.close_button.clicked.connect(self.accept)
        self.layout_.addWidget(self.buttons)

    def add_body_widget(self, widget: QWidget, stretch: int = 0) -> None:
        """Place a widget between the progress text and the buttons."""
        self.layout_.insertWidget(self.layout_.indexOf(self.buttons), widget, stretch)

    # Subclasses: validate, then return (fn, args, kwargs) for run_in_background.
    def _job(self) -> tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]] | None:
        raise NotImplementedError

    def _summary(self, result: Any) -> str:
        raise NotImplementedError

    def _runner(self) -> Callable[..., BackgroundTask]:
        """How the job runs: a pool thread; CPU-heavy jobs use run_in_subprocess."""
        return run_in_background

    def _before_start(self) -> None:
        """Reset what a previous run showed."""

    def _on_item(self, item: object) -> None:
        """An item the job posted (see BackgroundTask.post)."""

    def start(self) -> BackgroundTask | None:
        """Start the work (the Start button, or a caller such as drag-and-drop)."""
        if self.task is not None and self.task.is_running():
            return self.task
        job = self._job()
        if job is None:
            return None
        fn, args, kwargs = job
        self.outcome = None
        self._before_start()
        self.form.setEnabled(False)
        self.start_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        self.cancel_button.setEnabled(True)
        self.cancel_button.show()
        self.close_button.hide()
        self.progress_bar.setRange(0, 0)
        self.progress_bar.show()
        self.progress_text.setText("Starting…")
        self.task = self._runner()(
            fn, *args, on_progress=self._on_progress, on_done=self._on_done, on_error=self._on_error,
            on_cancelled=self._on_cancelled, on_item=self._on_item, parent=self, name=self.windowTitle(),
            **kwargs,
        )
        status = getattr(self.parent(), "status", None)
        if status is not None and hasattr(status, "track"):
            status.track(self.task, self.windowTitle())
        return self.task

    def _cancel_or_reject(self) -> None:
        if self.task is not None and self.task.is_running():
            self.task.cancel()
            self.progress_text.setText(self.cancelling_text)
            self.cancel_button.setEnabled(False)
        else:
            self.reject()

    def reject(self) -> None:
        # Closing the dialog (Esc, the window's ✕) while work runs cancels it.
        if self.task is not None and self.task.is_running():
            self.task.cancel()
        super().reject()

    def _on_progress(self, done: int, total: int, text: str) -> None:
        if total > 0:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(min(done, total))
        else:  # no total known: a busy bar
            self.progress_bar.setRange(0, 0)
        self.progress_text.setText(html.escape(text))

    def _finish(self, outcome: str, message: str) -> None:
        self.outcome = outcome
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(1 if outcome == "succeeded" else 0)
        self.progress_bar.setVisible(outcome == "succeeded")  # an empty bar says nothing
        self.progress_text.setText(message)
        self.cancel_button.hide()
        self.close_button.show()
        self.form.setEnabled(True)
        self.start_button.setEnabled(True)
        if outcome == "succeeded":
            self.close_button.setDefault(True)
            self.close_button.setFocus()
        else:
            # Fix what the message says and press Enter again: Enter runs, never closes.
            self.close_button.setDefault(False)
            self.close_button.setAutoDefault(False)
            self.start_button.setDefault(True)
            self._focus_after_failure()
        self._fit_message()

    def _fit_message(self) -> None:
        """Grow the dialog so a long message is never clipped."""
        self.layout_.activate()
        wanted = self.layout_.totalHeightForWidth(self.width()) if self.layout_.hasHeightForWidth() else \
            self.layout_.totalSizeHint().height()
        if wanted > self.height():
            self.resize(self.width(), wanted)

    def _focus_after_failure(self) -> None:
        """Where the keyboard goes after a failure (subclasses: the field to fix)."""
        self.start_button.setFocus()

    def _error_message(self, exc: BaseException) -> str:
        """The error as this dialog's reader should read it (subclasses reword CLI advice)."""
        return _error_text(exc)

    def _on_done(self, result: Any) -> None:
        self._finish("succeeded", self._summary(result))

    def _on_error(self, exc: BaseException) -> None:
        self.error = exc
        self._finish("failed", f"<span style='color:#d55e00'><b>Failed.</b></span> "
                               f"{html.escape(self._error_message(exc))}")

    def _on_cancelled(self) -> None:
        self._finish("cancelled", "Cancelled. Nothing after the last completed file was changed.")


# -- import -----------------------------------------------------------------------------


class ImportDialog(BackgroundDialog):
    """Choose files or folders of articles and import them with progress.

    Emits :attr:`imported` with the service's ``ImportSummary`` when done.
    """

    imported = Signal(object)

    def __init__(self, project: Project, parent: QWidget | None = None, *,
                 paths: Iterable[str | Path] = ()) -> None:
        super().__init__("Import articles", "Import", parent)
        self.setObjectName("ImportDialog")
        self.project_path = str(project.path)
        self.summary: Any = None
        form = QVBoxLayout(self.form)
        form.setContentsMargins(0, 0, 0, 0)
        intro = QLabel("Plain text (.txt, .md: first line is the title), JSONL/JSON (ours, Prodigy, doccano, "
                       "Label Studio), CSV/TSV with a <i>text</i> column, CoNLL/IOB and spaCy .spacy. A file's "
                       "content decides its format. Folders are read recursively; an article already in the "
                       "project gets only the spans it does not hold yet.")
        intro.setWordWrap(True)
        form.addWidget(intro)
        self.path_list = QListWidget(self.form)
        self.path_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.path_list.setMinimumHeight(110)
        form.addWidget(self.path_list)
        row = QHBoxLayout()
        self.add_files_button = QPushButton("Add files…")
        self.add_folder_button = QPushButton("Add folder…")
        self.remove_button = QPushButton("Remove")
        for b in (self.add_files_button, self.add_folder_button, self.remove_button):
            b.setAutoDefault(False)
            row.addWidget(b)
        row.addStretch(1)
        form.addLayout(row)
        self.as_suggestions = QCheckBox("Import the files' spans as suggestions to review (not as accepted)")
        self.skip_invalid = QCheckBox("Skip invalid records and write them to a report "
                                      "(otherwise a file with a bad record imports nothing)")
        form.addWidget(self.as_suggestions)
        form.addWidget(self.skip_invalid)
        enc_row = QFormLayout()
        self.encoding = QComboBox()
        self.encoding.addItems(["auto (UTF-8, UTF-16 with BOM)", "utf-8", "cp1252", "latin-1"])
        enc_row.addRow("Encoding:", self.encoding)
        self.offsets = QComboBox()
        for label, value in OFFSET_CHOICES:
            self.offsets.addItem(label, value)
        self.offsets.setToolTip("The unit the files count span offsets in. doccano and Label Studio count "
                                "UTF-16 units in the browser; spaCy and Prodigy count code points.")
        enc_row.addRow("&Offsets:", self.offsets)
        self.mark_status = QComboBox()
        for label, value in (("as the files say", None), ("done", "done"), ("in progress", "in_progress"),
                             ("new", "new")):
            self.mark_status.addItem(label, value)
        enc_row.addRow("Mark articles:", self.mark_status)
        form.addLayout(enc_row)
        self.add_files_button.clicked.connect(self._choose_files)
        self.add_folder_button.clicked.connect(self._choose_folder)
        self.remove_button.clicked.connect(self._remove_selected)
        self.add_paths(paths)

    def add_paths(self, paths: Iterable[str | Path]) -> None:
        present = set(self.paths())
        for p in paths:
            text = str(p)
            if text not in present:
                self.path_list.addItem(text)
                present.add(text)
        self.start_button.setEnabled(bool(present))

    def paths(self) -> list[str]:
        return [self.path_list.item(i).text() for i in range(self.path_list.count())]

    def _choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Import articles", "", IMPORT_FILTER)
        self.add_paths(files)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a folder of articles")
        if folder:
            self.add_paths([folder])

    def _remove_selected(self) -> None:
        for item in self.path_list.selectedItems():
            self.path_list.takeItem(self.path_list.row(item))
        self.start_button.setEnabled(self.path_list.count() > 0)

    def _job(self):
        paths = self.paths()
        if not paths:
            self.progress_text.setText("Add a file or a folder first.")
            return None
        encoding = None if self.encoding.currentIndex() == 0 else self.encoding.currentText()
        return import_job, (self.project_path, paths), {
            "as_suggestions": self.as_suggestions.isChecked(),
            "skip_invalid": self.skip_invalid.isChecked(),
            "encoding": encoding,
            "offsets": self.offsets.currentData(),
            "status": self.mark_status.currentData(),
        }

    def _summary(self, result: Any) -> str:
        self.summary = result
        rows: list[tuple[str, object]] = [("Files read", result.files), ("Articles imported", result.imported),
                                          ("Already in the project", result.duplicates),
                                          ("Spans imported", result.spans)]
        if result.merged_into_existing:
            rows.append(("Spans added to articles already there", result.merged_into_existing))
        if result.formats:
            rows.append(("Read as", ", ".join(sorted(result.formats))))
        if result.units:
            from annotator.core.offsets import UNIT_NAMES

            rows.append(("Offsets", ", ".join(UNIT_NAMES[u] for u in sorted(result.units))
                         + f" ({result.moved} span(s) moved to code points)"))
        if result.merged_duplicates:
            rows.append(("Duplicate spans merged", result.merged_duplicates))
        if result.suggestions:
            rows.append(("Predictions stored as suggestions", result.suggestions))
        if result.relations_in_meta:
            rows.append(("Relations kept in meta", result.relations_in_meta))
        if result.invalid:
            rows.append(("Invalid records skipped", result.invalid))
        text = "<b>Import finished.</b>" + _summary_html(rows)
        if result.report_path:
            text += f"Invalid records and their reasons: <code>{html.escape(str(result.report_path))}</code>"
        self.imported.emit(result)
        return text


# -- export -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFormat:
    name: str
    description: str = ""
    suffix: str = ""
    is_dir: bool = False


def default_export_folder(project_path: str | Path) -> Path:
    """Where an export goes when the user never chose: beside the project, unless
    the project lives in a hidden folder (the default project does), then in the
    user's Documents folder, so the files are easy to find."""
    from PySide6.QtCore import QStandardPaths

    project = Path(project_path).resolve()
    name = f"{project.stem}-export"
    if not any(part.startswith(".") for part in project.parent.parts):
        return project.with_name(name)
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents or Path.home()) / name


def export_formats() -> list[ExportFormat]:
    """The export service's registered formats. Every export writes into a folder
    (with its report beside the data), so the destination is always a folder."""
    from annotator.services import exporting

    return [ExportFormat(name, description, "", True) for name, description in exporting.formats()]


class ExportDialog(BackgroundDialog):
    """Choose a format and a destination and export with progress."""

    exported = Signal(object)

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__("Export annotations", "Export", parent)
        self.setObjectName("ExportDialog")
        self.project_path = str(project.path)
        self.result: Any = None
        self.formats = export_formats()
        form = QFormLayout(self.form)
        form.setContentsMargins(0, 0, 0, 0)
        self.format_box = QComboBox(self.form)
        for f in self.formats:
            self.format_box.addItem(f"{f.name} — {f.description}" if f.description else f.name, f.name)
        form.addRow("Format:", self.format_box)
        out_row = QHBoxLayout()
        self.out_edit = QLineEdit(self.form)
        self.out_edit.setText(self._remembered("folder") or str(default_export_folder(self.project_path)))
        browse = QPushButton("Choose…")
        browse.setAutoDefault(False)
        browse.clicked.connect(self._choose_out)
        out_row.addWidget(self.out_edit, 1)
        out_row.addWidget(browse)
        form.addRow("Save to:", out_row)
        self.done_only = QCheckBox("Only documents marked done")
        self.done_only.setChecked(True)
        self.done_only.setToolTip("Unfinished documents are exported with their unlabelled text marked "
                                  "missing, never as 'no entities here'.")
        form.addRow("", self.done_only)
        self.with_suggestions = QCheckBox("Include pending suggestions")
        form.addRow("", self.with_suggestions)
        self.stance_docs = QCheckBox("Also one document per stance and target (textcat, spaCy only)")
        form.addRow("", self.stance_docs)
        self.offsets = QComboBox(self.form)
        for label, value in OFFSET_CHOICES:
            self.offsets.addItem(label.replace("(detected from span texts)", "(what its tool counts)"), value)
        self.offsets.setToolTip("JSON formats: the unit of the written offsets. The default is what the "
                                "format's tool counts: UTF-16 for doccano and Label Studio.")
        form.addRow("&Offsets:", self.offsets)
        remembered = self._remembered("format")
        names = [f.name for f in self.formats]
        if remembered in names:
            self.format_box.setCurrentIndex(names.index(remembered))
        self.format_box.currentIndexChanged.connect(self._format_changed)
        if not self.formats:
            self.start_button.setEnabled(False)
            self.progress_text.setText("This build of annotator has no export formats installed.")
        else:
            self._format_changed()
        self.format_box.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- what the dialog remembers (per user and per project, in QSettings) -----------------

    def _settings_key(self, what: str) -> str:
        from annotator.core.text import text_hash

        return f"export/{text_hash(str(Path(self.project_path).resolve()))[:16]}/{what}"

    def _remembered(self, what: str) -> str | None:
        from PySide6.QtCore import QSettings

        value = QSettings("annotator", "annotator").value(self._settings_key(what))
        return value if isinstance(value, str) and value else None

    def _remember(self, fmt: str, folder: str) -> None:
        from PySide6.QtCore import QSettings

        settings = QSettings("annotator", "annotator")
        settings.setValue(self._settings_key("format"), fmt)
        settings.setValue(self._settings_key("folder"), folder)
        settings.sync()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self.outcome is None:  # the first thing to choose is the format
            self.format_box.setFocus(Qt.FocusReason.ActiveWindowFocusReason)

    #: Errors whose CLI advice ("--all") is a checkbox here.
    DONE_ONLY_ERRORS = ("E401", "E406")

    def _error_message(self, exc: BaseException) -> str:
        untick = "untick “Only documents marked done” to export the unfinished ones too"
        if isinstance(exc, AnnotatorError) and exc.code == "E406":
            found = exc.fields.get("found", "fewer than two")
            return (f"[E406] A spaCy export needs at least two documents (one for training, one for dev); "
                    f"found {found}. Mark more articles done, or {untick}.")
        if isinstance(exc, AnnotatorError) and exc.code == "E401":
            return f"[E401] Nothing to export: no article is marked done. Mark articles done, or {untick}."
        return super()._error_message(exc)

    def _focus_after_failure(self) -> None:
        if isinstance(self.error, AnnotatorError) and self.error.code in self.DONE_ONLY_ERRORS:
            self.done_only.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.out_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def selected_format(self) -> ExportFormat | None:
        i = self.format_box.currentIndex()
        return self.formats[i] if 0 <= i < len(self.formats) else None

    def _format_changed(self) -> None:
        fmt = self.selected_format()
        if fmt is None:
            return
        current = Path(self.out_edit.text())
        stem = current.with_suffix("") if current.suffix else current
        self.out_edit.setText(str(stem.with_suffix(fmt.suffix)) if fmt.suffix and not fmt.is_dir else str(stem))

    def _choose_out(self) -> None:
        fmt = self.selected_format()
        if fmt is not None and fmt.is_dir:
            chosen = QFileDialog.getExistingDirectory(self, "Export into folder", self.out_edit.text())
        else:
            chosen, _ = QFileDialog.getSaveFileName(self, "Export to", self.out_edit.text())
        if chosen:
            self.out_edit.setText(chosen)

    def _job(self):
        fmt = self.selected_format()
        out = self.out_edit.text().strip()
        if fmt is None or not out:
            self.progress_text.setText("Choose a format and where to save.")
            return None
        options: dict[str, Any] = {
            "include_all": not self.done_only.isChecked(),
            "include_suggestions": self.with_suggestions.isChecked(),
            "stance_docs": self.stance_docs.isChecked() and fmt.name == "spacy",
            "offsets": self.offsets.currentData(),
        }
        self._remember(fmt.name, out)
        return export_job, (self.project_path, fmt.name, out, options), {}

    def _summary(self, result: Any) -> str:
        self.result = result
        data = result.to_dict()
        spans = sum(n for labels in data["spans"].values() for n in labels.values())
        rows = [("Documents", data["documents"]), ("Spans", spans),
                ("Overlaps resolved", len(data["overlaps_resolved"])),
                ("Snapped to tokens", len(data["snapped"])), ("Not aligned", len(data["not_aligned"])),
                ("Folder", data["folder"])]
        if data["format"] == "spacy":
            rows[1:1] = [("Train / dev", f"{data['train_documents']} / {data['dev_documents']}")]
        if "offsets" in data:
            from annotator.core.offsets import UNIT_NAMES

            rows.append(("Offsets", UNIT_NAMES[data["offsets"]]))
            rows.append(("Shown shifted in a browser tool", data.get("browser_shifted", 0)))
        undecided = data.get("done_with_undecided") or {}
        if undecided.get("documents"):
            rows.append(("Done with undecided suggestions",
                         f"{undecided['documents']} article{'s' if undecided['documents'] != 1 else ''}, "
                         f"{undecided['suggestions']} suggestion{'s' if undecided['suggestions'] != 1 else ''} "
                         "(exported as unknown, not as entities)"))
        rows.extend((f"{what} (left out of training)", f"{n}: {reasons}")
                    for what, n, reasons in result.left_out_of_training())
        self.exported.emit(result)
        note = (" Spans that could not be aligned are listed in export-report.json."
                if data["not_aligned"] else "")
        return "<b>Export finished.</b>" + _summary_html(rows) + note


# -- shortcut sheet ---------------------------------------------------------------------


@dataclass(frozen=True)
class ShortcutEntry:
    section: str
    text: str
    keys: tuple[str, ...]
    tip: str = ""
    id: str = ""


def _native(key: str) -> str:
    seq = QKeySequence(key)
    native = seq.toString(QKeySequence.SequenceFormat.NativeText)
    return native or key


def shortcut_entries(specs: Iterable[Any]) -> list[ShortcutEntry]:
    """Sheet rows from the action registry's specs (those with at least one key)."""
    out = []
    for spec in specs:
        keys = getattr(spec, "shortcuts", ()) or ()
        if isinstance(keys, str):
            keys = (keys,)
        keys = tuple(str(k) for k in keys if k)
        if not keys:
            continue
        menu = getattr(spec, "menu", "") or ""
        section = " › ".join(part.replace("&", "") for part in str(menu).split("/")) or "Other"
        out.append(ShortcutEntry(section, str(getattr(spec, "text", "")).replace("&", ""), keys,
                                 str(getattr(spec, "tip", "") or ""), str(getattr(spec, "id", ""))))
    return out


class ShortcutSheet(QDialog):
    """Every key of the window, grouped by menu, with a filter (F1)."""

    def __init__(self, specs: Iterable[Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ShortcutSheet")
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(640, 620)
        self.entries = shortcut_entries(specs)
        layout = QVBoxLayout(self)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter: type an action or a key…")
        self.filter.setClearButtonEnabled(True)
        layout.addWidget(self.filter)
        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels(["Keys", "Action", ""])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setShowGrid(False)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        close.accepted.connect(self.accept)
        layout.addWidget(close)
        self.filter.textChanged.connect(self._fill)
        self._fill()
        self.filter.setFocus()

    def key_texts(self) -> list[str]:
        """Every key listed (portable text, as in the registry)."""
        return [k for e in self.entries for k in e.keys]

    def visible_rows(self) -> int:
        return sum(1 for r in range(self.table.rowCount()) if self.table.item(r, 1) is not None
                   and self.table.item(r, 1).data(Qt.ItemDataRole.UserRole) == "entry")

    def _fill(self) -> None:
        needle = self.filter.text().strip().lower()
        self.table.setRowCount(0)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        bold = QFont(self.font())
        bold.setBold(True)
        section = None
        for entry in self.entries:
            keys = "  ·  ".join(_native(k) for k in entry.keys)
            hay = f"{entry.section} {entry.text} {entry.tip} {' '.join(entry.keys)} {keys}".lower()
            if needle and needle not in hay:
                continue
            if entry.section != section:
                section = entry.section
                row = self.table.rowCount()
                self.table.insertRow(row)
                head = QTableWidgetItem(section)
                head.setFont(bold)
                self.table.setItem(row, 0, head)
                self.table.setSpan(row, 0, 1, 3)
            row = self.table.rowCount()
            self.table.insertRow(row)
            key_item = QTableWidgetItem(keys)
            key_item.setFont(mono)
            text_item = QTableWidgetItem(entry.text)
            text_item.setData(Qt.ItemDataRole.UserRole, "entry")
            text_item.setToolTip(entry.id)
            tip_item = QTableWidgetItem(entry.tip)
            tip_item.setForeground(self.palette().placeholderText())
            self.table.setItem(row, 0, key_item)
            self.table.setItem(row, 1, text_item)
            self.table.setItem(row, 2, tip_item)
        self.table.resizeRowsToContents()


# -- about --------------------------------------------------------------------------------


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


class AboutDialog(QDialog):
    """Name, versions, the open project and the pipeline: what a bug report needs."""

    def __init__(self, parent: QWidget | None = None, *, project: Project | None = None,
                 pipeline: str | None = None) -> None:
        super().__init__(parent)
        import PySide6
        from PySide6.QtCore import qVersion

        import annotator

        self.setObjectName("AboutDialog")
        self.setWindowTitle("About Annotator")
        project = project or getattr(parent, "project", None)
        if pipeline is None:
            status = getattr(parent, "status", None)
            pipeline = status.pipeline_text() if status is not None and hasattr(status, "pipeline_text") else ""
        layout = QVBoxLayout(self)
        title = QLabel(f"<h2 style='margin-bottom:2px'>Annotator {annotator.__version__}</h2>"
                       "Label entities and stances in news articles, with spaCy suggestions, "
                       "SQLite autosave and training-data export.")
        title.setWordWrap(True)
        layout.addWidget(title)
        rows: list[tuple[str, object]] = [
            ("Python", platform.python_version()),
            ("Qt / PySide6", f"{qVersion()} / {PySide6.__version__}"),
            ("spaCy", _version("spacy")),
            ("SQLite", _sqlite_version()),
        ]
        if project is not None:
            rows.append(("Project", project.path))
            rows.append(("Annotator", project.annotator))
        if pipeline:
            rows.append(("Pipeline", pipeline))
        info = QLabel(_summary_html(rows))
        info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(info)
        layout.addWidget(QLabel("MIT licence."))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.info_text = info.text()


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version
