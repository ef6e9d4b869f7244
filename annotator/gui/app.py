"""Application start-up: the QApplication, the theme, the project, the window.

The window must appear at once, even on the very first start when the default
project is still being made: the sample articles are imported (a few files,
milliseconds) before the window shows, and the suggestions, which need a spaCy
pipeline and take seconds, are computed in the background; each document's
highlights appear as soon as its suggestions are stored.

Errors a user can act on (:class:`~annotator.core.errors.AnnotatorError`) are shown
as a dialog with their code; an unexpected exception in a slot is shown too, with
its traceback, and the window stays alive.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox, QStyleFactory, QWidget

from annotator.core.assets import resource_path, sample_corpus_dir
from annotator.core.errors import AnnotatorError
from annotator.gui.workers import (
    BackgroundTask,
    cancel_all,
    prepare_subprocesses,
    run_in_subprocess,
    wait_all,
)
from annotator.services.projects import create_project, default_project_path
from annotator.storage import Project, open_project

if TYPE_CHECKING:  # main_window and this module use each other; at run time each imports the other lazily
    from annotator.gui.main_window import MainWindow
    from annotator.services.suggesting import SuggestAhead

__all__ = [
    "apply_theme",
    "attach_suggest_ahead",
    "create_default_project",
    "ensure_app",
    "install_excepthook",
    "load_stylesheet",
    "open_window",
    "prepare_project",
    "run",
    "settle_memory",
    "show_error",
    "start_suggestions",
    "system_theme",
]

APP_NAME = "annotator"
ORG_NAME = "annotator"


# -- the application and its theme ----------------------------------------------


def ensure_app(argv: list[str] | None = None) -> QApplication:
    """The running QApplication, created (with names for QSettings) if there is none."""
    app = QApplication.instance()
    if app is None:
        QCoreApplication.setOrganizationName(ORG_NAME)
        QCoreApplication.setApplicationName(APP_NAME)
        app = QApplication(argv if argv is not None else [sys.argv[0] if sys.argv else APP_NAME])
    else:
        if not QCoreApplication.organizationName():
            QCoreApplication.setOrganizationName(ORG_NAME)
        if not QCoreApplication.applicationName():
            QCoreApplication.setApplicationName(APP_NAME)
    QGuiApplication.setApplicationDisplayName("Annotator")
    return app  # type: ignore[return-value]


#: QSettings key of the theme chosen in View > Theme: "system", "light" or "dark".
THEME_SETTING = "view/theme"
THEMES = ("system", "light", "dark")


def preferred_theme() -> str:
    """The theme the user chose in View > Theme ("system" when never chosen)."""
    from PySide6.QtCore import QSettings

    value = QSettings(ORG_NAME, APP_NAME).value(THEME_SETTING, "system")
    return value if value in THEMES else "system"


def set_preferred_theme(app: QApplication, theme: str) -> str:
    """View > Theme: remember ``theme`` for this user and apply it now."""
    from PySide6.QtCore import QSettings

    if theme not in THEMES:
        raise ValueError(f"unknown theme {theme!r}; expected one of {', '.join(THEMES)}")
    settings = QSettings(ORG_NAME, APP_NAME)
    settings.setValue(THEME_SETTING, theme)
    settings.sync()
    return apply_theme(app, None if theme == "system" else theme)


def system_theme(app: QGuiApplication | None = None) -> str:
    """``"dark"`` or ``"light"``: ``ANNOTATOR_THEME`` if set, else the system's scheme."""
    forced = os.environ.get("ANNOTATOR_THEME", "").strip().lower()
    if forced in ("light", "dark"):
        return forced
    app = app or QGuiApplication.instance()  # type: ignore[assignment]
    if app is not None:
        scheme = app.styleHints().colorScheme()
        if scheme == Qt.ColorScheme.Dark:
            return "dark"
    return "light"


def _palette(theme: str) -> QPalette:
    pal = QPalette()
    R = QPalette.ColorRole
    if theme == "dark":
        colours = {
            R.Window: "#1f2329", R.WindowText: "#e6e9ed", R.Base: "#171a1f", R.AlternateBase: "#1c2026",
            R.ToolTipBase: "#2b2f36", R.ToolTipText: "#e9ecef", R.Text: "#e6e9ed", R.Button: "#2a2f36",
            R.ButtonText: "#e6e9ed", R.BrightText: "#ffffff", R.Highlight: "#3d7bd9",
            R.HighlightedText: "#ffffff", R.Link: "#74a9ff", R.LinkVisited: "#b197fc",
            R.Light: "#3a4048", R.Midlight: "#2d3239", R.Mid: "#41474f", R.Dark: "#5a626c",
            R.Shadow: "#0b0d10", R.PlaceholderText: "#8b939c",
        }
        disabled = "#6c737b"
    else:
        colours = {
            R.Window: "#f6f7f9", R.WindowText: "#1f2328", R.Base: "#ffffff", R.AlternateBase: "#f8f9fa",
            R.ToolTipBase: "#fdfdfd", R.ToolTipText: "#212529", R.Text: "#1f2328", R.Button: "#ffffff",
            R.ButtonText: "#1f2328", R.BrightText: "#ffffff", R.Highlight: "#2f6fd6",
            R.HighlightedText: "#ffffff", R.Link: "#1c63c7", R.LinkVisited: "#6741d9",
            R.Light: "#ffffff", R.Midlight: "#e9ecef", R.Mid: "#ced4da", R.Dark: "#adb5bd",
            R.Shadow: "#868e96", R.PlaceholderText: "#868e96",
        }
        disabled = "#adb5bd"
    for role, colour in colours.items():
        pal.setColor(role, QColor(colour))
    for role in (R.WindowText, R.Text, R.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(disabled))
    if hasattr(R, "Accent"):
        pal.setColor(R.Accent, pal.color(R.Highlight))
    return pal


def load_stylesheet(theme: str) -> str:
    """The shared stylesheet plus the theme's accents, from ``resources/styles``."""
    parts = []
    for name in ("base.qss", f"{theme}.qss"):
        parts.append(resource_path(f"styles/{name}").read_text(encoding="utf-8"))
    return "\n".join(parts)


def apply_theme(app: QApplication, theme: str | None = None, *, follow_system: bool = True) -> str:
    """Give ``app`` the Fusion style, the light or dark palette and the stylesheet.

    With ``follow_system`` (and no theme forced), a change of the system's colour
    scheme while the app runs switches the theme too. Returns the theme applied.
    """
    chosen = theme or system_theme(app)
    app.setStyle(QStyleFactory.create("Fusion"))
    app.setPalette(_palette(chosen))
    app.setStyleSheet(load_stylesheet(chosen))
    app.setProperty("annotatorTheme", chosen)
    if follow_system and theme is None and not app.property("annotatorFollowsSystem"):
        app.setProperty("annotatorFollowsSystem", True)
        # Only while View > Theme says "Follow the system".
        app.styleHints().colorSchemeChanged.connect(
            lambda _scheme: apply_theme(app, follow_system=False) if preferred_theme() == "system" else None)
    return chosen


# -- errors ---------------------------------------------------------------------------


def show_error(parent: QWidget | None, exc: BaseException, *, title: str = "",
               details: str | None = None) -> QMessageBox:
    """Show ``exc`` as a dialog and return it once closed.

    An :class:`AnnotatorError` shows its code, message and file; anything else is
    a bug, shown with its traceback under "Show Details" so it can be reported.
    """
    box = QMessageBox(parent)
    box.setObjectName("ErrorDialog")
    box.setIcon(QMessageBox.Icon.Critical)
    if isinstance(exc, AnnotatorError):
        box.setWindowTitle(title or f"Annotator — error {exc.code}")
        box.setText(f"<b>{exc.code}</b> &nbsp;{_html(exc.message)}")
        if exc.where():
            box.setInformativeText(exc.where())
    else:
        box.setWindowTitle(title or "Annotator — unexpected error")
        box.setText(f"<b>Something went wrong:</b> {_html(type(exc).__name__)}: {_html(str(exc))}")
        box.setInformativeText("Your decisions so far are saved. Please report this with the details below.")
        details = details or getattr(exc, "__traceback_text__", None) or "".join(
            traceback.format_exception(type(exc), exc, exc.__traceback__))
    if details:
        box.setDetailedText(details)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.exec()
    return box


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def install_excepthook(parent_of: Callable[[], QWidget | None] | None = None) -> Callable[[], None]:
    """Route uncaught exceptions (raised in slots) to an error dialog.

    Without this, PySide prints them and carries on silently, or, under some
    configurations, aborts. The window keeps running either way. Returns a
    function that restores the previous hook.
    """
    previous = sys.excepthook
    showing = [False]

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        text = "".join(traceback.format_exception(kind, exc, tb))
        sys.stderr.write(text)
        if kind in (KeyboardInterrupt, SystemExit) or showing[0] or QApplication.instance() is None:
            if kind is KeyboardInterrupt:
                QApplication.quit()
            return
        showing[0] = True
        try:
            show_error(parent_of() if parent_of else QApplication.activeWindow(), exc, details=text)
        finally:
            showing[0] = False

    sys.excepthook = hook

    def restore() -> None:
        sys.excepthook = previous

    return restore


# -- the project ------------------------------------------------------------------------


def create_default_project(path: Path) -> Project:
    """Make ``path`` a new project holding the sample articles (first start).

    The file is built under a temporary name and renamed when complete, so an
    interrupted first start never leaves a half-filled default project behind.
    """
    from annotator.services.importing import import_paths

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    project = create_project(partial)
    try:
        articles = sample_corpus_dir() / "articles"
        if articles.is_dir():
            import_paths(project, [articles])
    finally:
        project.close()
    os.replace(partial, path)
    return open_project(path)


def prepare_project(project_path: Path | None) -> tuple[Project, bool]:
    """Open ``project_path`` (or the default project, made on first start).

    Returns the project and whether it was just created. Raises
    :class:`AnnotatorError` when the file cannot be opened.
    """
    from annotator.gui.settings_dialog import ensure_identity

    if project_path is None:
        path = default_project_path()
        if not (path.exists() and path.stat().st_size > 0):
            project, created = create_default_project(path), True
        else:
            project, created = open_project(path), False
    else:
        project, created = open_project(Path(project_path)), False
    # Decisions record the user's name (Edit > Settings), whichever file is open.
    project.annotator = ensure_identity()[0]
    return project, created


# -- background suggestions -------------------------------------------------------------


def start_suggestions(window: MainWindow | None, project_path: Path | str, *,
                      doc_ids: list[int] | None = None, first: int | None = None) -> BackgroundTask:
    """Compute suggestions for the project's documents in the background.

    A child process (:func:`annotator.gui.jobs.suggest_job`; a thread would fight
    the UI thread for the GIL) loads the project's pipeline, reports it to the
    status bar, stores each document's suggestions through its own connection and
    tells the window which document changed, so that only that one repaints.

    ``window`` None starts the child before the window exists (a first start: the
    pipeline loads while the window is built); :func:`show_suggestions_in` then
    hands the task its window, before the event loop delivers anything.
    """
    from annotator.gui.jobs import suggest_job

    holder: dict[str, Any] = {"window": window}

    def on_item(item: object) -> None:
        window = holder["window"]
        if isinstance(item, tuple) and item and item[0] == "pipeline":
            _show_pipeline(window, item[1])
        elif isinstance(item, tuple) and item and item[0] == "failed":
            window.suggestion_failed(item[1])
        elif isinstance(item, int):
            _documents_changed(window, [item])

    def on_done(summary: dict[str, Any]) -> None:
        window = holder["window"]
        changed = list(summary.get("doc_ids", []))
        if changed:
            _documents_changed(window, changed)
        failed = len(summary.get("failed") or [])
        if summary.get("documents") or failed:
            window.status.showMessage(f"Suggested {summary.get('documents', 0):,} documents "
                                      f"({summary.get('spans', 0):,} spans) in {summary.get('seconds', 0):.1f} s"
                                      + (f"; {failed:,} could not be suggested (see ⚠ in the status bar)"
                                         if failed else ""), 8000)

    def on_error(exc: BaseException) -> None:
        window = holder["window"]
        if isinstance(exc, AnnotatorError):
            window.status.set_pipeline(None, rules_only=True, detail=str(exc))
        show_error(window, exc, title="Annotator — suggestions stopped")

    task = run_in_subprocess(suggest_job, str(project_path), doc_ids, first=first, on_item=on_item,
                             on_done=on_done, on_error=on_error, parent=window, name="suggest")
    task._window_holder = holder  # type: ignore[attr-defined]
    if window is not None:
        show_suggestions_in(task, window)
    return task


def show_suggestions_in(task: BackgroundTask, window: MainWindow) -> None:
    """Give a suggestion task started before the window (``window=None``) its window."""
    task._window_holder["window"] = window  # type: ignore[attr-defined]
    if task.parent() is None:
        task.setParent(window)
    window.status.track(task, "Suggesting")
    window.status.set_pipeline(None, loading=True)


class _AheadRelay(QObject):
    """Carries SuggestAhead's worker-thread callbacks to the UI thread."""

    ready = Signal(int)
    failed = Signal(object)
    #: an E308 record: one document left out, the others go on
    doc_failed = Signal(object)


def attach_suggest_ahead(window: MainWindow, *, ahead: int = 5) -> SuggestAhead:
    """Keep the next ``ahead`` documents after the open one suggested, in the background.

    Returns the service's ``SuggestAhead`` (closed when the window is destroyed).
    """
    from annotator.services.suggesting import SuggestAhead

    project = window.project
    editor = window.editor
    relay = _AheadRelay(window)
    relay.ready.connect(lambda doc_id: _documents_changed(window, [doc_id]),
                        Qt.ConnectionType.QueuedConnection)
    relay.failed.connect(lambda exc: window.statusBar().showMessage(f"Suggesting ahead stopped: {exc}", 10_000),
                         Qt.ConnectionType.QueuedConnection)
    relay.doc_failed.connect(window.suggestion_failed, Qt.ConnectionType.QueuedConnection)
    helper = SuggestAhead(project.path, ahead=ahead, on_ready=relay.ready.emit, on_error=relay.failed.emit,
                          on_failure=relay.doc_failed.emit, skip=list(window.suggestion_failures),
                          annotator=project.annotator)

    def queue_from(doc_id: int) -> None:
        ids = [doc_id]
        current = doc_id
        while len(ids) < ahead:
            current = window.doc_list.next_doc_id(current, 1)
            if current is None or current in ids:
                break
            ids.append(current)
        helper.request(ids)

    previous = getattr(window, "_suggest_ahead_queue", None)
    if previous is not None:  # re-attached after a model or project switch
        try:
            editor.document_loaded.disconnect(previous)
        except (RuntimeError, TypeError):
            pass
    editor.document_loaded.connect(queue_from)
    window._suggest_ahead_queue = queue_from  # type: ignore[attr-defined]
    # Every decision (and its undo) may teach the decision memory: the helper then
    # re-suggests the open article and the queue with it, in its own thread.
    previous_poke = getattr(window, "_suggest_ahead_poke", None)
    if previous_poke is not None:
        try:
            editor.decided.disconnect(previous_poke)
        except (RuntimeError, TypeError):
            pass

    def poke(_change: object) -> None:
        helper.poke()

    editor.decided.connect(poke)
    window._suggest_ahead_poke = poke  # type: ignore[attr-defined]
    if editor.doc_id is not None:
        queue_from(editor.doc_id)
    window.destroyed.connect(lambda *_: helper.close(wait=None))
    QApplication.instance().aboutToQuit.connect(lambda: helper.close(wait=5.0))
    window.suggest_ahead = helper  # type: ignore[attr-defined]
    return helper


def _show_pipeline(window: MainWindow, info: dict[str, Any]) -> None:
    rules_only = bool(info.get("rules_only"))
    window.status.set_pipeline(None if rules_only else str(info.get("name")), rules_only=rules_only,
                        detail=str(info.get("description", "")))


def _documents_changed(window: MainWindow, doc_ids: list[int]) -> None:
    """Tell the window that documents got new spans from a background worker."""
    window.documents_changed(doc_ids)


# -- the window --------------------------------------------------------------------------


def settle_memory() -> None:
    """Exempt everything built so far (Qt wrappers, modules, the tokenizer's
    vocabulary) from future garbage collections.

    A full collection walks every tracked object; with spaCy loaded that is tens of
    milliseconds on the UI thread, felt as a stutter at random moments. Objects made
    at start-up live as long as the window anyway, so freezing them loses nothing.
    """
    import gc

    gc.collect()
    gc.freeze()


def open_window(project_path: Path | None, *, suggest: bool = True) -> tuple[QWidget, Project, bool]:
    """Open the project and show the main window (without entering the event loop).

    Returns the window, its project and whether the project was just created.
    Raises :class:`AnnotatorError` when the project cannot be opened.
    """
    from annotator.gui.settings_dialog import ensure_identity

    name, first_start = ensure_identity()
    project, created = prepare_project(project_path)
    early = None
    if suggest and created and project.path is not None:
        # A first start: the child loads the pipeline and suggests the article the
        # window will open while the window is being built.
        early = start_suggestions(None, project.path, first=project.first_open_doc_id())
    from annotator.gui.main_window import MainWindow

    window = MainWindow(project)
    window.show()
    if first_start:
        window.statusBar().showMessage(f"Your decisions are recorded as '{name}'. Edit > Settings (Ctrl+,) "
                                       "changes the name.", 20_000)
    settle_memory()
    # Once more after the lazily loaded parts (the tokenizer warms up on a thread).
    QTimer.singleShot(5000, settle_memory)
    if suggest and project.path is not None:
        # The first start pre-annotates the whole (small) sample project so a new
        # user sees highlights everywhere; afterwards only the documents just ahead
        # of the annotator are suggested, which scales to any project size.
        task = early
        if task is not None:
            show_suggestions_in(task, window)
        if task is None:
            attach_suggest_ahead(window)
        else:
            # One pipeline at a time: the look-ahead starts once the bulk run ended.
            task.ended.connect(lambda: attach_suggest_ahead(window))
    return window, project, created



def run(project_path: Path | None = None) -> int:
    """Run the annotation window until it is closed; returns the exit code.

    ``project_path`` None opens the default project (made from the sample
    corpus on the very first start).
    """
    prepare_subprocesses()
    app = ensure_app()
    theme = preferred_theme()
    apply_theme(app, None if theme == "system" else theme)
    restore_hook = install_excepthook()
    try:
        try:
            window, project, _created = open_window(project_path)
        except AnnotatorError as exc:
            show_error(None, exc, title=f"Annotator — the project cannot be opened ({exc.code})")
            return 2

        def shutdown() -> None:
            cancel_all()
            wait_all(10.0)

        app.aboutToQuit.connect(shutdown)
        code = app.exec()
        shutdown()
        project.close()
        del window
        return int(code)
    finally:
        restore_hook()
