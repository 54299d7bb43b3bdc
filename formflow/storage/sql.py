"""`SqlStore`: the engine's `Store` on SQLAlchemy 2 (SQLite, PostgreSQL).

::

    from formflow.storage import SqlStore, upgrade

    upgrade("sqlite:///formflow.db")        # create or migrate the tables
    store = SqlStore("sqlite:///formflow.db")
    engine = Engine(site, store)

It behaves as `formflow.engine.store.InMemoryStore` does, with these guarantees:

* **one transaction per event** — `SqlStore.submit` and `SqlStore.save` write the case
  row, its new history entries, outbox messages, timers, attachments and card changes
  together or not at all;
* **optimistic locking** — ``save`` runs ``UPDATE … SET version = v + 1 WHERE id = :id
  AND version = :v``; no row updated means another agent (or a timer) saved first, and
  `ConflictError` says so. Nothing else was written;
* **idempotent submission** — the submission token is a UNIQUE column: of two submits
  with one token, even at the same instant in two processes, one inserts and the other
  hits the constraint, rolls back and returns the stored case;
* **several workers** — `SqlStore.claim_messages` claims with one ``UPDATE … WHERE seq IN
  (SELECT … FOR UPDATE SKIP LOCKED)`` on PostgreSQL, so concurrent workers never claim one
  message twice; on SQLite the statement runs in a ``BEGIN IMMEDIATE`` transaction, and
  SQLite has one writer at a time. ``due_timers`` may hand one timer to several workers:
  the engine saves with the case's version, and ``save`` refuses (`ConflictError`) to fire
  a timer whose row is already gone, so it fires once.

Reading a case takes two statements (the case row, then its history) in one snapshot;
the statement counts of every method are pinned by ``tests/storage/test_query_budget.py``.

Times: the case and its history are stored as `case_to_json` writes them and come back
exactly as written, offsets included (templates render them). Outbox messages, timers
and drafts are rows whose times are stored in UTC and come back as aware UTC datetimes.

Text containing a NUL character, and floats that are not finite (NaN, infinities), are
refused with `ValueError`, and nothing is written: PostgreSQL cannot store them, and
a SQLite database must stay movable to PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Engine, Row
from sqlalchemy.exc import IntegrityError

from formflow.engine.cases import (
    CardChange,
    Case,
    Changes,
    OutboxMessage,
    Timer,
    case_from_json,
    case_to_json,
)
from formflow.engine.context import BlobStore
from formflow.engine.store import CaseQuery, Draft
from formflow.exceptions import ConflictError, NotFoundError
from formflow.expressions import compile_expression
from formflow.storage.blobs import FileSystemBlobStore
from formflow.storage.database import configure_engine, create_engine_from_url, reader, writer
from formflow.storage.schema import attachments, cards, cases, drafts, history, outbox, timers

__all__ = ["SqlStore"]

#: The keys of a `formflow.engine.values.FileRef` in JSON answers.
_FILE_KEYS = frozenset({"id", "name", "content_type", "size", "sha256"})


class SqlStore:
    """A `formflow.engine.store.Store` in a SQL database.

    ``engine_or_url`` is a SQLAlchemy `Engine` (configured for formflow by
    `formflow.storage.database.configure_engine`) or a URL; ``None`` means
    `formflow.storage.database.default_url`. The tables must exist: run
    `formflow.storage.upgrade` first (``formflow db upgrade``).

    ``blobs`` keeps the contents of uploaded files (hand it to the forms as their blob
    store); by default a `FileSystemBlobStore` in ``FORMFLOW_BLOB_DIR``, or next to a
    SQLite database file (``formflow.db`` → ``formflow-files/``), or ``formflow-files/``.
    The ``formflow_attachments`` table records which case refers to which blob.
    """

    def __init__(
        self,
        engine_or_url: Engine | str | URL | None = None,
        *,
        blobs: BlobStore | None = None,
    ) -> None:
        if isinstance(engine_or_url, Engine):
            self.engine = configure_engine(engine_or_url)
        else:
            self.engine = create_engine_from_url(engine_or_url)
        self._read = reader(self.engine)
        self._write = writer(self.engine)
        self.blobs: BlobStore = (
            blobs if blobs is not None else FileSystemBlobStore(_default_blob_root(self.engine))
        )

    def close(self) -> None:
        """Close the pooled connections (the store can still be used: it reconnects)."""
        self.engine.dispose()

    # -- writing cases ----------------------------------------------------------------

    def submit(self, case: Case, changes: Changes, *, token: str | None = None) -> Case:
        stored = case.evolve(version=1, history=case.history + tuple(changes.history))
        row, entries = _case_row(stored)
        try:
            with self._write.begin() as conn:
                # The case row first: a replayed token fails here, before any other work.
                conn.execute(sa.insert(cases).values(**row, id=stored.id, submit_token=token))
                self._write_changes(conn, stored, changes, entries, first=0, new=True)
        except IntegrityError as exc:
            return self._resolve_failed_submit(stored, token, exc)
        return stored

    def _resolve_failed_submit(self, case: Case, token: str | None, exc: IntegrityError) -> Case:
        """After a constraint violation: the case of the same token, or a clear conflict."""
        with self._read.begin() as conn:
            if token is not None:
                existing = conn.execute(
                    sa.select(cases.c.id).where(cases.c.submit_token == token)
                ).scalar_one_or_none()
                if existing is not None:
                    return self._load(conn, existing)
            if _exists(conn, cases.c.id == case.id):
                raise ConflictError(f"case {case.id} already exists") from exc
            if case.tracking_code is not None and _exists(
                conn, cases.c.site == case.site, cases.c.tracking_code == case.tracking_code
            ):
                raise ConflictError(
                    f"tracking code {case.tracking_code} is already used on site {case.site}"
                ) from exc
        raise exc

    def save(self, case: Case, changes: Changes, *, expected_version: int) -> Case:
        stored = case.evolve(
            version=expected_version + 1, history=case.history + tuple(changes.history)
        )
        row, entries = _case_row(stored)
        with self._write.begin() as conn:
            result = conn.execute(
                sa.update(cases)
                .where(cases.c.id == case.id, cases.c.version == expected_version)
                .values(**row)
            )
            if result.rowcount != 1:
                current = conn.execute(
                    sa.select(cases.c.version).where(cases.c.id == case.id)
                ).scalar_one_or_none()
                if current is None:
                    raise NotFoundError(f"no case {case.id!r}")
                raise ConflictError(
                    f"case {case.id} changed since it was read "
                    f"(version {expected_version}, now {current})"
                )
            first = len(case.history)
            self._write_changes(conn, stored, changes, entries[first:], first=first, new=False)
        return stored

    def _write_changes(
        self,
        conn: Connection,
        case: Case,
        changes: Changes,
        entries: Sequence[Mapping[str, Any]],
        *,
        first: int,
        new: bool,
    ) -> None:
        """Everything but the case row; the end state is `InMemoryStore`'s."""
        _executemany(
            conn,
            sa.insert(history),
            [_history_row(case.id, first + offset, entry) for offset, entry in enumerate(entries)],
        )
        # A new case has no timers yet: cancelling its timers would delete nothing.
        cancelled = [] if new else sorted(changes.cancel_timers)
        fired = set(changes.fired_timers)
        if cancelled or fired:
            deleted = conn.execute(
                sa.delete(timers)
                .where(
                    sa.or_(
                        sa.and_(timers.c.case_id == case.id, timers.c.kind.in_(cancelled)),
                        timers.c.id.in_(fired),
                    )
                )
                .returning(timers.c.id)
            ).scalars()
            gone = fired - set(deleted)
            if gone:
                # Two workers read the same due timer; the other one fired it (and saved
                # the case) before this one read the case: firing it again would repeat
                # its effects. The version check cannot see that; the timer row can.
                raise ConflictError(
                    f"timer {', '.join(sorted(gone))} of case {case.id} already fired "
                    "or was cancelled"
                )
        _executemany(conn, sa.insert(timers), [_timer_row(t) for t in changes.timers])
        _executemany(conn, sa.insert(outbox), [_message_row(m) for m in changes.messages])
        files = list(_attachment_rows(case))
        if not new:
            # Files can leave a case (anonymisation, a replaced back-office file): the
            # table follows the case exactly, so a blob nobody refers to can be purged.
            conn.execute(sa.delete(attachments).where(attachments.c.case_id == case.id))
        _executemany(conn, sa.insert(attachments), files)
        self._apply_card_changes(conn, case.site, changes.cards)

    def _apply_card_changes(self, conn: Connection, site: str, changes: list[CardChange]) -> None:
        # Consecutive creations go in one statement; an update sees what came before it.
        for creating, group in itertools.groupby(changes, key=lambda c: c.match is None):
            batch = list(group)
            if creating:
                _executemany(
                    conn,
                    sa.insert(cards),
                    [
                        {"site": site, "card": c.card, "record": _no_nul(dict(c.values), c.card)}
                        for c in batch
                    ],
                )
                continue
            for change in batch:
                self._update_card_records(conn, site, change)

    def _update_card_records(self, conn: Connection, site: str, change: CardChange) -> None:
        assert change.match is not None
        test = compile_expression(change.match)
        values = _no_nul(dict(change.values), change.card)
        # FOR UPDATE (PostgreSQL): two cases updating one record do not lose a write.
        found = conn.execute(
            sa.select(cards.c.id, cards.c.record)
            .where(cards.c.site == site, cards.c.card == change.card)
            .order_by(cards.c.id)
            .with_for_update()
        ).all()
        updated = [
            {"record_id": record_id, "new_record": {**record, **values}}
            for record_id, record in found
            if test.is_true(record)
        ]
        _executemany(
            conn,
            sa.update(cards)
            .where(cards.c.id == sa.bindparam("record_id"))
            .values(record=sa.bindparam("new_record")),
            updated,
        )

    # -- reading cases ----------------------------------------------------------------

    def get(self, case_id: str) -> Case:
        with self._read.begin() as conn:
            return self._load(conn, case_id)

    def _load(self, conn: Connection, case_id: str) -> Case:
        row = conn.execute(_CASE_BY_ID, {"case_id": case_id}).one_or_none()
        if row is None:
            raise NotFoundError(f"no case {case_id!r}")
        entries = conn.execute(_HISTORY_OF_CASE, {"case_id": case_id}).scalars()
        return _case_from_row(row, list(entries))

    def by_tracking_code(self, site: str, code: str) -> Case | None:
        with self._read.begin() as conn:
            found = self._load_many(
                conn, _CASE_COLUMNS.where(cases.c.site == site, cases.c.tracking_code == code)
            )
        return found[0] if found else None

    def cases(self, query: CaseQuery) -> list[Case]:
        statement = _CASE_COLUMNS
        if query.site is not None:
            statement = statement.where(cases.c.site == query.site)
        if query.forms:
            statement = statement.where(cases.c.form.in_(list(query.forms)))
        if query.statuses:
            statement = statement.where(cases.c.status.in_(list(query.statuses)))
        if query.submitter_id is not None:
            statement = statement.where(cases.c.submitter_id == query.submitter_id)
        if query.after is not None:
            # Keyset pagination on (created_at, id), in the same statement. An unknown
            # ``after`` starts from the top, as InMemoryStore does.
            mark = sa.select(cases.c.created_at).where(cases.c.id == query.after).scalar_subquery()
            statement = statement.where(
                sa.or_(
                    mark.is_(None),
                    cases.c.created_at < mark,
                    sa.and_(cases.c.created_at == mark, cases.c.id < query.after),
                )
            )
        statement = statement.order_by(cases.c.created_at.desc(), cases.c.id.desc()).limit(
            query.limit
        )
        with self._read.begin() as conn:
            return self._load_many(conn, statement)

    def open_statuses(self, site: str) -> set[tuple[str, str]]:
        with self._read.begin() as conn:
            found = conn.execute(
                sa.select(cases.c.workflow, cases.c.status)
                .where(cases.c.site == site, cases.c.closed_at.is_(None))
                .distinct()
            )
            return {(workflow, status) for workflow, status in found}

    def _load_many(self, conn: Connection, statement: sa.Select[Any]) -> list[Case]:
        """The cases ``statement`` selects, in its order, with their histories: 2 statements."""
        rows = conn.execute(statement).all()
        if not rows:
            return []
        entries: dict[str, list[Any]] = {row.id: [] for row in rows}
        found = conn.execute(
            sa.select(history.c.case_id, history.c.entry)
            .where(history.c.case_id.in_(list(entries)))
            .order_by(history.c.case_id, history.c.seq)
        )
        for case_id, entry in found:
            entries[case_id].append(entry)
        return [_case_from_row(row, entries[row.id]) for row in rows]

    # -- outbox -----------------------------------------------------------------------

    def messages(self, case_id: str) -> list[OutboxMessage]:
        with self._read.begin() as conn:
            rows = conn.execute(
                sa.select(outbox)
                .where(outbox.c.case_id == case_id)
                .order_by(outbox.c.created_at, outbox.c.seq)
            ).all()
        return [_message_from_row(row) for row in rows]

    def claim_messages(
        self, now: dt.datetime, until: dt.datetime, limit: int = 100
    ) -> list[OutboxMessage]:
        due = (
            sa.select(outbox.c.seq)
            .where(
                outbox.c.state == "pending",
                sa.or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= now),
            )
            .order_by(outbox.c.created_at, outbox.c.seq)
            .limit(limit)
            # Rows another worker is claiming are skipped, not waited for (PostgreSQL;
            # SQLite renders nothing here and has a single writer anyway).
            .with_for_update(skip_locked=True)
        )
        with self._write.begin() as conn:
            rows = conn.execute(
                sa.update(outbox)
                .where(outbox.c.seq.in_(due))
                .values(next_attempt_at=until)
                .returning(*outbox.c)
            ).all()
        # RETURNING promises no order.
        return [
            _message_from_row(row)
            for row in sorted(rows, key=lambda row: (row.created_at, row.seq))
        ]

    def record_delivery(self, message: OutboxMessage) -> None:
        with self._write.begin() as conn:
            result = conn.execute(
                sa.update(outbox)
                .where(outbox.c.id == message.id)
                .values(
                    state=message.state,
                    attempts=message.attempts,
                    next_attempt_at=message.next_attempt_at,
                    last_error=message.last_error,
                    delivered_at=message.delivered_at,
                )
            )
            if result.rowcount != 1:
                raise NotFoundError(f"no message {message.id!r}")

    # -- timers -----------------------------------------------------------------------

    def timers(self, case_id: str) -> list[Timer]:
        return self._timers(timers.c.case_id == case_id)

    def due_timers(self, now: dt.datetime, limit: int = 100) -> list[Timer]:
        return self._timers(timers.c.due_at <= now, limit=limit)

    def _timers(self, condition: sa.ColumnElement[bool], limit: int | None = None) -> list[Timer]:
        statement = (
            sa.select(timers).where(condition).order_by(timers.c.due_at, timers.c.seq).limit(limit)
        )
        with self._read.begin() as conn:
            rows = conn.execute(statement).all()
        return [
            Timer(
                id=row.id,
                case_id=row.case_id,
                due_at=row.due_at,
                kind=row.kind,
                status=row.status,
                index=row.timeout_index,
                action=row.action,
            )
            for row in rows
        ]

    # -- drafts -----------------------------------------------------------------------

    def save_draft(self, draft: Draft) -> None:
        values = {
            "site": draft.site,
            "form": draft.form,
            "form_version": draft.form_version,
            "state": _no_nul(dict(draft.state), f"draft {draft.id}"),
            "updated_at": draft.updated_at,
            "owner_id": draft.owner_id,
            "secret_hash": draft.secret_hash,
        }
        with self._write.begin() as conn:
            _upsert(conn, drafts, {"id": draft.id, **values}, key="id")

    def get_draft(self, draft_id: str) -> Draft | None:
        with self._read.begin() as conn:
            row = conn.execute(sa.select(drafts).where(drafts.c.id == draft_id)).one_or_none()
        if row is None:
            return None
        return Draft(
            id=row.id,
            site=row.site,
            form=row.form,
            form_version=row.form_version,
            state=row.state,
            updated_at=row.updated_at,
            owner_id=row.owner_id,
            secret_hash=row.secret_hash,
        )

    def delete_draft(self, draft_id: str) -> None:
        with self._write.begin() as conn:
            conn.execute(sa.delete(drafts).where(drafts.c.id == draft_id))

    # -- cards ------------------------------------------------------------------------

    def card_records(self, site: str, card: str) -> list[dict[str, Any]]:
        with self._read.begin() as conn:
            records = conn.execute(
                sa.select(cards.c.record)
                .where(cards.c.site == site, cards.c.card == card)
                .order_by(cards.c.id)
            ).scalars()
            return [dict(record) for record in records]

    def import_cards(self, site: str, records: Mapping[str, Iterable[Mapping[str, Any]]]) -> None:
        """Replace the records of the cards named in ``records`` (``{card: [record, …]}``).

        The counterpart of ``InMemoryStore(cards=…)``: load a site's reference data
        (rooms, bins …) from its site file. Cards not named are left alone.
        """
        with self._write.begin() as conn:
            conn.execute(
                sa.delete(cards).where(cards.c.site == site, cards.c.card.in_(list(records)))
            )
            _executemany(
                conn,
                sa.insert(cards),
                [
                    {"site": site, "card": card, "record": _no_nul(dict(record), card)}
                    for card, card_records in records.items()
                    for record in card_records
                ],
            )

    # -- attachments ------------------------------------------------------------------

    def attachments(self, case_id: str) -> list[dict[str, Any]]:
        """The files a case refers to: ``field``, ``blob_id``, ``name``, ``content_type``,
        ``size``, ``sha256`` (the bytes: ``self.blobs.get(blob_id)``)."""
        with self._read.begin() as conn:
            rows = conn.execute(
                sa.select(attachments)
                .where(attachments.c.case_id == case_id)
                .order_by(attachments.c.field, attachments.c.blob_id)
            ).mappings()
            return [{k: v for k, v in row.items() if k != "case_id"} for row in rows]

    def blob_in_use(self, blob_id: str) -> bool:
        """Whether a case still refers to ``blob_id`` (check before deleting a blob)."""
        with self._read.begin() as conn:
            return _exists(conn, attachments.c.blob_id == blob_id)


# -- rows ---------------------------------------------------------------------------------

#: A result row of any shape.
_Row = Row[*tuple[Any, ...]]

#: Fields of a case kept in columns of their own (filtered and sorted on) and read back
#: from them; the document holds the rest, so that nothing has two sources of truth.
#: The times are the exception: the columns hold them in UTC, for queries, and the
#: document as the engine wrote them, offset included (templates render them).
_COLUMN_FIELDS = (
    "id",
    "site",
    "form",
    "form_version",
    "workflow",
    "workflow_version",
    "status",
    "tracking_code",
    "submitter_id",
    "channel",
    "urgent",
    "anonymised",
    "answers",
    "version",
)
_TIME_FIELDS = ("created_at", "updated_at", "status_since", "closed_at")

#: What a case is rebuilt from (with its history).
_CASE_COLUMNS = sa.select(*(cases.c[name] for name in _COLUMN_FIELDS), cases.c.document)
# The statements of `SqlStore.get`, built once: it is the most frequent call.
_CASE_BY_ID = _CASE_COLUMNS.where(cases.c.id == sa.bindparam("case_id"))
_HISTORY_OF_CASE = (
    sa.select(history.c.entry)
    .where(history.c.case_id == sa.bindparam("case_id"))
    .order_by(history.c.seq)
)


def _case_row(case: Case) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The columns of a case row (less id and token), and its serialised history."""
    document = case_to_json(case)
    entries: list[dict[str, Any]] = document.pop("history")
    row = {name: document.pop(name) for name in _COLUMN_FIELDS}
    del row["id"]
    row.update({name: getattr(case, name) for name in _TIME_FIELDS})
    _no_nul(row, f"case {case.id}")
    _no_nul(document, f"case {case.id}")
    _no_nul(entries, f"the history of case {case.id}")
    return {**row, "document": document}, entries


def _case_from_row(row: _Row, entries: list[Any]) -> Case:
    columns = row._mapping
    return case_from_json(
        {
            **columns["document"],
            **{name: columns[name] for name in _COLUMN_FIELDS},
            "history": entries,
        }
    )


def _history_row(case_id: str, seq: int, entry: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "seq": seq,
        "at": dt.datetime.fromisoformat(entry["at"]),
        "event": entry["event"],
        "actor_kind": entry["actor"]["kind"],
        "actor_id": entry["actor"]["id"],
        "to_status": entry["to_status"],
        "entry": entry,
    }


def _timer_row(timer: Timer) -> dict[str, Any]:
    return {
        "id": timer.id,
        "case_id": timer.case_id,
        "due_at": timer.due_at,
        "kind": timer.kind,
        "status": timer.status,
        "timeout_index": timer.index,
        "action": timer.action,
    }


def _message_row(message: OutboxMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "case_id": message.case_id,
        "kind": message.kind,
        "payload": _no_nul(dict(message.payload), f"message {message.id}"),
        "created_at": message.created_at,
        "idempotency_key": message.idempotency_key,
        "state": message.state,
        "attempts": message.attempts,
        "next_attempt_at": message.next_attempt_at,
        "last_error": message.last_error,
        "delivered_at": message.delivered_at,
    }


def _message_from_row(row: _Row) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        case_id=row.case_id,
        kind=row.kind,
        payload=row.payload,
        created_at=row.created_at,
        idempotency_key=row.idempotency_key,
        state=row.state,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
    )


def _attachment_rows(case: Case) -> Iterator[dict[str, Any]]:
    """One row per file the case's answers and back-office fields refer to."""
    seen: set[tuple[str, str]] = set()
    for values in (case.answers, case.backoffice):
        for field, value in values.items():
            for ref in _file_refs(value):
                if (field, ref["id"]) not in seen:
                    seen.add((field, ref["id"]))
                    yield {
                        "case_id": case.id,
                        "field": field,
                        "blob_id": ref["id"],
                        "name": ref["name"],
                        "content_type": ref["content_type"],
                        "size": ref["size"],
                        "sha256": ref["sha256"],
                    }


def _file_refs(value: Any) -> Iterator[Mapping[str, Any]]:
    # Files can sit in blocks and lists: look everywhere for a FileRef's JSON shape.
    if isinstance(value, Mapping):
        if value.keys() >= _FILE_KEYS and isinstance(value["id"], str):
            yield value
            return
        for item in value.values():
            yield from _file_refs(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _file_refs(item)


# -- helpers ------------------------------------------------------------------------------


def _executemany(conn: Connection, statement: Any, rows: list[dict[str, Any]]) -> None:
    """Run ``statement`` once for all ``rows`` (one round trip), or not at all."""
    if rows:
        conn.execute(statement, rows)


def _exists(conn: Connection, *conditions: sa.ColumnElement[bool]) -> bool:
    return bool(conn.execute(sa.select(sa.exists().where(*conditions))).scalar())


def _upsert(conn: Connection, table: sa.Table, values: dict[str, Any], key: str) -> None:
    """Insert ``values``, or update the row with the same ``key``, in one statement."""
    # INSERT … ON CONFLICT: the same syntax on both databases formflow supports.
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(table)
    conn.execute(
        insert.values(values).on_conflict_do_update(
            index_elements=[key],
            set_={name: insert.excluded[name] for name in values if name != key},
        )
    )


def _no_nul(value: Any, where: str) -> Any:
    """``value`` unchanged; `ValueError` if it holds what a database cannot store as JSON:
    text with a NUL character (PostgreSQL refuses it), or a float that is not finite."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{where}: text with a NUL character cannot be stored")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}: {value} is not a number JSON can hold")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _no_nul(key, where)
            _no_nul(item, where)
    elif isinstance(value, list | tuple):
        for item in value:
            _no_nul(item, where)
    return value


def _default_blob_root(engine: Engine) -> Path:
    configured = os.environ.get("FORMFLOW_BLOB_DIR")
    if configured:
        return Path(configured)
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        path = Path(database)
        return path.with_name(f"{path.stem}-files")
    return Path("formflow-files")
