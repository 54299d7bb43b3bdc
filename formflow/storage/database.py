"""Connecting to the database: SQLite by default, PostgreSQL by URL.

`create_engine_from_url` returns a SQLAlchemy `Engine` set up for formflow:

* **SQLite** — every connection runs ``journal_mode=WAL`` (readers never wait for the
  writer), ``synchronous=FULL`` (a committed submission survives a power cut, not just
  a crash of the process), ``foreign_keys=ON`` and a ``busy_timeout``. The driver's own
  transaction handling is switched off, because it opens transactions lazily, on the
  first write only: two reads of one "transaction" could see different data, and a
  read-then-write transaction could fail with ``SQLITE_BUSY`` instead of waiting. Here
  every transaction starts with an explicit ``BEGIN``, and write transactions with
  ``BEGIN IMMEDIATE`` (see `writer`), which takes the single writer lock at once.
* **PostgreSQL** — a connection pool checked before use (``pool_pre_ping``) and
  recycled, so a restarted server or a dropped idle connection is not an error.

`default_url` is ``FORMFLOW_DATABASE_URL`` or ``sqlite:///formflow.db``.

Example::

    engine = create_engine_from_url("sqlite:///formflow.db")
    with writer(engine).begin() as conn:  # BEGIN IMMEDIATE on SQLite
        ...
    with reader(engine).begin() as conn:  # one snapshot for several SELECTs
        ...
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool

__all__ = [
    "DEFAULT_URL",
    "configure_engine",
    "create_engine_from_url",
    "default_url",
    "normalise_url",
    "reader",
    "writer",
]

#: The database of the embedded default, in the working directory.
DEFAULT_URL: Final = "sqlite:///formflow.db"
#: Execution option naming the statement that opens a SQLite transaction.
_BEGIN_OPTION: Final = "formflow_sqlite_begin"

#: Milliseconds a SQLite connection waits for the writer lock before giving up.
SQLITE_BUSY_TIMEOUT_MS: Final = 15_000
#: Pool settings for PostgreSQL; the caller's keyword arguments override them.
POSTGRES_POOL: Final[dict[str, Any]] = {
    "pool_size": 10,
    "max_overflow": 20,
    "pool_pre_ping": True,
    "pool_recycle": 1800,
    "pool_timeout": 30,
}


def default_url() -> str:
    """``FORMFLOW_DATABASE_URL`` if it is set, else a SQLite file in the working directory."""
    return os.environ.get("FORMFLOW_DATABASE_URL") or DEFAULT_URL


def normalise_url(url: str | URL) -> URL:
    """``url`` with a driver formflow installs: ``postgresql://`` means psycopg 3.

    >>> normalise_url("postgres://u@db/formflow").drivername
    'postgresql+psycopg'
    """
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        # SQLAlchemy's default PostgreSQL driver is psycopg2; the ``postgres`` extra
        # installs psycopg 3, so pick it rather than fail on a missing module.
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def create_engine_from_url(url: str | URL | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (default: `default_url`), set up as the module says.

    Keyword arguments go to `sqlalchemy.create_engine` (``echo=True``, pool sizes …).
    """
    parsed = normalise_url(url if url is not None else default_url())
    if parsed.get_backend_name() == "postgresql":
        defaults = POSTGRES_POOL
        if not issubclass(kwargs.get("poolclass", QueuePool), QueuePool):
            # Sizes and waiting mean nothing to a pool that keeps no connections.
            defaults = {k: v for k, v in defaults.items() if k in ("pool_pre_ping", "pool_recycle")}
        kwargs = {**defaults, **kwargs}
    # Compact UTF-8 JSON (SQLite stores the text as is); NaN is not JSON: refuse it.
    kwargs.setdefault("json_serializer", _dump_json)
    engine = sa.create_engine(parsed, **kwargs)
    configure_engine(engine)
    return engine


def _dump_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def configure_engine(engine: Engine) -> Engine:
    """Install the SQLite connection settings on ``engine`` (once; other databases: no-op).

    `formflow.storage.SqlStore` calls it on any engine it is given, so an engine the host
    created itself gets the same guarantees.
    """
    if engine.dialect.name != "sqlite" or event.contains(engine, "connect", _sqlite_connect):
        return engine
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    # Connections pooled before the listeners existed lack the pragmas: drop them.
    engine.dispose()
    return engine


def reader(engine: Engine) -> Engine:
    """``engine`` for read transactions whose statements all see one snapshot.

    SQLite's ``BEGIN`` already gives one (in WAL mode, from the first read on). On
    PostgreSQL the default ``READ COMMITTED`` takes a new snapshot per statement, so a
    case and its history read by two statements could straddle a commit; ``REPEATABLE
    READ`` fixes that, and a read-only transaction never fails to serialise at that level.
    """
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="REPEATABLE READ")
    return engine


def writer(engine: Engine) -> Engine:
    """``engine`` for write transactions: on SQLite they take the writer lock at ``BEGIN``.

    With a plain ``BEGIN``, a transaction that reads before it writes holds a snapshot
    that another writer can make stale; SQLite then fails it with ``SQLITE_BUSY`` at its
    first write, without waiting. ``BEGIN IMMEDIATE`` waits (``busy_timeout``) for the
    lock instead, and what the transaction reads cannot change under it.
    PostgreSQL writes stay at ``READ COMMITTED``: formflow's writes guard themselves
    (version checks, ``FOR UPDATE``, unique constraints).
    """
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**{_BEGIN_OPTION: "BEGIN IMMEDIATE"})
    return engine


def _sqlite_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    # Autocommit at the driver level: formflow's "begin" listener emits BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # WAL: readers and the writer do not block each other; FULL: fsync at each
        # commit, so what a citizen was told is saved is on disk.
        _use_wal(cursor)
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _use_wal(cursor: Any) -> None:
    """Switch the database file to WAL (once: the file remembers it).

    Switching needs the database to itself, and SQLite answers "database is locked" at
    once, without waiting, when other connections are busy with it; that happens when
    several processes open a new database together. Wait and try again.
    """
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        return
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql(conn.get_execution_options().get(_BEGIN_OPTION, "BEGIN"))
