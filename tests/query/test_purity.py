"""The query package is pure: no framework, database driver, network or I/O library."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import slusha.query

PACKAGE = Path(slusha.query.__file__).parent
# gc: the matcher pauses the cyclic collector while it builds its index (no I/O involved).
ALLOWED_STDLIB = {
    "__future__", "bisect", "collections", "dataclasses", "gc", "re", "sys", "typing",
    "unicodedata",
}  # fmt: skip
ALLOWED_THIRD_PARTY = {"ahocorasick"}
ALLOWED_SLUSHA = ("slusha.query", "slusha.errors")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_only_pure_imports() -> None:
    files = sorted(PACKAGE.glob("*.py"))
    assert len(files) >= 8
    for path in files:
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "slusha":
                assert name.startswith(ALLOWED_SLUSHA), f"{path.name} imports {name}"
            else:
                assert top in ALLOWED_STDLIB | ALLOWED_THIRD_PARTY, f"{path.name} imports {name}"
                assert top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY


def test_modules_stay_small() -> None:
    for path in PACKAGE.glob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) < 600, path.name
