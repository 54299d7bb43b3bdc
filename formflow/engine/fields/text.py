"""Text-like field types: ``text``, ``textarea``, ``email``, ``phone``.

Every one reads a single string, cleaned by `clean_text` (NFC, stripped, control
characters refused). Patterns run on google-re2, whose time is linear in the input,
so a catalogue's regular expression cannot be made to backtrack for minutes.

Example::

    >>> from formflow.definitions.forms import PhoneField
    >>> field = PhoneField(id="tel", type="phone", label="Téléphone")
    >>> PhoneType().normalise(field, "01 23 45 67 89")
    '+33123456789'
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar

import re2

from formflow.definitions.forms import EmailField, PhoneField, TextareaField, TextField
from formflow.engine.errors import Reject
from formflow.engine.fields.base import FieldContext, FieldType, RawValue, clean_text, logger
from formflow.engine.validators import VALIDATORS, Invalid, international_phone

__all__ = ["EmailType", "PhoneType", "TextType", "TextareaType", "compile_pattern"]

# Numeric identifiers get a numeric keypad on phones (WCAG: fewer input errors).
_NUMERIC_VALIDATORS = frozenset({"fr_postcode", "siren", "siret", "nir"})


@functools.lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> Any:
    """A catalogue pattern compiled with re2 (cached); None if re2 refuses it.

    The catalogue loader already refuses invalid patterns; one that slips through a
    hand-built definition is skipped (and logged) rather than failing every submit.
    """
    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        logger.warning("pattern %r ignored: %s", pattern, exc)
        return None


class _StringType(FieldType[Any, str]):
    def from_json(self, field: Any, data: Any) -> str:
        if not isinstance(data, str):
            raise ValueError("expected a string")
        return data


class TextType(_StringType):
    """``text``: one line; ``min_length``, ``max_length``, ``pattern``, ``validator``."""

    kind: ClassVar[str] = "text"

    def parse(self, field: TextField, raw: RawValue, ctx: FieldContext) -> str | None:
        text = clean_text(raw, field.max_length)
        if text is None:
            return None
        if field.min_length is not None and len(text) < field.min_length:
            raise Reject("too_short", min=field.min_length)
        if field.validator is not None:
            # The validator normalises first (spaces out of a SIRET), so that a pattern
            # sees the canonical form.
            checked = VALIDATORS[field.validator](text)
            if isinstance(checked, Invalid):
                raise Reject(checked.code, invalid=checked)
            text = checked
        if field.pattern is not None:
            compiled = compile_pattern(field.pattern)
            if compiled is not None and compiled.fullmatch(text) is None:
                raise Reject("pattern")
        return text

    def describe(self, field: TextField, ctx: FieldContext) -> dict[str, Any]:
        described = super().describe(field, ctx)
        described["max_length"] = field.max_length
        if field.min_length is not None:
            described["min_length"] = field.min_length
        if field.placeholder is not None:
            described["placeholder"] = ctx.text(field.placeholder)
        if field.autocomplete is not None:
            described["autocomplete"] = field.autocomplete
        if field.validator is not None:
            described["validator"] = field.validator
            if field.validator in _NUMERIC_VALIDATORS:
                described["inputmode"] = "numeric"
        return described


class TextareaType(_StringType):
    """``textarea``: several lines; tabs and line breaks are kept (as ``\\n``)."""

    kind: ClassVar[str] = "textarea"

    def parse(self, field: TextareaField, raw: RawValue, ctx: FieldContext) -> str | None:
        text = clean_text(raw, field.max_length, multiline=True)
        if text is not None and field.min_length is not None and len(text) < field.min_length:
            raise Reject("too_short", min=field.min_length)
        return text

    def describe(self, field: TextareaField, ctx: FieldContext) -> dict[str, Any]:
        described = super().describe(field, ctx)
        described["max_length"] = field.max_length
        described["rows"] = field.rows
        if field.min_length is not None:
            described["min_length"] = field.min_length
        return described


class EmailType(_StringType):
    """``email``: checked and normalised by the ``email`` validator (domain lowercased)."""

    kind: ClassVar[str] = "email"

    def parse(self, field: EmailField, raw: RawValue, ctx: FieldContext) -> str | None:
        text = clean_text(raw, 254)
        if text is None:
            return None
        checked = VALIDATORS["email"](text)
        if isinstance(checked, Invalid):
            raise Reject(checked.code, invalid=checked)
        return checked

    def describe(self, field: EmailField, ctx: FieldContext) -> dict[str, Any]:
        described = super().describe(field, ctx)
        described["max_length"] = 254
        if field.autocomplete is not None:
            described["autocomplete"] = field.autocomplete
        return described


# Countries whose national numbers start with a trunk 0 dropped after the country code.
_TRUNK_ZERO = {"BE": "32", "CH": "41", "DE": "49", "NL": "31", "GB": "44"}


class PhoneType(_StringType):
    """``phone``: stored in E.164 (``+33123456789``).

    With ``region: FR`` French numbers may be typed nationally (overseas ones get
    their own country code); other numbers must be international (``+32 …``).
    """

    kind: ClassVar[str] = "tel"

    def parse(self, field: PhoneField, raw: RawValue, ctx: FieldContext) -> str | None:
        text = clean_text(raw, 40)
        if text is None:
            return None
        return self.normalise(field, text)

    def normalise(self, field: PhoneField, text: str) -> str:
        """``text`` in E.164, or `Reject` with the message that fits what was typed."""
        international = text.startswith(("+", "00"))
        if field.region == "FR":
            french = VALIDATORS["fr_phone"](text)
            if not isinstance(french, Invalid):
                return french
            if not international:
                raise Reject(french.code, invalid=french)
        elif field.region in _TRUNK_ZERO and not international:
            digits = "".join(c for c in text if c not in " .-/()\u00a0")
            if digits.isascii() and digits.isdigit() and digits.startswith("0"):
                text = "+" + _TRUNK_ZERO[field.region] + digits[1:]
        checked = international_phone(text)
        if isinstance(checked, Invalid):
            raise Reject("invalid_phone", invalid=checked)
        return checked

    def display(self, field: PhoneField, value: str, ctx: FieldContext) -> str:
        """``+33612345678`` as a French reader writes it: ``06 12 34 56 78``."""
        if value.startswith("+33") and len(value) == 12 and value[1:].isdigit():
            national = "0" + value[3:]
            return " ".join(national[i : i + 2] for i in range(0, 10, 2))
        return value

    def describe(self, field: PhoneField, ctx: FieldContext) -> dict[str, Any]:
        described = super().describe(field, ctx)
        described["max_length"] = 40
        if field.region is not None:
            described["region"] = field.region
        if field.autocomplete is not None:
            described["autocomplete"] = field.autocomplete
        return described
