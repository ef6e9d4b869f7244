"""The one action registry: every menu entry and shortcut of the window.

Each action is declared once as an :class:`ActionSpec` with a stable dotted id
(``annotator.span.accept``), its text, default keys, the menu it lives in and a
handler that receives the window. :func:`build_actions` turns the specs into
``QAction`` objects, puts them in the menus and binds their keys; the shortcut
sheet (F1) is generated from the same specs, so it cannot drift from the keys that
actually work.

Note for developers: actions that act on the article (spans, labels, stance
target and holder) are bound with ``WidgetWithChildrenShortcut`` on the editor, so
their single-letter keys never fire while the user types in the search box or
works in the document list. Document-level keys (done, next, previous, skip) work
anywhere in the window except in text fields, which take plain letters first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from annotator.core.scheme import Scheme

__all__ = ["ActionSpec", "KEYS_SETTING", "MENUS", "action_specs", "apply_keys", "build_actions", "key_overrides"]

Handler = Callable[[Any], None]

#: Menus in menu-bar order; "Parent/Child" names a submenu.
MENUS = ("&File", "&Edit", "&Span", "&Labels", "&Labels/&Entity", "&Labels/S&tance", "&Article", "&View",
         "&View/T&heme", "&Help")

#: QSettings group of the user's own keys: ``keys/<action id>`` holds a list of key texts.
KEYS_SETTING = "keys"


@dataclass(frozen=True)
class ActionSpec:
    """One action of the window.

    Parameters
    ----------
    id:
        Stable dotted id (``annotator.<area>.<verb>``); the QAction's object name.
    text:
        Menu text (``&`` marks the mnemonic).
    shortcuts:
        Default keys, portable text ("Ctrl+Z"); the first is shown in the menu.
    handler:
        Called with the window when the action triggers.
    menu:
        Where the action appears (one of :data:`MENUS`).
    tip:
        One sentence for the status bar and the shortcut sheet.
    scope:
        ``"editor"`` binds the keys to the article editor only; ``"window"`` to
        the whole window.
    factory:
        Makes the QAction instead of the default (undo and redo come from the stack).
    checkable:
        A toggle; the handler receives the window and reads ``action.isChecked()``.
    """

    id: str
    text: str
    shortcuts: tuple[str, ...] = ()
    handler: Handler | None = None
    menu: str = ""
    tip: str = ""
    scope: str = "window"
    factory: Callable[[Any], QAction] | None = None
    checkable: bool = False


def _editor(method: str, *args: Any) -> Handler:
    return lambda window: getattr(window.editor, method)(*args)


def _window(method: str, *args: Any) -> Handler:
    return lambda window: getattr(window, method)(*args)


def _base_specs() -> list[ActionSpec]:
    E, W = "editor", "window"
    return [
        # File
        ActionSpec("annotator.file.new", "&New project…", ("Ctrl+N",), _window("new_project_dialog"), "&File",
                   "Create an empty project file with the default label scheme."),
        ActionSpec("annotator.file.open", "&Open project…", ("Ctrl+O",), _window("open_project_dialog"), "&File",
                   "Open another project file."),
        ActionSpec("annotator.file.import", "&Import articles…", ("Ctrl+I",), _window("import_dialog"), "&File",
                   "Import .txt, .md, .jsonl, .json or .csv files (or drop them on the window)."),
        ActionSpec("annotator.file.export", "&Export…", ("Ctrl+E",), _window("export_dialog"), "&File",
                   "Export the annotations as spaCy, JSONL or CoNLL training data."),
        ActionSpec("annotator.file.train", "&Train a model…", ("Ctrl+Shift+T",), _window("train_dialog"), "&File",
                   "Train a spaCy pipeline on the finished articles and use it for suggestions."),
        ActionSpec("annotator.file.retrain_every", "&Retrain in the background…", (), _window("choose_retrain_every"),
                   "&File", "How many newly finished articles start a background retraining (0: never)."),
        ActionSpec("annotator.file.quit", "&Quit", ("Ctrl+Q",), _window("close"), "&File",
                   "Close the window; every decision is already saved."),
        # Edit
        ActionSpec("annotator.edit.undo", "&Undo", ("Ctrl+Z",), None, "&Edit", "Undo the last decision.",
                   factory=lambda w: w.undo_stack.createUndoAction(w, "Undo")),
        ActionSpec("annotator.edit.redo", "&Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), None, "&Edit",
                   "Redo the decision just undone.", factory=lambda w: w.undo_stack.createRedoAction(w, "Redo")),
        ActionSpec("annotator.edit.search", "&Search documents", ("Ctrl+F",), _window("focus_search"), "&Edit",
                   "Jump to the document list's search box (full-text search)."),
        ActionSpec("annotator.edit.clear", "C&lear selection and focus", ("Esc",), _editor("clear"), "&Edit",
                   "Drop the text selection and the focused span.", E),
        ActionSpec("annotator.edit.char_mode", "Select by &character", (), _window("toggle_char_mode"), "&Edit",
                   "Let selections end inside a token instead of snapping to whole tokens.", checkable=True),
        ActionSpec("annotator.edit.settings", "Se&ttings…", ("Ctrl+,",), _window("settings_dialog"), "&Edit",
                   "Your annotator name (recorded with every decision)."),
        ActionSpec("annotator.edit.keys", "&Keys…", (), _window("keys_dialog"), "&Edit",
                   "Change the keys of any action; yours alone, kept on this computer."),
        # Span
        ActionSpec("annotator.span.next", "&Next span", ("Tab",), _editor("next_span"), "&Span",
                   "Focus the next span of the article.", E),
        ActionSpec("annotator.span.previous", "&Previous span", ("Shift+Tab",), _editor("previous_span"),
                   "&Span", "Focus the previous span of the article.", E),
        ActionSpec("annotator.span.accept", "&Accept", ("A", "Return", "Enter"), _editor("accept"), "&Span",
                   "Accept the focused suggestion.", E),
        ActionSpec("annotator.span.reject", "&Reject", ("X", "Delete"), _editor("reject"), "&Span",
                   "Reject the focused suggestion (or remove the focused span).", E),
        ActionSpec("annotator.span.start_left", "Move start &left", ("Alt+Left",), _editor("resize_span", "start", -1),
                   "&Span", "Grow the focused span by one token at its start.", E),
        ActionSpec("annotator.span.start_right", "Move start ri&ght", ("Alt+Right",),
                   _editor("resize_span", "start", 1), "&Span", "Shrink the focused span by one token at its start.", E),
        ActionSpec("annotator.span.end_left", "Move end l&eft", ("Alt+Shift+Left", "Alt+,"), _editor("resize_span", "end", -1),
                   "&Span", "Shrink the focused span by one token at its end.", E),
        ActionSpec("annotator.span.end_right", "Move end r&ight", ("Alt+Shift+Right", "Alt+."),
                   _editor("resize_span", "end", 1), "&Span", "Grow the focused span by one token at its end.", E),
        ActionSpec("annotator.span.accept_all", "Accept all &suggestions", ("Ctrl+Shift+A",), _editor("accept_all"),
                   "&Span", "Accept every remaining suggestion of the article.", W),
        ActionSpec("annotator.stance.target", "Choose stance &target…", ("T",), _editor("choose_target"), "&Span",
                   "Pick the target of the focused stance from the project's list.", E),
        ActionSpec("annotator.stance.holder", "Link stance &holder…", ("H",), _editor("choose_holder"), "&Span",
                   "Pick the entity who holds the focused stance (nearest people first).", E),
        # Article
        ActionSpec("annotator.doc.done", "Mark &done and next", ("Space", "N"), _window("mark_done_and_next"),
                   "&Article", "Mark the article done and open the next one."),
        ActionSpec("annotator.doc.previous", "&Previous article", ("P",), _window("previous_document"), "&Article",
                   "Open the previous article of the list."),
        ActionSpec("annotator.doc.next", "&Next article", (), _window("next_document"), "&Article",
                   "Open the next article without marking this one."),
        ActionSpec("annotator.doc.skip", "&Skip article", ("S",), _window("skip_document"), "&Article",
                   "Mark the article skipped and open the next one."),
        ActionSpec("annotator.doc.retry_suggestions", "Retry &failed suggestions", ("Ctrl+Shift+R",),
                   _window("retry_failed_suggestions"), "&Article",
                   "Suggest again the articles the pipeline failed on in this session (listed under ⚠ in the "
                   "status bar)."),
        # View
        ActionSpec("annotator.view.review", "&Review disagreements", ("F7",), _window("toggle_review"), "&View",
                   "Walk the articles several annotators finished, one disagreement at a time, and settle "
                   "each (1-9 take a version, A accepts, E edits, N next, Esc leaves).", checkable=True),
        ActionSpec("annotator.view.dashboard", "&Dashboard", ("F9",), _window("toggle_dashboard"), "&View",
                   "Show or hide plots of progress, speed, label balance, suggestion quality, agreement "
                   "and learning curves."),
        ActionSpec("annotator.view.switch_focus", "Switch &focus list/article", ("F6",), _window("switch_focus"),
                   "&View", "Move the keyboard focus between the document list and the article."),
        ActionSpec("annotator.view.uncertain_first", "Most &uncertain article next", (),
                   _window("toggle_uncertainty_order"), "&View",
                   "Work through the articles the suggester was least sure about first, instead of import order.",
                   checkable=True),
        ActionSpec("annotator.view.theme.system", "Follow the &system", (), _window("set_theme", "system"),
                   "&View/T&heme", "Light or dark as the desktop is; changes with it.", checkable=True),
        ActionSpec("annotator.view.theme.light", "&Light", (), _window("set_theme", "light"), "&View/T&heme",
                   "Dark text on a light background, whatever the desktop.", checkable=True),
        ActionSpec("annotator.view.theme.dark", "&Dark", (), _window("set_theme", "dark"), "&View/T&heme",
                   "Light text on a dark background, whatever the desktop.", checkable=True),
        # Help
        ActionSpec("annotator.help.shortcuts", "&Keyboard shortcuts", ("F1",), _window("show_shortcuts"), "&Help",
                   "List every key of the window."),
        ActionSpec("annotator.help.about", "&About annotator", (), _window("show_about"), "&Help",
                   "Version, project file and pipeline."),
    ]


def _label_specs(scheme: Scheme) -> list[ActionSpec]:
    specs = []
    for layer, menu in (("entity", "&Labels/&Entity"), ("stance", "&Labels/S&tance")):
        for label in scheme.labels(layer):
            keys = (label.hotkey,) if label.hotkey else ()
            what = "entity" if layer == "entity" else "stance"
            tip = (f"Label the selection {label.name}, or relabel the focused {what}."
                   if layer == "entity" else
                   f"Relabel the focused stance {label.name}, or make a {label.name} stance of the selection "
                   f"or of the sentence at the cursor.")
            specs.append(ActionSpec(f"annotator.label.{layer}.{label.name}", label.name, keys,
                                    _editor("apply_label", layer, label.name), menu,
                                    label.description or tip, "editor"))
    return specs


def action_specs(scheme: Scheme | None = None) -> list[ActionSpec]:
    """Every action of the window (with the label actions of ``scheme``)."""
    return _base_specs() + (_label_specs(scheme) if scheme is not None else [])


def _menu(window: Any, path: str, cache: dict[str, QMenu]) -> QMenu:
    if path in cache:
        return cache[path]
    parent, _, leaf = path.rpartition("/")
    menu = _menu(window, parent, cache).addMenu(leaf) if parent else window.menuBar().addMenu(leaf)
    cache[path] = menu
    return menu


def build_actions(window: Any, specs: list[ActionSpec] | None = None) -> dict[str, QAction]:
    """Create the window's QActions from the registry, fill its menus, bind its keys.

    ``window`` provides ``editor``, ``undo_stack``, ``project`` and the handlers'
    methods. Returns the actions by id; the window keeps the specs as
    ``window.action_specs`` for the shortcut sheet.
    """
    specs = specs if specs is not None else action_specs(window.project.scheme())
    overrides = key_overrides()
    specs = [replace(spec, shortcuts=overrides[spec.id]) if spec.id in overrides else spec for spec in specs]
    menus: dict[str, QMenu] = {}
    for path in MENUS:
        _menu(window, path, menus)
    actions: dict[str, QAction] = {}
    for spec in specs:
        action = spec.factory(window) if spec.factory else QAction(spec.text, window)
        action.setObjectName(spec.id)
        action.setData(spec.id)
        action.setShortcuts([QKeySequence(k) for k in spec.shortcuts])
        tip = spec.tip + (f" ({', '.join(spec.shortcuts)})" if spec.shortcuts else "")
        action.setStatusTip(spec.tip)
        action.setToolTip(tip)
        if spec.checkable:
            action.setCheckable(True)
        if spec.handler is not None:
            handler = spec.handler
            action.triggered.connect(lambda _checked=False, h=handler: h(window))
        target: QWidget = window.editor if spec.scope == "editor" else window
        if spec.scope == "editor":
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        else:
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        target.addAction(action)
        if spec.menu:
            _menu(window, spec.menu, menus).addAction(action)
        actions[spec.id] = action
    window.action_specs = list(specs)
    return actions


def key_overrides() -> dict[str, tuple[str, ...]]:
    """The keys the user set in Edit > Keys, by action id (QSettings, per user)."""
    settings = QSettings("annotator", "annotator")
    settings.beginGroup(KEYS_SETTING)
    out: dict[str, tuple[str, ...]] = {}
    for key in settings.childKeys():
        value = settings.value(key)
        if value is None:
            continue
        keys = (value,) if isinstance(value, str) else tuple(str(v) for v in value)
        out[key.replace("|", ".")] = tuple(k for k in keys if k)
    settings.endGroup()
    return out


def apply_keys(window: Any, keys: dict[str, tuple[str, ...]], defaults: dict[str, tuple[str, ...]]) -> None:
    """Bind ``keys`` (by action id) now and remember those that differ from ``defaults``."""
    settings = QSettings("annotator", "annotator")
    settings.beginGroup(KEYS_SETTING)
    for action_id, wanted in keys.items():
        name = action_id.replace(".", "|")  # QSettings keys cannot hold every dot safely
        if tuple(wanted) == tuple(defaults.get(action_id, ())):
            settings.remove(name)
        else:
            settings.setValue(name, list(wanted))
    settings.endGroup()
    settings.sync()
    specs = []
    for spec in window.action_specs:
        if spec.id in keys:
            spec = replace(spec, shortcuts=tuple(keys[spec.id]))
            action = window.actions_by_id.get(spec.id)
            if action is not None:
                action.setShortcuts([QKeySequence(k) for k in spec.shortcuts])
                action.setToolTip(spec.tip + (f" ({', '.join(spec.shortcuts)})" if spec.shortcuts else ""))
        specs.append(spec)
    window.action_specs = specs
