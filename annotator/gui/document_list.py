"""The document list panel: search, status and label filters over a lazy table.

The panel never reads rows itself: the table asks :class:`DocumentListModel` for the
rows it paints, so opening a project of a million articles costs two index reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QIcon, QKeySequence, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from annotator.core.errors import AnnotatorError
from annotator.core.model import DOC_STATUSES
from annotator.gui.document_model import COLUMNS, STATUS_ROLE, STATUS_TEXT, DocumentListModel
from annotator.services.doclist import DocFilter, DocumentQuery, queue_sort
from annotator.storage import Project

#: Chip colours of the document statuses (readable with white text, light or dark theme).
STATUS_COLOURS = {"new": "#7b8794", "in_progress": "#c77700", "done": "#2e7d4f", "skipped": "#8e6bb0"}

SEARCH_DELAY_MS = 250


class StatusChipDelegate(QStyledItemDelegate):
    """Paints a document's status as a small rounded, coloured chip."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        status = index.data(STATUS_ROLE)
        if not text or status is None:
            return
        metrics = opt.fontMetrics
        width = metrics.horizontalAdvance(text) + 14
        height = min(opt.rect.height() - 4, metrics.height() + 4)
        chip = QRect(0, 0, min(width, opt.rect.width() - 4), height)
        chip.moveCenter(opt.rect.center())
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(STATUS_COLOURS.get(status, "#7b8794")))
        painter.drawRoundedRect(chip, height / 2, height / 2)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(chip, int(Qt.AlignmentFlag.AlignCenter),
                         metrics.elidedText(text, Qt.TextElideMode.ElideRight, chip.width() - 6))
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width() + 16, size.height() + 4)


def _swatch(colour: str, size: int = 12) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawRoundedRect(0, 0, size, size, 3, 3)
    painter.end()
    return QIcon(pixmap)


class DocumentListPanel(QWidget):
    """Search box, status and label filters, and the table of documents.

    Signals
    -------
    document_activated(int)
        The user chose a document: Enter or double-click on a row, or the current
        row moved (arrow keys, click). Not emitted for :meth:`select_doc`.
    """

    document_activated = Signal(int)

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DocumentListPanel")
        self.project = project
        self.model = DocumentListModel(project, self)
        self._current_doc: int | None = None
        self._syncing = False
        self._total: int | None = None

        self.search_edit = QLineEdit(self)
        self.search_edit.setObjectName("documentSearch")
        self.search_edit.setPlaceholderText('Search titles and text: words, "phrases", OR, NOT, prefix*')
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setToolTip(
            'Words must all occur; "quoted words" must occur together; OR, AND and NOT (in capitals)'
            " combine; a trailing * matches word beginnings (sanction*). Ctrl+F comes here."
        )
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply_filter)
        self.search_edit.textChanged.connect(lambda _text: self._search_timer.start())
        self.search_edit.returnPressed.connect(self.show_results)
        #: Keys of window actions that beat the search box's own line-editing
        #: keys (Ctrl+E exports rather than moving to the end of the line). Set
        #: by the window.
        self.window_keys: Callable[[], set[str]] = set
        self.search_edit.installEventFilter(self)

        self.status_combo = QComboBox(self)
        self.status_combo.setObjectName("statusFilter")
        self.status_combo.setToolTip("Show documents with this status (yours)")
        self.status_combo.addItem("All statuses", None)
        for status in DOC_STATUSES:
            self.status_combo.addItem(_swatch(STATUS_COLOURS[status]), STATUS_TEXT[status], status)
        self.status_combo.currentIndexChanged.connect(self._apply_filter)

        self.label_combo = QComboBox(self)
        self.label_combo.setObjectName("labelFilter")
        self.label_combo.setToolTip("Show documents with an accepted or suggested span of this label")
        self._fill_labels()
        self.label_combo.currentIndexChanged.connect(self._apply_filter)

        self.count_label = QLabel(self)
        self.count_label.setObjectName("documentCount")
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        self.message_label = QLabel(self)
        self.message_label.setObjectName("documentListMessage")
        self.message_label.setWordWrap(True)
        self.message_label.setVisible(False)

        self.view = QTableView(self)
        self.view.setObjectName("documentTable")
        self._setup_view()

        filters = QHBoxLayout()
        filters.setContentsMargins(0, 0, 0, 0)
        filters.addWidget(self.status_combo, 1)
        filters.addWidget(self.label_combo, 1)
        filters.addWidget(self.count_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.search_edit)
        layout.addLayout(filters)
        layout.addWidget(self.message_label)
        layout.addWidget(self.view, 1)

        self.model.modelReset.connect(self._after_reset)
        self._update_count()

    # -- construction ----------------------------------------------------------------

    def _fill_labels(self) -> None:
        self.label_combo.addItem("All labels", None)
        scheme = self.project.scheme()
        for layer in ("entity", "stance"):
            labels = scheme.labels(layer)
            if labels and self.label_combo.count() > 1:
                self.label_combo.insertSeparator(self.label_combo.count())
            for label in labels:
                text = label.name if layer == "entity" else f"Stance: {label.name}"
                self.label_combo.addItem(_swatch(label.colour), text, f"{layer}:{label.name}")

    def _setup_view(self) -> None:
        view = self.view
        view.setModel(self.model)
        view.setItemDelegateForColumn(1, StatusChipDelegate(view))
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setShowGrid(False)
        view.setAlternatingRowColors(True)
        view.setWordWrap(False)
        view.setTextElideMode(Qt.TextElideMode.ElideRight)
        view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        metrics = view.fontMetrics()
        rows = view.verticalHeader()
        rows.setVisible(False)
        # Fixed heights: the view never measures rows, whatever their number.
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(metrics.height() + 10)
        header = view.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(40)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, (_key, title) in enumerate(COLUMNS[1:], start=1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            sample = {"status": "In progress", "last_edit": "31 Dec"}.get(_key, "999")
            header.resizeSection(column, max(metrics.horizontalAdvance(title),
                                             metrics.horizontalAdvance(sample)) + 16)
        # No column is sorted at first: the list is in the queue order (import
        # order, or the most uncertain first when the project asks for it).
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        view.setSortingEnabled(True)
        self.model.sort_by(queue_sort(self.project))
        view.selectionModel().currentRowChanged.connect(self._on_current_row)
        view.activated.connect(self._on_activated)

    # -- public interface --------------------------------------------------------------

    def select_doc(self, doc_id: int) -> None:
        """Make ``doc_id`` the current row and scroll to it (when the filter shows it)."""
        self._current_doc = doc_id
        row = self.model.row_of(doc_id)
        self._syncing = True
        try:
            selection = self.view.selectionModel()
            if row is None:
                selection.clear()
                return
            index = self.model.index(row, 0)
            selection.setCurrentIndex(
                index, selection.SelectionFlag.ClearAndSelect | selection.SelectionFlag.Rows
            )
            self.view.scrollTo(index)
        finally:
            self._syncing = False

    def set_queue_order(self, key: str) -> None:
        """Work through the list in import order (``id``) or most uncertain first
        (``uncertainty``); a column sort is dropped."""
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.model.sort_by(key)

    def next_doc_id(self, doc_id: int, step: int = 1) -> int | None:
        """The document ``step`` rows after (negative: before) ``doc_id`` in the
        current filter and sort order, or None past the end."""
        return self.model.next_doc_id(doc_id, step)

    def refresh_docs(self, doc_ids: Iterable[int]) -> None:
        """The counters or status of these documents changed: repaint their rows."""
        self.model.refresh_docs(doc_ids)

    def refresh_loaded(self) -> None:
        """Rows on screen (and cached) may have changed elsewhere: re-read them in place."""
        self.model.refresh_loaded()

    def refresh_all(self) -> None:
        """Documents were added or changed in bulk: read the list again."""
        self._total = None
        self.model.refresh_all()

    def show_results(self) -> None:
        """Run the search now and move the keyboard to its results (Return, Down, F6)."""
        self._apply_filter()
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.view.currentIndex().isValid() and self.model.rowCount() > 0:
            self.view.selectRow(0)

    def focus_search(self) -> None:
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def current_filter(self) -> DocFilter:
        """The filter the widgets describe (the search text as typed)."""
        label = self.label_combo.currentData()
        layer, name = label.split(":", 1) if label else (None, None)
        return DocFilter(status=self.status_combo.currentData(), label=name, layer=layer,
                         search=self.search_edit.text().strip())

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt override
        """QWidget.hideEvent: a pending search must not run once the window (and
        perhaps its project) is going away."""
        self._search_timer.stop()
        super().hideEvent(event)

    # -- reactions --------------------------------------------------------------------

    def _apply_filter(self) -> None:
        self._search_timer.stop()
        wanted = self.current_filter()
        if wanted == self.model.doc_filter:
            self._show_error(None)
            return
        try:
            self.model.set_filter(wanted)
        except AnnotatorError as exc:
            self._show_error(exc.message)
            return
        self._show_error(None)

    def _show_error(self, message: str | None) -> None:
        self.search_edit.setProperty("invalid", message is not None)
        self.search_edit.style().unpolish(self.search_edit)
        self.search_edit.style().polish(self.search_edit)
        if message is None:
            self._update_count()
            return
        self.message_label.setStyleSheet("color: #c62828;")
        self.message_label.setText(message)
        self.message_label.setVisible(True)

    def _after_reset(self) -> None:
        if self._current_doc is not None:
            self.select_doc(self._current_doc)
        self._update_count()

    def _update_count(self) -> None:
        shown = self.model.rowCount()
        filtered = self.model.doc_filter != DocFilter()
        if not filtered:
            self._total = shown
        elif self._total is None:
            self._total = DocumentQuery(self.project).count()
        total = self._total
        self.count_label.setText(f"{shown:,} of {total:,}" if filtered else f"{total:,} documents")
        if shown == 0 and not self.search_edit.property("invalid"):
            self.message_label.setStyleSheet("")
            self.message_label.setText("No documents match the filters." if filtered
                                       else "No documents yet: import some with File > Import.")
            self.message_label.setVisible(True)
        elif not self.search_edit.property("invalid"):
            self.message_label.setVisible(False)

    def _on_current_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        doc_id = self.model.doc_id_at(current.row())
        if doc_id is None:
            return
        self._current_doc = doc_id
        if not self._syncing:
            self.document_activated.emit(doc_id)

    def _on_activated(self, index: QModelIndex) -> None:
        doc_id = self.model.doc_id_at(index.row()) if index.isValid() else None
        if doc_id is not None:
            self._current_doc = doc_id
            self.document_activated.emit(doc_id)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Down from the search box goes to the results, so the keyboard never has to
        # leave for the mouse between searching and choosing.
        if (watched is self.search_edit and event.type() == QEvent.Type.KeyPress
                and event.key() == Qt.Key.Key_Down):
            self.show_results()
            return True
        if watched is self.search_edit and event.type() == QEvent.Type.ShortcutOverride:
            pressed = QKeySequence(event.keyCombination()).toString(QKeySequence.SequenceFormat.PortableText)
            if pressed in self.window_keys():
                event.ignore()  # not the line edit's: the window's shortcut fires
                return True
        return super().eventFilter(watched, event)
