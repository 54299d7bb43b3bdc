"""Blocks (repeated rows), computed fields and display-only fields."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from formkit import codes, field_context, make_field, parse, paths

from formflow.engine.errors import Rejected
from formflow.engine.fields import compute_value, field_types
from formflow.engine.fields.structure import decode_computed, encode_computed
from formflow.engine.values import Address

BLOCK: dict[str, Any] = {
    "id": "enfants",
    "type": "block",
    "min_rows": 1,
    "max_rows": 3,
    "row_label": "{{ prenom }}",
    "fields": [
        {"id": "prenom", "type": "text"},
        {"id": "age", "type": "integer", "min": 0, "max": 25},
        {"id": "ecole", "type": "text", "required": True, "show_if": "age and age >= 3"},
    ],
}


def test_rows_from_dotted_names() -> None:
    raw = {"0": {"prenom": "Ana", "age": "2"}, "1": {"prenom": "Bo", "age": "7", "ecole": "Jaurès"}}
    assert parse(BLOCK, raw) == [
        {"prenom": "Ana", "age": 2},
        {"prenom": "Bo", "age": 7, "ecole": "Jaurès"},
    ]


def test_rows_from_a_json_list() -> None:
    assert parse(BLOCK, [{"prenom": "Ana", "age": "1"}]) == [{"prenom": "Ana", "age": 1}]


def test_empty_rows_are_dropped_and_errors_keep_the_posted_index() -> None:
    raw = {"0": {"prenom": "", "age": ""}, "2": {"prenom": "Bo", "age": "x"}}
    result = parse(BLOCK, raw)
    assert codes(result) == ["invalid_integer"]
    assert paths(result) == ["enfants.2.age"]
    assert result.errors[0].field_id == "age"


def test_conditions_inside_a_row_use_the_row() -> None:
    result = parse(BLOCK, {"0": {"prenom": "Ana", "age": "2"}, "1": {"prenom": "Bo", "age": "5"}})
    assert paths(result) == ["enfants.1.ecole"]
    assert codes(result) == ["required"]


def test_hidden_fields_of_a_row_are_not_kept() -> None:
    result = parse(BLOCK, {"0": {"prenom": "Ana", "age": "1", "ecole": "Jaurès"}})
    assert result == [{"prenom": "Ana", "age": 1}]


def test_row_limits() -> None:
    assert codes(parse(BLOCK, {})) == ["required"]
    assert codes(parse(BLOCK | {"min_rows": 2}, {"0": {"prenom": "A", "age": "1"}})) == [
        "too_few_rows"
    ]
    four = {str(i): {"prenom": f"E{i}", "age": "1"} for i in range(4)}
    assert codes(parse(BLOCK, four)) == ["too_many_rows"]
    # Blank rows past the limit (an "add a row" never filled in) do not count.
    assert len(parse(BLOCK, {"0": {"prenom": "A", "age": "1"}, "7": {"prenom": ""}})) == 1


@pytest.mark.parametrize(
    "raw",
    ["Ana", 3, ["Ana"], {"0": "Ana"}, {"0": ["x"]}, {"abc": {"prenom": "A"}}, {"99999": {}}],
)
def test_hostile_rows_give_errors_or_nothing(raw: object) -> None:
    result = parse(BLOCK | {"required": False}, raw)
    assert result is None or isinstance(result, Rejected)


def test_nested_blocks_and_structured_fields_in_rows() -> None:
    spec = {
        "id": "foyers",
        "type": "block",
        "fields": [
            {"id": "adresse", "type": "address"},
            {"id": "membres", "type": "block", "fields": [{"id": "nom", "type": "text"}]},
        ],
    }
    raw = {
        "0": {
            "adresse": {"street": "1 rue Haute", "postcode": "75001", "city": "Paris"},
            "membres": {"0": {"nom": "Ana"}, "1": {"nom": ""}, "2": {"nom": "Bo"}},
        }
    }
    assert parse(spec, raw) == [
        {
            "adresse": Address("1 rue Haute", "75001", "Paris", "FR"),
            "membres": [{"nom": "Ana"}, {"nom": "Bo"}],
        }
    ]
    bad = {"0": {"adresse": {"street": "x", "postcode": "1", "city": "y"}, "membres": {}}}
    assert paths(parse(spec, bad)) == ["foyers.0.adresse.postcode", "foyers.0.membres"]


def test_block_json_round_trip_and_display() -> None:
    field = make_field(BLOCK)
    value = parse(BLOCK, {"0": {"prenom": "Ana", "age": "4", "ecole": "Jaurès"}})
    implementation = field_types["block"]
    data = json.loads(json.dumps(implementation.to_json(field, value)))
    assert implementation.from_json(field, data) == value
    text = implementation.display(field, value, field_context(field))
    assert text == "Ana — Prenom : Ana; Age : 4; Ecole : Jaurès"
    described = implementation.describe(field, field_context(field))
    assert [f["name"] for f in described["fields"]] == [
        "enfants.{index}.prenom",
        "enfants.{index}.age",
        "enfants.{index}.ecole",
    ]


def test_computed_fields_in_rows_use_the_row() -> None:
    spec = {
        "id": "lignes",
        "type": "block",
        "fields": [
            {"id": "quantite", "type": "integer"},
            {"id": "total", "type": "computed", "expression": "quantite * params.prix"},
        ],
    }
    from formkit import make_context

    ctx = make_context(parameters={"prix": Decimal("2.5")})
    names = {"params": ctx.parameters}
    assert parse(spec, {"0": {"quantite": "3"}}, ctx, names) == [
        {"quantite": 3, "total": Decimal("7.5")}
    ]


@pytest.mark.parametrize(
    ("expression", "names", "expected"),
    [
        ("a * 2", {"a": 3}, 6),
        ("a * 0.1", {"a": 3}, Decimal("0.30000000000000004")),  # floats become exact
        ("a ~ ' ' ~ b", {"a": "x", "b": "y"}, "x y"),
        ("a > 2", {"a": 3}, True),
        ("a + 1", {"a": None}, None),  # an answer it needs is missing
        ("undefined_name", {}, None),
        ("[a, a]", {"a": 1}, [1, 1]),
        ("d", {"d": dt.date(2026, 1, 31)}, dt.date(2026, 1, 31)),
        ("1.0 / 0", {}, None),
        ("x", {"x": float("inf")}, None),
        (
            "x",
            {"x": Address("1 rue", "75001", "Paris")},
            {"street": "1 rue", "postcode": "75001", "city": "Paris", "country": "FR"},
        ),
    ],
)
def test_compute_value(expression: str, names: dict[str, Any], expected: Any) -> None:
    field = make_field({"id": "c", "type": "computed", "expression": expression})
    assert compute_value(field, field_context(field, names=names)) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        1,
        "x",
        True,
        Decimal("1.50"),
        dt.date(2026, 1, 31),
        dt.time(9, 30),
        dt.datetime(2026, 1, 31, 9, 30),
        [Decimal("1"), "a"],
        {"a": dt.date(2026, 1, 1)},
    ],
)
def test_computed_values_round_trip_through_json(value: Any) -> None:
    assert decode_computed(json.loads(json.dumps(encode_computed(value)))) == value


@pytest.mark.parametrize("data", [1.5, {"$decimal": 3}, {"$date": "x"}, {"$decimal": "abc"}])
def test_decode_computed_refuses_bad_data(data: Any) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        decode_computed(data)


def test_comments_render_their_template() -> None:
    field = make_field({"id": "info", "type": "comment", "text": "Délai : {{ params.d }} jours"})
    ctx = field_context(field, names={"params": {"d": 10}})
    assert field_types["comment"].describe(field, ctx)["text"] == "Délai : 10 jours"
    broken = field_context(field, names={})
    assert field_types["comment"].describe(field, broken)["text"] == "Délai : {{ params.d }} jours"


def test_display_only_fields_hold_nothing() -> None:
    for kind in ("title", "subtitle", "comment"):
        implementation = field_types[kind]
        assert not implementation.holds_value
        assert not implementation.takes_input
        spec = {"id": "x", "type": kind, "label": "X", "text": "X"}
        if kind != "comment":
            spec.pop("text")
        else:
            spec.pop("label")
        field = make_field(spec)
        assert implementation.parse(field, "anything", field_context(field)) is None
        with pytest.raises(ValueError):  # noqa: PT011
            implementation.from_json(field, "x")
