"""Cases: one submission of a form, moving through its workflow.

A `Case` holds what a store persists: the answers keyed by field id, the workflow
status, the definition versions it started with, and an append-only history. What a
transition produces besides the new case (history entries, outbox messages, timers)
is gathered in `Changes`, which a `Store` writes in one transaction.

Cases are serialised with a ``schema`` number; `case_from_json` migrates older
serialisations, one documented step per version, so stored cases always load.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

__all__ = [
    "CASE_SCHEMA",
    "TRACKING_ALPHABET",
    "Actor",
    "CardChange",
    "Case",
    "Changes",
    "HistoryEntry",
    "OutboxMessage",
    "Timer",
    "case_from_json",
    "case_to_json",
    "new_id",
    "new_tracking_code",
]

#: Version of the serialised form of a case (`case_to_json`).
CASE_SCHEMA = 1
#: Tracking codes use no 0/O, 1/I/L or U: they are read over the phone and retyped.
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
#: 10 symbols of a 30-symbol alphabet: log2(30**10) ≈ 49 bits.
TRACKING_LENGTH = 10

ActorKind = Literal["citizen", "agent", "system"]
Channel = Literal["web", "phone", "counter", "mail", "api"]


def new_id() -> str:
    """A random case, message or timer id."""
    return uuid.uuid4().hex


def new_tracking_code() -> str:
    """An unguessable tracking code such as ``K7QM-4XR2-PV`` (about 49 bits).

    >>> len(new_tracking_code().replace("-", ""))
    10
    """
    raw = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who does something: a citizen, an agent (with groups), or the system."""

    kind: ActorKind
    #: A stable user id (None for an anonymous citizen or the system).
    id: str | None = None
    name: str | None = None
    email: str | None = None
    #: Agent groups (the site file maps workflow roles to groups).
    groups: frozenset[str] = frozenset()

    @classmethod
    def system(cls) -> Actor:
        return cls("system", None, "formflow")

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "groups": sorted(self.groups),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Actor:
        return cls(
            data["kind"],
            data.get("id"),
            data.get("name"),
            data.get("email"),
            frozenset(data.get("groups", ())),
        )


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One line of a case's history; never changed once written."""

    at: dt.datetime
    actor: Actor
    #: ``submit``, an action id, ``jump``, ``timeout`` or a global action id.
    event: str
    from_status: str | None
    to_status: str
    comment: str | None = None
    #: Shown on the citizen's case page.
    visible_to_citizen: bool = True
    #: Ids of the outbox messages this event produced (their delivery state is on them).
    messages: tuple[str, ...] = ()
    #: Answers of the action's small form, if it had one.
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Case:
    """A submitted form and where it stands in its workflow."""

    id: str
    site: str
    form: str
    form_version: str
    workflow: str
    workflow_version: str
    status: str
    #: Answers by field id, as JSON-ready values (see the form engine's `json_answers`).
    answers: Mapping[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime
    #: When the case entered its current status.
    status_since: dt.datetime
    tracking_code: str | None = None
    submitter_id: str | None = None
    submitter_email: str | None = None
    channel: Channel = "web"
    urgent: bool = False
    backoffice: Mapping[str, Any] = field(default_factory=dict)
    #: Roles the case is assigned to (``assign`` steps).
    assigned_roles: tuple[str, ...] = ()
    closed_at: dt.datetime | None = None
    anonymised: bool = False
    history: tuple[HistoryEntry, ...] = ()
    #: Optimistic-lock counter: incremented by every save.
    version: int = 0

    def evolve(self, **changes: Any) -> Case:
        """A copy with ``changes`` applied (cases are immutable)."""
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A side effect to deliver after the transaction: an e-mail, a webhook, a notification."""

    id: str
    case_id: str
    kind: Literal["email", "webhook", "notify"]
    #: What to deliver, fully rendered (recipients, subject, body; URL and JSON body …).
    payload: Mapping[str, Any]
    created_at: dt.datetime
    #: Receivers use it to ignore a message delivered twice.
    idempotency_key: str
    state: Literal["pending", "delivered", "failed"] = "pending"
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None
    last_error: str | None = None
    delivered_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Timer:
    """A timeout or timed global action, due at ``due_at``."""

    id: str
    case_id: str
    due_at: dt.datetime
    #: ``timeout`` (of ``status``, index ``index``) or ``global`` (action ``action``).
    kind: Literal["timeout", "global"]
    status: str | None = None
    index: int | None = None
    action: str | None = None


@dataclass(frozen=True, slots=True)
class CardChange:
    """A card record to create, or fields to update on the records ``match`` selects."""

    card: str
    values: Mapping[str, Any]
    #: For an update: ``(expression source, context)`` selecting the records.
    match: str | None = None


@dataclass(slots=True)
class Changes:
    """What a transition writes besides the case itself, in the same transaction."""

    history: list[HistoryEntry] = field(default_factory=list)
    messages: list[OutboxMessage] = field(default_factory=list)
    timers: list[Timer] = field(default_factory=list)
    #: Cancel the case's pending timers of these kinds before adding ``timers``.
    cancel_timers: set[str] = field(default_factory=set)
    cards: list[CardChange] = field(default_factory=list)
    #: Timers that fired in this transition: deleted with it.
    fired_timers: list[str] = field(default_factory=list)

    def extend(self, other: Changes) -> None:
        self.history += other.history
        self.messages += other.messages
        self.timers += other.timers
        self.cancel_timers |= other.cancel_timers
        self.cards += other.cards
        self.fired_timers += other.fired_timers


def _when(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_when(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value is not None else None


def case_to_json(case: Case) -> dict[str, Any]:
    """The case as JSON-ready data, tagged with `CASE_SCHEMA`."""
    data = asdict(case)
    for key in ("created_at", "updated_at", "status_since", "closed_at"):
        data[key] = _when(getattr(case, key))
    data["answers"] = dict(case.answers)
    data["backoffice"] = dict(case.backoffice)
    data["assigned_roles"] = list(case.assigned_roles)
    data["history"] = [
        {
            **asdict(entry),
            "at": entry.at.isoformat(),
            "actor": entry.actor.to_json(),
            "messages": list(entry.messages),
            "data": dict(entry.data),
        }
        for entry in case.history
    ]
    data["schema"] = CASE_SCHEMA
    return data


#: ``{from_schema: migration}`` for stored cases; schema 1 is the first.
CASE_MIGRATIONS: dict[int, Any] = {}


def case_from_json(data: Mapping[str, Any]) -> Case:
    """Rebuild a case from `case_to_json` data of this or an older schema."""
    return _case_from_dict(dict(data))


def _case_from_dict(data: dict[str, Any]) -> Case:
    schema = data.pop("schema", CASE_SCHEMA)
    if schema > CASE_SCHEMA:
        raise ValueError(f"case schema {schema} is newer than this formflow ({CASE_SCHEMA})")
    while schema < CASE_SCHEMA:
        data = CASE_MIGRATIONS[schema](data)
        schema += 1
    history = tuple(
        HistoryEntry(
            at=dt.datetime.fromisoformat(entry["at"]),
            actor=Actor.from_json(entry["actor"]),
            event=entry["event"],
            from_status=entry["from_status"],
            to_status=entry["to_status"],
            comment=entry.get("comment"),
            visible_to_citizen=entry.get("visible_to_citizen", True),
            messages=tuple(entry.get("messages", ())),
            data=entry.get("data", {}),
        )
        for entry in data.pop("history", ())
    )
    times = {
        key: _parse_when(data.pop(key))
        for key in ("created_at", "updated_at", "status_since", "closed_at")
    }
    return _build_case(data, times, history)


def _build_case(
    data: dict[str, Any], times: dict[str, dt.datetime | None], history: tuple[HistoryEntry, ...]
) -> Case:
    assigned = tuple(data.pop("assigned_roles", ()))
    created, updated, since = times["created_at"], times["updated_at"], times["status_since"]
    if created is None or updated is None or since is None:
        raise ValueError("a stored case needs created_at, updated_at and status_since")
    return Case(
        **data,
        created_at=created,
        updated_at=updated,
        status_since=since,
        closed_at=times["closed_at"],
        assigned_roles=assigned,
        history=history,
    )
