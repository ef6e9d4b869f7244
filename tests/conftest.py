"""Shared fixtures. Qt runs offscreen; the user's settings and default project are
never touched (ANNOTATOR_HOME points into the test's tmp folder)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from annotator.core.assets import sample_corpus_dir  # noqa: E402
from annotator.storage import open_project  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("ANNOTATOR_HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    _clear_user_settings()
    yield home
    _clear_user_settings()


def _clear_user_settings() -> None:
    """Qt fixes the settings folder at the first QSettings of the process, so the
    XDG_CONFIG_HOME above isolates the first test only: every test starts and ends
    with the user's settings (identity, keys, theme, layout) empty."""
    import sys

    if "PySide6.QtCore" in sys.modules:
        from PySide6.QtCore import QSettings

        settings = QSettings("annotator", "annotator")
        settings.clear()
        settings.sync()


@pytest.fixture
def project_path(tmp_path) -> Path:
    return tmp_path / "project.db"


@pytest.fixture
def project(project_path):
    """A fresh project file with the default news scheme."""
    proj = open_project(project_path, create=True, annotator="tester")
    yield proj
    proj.close()


@pytest.fixture(scope="session")
def sample_corpus_path() -> Path:
    return sample_corpus_dir()


@pytest.fixture
def blank_nlp():
    """spaCy's blank English pipeline with a sentencizer: tokenisation without a model."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "qtbot" in getattr(item, "fixturenames", ()) or "qapp" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.gui)
