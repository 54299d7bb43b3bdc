"""What is wrong with an answer: `FieldError`, and the built-in messages.

Problems with what a citizen typed are data, not exceptions: a page submit returns
every `FieldError` at once. Each carries the field id, the input path (``adresse.city``,
``enfants.1.prenom``), a code, and a message in French and in English. A field can
replace the message of any code with ``messages: {code: text}``.

Example::

    >>> error = FieldError("nom", "nom", "required", *MESSAGES["required"])
    >>> error.message("en")
    'This field is required.'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

from formflow.definitions.common import text_for
from formflow.engine.validators import Invalid

__all__ = [
    "MESSAGES",
    "FieldError",
    "Localized",
    "Reject",
    "Rejected",
    "build_error",
    "format_param",
]


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one answer (or with a page, when ``field_id`` is None).

    >>> FieldError("date_fin", "date_fin", "check", "Date incohérente.", "Bad date.").path
    'date_fin'
    """

    #: The field the problem is about (inside a block: the field of the row); None
    #: for a page check attached to no field.
    field_id: str | None
    #: The input name to attach the message to: ``nom``, ``adresse.postcode``,
    #: ``enfants.1.prenom``; the page id for a page-level problem.
    path: str
    #: Machine code: ``required``, ``too_long``, ``invalid_siret``, ``check`` …
    code: str
    message_fr: str
    message_en: str

    def message(self, language: str) -> str:
        """The message in ``language`` (French unless English is asked for)."""
        return self.message_en if language.split("-")[0] == "en" else self.message_fr


@dataclass(frozen=True, slots=True)
class Localized:
    """A message parameter worded per language.

    >>> format_param(Localized("5 Mo", "5 MB"), "en")
    '5 MB'
    """

    fr: str
    en: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """What a field type's ``parse`` returns when the input is refused.

    A distinct type rather than a bare list, because lists are also valid answers
    (multiple choices, files, block rows).

    >>> Rejected((build_error("nom", "nom", "required"),)).errors[0].code
    'required'
    """

    errors: tuple[FieldError, ...]


class Reject(Exception):  # noqa: N818 - a signal, not an error condition
    """Raised inside a field type's ``parse`` to refuse the input with one code.

    ``sub`` names the part at fault (``postcode`` of an address); ``params`` fill the
    message (``{max}``). ``invalid`` carries a named validator's own messages.

    >>> Reject("too_long", max=255).params
    {'max': 255}
    """

    def __init__(
        self, code: str, *, sub: str | None = None, invalid: Invalid | None = None, **params: Any
    ) -> None:
        super().__init__(code)
        self.code = code
        self.sub = sub
        self.invalid = invalid
        self.params = params


#: Built-in messages by code: (French, English). ``{name}`` is filled from the error.
MESSAGES: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {
        "required": ("Ce champ est obligatoire.", "This field is required."),
        "required_checkbox": (
            "Cochez cette case pour continuer.",
            "Tick this box to continue.",
        ),
        "invalid": ("Cette valeur n'est pas valide.", "This value is not valid."),
        "too_long": (
            "Saisissez {max} caractères au maximum.",
            "Enter {max} characters or fewer.",
        ),
        "too_short": (
            "Saisissez au moins {min} caractères.",
            "Enter at least {min} characters.",
        ),
        "pattern": (
            "Cette valeur n'a pas le format attendu.",
            "This value is not in the expected format.",
        ),
        "invalid_integer": (
            "Saisissez un nombre entier, par exemple 12.",
            "Enter a whole number, for example 12.",
        ),
        "invalid_decimal": (
            "Saisissez un nombre, par exemple 12,5.",
            "Enter a number, for example 12.5.",
        ),
        "too_small": (
            "Saisissez un nombre supérieur ou égal à {min}.",
            "Enter a number greater than or equal to {min}.",
        ),
        "too_large": (
            "Saisissez un nombre inférieur ou égal à {max}.",
            "Enter a number less than or equal to {max}.",
        ),
        "step": (
            "Saisissez une valeur par pas de {step}.",
            "Enter a value in steps of {step}.",
        ),
        "too_many_places": (
            "Saisissez au plus {places} chiffres après la virgule.",
            "Enter at most {places} digits after the decimal point.",
        ),
        "invalid_date": (
            "Saisissez une date valide, par exemple 31/01/2026.",
            "Enter a valid date, for example 31/01/2026.",
        ),
        "date_too_early": (
            "Saisissez une date à partir du {min}.",
            "Enter a date on or after {min}.",
        ),
        "date_too_late": (
            "Saisissez une date jusqu'au {max} inclus.",
            "Enter a date on or before {max}.",
        ),
        "invalid_time": (
            "Saisissez une heure valide, par exemple 14:30.",
            "Enter a valid time, for example 14:30.",
        ),
        "time_too_early": (
            "Saisissez une heure à partir de {min}.",
            "Enter a time of {min} or later.",
        ),
        "time_too_late": (
            "Saisissez une heure jusqu'à {max}.",
            "Enter a time of {max} or earlier.",
        ),
        "time_step": (
            "Saisissez une heure par pas de {step} minutes.",
            "Enter a time in steps of {step} minutes.",
        ),
        "invalid_datetime": (
            "Saisissez une date et une heure valides, par exemple 31/01/2026 14:30.",
            "Enter a valid date and time, for example 31/01/2026 14:30.",
        ),
        "datetime_too_early": (
            "Saisissez une date et une heure à partir du {min}.",
            "Enter a date and time on or after {min}.",
        ),
        "datetime_too_late": (
            "Saisissez une date et une heure jusqu'au {max}.",
            "Enter a date and time on or before {max}.",
        ),
        "invalid_phone": (
            "Saisissez un numéro de téléphone valide, par exemple +32 2 123 45 67.",
            "Enter a valid phone number, for example +32 2 123 45 67.",
        ),
        "invalid_choice": (
            "Choisissez une des options proposées.",
            "Choose one of the options offered.",
        ),
        "too_few_choices": (
            "Choisissez au moins {min} options.",
            "Choose at least {min} options.",
        ),
        "too_many_choices": (
            "Choisissez au plus {max} options.",
            "Choose at most {max} options.",
        ),
        "source_unavailable": (
            "La liste des choix est momentanément indisponible. Réessayez dans quelques minutes.",
            "The list of choices is unavailable at the moment. Try again in a few minutes.",
        ),
        "file_type": (
            "Ce type de fichier n'est pas accepté. Formats acceptés : {accept}.",
            "This type of file is not accepted. Accepted formats: {accept}.",
        ),
        "file_too_large": (
            "Le fichier dépasse la taille maximale de {max_size}.",
            "The file is larger than the maximum of {max_size}.",
        ),
        "file_empty": ("Le fichier est vide.", "The file is empty."),
        "too_many_files": (
            "Joignez {max} fichiers au maximum.",
            "Attach {max} files or fewer.",
        ),
        "invalid_coordinates": (
            "Indiquez un emplacement valide sur la carte.",
            "Choose a valid location on the map.",
        ),
        "too_few_rows": (
            "Remplissez au moins {min} lignes.",
            "Fill in at least {min} rows.",
        ),
        "too_many_rows": (
            "Remplissez {max} lignes au maximum.",
            "Fill in {max} rows or fewer.",
        ),
        "check": (
            "Les réponses de cette page ne sont pas cohérentes.",
            "The answers on this page are not consistent.",
        ),
    }
)

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def format_param(value: Any, language: str) -> str:
    """A message parameter as the citizen reads it: French decimals use a comma.

    >>> format_param(Decimal("12.5"), "fr"), format_param(dt.date(2026, 1, 31), "en")
    ('12,5', '31/01/2026')
    """
    if isinstance(value, Localized):
        return value.en if language == "en" else value.fr
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, Decimal | float):
        text = format(value, "f")
        return text.replace(".", ",") if language == "fr" else text
    return str(value)


def _fill(template: str, params: Mapping[str, Any], language: str) -> str:
    # Only known names are replaced, so a catalogue message may hold any other braces.
    def replace(match: re.Match[str]) -> str:
        name = match[1]
        return format_param(params[name], language) if name in params else match[0]

    return _PLACEHOLDER.sub(replace, template)


def build_error(
    field_id: str | None,
    path: str,
    code: str,
    *,
    params: Mapping[str, Any] | None = None,
    invalid: Invalid | None = None,
    custom: Mapping[str, Any] | None = None,
) -> FieldError:
    """A `FieldError` with its messages: the field's own (``custom``) first.

    ``custom`` is the field's ``messages``; a code ``invalid_<x>`` without its own
    entry falls back to the field's ``invalid`` message.

    >>> build_error("n", "n", "too_long", params={"max": 5}).message_fr
    'Saisissez 5 caractères au maximum.'
    >>> custom = {"required": {"fr": "Nom ?", "en": "Name?"}}
    >>> build_error("n", "n", "required", custom=custom).message_en
    'Name?'
    """
    params = params or {}
    own = None
    if custom:
        own = custom.get(code)
        if own is None and code.startswith("invalid_"):
            own = custom.get("invalid")
    if own is not None:
        fr, en = text_for(own, "fr"), text_for(own, "en")
    elif invalid is not None:
        fr, en = invalid.message_fr, invalid.message_en
    else:
        fr, en = MESSAGES.get(code, MESSAGES["invalid"])
    return FieldError(field_id, path, code, _fill(fr, params, "fr"), _fill(en, params, "en"))
