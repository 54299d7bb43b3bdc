"""The storage interface of the engine, and a store that keeps everything in memory.

`Store` is what the engine needs from a database: write a case with the changes of a
transition atomically, read cases, and hand out due timers and pending outbox
messages. `InMemoryStore` implements it in a few dozen lines for tests, examples and
documentation; `formflow.storage` implements it on SQLAlchemy (SQLite, PostgreSQL).

Two guarantees every store gives:

* **optimistic locking** — `Store.save` with an ``expected_version`` that is no longer
  the stored one raises `ConflictError`: of two agents acting at once, one wins;
* **idempotent submission** — `Store.submit` twice with one ``token`` stores one case
  and returns it both times.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable

from formflow.engine.cases import Case, Changes, OutboxMessage, Timer
from formflow.exceptions import ConflictError, NotFoundError
from formflow.expressions import compile_expression

__all__ = ["CaseQuery", "Draft", "InMemoryStore", "Store"]


@dataclass(frozen=True, slots=True)
class CaseQuery:
    """Which cases to list; newest first, ``after`` a case id for the next page."""

    site: str | None = None
    forms: Sequence[str] = ()
    statuses: Sequence[str] = ()
    submitter_id: str | None = None
    limit: int = 50
    #: Keyset pagination: the id of the last case of the previous page.
    after: str | None = None


@dataclass(frozen=True, slots=True)
class Draft:
    """A form being filled in, saved to be resumed later."""

    id: str
    site: str
    form: str
    form_version: str
    #: The form run's state (`FormRun.to_json`).
    state: Mapping[str, Any]
    updated_at: dt.datetime
    owner_id: str | None = None
    #: Hash of the secret resume link, for anonymous citizens.
    secret_hash: str | None = None


@runtime_checkable
class Store(Protocol):
    """What the engine needs from storage."""

    def submit(self, case: Case, changes: Changes, *, token: str | None = None) -> Case:
        """Store a new case; the same ``token`` again returns the case stored first."""

    def save(self, case: Case, changes: Changes, *, expected_version: int) -> Case:
        """Store a changed case; `ConflictError` if it changed since ``expected_version``,
        or if a timer in ``changes.fired_timers`` is already gone (another worker fired
        it, and the case it saw may have been saved since: firing it again would run
        its steps twice)."""

    def get(self, case_id: str) -> Case:
        """A case by id; `NotFoundError` if there is none."""

    def by_tracking_code(self, site: str, code: str) -> Case | None:
        """The case of ``site`` with this tracking code."""

    def cases(self, query: CaseQuery) -> list[Case]:
        """Cases matching ``query``, newest first."""

    def messages(self, case_id: str) -> list[OutboxMessage]:
        """Every outbox message of a case, oldest first (shown to agents)."""

    def claim_messages(
        self, now: dt.datetime, until: dt.datetime, limit: int = 100
    ) -> list[OutboxMessage]:
        """Pending messages due at ``now``, claimed until ``until``.

        A claimed message is not handed to another worker before ``until``; a worker
        that dies mid-delivery lets its claim expire and the message is tried again.
        """

    def record_delivery(self, message: OutboxMessage) -> None:
        """Store the outcome of a delivery attempt (``message`` carries its new state)."""

    def timers(self, case_id: str) -> list[Timer]:
        """The pending timers of a case."""

    def due_timers(self, now: dt.datetime, limit: int = 100) -> list[Timer]:
        """Timers due at ``now``, earliest first."""

    def save_draft(self, draft: Draft) -> None:
        """Create or replace a draft."""

    def get_draft(self, draft_id: str) -> Draft | None:
        """A draft by id."""

    def delete_draft(self, draft_id: str) -> None:
        """Forget a draft (after submission)."""

    def card_records(self, site: str, card: str) -> list[dict[str, Any]]:
        """The records of a card on a site."""

    def open_statuses(self, site: str) -> set[tuple[str, str]]:
        """``(workflow, status)`` of the site's cases that are not closed."""


class InMemoryStore:
    """A `Store` in a few dicts, guarded by one lock. Nothing survives the process."""

    def __init__(self, cards: Mapping[str, Mapping[str, list[dict[str, Any]]]] | None = None):
        self._lock = threading.Lock()
        self._cases: dict[str, Case] = {}
        self._order: list[str] = []
        self._tokens: dict[str, str] = {}
        self._messages: dict[str, OutboxMessage] = {}
        self._timers: dict[str, Timer] = {}
        self._drafts: dict[str, Draft] = {}
        self._cards: dict[tuple[str, str], list[dict[str, Any]]] = {
            (site, card): [dict(r) for r in records]
            for site, by_card in (cards or {}).items()
            for card, records in by_card.items()
        }

    def submit(self, case: Case, changes: Changes, *, token: str | None = None) -> Case:
        with self._lock:
            if token is not None and token in self._tokens:
                return self._cases[self._tokens[token]]
            if case.id in self._cases:
                raise ConflictError(f"case {case.id} already exists")
            stored = self._write(case.evolve(version=1), changes)
            self._order.append(case.id)
            if token is not None:
                self._tokens[token] = case.id
            return stored

    def save(self, case: Case, changes: Changes, *, expected_version: int) -> Case:
        with self._lock:
            current = self._cases.get(case.id)
            if current is None:
                raise NotFoundError(f"no case {case.id!r}")
            if current.version != expected_version:
                raise ConflictError(
                    f"case {case.id} changed since it was read "
                    f"(version {expected_version}, now {current.version})"
                )
            gone = [t for t in changes.fired_timers if t not in self._timers]
            if gone:
                raise ConflictError(f"timer {gone[0]} of case {case.id} already fired")
            return self._write(case.evolve(version=expected_version + 1), changes)

    def _write(self, case: Case, changes: Changes) -> Case:
        case = case.evolve(history=case.history + tuple(changes.history))
        for kind in changes.cancel_timers:
            for timer_id in [
                t.id for t in self._timers.values() if t.case_id == case.id and t.kind == kind
            ]:
                del self._timers[timer_id]
        for timer_id in changes.fired_timers:
            self._timers.pop(timer_id, None)
        for timer in changes.timers:
            self._timers[timer.id] = timer
        for message in changes.messages:
            self._messages[message.id] = message
        for change in changes.cards:
            records = self._cards.setdefault((case.site, change.card), [])
            if change.match is None:
                records.append(dict(change.values))
            else:
                test = compile_expression(change.match)
                for record in records:
                    if test.is_true(record):
                        record.update(change.values)
        self._cases[case.id] = case
        return case

    def get(self, case_id: str) -> Case:
        with self._lock:
            try:
                return self._cases[case_id]
            except KeyError:
                raise NotFoundError(f"no case {case_id!r}") from None

    def by_tracking_code(self, site: str, code: str) -> Case | None:
        with self._lock:
            return next(
                (c for c in self._cases.values() if c.site == site and c.tracking_code == code),
                None,
            )

    def cases(self, query: CaseQuery) -> list[Case]:
        with self._lock:
            ids = list(reversed(self._order))
            if query.after is not None and query.after in ids:
                ids = ids[ids.index(query.after) + 1 :]
            found = []
            for case_id in ids:
                case = self._cases[case_id]
                if (
                    (query.site is None or case.site == query.site)
                    and (not query.forms or case.form in query.forms)
                    and (not query.statuses or case.status in query.statuses)
                    and (query.submitter_id is None or case.submitter_id == query.submitter_id)
                ):
                    found.append(case)
                    if len(found) == query.limit:
                        break
            return found

    def messages(self, case_id: str) -> list[OutboxMessage]:
        with self._lock:
            found = [m for m in self._messages.values() if m.case_id == case_id]
            return sorted(found, key=lambda m: m.created_at)

    def claim_messages(
        self, now: dt.datetime, until: dt.datetime, limit: int = 100
    ) -> list[OutboxMessage]:
        with self._lock:
            due = [
                m
                for m in self._messages.values()
                if m.state == "pending" and (m.next_attempt_at is None or m.next_attempt_at <= now)
            ]
            claimed = [
                replace(m, next_attempt_at=until)
                for m in sorted(due, key=lambda m: m.created_at)[:limit]
            ]
            for message in claimed:
                self._messages[message.id] = message
            return claimed

    def record_delivery(self, message: OutboxMessage) -> None:
        with self._lock:
            if message.id not in self._messages:
                raise NotFoundError(f"no message {message.id!r}")
            self._messages[message.id] = message

    def timers(self, case_id: str) -> list[Timer]:
        with self._lock:
            return sorted(
                (t for t in self._timers.values() if t.case_id == case_id), key=lambda t: t.due_at
            )

    def due_timers(self, now: dt.datetime, limit: int = 100) -> list[Timer]:
        with self._lock:
            due = sorted(
                (t for t in self._timers.values() if t.due_at <= now), key=lambda t: t.due_at
            )
            return due[:limit]

    def save_draft(self, draft: Draft) -> None:
        with self._lock:
            self._drafts[draft.id] = replace(draft, state=copy.deepcopy(dict(draft.state)))

    def get_draft(self, draft_id: str) -> Draft | None:
        with self._lock:
            return self._drafts.get(draft_id)

    def delete_draft(self, draft_id: str) -> None:
        with self._lock:
            self._drafts.pop(draft_id, None)

    def card_records(self, site: str, card: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._cards.get((site, card), [])]

    def open_statuses(self, site: str) -> set[tuple[str, str]]:
        with self._lock:
            return {
                (c.workflow, c.status)
                for c in self._cases.values()
                if c.site == site and c.closed_at is None
            }
