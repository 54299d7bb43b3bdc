"""Real threads, each with its own store (its own connections), on one database.

Written for PostgreSQL, where web and worker processes really run side by side; they run
on SQLite too (one writer at a time, ``BEGIN IMMEDIATE``), where they pass as well.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import pytest
import storage_env  # noqa: F401 - before circuit: puts tests/engine on sys.path
from builders import T0, act, submit
from circuit import AGENT, ANSWERS, CHIEF, CITIZEN, PARIS, SITE, Clock, circuit_site  # noqa: F401
from storage_env import SQL_KINDS

from formflow.catalog import Site
from formflow.engine.cases import Case
from formflow.engine.core import Engine
from formflow.engine.store import CaseQuery, Store
from formflow.exceptions import ConflictError
from formflow.storage import SqlStore

pytest_plugins = ["storage_support"]

T = TypeVar("T")


@pytest.fixture(params=SQL_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def stores(make_store: Callable[..., Store]) -> list[SqlStore]:
    """Four stores on one database, as four processes would have."""
    made = [make_store(cards={"ville": SITE["cards"]} if i == 0 else None) for i in range(4)]
    return [store for store in made if isinstance(store, SqlStore)]


def together(calls: list[Callable[[], T]]) -> list[T | BaseException]:
    """Run ``calls`` in threads released at the same instant; results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list[T | BaseException] = [RuntimeError("did not run")] * len(calls)

    def run(index: int, call: Callable[[], T]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except BaseException as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _wins_and_conflicts(results: list[Any]) -> tuple[list[Case], list[ConflictError]]:
    unexpected = [r for r in results if not isinstance(r, Case | ConflictError)]
    assert unexpected == []
    return (
        [r for r in results if isinstance(r, Case)],
        [r for r in results if isinstance(r, ConflictError)],
    )


def test_two_saves_of_one_version_one_wins(stores: list[SqlStore]) -> None:
    first, second = stores[:2]
    for _ in range(15):
        case = submit(first)
        results = together(
            [
                partial(act, first, case, to="instruction"),
                partial(act, second, case, to="refusee"),
            ]
        )
        [winner], [conflict] = _wins_and_conflicts(results)
        assert "changed since" in str(conflict)
        stored = first.get(case.id)
        assert stored == winner
        assert stored.version == 2
        assert [e.event for e in stored.history] == ["submit", "instruire"]


def _engines(site: Site, stores: list[SqlStore], clock: Clock) -> list[Engine]:
    return [Engine(site, store, clock=clock) for store in stores]


def test_two_agents_on_one_case_exactly_one_wins(
    circuit_site: Site, stores: list[SqlStore]
) -> None:
    clock = Clock(T0)
    agent, chief = _engines(circuit_site, stores[:2], clock)
    for _ in range(10):
        case = agent.submit("demande-test", ANSWERS, CITIZEN)
        results = together(
            [
                partial(agent.act, case.id, "instruire", AGENT, expected_version=case.version),
                partial(
                    chief.act,
                    case.id,
                    "refuser",
                    CHIEF,
                    comment="non",
                    expected_version=case.version,
                ),
            ]
        )
        [winner], [_] = _wins_and_conflicts(results)
        stored = agent.store.get(case.id)
        assert stored == winner
        assert stored.status in ("instruction", "refusee")
        assert [e.event for e in stored.history][:2] == ["submit", winner.history[1].event]
        assert stored.version == 2


def test_one_token_submitted_at_once_makes_one_case(
    circuit_site: Site, stores: list[SqlStore]
) -> None:
    engines = _engines(circuit_site, stores, Clock(T0))
    for round_ in range(5):
        token = f"token-{round_}"
        results = together(
            [partial(e.submit, "demande-test", ANSWERS, CITIZEN, token=token) for e in engines]
        )
        made = [r for r in results if isinstance(r, Case)]
        assert len(made) == len(results), results
        [case] = {r.id: r for r in made}.values()
        assert all(r == case for r in made)
        assert len(stores[0].messages(case.id)) == 2  # written once
    assert len(stores[0].cases(CaseQuery(limit=1000))) == 5


def test_workers_claim_each_message_exactly_once(stores: list[SqlStore]) -> None:
    made = [submit(stores[0], messages=3) for _ in range(40)]
    everything = {m.id for case in made for m in stores[0].messages(case.id)}
    now, until = T0, T0 + dt.timedelta(minutes=5)

    def worker(store: SqlStore) -> list[str]:
        claimed: list[str] = []
        while batch := store.claim_messages(now, until, limit=4):
            claimed += [m.id for m in batch]
        return claimed

    results = together([partial(worker, store) for store in stores])
    claims = [i for r in results for i in r]  # type: ignore[union-attr]
    assert len(claims) == len(everything) == 120
    assert set(claims) == everything


def test_timers_run_by_two_workers_fire_once(circuit_site: Site, stores: list[SqlStore]) -> None:
    clock = Clock(dt.datetime(2026, 12, 3, 10, 0, tzinfo=PARIS))
    engines = _engines(circuit_site, stores[:2], clock)
    made = [engines[0].submit("demande-test", ANSWERS, CITIZEN) for _ in range(12)]
    clock.advance(days=4)  # the 2-business-day reminder of each case is due
    fired = together([e.run_timers for e in engines])
    assert sum(fired) == 12  # type: ignore[arg-type]
    for case in made:
        events = [e.event for e in stores[0].get(case.id).history]
        assert events.count("timeout") == 1
        assert [t for t in stores[0].timers(case.id) if t.kind == "timeout"] == []
