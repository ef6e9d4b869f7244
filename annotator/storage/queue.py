"""The suggester's certainty per document (``doc_stats.certainty``, migration m005),
which the document list can sort by (see services/doclist.py)."""

from __future__ import annotations

from annotator.storage.project import Project

__all__ = ["set_certainty"]


def set_certainty(project: Project, doc_id: int, certainty: float) -> None:
    """Record how sure the suggester was about a document (0..1); one transaction,
    or part of the caller's."""
    with project.write():
        project.conn.execute("UPDATE doc_stats SET certainty = ? WHERE doc_id = ?",
                             (min(1.0, max(0.0, float(certainty))), doc_id))
