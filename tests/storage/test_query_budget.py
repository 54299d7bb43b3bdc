"""How many SQL statements each `SqlStore` call runs: budgets pinned, on SQLite and PostgreSQL.

Counted with a ``before_cursor_execute`` listener; the ``BEGIN`` that formflow emits on
SQLite is not counted (psycopg sends PostgreSQL's without a statement of ours), nor is
the ping of a pooled PostgreSQL connection at checkout (``pool_pre_ping``). An
``executemany`` is one statement: one round trip for all its rows.

=================================================  ======  ===============================
call                                               budget  statements
=================================================  ======  ===============================
``get``, ``by_tracking_code`` (found)              2       case row; its history
``by_tracking_code`` (no such code)                1       case row
``cases`` (any filters, any page)                  2       page of case rows; their history
``submit``: history, 2 messages, 1 timer           4       case; history; outbox; timers
``submit`` again with the same token               4       failed insert; token; get (2)
``save``: one history entry                        3       case (version check); history;
                                                           attachments (follow the answers)
``save``: + message, cancelled and new timers      6       + outbox; timers delete; insert
``save``: + card update                            +2      card records; updated records
``messages``, ``timers``, ``due_timers``           1
``open_statuses``                                  1       SELECT DISTINCT workflow, status
``claim_messages``                                 1       one UPDATE … RETURNING
``record_delivery``                                1       one UPDATE
=================================================  ======  ===============================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest
from builders import T0, act, message, submit, timer
from sqlalchemy import event
from storage_env import SQL_KINDS

from formflow.engine.cases import CardChange, Changes
from formflow.engine.store import CaseQuery
from formflow.storage import SqlStore

if TYPE_CHECKING:
    from formflow.engine.store import Store

pytest_plugins = ["storage_support"]


@pytest.fixture(params=SQL_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sql(store: Store) -> SqlStore:
    assert isinstance(store, SqlStore)
    return store


class Statements:
    def __init__(self) -> None:
        self.seen: list[str] = []

    @property
    def count(self) -> int:
        return len(self.seen)


@contextmanager
def statements(store: SqlStore) -> Iterator[Statements]:
    found = Statements()

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.startswith("BEGIN"):
            found.seen.append(" ".join(statement.split()[:4]))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield found
    finally:
        event.remove(store.engine, "before_cursor_execute", record)


def budget(store: SqlStore, call: Callable[[], object], expected: int) -> None:
    with statements(store) as counted:
        call()
    assert counted.count == expected, counted.seen


def test_reading_a_case(sql: SqlStore) -> None:
    case = act(sql, submit(sql, messages=2, timers=[dt.timedelta(days=1)]), to="instruction")
    budget(sql, lambda: sql.get(case.id), 2)
    assert case.tracking_code is not None
    budget(sql, lambda: sql.by_tracking_code("ville", case.tracking_code or ""), 2)
    budget(sql, lambda: sql.by_tracking_code("ville", "NONE-NONE-NO"), 1)
    budget(sql, lambda: sql.open_statuses("ville"), 1)


def test_listing(sql: SqlStore) -> None:
    made = [submit(sql, at=T0 + dt.timedelta(hours=i)) for i in range(5)]
    budget(sql, lambda: sql.cases(CaseQuery(limit=2)), 2)
    query = CaseQuery(site="ville", forms=["demande"], statuses=["recue"], after=made[3].id)
    budget(sql, lambda: sql.cases(query), 2)
    budget(sql, lambda: sql.cases(CaseQuery(forms=["none"])), 1)


def test_submitting(sql: SqlStore) -> None:
    budget(sql, lambda: submit(sql, messages=2, timers=[dt.timedelta(days=1)], token="t"), 4)
    budget(sql, lambda: submit(sql, messages=2, timers=[dt.timedelta(days=1)], token="t"), 4)
    budget(sql, lambda: submit(sql), 2)


def test_saving(sql: SqlStore) -> None:
    case = submit(sql, timers=[dt.timedelta(days=1)])
    with statements(sql) as counted:
        case = act(sql, case)
    assert counted.count == 3, counted.seen
    changes = Changes(
        messages=[message(case.id, T0)],
        timers=[timer(case.id, T0 + dt.timedelta(days=2))],
        cancel_timers={"timeout"},
    )
    with statements(sql) as counted:
        case = act(sql, case, to="instruction", changes=changes)
    assert counted.count == 6, counted.seen
    update = Changes(cards=[CardChange("salles", {"etat": "pris"}, match="code == 'a'")])
    with statements(sql) as counted:
        act(sql, case, changes=update)
    assert counted.count == 3 + 1, counted.seen  # no record matched: nothing to update
    sql.import_cards("ville", {"salles": [{"code": "a"}]})
    case = sql.get(case.id)
    with statements(sql) as counted:
        act(sql, case, changes=update)
    assert counted.count == 3 + 2, counted.seen


def test_outbox_and_timers(sql: SqlStore) -> None:
    case = submit(sql, messages=3, timers=[dt.timedelta(days=1)])
    budget(sql, lambda: sql.messages(case.id), 1)
    budget(sql, lambda: sql.timers(case.id), 1)
    budget(sql, lambda: sql.due_timers(T0 + dt.timedelta(days=2)), 1)
    claimed: list[Any] = []
    budget(sql, lambda: claimed.extend(sql.claim_messages(T0, T0 + dt.timedelta(minutes=5))), 1)
    budget(sql, lambda: sql.record_delivery(claimed[0]), 1)
