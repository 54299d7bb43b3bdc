"""Alembic's entry point for formflow's migrations.

Run programmatically by `formflow.storage.migrate.upgrade`, which hands over an open
connection in ``config.attributes["connection"]`` (so the migration runs inside the
transaction, and under the lock, that ``upgrade`` holds). Without one, it connects to
the ``sqlalchemy.url`` of the config, or writes SQL for offline mode (``--sql``).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from formflow.storage.database import create_engine_from_url
from formflow.storage.migrate import VERSION_TABLE
from formflow.storage.schema import metadata

__all__: list[str] = []


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        # SQLite alters tables by copying them: later migrations need batch mode.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(
            url=url,
            target_metadata=metadata,
            version_table=VERSION_TABLE,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine_from_url(url)
    try:
        with engine.connect() as conn:
            _configure(conn)
    finally:
        engine.dispose()


_run()
