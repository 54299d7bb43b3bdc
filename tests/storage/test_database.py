"""Engines: SQLite pragmas and transactions, PostgreSQL pool and read snapshots, URLs."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import NullPool, QueuePool
from storage_env import POSTGRES_URL

from formflow.storage.database import (
    DEFAULT_URL,
    _use_wal,
    configure_engine,
    create_engine_from_url,
    default_url,
    normalise_url,
    reader,
    writer,
)

needs_postgres = pytest.mark.skipif(POSTGRES_URL is None, reason="FORMFLOW_TEST_DATABASE_URL")


def test_the_default_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORMFLOW_DATABASE_URL", raising=False)
    assert default_url() == DEFAULT_URL == "sqlite:///formflow.db"
    monkeypatch.setenv("FORMFLOW_DATABASE_URL", "postgresql+psycopg://u@db/ff")
    assert default_url() == "postgresql+psycopg://u@db/ff"


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u@db/ff", "postgresql+psycopg"),
        ("postgres://u@db/ff", "postgresql+psycopg"),
        ("postgresql+psycopg://u@db/ff", "postgresql+psycopg"),
        ("sqlite:///x.db", "sqlite"),
    ],
)
def test_urls_name_an_installed_driver(url: str, driver: str) -> None:
    assert normalise_url(url).drivername == driver


def _sqlite(tmp_path: Path) -> sa.Engine:
    return create_engine_from_url(f"sqlite:///{tmp_path}/t.db")


def test_sqlite_connections_are_durable_and_checked(tmp_path: Path) -> None:
    engine = _sqlite(tmp_path)
    with engine.connect() as conn:
        pragmas = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 2,  # FULL
        "foreign_keys": 1,
        "busy_timeout": 15000,
    }
    engine.dispose()


def _begins(engine: sa.Engine) -> list[str]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("BEGIN"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    return seen


def test_sqlite_writes_take_the_lock_at_begin_and_reads_see_one_snapshot(
    tmp_path: Path,
) -> None:
    engine = _sqlite(tmp_path)
    begins = _begins(engine)
    with writer(engine).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    with reader(engine).begin() as conn:
        first = conn.exec_driver_sql("SELECT count(*) FROM t").scalar()
        # Another connection writes meanwhile: this transaction keeps its snapshot.
        with writer(engine).begin() as other:
            other.exec_driver_sql("INSERT INTO t VALUES (2)")
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == first == 1
    assert begins == ["BEGIN IMMEDIATE", "BEGIN", "BEGIN IMMEDIATE"]
    engine.dispose()


def test_configuring_twice_installs_the_listeners_once(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path}/t.db")
    configure_engine(engine)
    configure_engine(engine)
    begins = _begins(engine)
    with writer(engine).begin():
        pass
    assert begins == ["BEGIN IMMEDIATE"]
    engine.dispose()


@needs_postgres
def test_postgres_pool_settings_and_read_snapshots() -> None:
    engine = create_engine_from_url(POSTGRES_URL)
    assert isinstance(engine.pool, QueuePool)
    assert engine.pool.size() == 10
    assert engine.pool._pre_ping
    with reader(engine).connect() as conn:
        level = conn.exec_driver_sql("SHOW transaction_isolation").scalar()
        assert level == "repeatable read"
    with writer(engine).connect() as conn:
        assert conn.exec_driver_sql("SHOW transaction_isolation").scalar() == "read committed"
    engine.dispose()
    lean = create_engine_from_url(POSTGRES_URL, poolclass=NullPool)
    assert isinstance(lean.pool, NullPool)
    lean.dispose()
    assert configure_engine(lean) is lean


class FlakyCursor:
    """Answers "database is locked" to the first ``busy`` switches to WAL."""

    def __init__(self, busy: int, error: str = "database is locked") -> None:
        self.busy = busy
        self.error = error
        self.mode = "delete"

    def execute(self, statement: str) -> FlakyCursor:
        if statement == "PRAGMA journal_mode=WAL":
            if self.busy:
                self.busy -= 1
                raise sqlite3.OperationalError(self.error)
            self.mode = "wal"
        return self

    def fetchone(self) -> tuple[str]:
        return (self.mode,)


def test_switching_to_wal_waits_for_other_connections() -> None:
    cursor = FlakyCursor(busy=3)
    _use_wal(cursor)
    assert cursor.mode == "wal"
    _use_wal(cursor)  # already WAL: nothing to do
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        _use_wal(FlakyCursor(busy=1, error="disk I/O error"))
