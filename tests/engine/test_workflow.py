"""formflow.engine.workflow: actions, refusals, jumps, timeouts, global actions, steps."""

from __future__ import annotations

import pytest
from circuit import (  # noqa: F401 - fixtures
    AGENT,
    ANSWERS,
    CHIEF,
    CITIZEN,
    OTHER_CITIZEN,
    OUTSIDER,
    Clock,
    circuit_site,
    clock,
    engine,
)

from formflow.catalog import Site
from formflow.engine.cases import Actor, Case
from formflow.engine.core import Engine
from formflow.engine.workflow import Refusal, WorkflowRuntime, roles_of
from formflow.exceptions import ConflictError


def _submit(engine: Engine, **answers: object) -> Case:
    return engine.submit("demande-test", {**ANSWERS, **answers}, CITIZEN)


def _ok(result: Case | Refusal) -> Case:
    assert isinstance(result, Case), result
    return result


def test_submission_enters_the_initial_status_and_writes_the_history(engine: Engine) -> None:
    case = _submit(engine)
    assert case.status == "recue"
    assert case.version == 1
    assert case.tracking_code is not None
    assert case.submitter_id == "u1"
    assert case.submitter_email == "ana@example.org"
    [entry] = case.history
    assert (entry.event, entry.from_status, entry.to_status) == ("submit", None, "recue")


def test_entry_steps_become_rendered_outbox_messages(engine: Engine) -> None:
    case = _submit(engine)
    to_citizen, to_service = engine.store.messages(case.id)
    assert to_citizen.kind == "email"
    assert to_citizen.payload["to"] == ["ana@example.org"]
    assert to_citizen.payload["subject"] == f"Reçu {case.tracking_code}"
    assert to_citizen.payload["body"] == "Bonjour Ana"
    assert to_service.payload["to"] == ["role:receiver", "service@ville.example"]
    assert to_service.payload["body"] == f"https://ville.example/suivi/{case.tracking_code}"
    assert to_citizen.state == "pending"
    assert to_citizen.idempotency_key != to_service.idempotency_key


def test_an_agent_with_the_role_acts(engine: Engine) -> None:
    case = _submit(engine)
    assert [a.id for a in engine.actions(case, AGENT)] == ["instruire", "refuser", "noter"]
    case = _ok(engine.act(case.id, "instruire", AGENT))
    assert case.status == "instruction"
    assert case.version == 2
    assert case.history[-1].event == "instruire"
    assert case.history[-1].actor == AGENT


@pytest.mark.parametrize(
    ("actor", "action", "comment", "code"),
    [
        (AGENT, "inexistante", None, "unknown_action"),
        (AGENT, "accepter", None, "wrong_status"),
        (OUTSIDER, "instruire", None, "not_allowed"),
        (CITIZEN, "instruire", None, "not_allowed"),
        (AGENT, "refuser", None, "comment_required"),
        (AGENT, "refuser", "   ", "comment_required"),
        (OTHER_CITIZEN, "annuler", None, "not_allowed"),
    ],
)
def test_refusals_say_why_and_change_nothing(
    engine: Engine, actor: Actor, action: str, comment: str | None, code: str
) -> None:
    case = _submit(engine)
    result = engine.act(case.id, action, actor, comment=comment)
    assert isinstance(result, Refusal)
    assert result.code == code
    assert result.message_fr
    assert result.message_en
    assert engine.store.get(case.id) == case


def test_a_false_condition_refuses_until_it_holds(engine: Engine, clock: Clock) -> None:
    case = _ok(engine.act(_submit(engine).id, "instruire", AGENT))
    refusal = engine.act(case.id, "accepter", AGENT)
    assert isinstance(refusal, Refusal)
    assert refusal.code == "condition_false"
    assert "accepter" not in [a.id for a in engine.actions(case, AGENT)]
    case = _ok(engine.act(case.id, "chiffrer", AGENT, data={"montant": "120"}))
    assert case.backoffice["montant"] == 120
    action, note = case.history[-2:]
    assert (action.event, action.data) == ("chiffrer", {"montant": 120})  # typed
    assert (note.event, note.comment) == ("comment", "Montant estimé : 120 €")
    case = _ok(engine.act(case.id, "accepter", AGENT))
    assert case.status == "acceptee"
    assert case.backoffice["decide_le"] == clock.now.date().isoformat()
    assert case.closed_at == clock.now


def test_a_required_comment_is_kept_and_shown(engine: Engine) -> None:
    case = _ok(engine.act(_submit(engine).id, "refuser", CHIEF, comment=" Hors délai "))
    assert case.status == "refusee"
    assert case.history[-1].comment == "Hors délai"
    assert case.history[-1].visible_to_citizen


def test_an_internal_note_stays_in_the_status_and_is_hidden_from_citizens(engine: Engine) -> None:
    case = _ok(engine.act(_submit(engine).id, "noter", AGENT, comment="Appelé le demandeur"))
    assert case.status == "recue"
    note = case.history[-1]
    assert (note.from_status, note.to_status) == ("recue", "recue")
    assert not note.visible_to_citizen


def test_a_jump_on_entry_moves_on_and_a_hidden_status_shows_the_last_visible(
    engine: Engine,
) -> None:
    case = _submit(engine, urgence=True)
    assert case.status == "urgente"
    assert case.assigned_roles == ("manager",)
    assert [e.event for e in case.history] == ["submit", "jump"]
    runtime = engine.runtime(engine.procedure("demande-test"))
    assert runtime.describe_status(case) == "Reçue"
    assert [a.id for a in engine.actions(case, CHIEF)] == ["instruire"]


def test_the_submitter_cancels_from_the_statuses_the_global_action_names(engine: Engine) -> None:
    case = _submit(engine)
    assert [a.id for a in engine.actions(case, CITIZEN)] == ["annuler"]
    cancelled = _ok(engine.act(case.id, "annuler", CITIZEN))
    assert cancelled.status == "annulee"
    other = _ok(engine.act(_submit(engine).id, "instruire", AGENT))
    refusal = engine.act(other.id, "annuler", CITIZEN)
    assert isinstance(refusal, Refusal)
    assert refusal.code == "wrong_status"


def test_a_tracking_code_holder_is_the_submitter(engine: Engine) -> None:
    case = engine.submit("demande-test", ANSWERS, Actor("citizen"))
    holder = Actor("citizen", f"tracking:{case.tracking_code}")
    assert roles_of(holder, case, engine.procedure("demande-test")) == {"submitter"}
    assert (
        roles_of(Actor("citizen", "tracking:WRONG"), case, engine.procedure("demande-test"))
        == frozenset()
    )
    assert _ok(engine.act(case.id, "annuler", holder)).status == "annulee"


def test_business_day_timeout_sends_a_reminder_and_keeps_the_status(
    engine: Engine, clock: Clock
) -> None:
    case = _submit(engine)  # Thursday 3 December 2026, 10:00
    [reminder] = [t for t in engine.store.timers(case.id) if t.kind == "timeout"]
    assert reminder.due_at.date().isoformat() == "2026-12-07"  # Monday: 2 business days
    clock.advance(days=1)
    assert engine.run_timers() == 0
    clock.advance(days=3)
    assert engine.run_timers() == 1
    case = engine.store.get(case.id)
    assert case.status == "recue"
    assert engine.store.messages(case.id)[-1].payload["subject"] == "Relance"
    assert [t for t in engine.store.timers(case.id) if t.kind == "timeout"] == []


def test_timeout_at_a_date_from_the_answers(engine: Engine, clock: Clock) -> None:
    case = _ok(engine.act(_submit(engine).id, "instruire", AGENT))
    [timer] = [t for t in engine.store.timers(case.id) if t.kind == "timeout"]
    assert timer.due_at.isoformat() == "2026-12-09T00:00:00+01:00"  # the day before
    clock.now = timer.due_at
    assert engine.run_timers() == 1
    [notification] = [m for m in engine.store.messages(case.id) if m.kind == "notify"]
    assert notification.payload == {"user": "u1", "title": "C'est demain", "message": ""}


def test_leaving_a_status_cancels_its_timers(engine: Engine, clock: Clock) -> None:
    case = _ok(engine.act(_submit(engine).id, "refuser", AGENT, comment="non"))
    assert all(t.kind != "timeout" for t in engine.store.timers(case.id))
    clock.advance(days=10)
    engine.run_timers()
    assert engine.store.get(case.id).status == "refusee"


def test_closing_starts_the_anonymisation_timer(engine: Engine, clock: Clock) -> None:
    case = _ok(engine.act(_submit(engine).id, "refuser", AGENT, comment="non"))
    [timer] = engine.store.timers(case.id)
    assert (timer.kind, timer.action) == ("global", "anonymiser")
    clock.advance(days=31)
    assert engine.run_timers() == 1
    case = engine.store.get(case.id)
    assert case.anonymised
    assert case.answers["nom"] is None
    assert case.answers["code_postal"] == "75011"  # kept for statistics
    assert case.submitter_email is None
    assert engine.store.timers(case.id) == []


def test_final_status_effects_webhook_and_cards(engine: Engine) -> None:
    case = _ok(engine.act(_submit(engine).id, "instruire", AGENT))
    case = _ok(engine.act(case.id, "chiffrer", AGENT, data={"montant": "5"}))
    case = _ok(engine.act(case.id, "accepter", AGENT))
    [webhook] = [m for m in engine.store.messages(case.id) if m.kind == "webhook"]
    assert webhook.payload["url"] == "https://hooks.example/demande-test"
    assert webhook.payload["secret"] == "cle_webhook"
    assert webhook.payload["json"]["case"]["tracking_code"] == case.tracking_code
    records = engine.store.card_records("ville", "salles")
    assert records == [
        {"code": "a", "etat": "reservee"},
        {"code": case.tracking_code, "etat": "libre"},
    ]


def test_two_agents_at_once_one_wins(engine: Engine) -> None:
    case = _submit(engine)
    _ok(engine.act(case.id, "instruire", AGENT, expected_version=case.version))
    with pytest.raises(ConflictError):
        engine.act(case.id, "refuser", CHIEF, comment="non", expected_version=case.version)
    assert engine.store.get(case.id).status == "instruction"


def test_the_same_submission_token_makes_one_case(engine: Engine) -> None:
    first = engine.submit("demande-test", ANSWERS, CITIZEN, token="tok-1")
    again = engine.submit("demande-test", ANSWERS, CITIZEN, token="tok-1")
    assert first == again
    assert len(engine.store.messages(first.id)) == 2


def test_one_runtime_per_workflow_version(engine: Engine) -> None:
    procedure = engine.procedure("demande-test")
    assert engine.runtime(procedure) is engine.runtime(procedure)
    assert isinstance(engine.runtime(procedure), WorkflowRuntime)


def test_a_broken_timer_does_not_hold_the_others_back(
    engine: Engine, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    from formflow.engine.cases import Timer

    good = _submit(engine)
    broken = Timer("broken", "no-such-case", clock.now, "timeout", status="recue", index=0)
    engine.store._timers[broken.id] = broken  # type: ignore[attr-defined]
    clock.advance(days=5)
    assert engine.run_timers() == 1
    assert engine.store.messages(good.id)[-1].payload["subject"] == "Relance"
    assert "timer broken of case no-such-case failed" in caplog.text


def test_a_removed_status_needs_a_declared_remapping(circuit_site: Site, clock: Clock) -> None:
    from circuit import CARD, FORM, SITE, WORKFLOW

    from formflow.catalog import load_catalog, load_site
    from formflow.engine.store import InMemoryStore
    from formflow.exceptions import DefinitionError

    store = InMemoryStore()
    before = Engine(circuit_site, store, clock=clock)
    case = _ok(before.act(before.submit("demande-test", ANSWERS, CITIZEN).id, "instruire", AGENT))
    assert case.status == "instruction"

    def site_with(workflow: str) -> Site:
        catalog = load_catalog(
            {
                "workflows/circuit.yaml": workflow,
                "forms/demande-test.yaml": FORM,
                "cards/salles.yaml": CARD,
            }
        )
        return load_site(SITE, catalog)

    # The new version of the workflow renames `instruction` to `en_cours`.
    renamed = WORKFLOW.replace("instruction", "en_cours")
    after = Engine(site_with(renamed), store, clock=clock)
    with pytest.raises(DefinitionError, match="open cases are in status 'instruction'"):
        after.check_statuses()
    remapped = renamed.replace(
        "templates:", "removed_statuses: {instruction: en_cours}\ntemplates:"
    )
    after = Engine(site_with(remapped), store, clock=clock)
    after.check_statuses()
    assert after.get(case.id).status == "en_cours"
    moved = _ok(after.act(case.id, "chiffrer", AGENT, data={"montant": "3"}))
    assert moved.status == "en_cours"
    assert store.get(case.id).status == "en_cours"


@pytest.mark.parametrize("comment", ["a\x00b", "x" * 10_001, "\x1b[31mrouge"])
def test_comments_are_cleaned_like_answers(engine: Engine, comment: str) -> None:
    case = _submit(engine)
    refusal = engine.act(case.id, "refuser", AGENT, comment=comment)
    assert isinstance(refusal, Refusal)
    assert refusal.code == "invalid_input"
    assert engine.store.get(case.id) == case


def test_action_data_keeps_only_the_action_form_fields(engine: Engine) -> None:
    case = _ok(engine.act(_submit(engine).id, "instruire", AGENT))
    case = _ok(
        engine.act(
            case.id, "chiffrer", AGENT, data={"montant": " 12 ", "intrus": "x", "nan": float("nan")}
        )
    )
    [entry] = [e for e in case.history if e.event == "chiffrer"]
    assert entry.data == {"montant": 12}
    note = _ok(engine.act(_submit(engine).id, "noter", AGENT, comment="  ligne 1\r\nligne 2  "))
    assert note.history[-1].comment == "ligne 1\nligne 2"


def test_the_action_form_is_checked_by_its_field_types(engine: Engine) -> None:
    case = _ok(engine.act(_submit(engine).id, "instruire", AGENT))
    refusal = engine.act(case.id, "chiffrer", AGENT, data={"montant": "beaucoup"})
    assert isinstance(refusal, Refusal)
    assert refusal.code == "invalid_input"
    assert [(e.field_id, e.code) for e in refusal.errors] == [("montant", "invalid_integer")]
    missing = engine.act(case.id, "chiffrer", AGENT, data={})
    assert isinstance(missing, Refusal)
    assert [e.code for e in missing.errors] == ["required"]
    assert engine.store.get(case.id) == case
