"""Read access to the decision memory: ``memory`` (one row per decided entity
span, migration m003) and ``memory_strings`` (per string, label and verdict, the
number of articles, m007).

Both are written by triggers only (see storage/schema.py), so these are the only
functions the rest of the code needs.
"""

from __future__ import annotations

from annotator.storage.project import Project

__all__ = ["memory_generation", "memory_rows"]


def memory_generation(project: Project) -> int:
    """A number that moves whenever a decision is taught or un-taught."""
    row = project.conn.execute("SELECT generation FROM memory_state WHERE id = 1").fetchone()
    return int(row[0]) if row else 0


def memory_rows(project: Project, *, since: int | None = None) -> list[tuple[str, str, bool, int]]:
    """(string, label, is-that-label, number of articles) for every decided string;
    with ``since``, only those changed at that memory generation or later (with 0
    articles when a decision was un-taught)."""
    if since is None:
        rows = project.conn.execute(
            "SELECT text, label, verdict, articles FROM memory_strings WHERE articles > 0")
    else:
        rows = project.conn.execute(
            "SELECT text, label, verdict, articles FROM memory_strings WHERE gen >= ?", (since,))
    return [(r[0], r[1], bool(r[2]), int(r[3])) for r in rows]
