"""Field types that structure a form: ``block``, ``computed``, ``title``, ``subtitle``,
``comment``.

A block is a repeatable group of fields; its answer is a list of rows, each a dict of
the row's answers. Rows are posted as ``enfants.0.prenom``, ``enfants.1.prenom`` …
(or, from a JSON client, as a list of objects); rows left entirely empty are dropped,
and conditions inside a row see the row's fields over the form's.

A computed field's value is an expression over the other answers, evaluated by the
form engine; the client never sets it.

Example::

    >>> encode_computed(Decimal("12.50"))
    {'$decimal': '12.50'}
    >>> decode_computed({'$decimal': '12.50'})
    Decimal('12.50')
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from formflow.definitions.forms import (
    BlockField,
    CommentField,
    ComputedField,
    SubtitleField,
    TitleField,
    iter_fields,
)
from formflow.engine.errors import FieldError, Reject, Rejected, format_param
from formflow.engine.fields.base import (
    FieldContext,
    FieldType,
    RawValue,
    field_types,
    is_blank,
    parse_field,
    unflatten,
)
from formflow.exceptions import ExpressionError

__all__ = [
    "BlockType",
    "CommentType",
    "ComputedType",
    "SubtitleType",
    "TitleType",
    "compute_value",
    "decode_computed",
    "encode_computed",
]

_MAX_INDEX_DIGITS = 4
_MAX_NESTING = 4


# --- computed ------------------------------------------------------------------------


def _plain(value: Any, depth: int = 0) -> Any:
    """An expression's result as a value an answer may hold (no floats, no objects)."""
    if value is None or isinstance(value, bool | int | Decimal | dt.date | dt.time):
        return value
    if isinstance(value, str):
        return str(value)  # a jinja Markup becomes a plain string
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if depth >= _MAX_NESTING:
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v, depth + 1) for k, v in list(value.items())[:1000]}
    if isinstance(value, list | tuple):
        return [_plain(item, depth + 1) for item in value[:1000]]
    return str(value)[:10_000]


def compute_value(field: ComputedField, ctx: FieldContext) -> Any:
    """The value of ``field``'s expression in ``ctx``; None when it cannot be evaluated
    (an answer it needs is missing, say)."""
    try:
        return _plain(ctx.evaluate(field.expression))
    except ExpressionError:
        return None


_TAGS: dict[str, Any] = {
    "$decimal": Decimal,
    "$datetime": dt.datetime.fromisoformat,
    "$date": dt.date.fromisoformat,
    "$time": dt.time.fromisoformat,
}


def encode_computed(value: Any) -> Any:
    """A computed value as JSON; types JSON lacks are tagged (``{"$date": "…"}``)."""
    if isinstance(value, Decimal):
        return {"$decimal": format(value, "f")}
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$time": value.isoformat()}
    if isinstance(value, list):
        return [encode_computed(item) for item in value]
    if isinstance(value, dict):
        return {key: encode_computed(item) for key, item in value.items()}
    return value


def decode_computed(data: Any) -> Any:
    """The value `encode_computed` gave ``data`` for."""
    if isinstance(data, dict):
        if len(data) == 1:
            tag, text = next(iter(data.items()))
            if tag in _TAGS:
                if not isinstance(text, str) or len(text) > 100:
                    raise ValueError(f"bad {tag} value")
                try:
                    return _TAGS[tag](text)
                except ArithmeticError as exc:
                    raise ValueError(f"bad {tag} value") from exc
        return {str(key): decode_computed(item) for key, item in data.items()}
    if isinstance(data, list):
        return [decode_computed(item) for item in data]
    if data is None or isinstance(data, str | int | bool):
        return data
    raise ValueError("not a computed value")


def _display_plain(value: Any, language: str) -> str:
    if isinstance(value, bool):
        return ("Yes" if value else "No") if language == "en" else ("Oui" if value else "Non")
    if isinstance(value, list):
        return ", ".join(_display_plain(item, language) for item in value)
    return format_param(value, language)


class ComputedType(FieldType[ComputedField, Any]):
    """``computed``: evaluated by the engine (see `compute_value`), never parsed."""

    kind: ClassVar[str] = "computed"
    takes_input: ClassVar[bool] = False

    def parse(self, field: ComputedField, raw: RawValue, ctx: FieldContext) -> Any:
        return compute_value(field, ctx)

    def to_json(self, field: ComputedField, value: Any) -> Any:
        return encode_computed(value)

    def from_json(self, field: ComputedField, data: Any) -> Any:
        return decode_computed(data)

    def describe(self, field: ComputedField, ctx: FieldContext) -> dict[str, Any]:
        described = super().describe(field, ctx)
        described["visible"] = field.visible
        return described

    def display(self, field: ComputedField, value: Any, ctx: FieldContext) -> str:
        return _display_plain(value, ctx.language)


# --- display-only ----------------------------------------------------------------------


class TitleType(FieldType[TitleField, None]):
    """``title``: a heading; holds no answer."""

    kind: ClassVar[str] = "title"
    holds_value: ClassVar[bool] = False
    takes_input: ClassVar[bool] = False

    def parse(self, field: TitleField, raw: RawValue, ctx: FieldContext) -> None:
        return None

    def from_json(self, field: TitleField, data: Any) -> None:
        raise ValueError("a title holds no answer")


class SubtitleType(FieldType[SubtitleField, None]):
    """``subtitle``: a sub-heading; holds no answer."""

    kind: ClassVar[str] = "subtitle"
    holds_value: ClassVar[bool] = False
    takes_input: ClassVar[bool] = False

    def parse(self, field: SubtitleField, raw: RawValue, ctx: FieldContext) -> None:
        return None

    def from_json(self, field: SubtitleField, data: Any) -> None:
        raise ValueError("a subtitle holds no answer")


class CommentType(FieldType[CommentField, None]):
    """``comment``: a paragraph, rendered as a template over the answers and params."""

    kind: ClassVar[str] = "comment"
    holds_value: ClassVar[bool] = False
    takes_input: ClassVar[bool] = False

    def parse(self, field: CommentField, raw: RawValue, ctx: FieldContext) -> None:
        return None

    def from_json(self, field: CommentField, data: Any) -> None:
        raise ValueError("a comment holds no answer")

    def describe(self, field: CommentField, ctx: FieldContext) -> dict[str, Any]:
        described = super().describe(field, ctx)
        source = ctx.text(field.text)
        try:
            described["text"] = ctx.render(source)
        except ExpressionError:
            # A comment quoting an answer not given yet still shows its words.
            described["text"] = source
        return described


# --- block -----------------------------------------------------------------------------


def _row_index(key: object) -> int | None:
    if isinstance(key, str) and 0 < len(key) <= _MAX_INDEX_DIGITS and key.isascii():
        return int(key) if key.isdigit() else None
    return None


class BlockType(FieldType[BlockField, list[dict[str, Any]]]):
    """``block``: between ``min_rows`` and ``max_rows`` rows of the block's fields."""

    kind: ClassVar[str] = "block"

    def parse(
        self, field: BlockField, raw: RawValue, ctx: FieldContext
    ) -> list[dict[str, Any]] | Rejected | None:
        if raw is None:
            return None
        rows: dict[int, object] = {}
        if isinstance(raw, list):
            rows = dict(enumerate(raw[: field.max_rows + 1]))
        elif isinstance(raw, Mapping):
            for key, row in raw.items():
                index = _row_index(key)
                if index is not None:
                    rows[index] = row
        else:
            raise Reject("invalid")
        filled = {index: row for index, row in rows.items() if not is_blank(row)}
        if any(index >= field.max_rows for index in filled):
            raise Reject("too_many_rows", max=field.max_rows)
        values: list[dict[str, Any]] = []
        errors: list[FieldError] = []
        for index in sorted(filled):
            row = filled[index]
            path = f"{ctx.path}.{index}"
            if not isinstance(row, Mapping):
                errors.append(ctx.child(path).error(field, Reject("invalid")))
                continue
            value, row_errors = self.parse_row(field, unflatten(row), ctx, path)
            errors += row_errors
            values.append(value)
        if errors:
            return Rejected(tuple(errors))
        if values and len(values) < field.min_rows:
            raise Reject("too_few_rows", min=field.min_rows)
        return values or None

    def parse_row(
        self, field: BlockField, row: Mapping[str, object], ctx: FieldContext, path: str
    ) -> tuple[dict[str, Any], list[FieldError]]:
        """One row's answers and errors; fields are read in order, so a condition may
        use the fields before it in the row."""
        names = dict(ctx.names) | self.row_names(field)
        value: dict[str, Any] = {}
        errors: list[FieldError] = []
        for child in field.fields:
            child_ctx = ctx.child(f"{path}.{child.id}", names)
            implementation = field_types[child.type]
            if not implementation.holds_value or not child_ctx.visible(child):
                continue
            if isinstance(child, ComputedField):
                result = compute_value(child, child_ctx)
            else:
                result = parse_field(child, row.get(child.id), child_ctx)
            if isinstance(result, Rejected):
                errors += result.errors
            elif result is not None:
                value[child.id] = names[child.id] = result
        return value, errors

    def row_names(self, field: BlockField) -> dict[str, None]:
        """Every field id of a row, unanswered: a row starts from a clean slate."""
        return {child.id: None for _, child in iter_fields(field.fields)}

    def to_json(self, field: BlockField, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        children = {child.id: child for child in field.fields}
        return [
            {
                key: field_types[children[key].type].to_json(children[key], item)
                for key, item in row.items()
                if key in children
            }
            for row in value
        ]

    def from_json(self, field: BlockField, data: Any) -> list[dict[str, Any]]:
        if not isinstance(data, list):
            raise ValueError("expected a list of rows")
        children = {child.id: child for child in field.fields}
        rows = []
        for row in data:
            if not isinstance(row, Mapping):
                raise ValueError("expected each row as an object")
            rows.append(
                {
                    key: field_types[children[key].type].from_json(children[key], item)
                    for key, item in row.items()
                    if key in children and item is not None
                }
            )
        return rows

    def describe(self, field: BlockField, ctx: FieldContext) -> dict[str, Any]:
        described = super().describe(field, ctx)
        # Renderers replace {index} with each row's number.
        described.update(
            min_rows=field.min_rows,
            max_rows=field.max_rows,
            add_label=ctx.text(field.add_label) if field.add_label is not None else None,
            fields=[
                field_types[child.type].describe(
                    child, ctx.child(f"{ctx.path}.{{index}}.{child.id}")
                )
                for child in field.fields
            ],
        )
        return described

    def display(self, field: BlockField, value: list[dict[str, Any]], ctx: FieldContext) -> str:
        children = {child.id: child for child in field.fields}
        lines = []
        for number, row in enumerate(value, start=1):
            label = f"Row {number}" if ctx.language == "en" else f"Ligne {number}"
            if field.row_label is not None:
                names = dict(ctx.names) | self.row_names(field) | row
                with contextlib.suppress(ExpressionError):  # keep "Ligne n"
                    label = ctx.child(ctx.path, names).render(field.row_label).strip() or label
            parts = []
            for key, item in row.items():
                child = children.get(key)
                if child is None or getattr(child, "in_summary", True) is False:
                    continue
                if isinstance(child, ComputedField) and not child.visible:
                    continue
                text = field_types[child.type].display(child, item, ctx)
                colon = ": " if ctx.language == "en" else " : "
                parts.append(f"{ctx.text(getattr(child, 'label', None) or key)}{colon}{text}")
            lines.append(f"{label} — {'; '.join(parts)}" if parts else label)
        return "\n".join(lines)
