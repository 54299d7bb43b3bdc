"""Choice field types: ``boolean``, ``choice``, ``multichoice``.

A choice's answer is the option's ``value`` (a string); labels are looked up again
when a summary is shown, so a relabelled option shows its new label. Options come
from the field or from a data source (`formflow.engine.datasources`); a value that is
not among the options is refused, whatever the client sends.

Example::

    >>> from formflow.definitions.forms import BooleanField
    >>> BooleanType().from_json(BooleanField(id="ok", type="boolean", label="OK"), True)
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from formflow.definitions.forms import BooleanField, ChoiceField, MultiChoiceField
from formflow.engine.datasources import ChoiceOption, DataSourceError
from formflow.engine.errors import Reject
from formflow.engine.fields.base import (
    FieldContext,
    FieldType,
    RawValue,
    choice_label,
    clean_text,
)
from formflow.engine.validators import Invalid

__all__ = ["BooleanType", "ChoiceType", "MultiChoiceType", "describe_options"]

_TRUE = frozenset({"on", "true", "1", "yes", "oui", "y"})
_FALSE = frozenset({"off", "false", "0", "no", "non", "n"})
# Radio buttons show every option at once; past this many a list is easier to scan.
_MAX_RADIOS = 5


class BooleanType(FieldType[BooleanField, bool]):
    """``boolean``: a checkbox; absent means unticked; ``required`` means it must be ticked."""

    kind: ClassVar[str] = "checkbox"
    required_messages: ClassVar[Invalid | None] = Invalid(
        "required", "Cochez cette case pour continuer.", "Tick this box to continue."
    )

    def parse(self, field: BooleanField, raw: RawValue, ctx: FieldContext) -> bool:
        if raw is None:
            return False
        if not isinstance(raw, str) or len(raw) > 10:
            raise Reject("invalid")
        token = raw.strip().lower()
        if not token or token in _FALSE:
            return False
        if token in _TRUE:
            return True
        raise Reject("invalid")

    def is_empty(self, value: bool | None) -> bool:
        return not value

    def from_json(self, field: BooleanField, data: Any) -> bool:
        if not isinstance(data, bool):
            raise ValueError("expected true or false")
        return data

    def display(self, field: BooleanField, value: bool, ctx: FieldContext) -> str:
        if ctx.language == "en":
            return "Yes" if value else "No"
        return "Oui" if value else "Non"


def describe_options(options: list[ChoiceOption], ctx: FieldContext) -> list[dict[str, Any]]:
    """Options as plain data, labels in the context's language."""
    return [
        {
            "value": option.value,
            "label": ctx.text(option.label),
            "hint": ctx.text(option.hint) if option.hint is not None else None,
        }
        for option in options
    ]


def _options(field: Any, ctx: FieldContext) -> list[ChoiceOption]:
    try:
        return ctx.options(field)
    except DataSourceError:
        raise Reject("source_unavailable") from None


class ChoiceType(FieldType[ChoiceField, str]):
    """``choice``: one option; ``widget`` radio, select or autocomplete (auto: by count)."""

    kind: ClassVar[str] = "radio"

    def parse(self, field: ChoiceField, raw: RawValue, ctx: FieldContext) -> str | None:
        text = clean_text(raw, 200)
        if text is None:
            return None
        if all(option.value != text for option in _options(field, ctx)):
            raise Reject("invalid_choice")
        return text

    def from_json(self, field: ChoiceField, data: Any) -> str:
        if not isinstance(data, str):
            raise ValueError("expected a string")
        return data

    def describe(self, field: ChoiceField, ctx: FieldContext) -> dict[str, Any]:
        described = super().describe(field, ctx)
        try:
            options = ctx.options(field)
        except DataSourceError:
            options, described["unavailable"] = [], True
        widget = field.widget
        if widget == "auto":
            widget = "radio" if len(options) <= _MAX_RADIOS else "select"
        described["kind"] = widget
        described["options"] = describe_options(options, ctx)
        return described

    def display(self, field: ChoiceField, value: str, ctx: FieldContext) -> str:
        try:
            return choice_label(ctx.options(field), value, ctx.text)
        except DataSourceError:
            return value


class MultiChoiceType(FieldType[MultiChoiceField, list[str]]):
    """``multichoice``: several options, kept in the options' order, no duplicates."""

    kind: ClassVar[str] = "checkboxes"

    def parse(self, field: MultiChoiceField, raw: RawValue, ctx: FieldContext) -> list[str] | None:
        if raw is None:
            return None
        if isinstance(raw, str):
            items: list[object] = [raw]
        elif isinstance(raw, list):
            items = raw
        elif isinstance(raw, Mapping):  # ``choix.0``, ``choix.1`` …
            items = list(raw.values())
        else:
            raise Reject("invalid")
        if len(items) > 1000:
            raise Reject("invalid")
        chosen = {text for item in items if (text := clean_text(item, 200)) is not None}
        if not chosen:
            return None
        options = _options(field, ctx)
        known = {option.value for option in options}
        if not chosen <= known:
            raise Reject("invalid_choice")
        if len(chosen) < field.min_choices:
            raise Reject("too_few_choices", min=field.min_choices)
        if field.max_choices is not None and len(chosen) > field.max_choices:
            raise Reject("too_many_choices", max=field.max_choices)
        return [option.value for option in options if option.value in chosen]

    def to_json(self, field: MultiChoiceField, value: list[str]) -> list[str]:
        return list(value)

    def from_json(self, field: MultiChoiceField, data: Any) -> list[str]:
        if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
            raise ValueError("expected a list of strings")
        return list(data)

    def describe(self, field: MultiChoiceField, ctx: FieldContext) -> dict[str, Any]:
        described = super().describe(field, ctx)
        try:
            options = ctx.options(field)
        except DataSourceError:
            options, described["unavailable"] = [], True
        described.update(
            kind=field.widget,
            options=describe_options(options, ctx),
            min_choices=field.min_choices,
            max_choices=field.max_choices,
        )
        return described

    def display(self, field: MultiChoiceField, value: list[str], ctx: FieldContext) -> str:
        try:
            options = ctx.options(field)
        except DataSourceError:
            return ", ".join(value)
        return ", ".join(choice_label(options, item, ctx.text) for item in value)
