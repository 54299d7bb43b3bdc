"""formflow.exceptions: the error tree and how problems print."""

from __future__ import annotations

import pytest

import formflow.exceptions as exceptions
from formflow.exceptions import DefinitionError, FormflowError, NotFoundError, Problem


def test_every_error_derives_from_formflow_error_and_is_drawn_in_the_docstring() -> None:
    doc = exceptions.__doc__ or ""
    for name in exceptions.__all__:
        member = getattr(exceptions, name)
        if isinstance(member, type) and issubclass(member, Exception):
            assert issubclass(member, FormflowError)
            assert name in doc, f"{name} is missing from the tree in the module docstring"


def test_problem_prints_location_message_and_quoted_line() -> None:
    problem = Problem("forms/x.yaml", 42, "pages[1].show_if", "unknown field", "show_if: a")
    assert str(problem) == "forms/x.yaml:42: pages[1].show_if: unknown field\n    show_if: a"
    assert str(Problem("f.yaml", None, "", "bad")) == "f.yaml: bad"


def test_definition_error_sorts_and_counts_its_problems() -> None:
    error = DefinitionError([Problem("b.yaml", 1, "", "x"), Problem("a.yaml", 9, "", "y")])
    assert [p.file for p in error.problems] == ["a.yaml", "b.yaml"]
    assert str(error).startswith("2 problems:\na.yaml:9: y\nb.yaml:1: x")
    assert str(DefinitionError([Problem("a", 1, "", "x")])).startswith("1 problem:")
    with pytest.raises(ValueError, match="at least one problem"):
        DefinitionError([])


def test_not_found_is_also_a_lookup_error() -> None:
    assert issubclass(NotFoundError, LookupError)
