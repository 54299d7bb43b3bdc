"""What only the SQL store does: UTC rows, refused text, constraints, attachments, tables."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from builders import CITIZEN, T0, act, make_case, message, submit, timer
from storage_env import SQL_KINDS

from formflow.engine.cases import CardChange, Changes, HistoryEntry
from formflow.engine.store import CaseQuery, Store
from formflow.exceptions import ConflictError
from formflow.storage import FileSystemBlobStore, SqlStore
from formflow.storage.database import create_engine_from_url
from formflow.storage.schema import cases, history

pytest_plugins = ["storage_support"]

DAY = dt.timedelta(days=1)


@pytest.fixture(params=SQL_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sql(store: Store) -> SqlStore:
    assert isinstance(store, SqlStore)
    return store


def _nothing_written(sql: SqlStore) -> bool:
    return sql.cases(CaseQuery()) == [] and sql.due_timers(T0 + 365 * DAY) == []


def test_row_times_come_back_as_aware_utc_instants(sql: SqlStore) -> None:
    case = submit(sql, messages=1, timers=[DAY])
    [sent] = sql.messages(case.id)
    [due] = sql.timers(case.id)
    assert sent.created_at == T0
    assert sent.created_at.tzinfo == dt.UTC
    assert due.due_at == T0 + DAY
    assert due.due_at.tzinfo == dt.UTC
    # The case itself keeps the offset the engine wrote.
    assert sql.get(case.id).created_at.isoformat() == "2026-12-03T10:00:00+01:00"


def test_a_naive_time_is_refused(sql: SqlStore) -> None:
    case = make_case()
    naive = timer(case.id, dt.datetime(2026, 12, 4, 10, 0))
    entry = HistoryEntry(T0, CITIZEN, "submit", None, "recue")
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        sql.submit(case, Changes(history=[entry], timers=[naive]))
    assert _nothing_written(sql)


@pytest.mark.parametrize("where", ["answers", "comment", "payload", "card"])
def test_text_with_a_nul_character_is_refused_before_anything_is_written(
    sql: SqlStore, where: str
) -> None:
    case = submit(sql)
    bad = "a\x00b"
    changes = Changes()
    fields: dict[str, Any] = {}
    if where == "answers":
        fields["answers"] = {**case.answers, "nom": bad}
    elif where == "comment":
        changes.history.append(HistoryEntry(T0, CITIZEN, "noter", "recue", "recue", bad))
    elif where == "payload":
        changes.messages.append(dataclasses.replace(message(case.id, T0), payload={"body": bad}))
    else:
        changes.cards.append(CardChange("salles", {bad: 1}))
    with pytest.raises(ValueError, match="NUL"):
        act(sql, case, changes=changes, **fields)
    assert sql.get(case.id) == case
    assert sql.card_records("ville", "salles") == []


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_numbers_json_cannot_hold_are_refused(sql: SqlStore, number: float) -> None:
    case = submit(sql)
    with pytest.raises(ValueError, match="not a number JSON can hold"):
        act(sql, case, backoffice={"montant": number})
    with pytest.raises(ValueError, match="not a number JSON can hold"):
        submit(sql, answers={"montant": [number]})
    assert sql.get(case.id) == case


def test_json_is_stored_compact_and_readable(sql: SqlStore) -> None:
    case = submit(sql, answers={"nom": "Léa Ümit"})
    with sql.engine.connect() as conn:
        raw = conn.execute(
            sa.select(sa.cast(cases.c.answers, sa.Text)).where(cases.c.id == case.id)
        ).scalar_one()
    assert "Léa Ümit" in raw


def test_a_tracking_code_is_unique_per_site(sql: SqlStore) -> None:
    submit(sql, tracking_code="AAAA-BBBB-CC")
    with pytest.raises(ConflictError, match="AAAA-BBBB-CC"):
        submit(sql, tracking_code="AAAA-BBBB-CC")
    submit(sql, tracking_code="AAAA-BBBB-CC", site="autre")
    assert len(sql.cases(CaseQuery())) == 2


def test_other_constraint_violations_are_not_disguised(sql: SqlStore) -> None:
    first = submit(sql, timers=[DAY])
    [taken] = sql.timers(first.id)
    case = make_case()
    entry = HistoryEntry(T0, CITIZEN, "submit", None, "recue")
    clash = dataclasses.replace(taken, case_id=case.id)
    with pytest.raises(sa.exc.IntegrityError):
        sql.submit(case, Changes(history=[entry], timers=[clash]))
    assert [c.id for c in sql.cases(CaseQuery())] == [first.id]


def test_history_has_its_own_table_and_the_case_row_its_columns(sql: SqlStore) -> None:
    case = act(sql, submit(sql), to="instruction", closed_at=T0 + DAY)
    with sql.engine.connect() as conn:
        row = conn.execute(sa.select(cases).where(cases.c.id == case.id)).one()
        entries = conn.execute(
            sa.select(history.c.seq, history.c.event, history.c.actor_id, history.c.to_status)
            .where(history.c.case_id == case.id)
            .order_by(history.c.seq)
        ).all()
    # The document holds what has no column: nothing is stored twice, but the times
    # (UTC columns to query on; the document keeps the offset the engine wrote).
    assert set(row.document) == {
        "submitter_email",
        "backoffice",
        "assigned_roles",
        "schema",
        "created_at",
        "updated_at",
        "status_since",
        "closed_at",
    }
    assert (row.site, row.form, row.status, row.version) == ("ville", "demande", "instruction", 2)
    assert (row.tracking_code, row.submitter_id) == (case.tracking_code, "u1")
    assert row.created_at == T0
    assert row.closed_at == T0 + DAY
    assert row.submit_token is None
    assert [tuple(e) for e in entries] == [
        (0, "submit", "u1", "recue"),
        (1, "instruire", "a1", "instruction"),
    ]


def _file(blob: str, name: str) -> dict[str, object]:
    return {"id": blob, "name": name, "content_type": "application/pdf", "size": 3, "sha256": blob}


def test_attachments_follow_the_files_of_the_case(sql: SqlStore) -> None:
    a, b, c = ("a" * 64, "b" * 64, "c" * 64)
    answers = {
        "justificatif": [_file(a, "recu.pdf")],
        "enfants": [{"prenom": "Léa", "certificat": [_file(b, "cert.pdf")]}],
        "nom": "Ana",
    }
    case = submit(sql, answers=answers)
    assert [(f["field"], f["blob_id"], f["name"]) for f in sql.attachments(case.id)] == [
        ("enfants", b, "cert.pdf"),
        ("justificatif", a, "recu.pdf"),
    ]
    case = act(sql, case, backoffice={"rapport": [_file(c, "rapport.pdf")]})
    assert {f["blob_id"] for f in sql.attachments(case.id)} == {a, b, c}
    assert sql.blob_in_use(a)
    # Anonymisation drops the files from the answers: the table follows.
    act(sql, case, answers={"nom": None, "justificatif": None, "enfants": None}, backoffice={})
    assert sql.attachments(case.id) == []
    assert not sql.blob_in_use(a)


def test_a_files_bytes_come_from_the_blob_store(sql: SqlStore) -> None:
    blob = sql.blobs.put(b"%PDF-1.7", "application/pdf")
    case = submit(sql, answers={"piece": [_file(blob, "p.pdf")]})
    assert sql.blobs.get(sql.attachments(case.id)[0]["blob_id"]) == b"%PDF-1.7"


def test_import_cards_replaces_the_cards_it_names(sql: SqlStore) -> None:
    sql.import_cards("ville", {"salles": [{"code": "a"}], "bacs": [{"n": 1}]})
    sql.import_cards("ville", {"salles": [{"code": "b"}, {"code": "c"}]})
    assert sql.card_records("ville", "salles") == [{"code": "b"}, {"code": "c"}]
    assert sql.card_records("ville", "bacs") == [{"n": 1}]


def test_a_case_outlives_the_store_that_wrote_it(sql: SqlStore) -> None:
    case = act(sql, submit(sql, messages=2, timers=[DAY]), to="instruction")
    sql.close()
    reopened = SqlStore(sql.engine.url)
    try:
        assert reopened.get(case.id) == case
        assert len(reopened.messages(case.id)) == 2
    finally:
        reopened.close()


def test_a_store_takes_an_engine_or_a_url(sql: SqlStore) -> None:
    url = sql.engine.url
    engine = sa.create_engine(url) if url.get_backend_name() == "sqlite" else None
    if engine is None:
        engine = create_engine_from_url(url)
    try:
        other = SqlStore(engine, blobs=sql.blobs)
        case = submit(other)
        assert sql.get(case.id) == case
    finally:
        engine.dispose()


def test_the_default_blob_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def root(url: str) -> Path:
        store = SqlStore(url)
        store.close()
        assert isinstance(store.blobs, FileSystemBlobStore)
        return store.blobs.root

    monkeypatch.delenv("FORMFLOW_BLOB_DIR", raising=False)
    assert root(f"sqlite:///{tmp_path}/site.db") == tmp_path / "site-files"
    assert root("sqlite://") == Path("formflow-files")
    monkeypatch.setenv("FORMFLOW_BLOB_DIR", str(tmp_path / "files"))
    assert root("sqlite://") == tmp_path / "files"
    assert not (tmp_path / "site-files").exists()  # created on the first upload only
