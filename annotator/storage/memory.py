"""Read access to the decision memory (the ``memory`` table of migration m003).

The table is written by triggers on ``spans`` only (see storage/schema.py), so
these are the only functions the rest of the code needs.
"""

from __future__ import annotations

from annotator.storage.project import Project

__all__ = ["memory_generation", "memory_rows", "memory_size"]


def memory_generation(project: Project) -> int:
    """A number that moves whenever a decision is taught or un-taught."""
    row = project.conn.execute("SELECT generation FROM memory_state WHERE id = 1").fetchone()
    return int(row[0]) if row else 0


def memory_size(project: Project) -> int:
    return project.conn.execute("SELECT count(*) FROM memory").fetchone()[0]


def memory_rows(project: Project) -> list[tuple[str, str, bool, int]]:
    """(string, label, is-that-label, number of articles) for every decided string."""
    return [(r[0], r[1], bool(r[2]), int(r[3])) for r in project.conn.execute(
        "SELECT text, label, verdict, count(DISTINCT doc_id) FROM memory GROUP BY text, label, verdict")]
