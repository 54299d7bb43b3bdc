"""Cases, changes, messages and timers for the store tests, built without an engine."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from formflow.engine.cases import (
    Actor,
    Case,
    Changes,
    HistoryEntry,
    OutboxMessage,
    Timer,
    new_id,
    new_tracking_code,
)
from formflow.engine.store import Store

__all__ = [
    "AGENT",
    "CITIZEN",
    "PARIS",
    "T0",
    "act",
    "make_case",
    "message",
    "submit",
    "timer",
]

PARIS = ZoneInfo("Europe/Paris")
#: A Thursday morning in Paris: stores must keep the offset of case times.
T0 = dt.datetime(2026, 12, 3, 10, 0, tzinfo=PARIS)
CITIZEN = Actor("citizen", "u1", "Ana Lefèvre", "ana@example.org")
AGENT = Actor("agent", "a1", "Agent", "agent@ville.example", frozenset({"instructeurs", "chefs"}))


def make_case(
    *,
    at: dt.datetime = T0,
    site: str = "ville",
    form: str = "demande",
    status: str = "recue",
    submitter: str | None = "u1",
    tracking_code: str | None = None,
    answers: dict[str, Any] | None = None,
    case_id: str | None = None,
) -> Case:
    return Case(
        id=case_id or new_id(),
        site=site,
        form=form,
        form_version="f1a2b3c4d5e6f708",
        workflow="circuit",
        workflow_version="0a1b2c3d4e5f6071",
        status=status,
        answers=answers
        if answers is not None
        else {
            "nom": "Ana Lefèvre — « test »",
            "urgence": False,
            "quantite": 3,
            "montant": 12.5,
            "adresse": {"rue": "1 rue de la Paix", "commune": "Paris", "code": "75002"},
            "options": ["a", "b"],
            "vide": None,
        },
        created_at=at,
        updated_at=at,
        status_since=at,
        tracking_code=tracking_code or new_tracking_code(),
        submitter_id=submitter,
        submitter_email="ana@example.org",
        backoffice={"montant": None},
    )


def message(case_id: str, at: dt.datetime, index: int = 0, **fields: Any) -> OutboxMessage:
    return OutboxMessage(
        id=new_id(),
        case_id=case_id,
        kind="email",
        payload={"to": ["ana@example.org"], "subject": f"Message {index}", "body": "Bonjour"},
        created_at=at,
        idempotency_key=f"{case_id}:0:submit:{index}",
        **{"next_attempt_at": at, **fields},
    )


def timer(case_id: str, due: dt.datetime, kind: str = "timeout", **fields: Any) -> Timer:
    if kind == "timeout":
        fields = {"status": "recue", "index": 0, **fields}
    else:
        fields = {"action": "anonymiser", **fields}
    return Timer(new_id(), case_id, due, kind, **fields)  # type: ignore[arg-type]


def submit(
    store: Store,
    *,
    messages: int = 0,
    timers: list[dt.timedelta] | None = None,
    token: str | None = None,
    **case_fields: Any,
) -> Case:
    """Submit a new case with its ``submit`` entry, ``messages`` e-mails and timeouts."""
    case = make_case(**case_fields)
    at = case.created_at
    changes = Changes(
        history=[HistoryEntry(at, CITIZEN, "submit", None, case.status, messages=())],
        messages=[message(case.id, at, i) for i in range(messages)],
        timers=[timer(case.id, at + delay) for delay in timers or []],
        cancel_timers={"timeout"},
    )
    return store.submit(case, changes, token=token)


def act(
    store: Store,
    case: Case,
    *,
    to: str | None = None,
    at: dt.datetime | None = None,
    changes: Changes | None = None,
    expected_version: int | None = None,
    **case_fields: Any,
) -> Case:
    """Save ``case`` after an agent's action (moving it ``to`` a status if given)."""
    at = at or case.updated_at + dt.timedelta(hours=1)
    target = to or case.status
    changes = changes or Changes()
    changes.history.insert(
        0, HistoryEntry(at, AGENT, "instruire", case.status, target, comment="Vu", data={"n": 1})
    )
    moved = case.evolve(status=target, updated_at=at, **case_fields)
    if to is not None:
        moved = moved.evolve(status_since=at)
    version = case.version if expected_version is None else expected_version
    return store.save(moved, changes, expected_version=version)
