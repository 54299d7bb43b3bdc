"""Named validators for text fields: phone numbers, French identifiers, IBAN, e-mail.

A text field names one with ``validator: siret`` (see `VALIDATORS`). Each validator
takes what the citizen typed and returns either the normalised value to store (spaces
removed, canonical case and prefix) or an `Invalid` that says, in French and in
English, what is expected.

Validators are total: whatever the string (megabytes long, NUL bytes, emoji, digits
from other scripts), they return and never raise. Only the ASCII digits 0-9 count as
digits: ``str.isdigit`` and ``int`` also accept Arabic-Indic or full-width digits,
which no administration would recognise afterwards.

Example::

    >>> from formflow.engine.validators import VALIDATORS
    >>> VALIDATORS["siret"]("732 829 320 00074")
    '73282932000074'
    >>> VALIDATORS["fr_postcode"]("99000").code
    'invalid_fr_postcode'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, TypeAlias

__all__ = [
    "VALIDATORS",
    "Invalid",
    "NamedValidator",
    "email",
    "fr_phone",
    "fr_postcode",
    "iban",
    "international_phone",
    "luhn_ok",
    "nir",
    "rna",
    "siren",
    "siret",
]


@dataclass(frozen=True, slots=True)
class Invalid:
    """Why a value was refused, for the citizen who typed it.

    Example::

        >>> problem = siren("123")
        >>> problem.code
        'invalid_siren'
        >>> problem.message_en
        'Enter a SIREN number of 9 digits, for example 732 829 320.'
    """

    #: Machine code, used to look up a custom message (``invalid_siret``).
    code: str
    #: Message shown to citizens, in French.
    message_fr: str
    #: The same message in English.
    message_en: str


#: A validator: the normalised value, or why it is refused.
NamedValidator: TypeAlias = Callable[[str], str | Invalid]

#: Longer answers are refused before any work: no value checked here comes close, and a
#: fixed bound keeps every validator cheap whatever a client posts.
_MAX_LENGTH: Final = 1000

# Spaces people type or paste between groups of digits: a plain space, a no-break space
# from a word processor, a thin or narrow space from a PDF. Line breaks are not in the
# list: an identifier split over lines is more likely a paste accident than formatting.
_SPACES: Final = " \t\u00a0\u2007\u2009\u202f"
_DROP_SPACES: Final = str.maketrans("", "", _SPACES)
_DROP_PHONE_SEPARATORS: Final = str.maketrans("", "", _SPACES + ".-")


def _ascii_digits(text: str) -> bool:
    # isdigit() alone accepts "٠١٢" and "１２３"; isascii() narrows it to 0-9.
    return text.isascii() and text.isdigit()


def _compact(value: str) -> str:
    return value.strip().translate(_DROP_SPACES)


# --- Luhn (SIREN, SIRET) ------------------------------------------------------------

# What a digit in a doubled position adds to the sum: the digits of twice itself.
_LUHN_DOUBLED: Final = {d: sum(divmod(2 * int(d), 10)) for d in "0123456789"}


def luhn_ok(digits: str) -> bool:
    """Whether a string of ASCII digits passes the Luhn check (SIREN, SIRET, cards).

    Anything else (empty string, spaces, other scripts' digits) is ``False``.

    Example::

        >>> luhn_ok("732829320")
        True
        >>> luhn_ok("732829321")
        False
        >>> luhn_ok("732 829 320")
        False
    """
    if not _ascii_digits(digits):
        return False
    reverse = digits[::-1]
    kept, doubled = reverse[0::2], reverse[1::2]
    # Counting each digit leaves nine loop steps and the rest to C: fast on any length.
    total = sum(int(d) * kept.count(d) + _LUHN_DOUBLED[d] * doubled.count(d) for d in "123456789")
    return total % 10 == 0


# --- Messages -----------------------------------------------------------------------

_FR_PHONE: Final = Invalid(
    "invalid_fr_phone",
    "Saisissez un numéro de téléphone français de 10 chiffres, "
    "par exemple 01 23 45 67 89 ou +33 1 23 45 67 89.",
    "Enter a French phone number of 10 digits, for example 01 23 45 67 89 or +33 1 23 45 67 89.",
)
_INTERNATIONAL_PHONE: Final = Invalid(
    "invalid_international_phone",
    "Saisissez un numéro de téléphone au format international : + puis l'indicatif du pays "
    "et le numéro, par exemple +32 2 123 45 67.",
    "Enter a phone number in international format: + then the country code and the "
    "number, for example +32 2 123 45 67.",
)
_FR_POSTCODE: Final = Invalid(
    "invalid_fr_postcode",
    "Saisissez un code postal français de 5 chiffres, par exemple 75001.",
    "Enter a French postcode of 5 digits, for example 75001.",
)
_SIREN_FORMAT: Final = Invalid(
    "invalid_siren",
    "Saisissez un numéro SIREN de 9 chiffres, par exemple 732 829 320.",
    "Enter a SIREN number of 9 digits, for example 732 829 320.",
)
_SIREN_CHECKSUM: Final = Invalid(
    "invalid_siren",
    "Ce numéro SIREN n'existe pas. Vérifiez chacun des 9 chiffres.",
    "This SIREN number does not exist. Check each of the 9 digits.",
)
_SIRET_FORMAT: Final = Invalid(
    "invalid_siret",
    "Saisissez un numéro SIRET de 14 chiffres, par exemple 732 829 320 00074.",
    "Enter a SIRET number of 14 digits, for example 732 829 320 00074.",
)
_SIRET_CHECKSUM: Final = Invalid(
    "invalid_siret",
    "Ce numéro SIRET n'existe pas. Vérifiez chacun des 14 chiffres.",
    "This SIRET number does not exist. Check each of the 14 digits.",
)
_NIR_FORMAT: Final = Invalid(
    "invalid_nir",
    "Saisissez votre numéro de sécurité sociale complet : 13 chiffres puis la clé "
    "de 2 chiffres, par exemple 1 84 12 76 451 089 46.",
    "Enter your full social security number: 13 digits then the 2-digit key, "
    "for example 1 84 12 76 451 089 46.",
)
_NIR_CHECKSUM: Final = Invalid(
    "invalid_nir",
    "La clé ne correspond pas au numéro de sécurité sociale. "
    "Vérifiez les 13 chiffres et les 2 chiffres de la clé.",
    "The key does not match the social security number. "
    "Check the 13 digits and the 2 digits of the key.",
)
_IBAN_FORMAT: Final = Invalid(
    "invalid_iban",
    "Saisissez un IBAN : 2 lettres pour le pays puis des chiffres et des lettres, "
    "par exemple FR76 3000 6000 0112 3456 7890 189.",
    "Enter an IBAN: 2 letters for the country then digits and letters, "
    "for example FR76 3000 6000 0112 3456 7890 189.",
)
_IBAN_CHECKSUM: Final = Invalid(
    "invalid_iban",
    "Cet IBAN n'existe pas. Recopiez-le depuis votre relevé d'identité bancaire (RIB).",
    "This IBAN does not exist. Copy it from your bank details statement.",
)
_RNA: Final = Invalid(
    "invalid_rna",
    "Saisissez un numéro RNA : la lettre W suivie de 9 caractères, par exemple W751234567.",
    "Enter an RNA number: the letter W followed by 9 characters, for example W751234567.",
)
_EMAIL: Final = Invalid(
    "invalid_email",
    "Saisissez une adresse électronique valide, par exemple nom@exemple.fr.",
    "Enter a valid e-mail address, for example name@example.com.",
)


# --- Phone numbers ------------------------------------------------------------------

# Overseas departments dial ten-digit numbers like mainland France at home but have
# their own country codes abroad: 0262 12 34 56 (La Réunion) is +262 262 12 34 56,
# and +33 262 … reaches nobody.
_OVERSEAS_PREFIXES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "0262": "262",  # La Réunion
        "0263": "262",
        "0692": "262",
        "0693": "262",
        "0269": "262",  # Mayotte
        "0639": "262",
        "0590": "590",  # Guadeloupe, Saint-Barthélemy, Saint-Martin
        "0690": "590",
        "0691": "590",
        "0594": "594",  # Guyane
        "0694": "594",
        "0596": "596",  # Martinique
        "0696": "596",
        "0697": "596",
    }
)
# Saint-Pierre-et-Miquelon is dialled 05 08 + six digits from France but +508 + the
# same six digits abroad: its prefix is not repeated after the country code.
_SPM_PREFIX: Final = "0508"
_FRENCH_COUNTRY_CODES: Final = ("33", "262", "508", "590", "594", "596")


def _is_french_national(number: str) -> bool:
    return len(number) == 10 and _ascii_digits(number) and number[0] == "0" and number[1] != "0"


def _country_code(national: str) -> str:
    if national.startswith(_SPM_PREFIX):
        return "508"
    return _OVERSEAS_PREFIXES.get(national[:4], "33")


def _french_national(compact: str) -> str | None:
    """The ten-digit national form of a compact French number, or None."""
    if compact.startswith("+"):
        international = compact[1:]
    elif compact.startswith("00"):
        international = compact[2:]
    else:
        return compact if _is_french_national(compact) else None
    code = next((c for c in _FRENCH_COUNTRY_CODES if international.startswith(c)), None)
    if code is None:
        return None
    rest = international[len(code) :]
    # "+33 (0)1 …" and "+33 01 …" keep the trunk zero dialled at home; it carries nothing.
    # A bare 0 is a trunk zero only when it makes the number one digit too long: the
    # six digits after +508 may themselves start with 0.
    subscriber_length = 6 if code == "508" else 9
    if rest.startswith("(0)"):
        rest = rest[3:]
    elif rest.startswith("0") and len(rest) == subscriber_length + 1:
        rest = rest[1:]
    if len(rest) != subscriber_length:
        return None
    national = _SPM_PREFIX + rest if code == "508" else "0" + rest
    if not _is_french_national(national):
        return None
    # +33 before an overseas number is a common slip, accepted: the caller puts the
    # right code back. Another territory's code before a number reaches nobody.
    if code not in ("33", _country_code(national)):
        return None
    return national


def fr_phone(value: str) -> str | Invalid:
    """A French phone number, normalised to E.164 (``+33123456789``).

    Accepts the national form (``01 23 45 67 89``, dots or dashes between groups) and
    the international ones (``+33 1 23 45 67 89``, ``0033 1 …``, ``+33 (0)1 …``).
    Overseas numbers get their own country code: ``0692 12 34 56`` is ``+262692123456``.

    Example::

        >>> fr_phone("01.23.45.67.89")
        '+33123456789'
        >>> fr_phone("0692 12 34 56")
        '+262692123456'
        >>> fr_phone("00 12 34 56 78").code
        'invalid_fr_phone'
    """
    if len(value) > _MAX_LENGTH:
        return _FR_PHONE
    national = _french_national(value.strip().translate(_DROP_PHONE_SEPARATORS))
    if national is None:
        return _FR_PHONE
    code = _country_code(national)
    if code == "508":
        return "+508" + national[len(_SPM_PREFIX) :]
    return "+" + code + national[1:]


def international_phone(value: str) -> str | Invalid:
    """A phone number in international form, normalised to E.164 (``+3221234567``).

    ``+`` or ``00``, then the country code and the number: 8 to 15 digits in all.
    Spaces, dots, dashes and parentheses may separate groups; a ``(0)`` trunk
    prefix, as in ``+44 (0)20 …``, is dropped.

    Example::

        >>> international_phone("+32 2 123 45 67")
        '+3221234567'
        >>> international_phone("0044 (0)20 7946 0958")
        '+442079460958'
        >>> international_phone("02 123 45 67").code
        'invalid_international_phone'
    """
    if len(value) > _MAX_LENGTH:
        return _INTERNATIONAL_PHONE
    compact = value.strip().translate(_DROP_PHONE_SEPARATORS).replace("(0)", "", 1)
    compact = compact.replace("(", "").replace(")", "")
    if compact.startswith("+"):
        digits = compact[1:]
    elif compact.startswith("00"):
        digits = compact[2:]
    else:
        return _INTERNATIONAL_PHONE
    # E.164 caps numbers at 15 digits, and no country code starts with 0.
    if not (8 <= len(digits) <= 15 and _ascii_digits(digits) and digits[0] != "0"):
        return _INTERNATIONAL_PHONE
    return "+" + digits


# --- Postcodes and French identifiers -----------------------------------------------


def fr_postcode(value: str) -> str | Invalid:
    """A French postcode: 5 digits starting with a department (01-95) or 97/98.

    Corsica keeps the 20 prefix in postcodes (``20000`` Ajaccio); 97 is overseas
    departments and 98 Monaco and the Pacific territories. 00, 96 and 99 do not exist.

    Example::

        >>> fr_postcode(" 75 001 ")
        '75001'
        >>> fr_postcode("96100").code
        'invalid_fr_postcode'
    """
    if len(value) > _MAX_LENGTH:
        return _FR_POSTCODE
    compact = _compact(value)
    if not (len(compact) == 5 and _ascii_digits(compact)):
        return _FR_POSTCODE
    department = compact[:2]
    if not ("01" <= department <= "95" or department in ("97", "98")):
        return _FR_POSTCODE
    return compact


def siren(value: str) -> str | Invalid:
    """A SIREN, the 9-digit number of a French company or association.

    Example::

        >>> siren("732 829 320")
        '732829320'
        >>> siren("732 829 321").message_en
        'This SIREN number does not exist. Check each of the 9 digits.'
    """
    if len(value) > _MAX_LENGTH:
        return _SIREN_FORMAT
    compact = _compact(value)
    if not (len(compact) == 9 and _ascii_digits(compact)):
        return _SIREN_FORMAT
    # 000 000 000 passes Luhn, but it is what people type when they have no number.
    if compact == "000000000" or not luhn_ok(compact):
        return _SIREN_CHECKSUM
    return compact


_LA_POSTE_SIREN: Final = "356000000"


def siret(value: str) -> str | Invalid:
    """A SIRET, the 14-digit number of an establishment: its SIREN then 5 digits.

    Both the SIREN and the whole number pass the Luhn check, except at La Poste
    (SIREN 356 000 000), whose many establishments are numbered so that the sum of the
    14 digits is a multiple of 5 instead.

    Example::

        >>> siret("732 829 320 00074")
        '73282932000074'
        >>> siret("356 000 000 00048")
        '35600000000048'
        >>> siret("732 829 320 00075").code
        'invalid_siret'
    """
    if len(value) > _MAX_LENGTH:
        return _SIRET_FORMAT
    compact = _compact(value)
    if not (len(compact) == 14 and _ascii_digits(compact)):
        return _SIRET_FORMAT
    company = compact[:9]
    if company == _LA_POSTE_SIREN:
        # The head office (…00048) and older establishments follow Luhn, the others the
        # sum rule: accepting either refuses no real number.
        valid = luhn_ok(compact) or sum(map(int, compact)) % 5 == 0
    else:
        valid = company != "000000000" and luhn_ok(company) and luhn_ok(compact)
    return compact if valid else _SIRET_CHECKSUM


# Sex: 1 and 2, with 3, 4, 7 and 8 for people registered with a provisional number.
# Month: 01-12; INSEE uses 20-42 and 50-99 when the civil-status record lacks the month
# of birth (people born abroad or registered late), so those are real numbers too.
# Department: two digits (including 96-99 for births abroad or in former
# protectorates) or 2A/2B for Corsica since 1976.
_NIR_SHAPE: Final = re.compile(
    r"[123478][0-9]{2}(?:0[1-9]|1[0-2]|[23][0-9]|4[0-2]|[5-9][0-9])(?:[0-9]{2}|2[AB])[0-9]{8}"
)
# For the key, Corsica counts as 19 (2A) and 18 (2B): the numbers before the split.
_CORSICA: Final = {"2A": "19", "2B": "18"}


def nir(value: str) -> str | Invalid:
    """A French social security number (NIR): 13 characters then a 2-digit key.

    The key is 97 minus the 13-character number modulo 97. Normalised without spaces,
    in capitals (``2A``/``2B`` for Corsica).

    Example::

        >>> nir("1 84 12 76 451 089 46")
        '184127645108946'
        >>> nir("1 84 12 76 451 089 47").message_en.startswith("The key does not match")
        True
    """
    if len(value) > _MAX_LENGTH:
        return _NIR_FORMAT
    compact = _compact(value)
    if not compact.isascii():
        return _NIR_FORMAT
    compact = compact.upper()
    if _NIR_SHAPE.fullmatch(compact) is None:
        return _NIR_FORMAT
    number = compact[:5] + _CORSICA.get(compact[5:7], compact[5:7]) + compact[7:13]
    remainder = 0
    for digit in number:
        remainder = (remainder * 10 + int(digit)) % 97
    if int(compact[13:]) != 97 - remainder:
        return _NIR_CHECKSUM
    return compact


_RNA_SHAPE: Final = re.compile(r"W[0-9A-Z]{3}[0-9]{6}")


def rna(value: str) -> str | Invalid:
    """An association's number in the French register (RNA): W then 9 characters.

    The three characters after the W may hold letters (``W2A…`` in Corse-du-Sud,
    ``W9R…`` overseas); the last six are digits. Normalised in capitals.

    Example::

        >>> rna("w751234567")
        'W751234567'
        >>> rna("W2A1002345")
        'W2A1002345'
        >>> rna("751234567").code
        'invalid_rna'
    """
    if len(value) > _MAX_LENGTH:
        return _RNA
    compact = _compact(value)
    if not compact.isascii():
        return _RNA
    compact = compact.upper()
    return compact if _RNA_SHAPE.fullmatch(compact) else _RNA


# --- IBAN ---------------------------------------------------------------------------

#: IBAN length by country, from the SWIFT IBAN registry, for SEPA countries.
_IBAN_LENGTHS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22,
        "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27,
        "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20,
        "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24,
        "SE": 24, "SI": 19, "SK": 24, "SM": 27, "VA": 22,
    }
)  # fmt: skip
_IBAN_SHAPE: Final = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")


def _iban_remainder(rearranged: str) -> int:
    # One character at a time, so the number never grows past a few digits: letters
    # stand for 10..35, two decimal digits.
    remainder = 0
    for char in rearranged:
        if char <= "9":
            remainder = (remainder * 10 + ord(char) - ord("0")) % 97
        else:
            remainder = (remainder * 100 + ord(char) - ord("A") + 10) % 97
    return remainder


def iban(value: str) -> str | Invalid:
    """An international bank account number (ISO 13616), normalised in capitals.

    Checks the length for the country (27 for France, 16 for Belgium …; 15 to 34
    for countries not listed) and the check digits (mod 97).

    Example::

        >>> iban("fr76 3000 6000 0112 3456 7890 189")
        'FR7630006000011234567890189'
        >>> iban("BE68 5390 0754 7034")
        'BE68539007547034'
        >>> iban("BE68 5390 0754 7035").code
        'invalid_iban'
    """
    if len(value) > _MAX_LENGTH:
        return _IBAN_FORMAT
    compact = _compact(value)
    if not compact.isascii():
        return _IBAN_FORMAT
    compact = compact.upper()
    if _IBAN_SHAPE.fullmatch(compact) is None:
        return _IBAN_FORMAT
    expected = _IBAN_LENGTHS.get(compact[:2])
    if expected is not None and len(compact) != expected:
        return _IBAN_FORMAT
    # Check digits are computed as 98 - remainder, so always 02..98: 00, 01 and 99 can
    # satisfy mod 97 by accident but are never issued.
    if compact[2:4] in ("00", "01", "99") or _iban_remainder(compact[4:] + compact[:4]) != 1:
        return _IBAN_CHECKSUM
    return compact


# --- E-mail -------------------------------------------------------------------------

# Allowed only inside a quoted local part ("john doe"@…), which no citizen needs and
# many mail systems reject.
_LOCAL_SPECIALS: Final = frozenset('"(),:;<>[\\]')
# IDNA treats these full-width and ideographic full stops as dots; so do we, so that the
# stored address is the one mail will go to.
_IDEOGRAPHIC_DOTS: Final = str.maketrans("\u3002\uff0e\uff61", "...")
_LDH: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def _visible(char: str) -> bool:
    # Control, format (zero-width, bidi overrides), surrogate, private-use, unassigned
    # and separator characters: invisible or spoofing, never part of a real address.
    return unicodedata.category(char)[0] not in "CZ"


def _valid_local_part(local: str) -> bool:
    if not 1 <= len(local) <= 64 or local[0] == "." or local[-1] == "." or ".." in local:
        return False
    if not all(_visible(c) and c not in _LOCAL_SPECIALS for c in local):
        return False
    # SMTP counts octets: an accented local part must fit in 64 bytes of UTF-8.
    return len(local.encode("utf-8")) <= 64


def _ascii_domain(domain: str) -> str | None:
    """The ASCII (punycode) form of a domain fit for mail, or None."""
    if not 1 <= len(domain) <= 253 or not all(_visible(c) for c in domain):
        return None
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
        # Decoding back checks xn-- labels typed as such, which encoding lets through.
        ascii_domain.encode("ascii").decode("idna")
    except ValueError:  # UnicodeError: empty or over-long label, prohibited character
        return None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or labels[-1].isdigit():  # no TLD, or an IP address
        return None
    for label in labels:
        if not 1 <= len(label) <= 63 or label[0] == "-" or label[-1] == "-":
            return None
        if not _LDH.issuperset(label):
            return None
    return ascii_domain


def email(value: str) -> str | Invalid:
    """An e-mail address, checked without any network access.

    One ``@``; a local part of 1 to 64 bytes without spaces, control characters or
    quoting; a domain with at least one dot whose labels are letters, digits and
    hyphens (internationalised domains are checked in their punycode form); 254
    characters at most. Normalised: surrounding spaces removed, domain in lower case
    (the local part's case is kept: some servers tell ``Jean`` from ``jean``).

    Example::

        >>> email("  Jean.Dupont@Mairie.FR ")
        'Jean.Dupont@mairie.fr'
        >>> email("contact@élysée.fr")
        'contact@élysée.fr'
        >>> email("jean dupont@mairie.fr").code
        'invalid_email'
    """
    if len(value) > _MAX_LENGTH:
        return _EMAIL
    local, at, domain = value.strip().rpartition("@")
    if not at or "@" in local or not _valid_local_part(local):
        return _EMAIL
    domain = domain.translate(_IDEOGRAPHIC_DOTS).lower()
    ascii_domain = _ascii_domain(domain)
    if ascii_domain is None or len(local.encode("utf-8")) + 1 + len(ascii_domain) > 254:
        return _EMAIL
    return f"{local}@{domain}"


#: The validators a text field may name, by name (``validator: siret``).
VALIDATORS: Final[Mapping[str, NamedValidator]] = MappingProxyType(
    {
        "fr_phone": fr_phone,
        "fr_postcode": fr_postcode,
        "siren": siren,
        "siret": siret,
        "nir": nir,
        "iban": iban,
        "rna": rna,
        "email": email,
    }
)
