"""Number field types: ``integer`` and ``decimal`` (exact, never a float).

Both accept the ways people type numbers in French and English: ``1 000``,
``12,5`` and ``12.5``. Only ASCII digits count: ``int("١٢")`` would accept
Arabic-Indic digits, which nobody downstream expects.

Example::

    >>> from formflow.definitions.forms import DecimalField
    >>> field = DecimalField(id="m", type="decimal", label="Montant")
    >>> DecimalType().read(field, "1 234,5")
    Decimal('1234.50')
"""

from __future__ import annotations

import decimal
import re
from decimal import Decimal
from typing import Any, ClassVar

from formflow.definitions.common import text_for
from formflow.definitions.forms import DecimalField, IntegerField
from formflow.engine.errors import Reject, format_param
from formflow.engine.fields.base import FieldContext, FieldType, RawValue, clean_token

__all__ = ["DecimalType", "IntegerType"]

# Group separators: space, no-break space, narrow no-break space, thin space.
_GROUPS = str.maketrans("", "", " \u00a0\u202f\u2009")
_INTEGER = re.compile(r"[+-]?[0-9]{1,30}")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]{1,30}(?:[.,][0-9]{0,20})?|[.,][0-9]{1,20})")
# 30 digits before the point and 20 after fit; the default 28 would round silently.
_CONTEXT = decimal.Context(prec=60, traps=[decimal.InvalidOperation, decimal.Overflow])


def _with_unit(text: str, unit: Any, language: str) -> str:
    return f"{text} {text_for(unit, language)}" if unit is not None else text


class IntegerType(FieldType[IntegerField, int]):
    """``integer``: ``min``, ``max`` and ``step`` (counted from ``min``, else 0)."""

    kind: ClassVar[str] = "number"

    def parse(self, field: IntegerField, raw: RawValue, ctx: FieldContext) -> int | None:
        text = clean_token(raw, 60, "invalid_integer")
        if text is None:
            return None
        compact = text.translate(_GROUPS)
        if not _INTEGER.fullmatch(compact):
            raise Reject("invalid_integer")
        value = int(compact)
        if field.min is not None and value < field.min:
            raise Reject("too_small", min=field.min)
        if field.max is not None and value > field.max:
            raise Reject("too_large", max=field.max)
        if (value - (field.min or 0)) % field.step:
            raise Reject("step", step=field.step)
        return value

    def from_json(self, field: IntegerField, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise ValueError("expected an integer")
        return data

    def describe(self, field: IntegerField, ctx: FieldContext) -> dict[str, Any]:
        described = super().describe(field, ctx)
        described.update(min=field.min, max=field.max, step=field.step, inputmode="numeric")
        if field.unit is not None:
            described["unit"] = ctx.text(field.unit)
        return described

    def display(self, field: IntegerField, value: int, ctx: FieldContext) -> str:
        return _with_unit(str(value), field.unit, ctx.language)


class DecimalType(FieldType[DecimalField, Decimal]):
    """``decimal``: kept with ``places`` decimal places; more significant ones are refused."""

    kind: ClassVar[str] = "number"

    def parse(self, field: DecimalField, raw: RawValue, ctx: FieldContext) -> Decimal | None:
        text = clean_token(raw, 80, "invalid_decimal")
        if text is None:
            return None
        return self.read(field, text)

    def read(self, field: DecimalField, text: str) -> Decimal:
        """The value of a cleaned, non-empty ``text``, or `Reject`."""
        compact = text.translate(_GROUPS)
        if not _DECIMAL.fullmatch(compact):
            raise Reject("invalid_decimal")
        exact = Decimal(compact.replace(",", "."))
        quantum = Decimal(1).scaleb(-field.places)
        value = exact.quantize(quantum, context=_CONTEXT)
        # Rounding a sum of money behind the citizen's back is worse than asking.
        if value != exact:
            raise Reject("too_many_places", places=field.places)
        if value.is_zero():
            value = abs(value)  # no "-0.00"
        if field.min is not None and value < field.min:
            raise Reject("too_small", min=field.min)
        if field.max is not None and value > field.max:
            raise Reject("too_large", max=field.max)
        if field.step is not None and _CONTEXT.remainder(value - (field.min or 0), field.step):
            raise Reject("step", step=field.step)
        return value

    def to_json(self, field: DecimalField, value: Decimal) -> str:
        return format(value, "f")

    def from_json(self, field: DecimalField, data: Any) -> Decimal:
        if not isinstance(data, str) or not _DECIMAL.fullmatch(data):
            raise ValueError("expected a decimal number as a string")
        return Decimal(data)

    def describe(self, field: DecimalField, ctx: FieldContext) -> dict[str, Any]:
        described = super().describe(field, ctx)
        step = field.step if field.step is not None else Decimal(1).scaleb(-field.places)
        described.update(
            min=None if field.min is None else format(field.min, "f"),
            max=None if field.max is None else format(field.max, "f"),
            step=format(step, "f"),
            places=field.places,
            inputmode="decimal",
        )
        if field.unit is not None:
            described["unit"] = ctx.text(field.unit)
        return described

    def display(self, field: DecimalField, value: Decimal, ctx: FieldContext) -> str:
        return _with_unit(format_param(value, ctx.language), field.unit, ctx.language)
