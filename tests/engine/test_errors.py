"""`FieldError` and message building."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from formflow.engine.errors import MESSAGES, FieldError, Localized, build_error, format_param
from formflow.engine.validators import Invalid


def test_built_in_messages_are_in_french_and_english() -> None:
    error = build_error("nom", "nom", "required")
    assert error == FieldError(
        "nom", "nom", "required", "Ce champ est obligatoire.", "This field is required."
    )
    assert error.message("fr") == error.message("fr-BE") == "Ce champ est obligatoire."
    assert error.message("en-GB") == "This field is required."
    assert error.message("nl") == "Ce champ est obligatoire."  # French first


def test_every_placeholder_of_a_message_is_filled() -> None:
    params = {"max": 1, "min": 1, "step": 1, "places": 1, "accept": "PDF", "max_size": "1 MB"}
    for code in MESSAGES:
        error = build_error("x", "x", code, params=params)
        assert "{" not in error.message_fr + error.message_en, code


def test_an_unknown_code_gets_the_generic_message() -> None:
    assert build_error("x", "x", "strange").message_en == "This value is not valid."


def test_a_validator_brings_its_own_messages() -> None:
    invalid = Invalid("invalid_rna", "RNA ?", "RNA?")
    error = build_error("x", "x", "invalid_rna", invalid=invalid)
    assert (error.code, error.message_fr, error.message_en) == ("invalid_rna", "RNA ?", "RNA?")


def test_custom_messages_keep_unknown_braces() -> None:
    error = build_error(
        "x", "x", "too_long", params={"max": 3}, custom={"too_long": "{max} max {autre}"}
    )
    assert error.message_fr == "3 max {autre}"


@pytest.mark.parametrize(
    ("value", "french", "english"),
    [
        (Decimal("1234.5"), "1234,5", "1234.5"),
        (dt.date(2026, 1, 31), "31/01/2026", "31/01/2026"),
        (dt.datetime(2026, 1, 31, 9, 5), "31/01/2026 09:05", "31/01/2026 09:05"),
        (dt.time(9, 5), "09:05", "09:05"),
        (Localized("5 Mo", "5 MB"), "5 Mo", "5 MB"),
        (12, "12", "12"),
    ],
)
def test_format_param(value: object, french: str, english: str) -> None:
    assert format_param(value, "fr") == french
    assert format_param(value, "en") == english
