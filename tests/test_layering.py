"""The layers of docs/architecture.md: the engine stays free of web, storage, renderers."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

FORBIDDEN_FOR_ENGINE = (
    "starlette",
    "sqlalchemy",
    "formflow.web",
    "formflow.storage",
    "formflow.renderers",
    "uvicorn",
    "alembic",
)


def test_importing_the_engine_loads_no_web_or_storage_module() -> None:
    code = (
        "import sys, formflow, formflow.catalog, formflow.engine\n"
        "import pkgutil, importlib\n"
        "for m in pkgutil.walk_packages(formflow.engine.__path__, 'formflow.engine.'):\n"
        "    importlib.import_module(m.name)\n"
        f"bad = sorted(m for m in sys.modules if m.startswith({FORBIDDEN_FOR_ENGINE!r}))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == ""


# Each layer may import only the layers to its left (docs/architecture.md).
LAYERS = [
    {"formflow.exceptions", "formflow.sources"},
    {"formflow.definitions"},
    {"formflow.expressions"},
    {"formflow.checks", "formflow.loaders", "formflow.catalog"},
    {"formflow.engine"},
    {"formflow.renderers", "formflow.storage", "formflow.delivery", "formflow.worker"},
    {"formflow.web"},
    {"formflow.server", "formflow.cli"},
]


def _layer(module: str) -> int | None:
    for index, names in enumerate(LAYERS):
        if any(module == n or module.startswith(n + ".") for n in names):
            return index
    return None


def _modules() -> list[tuple[str, Path]]:
    package = ROOT / "formflow"
    return [
        (".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"), path)
        for path in sorted(package.rglob("*.py"))
    ]


@pytest.mark.parametrize(("module", "path"), _modules(), ids=lambda v: str(v))
def test_imports_point_left(module: str, path: Path) -> None:
    own = _layer(module)
    if own is None:
        return  # formflow/__init__.py re-exports the public API from every layer
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            layer = _layer(name)
            assert layer is None or layer <= own, f"{module} imports {name}, a layer to its right"
