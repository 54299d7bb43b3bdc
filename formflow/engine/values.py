"""The typed values of structured answers: addresses, map points, uploaded files.

Simple answers are plain Python values (``str``, ``int``, ``Decimal``, ``datetime.date``
…); the three structured ones are the frozen dataclasses below. Expressions reach their
parts by attribute (``adresse.city``, ``position.lat``).

Example::

    >>> from formflow.engine.values import Address
    >>> Address("1 place de la Mairie", "99999", "Démoville").country
    'FR'
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

__all__ = ["Address", "FileRef", "GeoPoint"]


@dataclass(frozen=True, slots=True)
class Address:
    """A postal address, each part cleaned and normalised.

    >>> Address("12 rue des Lilas", "75011", "Paris").postcode
    '75011'
    """

    street: str
    postcode: str
    city: str
    #: ISO 3166 code of the country (``FR``, ``BE``).
    country: str = "FR"


@dataclass(frozen=True, slots=True)
class GeoPoint:
    """A point on a map, in WGS 84 degrees, with the address the citizen gave for it.

    Coordinates are `Decimal` rounded to 7 places (about a centimetre): exact, so a
    point read back from JSON compares equal to the one stored.

    >>> GeoPoint(Decimal("48.8566"), Decimal("2.3522")).address is None
    True
    """

    lat: Decimal
    lon: Decimal
    address: str | None = None


@dataclass(frozen=True, slots=True)
class FileRef:
    """An uploaded file kept in a `BlobStore`: the answer holds this, never the bytes.

    >>> FileRef("b1", "recu.pdf", "application/pdf", 1234, "ab" * 32).name
    'recu.pdf'
    """

    #: The blob store's id of the content.
    id: str
    #: The sanitised file name the citizen gave (no directories, no control characters).
    name: str
    #: The type found in the content itself (never the one the client claimed).
    content_type: str
    #: Size in bytes.
    size: int
    #: SHA-256 of the content, hexadecimal.
    sha256: str
