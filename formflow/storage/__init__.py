"""Persistence: the engine's `Store` on SQLAlchemy 2, for SQLite and PostgreSQL.

::

    from formflow.storage import SqlStore, upgrade

    url = "postgresql+psycopg://formflow@db/formflow"   # or sqlite:///formflow.db
    upgrade(url)                                         # ``formflow db upgrade``
    engine = Engine(site, SqlStore(url))

Modules: `formflow.storage.sql` (`SqlStore`), `formflow.storage.schema` (the tables),
`formflow.storage.database` (engines: SQLite pragmas, PostgreSQL pool, the default
URL), `formflow.storage.migrate` (Alembic, from code), `formflow.storage.blobs`
(uploaded files on disk).

SQLite is the embedded default (``formflow.db``, WAL, ``synchronous=FULL``);
``FORMFLOW_DATABASE_URL`` points every process at PostgreSQL instead.
"""

from __future__ import annotations

from formflow.storage.blobs import FileSystemBlobStore
from formflow.storage.database import create_engine_from_url, default_url
from formflow.storage.migrate import current_revision, upgrade
from formflow.storage.sql import SqlStore

__all__ = [
    "FileSystemBlobStore",
    "SqlStore",
    "create_engine_from_url",
    "current_revision",
    "default_url",
    "upgrade",
]
