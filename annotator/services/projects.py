"""Opening and creating projects, and where the default project lives."""

from __future__ import annotations

from pathlib import Path

from annotator.core.assets import default_scheme_paths
from annotator.core.errors import AnnotatorError, Errors
from annotator.core.scheme import Scheme, parse_labels, parse_targets, read_scheme_file
from annotator.storage import Project, open_project


def load_scheme(*, labels: str | Path | None = None, targets: str | Path | None = None) -> Scheme:
    """The bundled scheme, with labels and/or targets replaced from the given files."""
    default_labels, default_targets = default_scheme_paths()
    labels_path = Path(labels) if labels else default_labels
    targets_path = Path(targets) if targets else default_targets
    entity, stance, mapping = parse_labels(read_scheme_file(labels_path), path=labels_path)
    target_list = parse_targets(read_scheme_file(targets_path), path=targets_path)
    return Scheme(entity, stance, mapping, target_list)


def create_project(path: str | Path, *, labels: str | Path | None = None, targets: str | Path | None = None,
                   model: str | None = None) -> Project:
    """Create a new project file with a scheme (the default news scheme unless given)."""
    path = Path(path)
    scheme = load_scheme(labels=labels, targets=targets)
    if path.exists() and path.stat().st_size > 0:
        project = open_project(path)
        project.save_scheme(scheme)
    else:
        project = open_project(path, create=True, scheme=scheme)
    if model:
        from annotator.nlp.pipelines import check_model_setting

        project.set_setting("model", check_model_setting(model))
    return project


def open_existing(path: str | Path | None) -> Project:
    if path is None:
        raise AnnotatorError(Errors.E007)
    return open_project(path)


def default_project_path() -> Path:
    """The user's default project, in the platform's data directory.

    ``ANNOTATOR_HOME`` overrides the folder (tests and portable installs use it).
    """
    import os

    home = os.environ.get("ANNOTATOR_HOME")
    if home:
        return Path(home) / "default.db"
    from platformdirs import user_data_dir

    return Path(user_data_dir("annotator", appauthor=False)) / "default.db"
