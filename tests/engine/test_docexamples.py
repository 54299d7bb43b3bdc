"""The examples in the form engine's docstrings run and say what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "formflow.engine.context",
    "formflow.engine.datasources",
    "formflow.engine.errors",
    "formflow.engine.fields",
    "formflow.engine.fields.base",
    "formflow.engine.fields.choices",
    "formflow.engine.fields.dates",
    "formflow.engine.fields.files",
    "formflow.engine.fields.numbers",
    "formflow.engine.fields.places",
    "formflow.engine.fields.structure",
    "formflow.engine.fields.text",
    "formflow.engine.forms",
    "formflow.engine.values",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
