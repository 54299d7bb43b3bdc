"""Place field types: ``address`` (street, postcode, city) and ``map`` (a point).

Both are posted as parts under the field's id: ``adresse.street``,
``adresse.postcode``, ``adresse.city``; ``position.lat``, ``position.lon`` and
``position.address``. Errors name the part at fault (``adresse.postcode``).

Example::

    >>> from formflow.definitions.forms import AddressField
    >>> field = AddressField(id="adresse", type="address", label="Adresse")
    >>> AddressType().from_json(field, {"street": "1 rue Haute", "postcode": "1000",
    ...                                  "city": "Bruxelles", "country": "BE"}).city
    'Bruxelles'
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar, cast

from formflow.definitions.forms import AddressField, MapField
from formflow.engine.errors import Reject, Rejected
from formflow.engine.fields.base import FieldContext, FieldType, RawValue, clean_text, is_blank
from formflow.engine.validators import VALIDATORS, Invalid
from formflow.engine.values import Address, GeoPoint

__all__ = ["AddressType", "MapType"]

# (part, longest accepted, label fr, label en, HTML autocomplete token)
_ADDRESS_PARTS = (
    ("street", 200, "Numéro et voie", "Street address", "street-address"),
    ("postcode", 20, "Code postal", "Postcode", "postal-code"),
    ("city", 100, "Commune", "Town or city", "address-level2"),
)
_BE_POSTCODE = re.compile(r"[1-9][0-9]{3}")
_COORDINATE = re.compile(r"[+-]?[0-9]{1,3}(?:[.,][0-9]{1,15})?")
_SEVEN_PLACES = Decimal("0.0000001")


def _postcode(country: str, text: str) -> str:
    if country == "FR":
        checked = VALIDATORS["fr_postcode"](text)
        if isinstance(checked, Invalid):
            raise Reject(checked.code, sub="postcode", invalid=checked)
        return checked
    if country == "BE":
        compact = text.replace(" ", "")
        if not _BE_POSTCODE.fullmatch(compact):
            raise Reject(
                "invalid_be_postcode",
                sub="postcode",
                invalid=Invalid(
                    "invalid_be_postcode",
                    "Saisissez un code postal belge de 4 chiffres, par exemple 1000.",
                    "Enter a Belgian postcode of 4 digits, for example 1000.",
                ),
            )
        return compact
    return text


class AddressType(FieldType[AddressField, Address]):
    """``address``: all three parts are needed once any is given; the postcode is
    checked for France and Belgium. The country is the field's, never the client's."""

    kind: ClassVar[str] = "address"

    def parse(
        self, field: AddressField, raw: RawValue, ctx: FieldContext
    ) -> Address | Rejected | None:
        if is_blank(raw):
            return None
        if not isinstance(raw, Mapping):
            raise Reject("invalid")
        values: dict[str, str] = {}
        errors = []
        for part, limit, *_ in _ADDRESS_PARTS:
            try:
                text = clean_text(raw.get(part), limit)
                if text is None:
                    raise Reject("required", sub=part)
                values[part] = _postcode(field.country, text) if part == "postcode" else text
            except Reject as reject:
                reject.sub = part
                errors.append(ctx.error(field, reject))
        if errors:
            return Rejected(tuple(errors))
        return Address(values["street"], values["postcode"], values["city"], field.country)

    def to_json(self, field: AddressField, value: Address) -> dict[str, str]:
        return {
            "street": value.street,
            "postcode": value.postcode,
            "city": value.city,
            "country": value.country,
        }

    def from_json(self, field: AddressField, data: Any) -> Address:
        if not isinstance(data, Mapping):
            raise ValueError("expected an address object")
        parts = [data.get(key) for key in ("street", "postcode", "city", "country")]
        if not all(isinstance(part, str) for part in parts):
            raise ValueError("incomplete address")
        street, postcode, city, country = cast("list[str]", parts)
        return Address(street, postcode, city, country)

    def describe(self, field: AddressField, ctx: FieldContext) -> dict[str, Any]:
        described = super().describe(field, ctx)
        english = ctx.language == "en"
        described.update(
            country=field.country,
            geocode=field.geocode,
            parts=[
                {
                    "name": f"{ctx.path}.{part}",
                    "part": part,
                    "label": en if english else fr,
                    "max_length": limit,
                    "autocomplete": autocomplete,
                }
                for part, limit, fr, en, autocomplete in _ADDRESS_PARTS
            ],
        )
        return described

    def display(self, field: AddressField, value: Address, ctx: FieldContext) -> str:
        return f"{value.street}, {value.postcode} {value.city}"


def _coordinate(raw: object, limit: int) -> Decimal:
    text = clean_text(raw, 40)
    if text is None or not _COORDINATE.fullmatch(text):
        raise Reject("invalid_coordinates")
    value = Decimal(text.replace(",", "."))
    if abs(value) > limit:
        raise Reject("invalid_coordinates")
    return value.quantize(_SEVEN_PLACES)


class MapType(FieldType[MapField, GeoPoint]):
    """``map``: a `GeoPoint` (latitude and longitude in degrees, 7 places) and, with
    ``with_address``, the address the citizen typed or the map found."""

    kind: ClassVar[str] = "map"

    def parse(self, field: MapField, raw: RawValue, ctx: FieldContext) -> GeoPoint | None:
        if is_blank(raw):
            return None
        if not isinstance(raw, Mapping):
            raise Reject("invalid")
        lat = _coordinate(raw.get("lat"), 90)
        lon = _coordinate(raw.get("lon"), 180)
        address = None
        if field.with_address:
            try:
                address = clean_text(raw.get("address"), 500)
            except Reject as reject:
                reject.sub = "address"
                raise
        return GeoPoint(lat, lon, address)

    def to_json(self, field: MapField, value: GeoPoint) -> dict[str, Any]:
        # Numbers, as GeoJSON has them: 7 places survive the float exactly.
        return {"lat": float(value.lat), "lon": float(value.lon), "address": value.address}

    def from_json(self, field: MapField, data: Any) -> GeoPoint:
        if not isinstance(data, Mapping):
            raise ValueError("expected a point object")
        lat, lon, address = data.get("lat"), data.get("lon"), data.get("address")
        if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in (lat, lon)):
            raise ValueError("expected numeric coordinates")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):  # type: ignore[operator]
            raise ValueError("coordinates out of range")  # NaN fails these too
        if address is not None and not isinstance(address, str):
            raise ValueError("expected a text address")
        try:
            point = [Decimal(repr(x)).quantize(_SEVEN_PLACES) for x in (lat, lon)]
        except decimal.InvalidOperation as exc:
            raise ValueError("coordinates out of range") from exc
        return GeoPoint(point[0], point[1], address)

    def describe(self, field: MapField, ctx: FieldContext) -> dict[str, Any]:
        described = super().describe(field, ctx)
        described.update(
            center=list(field.center) if field.center is not None else None,
            zoom=field.zoom,
            with_address=field.with_address,
            parts=[f"{ctx.path}.lat", f"{ctx.path}.lon"]
            + ([f"{ctx.path}.address"] if field.with_address else []),
        )
        return described

    def display(self, field: MapField, value: GeoPoint, ctx: FieldContext) -> str:
        point = f"{value.lat.normalize():f}, {value.lon.normalize():f}"
        return f"{value.address} ({point})" if value.address else point
