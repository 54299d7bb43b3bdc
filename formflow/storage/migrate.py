"""Creating and migrating formflow's tables with Alembic, from code.

::

    from formflow.storage import upgrade

    upgrade("sqlite:///formflow.db")    # what ``formflow db upgrade`` runs

The migration scripts ship inside the package (``formflow/storage/migrations``) and the
Alembic configuration is built here, so no ``alembic.ini`` is needed. Alembic records
the revision in ``formflow_alembic_version``, not ``alembic_version``: a host
application with its own Alembic history can share the database.

Several processes may start at once and all call `upgrade`: on PostgreSQL the migration
runs under a transaction-level advisory lock, on SQLite inside a ``BEGIN IMMEDIATE``
transaction, so one migrates and the others then find nothing left to do. Both
databases have transactional DDL: a failed migration leaves the schema as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine

from formflow.storage.database import create_engine_from_url, writer

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported where it is used: a web or worker process that only reads and
# writes cases starts a quarter of a second faster without it.

__all__ = [
    "MIGRATIONS",
    "VERSION_TABLE",
    "alembic_config",
    "current_revision",
    "head_revision",
    "upgrade",
]

#: The folder of ``env.py`` and ``versions/``.
MIGRATIONS: Final = Path(__file__).resolve().parent / "migrations"
#: Alembic's bookkeeping table for formflow's own history.
VERSION_TABLE: Final = "formflow_alembic_version"
#: Key of the PostgreSQL advisory lock held while migrating ("formflow" in ASCII).
_LOCK_KEY: Final = 0x666F726D666C6F77


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic `Config` for formflow's migrations, optionally bound to ``connection``."""
    from alembic.config import Config

    config = Config()
    # ConfigParser interpolates "%": a path that contains one must double it.
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str | URL | Engine | None = None, revision: str = "head") -> None:
    """Bring the database at ``url`` (default: ``FORMFLOW_DATABASE_URL`` or
    ``sqlite:///formflow.db``) to ``revision``; already there: nothing happens."""
    from alembic import command

    engine = url if isinstance(url, Engine) else create_engine_from_url(url)
    try:
        with writer(engine).begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK_KEY)))
            command.upgrade(alembic_config(conn), revision)
    finally:
        if engine is not url:
            engine.dispose()


def current_revision(url: str | URL | Engine | None = None) -> str | None:
    """The revision the database is at (None: not migrated yet)."""
    from alembic.migration import MigrationContext

    engine = url if isinstance(url, Engine) else create_engine_from_url(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
            return context.get_current_revision()
    finally:
        if engine is not url:
            engine.dispose()


def head_revision() -> str | None:
    """The newest revision this formflow ships."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
