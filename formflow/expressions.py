"""Conditions and templates: jinja2, run in one immutable sandbox.

Catalogue files are shared between collectivities, so what they contain is never
Python: conditions (``type_bac == 'om'``) are jinja2 expressions and messages are
jinja2 templates, compiled once (cached by source) and run in an
`ImmutableSandboxedEnvironment` that refuses access to internals (``__class__`` …),
mutation of values, and unbounded work (huge string or list repetition, huge powers,
huge output).

Example::

    >>> from formflow.expressions import compile_expression, compile_template
    >>> compile_expression("nombre * 2 > 3").evaluate({"nombre": 2})
    True
    >>> compile_template("Bonjour {{ prenom }}").render({"prenom": "Ana"})
    'Bonjour Ana'
    >>> sorted(compile_expression("params.tarif * nombre").names)
    ['nombre', 'params']
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, TemplateError, Undefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from formflow.exceptions import ExpressionError

__all__ = [
    "GLOBAL_NAMES",
    "MAX_OUTPUT",
    "CompiledExpression",
    "CompiledTemplate",
    "compile_expression",
    "compile_template",
    "environment",
]

#: Largest text a template may produce, in characters.
MAX_OUTPUT = 100_000
#: Largest string or list a ``*`` may build, in items.
MAX_REPEAT = 100_000
#: Names every expression may use besides the definition's own.
GLOBAL_NAMES = frozenset({"today", "now", "user", "site", "params", "true", "false", "none"})


class _Environment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        if operator_ == "**":
            if isinstance(right, int | float) and abs(right) > 64:
                raise SecurityError("exponent too large")
            return left**right
        sized = (str, list, tuple)
        if isinstance(left, sized) and isinstance(right, int):
            _check_repeat(len(left), right)
        elif isinstance(right, sized) and isinstance(left, int):
            _check_repeat(len(right), left)
        return operator.mul(left, right)


def _check_repeat(length: int, times: int) -> None:
    if length * max(times, 0) > MAX_REPEAT:
        raise SecurityError("repetition too large")


def _make_environment() -> _Environment:
    env = _Environment(
        undefined=StrictUndefined,
        autoescape=False,  # outputs are plain text; renderers escape them where shown
        keep_trailing_newline=True,
    )
    # cycler, joiner, lipsum, namespace, range, dict: nothing a catalogue needs, and the
    # usual starting points of sandbox escapes.
    env.globals.clear()
    env.filters["date_fr"] = _date_fr
    return env


def _date_fr(value: Any) -> str:
    """``2026-11-23`` -> ``23/11/2026`` (dates and datetimes; other values unchanged)."""
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


_ENV = _make_environment()


def environment() -> ImmutableSandboxedEnvironment:
    """The one sandboxed environment catalogue expressions run in."""
    return _ENV


@dataclass(frozen=True, slots=True)
class _Names:
    #: Root names read (``answers`` in ``answers.x``); names set inside are excluded.
    names: frozenset[str]
    #: Attribute or constant-key chains of length two (``("answers", "x")``).
    paths: frozenset[tuple[str, str]]
    #: Attributes starting with ``_`` read anywhere: never allowed in a catalogue.
    private: frozenset[str]


def _names_of(tree: nodes.Node) -> _Names:
    assigned = {node.name for node in tree.find_all(nodes.Name) if node.ctx in ("store", "param")}
    names = {
        node.name
        for node in tree.find_all(nodes.Name)
        if node.ctx == "load" and node.name not in assigned
    }
    paths: set[tuple[str, str]] = set()
    private = {node.attr for node in tree.find_all(nodes.Getattr) if node.attr.startswith("_")} | {
        node.arg.value
        for node in tree.find_all(nodes.Getitem)
        if isinstance(node.arg, nodes.Const)
        and isinstance(node.arg.value, str)
        and node.arg.value.startswith("_")
    }
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        base = getattr(node, "node", None)
        if not isinstance(base, nodes.Name) or base.name in assigned:
            continue
        if isinstance(node, nodes.Getattr):
            paths.add((base.name, node.attr))
        elif isinstance(node, nodes.Getitem):
            key = node.arg
            if isinstance(key, nodes.Const) and isinstance(key.value, str):
                paths.add((base.name, key.value))
    return _Names(frozenset(names), frozenset(paths), frozenset(private))


@dataclass(frozen=True, slots=True, eq=False)
class CompiledExpression:
    """A compiled condition or value expression."""

    source: str
    names: frozenset[str]
    paths: frozenset[tuple[str, str]]
    private: frozenset[str]
    _code: Any

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        """The expression's value in ``context``; `ExpressionError` if it fails."""
        try:
            value = self._code(**context)
        except (
            TemplateError,
            ArithmeticError,
            TypeError,
            ValueError,
            LookupError,
            RecursionError,
        ) as exc:
            raise ExpressionError(self.source, _reason(exc)) from exc
        if isinstance(value, Undefined):
            # The sandbox answers an unsafe attribute with an Undefined, not an error.
            hint = value._undefined_hint or f"{value._undefined_name!r} is undefined"
            raise ExpressionError(self.source, hint)
        return value

    def is_true(self, context: Mapping[str, Any]) -> bool:
        """Whether the condition holds; a failing condition raises `ExpressionError`."""
        return bool(self.evaluate(context))


@dataclass(frozen=True, slots=True, eq=False)
class CompiledTemplate:
    """A compiled message template."""

    source: str
    names: frozenset[str]
    paths: frozenset[tuple[str, str]]
    private: frozenset[str]
    _template: Any

    def render(self, context: Mapping[str, Any]) -> str:
        """The text; `ExpressionError` if it fails or grows past `MAX_OUTPUT`."""
        size = 0
        parts: list[str] = []
        try:
            for chunk in self._template.generate(context):
                size += len(chunk)
                if size > MAX_OUTPUT:
                    raise ExpressionError(
                        self.source, f"output longer than {MAX_OUTPUT} characters"
                    )
                parts.append(chunk)
        except (
            TemplateError,
            ArithmeticError,
            TypeError,
            ValueError,
            LookupError,
            RecursionError,
        ) as exc:
            raise ExpressionError(self.source, _reason(exc)) from exc
        return "".join(parts)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, SecurityError):
        return f"refused by the sandbox: {exc}"
    return f"{type(exc).__name__}: {exc}"


@functools.lru_cache(maxsize=16384)
def compile_expression(source: str) -> CompiledExpression:
    """Compile a jinja2 expression once; `ExpressionError` if it is not valid."""
    if not source.strip():
        raise ExpressionError(source, "empty expression")
    try:
        tree = _ENV.parse("{{ " + source + " }}")
        output = tree.body
        if len(output) != 1 or not isinstance(output[0], nodes.Output):
            raise ExpressionError(source, "not a single expression")
        found = _names_of(tree)
        code = _ENV.compile_expression(source, undefined_to_none=False)
    except TemplateError as exc:
        raise ExpressionError(source, f"syntax error: {exc.message or exc}") from exc
    except (RecursionError, SyntaxError, MemoryError) as exc:
        # jinja2's parser and Python's compiler give up on deep nesting.
        raise ExpressionError(source, "nested too deeply") from exc
    return CompiledExpression(source, found.names, found.paths, found.private, code)


@functools.lru_cache(maxsize=16384)
def compile_template(source: str) -> CompiledTemplate:
    """Compile a jinja2 template once; `ExpressionError` if it is not valid."""
    try:
        tree = _ENV.parse(source)
        found = _names_of(tree)
        template = _ENV.from_string(tree)
    except TemplateError as exc:
        raise ExpressionError(source, f"syntax error: {exc.message or exc}") from exc
    except (RecursionError, SyntaxError, MemoryError) as exc:
        raise ExpressionError(source, "nested too deeply") from exc
    return CompiledTemplate(source, found.names, found.paths, found.private, template)
