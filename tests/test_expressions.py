"""formflow.expressions: the sandbox, compile-once cache, names and bounds."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from formflow.exceptions import ExpressionError
from formflow.expressions import (
    MAX_OUTPUT,
    compile_expression,
    compile_template,
    environment,
)


def test_evaluates_conditions_over_answers() -> None:
    condition = compile_expression("type_bac == 'om' and volume > 120")
    assert condition.is_true({"type_bac": "om", "volume": 240})
    assert not condition.is_true({"type_bac": "tri", "volume": 240})


def test_compiles_once_per_source() -> None:
    assert compile_expression("a + 1") is compile_expression("a + 1")
    assert compile_template("{{ a }}") is compile_template("{{ a }}")


def test_names_and_paths_are_extracted() -> None:
    expr = compile_expression("answers.nom ~ params['ville'] ~ x | upper")
    assert expr.names == {"answers", "params", "x"}
    assert expr.paths == {("answers", "nom"), ("params", "ville")}
    template = compile_template("{% for e in enfants %}{{ e.prenom }}{% endfor %}{{ total }}")
    # A loop variable is not a name read from the context.
    assert template.names == {"enfants", "total"}
    assert template.paths == set()


def test_private_attributes_are_listed() -> None:
    assert compile_expression("x.__class__").private == {"__class__"}
    assert compile_expression("x['_secret']").private == {"_secret"}


def test_templates_render_and_know_the_date_fr_filter() -> None:
    text = compile_template("Le {{ d | date_fr }} à {{ t | date_fr }}").render(
        {"d": dt.date(2026, 11, 23), "t": dt.datetime(2026, 11, 23, 9, 5)}
    )
    assert text == "Le 23/11/2026 à 23/11/2026 09:05"
    assert compile_template("{{ x | date_fr }}").render({"x": 3}) == "3"


@pytest.mark.parametrize(
    "source",
    [
        "().__class__.__bases__",
        "x.__class__.__mro__",
        "'{0.__class__}'.format(x)",
        "'{a.__class__}'.format_map(x)",
        "x | attr('__class__')",
        "cycler.__init__.__globals__",
        "lipsum.__globals__",
        "namespace",
        "range(100)",
        "'a' * 1000000",
        "[1] * 1000000",
        "1000000 * 'a'",
        "2 ** 1000",
        "x.update({'a': 1})",
        "undefined_name + 1",
    ],
)
def test_sandbox_refuses_escapes_and_unbounded_work(source: str) -> None:
    with pytest.raises(ExpressionError):
        compile_expression(source).evaluate({"x": {"a": 1}})


def test_template_output_is_bounded() -> None:
    template = compile_template("{% for i in items %}{{ chunk }}{% endfor %}")
    with pytest.raises(ExpressionError, match="output longer than"):
        template.render({"items": list(range(1000)), "chunk": "x" * 1000})
    assert len(template.render({"items": [1], "chunk": "x" * MAX_OUTPUT})) == MAX_OUTPUT


@pytest.mark.parametrize("source", ["", "   ", "a ==", "a }} {{ b", "{% if %}"])
def test_invalid_expressions_raise_at_compile_time(source: str) -> None:
    with pytest.raises(ExpressionError):
        compile_expression(source)


def test_invalid_template() -> None:
    with pytest.raises(ExpressionError, match="syntax error"):
        compile_template("{% if x %}")


def test_runtime_errors_become_expression_errors() -> None:
    with pytest.raises(ExpressionError, match="ZeroDivisionError"):
        compile_expression("1 / x").evaluate({"x": 0})
    with pytest.raises(ExpressionError):
        compile_template("{{ 1 / x }}").render({"x": 0})


def test_environment_is_sandboxed_and_has_no_globals() -> None:
    env = environment()
    assert env.globals == {}
    assert env.is_safe_attribute("x", "upper", "x")
    assert not env.is_safe_attribute("x", "__class__", "x")


@given(st.text(max_size=200))
def test_any_text_compiles_or_raises_expression_error(source: str) -> None:
    for compile_ in (compile_expression, compile_template):
        with contextlib.suppress(ExpressionError):
            compile_(source)
