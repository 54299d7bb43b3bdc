"""Field types: parsing (edge cases and hostile input), JSON, descriptions, summaries."""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal
from typing import Any

import pytest
from formkit import NOW, codes, field_context, make_context, make_field, parse, paths

from formflow.definitions.forms import FIELD_TYPES
from formflow.engine.context import Upload
from formflow.engine.errors import MESSAGES, Rejected
from formflow.engine.fields import (
    FieldType,
    TextType,
    clean_text,
    field_types,
    is_blank,
    parse_field,
    register_field_type,
    unflatten,
)
from formflow.engine.values import Address, GeoPoint

TEXT = {"id": "nom", "type": "text", "max_length": 20}
OPTIONAL_TEXT = TEXT | {"required": False}
TEXTAREA = {"id": "notes", "type": "textarea", "max_length": 50}
EMAIL = {"id": "courriel", "type": "email"}
PHONE = {"id": "tel", "type": "phone"}
INTEGER = {"id": "n", "type": "integer", "min": 1, "max": 30}
DECIMAL = {"id": "m", "type": "decimal", "min": "0", "max": "1000"}
DATE = {"id": "d", "type": "date"}
TIME = {"id": "t", "type": "time"}
DATETIME = {"id": "dt", "type": "datetime"}
BOOLEAN = {"id": "ok", "type": "boolean"}
CHOICE = {
    "id": "bac",
    "type": "choice",
    "options": [{"value": "om", "label": "Ordures"}, {"value": "tri", "label": "Tri"}],
}
MULTI = {
    "id": "jours",
    "type": "multichoice",
    "options": ["lun", "mar", "mer", "jeu"],
    "max_choices": 3,
}
ADDRESS = {"id": "adresse", "type": "address"}
MAP = {"id": "position", "type": "map"}

HUGE = "a" * 10_000_000

# (field, raw input, expected value or "!error_code")
CASES: list[tuple[dict[str, Any], object, object]] = [
    # text
    (TEXT, "  Ana  ", "Ana"),
    (TEXT, "Cafe\u0301", "Café"),  # NFC
    (TEXT, "", "!required"),
    (TEXT, "   ", "!required"),
    (TEXT, None, "!required"),
    (OPTIONAL_TEXT, "", None),
    (TEXT, "a" * 21, "!too_long"),
    (TEXT, "a" * 20, "a" * 20),
    (TEXT, HUGE, "!invalid"),
    (TEXT, ["Ana", "Bo"], "!invalid"),
    (TEXT, {"x": "y"}, "!invalid"),
    (TEXT, 42, "!invalid"),
    (TEXT, 4.2, "!invalid"),
    (TEXT, True, "!invalid"),
    (TEXT, b"Ana", "!invalid"),
    (TEXT, Upload("a.txt", b"Ana"), "!invalid"),
    (TEXT, "An\x00a", "!invalid"),
    (TEXT, "\ud800", "!invalid"),  # lone surrogate
    (TEXT, "Ana\u202egnp.exe", "!invalid"),  # bidi override
    (TEXT, "Ana\nBo", "!invalid"),
    (TEXT, "Ana\x1b[31m", "!invalid"),
    (TEXT, "Аna", "Аna"),  # a Cyrillic А is text like any other
    (TEXT, "👩‍👩‍👧", "👩‍👩‍👧"),  # ZWJ sequences are kept
    (TEXT | {"min_length": 3}, "Al", "!too_short"),
    (TEXT | {"pattern": "[A-Z]{2}[0-9]{3}"}, "AB123", "AB123"),
    (TEXT | {"pattern": "[A-Z]{2}[0-9]{3}"}, "AB1234", "!pattern"),
    (TEXT | {"validator": "siret"}, "732 829 320 00074", "73282932000074"),
    (TEXT | {"validator": "siret"}, "732 829 320 00075", "!invalid_siret"),
    (TEXT | {"validator": "fr_postcode"}, "75 001", "75001"),
    (
        TEXT | {"validator": "iban", "max_length": 40},
        "fr76 3000 6000 0112 3456 7890 189",
        "FR7630006000011234567890189",
    ),
    # textarea
    (TEXTAREA, "Ligne 1\r\nLigne 2\tfin", "Ligne 1\nLigne 2\tfin"),
    (TEXTAREA, "a\x00b", "!invalid"),
    (TEXTAREA, "x" * 51, "!too_long"),
    (TEXTAREA | {"min_length": 5}, "abc", "!too_short"),
    # email
    (EMAIL, " Jean.Dupont@Mairie.FR ", "Jean.Dupont@mairie.fr"),
    (EMAIL, "jean dupont@mairie.fr", "!invalid_email"),
    (EMAIL, "jean@", "!invalid_email"),
    (EMAIL, ["a@b.fr"], "!invalid"),
    # phone
    (PHONE, "01 23 45 67 89", "+33123456789"),
    (PHONE, "06.12.34.56.78", "+33612345678"),
    (PHONE, "+33 1 23 45 67 89", "+33123456789"),
    (PHONE, "+32 2 123 45 67", "+3221234567"),
    (PHONE, "0692 12 34 56", "+262692123456"),
    (PHONE, "12345", "!invalid_fr_phone"),
    (PHONE, "+1", "!invalid_phone"),
    (PHONE | {"region": None}, "01 23 45 67 89", "!invalid_phone"),
    (PHONE | {"region": None}, "+44 20 7946 0958", "+442079460958"),
    (PHONE | {"region": "BE"}, "02 123 45 67", "+3221234567"),
    (PHONE, "０１２３４５６７８９", "!invalid_fr_phone"),  # full-width digits
    # integer
    (INTEGER, "3", 3),
    (INTEGER, " +7 ", 7),
    (INTEGER | {"max": 5000}, "1 000", 1000),
    (INTEGER | {"max": 5000}, "1\u202f000", 1000),
    (INTEGER, "0", "!too_small"),
    (INTEGER, "31", "!too_large"),
    (INTEGER, "3.0", "!invalid_integer"),
    (INTEGER, "1e1", "!invalid_integer"),
    (INTEGER, "１２", "!invalid_integer"),  # full-width
    (INTEGER, "١٢", "!invalid_integer"),  # Arabic-Indic
    (INTEGER, "9" * 100, "!invalid_integer"),
    (INTEGER, "9" * 5000, "!invalid"),
    (INTEGER, "0x10", "!invalid_integer"),
    (INTEGER, "", "!required"),
    (INTEGER | {"step": 5, "min": 0}, "15", 15),
    (INTEGER | {"step": 5, "min": 0}, "16", "!step"),
    (INTEGER | {"step": 2, "min": 1}, "3", 3),  # steps count from min
    (INTEGER, 3, "!invalid"),
    # decimal
    (DECIMAL, "12,5", Decimal("12.50")),
    (DECIMAL, "12.5", Decimal("12.50")),
    (DECIMAL, ",5", Decimal("0.50")),
    (DECIMAL | {"max": None}, "1 234,56", Decimal("1234.56")),
    (DECIMAL, "12.340", Decimal("12.34")),
    (DECIMAL, "12.345", "!too_many_places"),
    (DECIMAL, "-0", Decimal("0.00")),
    (DECIMAL, "-1", "!too_small"),
    (DECIMAL, "1000.01", "!too_large"),
    (DECIMAL, "NaN", "!invalid_decimal"),
    (DECIMAL, "Infinity", "!invalid_decimal"),
    (DECIMAL, "1e3", "!invalid_decimal"),
    (DECIMAL, "1,2,3", "!invalid_decimal"),
    (DECIMAL, "١٢", "!invalid_decimal"),
    (DECIMAL | {"step": "0.5"}, "2,5", Decimal("2.50")),
    (DECIMAL | {"step": "0.5"}, "2,6", "!step"),
    (
        DECIMAL | {"places": 0, "max": None},
        "12345678901234567890123456789",
        Decimal("12345678901234567890123456789"),
    ),
    # date
    (DATE, "2026-01-31", dt.date(2026, 1, 31)),
    (DATE, "31/01/2026", dt.date(2026, 1, 31)),
    (DATE, "1/2/2026", dt.date(2026, 2, 1)),
    (DATE, "31.01.2026", dt.date(2026, 1, 31)),
    (DATE, "31/02/2026", "!invalid_date"),
    (DATE, "2026-13-01", "!invalid_date"),
    (DATE, "0202-01-01", "!invalid_date"),
    (DATE, "demain", "!invalid_date"),
    (DATE, "２０２６-01-31", "!invalid_date"),
    (DATE | {"min": "today"}, "2026-01-30", "!date_too_early"),
    (DATE | {"min": "today"}, "2026-01-31", dt.date(2026, 1, 31)),
    (DATE | {"max": "today - 18 years"}, "2008-01-31", dt.date(2008, 1, 31)),
    (DATE | {"max": "today - 18 years"}, "2008-02-01", "!date_too_late"),
    (DATE | {"min": "2026-02-01"}, "2026-01-31", "!date_too_early"),
    # time
    (TIME, "14:30", dt.time(14, 30)),
    (TIME, "14h30", dt.time(14, 30)),
    (TIME, "9h", dt.time(9, 0)),
    (TIME, "14:30:15", dt.time(14, 30, 15)),
    (TIME, "25:00", "!invalid_time"),
    (TIME, "14", "!invalid_time"),
    (TIME | {"min": "08:00", "max": "18:00"}, "07:59", "!time_too_early"),
    (TIME | {"min": "08:00", "max": "18:00"}, "18:01", "!time_too_late"),
    (TIME | {"step_minutes": 15}, "10:45", dt.time(10, 45)),
    (TIME | {"step_minutes": 15}, "10:50", "!time_step"),
    # datetime
    (DATETIME, "2026-01-31T14:30", dt.datetime(2026, 1, 31, 14, 30)),
    (DATETIME, "31/01/2026 14h30", dt.datetime(2026, 1, 31, 14, 30)),
    (DATETIME, {"date": "2026-02-01", "time": "09:00"}, dt.datetime(2026, 2, 1, 9, 0)),
    (DATETIME, {"date": "", "time": ""}, "!required"),
    (DATETIME, {"date": "2026-02-01"}, "!invalid_datetime"),
    (DATETIME, "2026-01-31", "!invalid_datetime"),
    (DATETIME | {"min": "now"}, "2026-01-31T09:59", "!datetime_too_early"),
    (DATETIME | {"min": "now"}, "2026-01-31T10:00", dt.datetime(2026, 1, 31, 10, 0)),
    (DATETIME | {"max": "today"}, "2026-01-31T23:59", dt.datetime(2026, 1, 31, 23, 59)),
    (DATETIME | {"max": "today"}, "2026-02-01T00:00", "!datetime_too_late"),
    # boolean
    (BOOLEAN, None, False),
    (BOOLEAN, "on", True),
    (BOOLEAN, "Oui", True),
    (BOOLEAN, "false", False),
    (BOOLEAN, "peut-être", "!invalid"),
    (BOOLEAN, ["on", "on"], "!invalid"),
    (BOOLEAN | {"required": True}, None, "!required"),
    (BOOLEAN | {"required": True}, "on", True),
    # choice
    (CHOICE, "om", "om"),
    (CHOICE, " tri ", "tri"),
    (CHOICE, "verre", "!invalid_choice"),
    (CHOICE, "Ordures", "!invalid_choice"),  # the label is not the value
    (CHOICE, ["om", "tri"], "!invalid"),
    (CHOICE, "", "!required"),
    # multichoice
    (MULTI, ["mer", "lun"], ["lun", "mer"]),  # the options' order
    (MULTI, "mar", ["mar"]),
    (MULTI, ["lun", "lun", " lun "], ["lun"]),
    (MULTI, {"0": "lun", "1": "jeu"}, ["lun", "jeu"]),
    (MULTI, ["lun", "dim"], "!invalid_choice"),
    (MULTI, ["lun", "mar", "mer", "jeu"], "!too_many_choices"),
    (MULTI | {"min_choices": 2}, ["lun"], "!too_few_choices"),
    (MULTI, [], "!required"),
    (MULTI | {"required": False}, [], None),
    (MULTI, ["lun", ["mar"]], "!invalid"),
    (MULTI, ["x"] * 5000, "!invalid"),
    (MULTI, 3, "!invalid"),
    # address
    (
        ADDRESS,
        {"street": "1 rue Haute", "postcode": "75001", "city": "Paris"},
        Address("1 rue Haute", "75001", "Paris", "FR"),
    ),
    (ADDRESS, {"street": " ", "postcode": "", "city": ""}, "!required"),
    (
        ADDRESS | {"country": "BE"},
        {"street": "Rue Haute 1", "postcode": "1000", "city": "Bruxelles"},
        Address("Rue Haute 1", "1000", "Bruxelles", "BE"),
    ),
    (
        ADDRESS | {"country": "BE"},
        {"street": "x", "postcode": "75001", "city": "y"},
        "!invalid_be_postcode",
    ),
    (
        ADDRESS,
        {"street": "1 rue Haute", "postcode": "99999", "city": "Paris"},
        "!invalid_fr_postcode",
    ),
    (ADDRESS, "1 rue Haute 75001 Paris", "!invalid"),
    (ADDRESS, {"street": ["a"], "postcode": "75001", "city": "Paris"}, "!invalid"),
    # map
    (MAP, {"lat": "48.8566", "lon": "2,3522"}, GeoPoint(Decimal("48.8566"), Decimal("2.3522"))),
    (
        MAP,
        {"lat": "48.8566", "lon": "2.3522", "address": "Hôtel de ville"},
        GeoPoint(Decimal("48.8566"), Decimal("2.3522"), "Hôtel de ville"),
    ),
    (MAP, {"lat": "91", "lon": "2"}, "!invalid_coordinates"),
    (MAP, {"lat": "48", "lon": "-181"}, "!invalid_coordinates"),
    (MAP, {"lat": "nan", "lon": "2"}, "!invalid_coordinates"),
    (MAP, {"lat": "48"}, "!invalid_coordinates"),
    (MAP, {"lat": "", "lon": ""}, "!required"),
    (MAP, ["48", "2"], "!invalid"),
]


def _case_id(case: tuple[dict[str, Any], object, object]) -> str:
    spec, raw, expected = case
    shown = repr(raw) if not isinstance(raw, str) or len(raw) < 30 else f"<{len(raw)} chars>"
    return f"{spec['type']}-{shown[:30]}-{expected!r:.20}"


@pytest.mark.parametrize(("spec", "raw", "expected"), CASES, ids=[_case_id(c) for c in CASES])
def test_parse(spec: dict[str, Any], raw: object, expected: object) -> None:
    result = parse(spec, raw)
    if isinstance(expected, str) and expected.startswith("!"):
        assert codes(result) == [expected[1:]]
    else:
        assert not isinstance(result, Rejected), result
        assert result == expected
        assert type(result) is type(expected)


def test_decimal_values_are_never_floats() -> None:
    result = parse(DECIMAL, "0.1")
    assert result == Decimal("0.10")
    assert isinstance(result, Decimal)


def test_a_catastrophic_pattern_runs_in_linear_time() -> None:
    # (a+)+$ takes exponential time with a backtracking engine on "aaa…ab".
    spec = {"id": "x", "type": "text", "max_length": 10000, "pattern": "(a+)+$"}
    started = time.perf_counter()
    assert codes(parse(spec, "a" * 5000 + "b")) == ["pattern"]
    assert time.perf_counter() - started < 1


def test_huge_input_is_refused_before_any_work() -> None:
    started = time.perf_counter()
    for spec in (TEXT, TEXTAREA, EMAIL, PHONE, INTEGER, DECIMAL, DATE, CHOICE):
        assert codes(parse(spec, HUGE)) == ["invalid"]
    assert codes(parse(ADDRESS, {"street": HUGE, "postcode": "75001", "city": "x"})) == ["invalid"]
    assert time.perf_counter() - started < 2


def test_an_address_names_each_part_at_fault() -> None:
    result = parse(ADDRESS, {"street": "1 rue Haute", "postcode": "1"})
    assert codes(result) == ["invalid_fr_postcode", "required"]
    assert paths(result) == ["adresse.postcode", "adresse.city"]


def test_datetime_parts_name_the_part_at_fault() -> None:
    assert paths(parse(DATETIME, {"date": "2026-02-01", "time": "99:99"})) == ["dt.time"]


def test_every_error_has_a_french_and_an_english_message() -> None:
    for code, (french, english) in MESSAGES.items():
        assert french, code
        assert english, code
        assert french != english, code
    result = parse(INTEGER, "0")
    error = result.errors[0]
    assert error.field_id == "n"
    assert error.path == "n"
    assert error.message_fr == "Saisissez un nombre supérieur ou égal à 1."
    assert error.message_en == "Enter a number greater than or equal to 1."
    assert error.message("en") == error.message_en


def test_french_messages_write_decimals_with_a_comma() -> None:
    error = parse(DECIMAL | {"min": "0.5"}, "0,25").errors[0]
    assert error.message_fr.endswith("0,5.")
    assert error.message_en.endswith("0.5.")


def test_a_field_can_replace_a_message() -> None:
    spec = TEXT | {
        "messages": {
            "required": {"fr": "Indiquez votre nom.", "en": "Enter your name."},
            "too_long": "Pas plus de {max} lettres.",
        }
    }
    required = parse(spec, "").errors[0]
    assert (required.code, required.message_fr, required.message_en) == (
        "required",
        "Indiquez votre nom.",
        "Enter your name.",
    )
    too_long = parse(spec, "a" * 30).errors[0]
    assert too_long.message_fr == too_long.message_en == "Pas plus de 20 lettres."


def test_a_validator_message_can_be_replaced_by_its_code_or_by_invalid() -> None:
    own = parse(TEXT | {"validator": "siren", "messages": {"invalid_siren": "SIREN ?"}}, "1")
    assert own.errors[0].message_fr == "SIREN ?"
    generic = parse(TEXT | {"validator": "siren", "messages": {"invalid": "Non."}}, "1")
    assert generic.errors[0].message_fr == "Non."
    assert generic.errors[0].code == "invalid_siren"


def test_a_required_checkbox_says_to_tick_it() -> None:
    error = parse(BOOLEAN | {"required": True}, None).errors[0]
    assert error.message_fr == "Cochez cette case pour continuer."


# --- JSON -------------------------------------------------------------------------------

ROUND_TRIPS: list[tuple[dict[str, Any], object]] = [
    (TEXT, "Ana"),
    (TEXTAREA, "a\nb"),
    (EMAIL, "a@b.fr"),
    (PHONE, "01 23 45 67 89"),
    (INTEGER, "12"),
    (DECIMAL, "12,5"),
    (DATE, "31/01/2026"),
    (TIME, "14:30:15"),
    (DATETIME, "2026-01-31T14:30"),
    (BOOLEAN, "on"),
    (CHOICE, "om"),
    (MULTI, ["lun", "mer"]),
    (ADDRESS, {"street": "1 rue Haute", "postcode": "75001", "city": "Paris"}),
    (MAP, {"lat": "48.8566123", "lon": "-2.35", "address": "Mairie"}),
]


@pytest.mark.parametrize(("spec", "raw"), ROUND_TRIPS, ids=[s["type"] for s, _ in ROUND_TRIPS])
def test_values_round_trip_through_json(spec: dict[str, Any], raw: object) -> None:
    field = make_field(spec)
    implementation = field_types[field.type]
    value = parse(spec, raw)
    data = json.loads(json.dumps(implementation.to_json(field, value)))
    assert implementation.from_json(field, data) == value


@pytest.mark.parametrize(
    ("spec", "data"),
    [
        (TEXT, 3),
        (INTEGER, "3"),
        (INTEGER, True),
        (DECIMAL, 1.5),
        (DECIMAL, "NaN"),
        (DATE, "31/01/2026"),
        (BOOLEAN, "true"),
        (MULTI, "lun"),
        (ADDRESS, {"street": "x"}),
        (MAP, {"lat": "48", "lon": 2}),
        (MAP, {"lat": float("nan"), "lon": 2}),
        (MAP, {"lat": 1e308, "lon": 2}),
    ],
)
def test_from_json_refuses_what_to_json_never_writes(spec: dict[str, Any], data: Any) -> None:
    field = make_field(spec)
    with pytest.raises(ValueError):  # noqa: PT011 - any ValueError is the contract
        field_types[field.type].from_json(field, data)


# --- descriptions and summaries -------------------------------------------------------------


def test_every_definition_type_has_an_implementation() -> None:
    assert set(FIELD_TYPES) <= set(field_types)


def test_descriptions_are_plain_data() -> None:
    ctx = make_context()
    for spec in (
        TEXT | {"validator": "siret"},
        TEXTAREA,
        EMAIL,
        PHONE,
        INTEGER,
        DECIMAL,
        DATE | {"min": "today", "max": "today + 1 year"},
        TIME,
        DATETIME | {"min": "now"},
        BOOLEAN,
        CHOICE,
        MULTI,
        ADDRESS,
        MAP,
        {"id": "f", "type": "file", "accept": ["image/*"], "max_count": 3},
    ):
        field = make_field(spec)
        described = field_types[field.type].describe(field, field_context(field, ctx))
        assert json.loads(json.dumps(described)) == described
        assert described["id"] == field.id
        assert described["name"] == field.id


def test_descriptions_resolve_what_renderers_need() -> None:
    ctx = make_context()

    def describe(spec: dict[str, Any]) -> dict[str, Any]:
        field = make_field(spec)
        return field_types[field.type].describe(field, field_context(field, ctx))

    assert describe(DATE | {"min": "today", "max": "today - 18 years"})["min"] == "2026-01-31"
    assert describe(DATE | {"max": "today - 18 years"})["max"] == "2008-01-31"
    assert describe(CHOICE)["kind"] == "radio"
    many = CHOICE | {"options": [str(i) for i in range(8)]}
    assert describe(many)["kind"] == "select"
    assert describe(CHOICE | {"widget": "autocomplete"})["kind"] == "autocomplete"
    assert describe(TEXT | {"validator": "siret"})["inputmode"] == "numeric"
    assert describe(PHONE)["autocomplete"] == "tel"
    parts = describe(ADDRESS)["parts"]
    assert [p["name"] for p in parts] == ["adresse.street", "adresse.postcode", "adresse.city"]
    assert describe(DECIMAL)["step"] == "0.01"


@pytest.mark.parametrize(
    ("spec", "raw", "french", "english"),
    [
        (DECIMAL | {"unit": "€"}, "12,5", "12,50 €", "12.50 €"),
        (DATE, "2026-01-31", "31/01/2026", "31/01/2026"),
        (TIME, "09:05", "09:05", "09:05"),
        (BOOLEAN, "on", "Oui", "Yes"),
        (CHOICE, "om", "Ordures", "Ordures"),
        (
            CHOICE | {"options": [{"value": "om", "label": {"fr": "Ordures", "en": "Waste"}}]},
            "om",
            "Ordures",
            "Waste",
        ),
        (MULTI, ["lun", "mar"], "lun, mar", "lun, mar"),
        (
            ADDRESS,
            {"street": "1 rue Haute", "postcode": "75001", "city": "Paris"},
            "1 rue Haute, 75001 Paris",
            "1 rue Haute, 75001 Paris",
        ),
    ],
)
def test_display(spec: dict[str, Any], raw: object, french: str, english: str) -> None:
    field = make_field(spec)
    value = parse(spec, raw)
    implementation = field_types[field.type]
    ctx = field_context(field)
    assert implementation.display(field, value, ctx) == french
    english_ctx = ctx.child(field.id)
    english_ctx.language = "en"
    assert implementation.display(field, value, english_ctx) == english


# --- base helpers and registry ----------------------------------------------------------------


def test_unflatten_builds_a_tree_from_dotted_names() -> None:
    tree = unflatten(
        {"adresse.street": "1 rue Haute", "enfants.0.prenom": "Ana", "enfants.1.prenom": "Bo"}
    )
    assert tree == {
        "adresse": {"street": "1 rue Haute"},
        "enfants": {"0": {"prenom": "Ana"}, "1": {"prenom": "Bo"}},
    }


def test_unflatten_merges_nested_mappings_and_drops_odd_keys() -> None:
    assert unflatten({"a": {"b": "1"}, "a.c": "2"}) == {"a": {"b": "1", "c": "2"}}
    assert unflatten({"": "x", "a..b": "y", "k" * 500: "z", None: "w"}) == {}


def test_unflatten_survives_hostile_payloads() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(100_000):
        node["a"] = {}
        node = node["a"]
    assert unflatten({"x": deep}) == {}
    many = {f"k{i}": "v" for i in range(50_000)}
    assert len(unflatten(many)) == 10_000


def test_blank_values() -> None:
    assert is_blank(None)
    assert is_blank("  ")
    assert is_blank({"a": "", "b": [" "]})
    assert not is_blank("x")
    assert not is_blank(Upload("a", b"x"))
    assert not is_blank({"a": "x"})


def test_clean_text_keeps_tabs_and_newlines_only_when_multiline() -> None:
    assert clean_text("a\tb", 10, multiline=True) == "a\tb"
    with pytest.raises(Exception, match="invalid"):
        clean_text("a\tb", 10)


def test_a_host_can_register_its_own_type() -> None:
    class UpperText(TextType):
        def parse(self, field: Any, raw: object, ctx: Any) -> str | None:
            value = super().parse(field, raw, ctx)
            return value.upper() if isinstance(value, str) else value

    original = field_types["text"]
    register_field_type("text", UpperText())
    try:
        assert parse(TEXT, "ana") == "ANA"
    finally:
        register_field_type("text", original)
    assert parse(TEXT, "ana") == "ana"


def test_the_base_type_has_sane_defaults() -> None:
    class Incomplete(FieldType[Any, str]):
        pass

    # A type without parse is refused when it is built, not when a citizen submits.
    with pytest.raises(TypeError, match="abstract method parse"):
        Incomplete()  # type: ignore[abstract]

    class Minimal(FieldType[Any, str]):
        def parse(self, field: Any, raw: Any, ctx: Any) -> str | None:
            return str(raw) if raw else None

    field = make_field(TEXT)
    minimal = Minimal()
    assert minimal.is_empty(None)
    assert not minimal.is_empty("x")
    assert minimal.to_json(field, "x") == "x"
    assert minimal.from_json(field, "x") == "x"
    assert minimal.display(field, "x", field_context(field)) == "x"


def test_parse_field_uses_the_context_path() -> None:
    field = make_field(INTEGER)
    ctx = field_context(field).child("enfants.2.n")
    result = parse_field(field, "x", ctx)
    assert paths(result) == ["enfants.2.n"]


def test_today_comes_from_the_context() -> None:
    ctx = make_context(now=dt.datetime(2030, 6, 1, 8, 0))
    assert codes(parse(DATE | {"min": "today"}, "2030-05-31", ctx)) == ["date_too_early"]
    assert ctx.today == dt.date(2030, 6, 1)
    assert make_context().today == NOW.date()


def test_deeply_nested_input_is_refused_not_a_crash() -> None:
    deep: object = "x"
    for _ in range(5000):
        deep = [deep]
    for spec in (ADDRESS, MAP, TEXT, MULTI):
        assert codes(parse(spec, {"street": deep, "lat": deep} if spec is not TEXT else deep))
