"""The package's shape: modules stay small, and no package reaches into another's private module.

The layers themselves (every import points down, OCR and chat independent) are checked by
``lint-imports`` (``[tool.importlinter]`` in pyproject.toml), which ``scripts/test`` runs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "aigateway"
MAX_LINES = 400
MODULES = sorted(PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_of(path: Path) -> str:
    """The package a module belongs to (a package's ``__init__`` belongs to the package)."""
    name = _name(path)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _imported(path: Path) -> list[str]:
    """Absolute names of the modules ``path`` imports (``from x import y`` counts ``x.y`` too:
    ``y`` may be a submodule)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _package_of(path)
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            out.append(module)
            out.extend(f"{module}.{a.name}" for a in node.names)
    return [m for m in out if m.startswith("aigateway")]


def _private_owner(module: str) -> str | None:
    """The package that owns the first private (underscore) module on ``module``'s path."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i])
    return None


def test_modules_found() -> None:
    assert len(MODULES) > 50
    assert all(p.name != "_upstream.py" for p in MODULES)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_is_at_most_400_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(PACKAGE)} has {lines} lines"


def test_no_cross_package_import_of_a_private_module() -> None:
    offences = []
    for path in MODULES:
        package = _package_of(path)
        for module in _imported(path):
            owner = _private_owner(module)
            if owner is not None and owner != package:
                offences.append(f"{_name(path)} imports {module}")
    assert offences == []


def test_the_checks_see_private_imports() -> None:
    # The helpers themselves: a private module of another package is an offence, one's own not.
    assert _private_owner("aigateway.ocr.providers._upstream") == "aigateway.ocr.providers"
    assert _private_owner("aigateway.ocr.providers.base") is None
    assert _private_owner("aigateway.__main__") is None
