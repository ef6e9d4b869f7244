"""Hidden work files beside an output, and cleaning up the ones a killed run left.

An export writes each file as a hidden ``.part`` beside it and renames it into
place; training works in a hidden ``.training-*`` folder. A run killed with
SIGKILL cannot remove them, so their names carry who made them: a digest of the
host name and the process id. A later run removes those whose process is gone
(same host, no such process): only ours, only stale. Another machine's, a live
process's and any file not named this way are never touched.

Files are created with mode 0666 minus the umask, like any file a program
writes, so teammates sharing a folder can read exports when the umask allows it.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import socket
from collections.abc import Callable
from pathlib import Path

PART_SUFFIX = ".part"
TRAINING_PREFIX = ".training-"


def _host() -> str:
    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def _owner_tag() -> str:
    """``annotator-<host digest>-<pid>-<random>``."""
    return f"annotator-{_host()}-{os.getpid()}-{secrets.token_hex(4)}"


_TAG = re.compile(r"annotator-(?P<host>[0-9a-f]{8})-(?P<pid>\d+)-[0-9a-f]{8}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _stale(name: str) -> bool:
    found = _TAG.search(name)
    if found is None or found.group("host") != _host():
        return False
    pid = int(found.group("pid"))
    return pid != os.getpid() and not _alive(pid)


def create_part_file(target: Path) -> Path:
    """Create (empty) and return the hidden ``.part`` file that will become ``target``.

    Its mode is 0666 minus the umask (``mkstemp`` would make it 0600).
    """
    while True:
        part = target.with_name(f".{target.name}.{_owner_tag()}{PART_SUFFIX}")
        try:
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return part


def make_training_folder(parent: Path) -> Path:
    """Create and return a hidden ``.training-*`` work folder in ``parent``."""
    while True:
        folder = parent / f"{TRAINING_PREFIX}{_owner_tag()}"
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder


def clean_stale_parts(folder: Path) -> list[Path]:
    """Remove the ``.part`` files in ``folder`` that a killed export of ours left."""
    return _clean(folder, lambda name: name.endswith(PART_SUFFIX), Path.is_file, Path.unlink)


def clean_stale_training_folders(parent: Path) -> list[Path]:
    """Remove the ``.training-*`` folders in ``parent`` that a killed training run of ours left."""
    return _clean(parent, lambda name: name.startswith(TRAINING_PREFIX), Path.is_dir, shutil.rmtree)


def _clean(folder: Path, named: Callable[[str], bool], kind: Callable[[Path], bool],
           remove: Callable[[Path], object]) -> list[Path]:
    """Remove the hidden entries of ``folder`` that match ``named`` and ``kind`` and are stale."""
    removed = []
    for path in _candidates(folder):
        if not (named(path.name) and _stale(path.name)):
            continue
        try:
            if kind(path) and not path.is_symlink():
                remove(path)
                removed.append(path)
        except OSError:
            pass
    return removed


def _candidates(folder: Path) -> list[Path]:
    try:
        return [Path(entry.path) for entry in os.scandir(folder) if entry.name.startswith(".")]
    except OSError:
        return []
