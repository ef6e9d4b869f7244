"""A reader that closes stdout early (``annotator stats | head -1``) ends the
command quietly, as it ends Unix tools: no error message, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys

from annotator.storage import open_project


def test_a_closed_stdout_pipe_ends_a_command_quietly(project_path):
    with open_project(project_path, create=True, annotator="tester"):
        pass
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line is written
    try:
        result = subprocess.run([sys.executable, "-m", "annotator", "stats", "--project", str(project_path)],
                                stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert result.stderr == ""
    assert result.returncode == 141  # what a shell reports for a command SIGPIPE ended
