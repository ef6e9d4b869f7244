"""WAL checkpoints: a connection that skips them on commit leaves the WAL's frames in
place (its commits never write the database file), and a passive checkpoint on a
connection of its own copies them and keeps the WAL bounded."""

from __future__ import annotations

import os
from pathlib import Path

from annotator.storage import checkpoint_wal, open_project
from tests.reliability.deciding import seed

#: SQLite's default wal_autocheckpoint: with it, a WAL is started again once a
#: commit has pushed it past this many frames and checkpointed it.
AUTO_CHECKPOINT_PAGES = 1000


def _frames(path: Path, page_size: int) -> int:
    """Frames the -wal file holds (its header is 32 bytes, each frame 24 + a page)."""
    wal = path.with_name(path.name + "-wal")
    size = wal.stat().st_size if wal.exists() else 0  # a stat opens nothing
    return max(0, size - 32) // (page_size + 24)


def _database_file(path: Path) -> tuple[int, int]:
    st = os.stat(path)  # in WAL mode only a checkpoint writes the database file
    return st.st_mtime_ns, st.st_size


def _decide(project, spans: list[int], status: str) -> None:
    for span_id in spans:
        project.update_span(span_id, status=status, action="span.accept" if status == "accepted" else "span.reject")


def _suggested(project) -> list[int]:
    return [r[0] for r in project.conn.execute("SELECT id FROM spans WHERE status = 'suggested' ORDER BY id")]


def test_commits_that_skip_checkpoints_leave_the_frames_to_a_passive_checkpoint(tmp_path):
    path = tmp_path / "project.db"
    seed(path, docs=8, suggestions=25)
    with open_project(path, annotator="ana") as project:
        # Batch writers (imports, suggestions) keep SQLite's automatic checkpoint.
        assert project.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == AUTO_CHECKPOINT_PAGES
        project.skip_checkpoints_on_commit()
        assert project.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        page_size = project.conn.execute("PRAGMA page_size").fetchone()[0]
        spans = _suggested(project)
        assert len(spans) == 200
        database = _database_file(path)

        _decide(project, spans, "accepted")

        frames = _frames(path, page_size)
        # Past the automatic checkpoint's threshold, and none of it copied: no
        # commit wrote the database file.
        assert frames > 2 * AUTO_CHECKPOINT_PAGES
        assert _database_file(path) == database

        busy, in_wal, copied = checkpoint_wal(path)
        assert busy == 0
        assert in_wal == frames and copied == frames
        assert _database_file(path) != database
        # The decisions are in the database file itself, and still readable.
        assert project.conn.execute("SELECT count(*) FROM spans WHERE status = 'accepted'").fetchone()[0] == 200
    with open_project(path) as again:
        assert again.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert again.conn.execute("SELECT count(*) FROM spans WHERE status = 'accepted'").fetchone()[0] == 200


def test_passive_checkpoints_keep_the_wal_of_a_lone_writer_bounded(tmp_path):
    """The window is often the only writer: without checkpoints on commit its WAL
    would grow with every decision; with a passive checkpoint between rounds the
    next commit starts the WAL again from its beginning."""
    path = tmp_path / "project.db"
    seed(path, docs=8, suggestions=25)
    with open_project(path, annotator="ana") as project:
        project.skip_checkpoints_on_commit()
        page_size = project.conn.execute("PRAGMA page_size").fetchone()[0]
        spans = _suggested(project)
        rounds = [spans[i:i + 40] for i in range(0, 200, 40)]
        written, sizes = [], []
        for n, round_spans in enumerate(rounds):
            _decide(project, round_spans, "accepted" if n % 2 == 0 else "rejected")
            sizes.append(_frames(path, page_size))
            busy, in_wal, copied = checkpoint_wal(path)
            assert busy == 0 and copied == in_wal
            written.append(in_wal)
        # Each round wrote about as many frames as the first, into the same place:
        # five rounds of 40 decisions, and the WAL file holds about one round's.
        assert min(written) > 0.5 * written[0]
        assert max(sizes) < 1.5 * sizes[0]
