"""The document list as a lazy Qt table model over :class:`DocumentQuery`.

Rows are read a page at a time when the view asks for them and kept in a small
least-recently-used cache, so the model holds a bounded number of rows whatever the
size of the project. The row count is a cached ``count(*)``, and every page is a
``LIMIT`` window of an index walk (see ``annotator.services.doclist``).

The row order is a snapshot taken at the last reset (:meth:`DocumentListModel.refresh_all`,
a new filter or sort): :meth:`refresh_docs` updates the values of rows in place
without moving them, so a document the annotator has just finished does not jump
away under the cursor.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from annotator.services.doclist import DocFilter, DocRow, DocumentQuery, queue_sort
from annotator.storage import Project

#: Column ids, in display order, and their header text.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("title", "Title"),
    ("status", "Status"),
    ("accepted", "Accepted"),
    ("suggestions", "To review"),
    ("last_edit", "Edited"),
)

#: Sort key of each column (the query's key names).
_SORT_OF_COLUMN = {"title": "title", "status": "status", "accepted": "accepted",
                   "suggestions": "suggestions", "last_edit": "last_edit"}

STATUS_TEXT = {"new": "New", "in_progress": "In progress", "done": "Done", "skipped": "Skipped"}

#: ``data()`` role giving the document id of a row.
DOC_ID_ROLE = Qt.ItemDataRole.UserRole + 1
#: ``data()`` role giving the raw status (``new``, ``in_progress``, ``done``, ``skipped``).
STATUS_ROLE = Qt.ItemDataRole.UserRole + 2

_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_CENTRE = int(Qt.AlignmentFlag.AlignCenter)

AnyIndex = QModelIndex | QPersistentModelIndex


def format_last_edit(value: str | None, *, now: datetime | None = None) -> str:
    """A short local time for the list: the time today, the day this year, else the date."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value).astimezone()
    except ValueError:
        return value
    now = now or datetime.now().astimezone()
    if moment.date() == now.date():
        return moment.strftime("%H:%M")
    if moment.year == now.year:
        return f"{moment.day} {moment.strftime('%b')}"
    return moment.strftime("%Y-%m-%d")


class DocumentListModel(QAbstractTableModel):
    """Documents of a project: Title, Status, Accepted, To review (suggestions left), Edited (last edit).

    Parameters
    ----------
    project:
        The UI thread's open project.
    page_size, max_pages:
        Rows are read ``page_size`` at a time; at most ``max_pages`` pages are kept.
    """

    def __init__(self, project: Project, parent: QObject | None = None, *, page_size: int = 128,
                 max_pages: int = 24) -> None:
        super().__init__(parent)
        self.project = project
        self.page_size = page_size
        self.max_pages = max_pages
        self._query = DocumentQuery(project, sort=queue_sort(project))
        self._pages: OrderedDict[int, list[DocRow]] = OrderedDict()
        self._rows = self._query.count()

    # -- settings ------------------------------------------------------------------

    @property
    def query(self) -> DocumentQuery:
        return self._query

    @property
    def doc_filter(self) -> DocFilter:
        return self._query.filter

    def set_filter(self, doc_filter: DocFilter) -> None:
        """Show the documents that pass ``doc_filter``.

        Raises
        ------
        AnnotatorError
            ``E501`` for a search that cannot be read; the model is left unchanged.
        """
        query = self._query.with_changes(filter=doc_filter)
        self._reset(query)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order by a column (``-1``: import order); ties keep import order."""
        key = _SORT_OF_COLUMN[COLUMNS[column][0]] if 0 <= column < len(COLUMNS) else "id"
        descending = order == Qt.SortOrder.DescendingOrder
        if key == self._query.sort and descending == self._query.descending:
            return
        self._reset(self._query.with_changes(sort=key, descending=descending))

    def sort_by(self, key: str, *, descending: bool = False) -> None:
        """Order by a :data:`~annotator.services.doclist.SORT_KEYS` key that is not
        a column (the queue order: ``id`` or ``uncertainty``)."""
        if key == self._query.sort and descending == self._query.descending:
            return
        self._reset(self._query.with_changes(sort=key, descending=descending))

    def refresh_all(self) -> None:
        """Read the list again (documents were added, or statuses changed in bulk)."""
        query = self._query.with_changes()
        query.invalidate()
        self._reset(query)

    def refresh_loaded(self) -> None:
        """Re-read every row held in memory, in place (another process changed
        counters or statuses; the list itself, and where the user is in it, stay)."""
        self.refresh_docs(row.id for rows in self._pages.values() for row in rows)

    def refresh_docs(self, doc_ids: Iterable[int]) -> None:
        """Re-read the values of these documents' rows where they are loaded."""
        wanted = set(doc_ids)
        located = [(page, i) for page, rows in self._pages.items()
                   for i, row in enumerate(rows) if row.id in wanted]
        if not located:
            return
        fresh = {row.id: row for row in self._query.rows_for({self._pages[p][i].id for p, i in located})}
        last = len(COLUMNS) - 1
        for page, i in located:
            row = self._pages[page][i]
            if row.id in fresh:
                self._pages[page][i] = fresh[row.id]
                at = page * self.page_size + i
                self.dataChanged.emit(self.index(at, 0), self.index(at, last))

    def _reset(self, query: DocumentQuery) -> None:
        count = query.count()
        self.beginResetModel()
        self._query = query
        self._pages.clear()
        self._rows = count
        self.endResetModel()

    # -- rows ----------------------------------------------------------------------

    def cached_row_count(self) -> int:
        """How many rows are held in memory now (bounded by page_size * max_pages)."""
        return sum(len(rows) for rows in self._pages.values())

    def _row(self, row: int) -> DocRow | None:
        if not 0 <= row < self._rows:
            return None
        page, at = divmod(row, self.page_size)
        rows = self._pages.get(page)
        if rows is None:
            try:
                rows = self._query.rows(page * self.page_size, self.page_size)
            except sqlite3.Error:
                return None
            self._pages[page] = rows
            while len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page)
        return rows[at] if at < len(rows) else None

    def doc_id_at(self, row: int) -> int | None:
        found = self._row(row)
        return found.id if found else None

    def row_of(self, doc_id: int) -> int | None:
        """The row showing ``doc_id``, or None when the filter hides it."""
        for page, rows in self._pages.items():
            for i, row in enumerate(rows):
                if row.id == doc_id:
                    return page * self.page_size + i
        position = self._query.position(doc_id)
        return position if position is not None and position < self._rows else None

    def next_doc_id(self, doc_id: int, step: int = 1) -> int | None:
        """The document ``step`` rows away from ``doc_id`` in the order on screen.

        A loaded row is followed as shown; otherwise the query finds the neighbour
        from the document's sort key (so a document that left the filter still has
        a next one)."""
        for page, rows in self._pages.items():
            for i, row in enumerate(rows):
                if row.id == doc_id:
                    target = page * self.page_size + i + step
                    return self.doc_id_at(target) if 0 <= target < self._rows else None
        return self._query.next_doc_id(doc_id, step)

    # -- Qt model interface ----------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section][1]
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return _LEFT if section == 0 else _CENTRE
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole and section >= 0:
            return str(section + 1)
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.column() >= len(COLUMNS):
            return None
        row = self._row(index.row())
        if row is None:
            return None
        column = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == DOC_ID_ROLE:
            return row.id
        if role == STATUS_ROLE:
            return row.status
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _LEFT if column == "title" else (_CENTRE if column == "status" else _RIGHT)
        return None

    @staticmethod
    def _display(row: DocRow, column: str) -> str:
        if column == "title":
            return " ".join(row.title.split()) or f"Document {row.id}"
        if column == "status":
            return STATUS_TEXT.get(row.status, row.status)
        if column == "accepted":
            return str(row.n_accepted)
        if column == "suggestions":
            return str(row.n_suggested) if row.n_suggested else "–"
        return format_last_edit(row.last_edit)

    @staticmethod
    def _tooltip(row: DocRow, column: str) -> str:
        if column == "title":
            return f"{row.title}\n(document {row.id})"
        if column == "status":
            return f"Your status: {STATUS_TEXT.get(row.status, row.status)}"
        if column in ("accepted", "suggestions"):
            return (f"{row.n_accepted} accepted, {row.n_suggested} suggestions left, "
                    f"{row.n_rejected} rejected")
        return f"Last edited {row.last_edit}" if row.last_edit else "Not edited yet"


__all__ = ["COLUMNS", "DOC_ID_ROLE", "STATUS_ROLE", "STATUS_TEXT", "DocumentListModel",
           "format_last_edit"]
