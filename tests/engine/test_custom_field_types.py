"""A field type registered by the host is usable in form files and in form runs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from formflow.catalog import load_catalog
from formflow.definitions.forms import CUSTOM_FIELD_TYPES, CustomField
from formflow.engine import FormContext, FormRun
from formflow.engine.errors import Reject
from formflow.engine.fields import FieldType, field_types, register_field_type
from formflow.engine.fields.base import clean_text
from formflow.exceptions import DefinitionError

WORKFLOW = """
format: 1
slug: simple
title: Simple
roles: {receiver: Service}
initial: recue
statuses:
  recue: {label: Reçue, actions: [{id: clore, label: Clore, by: receiver, to: close}]}
  close: {label: Close, final: true}
"""

FORM = """
format: 1
slug: impots
title: Impôts
workflow: simple
pages:
  - id: p
    title: Page
    fields:
      - {id: numero, type: numero_fiscal, label: Numéro fiscal, settings: {chiffres: 13}}
"""


class TaxNumberType(FieldType[CustomField, str]):
    """A number of as many digits as the field's settings say."""

    def parse(self, field: CustomField, raw: Any, ctx: Any) -> str | None:
        value = clean_text(raw, 40)
        if value is None:
            return None
        digits = value.replace(" ", "")
        if not (digits.isascii() and digits.isdigit()) or len(digits) != field.settings["chiffres"]:
            raise Reject("invalid")
        return digits


@pytest.fixture
def registered() -> Iterator[None]:
    register_field_type("numero_fiscal", TaxNumberType())
    try:
        yield
    finally:
        field_types.pop("numero_fiscal", None)
        CUSTOM_FIELD_TYPES.discard("numero_fiscal")


def test_an_unregistered_type_is_refused_with_a_suggestion() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_catalog(
            {
                "workflows/simple.yaml": WORKFLOW,
                "forms/impots.yaml": FORM.replace("numero_fiscal", "numero_fiscl"),
            }
        )
    [problem] = caught.value.problems
    assert problem.path == "pages[0].fields[0].type"
    assert problem.message == "unknown type 'numero_fiscl'"


def test_a_registered_type_loads_and_runs(registered: None) -> None:
    catalog = load_catalog({"workflows/simple.yaml": WORKFLOW, "forms/impots.yaml": FORM})
    form = catalog.form("impots").definition
    field = form.pages[0].fields[0]
    assert isinstance(field, CustomField)
    assert field.settings == {"chiffres": 13}
    run = FormRun.start(form, FormContext())
    refused = run.submit({"numero": "12"})
    assert [e.code for e in refused.errors] == ["invalid"]
    accepted = run.submit({"numero": "1234567890123"})
    assert accepted.done
    assert run.json_answers() == {"numero": "1234567890123"}


def test_a_misspelt_registered_type_gets_a_suggestion(registered: None) -> None:
    with pytest.raises(DefinitionError, match=r"did you mean 'numero_fiscal'\?"):
        load_catalog(
            {
                "workflows/simple.yaml": WORKFLOW,
                "forms/impots.yaml": FORM.replace("numero_fiscal", "numero_fiscl"),
            }
        )
