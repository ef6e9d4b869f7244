"""SQLite project store (through sqlite-utils): one ``.db`` file is one project."""

from annotator.storage.project import NewDocument, Project, open_project, touches_open_project

__all__ = ["NewDocument", "Project", "open_project", "touches_open_project"]
