"""Small builders shared by the form engine tests (not a test module)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter

from formflow.definitions.forms import AnyField, FormDefinition
from formflow.engine.context import FormContext
from formflow.engine.errors import Rejected
from formflow.engine.fields import FieldContext, parse_field

#: The fixed "now" of engine tests: Saturday 31 January 2026, 10:00.
NOW = dt.datetime(2026, 1, 31, 10, 0)
_FIELD: TypeAdapter[Any] = TypeAdapter(AnyField)


def make_field(spec: Mapping[str, Any]) -> Any:
    """A field model from a dict; ``label`` defaults to the id for input fields."""
    return _FIELD.validate_python(_labelled([spec])[0])


def make_context(**kwargs: Any) -> FormContext:
    kwargs.setdefault("now", NOW)
    return FormContext(**kwargs)


def field_context(
    field: Any, ctx: FormContext | None = None, names: Mapping[str, Any] | None = None
) -> FieldContext:
    return FieldContext(ctx or make_context(), dict(names or {}), path=field.id)


def parse(
    spec: Mapping[str, Any],
    raw: object,
    ctx: FormContext | None = None,
    names: Mapping[str, Any] | None = None,
) -> Any:
    """Parse ``raw`` for the field ``spec``: its value, None, or a `Rejected`."""
    field = make_field(spec)
    return parse_field(field, raw, field_context(field, ctx, names))


def codes(result: Any) -> list[str]:
    """The error codes of a `Rejected` ([] for a value)."""
    return [error.code for error in result.errors] if isinstance(result, Rejected) else []


def paths(result: Any) -> list[str]:
    return [error.path for error in result.errors] if isinstance(result, Rejected) else []


def make_form(*pages: Mapping[str, Any], **extra: Any) -> FormDefinition:
    """A form from page dicts: ``{"id": "p1", "fields": [...], ...}``."""
    data: dict[str, Any] = {"format": 1, "slug": "essai", "title": "Essai", "workflow": "w"}
    data["pages"] = [
        {"title": page["id"].capitalize(), **page} | {"fields": _labelled(page["fields"])}
        for page in pages
    ]
    data.update(extra)
    return FormDefinition.model_validate(data)


def _labelled(fields: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for spec in fields:
        data = dict(spec)
        if data["type"] not in ("comment", "computed") and "label" not in data:
            data["label"] = data["id"].capitalize()
        if data["type"] == "block":
            data["fields"] = _labelled(data["fields"])
        out.append(data)
    return out
