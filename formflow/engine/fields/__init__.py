"""Field types: one small class per ``type`` of field, in a registry.

Each type turns raw input into a typed value (or `FieldError` s), converts values to
JSON and back, describes the field for renderers and shows values in summaries:

=============  ====================================  ============================
type           typed value                           module
=============  ====================================  ============================
text           ``str``                               `formflow.engine.fields.text`
textarea       ``str``
email          ``str`` (domain lowercased)
phone          ``str`` (E.164)
integer        ``int``                               `formflow.engine.fields.numbers`
decimal        ``Decimal``
date           ``datetime.date``                     `formflow.engine.fields.dates`
time           ``datetime.time``
datetime       ``datetime.datetime`` (naive, local)
boolean        ``bool``                              `formflow.engine.fields.choices`
choice         ``str`` (the option's value)
multichoice    ``list[str]``
file           ``list[FileRef]``                     `formflow.engine.fields.files`
address        `Address`                             `formflow.engine.fields.places`
map            `GeoPoint`
block          ``list[dict[str, value]]``            `formflow.engine.fields.structure`
computed       any plain value
title …        no value (title, subtitle, comment)
=============  ====================================  ============================

Example::

    >>> from formflow.engine.fields import field_types
    >>> field_types["phone"].kind
    'tel'
"""

from __future__ import annotations

from formflow.engine.fields.base import (
    FieldContext,
    FieldType,
    RawValue,
    clean_text,
    field_types,
    is_blank,
    parse_field,
    register_field_type,
    unflatten,
)
from formflow.engine.fields.choices import BooleanType, ChoiceType, MultiChoiceType
from formflow.engine.fields.dates import DatetimeType, DateType, TimeType
from formflow.engine.fields.files import FileType, accepts, sanitize_filename, sniff
from formflow.engine.fields.numbers import DecimalType, IntegerType
from formflow.engine.fields.places import AddressType, MapType
from formflow.engine.fields.structure import (
    BlockType,
    CommentType,
    ComputedType,
    SubtitleType,
    TitleType,
    compute_value,
)
from formflow.engine.fields.text import EmailType, PhoneType, TextareaType, TextType

__all__ = [
    "AddressType",
    "BlockType",
    "BooleanType",
    "ChoiceType",
    "CommentType",
    "ComputedType",
    "DateType",
    "DatetimeType",
    "DecimalType",
    "EmailType",
    "FieldContext",
    "FieldType",
    "FileType",
    "IntegerType",
    "MapType",
    "MultiChoiceType",
    "PhoneType",
    "RawValue",
    "SubtitleType",
    "TextType",
    "TextareaType",
    "TimeType",
    "TitleType",
    "accepts",
    "clean_text",
    "compute_value",
    "field_types",
    "is_blank",
    "parse_field",
    "register_field_type",
    "sanitize_filename",
    "sniff",
    "unflatten",
]

for _name, _implementation in (
    ("text", TextType()),
    ("textarea", TextareaType()),
    ("email", EmailType()),
    ("phone", PhoneType()),
    ("integer", IntegerType()),
    ("decimal", DecimalType()),
    ("date", DateType()),
    ("time", TimeType()),
    ("datetime", DatetimeType()),
    ("boolean", BooleanType()),
    ("choice", ChoiceType()),
    ("multichoice", MultiChoiceType()),
    ("file", FileType()),
    ("address", AddressType()),
    ("map", MapType()),
    ("block", BlockType()),
    ("computed", ComputedType()),
    ("title", TitleType()),
    ("subtitle", SubtitleType()),
    ("comment", CommentType()),
):
    register_field_type(_name, _implementation)
