"""The annotation window: document list, article editor, label palette, menus.

:class:`MainWindow` composes the parts, owns the one ``QUndoStack`` and routes every
decision through it (:func:`~annotator.gui.commands.push_decision`), so each
decision is committed before the key press returns and can be undone by name from
the Edit menu. Menus and keys come from :mod:`annotator.gui.actions`.

Note for developers: the document list, palette, status bar and dialogs are built
by other modules of this package; the window composes them.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QPoint, QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QWidget,
)

from annotator.core.errors import AnnotatorError
from annotator.core.model import ADJUDICATED
from annotator.core.text import text_hash
from annotator.gui.actions import build_actions
from annotator.gui.checkpoints import IdleCheckpoints
from annotator.gui.commands import PendingDecisions, push_decision
from annotator.gui.dialogs import AboutDialog, ExportDialog, ImportDialog, ShortcutSheet
from annotator.gui.document_list import DocumentListPanel
from annotator.gui.editor import AnnotationEditor
from annotator.gui.palette import LabelPalette
from annotator.gui.retraining import BackgroundRetraining
from annotator.gui.review import ReviewPanel
from annotator.gui.status import StatusBar
from annotator.services.doclist import QUEUE_ORDER_SETTING, queue_sort
from annotator.services.session import (
    CHAR_MODE_SETTING,
    AnnotationSession,
    Change,
    Command,
    warm_up,
)
from annotator.storage import Project

log = logging.getLogger(__name__)

__all__ = ["MainWindow"]

#: QSettings key prefix of the article last open in each project (per user: the
#: project file is shared, where one stopped reading is not).
LAST_DOC_KEY = "last_doc"


class MainWindow(QMainWindow):
    """The annotation window on one project.

    Parameters
    ----------
    project:
        The UI thread's project (the window does not close it; the caller does,
        except for projects the window opened itself with File > Open).
    """

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MainWindow")
        self.setAcceptDrops(True)
        self.project = project
        self._owned_projects: list[Project] = []
        self.undo_stack = QUndoStack(self)
        #: The Dashboard (View > Dashboard), built the first time it is shown.
        self.dashboard: Any = None
        self.undo_stack.setUndoLimit(0)
        self.session = AnnotationSession(project)
        # spaCy's import for the tokenizer (seconds on a busy machine) waits until
        # the first suggestions of a first start are on screen, or a few seconds:
        # on two cores it would slow the child process that computes them.
        self._warm_timer = QTimer(self)
        self._warm_timer.setSingleShot(True)
        self._warm_timer.setInterval(self.WARM_UP_DELAY_MS)
        self._warm_timer.timeout.connect(warm_up)
        self._warm_timer.start()
        self.editor = AnnotationEditor(self.session, self)
        self.editor.run_command = self._push
        self.pending_decisions = PendingDecisions(
            self.undo_stack, self.editor.apply_change, on_error=self._decision_failed, parent=self,
            apply_saved=lambda change: self.editor.apply_change(change, follow=False))
        self.pending_decisions.changed.connect(self._pending_changed)
        self.pending_decisions.withdrawn.connect(self._decision_withdrawn)
        self.editor.decided.connect(self._after_change)
        # Decisions' commits never checkpoint the WAL; this does, off the UI thread.
        self.checkpoints = IdleCheckpoints(project, self)
        #: Set once the window has closed: late news from background work is dropped.
        self.closed = False
        self.editor.decided.connect(self.checkpoints.decision_made)
        self.retraining = BackgroundRetraining(self)
        self.editor.focus_changed.connect(self._focus_changed)
        self.editor.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.editor.document_loaded.connect(self._document_loaded)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("MainSplitter")
        self.doc_list = self._make_doc_list(project)
        self.splitter.addWidget(self.doc_list)
        self.splitter.addWidget(self.editor)
        # The article stays readable however the splitter or a saved layout is set.
        self.editor.setMinimumWidth(440)
        self.splitter.setCollapsible(self.splitter.indexOf(self.editor), False)
        self.splitter.setStretchFactor(self.splitter.count() - 1, 1)
        self.splitter.setSizes([470, 930])
        self.setCentralWidget(self.splitter)

        self.palette = LabelPalette(project.scheme(), self)
        self.palette.label_chosen.connect(self._label_chosen)
        dock = QDockWidget("Labels", self)
        dock.setObjectName("LabelsDock")
        dock.setWidget(self.palette)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.palette_dock = dock
        self.status = StatusBar(self)
        self.setStatusBar(self.status)

        #: Documents the background suggester left out this session: id -> E308 record.
        self.suggestion_failures: dict[int, dict[str, Any]] = {}
        self.review_panel: ReviewPanel | None = None
        self.review_dock: QDockWidget | None = None
        self.actions_by_id = build_actions(self)
        self._check_theme_action()
        self.actions_by_id["annotator.edit.char_mode"].setChecked(self.session.char_mode)
        self.actions_by_id["annotator.view.uncertain_first"].setChecked(queue_sort(project) == "uncertainty")
        self._update_title()
        self._restore_layout()
        self._refresh_progress()
        self._open_start_document()
        self._start_change_watch()

    #: Longest wait before the tokenizer warms up (see __init__).
    WARM_UP_DELAY_MS = 6000

    # -- other writers -------------------------------------------------------------------

    #: How often the window looks for commits made by other connections (another
    #: window, ``annotator suggest``, a background job).
    WATCH_INTERVAL_MS = 1000

    def _start_change_watch(self) -> None:
        self._data_version = self.project.data_version()
        self._last_doc_id = self.project.last_doc_id()
        self._open_doc_mark = (self.project.spans_mark(self.editor.doc_id)
                               if self.editor.doc_id is not None else None)
        self._watch = QTimer(self)
        self._watch.setInterval(self.WATCH_INTERVAL_MS)
        self._watch.timeout.connect(self.check_external_changes)
        self._watch.start()

    def check_external_changes(self) -> bool:
        """Refresh the list, the open article and the progress when another
        connection committed to the project since the last look (PRAGMA
        data_version moves only for other connections' commits). Returns whether
        anything was refreshed."""
        try:
            version = self.project.data_version()
        except sqlite3.Error:  # the project is being closed or switched
            return False
        if version == self._data_version:
            return False
        self._data_version = version
        last_doc = self.project.last_doc_id()
        if last_doc != self._last_doc_id:  # another process imported: the list grows
            self._last_doc_id = last_doc
            self.doc_list.refresh_all()
        else:  # counters or statuses moved: repaint the loaded rows, keep the scroll position
            self.doc_list.refresh_loaded()
        if self.editor.doc_id is None:
            self._open_start_document()
        else:
            mark = self.project.spans_mark(self.editor.doc_id)
            if mark != self._open_doc_mark:  # the open article itself changed
                self._open_doc_mark = mark
                self.editor.reload_spans()
        self._refresh_progress()
        if self.dashboard is not None:
            self.dashboard.schedule_refresh()
        return True

    # -- parts ------------------------------------------------------------------------

    def _make_doc_list(self, project: Project) -> DocumentListPanel:
        panel = DocumentListPanel(project, self)
        panel.document_activated.connect(self._doc_activated)
        panel.window_keys = self._window_keys
        return panel

    def _update_title(self) -> None:
        name = Path(self.project.path).name if self.project.path else "in memory"
        self.setWindowTitle(f"{name} — Annotator")

    def _refresh_progress(self) -> None:
        self.status.refresh_progress(self.project)

    def _open_start_document(self) -> None:
        last = self._settings().value(self._last_doc_key())
        last = int(last) if isinstance(last, (int, str)) and str(last).isdigit() else None
        doc_id = None
        if isinstance(last, int):
            try:
                self.project.document(last)
                doc_id = last
            except KeyError:
                doc_id = None
        if doc_id is None:
            doc_id = self.project.first_open_doc_id()
        if doc_id is not None:
            self.load_document(doc_id)

    # -- documents --------------------------------------------------------------------

    def load_document(self, doc_id: int) -> None:
        """Show an article in the editor (and select it in the list)."""
        self.editor.load_document(doc_id)

    def _document_loaded(self, doc_id: int) -> None:
        self._open_doc_mark = self.project.spans_mark(doc_id)
        self.doc_list.select_doc(doc_id)
        # UI state: remembered per user in QSettings, not written (and logged) to the project.
        self._settings().setValue(self._last_doc_key(), doc_id)

    def _doc_activated(self, doc_id: int) -> None:
        if self.reviewing and doc_id in self.review_panel.review.doc_ids():
            self.review_panel.open(doc_id)  # Review mode follows the list
            return
        if doc_id != self.editor.doc_id:
            self.editor.load_document(doc_id)

    def _neighbour(self, step: int) -> int | None:
        current = self.editor.doc_id
        if current is None:
            return self.project.first_open_doc_id()
        found = self.doc_list.next_doc_id(current, step)
        if found is not None:
            return found
        return self.project.adjacent_doc_id(current, step)

    def next_document(self) -> None:
        doc_id = self._neighbour(1)
        if doc_id is None:
            self.statusBar().showMessage("This is the last article of the list.", 5000)
            return
        self.load_document(doc_id)
        self.editor.view.setFocus()

    def previous_document(self) -> None:
        doc_id = self._neighbour(-1)
        if doc_id is None:
            self.statusBar().showMessage("This is the first article of the list.", 5000)
            return
        self.load_document(doc_id)
        self.editor.view.setFocus()

    def mark_done_and_next(self) -> None:
        self._set_status_and_next("done")

    def skip_document(self) -> None:
        self._set_status_and_next("skipped")

    def _set_status_and_next(self, status: str) -> None:
        if self.editor.doc_id is None:
            return
        undecided = self.session.counts()[1] if status == "done" else 0
        if self.session.doc_status() != status:
            self._push(self.session.set_doc_status(status))
        self.next_document()
        if undecided:
            # Space stays fast (no dialog), but never silent about what it leaves behind.
            self.statusBar().showMessage(
                f"Marked done — {undecided} suggestion{'s' if undecided != 1 else ''} left undecided "
                "(not exported as entities)", 8000)

    def documents_changed(self, doc_ids: Iterable[int]) -> None:
        """Background work (suggestions) stored spans for these documents."""
        if self.closed:  # delivered after closing (the project may be closed too)
            return
        doc_ids = list(doc_ids)
        if self._warm_timer.isActive():  # the first suggestions are in: warm up after their repaint
            self._warm_timer.setInterval(0)
            self._warm_timer.start()
        self.doc_list.refresh_docs(doc_ids)
        if self.editor.doc_id is None:
            self._open_start_document()
        elif self.editor.doc_id in doc_ids:
            self.editor.reload_spans()

    def documents_imported(self, doc_ids: list[int]) -> None:
        if self.editor.doc_id is None and doc_ids:
            self.load_document(doc_ids[0])

    # -- decisions ----------------------------------------------------------------------

    def _push(self, command: Command) -> Change | None:
        return push_decision(self.undo_stack, command, self.editor.apply_change, on_error=self._decision_failed,
                             retry=self._retry_decision, pending=self.pending_decisions)

    def _pending_changed(self, count: int, reason: str) -> None:
        if count:
            self.statusBar().showMessage(f"{count} decision(s) waiting to be saved, in order: {reason}")
        else:
            self.statusBar().showMessage("Every decision is saved.", 4000)

    def _decision_withdrawn(self, command: Command) -> None:
        """Undo took a waiting decision off the queue: it was never written, so only
        what it did on screen goes back (its article opens again, as for any undo)."""
        if command.doc_id != self.editor.doc_id:
            self.load_document(command.doc_id)
        focus = command.subject
        if focus is not None and self.session.span(focus) is not None:
            self.editor.focus_span(focus)
        waiting = len(self.pending_decisions)
        if waiting:
            self.statusBar().showMessage(f"Undid {command.label} before it was saved (nothing was written); "
                                         f"{waiting} decision(s) still waiting to be saved, in order.")
        else:
            self.statusBar().showMessage(f"Undid {command.label} before it was saved: nothing was written.", 8000)

    def _retry_decision(self, exc: AnnotatorError) -> bool:
        """Ask whether to try a decision that could not be saved again (full disk,
        busy project): Retry once the cause is gone, or Discard it knowingly."""
        self.statusBar().showMessage(f"The decision could not be saved: [{exc.code}] {exc.message}", 10_000)
        box = QMessageBox(self)
        box.setObjectName("DecisionNotSavedDialog")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(f"Annotator — could not be saved ({exc.code})")
        box.setText(f"The decision could not be saved.\n\n[{exc.code}] {exc.message}")
        box.setInformativeText("Everything saved before is kept. Free some space or close the other program, "
                               "then press Retry; Discard drops only this decision.")
        retry = box.addButton("Retry", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Discard", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(retry)
        box.exec()
        return box.clickedButton() is retry

    def _decision_failed(self, exc: BaseException) -> None:
        self.statusBar().showMessage(f"Could not save: {exc}", 10_000)
        QMessageBox.warning(self, "Annotator", f"The change could not be saved:\n{exc}")

    def _after_change(self, change: Change) -> None:
        if change.doc_id == self.editor.doc_id:  # our own decision is already on screen
            self._open_doc_mark = self.project.spans_mark(change.doc_id)
        self.doc_list.refresh_docs([change.doc_id])
        if change.doc_status is not None:
            self._refresh_progress()
        if change.doc_status == "done":
            self.retraining.check()
        if self.dashboard is not None:
            self.dashboard.schedule_refresh()

    def _focus_changed(self, span: Any) -> None:
        self.palette.set_active(span.layer if span else None, span.label if span else None)

    def _label_chosen(self, layer: str, name: str) -> None:
        self.editor.apply_label(layer, name)
        self.editor.view.setFocus()

    # -- window actions -----------------------------------------------------------------

    def focus_search(self) -> None:
        self.doc_list.focus_search()

    def _window_keys(self) -> set[str]:
        """Window-wide keys with Ctrl that text fields must not swallow (their own
        editing keys such as Ctrl+A, Ctrl+C or Ctrl+Z stay theirs)."""
        editing = set()
        for standard in (QKeySequence.StandardKey.Copy, QKeySequence.StandardKey.Cut, QKeySequence.StandardKey.Paste,
                         QKeySequence.StandardKey.Undo, QKeySequence.StandardKey.Redo,
                         QKeySequence.StandardKey.SelectAll):
            editing |= {k.toString(QKeySequence.SequenceFormat.PortableText)
                        for k in QKeySequence.keyBindings(standard)}
        keys = set()
        for spec in getattr(self, "action_specs", ()):
            if spec.scope == "window":
                keys |= {k for k in spec.shortcuts if k.startswith("Ctrl+") and k not in editing}
        return keys

    def switch_focus(self) -> None:
        """F6: from the article to the document list's results, from the search
        box to its results, from the results back to the article."""
        focus = QApplication.focusWidget()
        if focus is self.doc_list.search_edit or not self.doc_list.isAncestorOf(focus):
            self.doc_list.show_results()
        else:
            self.editor.view.setFocus()

    def toggle_uncertainty_order(self) -> None:
        """Switch the queue between import order and most uncertain first (a
        project setting, so the next session keeps it)."""
        on = self.actions_by_id["annotator.view.uncertain_first"].isChecked()
        self.project.set_setting(QUEUE_ORDER_SETTING, "uncertainty" if on else "import")
        self.doc_list.set_queue_order("uncertainty" if on else "id")
        self.statusBar().showMessage("Most uncertain articles first (those suggested so far)" if on else
                                     "Articles in import order", 8000)

    def toggle_char_mode(self) -> None:
        on = self.actions_by_id["annotator.edit.char_mode"].isChecked()
        self.project.set_setting(CHAR_MODE_SETTING, on)
        self.session.char_mode = on
        self.editor.view.snapper = None if on else self.session.snap
        self.editor.view.token_step = None if on else self.editor._token_step

    def show_shortcuts(self) -> None:
        sheet = ShortcutSheet(self.action_specs, self)
        sheet.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        sheet.show()

    def show_about(self) -> None:
        about = AboutDialog(self, project=self.project)
        about.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        about.show()

    def import_dialog(self, paths: Iterable[str | Path] = ()) -> ImportDialog:
        """File > Import; with ``paths`` (drag-and-drop) the import starts at once."""
        dialog = ImportDialog(self.project, self, paths=paths)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.imported.connect(self._imported)
        dialog.show()
        if paths:
            dialog.start()
        return dialog

    def _imported(self, summary: Any) -> None:
        self.doc_list.refresh_all()
        self._refresh_progress()
        self.documents_imported(list(getattr(summary, "doc_ids", []) or []))

    def export_dialog(self) -> None:
        dialog = ExportDialog(self.project, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        dialog.activateWindow()

    def train_dialog(self) -> None:
        if self.project.path is None:
            return
        # Imported on first use: the learning curve brings matplotlib (a second at start-up).
        from annotator.gui.train_dialog import TrainDialog

        dialog = TrainDialog(self.project.path, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.model_selected.connect(self._model_changed)
        dialog.show()

    def choose_retrain_every(self) -> None:
        """Ask how many newly finished articles start a background retraining."""
        from PySide6.QtWidgets import QInputDialog

        from annotator.services.retraining import EVERY_SETTING, every

        value, ok = QInputDialog.getInt(
            self, "Retrain in the background",
            "Retrain, and switch to the new model when it scores better on held-out articles,\n"
            "after this many newly finished articles (0: never):", every(self.project), 0, 10_000)
        if ok:
            self.project.set_setting(EVERY_SETTING, value)
            self.statusBar().showMessage(
                f"Background retraining every {value} finished articles" if value else
                "Background retraining is off", 8000)
            self.retraining.check()

    def _model_changed(self, model_path: str) -> None:
        """The project's suggester changed: suggest ahead with the new one."""
        self._restart_suggest_ahead()
        self.statusBar().showMessage(f"Suggestions now come from {model_path}", 8000)
        self.status.set_pipeline(Path(model_path).name)

    def suggestion_failed(self, record: dict[str, Any]) -> None:
        """The background suggester left a document out (E308) and went on with the
        others: say so in the status bar and keep it in the window's log."""
        self.suggestion_failures[int(record["doc_id"])] = record
        text = f"Error [{record['code']}] {record['message']}"
        self.status.add_notice(text)
        self.statusBar().showMessage(text, 15_000)
        log.warning("%s", text)

    def retry_failed_suggestions(self) -> None:
        """Article > Retry failed suggestions: try the documents that failed again."""
        ids = list(self.suggestion_failures)
        if not ids:
            self.statusBar().showMessage("No article failed to get suggestions in this session.", 5000)
            return
        self.suggestion_failures.clear()
        helper = getattr(self, "suggest_ahead", None)
        if helper is not None:
            helper.retry(ids)
        self.statusBar().showMessage(f"Trying {len(ids)} article(s) again as they come up in the list.", 6000)

    def _restart_suggest_ahead(self) -> None:
        old = getattr(self, "suggest_ahead", None)
        if old is None:
            return
        old.close(wait=None)
        # Another pipeline or project: what failed before gets a fresh try.
        self.suggestion_failures.clear()
        from annotator.gui.app import attach_suggest_ahead

        attach_suggest_ahead(self)

    def open_project_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open project", "", "Annotator projects (*.db);;All files (*)")
        if path:
            self.open_project(path)

    def new_project_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "New project", "project.db", "Annotator projects (*.db)")
        if path:
            from annotator.services.projects import create_project

            try:
                project = create_project(path)
            except AnnotatorError as exc:
                QMessageBox.critical(self, "Annotator", str(exc))
                return
            self._switch_project(project)

    def open_project(self, path: str | Path) -> None:
        """Switch the window to another project file."""
        from annotator.storage import open_project

        try:
            project = open_project(path)
        except AnnotatorError as exc:
            QMessageBox.critical(self, "Annotator", str(exc))
            return
        self._switch_project(project)

    def _switch_project(self, project: Project) -> None:
        project.annotator = self.project.annotator
        if self.review_panel is not None:
            self.leave_review()
            self.review_panel.review.project = project
        self.undo_stack.clear()
        for owned in self._owned_projects:
            owned.close()
        self._owned_projects = [project]
        self.project = project
        self.checkpoints.attach(project)
        self.session = AnnotationSession(project)
        self.editor.session = self.session
        self.editor.set_scheme(project.scheme())
        self.editor.view.snapper = None if self.session.char_mode else self.session.snap
        self.actions_by_id["annotator.view.uncertain_first"].setChecked(queue_sort(project) == "uncertainty")
        self.palette.set_scheme(project.scheme())
        old = self.doc_list
        self.doc_list = self._make_doc_list(project)
        self.splitter.replaceWidget(0, self.doc_list)
        old.deleteLater()
        self._update_title()
        self._refresh_progress()
        self._open_start_document()
        self._data_version = project.data_version()
        self._last_doc_id = project.last_doc_id()
        self._restart_suggest_ahead()
        if self.dashboard is not None:
            self.dashboard.set_project(project)

    # -- the dashboard ----------------------------------------------------------------

    def toggle_dashboard(self) -> None:
        """Show the Dashboard (a dock, floating at first so the plots get room), or
        hide it when it is the active window."""
        from annotator.gui.dashboard_view import DashboardView

        dock = self.findChild(QDockWidget, "DashboardDock")
        if dock is None:
            self.dashboard = DashboardView(self.project)
            dock = QDockWidget("Dashboard", self)
            dock.setObjectName("DashboardDock")
            dock.setWidget(self.dashboard)
            self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
            dock.setFloating(True)
            frame = self.frameGeometry()
            dock.resize(min(1200, max(900, frame.width() - 80)), min(820, max(640, frame.height() - 80)))
            dock.move(frame.topLeft() + QPoint(40, 40))
        elif dock.isVisible() and (dock.isActiveWindow() or not dock.isFloating()):
            dock.hide()
            return
        dock.show()
        dock.raise_()
        dock.activateWindow()
        self.dashboard.tabs.setFocus()

    # -- team work: who annotates, Review mode -------------------------------------------

    def keys_dialog(self) -> None:
        """Edit > Keys: change any action's keys (kept per user)."""
        from annotator.gui.actions import action_specs, apply_keys
        from annotator.gui.keys_dialog import KeysDialog

        defaults = {s.id: tuple(s.shortcuts) for s in action_specs(self.project.scheme())}
        dialog = KeysDialog(self.action_specs, defaults, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.keys_chosen.connect(lambda keys: apply_keys(self, keys, defaults))
        dialog.open()

    def set_theme(self, theme: str) -> None:
        """View > Theme: follow the system, or light, or dark (kept per user)."""
        from annotator.gui.app import set_preferred_theme

        set_preferred_theme(QApplication.instance(), theme)
        self._check_theme_action(theme)

    def _check_theme_action(self, theme: str | None = None) -> None:
        from annotator.gui.app import preferred_theme

        theme = theme or preferred_theme()
        for name in ("system", "light", "dark"):
            self.actions_by_id[f"annotator.view.theme.{name}"].setChecked(name == theme)

    def settings_dialog(self) -> None:
        from annotator.gui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.project.annotator, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.identity_changed.connect(self.set_identity)
        dialog.open()
        dialog.activateWindow()
        dialog.name_edit.setFocus()

    def set_identity(self, name: str) -> None:
        """Record the following decisions as ``name``."""
        self.project.annotator = name
        self._refresh_progress()
        self.doc_list.refresh_all()
        if self.editor.doc_id is not None:
            self.editor.reload_spans()
        self.statusBar().showMessage(f"Your decisions are now recorded as '{name}'.", 6000)

    @property
    def reviewing(self) -> bool:
        return self.review_panel is not None and self.session.only_annotator == ADJUDICATED

    def toggle_review(self) -> None:
        if self.actions_by_id["annotator.view.review"].isChecked():
            self.enter_review()
        else:
            self.leave_review()

    def enter_review(self) -> None:
        """View > Review disagreements (F7): the review panel, the reviewed layer in the article."""
        if self.review_panel is None:
            panel = ReviewPanel(self.project, self._push, self)
            panel.open_document.connect(self._review_open)
            panel.show_range.connect(self._review_show_range)
            panel.leave.connect(self.leave_review)
            panel.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
            dock = QDockWidget("Review", self)
            dock.setObjectName("ReviewDock")
            dock.setWidget(panel)
            dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                             | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            # A tab beside the labels: the versions get the whole height.
            self.tabifyDockWidget(self.palette_dock, dock)
            self.review_panel, self.review_dock = panel, dock
            self.undo_stack.indexChanged.connect(self._review_refresh)
        self.session.only_annotator = ADJUDICATED
        if not self.review_panel.start(self.editor.doc_id):
            self.leave_review()
            return
        self.review_dock.show()
        self.review_dock.raise_()
        self.review_panel.setFocus()

    def leave_review(self) -> None:
        self.session.only_annotator = None
        if self.review_dock is not None:
            self.review_dock.hide()
        self.actions_by_id["annotator.view.review"].setChecked(False)
        if self.editor.doc_id is not None:
            self.editor.reload_spans()
        self.editor.view.setFocus()

    def _review_open(self, doc_id: int) -> None:
        self.editor.load_document(doc_id)

    def _review_show_range(self, start: int, end: int) -> None:
        self.editor.view.show_range(start, end)
        self.editor.view.select_range(start, end)

    def _review_refresh(self, _index: int = 0) -> None:
        if self.reviewing:
            self.review_panel.refresh()

    # -- drag and drop ------------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt override
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.import_dialog(paths)

    # -- layout memory ------------------------------------------------------------------

    def _settings(self) -> QSettings:
        return QSettings("annotator", "annotator")

    def _last_doc_key(self) -> str:
        path = Path(self.project.path).resolve() if self.project.path else Path("memory")
        return f"{LAST_DOC_KEY}/{text_hash(str(path))[:16]}"

    def _restore_layout(self) -> None:
        settings = self._settings()
        geometry = settings.value("window/geometry")
        state = settings.value("window/state")
        splitter = settings.value("window/splitter")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self._first_geometry()
        if isinstance(state, QByteArray):
            self.restoreState(state)
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)

    def _first_geometry(self) -> None:
        """No saved layout: fill most of the screen (at most 1360x860), centred."""
        screen = self.screen() or QApplication.primaryScreen()
        if screen is None:
            self.resize(1360, 860)
            return
        area = screen.availableGeometry()
        width = min(1360, int(area.width() * 0.92))
        height = min(860, int(area.height() * 0.9))
        self.resize(width, height)
        self.move(area.x() + (area.width() - width) // 2, area.y() + (area.height() - height) // 2)
        self.splitter.setSizes([int(width * 0.32), int(width * 0.68)])

    def save_layout(self) -> None:
        settings = self._settings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        settings.setValue("window/splitter", self.splitter.saveState())
        settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        # Decisions are committed as they are made (or wait, in order, for a busy
        # project: give those time); only the layout is left to save.
        if len(self.pending_decisions) and not self.pending_decisions.flush(wait=30.0):
            QMessageBox.warning(self, "Annotator", f"{len(self.pending_decisions)} decision(s) could not be saved: "
                                "another program holds the project's write lock. Close it and try again.")
            event.ignore()
            return
        self._watch.stop()
        self.checkpoints.stop()
        self.retraining.stop()
        self.save_layout()
        self.closed = True
        super().closeEvent(event)
