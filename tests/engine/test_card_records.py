"""records.<field>: computed values and conditions read the chosen card record."""

from __future__ import annotations

import pytest

from formflow.catalog import load_catalog, load_site
from formflow.engine import FormContext, FormRun
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
CARD = """
format: 1
slug: salles
title: Salles
key: code
label: "{{ nom }}"
fields:
  - {id: code, type: text, label: Code}
  - {id: nom, type: text, label: Nom}
  - {id: tarif, type: integer, label: Tarif}
"""
FORM = """
format: 1
slug: location
title: Location
workflow: simple
pages:
  - id: p
    title: Page
    fields:
      - {id: salle, type: choice, label: Salle, source: {type: card, card: salles}}
      - {id: jours, type: integer, label: Jours, min: 1}
      - id: prix
        type: computed
        label: Prix
        visible: true
        expression: "records.salle.tarif * jours if records.salle else none"
      - {id: caution, type: text, label: Caution, show_if: "records.salle.tarif > 100"}
"""
SITE = {
    "format": 1,
    "slug": "ville",
    "name": "Ville",
    "groups": {"g": "G"},
    "roles": {"receiver": "g"},
    "procedures": {"location": None},
    "cards": {
        "salles": [
            {"code": "a", "nom": "Salle A", "tarif": 50},
            {"code": "b", "nom": "Salle B", "tarif": 200},
        ]
    },
}


def _run() -> FormRun:
    catalog = load_catalog(
        {"workflows/simple.yaml": WORKFLOW, "cards/salles.yaml": CARD, "forms/location.yaml": FORM}
    )
    site = load_site(SITE, catalog)
    return FormRun.start(
        site.procedure("location").form.definition, FormContext.from_site(site, "location")
    )


def test_a_computed_value_uses_the_chosen_record() -> None:
    run = _run()
    result = run.submit({"salle": "a", "jours": "3", "caution": "ignored: hidden"})
    assert result.done, result.errors
    assert run.json_answers() == {"salle": "a", "jours": 3, "prix": 150}


def test_a_condition_uses_the_chosen_record() -> None:
    run = _run()
    result = run.submit({"salle": "b", "jours": "2"})
    assert [e.field_id for e in result.errors] == ["caution"]  # shown for room B, required
    assert run.submit({"salle": "b", "jours": "2", "caution": "chèque"}).done
    assert run.json_answers()["prix"] == 400


def test_records_names_are_checked_at_load() -> None:
    with pytest.raises(
        DefinitionError, match=r"unknown records\.sale \(did you mean 'records\.salle'\?\)"
    ):
        load_catalog(
            {
                "workflows/simple.yaml": WORKFLOW,
                "cards/salles.yaml": CARD,
                "forms/location.yaml": FORM.replace(
                    "records.salle.tarif * jours", "records.sale.tarif * jours"
                ),
            }
        )
