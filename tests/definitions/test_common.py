"""formflow.definitions.common and the small parsers of the definition language."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from formflow.definitions.common import ParsedDuration, parse_duration, text_for
from formflow.definitions.forms import ChoiceField, Prefill, TextField, parse_date_bound
from formflow.definitions.migrations import migrate
from formflow.definitions.workflows import EmailStep, Timeout


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10 days", ParsedDuration(10, "days")),
        ("1 day", ParsedDuration(1, "days")),
        ("10 business days", ParsedDuration(10, "business_days")),
        ("3 working days", ParsedDuration(3, "business_days")),
        ("-1 day", ParsedDuration(-1, "days")),
        ("+2 hours", ParsedDuration(2, "hours")),
        ("15 minutes", ParsedDuration(15, "minutes")),
        ("3 months", ParsedDuration(3, "months")),
        ("1 year", ParsedDuration(1, "years")),
        ("2 weeks", ParsedDuration(2, "weeks")),
    ],
)
def test_parse_duration(text: str, expected: ParsedDuration) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["10 jours", "days", "", "1.5 days", "10days"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("bound", "expected"),
    [
        ("today", dt.date(2024, 2, 29)),
        ("now", dt.date(2024, 2, 29)),
        ("today + 2 days", dt.date(2024, 3, 2)),
        ("today - 1 week", dt.date(2024, 2, 22)),
        ("today - 18 years", dt.date(2006, 2, 28)),  # no 29 February in 2006
        ("today + 1 month", dt.date(2024, 3, 29)),
        ("today - 2 months", dt.date(2023, 12, 29)),
        ("2025-01-01", dt.date(2025, 1, 1)),
    ],
)
def test_parse_date_bound(bound: str, expected: dt.date) -> None:
    assert parse_date_bound(bound, dt.date(2024, 2, 29)) == expected


def test_parse_date_bound_refuses() -> None:
    with pytest.raises(ValueError, match="not a date bound"):
        parse_date_bound("tomorrow", dt.date(2024, 1, 1))


def test_text_for_picks_the_language_then_falls_back() -> None:
    text = {"fr": "Oui", "en": "Yes", "nl": "Ja"}
    assert text_for(text, "nl") == "Ja"
    assert text_for(text, "en-GB") == "Yes"
    assert text_for(text, "de") == "Oui"
    assert text_for({"nl": "Ja"}, "de") == "Ja"
    assert text_for("Oui", "en") == "Oui"
    assert text_for(None, "fr") == ""


def test_option_shorthand() -> None:
    field = ChoiceField.model_validate(
        {
            "id": "v",
            "type": "choice",
            "label": "V",
            "options": [120, "om", {"value": "x", "label": "X"}],
        }
    )
    assert [(o.value, o.label) for o in field.options] == [("120", "120"), ("om", "om"), ("x", "X")]


@pytest.mark.parametrize(
    ("model", "data", "message"),
    [
        (ChoiceField, {"id": "v", "type": "choice", "label": "V"}, "either options or source"),
        (
            ChoiceField,
            {"id": "v", "type": "choice", "label": "V", "options": [1, "1"]},
            "given twice",
        ),
        (Prefill, {}, "exactly one"),
        (Prefill, {"value": 1, "profile": "email"}, "exactly one"),
        (EmailStep, {"do": "email", "to": "submitter"}, "either template"),
        (EmailStep, {"do": "email", "to": "submitter", "subject": "S"}, "both subject and body"),
        (Timeout, {"to": "x"}, "either after or at"),
        (Timeout, {"after": "1 day", "offset": "-1 day", "to": "x"}, "offset goes with at"),
        (Timeout, {"after": "1 day"}, "a target status"),
    ],
)
def test_model_rules(model: type, data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        model.model_validate(data)


def test_numbers_bounds() -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        TextField.model_validate({"id": "a", "type": "text", "label": "A", "max_length": 0})
    from formflow.definitions.forms import IntegerField

    with pytest.raises(ValidationError, match=r"min \(5\) is greater than max \(1\)"):
        IntegerField.model_validate(
            {"id": "a", "type": "integer", "label": "A", "min": 5, "max": 1}
        )


@pytest.mark.parametrize(
    ("version", "message"),
    [(True, "whole number"), ("1", "whole number"), (0, "does not exist"), (9, "newer")],
)
def test_migrate_refuses_unknown_formats(version: object, message: str) -> None:
    _, error = migrate("forms", {"format": version})
    assert error is not None
    assert message in error


def test_migrate_current_format_is_unchanged() -> None:
    assert migrate("forms", {"format": 1, "slug": "x"}) == ({"format": 1, "slug": "x"}, None)
    assert migrate("forms", {"slug": "x"}) == ({"slug": "x"}, None)
