"""The workflow tests of tests/engine, run again on every store.

Every ``test_*`` of ``tests/engine/test_workflow.py`` is collected here too, with the
``engine`` fixture below in place of the in-memory one; the stateful machine of
``tests/engine/test_workflow_stateful.py`` runs on a store of each kind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
import storage_env  # noqa: F401 - before circuit: puts tests/engine on sys.path
import test_workflow as scenario
from builders import submit
from circuit import (  # noqa: F401 - fixtures
    AGENT,
    PARIS,
    SITE,
    Clock,
    circuit_site,
    clock,
)
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule
from test_workflow_stateful import ACTIONS, ACTORS, workflow_machine

from formflow.catalog import Site
from formflow.engine.core import Engine
from formflow.engine.store import InMemoryStore, Store
from formflow.storage import SqlStore

if TYPE_CHECKING:
    from storage_support import Databases

pytest_plugins = ["storage_support"]

# The scenario's tests, collected in this module: they take the `engine` fixture below.
globals().update(
    {name: value for name, value in vars(scenario).items() if name.startswith("test_")}
)


@pytest.fixture
def engine(circuit_site: Site, clock: Clock, make_store: Callable[..., Store]) -> Engine:
    store = make_store(cards={"ville": SITE["cards"]})
    return Engine(circuit_site, store, clock=clock, base_url="https://ville.example")


def test_timeout_at_a_date_from_the_answers(engine: Engine, clock: Clock) -> None:
    """The scenario's test, comparing instants: SQL stores return timer times in UTC."""
    case = scenario._ok(engine.act(scenario._submit(engine).id, "instruire", AGENT))
    [timer] = [t for t in engine.store.timers(case.id) if t.kind == "timeout"]
    assert timer.due_at == dt.datetime(2026, 12, 9, 0, 0, tzinfo=PARIS)  # the day before
    clock.now = timer.due_at
    assert engine.run_timers() == 1
    [notification] = [m for m in engine.store.messages(case.id) if m.kind == "notify"]
    assert notification.payload == {"user": "u1", "title": "C'est demain", "message": ""}


def test_a_broken_timer_does_not_hold_the_others_back(
    engine: Engine, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """The scenario's test without InMemoryStore internals (an SQL store would not take
    a timer of a case that does not exist): here the broken timer belongs to a case of a
    procedure the site no longer has."""
    good = scenario._submit(engine)
    orphan = submit(engine.store, form="retiree", at=clock.now, timers=[dt.timedelta(0)])
    [broken] = engine.store.timers(orphan.id)
    clock.advance(days=5)
    assert engine.run_timers() == 1
    assert engine.store.messages(good.id)[-1].payload["subject"] == "Relance"
    assert f"timer {broken.id} of case {orphan.id} failed" in caplog.text


# -- the stateful machine -----------------------------------------------------------------

#: Comments without NUL: SQL stores refuse it (PostgreSQL cannot store it), see
#: test_sql_store.py; the machine of tests/engine draws any text.
COMMENTS = st.one_of(
    st.none(), st.text(st.characters(exclude_characters="\x00", codec="utf-8"), max_size=20)
)


def machine_on(site: Site, new_store: Callable[[], Store]) -> type[RuleBasedStateMachine]:
    """The machine of test_workflow_stateful.py, each run on a store from ``new_store``."""
    base: Any = workflow_machine(site)

    class StoreMachine(base):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.stores: list[Store] = []

        def _new_store(self) -> Store:
            store = new_store()
            self.stores.append(store)
            return store

        @initialize()
        def start(self) -> None:
            base.start(self)  # the clock and the bookkeeping; then this run's store
            self.engine = Engine(site, self._new_store(), clock=self.clock)

        @rule(
            case_id=base.cases,
            actor=st.sampled_from(ACTORS),
            action=st.sampled_from(ACTIONS),
            comment=COMMENTS,
            montant=st.integers(min_value=0, max_value=10_000),
        )
        def act(
            self, case_id: str, actor: object, action: str, comment: str | None, montant: int
        ) -> None:
            base.act(self, case_id, actor, action, comment, montant)

        def teardown(self) -> None:
            for store in self.stores:
                if isinstance(store, SqlStore):
                    store.close()

    return StoreMachine


def test_random_event_sequences_on_each_store(
    circuit_site: Site, store_kind: str, databases: Databases
) -> None:
    def new_store() -> Store:
        if store_kind == "memory":
            return InMemoryStore()
        return SqlStore(databases.fresh(store_kind))

    machine: Any = machine_on(circuit_site, new_store)
    examples = 60 if store_kind == "memory" else 30
    machine.TestCase.settings = settings(
        max_examples=examples, stateful_step_count=25, deadline=None
    )
    machine.TestCase().runTest()
