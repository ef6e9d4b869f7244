"""SQLite project store (through sqlite-utils): one ``.db`` file is one project."""

from annotator.storage.project import (
    NewDocument,
    Project,
    checkpoint_wal,
    open_project,
    touches_open_project,
)

__all__ = ["NewDocument", "Project", "checkpoint_wal", "open_project", "touches_open_project"]
