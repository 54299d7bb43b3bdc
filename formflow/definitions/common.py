"""Types shared by every definition file: names, texts, expressions, durations."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints

__all__ = [
    "FORMAT_VERSION",
    "ColourHex",
    "Definition",
    "Duration",
    "Expression",
    "Flag",
    "FormatVersion",
    "Identifier",
    "LanguageCode",
    "Model",
    "Slug",
    "Template",
    "Text",
    "parse_duration",
    "text_for",
]

#: The definition format this version of formflow writes. Older formats are migrated
#: by `formflow.catalog` before validation (see `formflow.definitions.migrations`).
FORMAT_VERSION = 1

#: A procedure, workflow, card or site name: lowercase words joined by hyphens.
Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80),
    Field(examples=["demande-de-bac"]),
]
#: A field, status, action, role or parameter id: usable as a name in expressions.
Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64),
    Field(examples=["type_bac"]),
]
#: A language code such as ``fr``, ``en``, ``nl`` or ``fr-BE``.
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(?:-[A-Z]{2})?$")]
#: A text shown to people: plain (French by convention) or one entry per language.
Text = Annotated[
    str | dict[LanguageCode, str],
    Field(examples=["Type de bac", {"fr": "Type de bac", "en": "Bin type"}]),
]
#: A jinja2 expression evaluated in the sandbox, e.g. ``type_bac == 'om'``.
Expression = Annotated[
    str, StringConstraints(min_length=1, max_length=2000), Field(examples=["type_bac == 'om'"])
]
#: A jinja2 template rendered in the sandbox, e.g. ``Bonjour {{ user.first_name }}``.
Template = Annotated[str, StringConstraints(max_length=20000)]
#: A colour as ``#rrggbb``.
ColourHex = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
#: The file format version.
FormatVersion = Literal[1]
#: A boolean written ``true`` or ``false``: ``yes``, ``on`` or ``1`` are refused, so the
#: YAML 1.2 rule of the reader cannot be bypassed by pydantic's lenient parsing.
Flag = Annotated[bool, Strict()]

_DURATION = re.compile(
    r"^\s*(?P<sign>[-+])?\s*(?P<amount>\d{1,5})\s+"
    r"(?P<unit>(?:business|working)\s+days?|minutes?|hours?|days?|weeks?|months?|years?)\s*$"
)
#: A duration such as ``15 minutes``, ``2 hours``, ``10 days``, ``10 business days``,
#: ``3 months``; with a sign (``-1 day``) where an offset is meant.
Duration = Annotated[
    str,
    StringConstraints(pattern=_DURATION.pattern),
    Field(examples=["10 business days", "90 days", "-1 day"]),
]

DurationUnit = Literal["minutes", "hours", "days", "business_days", "weeks", "months", "years"]


@dataclass(frozen=True, slots=True)
class ParsedDuration:
    """A `Duration` as numbers: ``-1 day`` is ``ParsedDuration(-1, "days")``."""

    amount: int
    unit: DurationUnit


def parse_duration(text: str) -> ParsedDuration:
    """Parse a `Duration` string.

    >>> parse_duration("10 business days")
    ParsedDuration(amount=10, unit='business_days')
    """
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"not a duration: {text!r} (expected e.g. '10 days', '2 hours')")
    amount = int(match["amount"]) * (-1 if match["sign"] == "-" else 1)
    unit = match["unit"].split()[-1].rstrip("s") + "s"
    if match["unit"].startswith(("business", "working")):
        unit = "business_days"
    return ParsedDuration(amount, unit)  # type: ignore[arg-type]


def text_for(text: str | dict[str, str] | None, language: str, fallback: str = "fr") -> str:
    """The text to show in ``language``, falling back to ``fallback`` then to any.

    >>> text_for({"fr": "Oui", "en": "Yes"}, "en")
    'Yes'
    >>> text_for("Oui", "en")
    'Oui'
    """
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    for candidate in (language, language.split("-")[0], fallback):
        if candidate in text:
            return text[candidate]
    return next(iter(text.values()), "")


class Model(BaseModel):
    """Base of every definition model: immutable, unknown keys refused."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        str_strip_whitespace=False,
        validate_default=False,
        use_attribute_docstrings=True,
    )


class Definition(Model):
    """Base of the four file kinds; every file carries its format version."""

    format: FormatVersion
    """The definition format version (required): formflow migrates older formats when it
    loads them, so a file must say which one it is written in."""

    def dump(self) -> dict[str, Any]:
        """The definition as plain data, without keys left at their default."""
        return self.model_dump(mode="json", exclude_defaults=True, by_alias=True) | {
            "format": self.format
        }
