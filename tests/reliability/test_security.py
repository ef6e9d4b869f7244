"""No import format can execute code: the package never unpickles, evals or
unmarshals data, and JSON/TOML/CSV are parsed with data-only parsers."""

from __future__ import annotations

import ast
from pathlib import Path

import annotator

FORBIDDEN_MODULES = {"pickle", "cPickle", "dill", "marshal", "shelve", "joblib"}
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}


def _sources():
    root = Path(annotator.__file__).parent
    return sorted(p for p in root.rglob("*.py") if "_bundled" not in p.parts)


def test_package_never_loads_code_from_data():
    problems = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                names = {(node.module or "").split(".")[0]}
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS:
                problems.append(f"{path}:{node.lineno}: calls {node.func.id}()")
                continue
            else:
                continue
            for name in names & FORBIDDEN_MODULES:
                problems.append(f"{path}:{node.lineno}: imports {name}")
    assert problems == []
    assert len(_sources()) > 10
