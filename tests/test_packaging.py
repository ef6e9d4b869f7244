"""Packaging: the wheel carries resources/ and sample_corpus/, and the one accessor
finds them from an installed wheel as well as from a checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from annotator.core.assets import default_scheme_paths, resources_dir, sample_corpus_dir

ROOT = Path(__file__).resolve().parent.parent


def test_accessor_finds_bundled_folders():
    labels, targets = default_scheme_paths()
    assert labels.name == "scheme.toml" and targets.name == "targets.toml"
    assert (resources_dir() / "scheme.toml").is_file()
    assert any(sample_corpus_dir().rglob("*.txt"))


@pytest.mark.slow
def test_wheel_ships_bundled_data_and_accessor_uses_it(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True)
    (wheel,) = tmp_path.glob("annotator-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "annotator/_bundled/resources/scheme.toml" in names
    assert any(n.startswith("annotator/_bundled/sample_corpus/") and n.endswith(".txt") for n in names)
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    probe = ("from annotator.core.assets import resources_dir, sample_corpus_dir;"
             "print(resources_dir()); print(sample_corpus_dir())")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         cwd=tmp_path, env={"PYTHONPATH": str(target), "PATH": ""})
    for line in out.stdout.splitlines():
        assert line.startswith(str(target / "annotator" / "_bundled"))
