"""The one accessor for bundled data: ``resources/`` and ``sample_corpus/``.

From an installed wheel both live inside the package (``annotator/_bundled/``);
from a checkout (or an editable install) they are the top-level folders of the
repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


def _bundled(name: str) -> Path:
    inside = _PACKAGE / "_bundled" / name
    if inside.is_dir():
        return inside
    checkout = _PACKAGE.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"annotator's bundled folder '{name}' is missing (looked in {inside} and {checkout})")


def resources_dir() -> Path:
    return _bundled("resources")


def resource_path(name: str) -> Path:
    """Path of a file in ``resources/``; raises ``FileNotFoundError`` listing what exists."""
    path = resources_dir() / name
    if not path.exists():
        known = sorted(p.name for p in resources_dir().iterdir())
        raise FileNotFoundError(f"no resource named {name!r}; known: {', '.join(known)}")
    return path


def sample_corpus_dir() -> Path:
    return _bundled("sample_corpus")


def default_scheme_paths() -> tuple[Path, Path]:
    return resource_path("scheme.toml"), resource_path("targets.toml")
