"""Random actions by random actors on random cases keep every case consistent."""

from __future__ import annotations

import datetime as dt

from circuit import (  # noqa: F401 - fixtures
    AGENT,
    ANSWERS,
    CHIEF,
    CITIZEN,
    OTHER_CITIZEN,
    OUTSIDER,
    PARIS,
    Clock,
    circuit_site,
)
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from formflow.catalog import Site
from formflow.engine.cases import Case, case_from_json, case_to_json
from formflow.engine.core import Engine
from formflow.engine.store import InMemoryStore
from formflow.engine.workflow import Refusal

ACTORS = [CITIZEN, OTHER_CITIZEN, AGENT, CHIEF, OUTSIDER]
ACTIONS = ["instruire", "refuser", "noter", "accepter", "chiffrer", "annuler", "inexistante"]


def workflow_machine(site: Site) -> type[RuleBasedStateMachine]:
    statuses = set(site.procedure("demande-test").workflow.definition.statuses)

    class CaseMachine(RuleBasedStateMachine):
        cases = Bundle("cases")

        @initialize()
        def start(self) -> None:
            self.clock = Clock(dt.datetime(2026, 12, 3, 10, 0, tzinfo=PARIS))
            self.engine = Engine(site, InMemoryStore(), clock=self.clock)
            #: case id -> the events we saw accepted, in order.
            self.accepted: dict[str, list[str]] = {}

        @rule(target=cases, urgent=st.booleans())
        def submit(self, urgent: bool) -> str:
            case = self.engine.submit("demande-test", {**ANSWERS, "urgence": urgent}, CITIZEN)
            self.accepted[case.id] = [e.event for e in case.history]
            return case.id

        @rule(
            case_id=cases,
            actor=st.sampled_from(ACTORS),
            action=st.sampled_from(ACTIONS),
            comment=st.one_of(st.none(), st.text(max_size=20)),
            montant=st.integers(min_value=0, max_value=10_000),
        )
        def act(
            self, case_id: str, actor: object, action: str, comment: str | None, montant: int
        ) -> None:
            before = self.engine.store.get(case_id)
            result = self.engine.act(
                case_id,
                action,
                actor,  # type: ignore[arg-type]
                comment=comment,
                data={"montant": str(montant)},
            )
            after = self.engine.store.get(case_id)
            if isinstance(result, Refusal):
                assert after == before
                return
            assert after == result
            assert after.version == before.version + 1
            new = after.history[len(before.history) :]
            assert new[0].event == action
            assert new[0].actor == actor
            self.accepted[case_id] += [e.event for e in new]

        @rule(days=st.integers(min_value=0, max_value=40))
        def time_passes(self, days: int) -> None:
            self.clock.advance(days=days)
            self.engine.run_timers()
            for case_id in self.accepted:
                case = self.engine.store.get(case_id)
                self.accepted[case_id] = [e.event for e in case.history]

        @invariant()
        def cases_are_consistent(self) -> None:
            if not hasattr(self, "engine"):
                return
            for case_id, events in self.accepted.items():
                case: Case = self.engine.store.get(case_id)
                assert case.status in statuses
                assert [e.event for e in case.history] == events
                assert case.history[-1].to_status == case.status
                # History links up: each entry starts where the previous one ended.
                for previous, entry in zip(case.history, case.history[1:], strict=False):
                    assert entry.from_status == previous.to_status
                assert (case.closed_at is not None) == any(
                    site.procedure("demande-test").workflow.definition.statuses[e.to_status].final
                    for e in case.history
                )
                assert case_from_json(case_to_json(case)) == case

    return CaseMachine


def test_random_event_sequences(circuit_site: Site) -> None:
    machine = workflow_machine(circuit_site)
    machine.TestCase.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
    machine.TestCase().runTest()
