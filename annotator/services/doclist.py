"""The document list without Qt: counts and windows of document rows, filtered and
sorted in SQLite so that a project of a million articles never has all its rows
loaded.

How each order stays cheap (indexes from ``m002_document_list``, and
``m005_uncertainty_order`` for ``uncertainty``):

- ``id``, ``title``, ``accepted``, ``suggestions``, ``last_edit``, ``uncertainty``: an index whose
  implicit rowid tail breaks ties by document id, so ``ORDER BY key, id LIMIT n``
  walks the index and stops after the window. A window far from the start is
  fetched from whichever end of the order is nearer, so an ``OFFSET`` never skips
  more than half of the rows, and the skipped entries come from a covering index.
- ``status``: the status lives in ``doc_status`` per annotator, and a missing row
  means "new", so there is no single index to walk. The order is built as a
  concatenation of segments (new, in progress, done, skipped), each one a status
  filter in id order; segment sizes are counts over ``doc_status_segment``.
- Filters are ``id IN (subquery)`` terms: status (``doc_status_segment``), label
  (``spans_label``) and full-text search (``documents_fts``). SQLite either walks
  the sort index and tests membership, or walks the matches and sorts them; the
  second is a full sort, bounded by the number of matching documents.

Counts are ``count(*)`` queries, cached per filter until :meth:`DocumentQuery.invalidate`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from annotator.core.errors import AnnotatorError, Errors
from annotator.core.model import DOC_STATUSES
from annotator.storage import Project

#: Sort keys accepted by :class:`DocumentQuery` (``id`` is import order;
#: ``uncertainty`` ascending puts the documents the suggester was least sure
#: about first, see annotator.nlp.uncertainty).
SORT_KEYS: tuple[str, ...] = ("id", "title", "status", "accepted", "suggestions", "last_edit", "uncertainty")

#: Project setting: the order the annotator works through, ``import`` (default)
#: or ``uncertainty`` (the most uncertain article next).
QUEUE_ORDER_SETTING = "queue.order"
QUEUE_ORDERS = ("import", "uncertainty")


def queue_sort(project: Project) -> str:
    """The document-list sort key of the project's queue order setting."""
    return "uncertainty" if project.setting(QUEUE_ORDER_SETTING, "import") == "uncertainty" else "id"

#: Span statuses that make a document match a label filter.
_LABEL_STATUSES = ("accepted", "suggested")


@dataclass(frozen=True, slots=True)
class DocFilter:
    """Which documents the list shows.

    Parameters
    ----------
    status:
        One of ``new``, ``in_progress``, ``done``, ``skipped`` for the project's
        annotator, or None for all.
    label:
        Only documents with an accepted or suggested span of this label.
    layer:
        Restricts ``label`` to one layer (``entity`` or ``stance``).
    search:
        User text for full-text search over title and text (see :func:`fts_query`).
    """

    status: str | None = None
    label: str | None = None
    layer: str | None = None
    search: str = ""


@dataclass(frozen=True, slots=True)
class DocRow:
    """One row of the document list."""

    id: int
    title: str
    status: str
    n_accepted: int
    n_suggested: int
    n_rejected: int
    last_edit: str | None


# -- full-text search -----------------------------------------------------------

_OPERATORS = ("OR", "AND", "NOT")
#: Parentheses nest at most this deep in a search (the parser recurses per level,
#: and FTS5 refuses expressions nested much deeper).
MAX_SEARCH_DEPTH = 32


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _has_word(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _lex(text: str) -> list[tuple[str, str]]:
    """Split user text into (kind, value) tokens: ``term``, ``op``, ``(`` and ``)``.

    Terms come out already quoted for FTS5, so no user character is ever read as
    FTS5 syntax (column filters, ``NEAR``, ``^``, ``+``...).
    """
    if "\x00" in text:
        raise AnnotatorError(Errors.E501, reason="the text holds a NUL character; type or paste words only")
    tokens: list[tuple[str, str]] = []
    i, n = 0, len(text)
    depth = 0
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            depth += 1 if ch == "(" else -1
            if depth > MAX_SEARCH_DEPTH:
                raise AnnotatorError(Errors.E501, reason=f"parentheses nest deeper than {MAX_SEARCH_DEPTH} levels")
            tokens.append((ch, ch))
            i += 1
        elif ch == '"':
            close = text.find('"', i + 1)
            if close < 0:
                raise AnnotatorError(Errors.E501, reason="a quotation mark is not closed")
            phrase = text[i + 1 : close]
            i = close + 1
            prefix = i < n and text[i] == "*"
            while i < n and text[i] == "*":
                i += 1
            if _has_word(phrase):
                tokens.append(("term", _quote(" ".join(phrase.split())) + ("*" if prefix else "")))
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] not in '()"':
                i += 1
            word = text[start:i]
            if word in _OPERATORS:
                tokens.append(("op", word))
                continue
            stem = word.rstrip("*")
            prefix = stem != word
            if prefix and not _has_word(stem):
                raise AnnotatorError(Errors.E501, reason="'*' must follow a word, as in 'sanction*'")
            if _has_word(stem):
                tokens.append(("term", _quote(stem) + ("*" if prefix else "")))
    return tokens


class _Parser:
    """Recursive descent over the tokens; writes a fully parenthesised FTS5 query.

    FTS5 binds NOT tighter than AND, and AND tighter than OR; the grammar here
    follows the same order, and juxtaposed terms mean AND.
    """

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def parse(self) -> str:
        expr = self.or_expr()
        tok = self.peek()
        if tok is not None:
            if tok[0] == ")":
                raise AnnotatorError(Errors.E501, reason="a closing parenthesis has no opening one")
            raise AnnotatorError(Errors.E501, reason=f"unexpected {tok[1]!r}")
        return expr

    def or_expr(self) -> str:
        parts = [self.and_expr("OR")]
        while self.peek() == ("op", "OR"):
            self.take()
            parts.append(self.and_expr("OR"))
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def and_expr(self, after: str) -> str:
        parts = [self.not_expr(after)]
        while True:
            tok = self.peek()
            if tok == ("op", "AND"):
                self.take()
                parts.append(self.not_expr("AND"))
            elif tok is not None and tok[0] in ("term", "("):
                parts.append(self.not_expr("AND"))
            else:
                break
        return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"

    def not_expr(self, after: str) -> str:
        left = self.primary(after)
        while self.peek() == ("op", "NOT"):
            self.take()
            right = self.primary("NOT")
            left = f"({left} NOT {right})"
        return left

    def primary(self, after: str) -> str:
        tok = self.peek()
        if tok is None:
            raise AnnotatorError(Errors.E501, reason=f"{after} needs a word after it")
        kind, value = tok
        if kind == "term":
            self.take()
            return value
        if kind == "(":
            self.take()
            if self.peek() == (")", ")"):
                raise AnnotatorError(Errors.E501, reason="the parentheses are empty")
            inner = self.or_expr()
            if self.peek() != (")", ")"):
                raise AnnotatorError(Errors.E501, reason="a parenthesis is not closed")
            self.take()
            return inner
        if kind == ")":
            raise AnnotatorError(Errors.E501, reason="the parentheses are empty" if after == "(" else
                                 f"{after} needs a word after it")
        if value == "NOT" and after in ("start", "OR", "AND", "("):
            raise AnnotatorError(Errors.E501, reason="NOT needs a word before it, as in 'aid NOT military'")
        raise AnnotatorError(Errors.E501, reason=f"{value} needs a word before it")


def fts_query(text: str) -> str | None:
    """Turn what a person typed into a safe FTS5 ``MATCH`` expression.

    Words and ``"quoted phrases"`` are quoted for FTS5; ``OR``, ``AND`` and ``NOT``
    (upper case) are operators, words side by side must all occur, a trailing ``*``
    makes a prefix search, and parentheses group. Characters without letters or
    digits (punctuation) are not searchable and are ignored.

    Returns
    -------
    str or None
        The expression, or None when the text holds nothing to search for.

    Raises
    ------
    AnnotatorError
        ``E501`` when the text cannot be read as a query (an unclosed quote, an
        operator without a word on one side, unbalanced parentheses).
    """
    tokens = _lex(text)
    if not tokens:
        return None
    return _Parser(tokens).parse()


# -- queries --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Order:
    source: str  # FROM clause that drives the scan
    id_col: str
    key: str | None  # None: the id alone is the key


_ORDERS: dict[str, _Order] = {
    "id": _Order("documents d", "d.id", None),
    "title": _Order("documents d", "d.id", "d.title COLLATE NOCASE"),
    "accepted": _Order("doc_stats s", "s.doc_id", "s.n_accepted"),
    "suggestions": _Order("doc_stats s", "s.doc_id", "s.n_suggested"),
    "last_edit": _Order("doc_stats s", "s.doc_id", "ifnull(s.last_edit, '')"),
    "uncertainty": _Order("doc_stats s", "s.doc_id", "s.certainty"),
}

_ROW_SQL = (
    "SELECT d.id, CASE WHEN d.title != '' THEN substr(d.title, 1, 500)"
    " ELSE substr(ltrim(d.text), 1, 120) END,"
    " ifnull(ds.status, 'new'), ifnull(s.n_accepted, 0), ifnull(s.n_suggested, 0),"
    " ifnull(s.n_rejected, 0), s.last_edit"
    " FROM documents d LEFT JOIN doc_stats s ON s.doc_id = d.id"
    " LEFT JOIN doc_status ds ON ds.doc_id = d.id AND ds.annotator = ?"
    " WHERE d.id IN (SELECT value FROM json_each(?))"
)


class DocumentQuery:
    """Counts and windows of the document list for one filter and sort order.

    Parameters
    ----------
    project:
        The open project; rows are read through its connection (the caller's thread).
    filter:
        Which documents to list; the search text is checked at once (``E501``).
    sort:
        One of :data:`SORT_KEYS`.
    descending:
        Reverse the order (ties are broken by id in the same direction).
    """

    def __init__(self, project: Project, *, filter: DocFilter | None = None, sort: str = "id",
                 descending: bool = False) -> None:
        if sort not in SORT_KEYS:
            raise ValueError(f"unknown sort key {sort!r}; known: {', '.join(SORT_KEYS)}")
        self.project = project
        self.filter = filter or DocFilter()
        if self.filter.status is not None and self.filter.status not in DOC_STATUSES:
            raise ValueError(f"unknown document status {self.filter.status!r}")
        self.sort = sort
        self.descending = descending
        self._match = fts_query(self.filter.search)
        self._counts: dict[str | None, int] = {}

    @property
    def conn(self) -> sqlite3.Connection:
        return self.project.conn

    def with_changes(self, *, filter: DocFilter | None = None, sort: str | None = None,
                     descending: bool | None = None) -> DocumentQuery:
        """A new query with some settings changed; cached counts carry over when the
        filter is the same (they do not depend on the order)."""
        query = DocumentQuery(
            self.project,
            filter=self.filter if filter is None else filter,
            sort=self.sort if sort is None else sort,
            descending=self.descending if descending is None else descending,
        )
        if query.filter == self.filter:
            query._counts = dict(self._counts)
        return query

    def invalidate(self) -> None:
        """Forget cached counts (documents were added or their status changed)."""
        self._counts.clear()

    # -- SQL building -------------------------------------------------------------

    def _where(self, id_col: str, status: str | None) -> tuple[list[str], list[Any]]:
        """Filter terms over ``id_col``; ``status`` replaces the filter's own status."""
        terms: list[str] = []
        params: list[Any] = []
        if status == "new":
            terms.append(f"{id_col} NOT IN (SELECT doc_id FROM doc_status"
                         " WHERE annotator = ? AND status != 'new')")
            params.append(self.project.annotator)
        elif status is not None:
            terms.append(f"{id_col} IN (SELECT doc_id FROM doc_status WHERE annotator = ? AND status = ?)")
            params += [self.project.annotator, status]
        if self.filter.label:
            sql = f"{id_col} IN (SELECT doc_id FROM spans WHERE label = ? AND status IN (?, ?)"
            params += [self.filter.label, *_LABEL_STATUSES]
            if self.filter.layer:
                sql += " AND layer = ?"
                params.append(self.filter.layer)
            terms.append(sql + ")")
        if self._match is not None:
            terms.append(f"{id_col} IN (SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?)")
            params.append(self._match)
        return terms, params

    def _run(self, sql: str, params: Sequence[Any]) -> list[tuple]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            # The quoting above leaves FTS5 nothing to reject, but a failure here
            # must reach the user as a message, never as a traceback.
            if self._match is not None and ("fts5" in str(exc) or "MATCH" in str(exc)):
                raise AnnotatorError(Errors.E501, reason=str(exc)) from None
            raise

    # -- counts -------------------------------------------------------------------

    def _count(self, status: str | None) -> int:
        if status in self._counts:
            return self._counts[status]
        if status == "new":
            # The complement is an index range; NOT IN would probe every document.
            n = self._count(None) - sum(self._count(s) for s in DOC_STATUSES if s != "new")
        else:
            terms, params = self._where("d.id", status)
            sql = "SELECT count(*) FROM documents d"
            if status is not None and not self.filter.label and self._match is None:
                sql = "SELECT count(*) FROM doc_status d WHERE d.annotator = ? AND d.status = ?"
                terms, params = [], [self.project.annotator, status]
            elif terms:
                sql += " WHERE " + " AND ".join(terms)
            n = self._run(sql, params)[0][0]
        self._counts[status] = n
        return n

    def count(self) -> int:
        """Number of documents in the list (cached)."""
        return self._count(self.filter.status)

    def status_counts(self) -> dict[str, int]:
        """Documents per status within the other filters (cached)."""
        return {s: self._count(s) for s in DOC_STATUSES if self.filter.status in (None, s)}

    # -- windows ------------------------------------------------------------------

    def _segments(self) -> list[str | None]:
        """The statuses whose concatenation is the order of the list."""
        if self.sort != "status":
            return [self.filter.status]
        statuses = [s for s in DOC_STATUSES if self.filter.status in (None, s)]
        return statuses[::-1] if self.descending else statuses

    def _order_of(self, status_sort: bool) -> _Order:
        return _ORDERS["id"] if status_sort else _ORDERS[self.sort]

    def _window(self, status: str | None, offset: int, limit: int, total: int) -> list[int]:
        """Ids at ``[offset, offset + limit)`` of one segment of ``total`` rows."""
        if limit <= 0 or offset >= total:
            return []
        limit = min(limit, total - offset)
        order = self._order_of(self.sort == "status")
        descending = self.descending
        flipped = offset > total - (offset + limit)
        if flipped:
            # Walk from the far end: never skip more than half of the rows.
            offset = total - (offset + limit)
            descending = not descending
        sql, params = self._window_query(order, status, descending)
        ids = [r[0] for r in self._run(sql, [*params, limit, offset])]
        return ids[::-1] if flipped else ids

    def _window_query(self, order: _Order, status: str | None, descending: bool) -> tuple[str, list[Any]]:
        direction = "DESC" if descending else "ASC"
        keys = [order.key, order.id_col] if order.key else [order.id_col]
        terms, params = self._where(order.id_col, status)
        sql = f"SELECT {order.id_col} FROM {order.source}"
        if terms:
            sql += " WHERE " + " AND ".join(terms)
        sql += " ORDER BY " + ", ".join(f"{k} {direction}" for k in keys) + " LIMIT ? OFFSET ?"
        return sql, params

    def ids(self, offset: int, limit: int) -> list[int]:
        """Document ids of rows ``[offset, offset + limit)`` in list order."""
        out: list[int] = []
        for status in self._segments():
            if limit <= 0:
                break
            size = self._count(status)
            if offset >= size:
                offset -= size
                continue
            got = self._window(status, offset, limit, size)
            out += got
            limit -= len(got)
            offset = 0
        return out

    def rows(self, offset: int, limit: int) -> list[DocRow]:
        """Rows ``[offset, offset + limit)`` in list order."""
        return self.rows_for(self.ids(offset, limit))

    def rows_for(self, doc_ids: Iterable[int]) -> list[DocRow]:
        """Rows of the given documents, in the given order (unknown ids are left out)."""
        doc_ids = list(doc_ids)
        if not doc_ids:
            return []
        found = {
            r[0]: DocRow(*r)
            for r in self.conn.execute(_ROW_SQL, (self.project.annotator, json.dumps(doc_ids)))
        }
        return [found[i] for i in doc_ids if i in found]

    # -- navigation ---------------------------------------------------------------

    def _key_of(self, doc_id: int) -> tuple[Any, ...] | None:
        """The sort key of a document, whether or not it passes the filter."""
        if self.sort == "status":
            status = self.project.doc_status(doc_id)
            return (status,) if self.conn.execute(
                "SELECT 1 FROM documents WHERE id = ?", (doc_id,)).fetchone() else None
        order = _ORDERS[self.sort]
        if order.key is None:
            row = self.conn.execute("SELECT id FROM documents WHERE id = ?", (doc_id,)).fetchone()
            return () if row else None
        row = self.conn.execute(
            f"SELECT {order.key} FROM {order.source} WHERE {order.id_col} = ?", (doc_id,)
        ).fetchone()
        return (row[0],) if row else None

    def _select(self, order: _Order, status: str | None, extra: list[str], extra_params: list[Any],
                descending: bool, limit: int, *, by_id_only: bool = False) -> list[int]:
        direction = "DESC" if descending else "ASC"
        terms, params = self._where(order.id_col, status)
        terms += extra
        params += extra_params
        keys = [order.id_col] if by_id_only or order.key is None else [order.key, order.id_col]
        sql = f"SELECT {order.id_col} FROM {order.source}"
        if terms:
            sql += " WHERE " + " AND ".join(terms)
        sql += " ORDER BY " + ", ".join(f"{k} {direction}" for k in keys) + " LIMIT ?"
        return [r[0] for r in self._run(sql, [*params, limit])]

    def _after(self, order: _Order, status: str | None, key: tuple[Any, ...], doc_id: int,
               forward: bool, limit: int, *, unbounded: bool = False) -> list[int]:
        """Ids after (or before) ``(key, doc_id)`` in the order, nearest first.

        Two seeks instead of one ``(key, id) > (?, ?)`` test, which SQLite cannot
        use as an index range: the rest of the key's own run (``key = ? AND id > ?``
        seeks on the index's rowid tail), then the keys beyond it."""
        descending = self.descending != (not forward)
        op = "<" if descending else ">"
        if unbounded:
            return self._select(order, status, [], [], descending, limit)
        if order.key is None:
            return self._select(order, status, [f"{order.id_col} {op} ?"], [doc_id], descending, limit)
        ids = self._select(order, status, [f"{order.key} = ?", f"{order.id_col} {op} ?"],
                           [key[0], doc_id], descending, limit, by_id_only=True)
        if len(ids) < limit:
            ids += self._select(order, status, [f"{order.key} {op} ?"], [key[0]], descending,
                                limit - len(ids))
        return ids

    def next_doc_id(self, doc_id: int, step: int = 1) -> int | None:
        """The document ``step`` rows after (negative: before) ``doc_id`` in the list
        order, or None past either end. ``doc_id`` itself need not pass the filter
        (it may just have been marked done): the neighbour is found from its sort key
        with a keyset query, which reads only ``abs(step)`` rows."""
        if step == 0:
            return doc_id
        key = self._key_of(doc_id)
        if key is None:
            return None
        forward = step > 0
        remaining = abs(step)
        if self.sort != "status":
            ids = self._after(_ORDERS[self.sort], self.filter.status, key, doc_id, forward, remaining)
            return ids[remaining - 1] if len(ids) >= remaining else None
        # Statuses in the direction of travel; the document's own segment is read
        # after its id, the segments beyond it from their start.
        full = list(DOC_STATUSES[::-1] if self.descending != (not forward) else DOC_STATUSES)
        allowed = set(self._segments())
        own = key[0]
        plan = [(own, True)] if own in allowed else []
        plan += [(s, False) for s in full[full.index(own) + 1:] if s in allowed]
        for status, keyed in plan:
            ids = self._after(_ORDERS["id"], status, (), doc_id, forward, remaining, unbounded=not keyed)
            if len(ids) >= remaining:
                return ids[remaining - 1]
            remaining -= len(ids)
        return None

    def position(self, doc_id: int) -> int | None:
        """The row of ``doc_id`` in the list, or None when the filter hides it."""
        key = self._key_of(doc_id)
        if key is None:
            return None
        if self.sort == "status":
            status = key[0]
            if status not in self._segments():
                return None
            before = 0
            for s in self._segments():
                if s == status:
                    break
                before += self._count(s)
            order, seg_status = _ORDERS["id"], status
        else:
            before, order, seg_status = 0, _ORDERS[self.sort], self.filter.status
        terms, params = self._where(order.id_col, seg_status)
        member = self._run(
            f"SELECT 1 FROM {order.source} WHERE {order.id_col} = ?"
            + "".join(f" AND {t}" for t in terms), [doc_id, *params])
        if not member:
            return None
        op = ">" if self.descending else "<"
        parts = ([(f"{order.key} = ? AND {order.id_col} {op} ?", [key[0], doc_id]),
                  (f"{order.key} {op} ?", [key[0]])] if order.key is not None
                 else [(f"{order.id_col} {op} ?", [doc_id])])
        for cond, extra in parts:
            sql = f"SELECT count(*) FROM {order.source} WHERE " + " AND ".join([*terms, cond])
            before += self._run(sql, [*params, *extra])[0][0]
        return before

    def describe(self) -> dict[str, Any]:
        """A summary of the query for logs and the CLI."""
        return {"filter": {"status": self.filter.status, "label": self.filter.label,
                           "layer": self.filter.layer, "search": self.filter.search},
                "match": self._match, "sort": self.sort, "descending": self.descending,
                "count": self.count()}
