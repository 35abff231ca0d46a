"""The apps form layers, and a module may import only from its own layer or those below.

    core  <-  evidence  <-  recovery  <-  audits  <-  governance  <-  api  <-  demo

Lower apps show upper content through registries (``core.panels``, ``recovery.plan.timeline``),
never by importing upward. This test reads every module's imports (including imports inside
functions) and fails on an upward one, naming the file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LAYERS = ["core", "evidence", "recovery", "audits", "governance", "api", "demo"]
RANK = {app: i for i, app in enumerate(LAYERS)}
ROOT = Path(__file__).resolve().parent.parent


def _modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        yield path


def _imported(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def upward_imports(app: str) -> list[str]:
    found = []
    for path in _modules(app):
        for line, module in _imported(path):
            top = module.split(".")[0]
            if top in RANK and RANK[top] > RANK[app]:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return found


@pytest.mark.parametrize("app", [a for a in LAYERS if (ROOT / a).is_dir()])
def test_no_app_imports_a_layer_above_it(app):
    assert upward_imports(app) == []


def test_the_check_sees_an_upward_import(tmp_path, monkeypatch):
    """The test itself works: a core module importing governance is reported."""
    fake = tmp_path / "core"
    fake.mkdir()
    (fake / "bad.py").write_text("def f():\n    from governance.models import Flag\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    assert upward_imports("core") == ["core/bad.py:2 imports governance.models"]
