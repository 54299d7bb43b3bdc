"""Form files (``catalog/forms/<slug>.yaml``): pages, fields, conditions, parameters.

A form is a list of pages; a page is a list of fields. Every field has a stable ``id``
(answers are keyed by it) and a ``type`` that selects its model below. Conditions
(``show_if``, page checks) are jinja2 expressions over the answers, where each field is
a name (``type_bac == 'om'``), ``params`` holds the collectivity's parameter values,
and ``user``, ``today`` and ``now`` are available.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    ByteSize,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    model_validator,
)

from formflow.definitions.common import (
    Definition,
    Duration,
    Expression,
    Flag,
    Identifier,
    Model,
    Slug,
    Template,
    Text,
)

__all__ = [
    "CUSTOM_FIELD_TYPES",
    "DISPLAY_FIELD_TYPES",
    "FIELD_TYPES",
    "NAMED_VALIDATORS",
    "AddressField",
    "AnyField",
    "BlockField",
    "BooleanField",
    "CardSource",
    "Check",
    "ChoiceField",
    "CommentField",
    "ComputedField",
    "CustomField",
    "DataSource",
    "DateBound",
    "DateField",
    "DatetimeField",
    "DecimalField",
    "EmailField",
    "FileField",
    "FormDefinition",
    "IntegerField",
    "JsonSource",
    "MapField",
    "MultiChoiceField",
    "NamedSource",
    "Option",
    "Page",
    "Parameter",
    "PhoneField",
    "Prefill",
    "SubtitleField",
    "TextField",
    "TextareaField",
    "TimeField",
    "TitleField",
    "iter_fields",
]

#: Validators a text field may name with ``validator:``; implemented by the form engine.
NAMED_VALIDATORS = ("fr_phone", "fr_postcode", "siren", "siret", "nir", "iban", "rna", "email")
#: Every field type name, in the order of the documentation.
FIELD_TYPES = (
    "text",
    "textarea",
    "email",
    "phone",
    "integer",
    "decimal",
    "date",
    "time",
    "datetime",
    "boolean",
    "choice",
    "multichoice",
    "file",
    "address",
    "map",
    "block",
    "computed",
    "title",
    "subtitle",
    "comment",
)
NamedValidator = Literal["fr_phone", "fr_postcode", "siren", "siret", "nir", "iban", "rna", "email"]

_DATE_BOUND = re.compile(
    r"^(?:\d{4}-\d{2}-\d{2}|(?:today|now)(?:\s*[-+]\s*\d{1,5}\s+(?:days?|weeks?|months?|years?))?)$"
)
#: A date bound: an ISO date (``2025-01-01``), ``today``, or ``today`` plus or minus a
#: duration (``today + 2 days``, ``today - 18 years``).
DateBound = Annotated[
    str,
    StringConstraints(pattern=_DATE_BOUND.pattern),
    Field(examples=["today", "today - 18 years", "2025-01-01"]),
]
_TimeOfDay = Annotated[str, StringConstraints(pattern=r"^(?:[01]\d|2[0-3]):[0-5]\d$")]
#: An HTML ``autocomplete`` token (``email``, ``given-name``, ``postal-code`` …): it lets
#: browsers fill personal data in (WCAG 1.3.5).
_Autocomplete = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9 -]{0,60}$")]


def _option_from_scalar(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str | int | float | Decimal):
        text = str(value)
        return {"value": text, "label": text}
    return value


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class Option(Model):
    """One choice of a choice field. ``120`` is short for ``{value: '120', label: '120'}``."""

    value: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    """What is stored in the answers."""
    label: Text
    """What the citizen reads."""
    hint: Text | None = None
    """A line of help under the option."""


OptionItem = Annotated[
    Option,
    BeforeValidator(_option_from_scalar, json_schema_input_type=Option | str | int | float),
]


class Prefill(Model):
    """How a field is filled in before the citizen sees it; exactly one source."""

    value: Any = None
    """A literal value."""
    template: Template | None = None
    """A template over the context (``{{ user.email }}``, ``{{ params.commune }}``)."""
    profile: Identifier | None = None
    """An attribute of the signed-in user's profile (``email``, ``last_name`` …)."""
    query: Identifier | None = None
    """A query-string parameter of the page that opened the form."""
    locked: Flag = False
    """The citizen cannot change a prefilled value."""

    @model_validator(mode="after")
    def _one_source(self) -> Prefill:
        given = [
            k for k in ("value", "template", "profile", "query") if getattr(self, k) is not None
        ]
        if len(given) != 1:
            raise ValueError("give exactly one of value, template, profile or query")
        return self


class CardSource(Model):
    """Options taken from the records of a card (e.g. the rooms of a collectivity)."""

    type: Literal["card"]
    card: Slug
    """The card's slug."""
    label: Template | None = None
    """How each record is shown; defaults to the card's own label template."""
    filter: Expression | None = None
    """Keep only the records for which this is true (names: the record's fields)."""


class JsonSource(Model):
    """Options fetched as JSON over HTTP(S), cached."""

    type: Literal["json"]
    url: Template
    """The URL; a template, so it may use answers and parameters."""
    items: str = "data"
    """Dotted path to the list of items in the response."""
    value: str = "id"
    """Key of each item holding its value."""
    label: str = "text"
    """Key of each item holding its label."""
    timeout: Annotated[float, Field(gt=0, le=30)] = 5.0
    """Seconds before giving up."""
    cache: Duration = "5 minutes"
    """How long a response is reused."""


class NamedSource(Model):
    """Options provided by a data source registered by the host application by name."""

    type: Literal["named"]
    name: Identifier


DataSource = Annotated[CardSource | JsonSource | NamedSource, Field(discriminator="type")]


class _BaseField(Model):
    id: Identifier
    """Stable id: answers are stored under it and expressions refer to it by this name."""
    show_if: Expression | None = None
    """Shown (and kept) only when this condition is true."""


class _InputField(_BaseField):
    label: Text
    """The question, as the citizen reads it (the HTML label)."""
    hint: Text | None = None
    """Help shown under the label."""
    required: Flag = True
    """An answer must be given (for a boolean: the box must be ticked)."""
    prefill: Prefill | None = None
    messages: dict[Identifier, Text] = {}
    """Custom error messages by error code (``required``, ``pattern``, ``too_long`` …)."""
    in_summary: Flag = True
    """Shown on the summary page and to agents."""
    personal: Flag = True
    """Personal data: erased when a case is anonymised."""


class TextField(_InputField):
    """A single line of text."""

    type: Literal["text"]
    min_length: Annotated[int, Field(ge=0)] | None = None
    max_length: Annotated[int, Field(ge=1, le=10000)] = 255
    pattern: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None
    """A regular expression the whole answer must match (run by a linear-time engine)."""
    validator: NamedValidator | None = None
    """A named check: ``siret``, ``iban``, ``fr_postcode`` …"""
    placeholder: Text | None = None
    autocomplete: _Autocomplete | None = None


class TextareaField(_InputField):
    """Several lines of text."""

    type: Literal["textarea"]
    min_length: Annotated[int, Field(ge=0)] | None = None
    max_length: Annotated[int, Field(ge=1, le=100000)] = 10000
    rows: Annotated[int, Field(ge=2, le=40)] = 5


class EmailField(_InputField):
    """An e-mail address."""

    type: Literal["email"]
    autocomplete: _Autocomplete | None = "email"


class PhoneField(_InputField):
    """A telephone number: national numbers of ``region`` or international ``+…`` ones."""

    type: Literal["phone"]
    region: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = "FR"
    """Country whose national numbers are accepted; None accepts international only."""
    autocomplete: _Autocomplete | None = "tel"


class _NumberMixin(_InputField):
    @model_validator(mode="after")
    def _bounds(self) -> _NumberMixin:
        low, high = getattr(self, "min", None), getattr(self, "max", None)
        if low is not None and high is not None and low > high:
            raise ValueError(f"min ({low}) is greater than max ({high})")
        return self


class IntegerField(_NumberMixin):
    """A whole number."""

    type: Literal["integer"]
    min: int | None = None
    max: int | None = None
    step: Annotated[int, Field(ge=1)] = 1
    unit: Text | None = None
    """Shown after the input (``€``, ``m²``)."""


class DecimalField(_NumberMixin):
    """A decimal number, kept exact (never a float)."""

    type: Literal["decimal"]
    min: Decimal | None = None
    max: Decimal | None = None
    step: Annotated[Decimal, Field(gt=0)] | None = None
    places: Annotated[int, Field(ge=0, le=10)] = 2
    """Decimal places kept."""
    unit: Text | None = None


class DateField(_InputField):
    """A calendar date."""

    type: Literal["date"]
    min: DateBound | None = None
    max: DateBound | None = None
    autocomplete: _Autocomplete | None = None


class TimeField(_InputField):
    """A time of day."""

    type: Literal["time"]
    min: _TimeOfDay | None = None
    max: _TimeOfDay | None = None
    step_minutes: Annotated[int, Field(ge=1, le=720)] = 1


class DatetimeField(_InputField):
    """A date and time."""

    type: Literal["datetime"]
    min: DateBound | None = None
    max: DateBound | None = None


class BooleanField(_InputField):
    """A checkbox. ``required: true`` means it must be ticked (consent)."""

    type: Literal["boolean"]
    required: Flag = False


class _ChoiceMixin(_InputField):
    options: list[OptionItem] = []
    """Static options; or give ``source``."""
    source: DataSource | None = None
    """Options from a card, a JSON URL or a named source."""

    @model_validator(mode="after")
    def _options_or_source(self) -> _ChoiceMixin:
        if bool(self.options) == (self.source is not None):
            raise ValueError("give either options or source, not both and not neither")
        seen: set[str] = set()
        for option in self.options:
            if option.value in seen:
                raise ValueError(f"option value {option.value!r} is given twice")
            seen.add(option.value)
        return self


class ChoiceField(_ChoiceMixin):
    """One answer among options."""

    type: Literal["choice"]
    widget: Literal["auto", "radio", "select", "autocomplete"] = "auto"
    """``auto``: radio buttons up to 5 options, a list beyond."""


class MultiChoiceField(_ChoiceMixin):
    """Several answers among options."""

    type: Literal["multichoice"]
    min_choices: Annotated[int, Field(ge=0)] = 0
    max_choices: Annotated[int, Field(ge=1)] | None = None
    widget: Literal["checkboxes", "select"] = "checkboxes"

    @model_validator(mode="after")
    def _choice_bounds(self) -> MultiChoiceField:
        if self.max_choices is not None and self.min_choices > self.max_choices:
            raise ValueError("min_choices is greater than max_choices")
        return self


class FileField(_InputField):
    """Uploaded files, checked on the server by content."""

    type: Literal["file"]
    accept: list[Annotated[str, StringConstraints(pattern=r"^[a-z]+/[a-z0-9.+*-]+$")]] = [
        "application/pdf",
        "image/jpeg",
        "image/png",
    ]
    """Accepted MIME types (``image/*`` for any image)."""
    max_size: ByteSize = ByteSize(10_000_000)
    """Largest file, e.g. ``5MB``."""
    max_count: Annotated[int, Field(ge=1, le=50)] = 1


class AddressField(_InputField):
    """A postal address: street, postcode, city (and country)."""

    type: Literal["address"]
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = "FR"
    geocode: Flag = True
    """Offer address completion from the site's geocoder when JavaScript is on."""


class MapField(_InputField):
    """A point on a map: latitude, longitude and, optionally, an address."""

    type: Literal["map"]
    with_address: Flag = True
    center: tuple[float, float] | None = None
    """Initial map centre (latitude, longitude); defaults to the site's."""
    zoom: Annotated[int, Field(ge=1, le=20)] = 15


class ComputedField(_BaseField):
    """A value computed from other answers; not shown to the citizen unless ``visible``."""

    type: Literal["computed"]
    label: Text | None = None
    expression: Expression
    """A jinja2 expression, e.g. ``nombre_copies * params.tarif``."""
    freeze: Flag = False
    """Keep the first value computed instead of recomputing it."""
    visible: Flag = False
    """Shown to the citizen on the summary page."""
    personal: Flag = False
    """Derived from personal data: erased when a case is anonymised."""


class TitleField(_BaseField):
    """A heading inside a page."""

    type: Literal["title"]
    label: Text


class SubtitleField(_BaseField):
    """A sub-heading inside a page."""

    type: Literal["subtitle"]
    label: Text


class CommentField(_BaseField):
    """A paragraph of explanation; a template, so it may quote answers or parameters."""

    type: Literal["comment"]
    text: Text


class BlockField(_InputField):
    """A repeatable group of fields (children, witnesses, rooms booked …)."""

    type: Literal["block"]
    fields: Annotated[list[AnyField], Field(min_length=1)]
    """The fields of one row; conditions inside may use the row's fields and the form's."""
    min_rows: Annotated[int, Field(ge=0)] = 1
    max_rows: Annotated[int, Field(ge=1, le=200)] = 10
    add_label: Text | None = None
    """Label of the "add a row" button."""
    row_label: Template | None = None
    """How a row is named in the summary, e.g. ``{{ prenom }} {{ nom }}``."""

    @model_validator(mode="after")
    def _rows(self) -> BlockField:
        if self.min_rows > self.max_rows:
            raise ValueError("min_rows is greater than max_rows")
        return self


class CustomField(_InputField):
    """A field of a type a host application registered (``register_field_type``).

    Its own settings go under ``settings``; the type's implementation checks them.
    """

    type: Annotated[Identifier, Field(json_schema_extra={"not": {"enum": list(FIELD_TYPES)}})]
    """The registered type name (not one of the built-in types)."""
    settings: dict[Identifier, Any] = {}
    """Settings of the custom type, passed to its implementation as they are."""


#: Names of field types registered by the host besides the built-in ones. Filled by
#: `formflow.engine.fields.register_field_type`; the catalogue refuses other names.
CUSTOM_FIELD_TYPES: set[str] = set()


def _field_tag(value: Any) -> str | None:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    if not isinstance(kind, str):
        return None  # no type: pydantic reports the missing key
    if kind not in _BUILT_IN_TYPES and kind in CUSTOM_FIELD_TYPES:
        return "custom"
    return kind  # a built-in type, or an unknown one that pydantic reports


#: Any field: the union of every field model, selected by ``type``; a type that is
#: not built in selects `CustomField`.
AnyField = Annotated[
    Annotated[TextField, Tag("text")]
    | Annotated[TextareaField, Tag("textarea")]
    | Annotated[EmailField, Tag("email")]
    | Annotated[PhoneField, Tag("phone")]
    | Annotated[IntegerField, Tag("integer")]
    | Annotated[DecimalField, Tag("decimal")]
    | Annotated[DateField, Tag("date")]
    | Annotated[TimeField, Tag("time")]
    | Annotated[DatetimeField, Tag("datetime")]
    | Annotated[BooleanField, Tag("boolean")]
    | Annotated[ChoiceField, Tag("choice")]
    | Annotated[MultiChoiceField, Tag("multichoice")]
    | Annotated[FileField, Tag("file")]
    | Annotated[AddressField, Tag("address")]
    | Annotated[MapField, Tag("map")]
    | Annotated[BlockField, Tag("block")]
    | Annotated[ComputedField, Tag("computed")]
    | Annotated[TitleField, Tag("title")]
    | Annotated[SubtitleField, Tag("subtitle")]
    | Annotated[CommentField, Tag("comment")]
    | Annotated[CustomField, Tag("custom")],
    Discriminator(_field_tag),
]

_BUILT_IN_TYPES = frozenset(FIELD_TYPES)
#: Field types that show something but hold no answer.
DISPLAY_FIELD_TYPES = frozenset({"title", "subtitle", "comment"})


class Check(Model):
    """A cross-field check run when a page is submitted."""

    condition: Expression
    """Must be true for the page to be accepted, e.g. ``date_fin >= date_debut``."""
    message: Text
    """Shown when it is false."""
    fields: list[Identifier] = []
    """Fields the message is attached to (the first one gets the focus link)."""


class Page(Model):
    """One step of the form."""

    id: Identifier
    title: Text
    show_if: Expression | None = None
    """The page is skipped (and its answers dropped) when this is false."""
    fields: Annotated[list[AnyField], Field(min_length=1)]
    checks: list[Check] = []


class Parameter(Model):
    """A value each collectivity sets in its site file when it adopts the procedure."""

    type: Literal[
        "string", "text", "integer", "decimal", "boolean", "email", "url", "date", "choice"
    ]
    label: Text
    hint: Text | None = None
    default: Any = None
    """Used when the site file gives no value; without one the site file must set it."""
    options: list[OptionItem] = []
    """For ``choice``: the allowed values."""

    @model_validator(mode="after")
    def _choice_needs_options(self) -> Parameter:
        if (self.type == "choice") != bool(self.options):
            raise ValueError("options are given for, and only for, a choice parameter")
        return self


class FormDefinition(Definition):
    """A procedure's form: what the citizen fills in.

    Example (YAML)::

        format: 1
        slug: demande-de-bac
        title: Demander un bac à déchets
        workflow: traitement-simple
        pages:
          - id: bac
            title: Votre bac
            fields:
              - {id: type_bac, type: choice, label: Type de bac,
                 options: [{value: om, label: Ordures ménagères}]}
    """

    slug: Slug
    title: Text
    description: Text | None = None
    """A short description shown in the catalogue and on the first page."""
    category: Slug | None = None
    """Groups procedures on a site's home page (``etat-civil``, ``dechets`` …)."""
    keywords: list[str] = []
    """Extra words the home page search matches."""
    tags: list[Identifier] = []
    """Free tags; ``report`` marks a report published over Open311."""
    workflow: Slug
    """The workflow (``catalog/workflows/<slug>.yaml``) cases of this form follow."""
    parameters: dict[Identifier, Parameter] = {}
    tracking_code: Flag = True
    """Give the citizen a tracking code to follow the case without an account."""
    confirmation_page: Flag = True
    """Show a summary to check before submitting."""
    access: Literal["anyone", "signed_in", "agents"] = "anyone"
    """Who may submit: anyone, signed-in citizens only, or agents on a citizen's behalf."""
    drafts: Flag = True
    """Citizens may save a draft and come back to it."""
    pages: Annotated[list[Page], Field(min_length=1)]


def iter_fields(
    fields: list[Any], path: tuple[str | int, ...] = ()
) -> list[tuple[tuple[str | int, ...], Any]]:
    """Every field with its path, block rows' fields included (after their block)."""
    out: list[tuple[tuple[str | int, ...], Any]] = []
    for index, field in enumerate(fields):
        here = (*path, index)
        out.append((here, field))
        if isinstance(field, BlockField):
            out.extend(iter_fields(field.fields, (*here, "fields")))
    return out


def parse_date_bound(bound: str, today: dt.date) -> dt.date:
    """Resolve a `DateBound` against ``today``.

    >>> parse_date_bound("today - 18 years", dt.date(2026, 2, 28)).isoformat()
    '2008-02-28'
    """
    bound = bound.strip()
    if bound[0].isdigit():
        return dt.date.fromisoformat(bound)
    match = re.match(r"^(?:today|now)\s*(?:([-+])\s*(\d+)\s+(day|week|month|year)s?)?$", bound)
    if match is None:
        raise ValueError(f"not a date bound: {bound!r}")
    if match[1] is None:
        return today
    amount = int(match[2]) * (-1 if match[1] == "-" else 1)
    unit = match[3]
    if unit == "day":
        return today + dt.timedelta(days=amount)
    if unit == "week":
        return today + dt.timedelta(weeks=amount)
    months = amount * (12 if unit == "year" else 1)
    year, month = divmod(today.month - 1 + months, 12)
    year += today.year
    month += 1
    day = min(today.day, _days_in_month(year, month))
    return dt.date(year, month, day)


def _days_in_month(year: int, month: int) -> int:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return (following - dt.timedelta(days=1)).day
