"""The `Store` protocol, behaviour by behaviour, on every store (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace

import pytest
from builders import AGENT, CITIZEN, PARIS, T0, act, make_case, message, submit, timer

from formflow.engine.cases import CardChange, Changes, HistoryEntry, case_to_json
from formflow.engine.store import CaseQuery, Draft, InMemoryStore, Store
from formflow.exceptions import ConflictError, NotFoundError

pytest_plugins = ["storage_support"]

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def test_every_store_implements_the_protocol(store: Store) -> None:
    assert isinstance(store, Store)


# -- cases ------------------------------------------------------------------------------


def test_a_submitted_case_reads_back_equal(store: Store) -> None:
    case = make_case()
    entry = HistoryEntry(T0, CITIZEN, "submit", None, "recue", messages=("m1",), data={"k": [1]})
    stored = store.submit(case, Changes(history=[entry]))
    assert stored == case.evolve(version=1, history=(entry,))
    again = store.get(case.id)
    assert again == stored
    # Equal as JSON too: times keep the offset they were written with (+01:00).
    assert case_to_json(again) == case_to_json(stored)
    assert again.created_at.utcoffset() == dt.timedelta(hours=1)
    assert again.history[0].actor == CITIZEN


def test_saving_bumps_the_version_and_appends_the_history(store: Store) -> None:
    case = submit(store)
    saved = act(store, case, to="instruction")
    assert saved.version == 2
    assert [e.event for e in saved.history] == ["submit", "instruire"]
    again = store.get(case.id)
    assert again == saved
    saved = act(store, again, backoffice={"montant": 120}, closed_at=T0 + DAY)
    assert store.get(case.id) == saved
    assert [e.event for e in store.get(case.id).history] == ["submit", "instruire", "instruire"]


def test_an_unknown_case_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.get("nope")
    with pytest.raises(NotFoundError):
        store.save(make_case(), Changes(), expected_version=1)


def test_a_stale_version_is_a_conflict_and_writes_nothing(store: Store) -> None:
    case = submit(store, timers=[DAY])
    winner = act(store, case, to="instruction")
    before = (store.get(case.id), store.messages(case.id), store.timers(case.id))
    late = Changes(
        messages=[message(case.id, T0 + HOUR)],
        timers=[timer(case.id, T0 + 2 * DAY)],
        cancel_timers={"timeout"},
    )
    with pytest.raises(ConflictError, match="changed since"):
        act(store, case, to="refusee", changes=late)
    assert (store.get(case.id), store.messages(case.id), store.timers(case.id)) == before
    assert store.get(case.id) == winner


def test_the_same_token_makes_one_case(store: Store) -> None:
    first = submit(store, messages=2, token="tok-1")
    again = submit(store, messages=2, token="tok-1")
    assert again == first
    assert store.cases(CaseQuery()) == [first]
    assert len(store.messages(first.id)) == 2


def test_submitting_one_case_id_twice_without_a_token_is_a_conflict(store: Store) -> None:
    case = submit(store)
    with pytest.raises(ConflictError, match="already exists"):
        submit(store, case_id=case.id)


def test_tracking_codes_find_cases_per_site(store: Store) -> None:
    case = submit(store, tracking_code="K7QM-4XR2-PV")
    other = submit(store, tracking_code="K7QM-4XR2-PV", site="autre-ville")
    assert store.by_tracking_code("ville", "K7QM-4XR2-PV") == case
    assert store.by_tracking_code("autre-ville", "K7QM-4XR2-PV") == other
    assert store.by_tracking_code("ville", "ZZZZ-ZZZZ-ZZ") is None


# -- listing ----------------------------------------------------------------------------


def _listing(store: Store) -> list[str]:
    """Seven cases, one hour apart, on two sites, forms, statuses and submitters."""
    made = [
        submit(
            store,
            at=T0 + i * HOUR,
            site="ville" if i % 3 else "autre",
            form="demande" if i % 2 else "autre-demande",
            status="recue" if i < 4 else "instruction",
            submitter="u1" if i % 2 else "u2",
        )
        for i in range(7)
    ]
    return [case.id for case in reversed(made)]  # newest first


def _pages(store: Store, query: CaseQuery) -> list[list[str]]:
    pages: list[list[str]] = []
    while True:
        page = store.cases(query)
        if not page:
            return pages
        pages.append([case.id for case in page])
        query = replace(query, after=page[-1].id)


def test_listing_is_newest_first_with_keyset_pages(store: Store) -> None:
    newest_first = _listing(store)
    assert [c.id for c in store.cases(CaseQuery())] == newest_first
    pages = _pages(store, CaseQuery(limit=3))
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [i for page in pages for i in page] == newest_first


def test_listing_filters_combine_with_pages(store: Store) -> None:
    _listing(store)
    everything = store.cases(CaseQuery(limit=100))
    query = CaseQuery(site="ville", forms=["demande"], statuses=["recue", "instruction"], limit=1)
    expected = [
        c.id
        for c in everything
        if c.site == "ville" and c.form == "demande" and c.status in ("recue", "instruction")
    ]
    assert expected
    assert [i for page in _pages(store, query) for i in page] == expected
    mine = store.cases(CaseQuery(submitter_id="u2", statuses=["instruction"]))
    assert [c.id for c in mine] == [
        c.id for c in everything if c.submitter_id == "u2" and c.status == "instruction"
    ]
    assert store.cases(CaseQuery(forms=["inconnu"])) == []


def test_pages_cover_cases_submitted_at_the_same_instant_once_each(store: Store) -> None:
    made = {submit(store).id for _ in range(5)}
    pages = _pages(store, CaseQuery(limit=2))
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sorted(i for page in pages for i in page) == sorted(made)


def test_an_unknown_after_starts_from_the_top(store: Store) -> None:
    newest_first = _listing(store)
    assert [c.id for c in store.cases(CaseQuery(after="unknown", limit=2))] == newest_first[:2]


def test_listed_cases_carry_their_history(store: Store) -> None:
    case = act(store, submit(store), to="instruction")
    [listed] = store.cases(CaseQuery())
    assert listed == case
    assert len(listed.history) == 2


# -- outbox -----------------------------------------------------------------------------


def test_messages_are_oldest_first_and_keep_their_order_within_an_instant(store: Store) -> None:
    case = submit(store, messages=3)
    later = message(case.id, T0 + HOUR, 9)
    act(store, case, changes=Changes(messages=[later]))
    found = store.messages(case.id)
    assert [m.payload["subject"] for m in found] == [
        "Message 0",
        "Message 1",
        "Message 2",
        "Message 9",
    ]
    assert found[3] == later
    assert store.messages("other") == []


def test_claiming_leases_due_messages_until_a_deadline(store: Store) -> None:
    first = submit(store, messages=2, at=T0)
    second = submit(store, messages=1, at=T0 + HOUR)
    later = message(second.id, T0 + HOUR, 5, next_attempt_at=T0 + 3 * HOUR)
    unscheduled = message(second.id, T0 + HOUR, 6, next_attempt_at=None)
    act(store, second, changes=Changes(messages=[later, unscheduled]))
    now, until = T0 + 2 * HOUR, T0 + 2 * HOUR + 5 * dt.timedelta(minutes=1)

    claimed = store.claim_messages(now, until, limit=3)
    ids = [m.id for m in store.messages(first.id)] + [m.id for m in store.messages(second.id)]
    assert [m.id for m in claimed] == ids[:3]  # oldest first
    assert all(m.next_attempt_at == until for m in claimed)
    rest = store.claim_messages(now, until)
    assert [m.id for m in rest] == [unscheduled.id]  # not yet due: `later` stays
    assert store.claim_messages(now, until) == []  # all claimed until `until`
    # A worker that died let its claims lapse: they come back after `until`.
    reclaimed = store.claim_messages(until, until + HOUR, limit=100)
    assert {m.id for m in reclaimed} == {*ids[:3], unscheduled.id}
    assert store.claim_messages(T0 + 3 * HOUR, T0 + 4 * HOUR)[0].id == later.id


def test_a_recorded_delivery_is_kept_and_no_longer_claimed(store: Store) -> None:
    case = submit(store, messages=2)
    one, two = store.claim_messages(T0, T0 + HOUR)
    delivered = replace(one, state="delivered", attempts=1, delivered_at=T0 + HOUR)
    retry = replace(two, attempts=1, last_error="SMTP 451", next_attempt_at=T0 + 2 * HOUR)
    store.record_delivery(delivered)
    store.record_delivery(retry)
    assert store.messages(case.id) == [delivered, retry]
    assert store.claim_messages(T0 + HOUR, T0 + 3 * HOUR) == []
    assert [m.id for m in store.claim_messages(T0 + 2 * HOUR, T0 + 3 * HOUR)] == [two.id]
    failed = replace(retry, state="failed", attempts=5)
    store.record_delivery(failed)
    assert store.claim_messages(T0 + DAY, T0 + 2 * DAY) == []
    with pytest.raises(NotFoundError):
        store.record_delivery(replace(one, id="unknown"))


# -- timers -----------------------------------------------------------------------------


def test_due_timers_are_earliest_first(store: Store) -> None:
    a = submit(store, timers=[3 * DAY, DAY])
    b = submit(store, timers=[2 * DAY])
    assert [t.due_at for t in store.timers(a.id)] == [T0 + DAY, T0 + 3 * DAY]
    due = store.due_timers(T0 + 2 * DAY)
    assert [(t.case_id, t.due_at) for t in due] == [(a.id, T0 + DAY), (b.id, T0 + 2 * DAY)]
    assert store.due_timers(T0 + 5 * DAY, limit=2) == due
    assert store.due_timers(T0) == []
    assert store.timers("other") == []


def test_timers_are_cancelled_by_kind_and_deleted_when_fired(store: Store) -> None:
    case = submit(store, timers=[DAY])
    other = submit(store, timers=[DAY])
    anonymise = timer(case.id, T0 + 30 * DAY, "global")
    case = act(store, case, changes=Changes(timers=[anonymise]))
    assert {t.kind for t in store.timers(case.id)} == {"timeout", "global"}
    # Leaving the status: its timeouts go, the global timer stays, new timeouts come.
    fresh = timer(case.id, T0 + 2 * DAY, status="instruction")
    case = act(
        store, case, to="instruction", changes=Changes(timers=[fresh], cancel_timers={"timeout"})
    )
    assert store.timers(case.id) == [fresh, anonymise]
    assert len(store.timers(other.id)) == 1  # another case's timers are not touched
    act(store, case, changes=Changes(fired_timers=[anonymise.id]))
    assert store.timers(case.id) == [fresh]
    due = store.due_timers(T0 + 2 * DAY)
    assert [t.id for t in due] == [store.timers(other.id)[0].id, fresh.id]
    assert due[1] == fresh


# -- drafts -----------------------------------------------------------------------------


def test_drafts_are_saved_replaced_and_deleted(store: Store) -> None:
    state = {"page": 1, "answers": {"nom": "Ana"}, "files": {}}
    draft = Draft("d1", "ville", "demande", "v1", state, T0, owner_id="u1")
    store.save_draft(draft)
    state["page"] = 2  # the store keeps what it was given, not a live reference
    assert store.get_draft("d1") == replace(draft, state={**state, "page": 1})
    newer = replace(draft, state={"page": 3}, updated_at=T0 + HOUR, secret_hash="ab" * 32)
    store.save_draft(newer)
    assert store.get_draft("d1") == newer
    store.delete_draft("d1")
    assert store.get_draft("d1") is None
    store.delete_draft("d1")  # forgetting twice is fine


# -- cards ------------------------------------------------------------------------------


def test_cards_are_created_and_updated_where_the_match_holds(
    make_store: Callable[..., Store],
) -> None:
    store = make_store(
        cards={"ville": {"salles": [{"code": "a", "etat": "libre"}, {"code": "b", "etat": "x"}]}}
    )
    case = submit(store)
    changes = Changes(
        cards=[
            CardChange("salles", {"code": "c", "etat": "libre"}),
            CardChange("salles", {"etat": "reservee"}, match="etat == 'libre'"),
            CardChange("salles", {"code": "d", "etat": "libre"}),
            CardChange("bacs", {"numero": "1"}),
        ]
    )
    act(store, case, changes=changes)
    assert store.card_records("ville", "salles") == [
        {"code": "a", "etat": "reservee"},
        {"code": "b", "etat": "x"},
        {"code": "c", "etat": "reservee"},  # created first, so the update saw it
        {"code": "d", "etat": "libre"},
    ]
    assert store.card_records("ville", "bacs") == [{"numero": "1"}]
    assert store.card_records("autre", "salles") == []
    records = store.card_records("ville", "bacs")
    records[0]["numero"] = "2"  # a copy
    assert store.card_records("ville", "bacs") == [{"numero": "1"}]


def test_the_in_memory_store_is_one_of_the_kinds(store_kind: str, store: Store) -> None:
    assert isinstance(store, InMemoryStore) == (store_kind == "memory")


def test_an_agents_groups_and_comment_survive(store: Store) -> None:
    case = act(store, submit(store), to="instruction")
    entry = store.get(case.id).history[-1]
    assert entry.actor == AGENT
    assert entry.actor.groups == frozenset({"instructeurs", "chefs"})
    assert (entry.comment, entry.data) == ("Vu", {"n": 1})
    assert entry.at.tzinfo is not None
    assert entry.at == T0 + HOUR
    assert store.get(case.id).status_since.astimezone(PARIS) == T0 + HOUR


def test_firing_a_timer_that_is_gone_is_a_conflict(store: Store) -> None:
    """Two workers read one due timer; the second to save must not fire it again."""
    case = submit(store, timers=[DAY])
    [due] = store.timers(case.id)
    case = act(store, case, changes=Changes(fired_timers=[due.id]))
    assert store.timers(case.id) == []
    with pytest.raises(ConflictError, match="already fired"):
        act(store, case, changes=Changes(fired_timers=[due.id]))
    assert store.get(case.id) == case


def test_open_statuses_are_those_of_cases_not_closed(store: Store) -> None:
    assert store.open_statuses("ville") == set()
    submit(store)
    submit(store)
    moved = act(store, submit(store), to="instruction")
    act(store, act(store, submit(store), to="refusee", closed_at=T0 + HOUR))
    submit(store, site="autre", status="ailleurs")
    assert moved.closed_at is None
    assert store.open_statuses("ville") == {("circuit", "recue"), ("circuit", "instruction")}
    assert store.open_statuses("autre") == {("circuit", "ailleurs")}
