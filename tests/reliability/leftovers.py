"""Leftovers of a process killed with SIGKILL, made for real: a child process
creates its hidden work file or folder the way an export or a training run does,
then is killed before it can remove it."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

_CHILD = """
import sys, time
from pathlib import Path
from annotator.core import files
kind, where = sys.argv[1], Path(sys.argv[2])
made = files.create_part_file(where) if kind == "part" else files.make_training_folder(where)
if kind == "training":
    (made / "data").mkdir()
    (made / "data" / "train.spacy").write_bytes(b"x" * 1000)
else:
    made.write_bytes(b"x" * 1000)
print(made, flush=True)
time.sleep(600)
"""


def killed_leftover(kind: str, where: Path) -> Path:
    """The ``.part`` file (``kind="part"``, ``where`` = the final file) or the
    ``.training-*`` folder (``kind="training"``, ``where`` = its parent) left by a
    process killed with SIGKILL mid-work."""
    child = subprocess.Popen([sys.executable, "-c", _CHILD, kind, str(where)], stdout=subprocess.PIPE, text=True)
    try:
        made = Path(child.stdout.readline().strip())
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
        child.stdout.close()
    assert made.exists()
    return made
