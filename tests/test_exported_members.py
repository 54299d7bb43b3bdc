"""The public API is pinned: what `formflow` exports is what its modules declare."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import formflow


def test_public_api_is_pinned() -> None:
    assert sorted(formflow.__all__) == [
        "CardDefinition",
        "Catalog",
        "DefinitionError",
        "DictLoader",
        "Entry",
        "ExpressionError",
        "FileSystemLoader",
        "FormDefinition",
        "FormflowError",
        "Loader",
        "NotFoundError",
        "PackageLoader",
        "Problem",
        "Procedure",
        "Site",
        "SiteDefinition",
        "WorkflowDefinition",
        "__version__",
        "bundled_catalog",
        "load_catalog",
        "load_site",
    ]
    for name in formflow.__all__:
        assert hasattr(formflow, name), name


def test_each_exported_member_comes_from_a_module_that_declares_it() -> None:
    for name in formflow.__all__:
        if name == "__version__":
            continue
        member = getattr(formflow, name)
        module = importlib.import_module(member.__module__)
        assert name in module.__all__, f"{member.__module__}.__all__ lacks {name}"


MODULES = sorted(
    m.name for m in pkgutil.walk_packages(formflow.__path__, "formflow.") if "._" not in m.name
)


@pytest.mark.parametrize("name", MODULES)
def test_every_module_declares_all(name: str) -> None:
    module = importlib.import_module(name)
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    for member in module.__all__:
        assert hasattr(module, member), f"{name}.__all__ names missing {member}"
