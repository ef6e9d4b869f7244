"""Generated projects for load tests and benchmarks of the document list."""

from __future__ import annotations

from annotator.services.doclist import DocumentQuery
from annotator.storage import Project

__all__ = ["generate_synthetic_documents", "query_plan"]


def query_plan(query: DocumentQuery) -> list[str]:
    """SQLite's plan (``EXPLAIN QUERY PLAN`` details) for the window queries of
    ``query``'s order, one segment after another; ``USE TEMP B-TREE FOR ORDER BY``
    in it means a full sort of the matching rows."""
    order = query._order_of(query.sort == "status")
    details: list[str] = []
    for status in query._segments():
        sql, params = query._window_query(order, status, query.descending)
        details += [r[3] for r in query.conn.execute("EXPLAIN QUERY PLAN " + sql, [*params, 100, 0])]
    return details


def generate_synthetic_documents(project: Project, *, count: int, start: int | None = None) -> int:
    """Fill a project with ``count`` generated articles, for load tests and
    benchmarks of the document list (one ``INSERT ... SELECT`` over a recursive
    CTE; the FTS and counter triggers fire as for any import).

    Titles are ``"Report NNNNNNN"`` with the number ``(i * 7919) % count`` (distinct
    when ``count`` is not a multiple of 7919, and not in id order), texts name one
    of five topics by ``i % 5``; every tenth document is marked done and every
    hundredth gets one accepted and one suggested ``ORG`` span.

    Returns
    -------
    int
        The number of documents added.
    """
    first = start if start is not None else (
        project.conn.execute("SELECT ifnull(max(id), 0) FROM documents").fetchone()[0] + 1)
    last = first + count - 1
    with project.write():
        project.conn.execute(
            """WITH RECURSIVE seq(x) AS (SELECT ? UNION ALL SELECT x + 1 FROM seq WHERE x < ?)
            INSERT INTO documents (id, text, title, text_hash, length)
            SELECT x, t, ti, 'synthetic:' || x, length(t) FROM (
              SELECT x,
                'Article ' || x || ' on ' || CASE x % 5 WHEN 0 THEN 'sanctions on Russia'
                  WHEN 1 THEN 'military aid' WHEN 2 THEN 'NATO membership'
                  WHEN 3 THEN 'long-range strikes' ELSE 'troops in Ukraine' END || '.' AS t,
                'Report ' || printf('%07d', (x * 7919) % ?) AS ti
              FROM seq)""",
            (first, last, max(count, 1)),
        )
        project.conn.execute(
            "INSERT INTO doc_status (doc_id, annotator, status)"
            " SELECT id, ?, 'done' FROM documents WHERE id BETWEEN ? AND ? AND id % 10 = 0",
            (project.annotator, first, last),
        )
        for status in ("accepted", "suggested"):
            project.conn.execute(
                "INSERT INTO spans (doc_id, start, \"end\", layer, label, origin, status)"
                " SELECT id, 0, 7, 'entity', 'ORG', 'synthetic', ? FROM documents"
                " WHERE id BETWEEN ? AND ? AND id % 100 = 0",
                (status, first, last),
            )
    return count
