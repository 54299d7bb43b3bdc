"""A small catalogue that exercises every workflow feature, and an engine over it.

Imported by the workflow tests (fixtures included), not a conftest: tests/engine has
other test modules with fixtures of their own.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from formflow.catalog import Site, load_catalog, load_site
from formflow.engine.cases import Actor
from formflow.engine.core import Engine
from formflow.engine.store import InMemoryStore

PARIS = ZoneInfo("Europe/Paris")

WORKFLOW = """
format: 1
slug: circuit
title: Circuit de test
roles: {receiver: Instructeur, manager: Responsable}
initial: recue
backoffice_fields:
  - {id: montant, type: integer, label: Montant, required: false}
  - {id: decide_le, type: date, label: Décidé le, required: false}
templates:
  accuse: {subject: "Reçu {{ case.tracking_code }}", body: "Bonjour {{ answers.nom }}"}
statuses:
  recue:
    label: Reçue
    on_enter:
      - {do: email, to: submitter, template: accuse}
      - do: email
        to: [receiver, "service@ville.example"]
        subject: Nouveau
        body: "{{ case.url }}"
    jumps:
      - {to: urgente, condition: "answers.urgence"}
    actions:
      - {id: instruire, label: Instruire, by: receiver, to: instruction}
      - {id: refuser, label: Refuser, by: [receiver, manager], to: refusee, comment: required}
      - id: noter
        label: Noter
        by: receiver
        comment: optional
        comment_visible_to_citizen: false
    timeouts:
      - after: 2 business days
        steps: [{do: email, to: receiver, subject: Relance, body: En attente}]
  urgente:
    label: Urgente
    visible: false
    on_enter: [{do: assign, role: manager}]
    actions:
      - {id: instruire, label: Instruire, by: [receiver, manager], to: instruction}
  instruction:
    label: En instruction
    actions:
      - id: accepter
        label: Accepter
        by: receiver
        to: acceptee
        condition: "backoffice.montant is not none"
        steps:
          - {do: set_field, field: decide_le, value: today}
      - id: chiffrer
        label: Chiffrer
        by: receiver
        form: [{id: montant, type: integer, label: Montant}]
        steps:
          - {do: set_field, field: montant, value: "action.montant | int"}
          - {do: comment, text: "Montant estimé : {{ action.montant }} €"}
    timeouts:
      - {at: answers.date_evenement, offset: -1 day, steps: [{do: notify, title: C'est demain}]}
  acceptee:
    label: Acceptée
    final: true
    on_enter:
      - do: webhook
        url: "https://hooks.example/{{ case.form }}"
        secret: cle_webhook
      - {do: card, card: salles, action: update, match: "code == 'a'", values: {etat: reservee}}
      - {do: card, card: salles, values: {code: "{{ case.tracking_code }}", etat: libre}}
  refusee: {label: Refusée, final: true}
  annulee: {label: Annulée, final: true}
global_actions:
  - {id: annuler, label: Annuler, by: submitter, to: annulee, statuses: [recue, urgente]}
  - id: anonymiser
    label: Anonymiser
    timer: {after: 30 days, since: closing}
    steps: [{do: anonymise, keep: [code_postal]}]
"""

FORM = """
format: 1
slug: demande-test
title: Demande de test
workflow: circuit
pages:
  - id: p
    title: Page
    fields:
      - {id: nom, type: text, label: Nom}
      - {id: courriel, type: email, label: Courriel}
      - {id: code_postal, type: text, label: Code postal, validator: fr_postcode}
      - {id: urgence, type: boolean, label: Urgent}
      - {id: date_evenement, type: date, label: Date, required: false}
"""

CARD = """
format: 1
slug: salles
title: Salles
key: code
label: "{{ code }}"
fields:
  - {id: code, type: text, label: Code}
  - {id: etat, type: text, label: État}
"""

SITE = {
    "format": 1,
    "slug": "ville",
    "name": "Ville de Test",
    "contact": {"email": "mairie@ville.example"},
    "groups": {"instructeurs": "Instructeurs", "chefs": "Chefs"},
    "roles": {"receiver": "instructeurs", "manager": "chefs"},
    "procedures": {"demande-test": None},
    "cards": {"salles": [{"code": "a", "etat": "libre"}]},
    "secrets": {"cle_webhook": "env:WEBHOOK_KEY"},
}

CITIZEN = Actor("citizen", "u1", "Ana", "ana@example.org")
OTHER_CITIZEN = Actor("citizen", "u2", "Bo", "bo@example.org")
AGENT = Actor("agent", "a1", "Agent", "agent@ville.example", frozenset({"instructeurs"}))
CHIEF = Actor("agent", "a2", "Chef", None, frozenset({"chefs"}))
OUTSIDER = Actor("agent", "a3", "Autre", None, frozenset({"autres"}))

ANSWERS = {
    "nom": "Ana",
    "courriel": "ana@example.org",
    "code_postal": "75011",
    "urgence": False,
    "date_evenement": "2026-12-10",
}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture(scope="session")
def circuit_site() -> Site:
    catalog = load_catalog(
        {
            "workflows/circuit.yaml": WORKFLOW,
            "forms/demande-test.yaml": FORM,
            "cards/salles.yaml": CARD,
        }
    )
    return load_site(SITE, catalog)


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2026, 12, 3, 10, 0, tzinfo=PARIS))  # a Thursday


@pytest.fixture
def engine(circuit_site: Site, clock: Clock) -> Engine:
    store = InMemoryStore(cards={"ville": SITE["cards"]})  # type: ignore[dict-item]
    return Engine(circuit_site, store, clock=clock, base_url="https://ville.example")
